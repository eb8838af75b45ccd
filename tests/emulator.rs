//! The Passage emulator, over real HTTP on 127.0.0.1: every Management API operation and error,
//! listing, tokens and keys, faults, the request log, concurrency, stopping, the binary, and the sign-in page.
//!
//! Run with `cargo test --test emulator`.

mod common;
#[path = "emulator/support.rs"]
mod support;

#[path = "emulator/binary.rs"]
mod binary;
#[path = "emulator/concurrency.rs"]
mod concurrency;
#[path = "emulator/devices.rs"]
mod devices;
#[path = "emulator/errors.rs"]
mod errors;
#[path = "emulator/faults.rs"]
mod faults;
#[path = "emulator/lifecycle.rs"]
mod lifecycle;
#[path = "emulator/listing.rs"]
mod listing;
#[path = "emulator/magic_links.rs"]
mod magic_links;
#[path = "emulator/request_log.rs"]
mod request_log;
#[path = "emulator/sign_in.rs"]
mod sign_in;
#[path = "emulator/tokens.rs"]
mod tokens;
#[path = "emulator/users.rs"]
mod users;
