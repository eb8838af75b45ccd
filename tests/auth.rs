//! Authenticating requests, over real HTTP on 127.0.0.1: the token rules, where tokens are
//! found, the key cache and the JWKS faults the emulator injects, the verified-token cache,
//! properties of arbitrary tokens, and the axum extractor.

mod common;

mod auth {
    mod axum;
    mod cache;
    mod extract;
    mod jwks_faults;
    mod properties;
    mod rules;
    mod token_cache;
}
