//! What can go wrong with the emulator itself, as opposed to the API errors it emulates.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::rejection::ApiError;
use crate::ConfigError;

/// A failure of the emulator itself (not an emulated API error).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
/// use passage_identity::emulator::{Emulator, EmulatorError};
///
/// let emulator = Emulator::start().await?;
/// let taken = emulator.local_addr().port();
/// match Emulator::builder().port(taken).start().await {
///     Err(EmulatorError::Bind { addr, .. }) => assert_eq!(addr.port(), taken),
///     other => panic!("expected Bind, got {other:?}"),
/// }
/// assert!(matches!(emulator.user("nobody"), Err(EmulatorError::UserNotFound(_))));
/// # Ok(()) }
/// ```
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
    /// A saved state (a state file, or JSON given to
    /// [`EmulatorState::from_json`](super::EmulatorState::from_json)) cannot be used: it is
    /// not a state, of another version, or of another app. A state file stays as it is.
    #[error("{origin}: {reason}")]
    InvalidState {
        /// What held it: `the state file PATH`, or `the state`.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The state file could not be read or written.
    #[error("cannot {action} the state file {}", path.display())]
    StateFile {
        /// The file.
        path: PathBuf,
        /// `read` or `write`.
        action: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// There is no state file to save to: none was set with
    /// [`EmulatorBuilder::state_file`](super::EmulatorBuilder::state_file).
    #[error("the emulator has no state file: start it with one (--state FILE) to save its state")]
    NoStateFile,
    /// The emulated service turned the input down, as it would over HTTP.
    #[error("the emulator rejected the input ({code}): {message}")]
    Rejected {
        /// Passage's error code, e.g. `invalid_request`.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl From<ApiError> for EmulatorError {
    fn from(error: ApiError) -> Self {
        Self::Rejected {
            code: error.code(),
            message: error.message().to_owned(),
        }
    }
}
