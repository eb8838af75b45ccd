//! Authenticating requests: Passage-issued JWTs checked against the app's keys.

use crate::config::{Config, ConfigError};
use crate::Passage;

/// Authentication settings collected by the builder.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthSettings {}

/// The token verifier and its key cache, owned by the `Passage` value.
pub(crate) struct Authenticator {}

impl Authenticator {
    pub(crate) fn new(_config: &Config, _http: reqwest::Client) -> Result<Self, ConfigError> {
        Ok(Self {})
    }
}

/// Token validation and magic links, from [`Passage::auth`].
#[derive(Clone, Copy, Debug)]
pub struct Auth<'a> {
    pub(crate) passage: &'a Passage,
}

impl Passage {
    /// Token validation and magic links.
    pub fn auth(&self) -> Auth<'_> {
        Auth { passage: self }
    }
}
