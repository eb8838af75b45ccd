//! The emulated app: its id and API key, where it is served, how its JWKS is cached.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::store;
use crate::secret::Secret;
use crate::{Passage, PassageBuilder};

/// The emulated app: who it is, where it is served, how its JWKS is cached.
#[derive(Debug)]
pub(crate) struct Settings {
    app_id: String,
    api_key: Secret,
    /// `http://127.0.0.1:PORT`, no trailing slash: the auth base URL and the app's auth origin.
    auth_origin: String,
    jwks_max_age: Option<Duration>,
    created_at: DateTime<Utc>,
}

impl Settings {
    pub(crate) fn new(
        app_id: String,
        api_key: Secret,
        auth_origin: String,
        jwks_max_age: Option<Duration>,
    ) -> Self {
        Self {
            app_id,
            api_key,
            auth_origin,
            jwks_max_age,
            created_at: store::now(),
        }
    }

    /// The same app, created at `created_at` (an app restored from its saved state).
    pub(crate) fn with_created_at(mut self, created_at: DateTime<Utc>) -> Self {
        self.created_at = created_at;
        self
    }

    pub(crate) fn app_id(&self) -> &str {
        &self.app_id
    }

    pub(crate) fn api_key(&self) -> &str {
        self.api_key.expose()
    }

    /// The auth base URL, which is also the origin in the tokens' `aud`.
    pub(crate) fn auth_origin(&self) -> &str {
        &self.auth_origin
    }

    /// `{auth_origin}/v1`, the Management API base URL.
    pub(crate) fn api_base_url(&self) -> String {
        format!("{}/v1", self.auth_origin)
    }

    /// `{auth_origin}/v1/apps/{app_id}`, the `iss` of the tokens.
    pub(crate) fn issuer(&self) -> String {
        format!("{}/v1/apps/{}", self.auth_origin, self.app_id)
    }

    /// Where the JWKS is served.
    pub(crate) fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer())
    }

    pub(crate) fn jwks_max_age(&self) -> Option<Duration> {
        self.jwks_max_age
    }

    pub(crate) fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// A client builder filled in for the emulated app.
    pub(crate) fn passage_builder(&self) -> PassageBuilder {
        Passage::builder(self.app_id())
            .api_key(self.api_key())
            .api_base_url(self.api_base_url())
            .auth_base_url(self.auth_origin())
    }

    /// Whether `candidate` is the API key, compared in constant time.
    pub(crate) fn is_api_key(&self, candidate: &str) -> bool {
        let (a, b) = (self.api_key().as_bytes(), candidate.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}
