//! Helpers shared by the integration tests. Each test binary uses some of them.
#![allow(dead_code)]

pub mod auth;
pub mod fixtures;
pub mod recorder;
pub mod users;
