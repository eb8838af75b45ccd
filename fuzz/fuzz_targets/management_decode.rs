//! Fuzz target `management_decode`: see `checks::management_decode`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::management_decode(data));
