//! Fuzz target `validate_jwt`: see `checks::validate_jwt`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::validate_jwt(data));
