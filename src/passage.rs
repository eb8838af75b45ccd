//! The [`Passage`] value: one per app, cheap to clone, shared across tasks.

use std::fmt;
use std::sync::Arc;

use crate::config::{Config, ConfigError, PassageBuilder};
use crate::raw;

/// The entry point: authenticates requests and manages the users of one Passage app.
///
/// Build one at start-up and share it: it is `Clone + Send + Sync`, and clones share one HTTP
/// connection pool and one key cache.
///
/// ```
/// use passage_identity::Passage;
///
/// let passage = Passage::new("my-app-id", "my-api-key")?;
/// let for_a_task = passage.clone(); // cheap: an `Arc` inside
/// assert_eq!(for_a_task.app_id(), "my-app-id");
/// // The key never shows:
/// assert!(!format!("{passage:?}").contains("my-api-key"));
/// # Ok::<(), passage_identity::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Passage {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) raw: raw::Client,
    pub(crate) auth: crate::auth::Authenticator,
}

impl Passage {
    /// Starts configuring a client for the app `app_id`.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id")
    ///     .api_key("my-api-key")
    ///     .build()?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn builder(app_id: impl Into<String>) -> PassageBuilder {
        PassageBuilder::new(app_id)
    }

    /// A client for `app_id` with an API key and every other setting at its default.
    ///
    /// ```
    /// let passage = passage_identity::Passage::new("my-app-id", "my-api-key")?;
    /// # let _ = passage;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn new(app_id: impl Into<String>, api_key: impl Into<String>) -> Result<Self, ConfigError> {
        Self::builder(app_id).api_key(api_key).build()
    }

    pub(crate) fn from_config(config: Config) -> Result<Self, ConfigError> {
        let http = crate::transport::http_client(&config)?;
        let raw = crate::transport::raw_client(&config, http.clone());
        let auth = crate::auth::Authenticator::new(&config, http)?;
        Ok(Self {
            inner: Arc::new(Inner { config, raw, auth }),
        })
    }

    /// The app id.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// assert_eq!(passage.app_id(), "my-app-id");
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn app_id(&self) -> &str {
        &self.inner.config.app_id
    }

    /// The Management API base URL in use, without a trailing `/`.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// assert_eq!(passage.api_base_url(), "https://api.passage.id/v1");
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn api_base_url(&self) -> &str {
        self.inner
            .config
            .api_base_url
            .as_str()
            .trim_end_matches('/')
    }

    /// The auth base URL in use, without a trailing `/`.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// assert_eq!(passage.auth_base_url(), "https://auth.passage.id");
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn auth_base_url(&self) -> &str {
        // A URL without a path is written with `/`; the setting (and its default) has none.
        self.inner
            .config
            .auth_base_url
            .as_str()
            .trim_end_matches('/')
    }

    /// Where the app's signing keys (JWKS) are fetched from.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// assert_eq!(
    ///     passage.jwks_url(),
    ///     "https://auth.passage.id/v1/apps/my-app-id/.well-known/jwks.json"
    /// );
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn jwks_url(&self) -> &str {
        self.inner.config.jwks_url.as_str()
    }

    /// The `iss` claim tokens must carry.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// assert_eq!(passage.issuer(), "https://auth.passage.id/v1/apps/my-app-id");
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn issuer(&self) -> &str {
        &self.inner.config.issuer
    }

    /// Whether an API key is configured (management calls need one).
    ///
    /// ```
    /// let verifier_only = passage_identity::Passage::builder("my-app-id").build()?;
    /// assert!(!verifier_only.has_api_key());
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn has_api_key(&self) -> bool {
        self.inner.config.api_key.is_some()
    }

    /// The generated low-level client, for endpoints the facade does not cover. It sends the API
    /// key, a request id, and retries idempotent calls like the facade does. Every operation
    /// takes the app id: pass [`Passage::app_id`].
    ///
    /// Unlike the facade, it checks nothing locally: path parameters are percent-encoded but
    /// `.`/`..` segments and `\` are sent as given, so never pass an id you have not checked.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), Box<dyn std::error::Error>> {
    /// let user = passage.raw().get_user().app_id(passage.app_id()).user_id("abc").send().await?;
    /// println!("{}", user.user.email);
    /// # Ok(()) }
    /// ```
    pub fn raw(&self) -> &raw::Client {
        &self.inner.raw
    }
}

impl fmt::Debug for Passage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner.config;
        f.debug_struct("Passage")
            .field("app_id", &config.app_id)
            .field("api_key", &config.api_key.as_ref().map(|_| "[redacted]"))
            .field("api_base_url", &config.api_base_url.as_str())
            .field("jwks_url", &config.jwks_url.as_str())
            .field("issuer", &config.issuer)
            .finish_non_exhaustive()
    }
}
