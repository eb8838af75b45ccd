//! [`CallRecord`]: what the hooks saw of one facade call, kept for the error the facade may have
//! to build (progenitor's errors lose some of it: an undecodable body carries no status).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// What the hooks saw of one facade call.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallRecord {
    /// The generated client's operation id, e.g. `get_user`.
    pub(crate) operation: &'static str,
    /// The `x-request-id` sent (the same on every attempt).
    pub(crate) request_id: Option<String>,
    /// The status of the last response, if one arrived.
    pub(crate) status: Option<reqwest::StatusCode>,
    /// The `Retry-After` of the last response, if it had a usable one.
    pub(crate) retry_after: Option<Duration>,
    /// How many times the request was sent.
    pub(crate) attempts: u32,
    /// Whether an attempt before the last failed in a way that leaves open whether the service
    /// carried it out (a lost connection, a timeout, a 5xx answer).
    pub(crate) maybe_applied: bool,
}

tokio::task_local! {
    // Scoped to one facade call by `recorded`, never global: hooks of calls made outside it
    // (through `Passage::raw`) find no record and write nothing.
    static RECORD: Arc<Mutex<CallRecord>>;
}

/// Runs `call` with a fresh record that the hooks fill in, and returns both.
pub(crate) async fn recorded<T>(call: impl Future<Output = T>) -> (T, CallRecord) {
    let record = Arc::new(Mutex::new(CallRecord::default()));
    let output = RECORD.scope(Arc::clone(&record), call).await;
    // The scope is over, so nothing writes to the record any more: take it rather than copy it.
    let record = std::mem::take(&mut *record.lock().unwrap_or_else(PoisonError::into_inner));
    (output, record)
}

/// Updates the record of the facade call in progress, if there is one.
pub(crate) fn note(update: impl FnOnce(&mut CallRecord)) {
    let _ = RECORD.try_with(|record| {
        let mut record = record.lock().unwrap_or_else(PoisonError::into_inner);
        update(&mut record);
    });
}
