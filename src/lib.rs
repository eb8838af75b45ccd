//! # passage-identity
//!
//! A server SDK for [Passage](https://passage.id), the passkey / passwordless identity provider:
//! authenticate incoming requests by their Passage JWT, and manage the app's users through the
//! Management API.
//!
//! - [`Passage`] is the facade: build one per app with [`Passage::builder`] or [`Passage::new`].
//!   Its methods list everything the crate does.
//! - [`auth`] is the half that checks tokens; it needs no API key.
//! - [`management`] is the half that calls the Management API with the key: [`users`], magic
//!   links, app info, errors and retries. [`raw`] is its complete low-level client, generated
//!   from `openapi/` by progenitor, and [`enums`] the open enums the API may extend.
//! - Framework glue, each behind its own feature: `axum` (extractors), `tower` (a layer for any
//!   tower server: tonic, hyper, axum), `actix` (extractors and middleware for actix-web). A
//!   request of any other framework can be passed to [`Passage::authenticate_request`] by its
//!   headers, or through [`auth::RequestHeaders`].
//! - `emulator` (feature `emulator`) is a Passage on loopback for tests and local development.
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
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
#[cfg(any(feature = "axum", feature = "tower", feature = "actix"))]
mod frameworks;
pub mod management;
mod passage;
mod secret;

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub use frameworks::actix;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use frameworks::axum;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use frameworks::tower;

#[doc(inline)]
pub use management::{enums, raw, users};

pub use auth::{AuthError, AuthStrategy, Claims};
pub use management::{
    CreateMagicLink, MagicLink, ManagementError, PhoneNumber, PhoneNumberError, RetryPolicy,
};
pub use passage::{ConfigError, Passage, PassageBuilder};
pub use users::{CreateUser, UpdateUser};
