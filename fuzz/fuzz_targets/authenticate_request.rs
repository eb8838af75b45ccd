//! Fuzz target `authenticate_request`: see `checks::authenticate_request`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::authenticate_request(data));
