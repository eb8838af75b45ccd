//! Building a [`Passage`]: every setting of both halves (the app id, the API key, where the
//! service lives, timeouts, retries, and how tokens are checked) in one [`PassageBuilder`].
//!
//! Everything is checked here, locally, so a misconfiguration is an error at start-up rather than
//! a failed request later. Construction never touches the network.

use std::time::Duration;

use reqwest::Url;

use super::Passage;
use crate::auth::{
    AuthSettings, AuthStrategy, Authenticator, Clock, DEFAULT_AUTH_BASE_URL, ErrorChain,
    OutOfBounds,
};
use crate::management::{
    self, DEFAULT_API_BASE_URL, DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    MAX_CALL_TIMEOUT, MAX_TIMEOUT, RetryPolicy, Timeouts,
};
use crate::secret::Secret;

/// A configuration that cannot work, reported by [`PassageBuilder::build`] before any request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The app id is empty or only white space.
    #[error("the app id is empty: pass the id of your Passage app (Passage console, app settings)")]
    EmptyAppId,
    /// The app id holds characters that cannot be part of a URL path segment.
    #[error(
        "the app id {0:?} holds characters that are not allowed (only letters, digits, '-' and '_')"
    )]
    InvalidAppId(String),
    /// The API key is empty or cannot be sent in an HTTP header. The key itself is not shown.
    #[error("the API key is empty or holds characters that cannot be sent in an HTTP header")]
    InvalidApiKey,
    /// An environment variable that [`PassageBuilder::from_env`] needs is not set or not Unicode.
    #[error("the environment variable {0} is not set (or not valid Unicode)")]
    MissingEnv(&'static str),
    /// A URL setting is not an absolute `http` or `https` URL, or holds a user name or password.
    #[error("{setting} {value:?} is not a usable URL: {reason}")]
    InvalidUrl {
        /// The builder setting, e.g. `api_base_url`.
        setting: &'static str,
        /// The value given, with any user name and password replaced by `[redacted]`.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another setting is out of range.
    #[error("{setting}: {reason}")]
    InvalidSetting {
        /// The builder setting.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be created (for example, no TLS backend could be initialised).
    #[error("the HTTP client could not be created")]
    HttpClient(#[source] reqwest::Error),
}

/// Configures and builds a [`Passage`]. Start with [`Passage::builder`].
///
/// ```
/// use std::time::Duration;
/// use passage_identity::Passage;
///
/// let passage = Passage::builder("my-app-id")
///     .api_key("my-api-key")
///     .api_base_url("http://127.0.0.1:8787/v1")
///     .auth_base_url("http://127.0.0.1:8787")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(
///     passage.jwks_url(),
///     "http://127.0.0.1:8787/v1/apps/my-app-id/.well-known/jwks.json"
/// );
/// # Ok::<(), passage_identity::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct PassageBuilder {
    pub(crate) app_id: String,
    pub(crate) api_key: Option<Secret>,
    pub(crate) api_base_url: String,
    pub(crate) auth_base_url: String,
    pub(crate) jwks_url: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) user_agent: Option<String>,
    pub(crate) auth: AuthSettings,
    pub(crate) retry: RetryPolicy,
}

impl PassageBuilder {
    pub(crate) fn new(app_id: impl Into<String>) -> Self {
        Self {
            app_id: app_id.into(),
            api_key: None,
            api_base_url: DEFAULT_API_BASE_URL.to_owned(),
            auth_base_url: DEFAULT_AUTH_BASE_URL.to_owned(),
            jwks_url: None,
            issuer: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            call_timeout: None,
            user_agent: None,
            auth: AuthSettings::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// A builder from the environment: `PASSAGE_APP_ID` (required), `PASSAGE_API_KEY`,
    /// `PASSAGE_API_BASE_URL` and `PASSAGE_AUTH_BASE_URL` (optional; the public Passage URLs
    /// otherwise). Further settings can be chained before [`build`](Self::build).
    ///
    /// ```no_run
    /// let passage = passage_identity::PassageBuilder::from_env()?.build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &'static str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let app_id = var("PASSAGE_APP_ID").ok_or(ConfigError::MissingEnv("PASSAGE_APP_ID"))?;
        let mut builder = Self::new(app_id);
        if let Some(key) = var("PASSAGE_API_KEY") {
            builder = builder.api_key(key);
        }
        if let Some(url) = var("PASSAGE_API_BASE_URL") {
            builder = builder.api_base_url(url);
        }
        if let Some(url) = var("PASSAGE_AUTH_BASE_URL") {
            builder = builder.auth_base_url(url);
        }
        Ok(builder)
    }

    /// The app's API key, needed for user management, magic links and app info (not for
    /// authenticating requests). It is sent as `Authorization: Bearer <key>` and never shown in
    /// `Debug` output, logs or errors.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .api_key("my-api-key")
    ///     .build()?;
    /// assert!(passage.has_api_key());
    /// assert!(!format!("{passage:?}").contains("my-api-key"));
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(api_key));
        self
    }

    /// The Management API base URL, including `/v1`. Default: [`DEFAULT_API_BASE_URL`](crate::management::DEFAULT_API_BASE_URL).
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .api_base_url("http://127.0.0.1:8787/v1")
    ///     .build()?;
    /// assert_eq!(passage.api_base_url(), "http://127.0.0.1:8787/v1");
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = url.into();
        self
    }

    /// The auth base URL: the JWKS is at `{auth_base}/v1/apps/{app_id}/.well-known/jwks.json`
    /// and tokens are issued by `{auth_base}/v1/apps/{app_id}`. Default:
    /// [`DEFAULT_AUTH_BASE_URL`](crate::auth::DEFAULT_AUTH_BASE_URL).
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .auth_base_url("http://127.0.0.1:8787")
    ///     .build()?;
    /// assert_eq!(passage.issuer(), "http://127.0.0.1:8787/v1/apps/my-app-id");
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn auth_base_url(mut self, url: impl Into<String>) -> Self {
        self.auth_base_url = url.into();
        self
    }

    /// Fetch the JWKS from this URL instead of the one derived from the auth base URL.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .jwks_url("https://keys.example.com/jwks.json")
    ///     .build()?;
    /// assert_eq!(passage.jwks_url(), "https://keys.example.com/jwks.json");
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Require this `iss` claim instead of `{auth_base}/v1/apps/{app_id}`.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .issuer("https://login.example.com")
    ///     .build()?;
    /// assert_eq!(passage.issuer(), "https://login.example.com");
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The timeout of one attempt of a management call, from sending the request to the end of
    /// the answer's body. Default: 30 s; more than zero and at most
    /// [`MAX_TIMEOUT`](crate::management::MAX_TIMEOUT) (5 minutes).
    ///
    /// It bounds each attempt; the [`call_timeout`](Self::call_timeout) bounds the call. An
    /// idempotent call that times out is tried again ([`RetryPolicy`](crate::RetryPolicy)),
    /// until the retries or the call timeout run out, then fails with
    /// [`ManagementError::Timeout`](crate::ManagementError::Timeout). Creating users and magic
    /// links is never retried, so it takes at most this long.
    ///
    /// ```
    /// use std::time::Duration;
    /// use passage_identity::{Passage, RetryPolicy};
    ///
    /// // A read gives up after at most about 2 × 2 s.
    /// let passage = Passage::builder("my-app-id")
    ///     .api_key("my-api-key")
    ///     .timeout(Duration::from_secs(2))
    ///     .retry(RetryPolicy::default().max_retries(1))
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timeout for opening a connection (part of an attempt's [`timeout`](Self::timeout)).
    /// Default: 10 s; more than zero and at most
    /// [`MAX_TIMEOUT`](crate::management::MAX_TIMEOUT).
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .connect_timeout(std::time::Duration::from_secs(2))
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The deadline of a whole management call: every attempt and every wait between attempts
    /// (backoffs, `Retry-After`) ends by it. No attempt runs past it, no wait that would end
    /// after it is started, and the call then fails with the last attempt's error. Default:
    /// [`DEFAULT_CALL_TIMEOUT`](crate::management::DEFAULT_CALL_TIMEOUT) (60 s), or the
    /// [`timeout`](Self::timeout) when that is set higher; more than zero and at most
    /// [`MAX_CALL_TIMEOUT`](crate::management::MAX_CALL_TIMEOUT) (15 minutes).
    ///
    /// ```
    /// use std::time::Duration;
    /// use passage_identity::Passage;
    ///
    /// // Each attempt may take 5 s, but the call, retries included, no more than 12 s.
    /// let passage = Passage::builder("my-app-id")
    ///     .api_key("my-api-key")
    ///     .timeout(Duration::from_secs(5))
    ///     .call_timeout(Duration::from_secs(12))
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` of every request. Default: `passage-identity-rust/<version>`.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .user_agent("my-service/1.4")
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// How idempotent management calls are retried. Default: [`RetryPolicy::default`](crate::RetryPolicy::default).
    /// [`build`](Self::build) holds the policy to the bounds [`RetryPolicy`](crate::RetryPolicy)
    /// documents.
    ///
    /// ```
    /// use passage_identity::{Passage, RetryPolicy};
    ///
    /// let passage = Passage::builder("my-app-id")
    ///     .api_key("my-api-key")
    ///     .retry(RetryPolicy::disabled())
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    // How tokens are checked.

    /// Where [`Passage::authenticate_request`](crate::Passage::authenticate_request) looks for
    /// the token. Default: [`AuthStrategy::Cookie`].
    ///
    /// ```
    /// use passage_identity::{AuthStrategy, Passage};
    ///
    /// let passage = Passage::builder("my-app-id")
    ///     .auth_strategy(AuthStrategy::HeaderOrCookie)
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn auth_strategy(mut self, strategy: AuthStrategy) -> Self {
        self.auth.strategy = strategy;
        self
    }

    /// Clock skew tolerated when checking `exp` and `nbf`, in whole seconds. Default: none
    /// ([`DEFAULT_LEEWAY`](crate::auth::DEFAULT_LEEWAY)). At most one hour.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .leeway(Duration::from_secs(30))
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.auth.leeway = leeway;
        self
    }

    /// Also accept tokens whose `aud` holds `audience` (the app id is always accepted). Older
    /// Passage tokens carried only the app's auth origin, e.g. `https://myapp.withpassage.com`;
    /// add it here to accept them. May be called several times.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .accept_audience("https://myapp.withpassage.com")
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn accept_audience(mut self, audience: impl Into<String>) -> Self {
        self.auth.extra_audiences.push(audience.into());
        self
    }

    /// Tokens longer than this many bytes are rejected before any decoding. Default:
    /// [`DEFAULT_MAX_TOKEN_SIZE`](crate::auth::DEFAULT_MAX_TOKEN_SIZE) (8 KiB); between 512 bytes and 1 MiB.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .max_token_size(4096)
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.auth.max_token_size = bytes;
        self
    }

    /// The minimum time between two key set fetches caused by tokens with an unknown `kid`, so a
    /// flood of made-up key ids cannot become a flood of fetches. Default:
    /// [`DEFAULT_JWKS_COOLDOWN`](crate::auth::DEFAULT_JWKS_COOLDOWN) (30 s). Zero refetches on every unknown `kid` (concurrent
    /// callers still share one fetch): for tests only.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .jwks_cooldown(Duration::from_secs(60))
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn jwks_cooldown(mut self, cooldown: Duration) -> Self {
        self.auth.jwks_cooldown = cooldown;
        self
    }

    /// How long a fetched key set is fresh. After that it is refreshed in the background while
    /// the old keys keep serving. A shorter `Cache-Control: max-age` from the JWKS endpoint is
    /// honoured, down to the cooldown. Default: [`DEFAULT_JWKS_MAX_AGE`](crate::auth::DEFAULT_JWKS_MAX_AGE) (10 minutes).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .jwks_max_age(Duration::from_secs(3600))
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn jwks_max_age(mut self, max_age: Duration) -> Self {
        self.auth.jwks_max_age = max_age;
        self
    }

    /// The timeout of one key set fetch, from sending the request to the end of the body.
    /// Default: [`DEFAULT_JWKS_TIMEOUT`](crate::auth::DEFAULT_JWKS_TIMEOUT) (5 s).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .jwks_timeout(Duration::from_secs(2))
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn jwks_timeout(mut self, timeout: Duration) -> Self {
        self.auth.jwks_timeout = timeout;
        self
    }

    /// How long past its max age a key set that cannot be refreshed (every fetch fails) is
    /// still used. After that, validations answer
    /// [`AuthError::KeySetUnavailable`](crate::AuthError::KeySetUnavailable) (503) until a
    /// fetch succeeds, remembered tokens included: a key revoked from the JWKS cannot keep being
    /// honoured just because the endpoint is unreachable. Default:
    /// [`DEFAULT_JWKS_MAX_STALE`](crate::auth::DEFAULT_JWKS_MAX_STALE) (1 hour). Zero stops
    /// using a set as soon as it is due for a refresh that has not succeeded; a set given with
    /// [`jwks_json`](Self::jwks_json) never goes stale.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .jwks_max_stale(Duration::from_secs(15 * 60))
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn jwks_max_stale(mut self, max_stale: Duration) -> Self {
        self.auth.jwks_max_stale = max_stale;
        self
    }

    /// How many verified tokens are remembered, so a token seen again is answered without a
    /// second RSA check (a hash and a lookup, well under a microsecond). Zero turns the cache
    /// off. Default: [`DEFAULT_TOKEN_CACHE_CAPACITY`](crate::auth::DEFAULT_TOKEN_CACHE_CAPACITY)
    /// (10,000); at most 10,000,000.
    ///
    /// It is on by default because a session sends the same token on every request until it
    /// expires, and a remembered answer is exactly what a full check would give: `exp` and
    /// `nbf` are checked again on every hit, a token is forgotten when the key that signed it
    /// leaves the key set or the key set is no longer trusted
    /// ([`jwks_max_stale`](Self::jwks_max_stale)), and only tokens that passed every check are
    /// remembered. What it costs: memory, bounded by
    /// [`token_cache_max_bytes`](Self::token_cache_max_bytes); and a key revoked by Passage is
    /// honoured for remembered tokens exactly as long as for new ones, until the key set is
    /// refreshed ([`jwks_max_age`](Self::jwks_max_age)). An entry is found by the SHA-256 of the
    /// token's signature and keeps its header and claims, never the signature: the cache holds
    /// no usable token. Entries that can no longer be served (expired, or signed by a key that
    /// left the key set) are freed within a minute even if their token never comes back: the
    /// first new token after each minute sweeps them out.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .token_cache_capacity(50_000)
    ///     .build()?;
    /// assert_eq!(passage.auth().token_cache_stats().map(|s| s.capacity), Some(50_000));
    /// let uncached = passage_identity::Passage::builder("my-app-id")
    ///     .token_cache_capacity(0)
    ///     .build()?;
    /// assert!(uncached.auth().token_cache_stats().is_none());
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn token_cache_capacity(mut self, tokens: usize) -> Self {
        self.auth.token_cache_capacity = tokens;
        self
    }

    /// The memory the verified-token cache may use, in bytes (an estimate of each entry's
    /// size, counted as at least `max_bytes / capacity`). Default:
    /// [`DEFAULT_TOKEN_CACHE_MAX_BYTES`](crate::auth::DEFAULT_TOKEN_CACHE_MAX_BYTES) (4 MiB);
    /// between 64 KiB and 1 GiB.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .token_cache_max_bytes(16 * 1024 * 1024)
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn token_cache_max_bytes(mut self, bytes: usize) -> Self {
        self.auth.token_cache_max_bytes = bytes;
        self
    }

    /// The wall clock `exp` and `nbf` are judged by. Default: the system clock. Set it in tests
    /// to let a token expire without waiting.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let seconds = Arc::new(AtomicU64::new(1_700_000_000));
    /// let clock = Arc::clone(&seconds);
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .clock(move || UNIX_EPOCH + Duration::from_secs(clock.load(Ordering::Relaxed)))
    ///     .build()?;
    /// seconds.fetch_add(3600, Ordering::Relaxed); // an hour later, for `passage`
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn clock(
        mut self,
        now: impl Fn() -> std::time::SystemTime + Send + Sync + 'static,
    ) -> Self {
        self.auth.clock = Clock::new(now);
        self
    }

    /// Use this JWKS document (`{"keys": [...]}`) and never fetch one: for offline use and
    /// tests. [`build`](Self::build) fails with [`ConfigError::InvalidSetting`] when it is not
    /// valid JSON or holds no usable RS256 key.
    ///
    /// ```
    /// let jwks = r#"{"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
    ///     "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
    ///     "e": "AQAB"}]}"#;
    /// let passage = passage_identity::Passage::builder("my-app-id").jwks_json(jwks).build()?;
    /// assert_eq!(passage.auth().key_ids(), ["k1"]);
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn jwks_json(mut self, jwks: impl Into<String>) -> Self {
        self.auth.jwks_json = Some(jwks.into());
        self
    }

    /// Checks the configuration and builds the client. Never touches the network.
    ///
    /// ```
    /// use passage_identity::{ConfigError, Passage};
    ///
    /// let passage = Passage::builder("my-app-id").api_key("my-api-key").build()?;
    /// assert_eq!(passage.app_id(), "my-app-id");
    ///
    /// let bad = Passage::builder("my-app-id").api_base_url("api.passage.id").build();
    /// assert!(matches!(bad, Err(ConfigError::InvalidUrl { setting: "api_base_url", .. })));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn build(self) -> Result<Passage, ConfigError> {
        let config = self.resolve()?;
        // One HTTP client, one connection pool, for management calls and key set fetches.
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .default_headers(management::default_headers())
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(ConfigError::HttpClient)?;
        let auth = Authenticator::new(
            &config.app_id,
            config.issuer.clone(),
            config.jwks_url.clone(),
            &config.auth,
            http.clone(),
        )
        .map_err(|e| ConfigError::InvalidSetting {
            setting: "jwks_json",
            reason: ErrorChain(&e).to_string(),
        })?;
        let management = management::Client::new(
            &config.app_id,
            config.api_key.clone(),
            &config.api_base_url,
            config.retry.clone(),
            Timeouts {
                attempt: config.timeout,
                call: config.call_timeout,
            },
            http,
        );
        Ok(Passage::from_parts(config, auth, management))
    }

    fn resolve(self) -> Result<Config, ConfigError> {
        self.auth
            .check()
            .map_err(
                |OutOfBounds { setting, reason }| ConfigError::InvalidSetting {
                    setting,
                    reason: reason.to_owned(),
                },
            )?;
        let app_id = self.app_id.trim().to_owned();
        if app_id.is_empty() {
            return Err(ConfigError::EmptyAppId);
        }
        if !app_id.chars().all(management::is_id_char) {
            return Err(ConfigError::InvalidAppId(app_id));
        }
        if let Some(key) = &self.api_key {
            let key = key.expose();
            if key.trim().is_empty() || http::HeaderValue::from_str(key).is_err() {
                return Err(ConfigError::InvalidApiKey);
            }
        }
        let call_timeout = self
            .call_timeout
            .unwrap_or(DEFAULT_CALL_TIMEOUT.max(self.timeout));
        for (setting, value, bound) in [
            ("timeout", self.timeout, MAX_TIMEOUT),
            ("connect_timeout", self.connect_timeout, MAX_TIMEOUT),
            ("call_timeout", call_timeout, MAX_CALL_TIMEOUT),
        ] {
            check_duration(setting, value, bound)?;
        }
        if let Some((setting, reason)) = self.retry.out_of_bounds() {
            return Err(ConfigError::InvalidSetting { setting, reason });
        }
        let api_base_url = parse_base_url("api_base_url", &self.api_base_url)?;
        let auth_base_url = parse_base_url("auth_base_url", &self.auth_base_url)?;
        let app_path = format!(
            "{}/v1/apps/{app_id}",
            auth_base_url.as_str().trim_end_matches('/')
        );
        let jwks_url = match &self.jwks_url {
            Some(url) => parse_base_url("jwks_url", url)?,
            None => parse_base_url(
                "auth_base_url",
                &format!("{app_path}/.well-known/jwks.json"),
            )?,
        };
        let issuer = self.issuer.unwrap_or(app_path);
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("passage-identity-rust/{}", env!("CARGO_PKG_VERSION")));
        if http::HeaderValue::from_str(&user_agent).is_err() {
            return Err(ConfigError::InvalidSetting {
                setting: "user_agent",
                reason: "cannot be sent in an HTTP header".into(),
            });
        }
        Ok(Config {
            app_id,
            api_key: self.api_key,
            api_base_url,
            auth_base_url,
            jwks_url,
            issuer,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            call_timeout,
            user_agent,
            auth: self.auth,
            retry: self.retry,
        })
    }
}

/// A checked configuration.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) app_id: String,
    pub(crate) api_key: Option<Secret>,
    pub(crate) api_base_url: Url,
    pub(crate) auth_base_url: Url,
    pub(crate) jwks_url: Url,
    pub(crate) issuer: String,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) call_timeout: Duration,
    pub(crate) user_agent: String,
    pub(crate) auth: AuthSettings,
    pub(crate) retry: RetryPolicy,
}

/// A duration setting: more than zero, at most `bound`.
fn check_duration(
    setting: &'static str,
    value: Duration,
    bound: Duration,
) -> Result<(), ConfigError> {
    let reason = if value.is_zero() {
        "must be greater than zero".to_owned()
    } else if value > bound {
        format!("must be at most {bound:?}, not {value:?}")
    } else {
        return Ok(());
    };
    Err(ConfigError::InvalidSetting { setting, reason })
}

fn parse_base_url(setting: &'static str, value: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidUrl {
        setting,
        value: redact_user_info(value),
        reason,
    };
    let url = Url::parse(value.trim()).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "scheme {:?} is not http or https",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".into()));
    }
    // A password in a URL ends up in logs, `Debug` output and error messages; and Passage
    // authenticates with the API key, not with URL credentials.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "a URL takes no user name or password (they are not shown here): Passage \
             calls authenticate with the API key"
                .into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a base URL takes no query or fragment".into()));
    }
    Ok(url)
}

/// `value` with whatever stands between `://` (or the start, without one) and the last `@`
/// replaced by `[redacted]`, found by text alone so that a URL too broken to parse is redacted
/// too. It may hide more than the user info (an `@` in a path), never less: a password typed
/// with a raw `/` or `?` in it is still hidden.
fn redact_user_info(value: &str) -> String {
    let after_scheme = value.find("://").map_or(0, |at| at + 3);
    match value[after_scheme..].rfind('@') {
        Some(at) => format!(
            "{}[redacted]{}",
            &value[..after_scheme],
            &value[after_scheme + at..]
        ),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> PassageBuilder {
        PassageBuilder::new("app_123")
    }

    #[test]
    fn defaults_point_at_the_public_service() {
        let config = builder().resolve().unwrap();
        assert_eq!(config.api_base_url.as_str(), "https://api.passage.id/v1");
        assert_eq!(
            config.jwks_url.as_str(),
            "https://auth.passage.id/v1/apps/app_123/.well-known/jwks.json"
        );
        assert_eq!(config.issuer, "https://auth.passage.id/v1/apps/app_123");
    }

    #[test]
    fn trailing_slashes_do_not_double() {
        let config = builder()
            .auth_base_url("http://127.0.0.1:1/")
            .resolve()
            .unwrap();
        assert_eq!(config.issuer, "http://127.0.0.1:1/v1/apps/app_123");
    }

    #[test]
    fn empty_app_id_is_rejected() {
        assert!(matches!(
            PassageBuilder::new("  ").resolve(),
            Err(ConfigError::EmptyAppId)
        ));
    }

    #[test]
    fn app_id_with_path_characters_is_rejected() {
        assert!(matches!(
            PassageBuilder::new("a/../b").resolve(),
            Err(ConfigError::InvalidAppId(_))
        ));
    }

    #[test]
    fn malformed_urls_are_rejected_naming_the_setting() {
        for bad in ["not a url", "ftp://x", "http://", "http://x/v1?q=1"] {
            match builder().api_base_url(bad).resolve() {
                Err(ConfigError::InvalidUrl { setting, .. }) => assert_eq!(setting, "api_base_url"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn unusable_api_key_is_rejected_without_showing_it() {
        let err = builder()
            .api_key("line\nbreak-secret")
            .resolve()
            .unwrap_err();
        assert!(matches!(err, ConfigError::InvalidApiKey));
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn a_user_agent_that_cannot_be_a_header_is_rejected() {
        match builder().user_agent("line\nbreak").resolve() {
            Err(ConfigError::InvalidSetting { setting, .. }) => assert_eq!(setting, "user_agent"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn user_info_is_redacted_whatever_the_url_looks_like() {
        for (given, shown) in [
            ("https://ada:pw@host/v1", "https://[redacted]@host/v1"),
            ("https://ada:p@ss@host", "https://[redacted]@host"),
            ("https://:pw@host", "https://[redacted]@host"),
            ("http://h ost:p/w?@x/a", "http://[redacted]@x/a"),
            ("https://host/a@b", "https://[redacted]@b"),
            ("https://host/v1", "https://host/v1"),
            ("ada:pw@host", "[redacted]@host"),
        ] {
            assert_eq!(redact_user_info(given), shown, "{given}");
        }
    }

    #[test]
    fn durations_are_held_to_their_bounds() {
        assert!(check_duration("timeout", Duration::from_secs(1), MAX_TIMEOUT).is_ok());
        assert!(check_duration("timeout", MAX_TIMEOUT, MAX_TIMEOUT).is_ok());
        for bad in [
            Duration::ZERO,
            MAX_TIMEOUT + Duration::from_nanos(1),
            Duration::MAX,
        ] {
            assert!(matches!(
                check_duration("timeout", bad, MAX_TIMEOUT),
                Err(ConfigError::InvalidSetting {
                    setting: "timeout",
                    ..
                })
            ));
        }
    }

    #[test]
    fn the_call_timeout_follows_a_longer_attempt_timeout_unless_set() {
        let config = builder().resolve().unwrap();
        assert_eq!(config.call_timeout, DEFAULT_CALL_TIMEOUT);
        let long = Duration::from_secs(90);
        assert_eq!(
            builder().timeout(long).resolve().unwrap().call_timeout,
            long
        );
        let set = Duration::from_secs(5);
        let config = builder().timeout(long).call_timeout(set).resolve().unwrap();
        assert_eq!(config.call_timeout, set);
    }

    #[test]
    fn debug_of_builder_hides_the_api_key() {
        let shown = format!("{:?}", builder().api_key("sk_very_secret"));
        assert!(!shown.contains("sk_very_secret"), "{shown}");
    }
}
