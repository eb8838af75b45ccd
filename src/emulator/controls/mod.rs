//! The test controls: faults to inject, the request log, and what the log redacts.
//!
//! Each holds its own state and knows nothing of the server: the router's outer layers apply
//! them to requests (see `http::layers`), the [`Emulator`](super::Emulator) handle sets and reads
//! them.

pub(crate) mod faults;
pub(crate) mod log;
pub(crate) mod redact;
