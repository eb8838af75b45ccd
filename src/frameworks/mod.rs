//! Framework glue. What every framework shares lives here: the values handed to handlers
//! ([`PassageUser`], [`PassageClaims`]) and the one answer to a rejected request
//! ([`AuthRejection`]: status, headers and JSON body, or a gRPC status). Each framework's module
//! only adapts them: `axum` (extractors), `tower` (a layer, also for tonic and hyper), `actix`
//! (extractors and middleware for actix-web).

mod rejection;
mod user;

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "tower")]
pub mod tower;

pub use rejection::AuthRejection;
pub use user::{PassageClaims, PassageUser};
