//! The [`Passage`] value: one per app, cheap to clone, shared across tasks. Its methods are the
//! table of contents of the facade: [`auth`](Passage::auth) and
//! [`authenticate_request`](Passage::authenticate_request) check tokens;
//! [`user`](Passage::user), [`create_magic_link`](Passage::create_magic_link),
//! [`app`](Passage::app) and [`raw`](Passage::raw) call the Management API.

mod builder;

use std::fmt;
use std::sync::Arc;

use std::future::Future;

pub use builder::{ConfigError, PassageBuilder};

use crate::auth::{Auth, AuthError, Authenticated, Authenticator, Claims, RequestHeaders};
use crate::management::users::Users;
use crate::management::{self, App, CreateMagicLink, MagicLink, ManagementError, raw};
use builder::Config;

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
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    auth: Authenticator,
    management: management::Client,
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

    fn from_parts(config: Config, auth: Authenticator, management: management::Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                auth,
                management,
            }),
        }
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.inner.config.app_id
    }

    /// The Management API base URL in use, without a trailing `/`.
    pub fn api_base_url(&self) -> &str {
        self.inner
            .config
            .api_base_url
            .as_str()
            .trim_end_matches('/')
    }

    /// The auth base URL in use, without a trailing `/`.
    pub fn auth_base_url(&self) -> &str {
        // A URL without a path is written with `/`; the setting (and its default) has none.
        self.inner
            .config
            .auth_base_url
            .as_str()
            .trim_end_matches('/')
    }

    /// Where the app's signing keys (JWKS) are fetched from.
    pub fn jwks_url(&self) -> &str {
        self.inner.config.jwks_url.as_str()
    }

    /// The `iss` claim tokens must carry.
    pub fn issuer(&self) -> &str {
        &self.inner.config.issuer
    }

    /// Whether an API key is configured (management calls need one).
    pub fn has_api_key(&self) -> bool {
        self.inner.config.api_key.is_some()
    }

    // Authenticating requests (needs no API key).

    /// Token validation and the key cache. Needs no API key.
    ///
    /// ```
    /// let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// let auth = passage.auth();
    /// assert!(auth.key_ids().is_empty()); // nothing fetched yet
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn auth(&self) -> Auth<'_> {
        Auth::new(&self.inner.auth)
    }

    /// Authenticates a request and returns the user id.
    ///
    /// `request` is anything with headers ([`RequestHeaders`]): a [`http::HeaderMap`]
    /// (`request.headers()`), an [`http::Request`], an [`http::request::Parts`], or (feature
    /// `actix`) actix-web's request. The token is taken from where the
    /// [`AuthStrategy`](crate::AuthStrategy) says (by default the `psg_auth_token` cookie), then
    /// checked like [`Auth::validate_jwt`] does. A request without a token fails with
    /// [`AuthError::MissingCredentials`].
    ///
    /// The token is copied out of the request at the call: the future borrows neither the
    /// request nor `self`, so it is `Send + 'static` whatever the request's body is.
    ///
    /// Several different `psg_auth_token` cookies (a stale copy, or one planted by a site on a
    /// shared parent domain) are each checked: the request is accepted when those that verify
    /// name one user, and fails with [`AuthError::AmbiguousCookie`] when they name different
    /// users, so a planted cookie never silently wins over the real one.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage, request: http::Request<()>) {
    /// match passage.authenticate_request(&request).await {
    ///     Ok(user_id) => println!("request from {user_id}"),
    ///     Err(e) if e.is_server_error() => println!("503: {e}"),
    ///     Err(e) => println!("401: {e}"),
    /// }
    /// // Its headers alone do as well.
    /// let user_id = passage.authenticate_request(request.headers()).await;
    /// # }
    /// ```
    pub fn authenticate_request<R: RequestHeaders + ?Sized>(
        &self,
        request: &R,
    ) -> impl Future<Output = Result<String, AuthError>> + Send + use<R> {
        self.authenticate(request)
    }

    /// Authenticates a request like [`authenticate_request`](Self::authenticate_request) and
    /// returns the verified claims of its token.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage, headers: http::HeaderMap) -> Result<(), passage_identity::AuthError> {
    /// let claims = passage.authenticate_request_claims(&headers).await?;
    /// println!("{} until {:?}", claims.sub, claims.expires_at());
    /// # Ok(()) }
    /// ```
    pub fn authenticate_request_claims<R: RequestHeaders + ?Sized>(
        &self,
        request: &R,
    ) -> impl Future<Output = Result<Claims, AuthError>> + Send + use<R> {
        self.authenticate(request)
    }

    fn authenticate<T, R>(
        &self,
        request: &R,
    ) -> impl Future<Output = Result<T, AuthError>> + use<T, R>
    where
        T: Authenticated,
        R: RequestHeaders + ?Sized,
    {
        let presented = self.inner.auth.presented(request);
        let passage = self.clone();
        async move { passage.inner.auth.authenticate(presented?).await }
    }

    // Managing the app (needs the API key).

    /// The app's users: get, create, update, list, activate, deactivate, delete, devices and
    /// sign-out everywhere. These calls need the API key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// let user = passage.user().get(&id).await?;
    /// println!("{} signed in {} times", user.email, user.login_count);
    /// # Ok(()) }
    /// ```
    pub fn user(&self) -> Users<'_> {
        self.inner.management.users()
    }

    /// Creates a magic link: a one-time URL that signs a user in (or verifies their email
    /// address or phone number). Passage can send it for you, or you deliver
    /// [`MagicLink::url`] yourself. Needs the API key; never retried (a second attempt could
    /// send a second message).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let ada = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// use passage_identity::CreateMagicLink;
    ///
    /// let link = passage
    ///     .create_magic_link(
    ///         CreateMagicLink::email("ada@example.com")
    ///             .send(true)
    ///             .magic_link_path("/verify")
    ///             .ttl_minutes(15),
    ///     )
    ///     .await?;
    /// assert_eq!(link.user_id(), ada.id);
    /// assert_eq!(link.ttl_minutes(), 15);
    /// # Ok(()) }
    /// ```
    pub async fn create_magic_link(
        &self,
        link: CreateMagicLink,
    ) -> Result<MagicLink, ManagementError> {
        self.inner.management.create_magic_link(link).await
    }

    /// The app's settings (name, origins, auth methods, ...). Needs the API key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// let app = passage.app().get().await?;
    /// assert_eq!(app.id, passage.app_id());
    /// # Ok(()) }
    /// ```
    pub fn app(&self) -> App<'_> {
        self.inner.management.app()
    }

    /// The generated low-level client, for endpoints the facade does not cover. It sends the API
    /// key, a request id, and retries idempotent calls like the facade does. Every operation
    /// takes the app id: pass [`Passage::app_id`].
    ///
    /// It checks less than the facade does: ids that go in a path must be ASCII letters,
    /// digits, `-` and `_` (anything else fails with `raw::Error::InvalidRequest` before
    /// sending), and list filters must have their documented forms; the rest is sent as given.
    ///
    /// ```no_run
    /// # async fn demo(passage: passage_identity::Passage) -> Result<(), Box<dyn std::error::Error>> {
    /// let user = passage.raw().get_user().app_id(passage.app_id()).user_id("abc").send().await?;
    /// println!("{}", user.user.email);
    /// # Ok(()) }
    /// ```
    pub fn raw(&self) -> &raw::Client {
        self.inner.management.raw()
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
