//! The Passage emulator, over real HTTP on 127.0.0.1: every Management API operation and error,
//! listing and its documented formats, the full user record, malformed requests, tokens and
//! keys, faults, the request log, concurrency, stopping, the binary, and the sign-in page.
//!
//! Run with `cargo test --test emulator`.

mod common;
#[path = "emulator/support.rs"]
mod support;

#[path = "emulator/binary.rs"]
mod binary;
#[path = "emulator/concurrency.rs"]
mod concurrency;
#[path = "emulator/control.rs"]
mod control;
#[path = "emulator/control_python.rs"]
mod control_python;
#[path = "emulator/control_spec.rs"]
mod control_spec;
#[path = "emulator/devices.rs"]
mod devices;
#[path = "emulator/documented_formats.rs"]
mod documented_formats;
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
#[path = "emulator/malformed_requests.rs"]
mod malformed_requests;
#[path = "emulator/request_log.rs"]
mod request_log;
#[path = "emulator/scratch.rs"]
mod scratch;
#[path = "emulator/sign_in.rs"]
mod sign_in;
#[path = "emulator/state.rs"]
mod state;
#[path = "emulator/state_binary.rs"]
mod state_binary;
#[path = "emulator/tokens.rs"]
mod tokens;
#[path = "emulator/user_record.rs"]
mod user_record;
#[path = "emulator/users.rs"]
mod users;
