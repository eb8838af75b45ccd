//! The Passage emulator, over real HTTP on 127.0.0.1: every Management API operation and error,
//! listing and its documented formats, the full user record, malformed requests, tokens and
//! keys, faults, the request log, concurrency, stopping, the binary, and the sign-in page.
//!
//! Run with `cargo test --test emulator`.

mod common;

mod emulator {
    mod binary;
    mod concurrency;
    mod control;
    mod control_python;
    mod control_spec;
    mod devices;
    mod documented_formats;
    mod errors;
    mod faults;
    mod lifecycle;
    mod listing;
    mod magic_links;
    mod malformed_requests;
    mod request_log;
    pub(crate) mod scratch;
    mod sign_in;
    mod state;
    mod state_binary;
    pub(crate) mod support;
    mod tokens;
    mod user_record;
    mod users;
}
