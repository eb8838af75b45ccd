//! The request log: every request the emulator received, oldest first, with its secrets removed.
//!
//! The HTTP layer records each request here as it arrives and its status once answered (see
//! `http::layers`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use serde_json::Value;

use super::redact;

/// One request the emulator received, from
/// [`Emulator::requests`](crate::emulator::Emulator::requests).
///
/// Secrets are never stored: the values of `Authorization`, `Proxy-Authorization`, `Cookie` and
/// `Set-Cookie` are replaced by [`REDACTED`](crate::emulator::REDACTED), and so are the API key and
/// anything shaped like a JWT wherever else they appear: other headers, the body, and the path
/// and query (percent-encoded or not).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use passage_identity::emulator::{Emulator, REDACTED};
///
/// let emulator = Emulator::start().await?;
/// let passage = emulator.passage();
/// passage.raw().get_user().app_id(passage.app_id()).user_id("nobody").send().await.ok();
/// let request = &emulator.requests()[0];
/// assert_eq!((request.method.as_str(), request.status), ("GET", 404));
/// assert!(request.path.ends_with("/users/nobody"));
/// assert_eq!(request.headers["authorization"], REDACTED);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The path, e.g. `/v1/apps/{app_id}/users`.
    pub path: String,
    /// The query string, without the `?`.
    pub query: Option<String>,
    /// The headers, with secrets redacted.
    pub headers: HeaderMap,
    /// The body: its JSON, or a JSON string holding its text when it is not JSON; `None` when
    /// empty.
    pub body: Option<Value>,
    /// The status answered; 0 while the request is in flight or when the emulator dropped the
    /// connection instead of answering.
    pub status: u16,
}

/// How much text (paths, queries, headers, bodies) the log holds at most; past it the oldest
/// entries go, whatever the capacity in entries.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// The log, bounded in entries and in bytes: past either bound the oldest entries go.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: Mutex<Entries>,
    next_id: AtomicU64,
    capacity: usize,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct Entries {
    list: VecDeque<Entry>,
    /// The sum of the entries' sizes.
    bytes: usize,
}

/// One request as kept: its body is kept as text, since a parsed JSON value can take tens of
/// times the memory of its text and would make the byte bound meaningless.
#[derive(Debug)]
struct Entry {
    id: u64,
    request: RecordedRequest,
    body: Option<StoredBody>,
    size: usize,
}

#[derive(Debug)]
enum StoredBody {
    /// Compact JSON, written by the log itself from a redacted value.
    Json(String),
    /// A body that is not JSON, redacted.
    Text(String),
}

impl StoredBody {
    /// The body as it is recorded: JSON redacted once parsed (JSON may escape the characters of
    /// a key), or redacted text when it is not JSON; `None` when empty.
    fn new(bytes: &[u8], key: &str) -> Option<Self> {
        if bytes.is_empty() {
            return None;
        }
        Some(match serde_json::from_slice(bytes) {
            Ok(mut value) => {
                redact::json(&mut value, key);
                Self::Json(value.to_string())
            }
            Err(_) => Self::Text(redact::text(&String::from_utf8_lossy(bytes), key)),
        })
    }

    fn len(&self) -> usize {
        match self {
            Self::Json(text) | Self::Text(text) => text.len(),
        }
    }

    fn value(&self) -> Value {
        match self {
            // The log wrote this JSON itself, so it parses; the fallback is never taken.
            Self::Json(json) => {
                serde_json::from_str(json).unwrap_or_else(|_| Value::String(json.clone()))
            }
            Self::Text(text) => Value::String(text.clone()),
        }
    }
}

impl Entry {
    fn new(id: u64, request: RecordedRequest, body: Option<StoredBody>) -> Self {
        let headers: usize = request
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        let size = std::mem::size_of::<Self>()
            + request.path.len()
            + request.query.as_ref().map_or(0, String::len)
            + headers
            + body.as_ref().map_or(0, StoredBody::len);
        Self {
            id,
            request,
            body,
            size,
        }
    }

    fn to_recorded(&self) -> RecordedRequest {
        RecordedRequest {
            body: self.body.as_ref().map(StoredBody::value),
            ..self.request.clone()
        }
    }
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self::with_max_bytes(capacity, MAX_BYTES)
    }

    fn with_max_bytes(capacity: usize, max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            next_id: AtomicU64::new(0),
            capacity,
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Nothing panics while the lock is held; a poisoned lock still holds a valid log.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs a request (its `body` is ignored: the body comes separately, as kept).
    fn start(&self, request: RecordedRequest, body: Option<StoredBody>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Entry::new(id, request, body);
        let mut entries = self.lock();
        entries.bytes += entry.size;
        entries.list.push_back(entry);
        while entries.list.len() > self.capacity
            || (entries.bytes > self.max_bytes && entries.list.len() > 1)
        {
            if let Some(oldest) = entries.list.pop_front() {
                entries.bytes -= oldest.size;
            }
        }
        id
    }

    /// Logs a request as it arrived, before anything else sees it, with the secrets in its
    /// path, query, headers and body redacted (`key` is the API key); `body` is `None` when it
    /// could not be read. Returns the entry's id, for [`RequestLog::finish`].
    pub(crate) fn record(&self, parts: &Parts, body: Option<&[u8]>, key: &str) -> u64 {
        let request = RecordedRequest {
            method: parts.method.clone(),
            path: redact::url_part(parts.uri.path(), key),
            query: parts.uri.query().map(|q| redact::url_part(q, key)),
            headers: redact::headers(&parts.headers, key),
            body: None,
            status: 0,
        };
        self.start(request, body.and_then(|b| StoredBody::new(b, key)))
    }

    /// Sets the status answered to the request `id`, if the log still holds it.
    pub(crate) fn finish(&self, id: u64, status: u16) {
        let mut entries = self.lock();
        if let Some(entry) = entries.list.iter_mut().rev().find(|e| e.id == id) {
            entry.request.status = status;
        }
    }

    /// Every entry, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        self.lock().list.iter().map(Entry::to_recorded).collect()
    }

    pub(crate) fn clear(&self) {
        *self.lock() = Entries::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_value(bytes: &[u8], key: &str) -> Option<Value> {
        StoredBody::new(bytes, key).map(|body| body.value())
    }

    #[test]
    fn bodies_that_are_not_json_are_kept_as_text() {
        assert_eq!(
            body_value(b"<html>", "k"),
            Some(Value::String("<html>".into()))
        );
        assert_eq!(body_value(b"", "k"), None);
        assert_eq!(
            body_value(br#"{"note":"sk_test_123"}"#, "sk_test_123"),
            Some(serde_json::json!({"note": "[redacted]"}))
        );
    }

    fn request(path: &str) -> RecordedRequest {
        RecordedRequest {
            method: Method::GET,
            path: path.into(),
            query: None,
            headers: HeaderMap::new(),
            body: None,
            status: 0,
        }
    }

    fn paths(log: &RequestLog) -> Vec<String> {
        log.snapshot().into_iter().map(|r| r.path).collect()
    }

    #[test]
    fn the_log_keeps_only_its_capacity() {
        let log = RequestLog::new(2);
        for path in ["/a", "/b", "/c"] {
            log.start(request(path), None);
        }
        assert_eq!(paths(&log), ["/b", "/c"]);
    }

    #[test]
    fn the_log_keeps_only_its_bytes_whatever_its_capacity() {
        let body = || StoredBody::new(&[b'x'; 1000], "k");
        let one = Entry::new(0, request("/a"), body()).size;
        let log = RequestLog::with_max_bytes(100, 2 * one);
        for path in ["/a", "/b", "/c"] {
            log.start(request(path), body());
        }
        assert_eq!(paths(&log), ["/b", "/c"]);
        assert_eq!(log.lock().bytes, 2 * one);
    }

    #[test]
    fn an_entry_larger_than_the_byte_bound_is_still_kept_alone() {
        let log = RequestLog::with_max_bytes(100, 10);
        log.start(request("/a"), None);
        log.start(request("/b"), StoredBody::new(b"[1, 2, 3]", "k"));
        assert_eq!(paths(&log), ["/b"]);
        assert_eq!(log.snapshot()[0].body, Some(serde_json::json!([1, 2, 3])));
    }
}
