//! Helpers shared by the integration tests. Each test binary uses some of them.
#![allow(dead_code)]

#[cfg(all(feature = "emulator", feature = "axum"))]
pub mod auth;
