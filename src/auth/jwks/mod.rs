//! The app's signing keys: fetched from its JWKS endpoint, cached, refreshed (see [`cache`]).

pub(crate) mod cache;
pub(crate) mod fetch;
pub(crate) mod key_set;

pub use cache::KeyCacheStats;
