//! Fuzz target `validate_claims`: see `checks::validate_claims`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::validate_claims(data));
