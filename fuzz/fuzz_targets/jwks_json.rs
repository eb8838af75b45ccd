//! Fuzz target `jwks_json`: see `checks::jwks_json`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::jwks_json(data));
