//! The request log: every request the emulator received, oldest first, with its secrets removed.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::api_error::ApiError;
use super::context::Context;
use super::extract::BODY_LIMIT;
use super::faults::ConnectionDropped;

/// What stands in for a secret in the log.
pub const REDACTED: &str = "[redacted]";

/// One request the emulator received, from [`Emulator::requests`](super::Emulator::requests).
///
/// Secrets are never stored: the values of `Authorization`, `Proxy-Authorization`, `Cookie` and
/// `Set-Cookie` are replaced by `"[redacted]"`, and so are the API key and anything shaped like a
/// JWT wherever else they appear: other headers, the body, and the path and query (percent-encoded
/// or not).
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
                redact_json(&mut value, key);
                Self::Json(value.to_string())
            }
            Err(_) => Self::Text(redact_text(&String::from_utf8_lossy(bytes), key)),
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

    fn finish(&self, id: u64, status: u16) {
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

/// Middleware: records the request (before anything else sees it) and the status answered.
pub(crate) async fn record(
    State(ctx): State<Arc<Context>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let key = ctx.settings.api_key();
    let bytes = to_bytes(body, BODY_LIMIT).await;
    let entry = RecordedRequest {
        method: parts.method.clone(),
        path: redact_url_part(parts.uri.path(), key),
        query: parts.uri.query().map(|q| redact_url_part(q, key)),
        headers: redact_headers(&parts.headers, key),
        body: None,
        status: 0,
    };
    let body = bytes.as_ref().ok().and_then(|b| StoredBody::new(b, key));
    let id = ctx.log.start(entry, body);
    let response = match bytes {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => ApiError::request_too_large(BODY_LIMIT).into_response(),
    };
    if response.extensions().get::<ConnectionDropped>().is_none() {
        ctx.log.finish(id, response.status().as_u16());
    }
    response
}

/// Replaces the API key, and anything shaped like a JWT (three dot-separated base64url parts
/// starting with `eyJ`), by [`REDACTED`].
fn redact_text(text: &str, key: &str) -> String {
    let text = if key.is_empty() {
        text.to_owned()
    } else {
        text.replace(key, REDACTED)
    };
    let mut out = String::with_capacity(text.len());
    let mut run_start = None;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let in_run = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        match (run_start, in_run) {
            (None, true) => run_start = Some(at),
            (Some(start), false) => {
                let run = &text[start..at];
                out.push_str(if looks_like_jwt(run) { REDACTED } else { run });
                run_start = None;
            }
            _ => {}
        }
        if !in_run && at < text.len() {
            out.push(c);
        }
    }
    out
}

/// Redacts a URL path or query: as text, then component by component (between `/`, `&` and
/// `=`) once percent-decoded, which catches a key whose characters the client encoded.
fn redact_url_part(text: &str, key: &str) -> String {
    let text = redact_text(text, key);
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(['/', '&', '=']) {
        let component = piece.trim_end_matches(['/', '&', '=']);
        let decoded = percent_decode(component);
        if decoded != component && redact_text(&decoded, key).contains(REDACTED) {
            out.push_str(REDACTED);
        } else {
            out.push_str(component);
        }
        out.push_str(&piece[component.len()..]);
    }
    out
}

/// `%XX` → the byte; anything else stays as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match (byte, hex(at + 1), hex(at + 2)) {
            (b'%', Some(high), Some(low)) => {
                // Two hex digits make at most 255.
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'%'));
                at += 3;
            }
            _ => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn looks_like_jwt(run: &str) -> bool {
    let parts: Vec<&str> = run.split('.').collect();
    run.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
}

fn redact_headers(headers: &HeaderMap, key: &str) -> HeaderMap {
    let mut redacted = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let secret = [&AUTHORIZATION, &PROXY_AUTHORIZATION, &COOKIE, &SET_COOKIE].contains(&name)
            || redact_text(&String::from_utf8_lossy(value.as_bytes()), key).contains(REDACTED);
        let value = if secret {
            HeaderValue::from_static(REDACTED)
        } else {
            value.clone()
        };
        redacted.append(name.clone(), value);
    }
    redacted
}

/// Redacts every string and object key in `value`. The recursion is bounded: serde_json parses
/// at most 128 levels.
fn redact_json(value: &mut Value, key: &str) {
    match value {
        Value::String(text) => *text = redact_text(text, key),
        Value::Array(items) => items.iter_mut().for_each(|item| redact_json(item, key)),
        Value::Object(fields) => {
            *fields = std::mem::take(fields)
                .into_iter()
                .map(|(name, mut field)| {
                    redact_json(&mut field, key);
                    (redact_text(&name, key), field)
                })
                .collect();
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_headers_and_the_key_are_redacted() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer sk_1"));
        headers.insert(COOKIE, HeaderValue::from_static("psg_auth_token=eyJ"));
        headers.insert("x-api-key", HeaderValue::from_static("sk_1"));
        headers.insert("accept", HeaderValue::from_static("application/json"));
        let redacted = redact_headers(&headers, "sk_1");
        assert_eq!(redacted[AUTHORIZATION], REDACTED);
        assert_eq!(redacted[COOKIE], REDACTED);
        assert_eq!(redacted["x-api-key"], REDACTED);
        assert_eq!(redacted["accept"], "application/json");
    }

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

    #[test]
    fn tokens_are_redacted_wherever_they_appear() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
        assert_eq!(
            redact_text(&format!("token={jwt}&page=2"), "k1"),
            "token=[redacted]&page=2"
        );
        assert_eq!(
            redact_text(&format!("{{\"t\":\"{jwt}\",\"n\":\"a.b.c\"}}"), "k1"),
            "{\"t\":\"[redacted]\",\"n\":\"a.b.c\"}"
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-token", HeaderValue::from_str(jwt).unwrap());
        assert_eq!(redact_headers(&headers, "k1")["x-token"], REDACTED);
    }

    #[test]
    fn percent_encoded_keys_are_redacted_component_by_component() {
        assert_eq!(
            redact_url_part("/users/a%2Fb%3D/devices", "a/b="),
            "/users/[redacted]/devices"
        );
        assert_eq!(
            redact_url_part("x=a%2fb%3d&y=%zz%", "a/b="),
            "x=[redacted]&y=%zz%"
        );
        assert_eq!(percent_decode("%41%4a%ff%"), "AJ\u{fffd}%");
    }

    #[test]
    fn text_without_secrets_is_kept_as_it_is() {
        let text = "limit=5&identifier=ada%40example.com&é=ü";
        assert_eq!(redact_text(text, "sk_secret"), text);
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
