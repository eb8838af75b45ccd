//! A Passage emulator: a real HTTP server on loopback that speaks the Management API and issues
//! tokens the way Passage does. Enabled with the `emulator` feature.
//!
//! Start one per test (it binds a free port on `127.0.0.1` and picks a random app id and API
//! key), talk to it with [`Emulator::passage`], a client already configured for it, and shape the
//! world from the test: issue tokens, rotate keys, seed users and devices, inject faults, read the
//! request log.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use passage_identity::emulator::Emulator;
//!
//! let emulator = Emulator::start().await?;
//! let passage = emulator.passage();
//! let created = passage
//!     .raw()
//!     .create_user()
//!     .app_id(passage.app_id())
//!     .body_map(|b| b.email(Some("ada@example.com".to_owned())))
//!     .send()
//!     .await?;
//! let token = emulator.issue_token(&created.user.id)?; // what a signed-in browser would hold
//! assert_eq!(token.split('.').count(), 3);
//! # Ok(()) }
//! ```
//!
//! What it emulates, and how:
//! - the 12 operations of the Management API under `{api_base}/apps/{app_id}`, with Passage's
//!   checks and its error form `{"code": "...", "error": "..."}` (also for malformed JSON, bad
//!   query strings, unknown routes);
//! - listing with pages, filters, ordering and a `created_before` anchor that keeps pages stable
//!   while users are being created;
//! - the JWKS at `{auth_base}/v1/apps/{app_id}/.well-known/jwks.json` and RS256 tokens with
//!   Passage's claims; key rotation;
//! - `POST /emulator/v1/apps/{app_id}/tokens` (behind the API key), which issues a token over
//!   HTTP for tests written in other languages;
//! - faults ([`Fault`]) and a request log ([`RecordedRequest`]) without secrets.

mod access;
mod api_error;
mod app_info;
mod connection;
mod context;
mod extract;
mod faults;
mod keys;
mod listing;
mod log;
mod magic_links;
mod management;
mod redact;
mod server;
mod state;
mod tokens;
mod validation;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use faults::Fault;
pub use keys::{jwks_document, SigningKey};
pub use log::RecordedRequest;
pub use redact::REDACTED;
pub use tokens::TokenOptions;

use context::{Context, Settings};
use keys::KeyRing;
use server::ServerHandle;
use state::{NewUser, UserChanges};

use crate::enums::UserStatus;
use crate::raw::types;
use crate::secret::Secret;
use crate::{ConfigError, Passage, PassageBuilder};

/// How many requests the log keeps by default (the oldest go first).
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 10_000;

/// A failure of the emulator itself (not an emulated API error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// A cryptographic operation failed.
    #[error("emulator crypto failure: {0}")]
    Crypto(&'static str),
    /// The server could not bind or serve.
    #[error("emulator I/O failure")]
    Io(#[from] std::io::Error),
    /// The server could not listen on its address (is the port taken?).
    #[error("the emulator cannot listen on {addr}: is the port in use?")]
    Bind {
        /// The address it tried.
        addr: SocketAddr,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The emulator was started outside a Tokio runtime.
    #[error("the emulator needs a Tokio runtime: start it from within one (e.g. #[tokio::test])")]
    NoRuntime,
    /// A builder setting cannot work.
    #[error("emulator setting {setting}: {reason}")]
    InvalidSetting {
        /// The setting.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The client for the emulator could not be built.
    #[error("the client for the emulator could not be built")]
    Client(#[source] ConfigError),
    /// No user has this id.
    #[error("the emulator has no user {0:?}")]
    UserNotFound(String),
    /// The emulated service turned the input down, as it would over HTTP.
    #[error("the emulator rejected the input ({code}): {message}")]
    Rejected {
        /// Passage's error code, e.g. `invalid_request`.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl From<api_error::ApiError> for EmulatorError {
    fn from(error: api_error::ApiError) -> Self {
        Self::Rejected {
            code: error.code(),
            message: error.message().to_owned(),
        }
    }
}

/// How often a user's refresh tokens were revoked, from
/// [`Emulator::refresh_token_revocations`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshTokenRevocations {
    /// How many times revoke-user-refresh-tokens succeeded for the user.
    pub count: u64,
    /// When it last did.
    pub last_at: Option<SystemTime>,
}

/// Configures an [`Emulator`]; start with [`Emulator::builder`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
/// use std::time::Duration;
/// use passage_identity::emulator::Emulator;
///
/// let emulator = Emulator::builder()
///     .app_id("my_app")
///     .api_key("my_key")
///     .jwks_max_age(Some(Duration::from_secs(300)))
///     .start()
///     .await?;
/// assert_eq!(emulator.app_id(), "my_app");
/// assert_eq!(emulator.api_key(), "my_key");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until .start() is called"]
pub struct EmulatorBuilder {
    port: u16,
    app_id: Option<String>,
    api_key: Option<Secret>,
    jwks_max_age: Option<Duration>,
    log_capacity: Option<usize>,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("port", &self.port)
            .field("app_id", &self.app_id)
            .field("api_key", &self.api_key)
            .field("jwks_max_age", &self.jwks_max_age)
            .field("log_capacity", &self.log_capacity)
            .finish()
    }
}

impl EmulatorBuilder {
    /// The port on `127.0.0.1`. Default: 0, a free port chosen by the system.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::builder().port(0).start().await?;
    /// assert_ne!(emulator.local_addr().port(), 0);
    /// # Ok(()) }
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The app id: letters, digits, `-` and `_`. Default: 24 random letters and digits, like
    /// Passage's.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::builder().app_id("shop").start().await?;
    /// assert!(emulator.jwks_url().ends_with("/v1/apps/shop/.well-known/jwks.json"));
    /// # Ok(()) }
    /// ```
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The API key the Management API accepts: printable ASCII without spaces. Default: a
    /// random one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::builder().api_key("k1").start().await?;
    /// assert_eq!(emulator.api_key(), "k1");
    /// # Ok(()) }
    /// ```
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(api_key));
        self
    }

    /// Serve the JWKS with `Cache-Control: max-age=<seconds>`. Default: no `Cache-Control`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    ///
    /// let emulator = passage_identity::emulator::Emulator::builder()
    ///     .jwks_max_age(Some(Duration::from_secs(60)))
    ///     .start()
    ///     .await?;
    /// let response = reqwest::get(emulator.jwks_url()).await?;
    /// assert_eq!(response.headers()["cache-control"], "max-age=60");
    /// # Ok(()) }
    /// ```
    pub fn jwks_max_age(mut self, max_age: Option<Duration>) -> Self {
        self.jwks_max_age = max_age;
        self
    }

    /// How many requests the log keeps; past it the oldest go (0: the log keeps none). Default:
    /// [`DEFAULT_REQUEST_LOG_CAPACITY`]. Whatever the capacity, the log also lets the oldest go
    /// once it holds 64 MiB of paths, headers and bodies, so large bodies cannot exhaust memory.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::builder()
    ///     .request_log_capacity(1)
    ///     .start()
    ///     .await?;
    /// reqwest::get(emulator.jwks_url()).await?;
    /// reqwest::get(emulator.jwks_url()).await?;
    /// assert_eq!(emulator.requests().len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.log_capacity = Some(capacity);
        self
    }

    /// Binds the port and starts serving in a task of the current Tokio runtime. The server runs
    /// on that runtime: keep it running while the emulator is used (as `#[tokio::test]` does).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use passage_identity::emulator::{Emulator, EmulatorError};
    ///
    /// let error = Emulator::builder().app_id("not/an/id").start().await.unwrap_err();
    /// assert!(matches!(error, EmulatorError::InvalidSetting { setting: "app_id", .. }));
    /// # }
    /// ```
    pub async fn start(self) -> Result<Emulator, EmulatorError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(EmulatorError::NoRuntime);
        }
        let app_id = self.app_id.unwrap_or_else(|| state::random_id(24));
        if app_id.is_empty()
            || !app_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(EmulatorError::InvalidSetting {
                setting: "app_id",
                reason: format!("{app_id:?} must be letters, digits, '-' and '_' only"),
            });
        }
        let api_key = self
            .api_key
            .unwrap_or_else(|| Secret::new(format!("emu_{}", state::random_id(40))));
        let key = api_key.expose();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(EmulatorError::InvalidSetting {
                setting: "api_key",
                reason: "must be printable ASCII without spaces".into(),
            });
        }
        let listener = server::bind(self.port).await?;
        let addr = listener.local_addr()?;
        let settings = Settings::new(app_id, api_key, format!("http://{addr}"), self.jwks_max_age);
        let keys = KeyRing::new(SigningKey::generate()?);
        let ctx = Arc::new(Context::new(
            settings,
            keys,
            self.log_capacity.unwrap_or(DEFAULT_REQUEST_LOG_CAPACITY),
        ));
        let passage = client_builder(&ctx.settings)
            .build()
            .map_err(EmulatorError::Client)?;
        let server = ServerHandle::spawn(listener, server::router(ctx.clone()));
        Ok(Emulator {
            ctx,
            passage,
            addr,
            server: Some(server),
        })
    }
}

fn client_builder(settings: &Settings) -> PassageBuilder {
    Passage::builder(settings.app_id())
        .api_key(settings.api_key())
        .api_base_url(settings.api_base_url())
        .auth_base_url(settings.auth_origin())
}

/// A running Passage emulator. Dropping it stops the server.
///
/// See the [module documentation](self) for what it emulates.
pub struct Emulator {
    ctx: Arc<Context>,
    passage: Passage,
    addr: SocketAddr,
    server: Option<ServerHandle>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("app_id", &self.app_id())
            .field("api_key", &REDACTED)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on a free port of `127.0.0.1`, with a random app id and API key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert!(emulator.api_base_url().starts_with("http://127.0.0.1:"));
    /// assert_eq!(emulator.app_id().len(), 24);
    /// # Ok(()) }
    /// ```
    pub async fn start() -> Result<Emulator, EmulatorError> {
        Self::builder().start().await
    }

    /// Configures an emulator (port, app id, API key, JWKS caching, log size).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::builder().app_id("app").start().await?;
    /// assert_eq!(emulator.app_id(), "app");
    /// # Ok(()) }
    /// ```
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The app id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.passage().app_id(), emulator.app_id());
    /// # Ok(()) }
    /// ```
    pub fn app_id(&self) -> &str {
        self.ctx.settings.app_id()
    }

    /// The API key the Management API accepts (for clients other than
    /// [`Emulator::passage`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let app = format!("{}/apps/{}", emulator.api_base_url(), emulator.app_id());
    /// let response = reqwest::Client::new().get(app).bearer_auth(emulator.api_key()).send().await?;
    /// assert_eq!(response.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn api_key(&self) -> &str {
        self.ctx.settings.api_key()
    }

    /// The address the server listens on (always on `127.0.0.1`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert!(emulator.local_addr().ip().is_loopback());
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Management API base URL, `http://127.0.0.1:PORT/v1`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.api_base_url(), format!("{}/v1", emulator.auth_base_url()));
    /// # Ok(()) }
    /// ```
    pub fn api_base_url(&self) -> String {
        self.ctx.settings.api_base_url()
    }

    /// The auth base URL, `http://127.0.0.1:PORT`; also the app's auth origin in tokens' `aud`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.auth_base_url(), format!("http://{}", emulator.local_addr()));
    /// # Ok(()) }
    /// ```
    pub fn auth_base_url(&self) -> String {
        self.ctx.settings.auth_origin().to_owned()
    }

    /// Where the JWKS is served: `{auth_base}/v1/apps/{app_id}/.well-known/jwks.json`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.jwks_url(), emulator.passage().jwks_url());
    /// # Ok(()) }
    /// ```
    pub fn jwks_url(&self) -> String {
        self.ctx.settings.jwks_url()
    }

    /// The `iss` of the tokens: `{auth_base}/v1/apps/{app_id}`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.issuer(), emulator.passage().issuer());
    /// # Ok(()) }
    /// ```
    pub fn issuer(&self) -> String {
        self.ctx.settings.issuer()
    }

    /// A client configured for this emulator, with default settings otherwise.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let passage = emulator.passage();
    /// let app = passage.raw().get_app().app_id(passage.app_id()).send().await?;
    /// assert_eq!(app.app.id, emulator.app_id());
    /// # Ok(()) }
    /// ```
    pub fn passage(&self) -> &Passage {
        &self.passage
    }

    /// A client builder filled in for this emulator (app id, API key, both base URLs), for
    /// custom settings such as retries or timeouts.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use passage_identity::RetryPolicy;
    ///
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let no_retries = emulator.passage_builder().retry(RetryPolicy::disabled()).build()?;
    /// assert_eq!(no_retries.api_base_url(), emulator.passage().api_base_url());
    /// # Ok(()) }
    /// ```
    pub fn passage_builder(&self) -> PassageBuilder {
        client_builder(&self.ctx.settings)
    }

    /// A token for `user_id`, as Passage would issue it on sign-in: valid from now for one hour,
    /// signed by the current key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let token = emulator.issue_token("user_1")?;
    /// let header = jsonwebtoken::decode_header(&token).unwrap();
    /// assert_eq!(header.kid, Some(emulator.signing_kids()[0].clone()));
    /// # Ok(()) }
    /// ```
    pub fn issue_token(&self, user_id: &str) -> Result<String, EmulatorError> {
        self.issue_token_with(user_id, TokenOptions::default())
    }

    /// A token for `user_id` shaped by `options` (expired, not yet valid, another audience or
    /// issuer, unknown `kid`, extra or missing claims...). See [`TokenOptions`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let token = emulator.issue_token_with("user_1", TokenOptions::default().kid("retired"))?;
    /// let header = jsonwebtoken::decode_header(&token).unwrap();
    /// assert_eq!(header.kid.as_deref(), Some("retired"));
    /// # Ok(()) }
    /// ```
    pub fn issue_token_with(
        &self,
        user_id: &str,
        options: TokenOptions,
    ) -> Result<String, EmulatorError> {
        tokens::issue(&self.ctx.settings, &self.ctx.keys, user_id, &options)
    }

    /// Adds a new signing key, which signs from now on. The previous keys stay in the JWKS if
    /// `keep_old`, else they are removed (tokens they signed no longer verify).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let before = emulator.signing_kids();
    /// emulator.rotate_keys(true)?;
    /// assert_eq!(emulator.signing_kids()[1..], before[..]);
    /// emulator.rotate_keys(false)?;
    /// assert_eq!(emulator.signing_kids().len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn rotate_keys(&self, keep_old: bool) -> Result<(), EmulatorError> {
        let key = SigningKey::generate()?;
        self.ctx.keys.rotate(key, keep_old);
        Ok(())
    }

    /// The key ids in the JWKS, newest (the signing key) first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.signing_kids().len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn signing_kids(&self) -> Vec<String> {
        self.ctx.keys.kids()
    }

    /// The JWKS document as served.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.jwks()["keys"][0]["kid"], emulator.signing_kids()[0]);
    /// # Ok(()) }
    /// ```
    pub fn jwks(&self) -> serde_json::Value {
        self.ctx.keys.jwks()
    }

    /// Queues a fault for the next matching requests. See [`Fault`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::on(Method::GET, &emulator.jwks_url()).status(StatusCode::BAD_GATEWAY));
    /// assert_eq!(reqwest::get(emulator.jwks_url()).await?.status(), 502);
    /// assert_eq!(reqwest::get(emulator.jwks_url()).await?.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn inject_fault(&self, fault: Fault) {
        self.ctx.faults.push(fault);
    }

    /// How many injected faults are not used up yet.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::any_method("/v1").drop_connection());
    /// assert_eq!(emulator.pending_faults(), 1);
    /// # Ok(()) }
    /// ```
    pub fn pending_faults(&self) -> usize {
        self.ctx.faults.pending()
    }

    /// Removes every fault not used up yet.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::any_method("/v1").drop_connection().times(5));
    /// emulator.clear_faults();
    /// assert_eq!(emulator.pending_faults(), 0);
    /// # Ok(()) }
    /// ```
    pub fn clear_faults(&self) {
        self.ctx.faults.clear();
    }

    /// The request log, oldest first, without secrets. See [`RecordedRequest`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let passage = emulator.passage();
    /// passage.raw().get_app().app_id(passage.app_id()).send().await?;
    /// let log = emulator.requests();
    /// assert_eq!(log[0].path, format!("/v1/apps/{}", emulator.app_id()));
    /// assert_eq!(log[0].status, 200);
    /// assert_eq!(log[0].headers["authorization"], "[redacted]");
    /// # Ok(()) }
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.ctx.log.snapshot()
    }

    /// Empties the request log.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// reqwest::get(emulator.jwks_url()).await?;
    /// emulator.clear_requests();
    /// assert!(emulator.requests().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn clear_requests(&self) {
        self.ctx.log.clear();
    }

    /// Registers a passkey for a user, as signing up with a Passage element would.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let device = emulator.add_device(&user.id, "Ada's laptop")?;
    /// assert_eq!(device.friendly_name, "Ada's laptop");
    /// assert!(emulator.user(&user.id)?.webauthn);
    /// # Ok(()) }
    /// ```
    pub fn add_device(
        &self,
        user_id: &str,
        friendly_name: &str,
    ) -> Result<types::WebAuthnDevice, EmulatorError> {
        self.ctx
            .store()
            .add_device(user_id, friendly_name, state::now())
            .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))
    }

    /// Creates an active user without HTTP (no request is logged), with the checks of
    /// create-user: an email or an E.164 phone (or both), neither taken.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("Ada@Example.com"), Some("+15551234567"))?;
    /// assert_eq!(user.email, "ada@example.com");
    /// assert_eq!(user.id.len(), 24);
    /// assert!(emulator.create_user_directly(Some("ada@example.com"), None).is_err());
    /// # Ok(()) }
    /// ```
    pub fn create_user_directly(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<types::PassageUser, EmulatorError> {
        let new = NewUser {
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            user_metadata: None,
            status: UserStatus::Active,
        };
        Ok(self
            .ctx
            .store()
            .create_user(new, state::now())?
            .to_passage_user())
    }

    /// Changes a user's email, phone or metadata without HTTP, with the checks of update-user
    /// (`Some("")` clears an email or phone as long as the other remains).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let user = emulator.update_user_directly(&user.id, None, Some("+15551234567"), None)?;
    /// assert_eq!(user.phone, "+15551234567");
    /// # Ok(()) }
    /// ```
    pub fn update_user_directly(
        &self,
        user_id: &str,
        email: Option<&str>,
        phone: Option<&str>,
        user_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<types::PassageUser, EmulatorError> {
        let changes = UserChanges {
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            user_metadata,
        };
        let mut store = self.ctx.store();
        store
            .user(user_id)
            .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))?;
        Ok(store
            .update_user(user_id, changes, state::now())?
            .to_passage_user())
    }

    /// The user `user_id` as get-user would return it, read without HTTP.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(None, Some("+15551234567"))?;
    /// assert_eq!(emulator.user(&user.id)?, user);
    /// assert!(emulator.user("nobody").is_err());
    /// # Ok(()) }
    /// ```
    pub fn user(&self, user_id: &str) -> Result<types::PassageUser, EmulatorError> {
        self.ctx
            .store()
            .user(user_id)
            .map(|u| u.to_passage_user())
            .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))
    }

    /// How many users the app has.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// assert_eq!(emulator.user_count(), 1);
    /// # Ok(()) }
    /// ```
    pub fn user_count(&self) -> usize {
        self.ctx.store().users().count()
    }

    /// Records a sign-in of the user, as Passage would when they log in: `login_count` goes up
    /// and `last_login_at` becomes now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// assert_eq!(emulator.record_login(&user.id)?.login_count, 1);
    /// # Ok(()) }
    /// ```
    pub fn record_login(&self, user_id: &str) -> Result<types::PassageUser, EmulatorError> {
        self.ctx
            .store()
            .record_login(user_id, state::now())
            .map(|u| u.to_passage_user())
            .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))
    }

    /// How often the user's refresh tokens were revoked (revoke-user-refresh-tokens), and when
    /// last.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let passage = emulator.passage();
    /// passage.raw().revoke_user_refresh_tokens().app_id(passage.app_id()).user_id(&user.id).send().await?;
    /// assert_eq!(emulator.refresh_token_revocations(&user.id)?.count, 1);
    /// # Ok(()) }
    /// ```
    pub fn refresh_token_revocations(
        &self,
        user_id: &str,
    ) -> Result<RefreshTokenRevocations, EmulatorError> {
        let store = self.ctx.store();
        let user = store
            .user(user_id)
            .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))?;
        Ok(RefreshTokenRevocations {
            count: user.revocations.count,
            last_at: user.revocations.last_at.map(SystemTime::from),
        })
    }

    /// The magic links created so far, oldest first (nothing is sent: read the link here).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let passage = emulator.passage();
    /// passage
    ///     .raw()
    ///     .create_magic_link()
    ///     .app_id(passage.app_id())
    ///     .body_map(|b| b.email(Some("ada@example.com".to_owned())).send(Some(true)))
    ///     .send()
    ///     .await?;
    /// assert_eq!(emulator.magic_links()[0].identifier, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn magic_links(&self) -> Vec<types::MagicLink> {
        self.ctx.store().magic_links().to_vec()
    }

    /// Stops the server: no new connections, requests in flight finish (up to a few seconds).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let addr = emulator.local_addr();
    /// emulator.shutdown().await;
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}
