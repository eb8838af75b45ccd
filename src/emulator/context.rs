//! What every request and the [`Emulator`](super::Emulator) handle share: the emulated app's
//! settings, its store, its signing keys, the pending faults and the request log.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::controls::faults::FaultQueue;
use super::controls::log::RequestLog;
use super::keys::KeyRing;
use super::settings::Settings;
use super::store::Store;

/// The state behind every request, shared by the server and the [`Emulator`](super::Emulator).
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) settings: Settings,
    store: Mutex<Store>,
    pub(crate) keys: KeyRing,
    pub(crate) faults: FaultQueue,
    pub(crate) log: RequestLog,
    /// Where the state is saved, if anywhere.
    pub(crate) state_file: Option<PathBuf>,
    /// Held while the state file is written, so that saves do not interleave.
    pub(crate) saving: Mutex<()>,
}

impl Context {
    pub(crate) fn new(
        settings: Settings,
        keys: KeyRing,
        store: Store,
        log_capacity: usize,
        state_file: Option<PathBuf>,
    ) -> Self {
        Self {
            settings,
            store: Mutex::new(store),
            keys,
            faults: FaultQueue::default(),
            log: RequestLog::new(log_capacity),
            state_file,
            saving: Mutex::new(()),
        }
    }

    /// The store, locked. Never hold the guard across an `.await`.
    ///
    /// Store operations check their input before they change anything; should one ever panic,
    /// the store is used as it is rather than failing every later request.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
