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
//! - faults ([`Fault`]) and a request log ([`RecordedRequest`]) without secrets;
//! - a control API under `/emulator/v1/apps/{app_id}` (behind the API key) that does over HTTP
//!   what this handle does, for tests written in other languages: tokens, keys, seeded users,
//!   devices, sign-ins, faults, the request log, magic links, reset and saved state (documented
//!   in `openapi/emulator-control.yaml`);
//! - saved state ([`EmulatorState`], [`EmulatorBuilder::state_file`]): the app id, API key,
//!   signing keys, users and magic links kept across restarts, for local development;
//! - a sign-in page for local development, `GET {auth_base}/emulator/sign-in?redirect_to=URL`,
//!   that sets the `psg_auth_token` cookie for a user picked in the browser (no API key).

// The layout, by role:
// - `http/`: the server: router and serving, connections a fault can cut, the API key check,
//   and the outer layers that apply the test controls;
// - `api/`: the handlers: the Management API, magic links, app info, the JWKS, `control/`, the
//   emulator's own control API, and the sign-in page;
// - `store/`: what the emulated app holds, the rules its input is checked by, its listing rules,
//   seeded users and the store as saved state;
// - `state/`: the app as saved state (`EmulatorState`) and the state file;
// - `actions.rs`: what the handle and the control API both do, once;
// - `controls/`: the test controls: faults, the request log, what the log redacts;
// - `keys.rs`, `tokens.rs`: signing keys and token issuing;
// - `settings.rs`: the emulated app; `context.rs`: what the requests and the handle share;
// - `extract.rs`: reading requests (paths, queries, bodies) into Passage's error form, for the
//   server's checks and the handlers alike; `rejection.rs`: the emulated service's error answer;
//   `error.rs`: the emulator's own errors;
// - here, `direct.rs` and `builder.rs`: the public handle, its direct access to the store, and
//   its builder.
mod actions;
mod api;
mod builder;
mod context;
mod controls;
mod direct;
mod error;
mod extract;
mod http;
mod keys;
mod rejection;
mod settings;
mod state;
mod store;
mod tokens;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

pub use builder::{DEFAULT_REQUEST_LOG_CAPACITY, EmulatorBuilder};
pub use controls::faults::Fault;
pub use controls::log::RecordedRequest;
pub use controls::redact::REDACTED;
pub use direct::{RefreshTokenRevocations, SignIn};
pub use error::EmulatorError;
pub use keys::{SigningKey, jwks_document};
pub use state::{EmulatorState, STATE_VERSION};
pub use store::{SentMagicLink, UserSeed};
pub use tokens::TokenOptions;

use context::Context;
use http::ServerHandle;

use crate::{Passage, PassageBuilder};

/// A running Passage emulator. Dropping it stops the server in the background (the port is
/// free once the runtime has run the server's task); [`Emulator::shutdown`] waits for it.
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

    /// The address the server listens on (on `127.0.0.1` unless
    /// [`EmulatorBuilder::bind_address`] says otherwise).
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
        self.ctx.settings.passage_builder()
    }

    /// A token for `user_id`, as Passage would issue it on sign-in: valid from now for one hour,
    /// signed by the current key. For a user of the app it is a sign-in, recorded as
    /// [`Emulator::record_login`] does; any other subject just gets the token.
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
        tokens::issue_on_sign_in(&self.ctx, user_id, &TokenOptions::default(), None)
    }

    /// A token for `user_id` shaped by `options` (expired, not yet valid, another audience or
    /// issuer, unknown `kid`, extra or missing claims...). See [`TokenOptions`]. A shaped token
    /// is not a sign-in: nothing is recorded for the user.
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
        self.ctx.rotate_keys(keep_old)
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

    /// Stops the server and waits for it: the port is closed and idle connections too; requests
    /// in flight are waited for up to 5 seconds, then left to finish on their own. With a
    /// [state file](EmulatorBuilder::state_file), then writes it; a failure to is logged (with
    /// `tracing`): [`Emulator::shutdown_and_save`] returns it instead.
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
    pub async fn shutdown(self) {
        if let Err(error) = self.shutdown_and_save().await {
            tracing::error!(%error, "the Passage emulator could not save its state");
        }
    }

    /// Stops the server as [`Emulator::shutdown`] does, then writes the state file if there is
    /// one, and says whether that worked.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// emulator.shutdown_and_save().await?; // no state file: nothing to write
    /// # Ok(()) }
    /// ```
    pub async fn shutdown_and_save(mut self) -> Result<(), EmulatorError> {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        match self.ctx.save_state() {
            Err(EmulatorError::NoStateFile) => Ok(()),
            other => other.map(|_| ()),
        }
    }
}
