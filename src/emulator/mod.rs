//! A Passage emulator: a real HTTP server on loopback that speaks the Management API and issues
//! tokens the way Passage does. Enabled with the `emulator` feature.

mod keys;

pub use keys::{jwks_document, SigningKey};

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
}
