//! Helpers shared by the integration tests. Each test binary uses some of them.
#![allow(dead_code, unused_imports)] // Each test binary uses some of the helpers.

pub mod auth;
pub mod binary;
pub mod fixtures;
pub mod recorder;
pub mod scripts;
pub mod users;

/// A fresh emulator on a free port.
pub async fn emulator() -> passage_identity::emulator::Emulator {
    passage_identity::emulator::Emulator::start()
        .await
        .expect("the emulator starts")
}
