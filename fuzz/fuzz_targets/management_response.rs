//! Fuzz target `management_response`: see `checks::management_response`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::management_response(data));
