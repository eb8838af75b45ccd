//! The authentication options of [`PassageBuilder`], their defaults and their bounds.

use std::time::Duration;

use crate::config::{ConfigError, PassageBuilder};

use super::extract::AuthStrategy;

/// The default clock leeway for `exp` and `nbf`: none, like the vendor SDKs.
pub const DEFAULT_LEEWAY: Duration = Duration::ZERO;
/// The default size limit of a token, see [`PassageBuilder::max_token_size`].
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;
/// The default minimum time between two key set fetches caused by unknown key ids, see
/// [`PassageBuilder::jwks_cooldown`].
pub const DEFAULT_JWKS_COOLDOWN: Duration = Duration::from_secs(30);
/// The default time after which the key set is refreshed, see [`PassageBuilder::jwks_max_age`].
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// The default timeout of one key set fetch, see [`PassageBuilder::jwks_timeout`].
pub const DEFAULT_JWKS_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest key set response accepted, in bytes.
pub const MAX_JWKS_SIZE: usize = 64 * 1024;

const MAX_LEEWAY: Duration = Duration::from_secs(60 * 60);
const MIN_TOKEN_SIZE: usize = 512;
const MAX_TOKEN_SIZE: usize = 1024 * 1024;

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
    pub(crate) jwks_json: Option<String>,
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
            jwks_json: None,
        }
    }
}

impl AuthSettings {
    /// Checks the bounds of every setting.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let invalid = |setting, reason: &str| {
            Err(ConfigError::InvalidSetting {
                setting,
                reason: reason.to_owned(),
            })
        };
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
        Ok(())
    }
}

/// Options for authenticating requests.
impl PassageBuilder {
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
    /// ([`DEFAULT_LEEWAY`]). At most one hour.
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
    /// [`DEFAULT_MAX_TOKEN_SIZE`] (8 KiB); between 512 bytes and 1 MiB.
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
    /// [`DEFAULT_JWKS_COOLDOWN`] (30 s). Zero refetches on every unknown `kid` (concurrent
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
    /// honoured, down to the cooldown. Default: [`DEFAULT_JWKS_MAX_AGE`] (10 minutes).
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
    /// Default: [`DEFAULT_JWKS_TIMEOUT`] (5 s).
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
}
