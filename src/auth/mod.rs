//! Authenticating requests: Passage-issued JWTs checked against the app's keys. This half of the
//! crate needs no API key and knows nothing of the Management API.
//!
//! The flow is one way: `token_source` finds the token in the request, `token_cache` answers at
//! once for a token verified before and still valid, else `verify` checks its shape and header,
//! `jwks` supplies the key named by its `kid`, `verify` checks the signature and the claims
//! (read by `claims` and `strict_json`), and the user id comes out. `settings` holds what can be
//! configured (defaults and bounds), `error` the reasons for a rejection, `claims` what a
//! verified token says.
//!
//! Reach it through [`Passage::auth`](crate::Passage::auth) and
//! [`Passage::authenticate_request`](crate::Passage::authenticate_request).

mod claims;
mod error;
mod jwks;
mod settings;
mod strict_json;
mod token_cache;
mod token_source;
mod verify;

use std::sync::Arc;

use reqwest::Url;

pub use claims::{Audience, Claims};
pub use error::{AuthError, KeySetError};
pub use jwks::KeyCacheStats;
pub(crate) use settings::{AuthSettings, Clock, OutOfBounds};
pub use settings::{
    AuthStrategy, DEFAULT_AUTH_BASE_URL, DEFAULT_JWKS_COOLDOWN, DEFAULT_JWKS_MAX_AGE,
    DEFAULT_JWKS_MAX_STALE, DEFAULT_JWKS_TIMEOUT, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_SIZE,
    DEFAULT_TOKEN_CACHE_CAPACITY, DEFAULT_TOKEN_CACHE_MAX_BYTES, MAX_JWKS_SIZE,
};
pub use token_cache::TokenCacheStats;
pub use token_source::{AUTH_COOKIE_NAME, RequestHeaders};

use jwks::cache::{CachePolicy, KeyCache};
use jwks::fetch::RemoteJwks;
use jwks::key_set::KeySet;
use token_cache::{Accepted, TokenCache, TokenKey};
use token_source::Presented;
use verify::{Outcome, Rules, Verified, unix_seconds};

/// What authenticating a request gives: the user id or all claims. The user it names compares
/// the tokens of one request.
pub(crate) trait Authenticated: Verified + Send {
    fn subject(&self) -> &str;
}

impl Authenticated for String {
    fn subject(&self) -> &str {
        self
    }
}

impl Authenticated for Claims {
    fn subject(&self) -> &str {
        &self.sub
    }
}

/// The token verifier, its key cache and its verified-token cache, owned by the `Passage`
/// value.
pub(crate) struct Authenticator {
    rules: Rules,
    strategy: AuthStrategy,
    keys: Arc<KeyCache>,
    tokens: Option<TokenCache>,
    clock: Clock,
}

impl Authenticator {
    /// A verifier for the tokens of `app_id` issued by `issuer`, with keys from `jwks_url` (or
    /// the fixed `jwks_json` of the settings). Fails only on a fixed key set that cannot be read.
    pub(crate) fn new(
        app_id: &str,
        issuer: String,
        jwks_url: Url,
        settings: &AuthSettings,
        http: reqwest::Client,
    ) -> Result<Self, KeySetError> {
        let policy = CachePolicy {
            cooldown: settings.jwks_cooldown,
            max_age: settings.jwks_max_age,
            max_stale: settings.jwks_max_stale,
        };
        let keys = match &settings.jwks_json {
            Some(json) => KeyCache::fixed(KeySet::from_json(json.as_bytes())?, policy),
            None => KeyCache::remote(
                RemoteJwks {
                    url: jwks_url,
                    http,
                    timeout: settings.jwks_timeout,
                    max_size: MAX_JWKS_SIZE,
                },
                policy,
            ),
        };
        let mut audiences = vec![app_id.to_owned()];
        audiences.extend(settings.extra_audiences.iter().cloned());
        Ok(Self {
            rules: Rules {
                issuer,
                audiences,
                leeway: settings.leeway,
                max_token_size: settings.max_token_size,
            },
            strategy: settings.strategy,
            keys: Arc::new(keys),
            tokens: TokenCache::new(
                settings.token_cache_capacity,
                settings.token_cache_max_bytes,
            ),
            clock: settings.clock.clone(),
        })
    }

    /// The token or tokens of a request, found where the strategy says and copied out of it.
    pub(crate) fn presented<R: RequestHeaders + ?Sized>(
        &self,
        request: &R,
    ) -> Result<Presented, AuthError> {
        token_source::presented(request, self.strategy)
    }

    /// Validates what a request presents. Several different `psg_auth_token` cookies are each
    /// checked, and accepted only when those that verify name one user: a planted cookie never
    /// silently wins over the real one, and a stale or garbage duplicate does not lock the user
    /// out. A key set that cannot check one of them fails the request (503), since that one may
    /// be the real token.
    pub(crate) async fn authenticate<T: Authenticated>(
        &self,
        presented: Presented,
    ) -> Result<T, AuthError> {
        let tokens = match presented {
            Presented::One(token) => return self.validate(&token).await,
            Presented::Several(tokens) => tokens,
        };
        let mut accepted: Option<T> = None;
        let mut first_error = None;
        for token in &tokens {
            match self.validate::<T>(token).await {
                Ok(found) => match &accepted {
                    Some(earlier) if earlier.subject() != found.subject() => {
                        return Err(AuthError::AmbiguousCookie {
                            reason: "more than one is a valid token, for different users",
                        });
                    }
                    Some(_) => {}
                    None => accepted = Some(found),
                },
                Err(error) if error.is_server_error() => return Err(error),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        accepted.ok_or_else(|| first_error.unwrap_or(AuthError::MissingCredentials(self.strategy)))
    }

    pub(crate) async fn validate<T: Verified>(&self, token: &str) -> Result<T, AuthError> {
        let result = self.validate_inner(token).await;
        if let Err(error) = &result {
            tracing::debug!(code = error.code(), error = %error, "Passage token rejected");
        }
        result
    }

    async fn validate_inner<T: Verified>(&self, token: &str) -> Result<T, AuthError> {
        let Some(cache) = &self.tokens else {
            return self
                .validate_fully(token)
                .await
                .map(|(outcome, _)| outcome.value);
        };
        // Rule 1 first: an oversized token is not even hashed.
        self.rules.check_size(token)?;
        let key = TokenKey::of(token);
        let (now, leeway) = (unix_seconds(self.clock.now()), self.rules.leeway_seconds());
        let hit = cache.get(
            &key,
            now,
            leeway,
            || self.keys.still_trusted(),
            T::from_cached,
        );
        if let Some(value) = hit {
            return Ok(value);
        }
        let (outcome, verified_by) = self.validate_fully::<T>(token).await?;
        cache.insert(
            &key,
            Accepted {
                value: outcome.value.to_cached(),
                exp: outcome.exp,
                nbf: outcome.nbf,
                key: verified_by,
                payload_len: outcome.payload_len,
            },
        );
        cache.sweep_if_due(now, leeway);
        Ok(outcome.value)
    }

    /// Every rule, and the key that verified the token.
    async fn validate_fully<T: Verified>(
        &self,
        token: &str,
    ) -> Result<(Outcome<T>, Arc<jwks::key_set::VerifyingKey>), AuthError> {
        let mut header = verify::PartBuffer::new();
        let token = self.rules.parse(token, &mut header)?;
        let key = self.keys.key(&token.kid).await?;
        let outcome = self.rules.verify(&token, &key, self.clock.now())?;
        Ok((outcome, key))
    }
}

/// The readiness rule: keys are loaded, and either the last fetch succeeded or the keys in use
/// are within their max age (a static key set has none).
fn keys_trusted(stats: &KeyCacheStats) -> bool {
    let fresh = match (stats.age, stats.max_age) {
        (Some(age), Some(max_age)) => age < max_age,
        _ => true,
    };
    !stats.key_ids.is_empty() && (stats.last_error.is_none() || fresh)
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

/// Token validation and the key cache, from [`Passage::auth`](crate::Passage::auth).
#[derive(Clone, Copy)]
pub struct Auth<'a> {
    authenticator: &'a Authenticator,
}

impl std::fmt::Debug for Auth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("key_ids", &self.key_ids())
            .finish_non_exhaustive()
    }
}

impl<'a> Auth<'a> {
    pub(crate) fn new(authenticator: &'a Authenticator) -> Self {
        Self { authenticator }
    }
}

impl Auth<'_> {
    /// Validates a Passage token and returns the user id (its `sub`).
    ///
    /// The token must be signed with RS256 by a key of the app's JWKS (named by `kid`), must not
    /// be expired or not yet valid, must be issued by [`Passage::issuer`](crate::Passage::issuer) for this app (`aud`),
    /// and must name a user. Keys are fetched on first use and cached; see
    /// [`warm_up`](Self::warm_up). A token that passed is remembered so that
    /// the next validation of it costs a lookup instead of an RSA check, with the same answer:
    /// see [`PassageBuilder::token_cache_capacity`](crate::PassageBuilder::token_cache_capacity).
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage, token: &str) -> Result<(), passage_identity::AuthError> {
    /// let user_id = passage.auth().validate_jwt(token).await?;
    /// println!("hello {user_id}");
    /// # Ok(()) }
    /// ```
    pub async fn validate_jwt(&self, token: &str) -> Result<String, AuthError> {
        self.authenticator.validate(token).await
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
        self.authenticator.validate(token).await
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
        self.authenticator.keys.warm_up().await
    }

    /// Whether the app's key set is loaded and trusted, so requests can be authenticated: the
    /// answer for a readiness probe. Never touches the network; false before the first load
    /// (call [`warm_up`](Self::warm_up) at start-up, or in the probe while it is false), and
    /// false when the last refresh failed and the keys in use are older than their max age.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let passage = emulator.passage();
    /// assert!(!passage.auth().is_ready()); // nothing loaded yet
    /// passage.auth().warm_up().await?;
    /// assert!(passage.auth().is_ready());
    /// # Ok(()) }
    /// ```
    pub fn is_ready(&self) -> bool {
        keys_trusted(&self.key_cache_stats())
    }

    /// The ids of the signing keys in use, sorted; empty before the first fetch.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// assert!(passage.auth().key_ids().is_empty());
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn key_ids(&self) -> Vec<String> {
        self.authenticator.keys.stats().key_ids
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
        self.authenticator.keys.stats()
    }

    /// A snapshot of the verified-token cache (entries, bounds, hits and misses); `None` when
    /// it is off ([`PassageBuilder::token_cache_capacity`](crate::PassageBuilder::token_cache_capacity) of zero).
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .token_cache_capacity(0)
    ///     .build()?;
    /// assert!(passage.auth().token_cache_stats().is_none());
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn token_cache_stats(&self) -> Option<TokenCacheStats> {
        self.authenticator.tokens.as_ref().map(TokenCache::stats)
    }
}
