//! Authenticating requests: Passage-issued JWTs checked against the app's keys.
//!
//! The flow is one way: [`extract`] finds the token in the request, [`validate`] checks its shape
//! and header, [`jwks`] supplies the key named by its `kid`, [`validate`] checks the signature
//! and the claims, and the user id comes out. [`settings`] holds the builder options,
//! [`error`] the reasons for a rejection, [`claims`] what a verified token says.

mod claims;
mod error;
mod extract;
mod jwks;
mod settings;
mod validate;

use std::sync::Arc;

use http::HeaderMap;

use crate::Passage;
use crate::config::{Config, ConfigError};

pub use claims::{Audience, Claims};
pub use error::{AuthError, KeySetError};
pub use extract::{AUTH_COOKIE_NAME, AuthStrategy};
pub use jwks::KeyCacheStats;
pub(crate) use settings::AuthSettings;
pub use settings::{
    DEFAULT_JWKS_COOLDOWN, DEFAULT_JWKS_MAX_AGE, DEFAULT_JWKS_TIMEOUT, DEFAULT_LEEWAY,
    DEFAULT_MAX_TOKEN_SIZE, MAX_JWKS_SIZE,
};

use jwks::cache::{CachePolicy, KeyCache};
use jwks::fetch::RemoteJwks;
use jwks::key_set::KeySet;
use validate::{Rules, Verified};

/// The token verifier and its key cache, owned by the `Passage` value.
pub(crate) struct Authenticator {
    rules: Rules,
    strategy: AuthStrategy,
    keys: Arc<KeyCache>,
}

impl Authenticator {
    pub(crate) fn new(config: &Config, http: reqwest::Client) -> Result<Self, ConfigError> {
        let settings = &config.auth;
        settings.check()?;
        let policy = CachePolicy {
            cooldown: settings.jwks_cooldown,
            max_age: settings.jwks_max_age,
        };
        let keys = match &settings.jwks_json {
            Some(json) => {
                let keys = KeySet::from_json(json.as_bytes()).map_err(|e| {
                    ConfigError::InvalidSetting {
                        setting: "jwks_json",
                        reason: ErrorChain(&e).to_string(),
                    }
                })?;
                KeyCache::fixed(keys, policy)
            }
            None => KeyCache::remote(
                RemoteJwks {
                    url: config.jwks_url.clone(),
                    http,
                    timeout: settings.jwks_timeout,
                    max_size: MAX_JWKS_SIZE,
                },
                policy,
            ),
        };
        let mut audiences = vec![config.app_id.clone()];
        audiences.extend(settings.extra_audiences.iter().cloned());
        Ok(Self {
            rules: Rules {
                issuer: config.issuer.clone(),
                audiences,
                leeway: settings.leeway,
                max_token_size: settings.max_token_size,
            },
            strategy: settings.strategy,
            keys: Arc::new(keys),
        })
    }

    async fn validate<T: Verified>(&self, token: &str) -> Result<T, AuthError> {
        let result = self.validate_inner(token).await;
        if let Err(error) = &result {
            tracing::debug!(code = error.code(), error = %error, "Passage token rejected");
        }
        result
    }

    async fn validate_inner<T: Verified>(&self, token: &str) -> Result<T, AuthError> {
        let mut header = Vec::new();
        let token = self.rules.parse(token, &mut header)?;
        let key = self.keys.key(&token.kid).await?;
        self.rules.verify(&token, &key)
    }
}

/// Shows an error with its sources, `outer: cause: root`, for logs and configuration errors.
pub(crate) struct ErrorChain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// Token validation and magic links, from [`Passage::auth`].
#[derive(Clone, Copy, Debug)]
pub struct Auth<'a> {
    pub(crate) passage: &'a Passage,
}

impl Passage {
    /// Token validation and magic links.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// let auth = passage.auth();
    /// assert!(auth.key_ids().is_empty()); // nothing fetched yet
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn auth(&self) -> Auth<'_> {
        Auth { passage: self }
    }

    /// Authenticates a request by its headers and returns the user id.
    ///
    /// The token is taken from where the [`AuthStrategy`] says (by default the `psg_auth_token`
    /// cookie), then checked like [`Auth::validate_jwt`] does. A request without a token fails
    /// with [`AuthError::MissingCredentials`].
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage, request: http::Request<()>) {
    /// match passage.authenticate_request(request.headers()).await {
    ///     Ok(user_id) => println!("request from {user_id}"),
    ///     Err(e) if e.is_server_error() => println!("503: {e}"),
    ///     Err(e) => println!("401: {e}"),
    /// }
    /// # }
    /// ```
    pub async fn authenticate_request(&self, headers: &HeaderMap) -> Result<String, AuthError> {
        let token = extract::token_from_headers(headers, self.inner.auth.strategy)?;
        self.auth().validate_jwt(token).await
    }

    /// Authenticates a request by its headers and returns the verified claims of its token.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage, headers: http::HeaderMap) -> Result<(), passage_identity::AuthError> {
    /// let claims = passage.authenticate_request_claims(&headers).await?;
    /// println!("{} until {:?}", claims.sub, claims.expires_at());
    /// # Ok(()) }
    /// ```
    pub async fn authenticate_request_claims(
        &self,
        headers: &HeaderMap,
    ) -> Result<Claims, AuthError> {
        let token = extract::token_from_headers(headers, self.inner.auth.strategy)?;
        self.auth().validate_jwt_claims(token).await
    }
}

impl Auth<'_> {
    /// Validates a Passage token and returns the user id (its `sub`).
    ///
    /// The token must be signed with RS256 by a key of the app's JWKS (named by `kid`), must not
    /// be expired or not yet valid, must be issued by [`Passage::issuer`] for this app (`aud`),
    /// and must name a user. Keys are fetched on first use and cached; see
    /// [`warm_up`](Self::warm_up).
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage, token: &str) -> Result<(), passage_identity::AuthError> {
    /// let user_id = passage.auth().validate_jwt(token).await?;
    /// println!("hello {user_id}");
    /// # Ok(()) }
    /// ```
    pub async fn validate_jwt(&self, token: &str) -> Result<String, AuthError> {
        self.passage.inner.auth.validate(token).await
    }

    /// Validates a Passage token like [`validate_jwt`](Self::validate_jwt) and returns all its
    /// claims.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage, token: &str) -> Result<(), passage_identity::AuthError> {
    /// let claims = passage.auth().validate_jwt_claims(token).await?;
    /// assert!(claims.aud.contains(passage.app_id()));
    /// # Ok(()) }
    /// ```
    pub async fn validate_jwt_claims(&self, token: &str) -> Result<Claims, AuthError> {
        self.passage.inner.auth.validate(token).await
    }

    /// Fetches the app's key set now unless it is loaded, so the first request does not wait
    /// for it. Optional: keys are otherwise fetched on first use. Fails with
    /// [`AuthError::KeySetUnavailable`] when the JWKS cannot be loaded.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let passage = passage_identity::Passage::new("my-app-id", "my-api-key")?;
    /// passage.auth().warm_up().await?;
    /// # Ok(()) }
    /// ```
    pub async fn warm_up(&self) -> Result<(), AuthError> {
        self.passage.inner.auth.keys.warm_up().await
    }

    /// The ids of the signing keys in use, sorted; empty before the first fetch.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// assert!(passage.auth().key_ids().is_empty());
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn key_ids(&self) -> Vec<String> {
        self.passage.inner.auth.keys.stats().key_ids
    }

    /// A snapshot of the key cache: keys, fetch counts, age, last error.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// let stats = passage.auth().key_cache_stats();
    /// assert_eq!(stats.fetches, 0); // building never touches the network
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn key_cache_stats(&self) -> KeyCacheStats {
        self.passage.inner.auth.keys.stats()
    }
}
