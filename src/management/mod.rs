//! Managing the app through the Passage Management API v1 with its API key: users, magic links,
//! app info. This half of the crate knows nothing of token validation.
//!
//! - [`raw`] is the low-level client generated from `openapi/`; [`enums`] holds the open enums
//!   its types use.
//! - `transport` attaches the API key, a request id and a tracing span to every call through
//!   progenitor's hooks and holds each path to its operation's shape (`operations` lists them),
//!   and `retry` (the [`RetryPolicy`] and its loop) retries the idempotent ones within the
//!   call's deadline.
//! - [`ManagementError`] is what a call can fail with; `decode` turns an HTTP answer into one.
//! - `input` holds the checks shared by every call (ids, emails, phone numbers, metadata, paths)
//!   and [`PhoneNumber`] the E.164 rule.
//! - [`users`], `magic_link` and `app` are the handles and inputs of the facade.
//!
//! Reach it through [`Passage::user`](crate::Passage::user),
//! [`Passage::create_magic_link`](crate::Passage::create_magic_link),
//! [`Passage::app`](crate::Passage::app) and [`Passage::raw`](crate::Passage::raw).

mod app;
mod context;
mod decode;
pub mod enums;
mod error;
mod input;
mod magic_link;
mod operations;
mod phone;
pub mod raw;
mod record;
mod retry;
mod transport;
pub mod users;

use std::time::Duration;

use reqwest::Url;

pub use app::App;
pub use error::ManagementError;
pub use magic_link::{CreateMagicLink, MagicLink};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use retry::{MAX_BACKOFF, MAX_RETRIES, MAX_RETRY_AFTER, RetryPolicy};
pub use transport::{PASSAGE_VERSION_HEADER, REQUEST_ID_HEADER};

pub(crate) use context::Timeouts;
pub(crate) use input::is_id_char;
#[cfg(feature = "emulator")]
pub(crate) use input::relative_path_problem;
pub(crate) use transport::default_headers;

use crate::secret::Secret;

/// The public Management API base URL, the default of
/// [`PassageBuilder::api_base_url`](crate::PassageBuilder::api_base_url).
pub const DEFAULT_API_BASE_URL: &str = "https://api.passage.id/v1";
/// The default timeout of one HTTP request, see
/// [`PassageBuilder::timeout`](crate::PassageBuilder::timeout).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest [`PassageBuilder::timeout`](crate::PassageBuilder::timeout) (and
/// [`connect_timeout`](crate::PassageBuilder::connect_timeout)) accepted.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);
/// The default connect timeout, see
/// [`PassageBuilder::connect_timeout`](crate::PassageBuilder::connect_timeout).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default deadline of a whole call, every attempt and wait included, see
/// [`PassageBuilder::call_timeout`](crate::PassageBuilder::call_timeout). When only the
/// per-attempt [`timeout`](crate::PassageBuilder::timeout) is raised above it, the call
/// timeout follows it.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest [`PassageBuilder::call_timeout`](crate::PassageBuilder::call_timeout) accepted.
pub const MAX_CALL_TIMEOUT: Duration = Duration::from_secs(900);

/// What every management call needs: the app id and the generated client (which carries the key,
/// if there is one, and the retry policy). Owned by the `Passage` value; cheap to
/// clone (the HTTP client inside is shared).
#[derive(Clone)]
pub(crate) struct Client {
    app_id: String,
    raw: raw::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("app_id", &self.app_id)
            .field("has_api_key", &self.has_api_key())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `app_id` at `api_base_url`, over the shared HTTP client.
    pub(crate) fn new(
        app_id: &str,
        api_key: Option<Secret>,
        api_base_url: &Url,
        retry: RetryPolicy,
        timeouts: Timeouts,
        http: reqwest::Client,
    ) -> Self {
        Self {
            app_id: app_id.to_owned(),
            raw: transport::raw_client(api_key, api_base_url, retry, timeouts, http),
        }
    }

    pub(crate) fn has_api_key(&self) -> bool {
        progenitor_client::ClientInfo::inner(&self.raw).has_api_key()
    }

    pub(crate) fn app_id(&self) -> &str {
        &self.app_id
    }

    pub(crate) fn raw(&self) -> &raw::Client {
        &self.raw
    }

    pub(crate) fn users(&self) -> users::Users<'_> {
        users::Users::new(self)
    }

    pub(crate) fn app(&self) -> App<'_> {
        App::new(self)
    }

    pub(crate) async fn create_magic_link(
        &self,
        link: CreateMagicLink,
    ) -> Result<MagicLink, ManagementError> {
        magic_link::create(self, link).await
    }
}
