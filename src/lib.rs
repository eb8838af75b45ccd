//! # passage-identity
//!
//! A server SDK for [Passage](https://passage.id), the passkey / passwordless identity provider:
//! authenticate incoming requests by their Passage JWT, and manage the app's users through the
//! Management API.
//!
//! - [`Passage`] is the facade: build one per app with [`Passage::builder`] or [`Passage::new`].
//! - [`raw`] is the complete low-level client generated from `openapi/` by progenitor.
//! - [`enums`] holds the open enums the API may extend.
//!
//! ```
//! use passage_identity::Passage;
//!
//! let passage = Passage::builder("my-app-id")
//!     .api_key("my-api-key")
//!     .build()?;
//! assert_eq!(passage.issuer(), "https://auth.passage.id/v1/apps/my-app-id");
//! # Ok::<(), passage_identity::ConfigError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod app;
mod auth;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod config;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
pub mod enums;
mod error;
mod magic_link;
mod passage;
mod phone;
pub mod raw;
mod retry;
mod secret;
mod transport;
mod users;

pub use app::App;
pub use auth::{
    AUTH_COOKIE_NAME, Audience, Auth, AuthError, AuthStrategy, Claims, DEFAULT_JWKS_COOLDOWN,
    DEFAULT_JWKS_MAX_AGE, DEFAULT_JWKS_TIMEOUT, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_SIZE,
    KeyCacheStats, KeySetError, MAX_JWKS_SIZE,
};
pub use config::{
    ConfigError, DEFAULT_API_BASE_URL, DEFAULT_AUTH_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT, PassageBuilder,
};
pub use error::ManagementError;
pub use magic_link::{CreateMagicLink, MagicLink};
pub use passage::Passage;
pub use phone::{PhoneNumber, PhoneNumberError};
pub use retry::RetryPolicy;
pub use transport::{PASSAGE_VERSION_HEADER, REQUEST_ID_HEADER};
pub use users::{
    CreateUser, Filter, ListUsers, MAX_PAGE_SIZE, Op, SortField, SortOrder, UpdateUser, UserStream,
    Users,
};
