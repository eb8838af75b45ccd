//! The handlers of the emulated service: the Management API and the magic links and app info it
//! serves, the JWKS, the emulator's own control API (tokens, keys, users, faults, the request
//! log, magic links, saved state), and its sign-in page for local development.
//!
//! Handlers take the shared [`Context`](super::context::Context), read and change the store, and
//! answer with the generated types of [`crate::raw::types`] or a
//! [`rejection`](super::rejection). The router and the checks in front of them are in
//! [`super::http`].

mod app_info;
pub(crate) mod control;
mod magic_links;
pub(crate) mod management;
pub(crate) mod sign_in;
pub(crate) mod tokens;
