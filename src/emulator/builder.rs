//! Configuring and starting an emulator: address, port, app id, API key, JWKS caching, log size,
//! and the saved state it starts from.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::Emulator;
use super::context::Context;
use super::error::EmulatorError;
use super::http::{self, ServerHandle};
use super::keys::{KeyRing, SigningKey};
use super::settings::Settings;
use super::state::{CheckedState, EmulatorState, file};
use super::store::{self, Store};
use crate::secret::Secret;

/// How many requests the log keeps by default (the oldest go first); see
/// [`EmulatorBuilder::request_log_capacity`].
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 10_000;

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
// `Debug` shows every setting; the API key shows as `[redacted]` (its `Secret` type's own
// `Debug`).
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until .start() is called"]
pub struct EmulatorBuilder {
    bind_address: Option<IpAddr>,
    port: u16,
    app_id: Option<String>,
    api_key: Option<Secret>,
    jwks_max_age: Option<Duration>,
    log_capacity: Option<usize>,
    state: Option<EmulatorState>,
    state_file: Option<PathBuf>,
}

impl EmulatorBuilder {
    /// The port (on `127.0.0.1` unless [`bind_address`](Self::bind_address) says otherwise).
    /// Default: 0, a free port chosen by the system.
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

    /// The IP address to listen on. Default: `127.0.0.1`. The emulator has no real security:
    /// anyone who can reach a non-loopback address can read and change every user and mint
    /// tokens.
    ///
    /// The URLs ([`auth_base_url`](Emulator::auth_base_url) and the others, and so the tokens'
    /// `iss` and `aud`) name this address, except that an unspecified one (`0.0.0.0`, `::`),
    /// which listens on every interface, is named by loopback (`127.0.0.1`, `[::1]`): few
    /// clients can connect to `0.0.0.0`. [`local_addr`](Emulator::local_addr) is the address as
    /// bound.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::net::Ipv4Addr;
    ///
    /// let emulator = passage_identity::emulator::Emulator::builder()
    ///     .bind_address(Ipv4Addr::UNSPECIFIED.into())
    ///     .start()
    ///     .await?;
    /// assert!(emulator.local_addr().ip().is_unspecified());
    /// let port = emulator.local_addr().port();
    /// assert_eq!(emulator.auth_base_url(), format!("http://127.0.0.1:{port}"));
    /// # Ok(()) }
    /// ```
    pub fn bind_address(mut self, address: IpAddr) -> Self {
        self.bind_address = Some(address);
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

    /// Starts from a saved state (see [`EmulatorState`]): its app id, API key, signing keys,
    /// users, devices and magic links. An [`app_id`](Self::app_id) or [`api_key`](Self::api_key)
    /// also set must be the state's.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::emulator::Emulator;
    ///
    /// let first = Emulator::start().await?;
    /// let token = first.issue_token("user_1")?;
    /// let state = first.export_state();
    /// first.shutdown().await;
    /// let second = Emulator::builder().state(state).start().await?;
    /// assert_eq!(second.signing_kids()[0], jsonwebtoken::decode_header(&token).unwrap().kid.unwrap());
    /// # Ok(()) }
    /// ```
    pub fn state(mut self, state: EmulatorState) -> Self {
        self.state = Some(state);
        self
    }

    /// Keeps the app in a file: when `path` exists the emulator starts from the state it holds
    /// (else from [`state`](Self::state), or fresh), and it writes its state there at start,
    /// on [`Emulator::save_state`] (`POST /emulator/v1/apps/{app_id}/state/save` over HTTP)
    /// and on [`Emulator::shutdown`]. Writes are atomic: a temporary file in the same
    /// directory, then renamed over `path`; on Unix the file is readable by its owner only.
    ///
    /// A file that holds no valid state of this version fails the start with
    /// [`EmulatorError::InvalidState`] and is left as it was. The file holds the API key and
    /// the private signing keys: keep it out of version control and never share it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use passage_identity::emulator::Emulator;
    ///
    /// let path = std::env::temp_dir().join(format!("doc-state-{}.json", std::process::id()));
    /// let first = Emulator::builder().state_file(&path).start().await?;
    /// let user = first.create_user_directly(Some("ada@example.com"), None)?;
    /// let app_id = first.app_id().to_owned();
    /// first.shutdown().await; // writes the file
    ///
    /// let second = Emulator::builder().state_file(&path).start().await?;
    /// assert_eq!(second.app_id(), app_id);
    /// assert_eq!(second.user(&user.id)?.email, "ada@example.com");
    /// # second.shutdown().await;
    /// # std::fs::remove_file(&path)?;
    /// # Ok(()) }
    /// ```
    ///
    /// [`Emulator::save_state`]: crate::emulator::Emulator::save_state
    /// [`Emulator::shutdown`]: crate::emulator::Emulator::shutdown
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
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
        let restored = self.restored_state()?;
        let (app_id, api_key, created_at, keys, store) = match restored {
            Some(state) => (
                state.app_id,
                state.api_key,
                Some(state.app_created_at),
                state.keys,
                state.store,
            ),
            None => {
                let app_id = self.app_id.unwrap_or_else(|| store::random_id(24));
                if let Some(reason) = app_id_problem(&app_id) {
                    return Err(EmulatorError::InvalidSetting {
                        setting: "app_id",
                        reason: format!("{app_id:?} {reason}"),
                    });
                }
                let api_key = self
                    .api_key
                    .unwrap_or_else(|| Secret::new(format!("emu_{}", store::random_id(40))));
                if let Some(reason) = api_key_problem(api_key.expose()) {
                    return Err(EmulatorError::InvalidSetting {
                        setting: "api_key",
                        reason: reason.into(),
                    });
                }
                (
                    app_id,
                    api_key,
                    None,
                    vec![SigningKey::generate()?],
                    Store::default(),
                )
            }
        };
        let ip = self.bind_address.unwrap_or(Ipv4Addr::LOCALHOST.into());
        let listener = http::bind(SocketAddr::new(ip, self.port)).await?;
        let addr = listener.local_addr()?;
        let origin = format!("http://{}", url_address(addr));
        let mut settings = Settings::new(app_id, api_key, origin, self.jwks_max_age);
        if let Some(created_at) = created_at {
            settings = settings.with_created_at(created_at);
        }
        let Some(signing) = keys.first().cloned() else {
            return Err(EmulatorError::Crypto("no signing key"));
        };
        let ring = KeyRing::new(signing);
        ring.replace(keys);
        let ctx = Arc::new(Context::new(
            settings,
            ring,
            store,
            self.log_capacity.unwrap_or(DEFAULT_REQUEST_LOG_CAPACITY),
            self.state_file,
        ));
        // At once, so that the app survives even a crash, and a file that cannot be written
        // fails the start rather than the shutdown.
        if ctx.state_file.is_some() {
            ctx.save_state()?;
        }
        let passage = ctx
            .settings
            .passage_builder()
            .build()
            .map_err(EmulatorError::Client)?;
        let server = ServerHandle::spawn(listener, http::router(ctx.clone()));
        Ok(Emulator {
            ctx,
            passage,
            addr,
            server: Some(server),
        })
    }
}

impl EmulatorBuilder {
    /// The state to start from: the state file's when it exists, else the one given, checked
    /// against the app id and API key also set.
    fn restored_state(&self) -> Result<Option<CheckedState>, EmulatorError> {
        let (state, origin) = match &self.state_file {
            Some(path) => match file::read(path)? {
                Some(state) => (state, format!("the state file {}", path.display())),
                None => match &self.state {
                    Some(state) => (state.clone(), "the state".to_owned()),
                    None => return Ok(None),
                },
            },
            None => match &self.state {
                Some(state) => (state.clone(), "the state".to_owned()),
                None => return Ok(None),
            },
        };
        let invalid = |reason: String| EmulatorError::InvalidState {
            origin: origin.clone(),
            reason,
        };
        let checked = state.check().map_err(invalid)?;
        if let Some(app_id) = self.app_id.as_deref().filter(|id| *id != checked.app_id) {
            return Err(invalid(format!(
                "it holds app {:?}, not the app id {app_id:?} asked for",
                checked.app_id
            )));
        }
        if self
            .api_key
            .as_ref()
            .is_some_and(|key| *key != checked.api_key)
        {
            return Err(invalid(
                "it holds another API key than the one asked for".to_owned(),
            ));
        }
        Ok(Some(checked))
    }
}

/// What is wrong with an app id, if anything.
pub(crate) fn app_id_problem(app_id: &str) -> Option<&'static str> {
    (app_id.is_empty() || !app_id.chars().all(crate::management::is_id_char))
        .then_some("must be letters, digits, '-' and '_' only")
}

/// What is wrong with an API key, if anything (never showing it).
pub(crate) fn api_key_problem(api_key: &str) -> Option<&'static str> {
    (api_key.is_empty() || !api_key.bytes().all(|b| b.is_ascii_graphic()))
        .then_some("must be printable ASCII without spaces")
}

/// The address the URLs name: loopback for an unspecified (every-interface) address.
fn url_address(mut addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(Ipv4Addr::LOCALHOST.into()),
        IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(Ipv6Addr::LOCALHOST.into()),
        _ => {}
    }
    addr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_settings_but_not_the_api_key() {
        let builder = EmulatorBuilder::default()
            .app_id("my_app")
            .api_key("sk_very_secret");
        let shown = format!("{builder:?}");
        assert!(shown.contains("my_app"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(!shown.contains("sk_very_secret"), "{shown}");
    }
}
