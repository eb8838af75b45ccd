//! What authentication can be configured with: where the token comes from, the defaults and the
//! bounds of every setting. The builder methods that set them are on
//! [`PassageBuilder`](crate::PassageBuilder).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The public auth base URL, the default of
/// [`PassageBuilder::auth_base_url`](crate::PassageBuilder::auth_base_url): tokens are issued by
/// `{auth_base}/v1/apps/{app_id}`, whose JWKS is under `/.well-known/jwks.json`.
pub const DEFAULT_AUTH_BASE_URL: &str = "https://auth.passage.id";
/// The default clock leeway for `exp` and `nbf`: none, like the vendor SDKs.
pub const DEFAULT_LEEWAY: Duration = Duration::ZERO;
/// The default size limit of a token, see [`PassageBuilder::max_token_size`](crate::PassageBuilder::max_token_size).
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;
/// The default minimum time between two key set fetches caused by unknown key ids, see
/// [`PassageBuilder::jwks_cooldown`](crate::PassageBuilder::jwks_cooldown).
pub const DEFAULT_JWKS_COOLDOWN: Duration = Duration::from_secs(30);
/// The default time after which the key set is refreshed, see [`PassageBuilder::jwks_max_age`](crate::PassageBuilder::jwks_max_age).
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// The default timeout of one key set fetch, see [`PassageBuilder::jwks_timeout`](crate::PassageBuilder::jwks_timeout).
pub const DEFAULT_JWKS_TIMEOUT: Duration = Duration::from_secs(5);
/// The default time past its max age that a key set which cannot be refreshed is still used,
/// see [`PassageBuilder::jwks_max_stale`](crate::PassageBuilder::jwks_max_stale).
pub const DEFAULT_JWKS_MAX_STALE: Duration = Duration::from_secs(60 * 60);
/// The default number of verified tokens remembered, see
/// [`PassageBuilder::token_cache_capacity`](crate::PassageBuilder::token_cache_capacity).
pub const DEFAULT_TOKEN_CACHE_CAPACITY: usize = 10_000;
/// The default memory the verified-token cache may use, in bytes, see
/// [`PassageBuilder::token_cache_max_bytes`](crate::PassageBuilder::token_cache_max_bytes).
pub const DEFAULT_TOKEN_CACHE_MAX_BYTES: usize = 4 * 1024 * 1024;
/// The largest key set response accepted, in bytes.
pub const MAX_JWKS_SIZE: usize = 64 * 1024;

const MAX_LEEWAY: Duration = Duration::from_secs(60 * 60);
const MIN_TOKEN_SIZE: usize = 512;
const MAX_TOKEN_SIZE: usize = 1024 * 1024;
const MAX_TOKEN_CACHE_CAPACITY: usize = 10_000_000;
const MIN_TOKEN_CACHE_MAX_BYTES: usize = 64 * 1024;
const MAX_TOKEN_CACHE_MAX_BYTES: usize = 1024 * 1024 * 1024;

/// The wall clock tokens are judged by (`exp`, `nbf`).
#[derive(Clone, Default)]
pub(crate) struct Clock(Option<Arc<dyn Fn() -> SystemTime + Send + Sync>>);

impl Clock {
    pub(crate) fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(now)))
    }

    pub(crate) fn now(&self) -> SystemTime {
        match &self.0 {
            Some(now) => now(),
            None => SystemTime::now(),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Clock(custom)"
        } else {
            "Clock(system)"
        })
    }
}

/// Authentication settings collected by the builder.
#[derive(Clone, Debug)]
pub(crate) struct AuthSettings {
    pub(crate) strategy: AuthStrategy,
    pub(crate) leeway: Duration,
    pub(crate) extra_audiences: Vec<String>,
    pub(crate) max_token_size: usize,
    pub(crate) jwks_cooldown: Duration,
    pub(crate) jwks_max_age: Duration,
    pub(crate) jwks_timeout: Duration,
    pub(crate) jwks_max_stale: Duration,
    pub(crate) jwks_json: Option<String>,
    /// Verified tokens remembered; zero turns the cache off.
    pub(crate) token_cache_capacity: usize,
    pub(crate) token_cache_max_bytes: usize,
    pub(crate) clock: Clock,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            strategy: AuthStrategy::default(),
            leeway: DEFAULT_LEEWAY,
            extra_audiences: Vec::new(),
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
            jwks_cooldown: DEFAULT_JWKS_COOLDOWN,
            jwks_max_age: DEFAULT_JWKS_MAX_AGE,
            jwks_timeout: DEFAULT_JWKS_TIMEOUT,
            jwks_max_stale: DEFAULT_JWKS_MAX_STALE,
            jwks_json: None,
            token_cache_capacity: DEFAULT_TOKEN_CACHE_CAPACITY,
            token_cache_max_bytes: DEFAULT_TOKEN_CACHE_MAX_BYTES,
            clock: Clock::default(),
        }
    }
}

impl AuthSettings {
    /// Checks the bounds of every setting.
    pub(crate) fn check(&self) -> Result<(), OutOfBounds> {
        let invalid = |setting, reason| Err(OutOfBounds { setting, reason });
        if self.leeway > MAX_LEEWAY {
            return invalid(
                "leeway",
                "must be at most one hour: a larger leeway accepts long-expired tokens",
            );
        }
        if !(MIN_TOKEN_SIZE..=MAX_TOKEN_SIZE).contains(&self.max_token_size) {
            return invalid("max_token_size", "must be between 512 bytes and 1 MiB");
        }
        if self.extra_audiences.iter().any(|a| a.trim().is_empty()) {
            return invalid("accept_audience", "an audience must not be empty");
        }
        if self.jwks_max_age.is_zero() {
            return invalid("jwks_max_age", "must be greater than zero");
        }
        if self.jwks_timeout.is_zero() {
            return invalid("jwks_timeout", "must be greater than zero");
        }
        if self.token_cache_capacity > MAX_TOKEN_CACHE_CAPACITY {
            return invalid("token_cache_capacity", "must be at most 10,000,000 tokens");
        }
        if !(MIN_TOKEN_CACHE_MAX_BYTES..=MAX_TOKEN_CACHE_MAX_BYTES)
            .contains(&self.token_cache_max_bytes)
        {
            return invalid("token_cache_max_bytes", "must be between 64 KiB and 1 GiB");
        }
        Ok(())
    }
}

/// A setting outside its bounds: which one, and why (the builder reports it as a
/// [`ConfigError`](crate::ConfigError)).
#[derive(Debug)]
pub(crate) struct OutOfBounds {
    pub(crate) setting: &'static str,
    pub(crate) reason: &'static str,
}

/// Where [`Passage::authenticate_request`](crate::Passage::authenticate_request) looks for the
/// token. Set with [`PassageBuilder::auth_strategy`](crate::PassageBuilder::auth_strategy).
///
/// The vendor SDKs offered `Cookie` (their default) and `Header`, with no fallback between them.
/// `HeaderOrCookie` serves a browser app and API clients with one server.
///
/// ```
/// use passage_identity::{AuthStrategy, Passage};
///
/// let passage = Passage::builder("my-app-id")
///     .auth_strategy(AuthStrategy::Header)
///     .build()?;
/// # let _ = passage;
/// # Ok::<(), passage_identity::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthStrategy {
    /// The `psg_auth_token` cookie, as set by Passage elements in the browser. The default.
    #[default]
    Cookie,
    /// The `Authorization: Bearer <token>` header, as sent by native apps and API clients.
    Header,
    /// The `Authorization` header when the request has one, else the `psg_auth_token` cookie.
    /// When an `Authorization` header is present it alone decides: a bad one is an error even if
    /// the cookie holds a good token.
    HeaderOrCookie,
}

impl fmt::Display for AuthStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cookie => "expected the psg_auth_token cookie",
            Self::Header => "expected an Authorization: Bearer header",
            Self::HeaderOrCookie => {
                "expected an Authorization: Bearer header or the psg_auth_token cookie"
            }
        })
    }
}
