//! Everything every Management API call goes through, applied with progenitor's `ClientHooks` so
//! the generated code stays untouched: the API key, a request id, a tracing span, and retries.
//!
//! The facade runs each call inside [`call`], which also keeps a small [`CallRecord`] (operation,
//! request id, final status, `Retry-After`, attempts) for the error it may have to build:
//! progenitor's errors lose some of it (an undecodable body carries no status).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tracing::Instrument;

use crate::config::{Config, ConfigError};
use crate::error::ManagementError;
use crate::raw::{Client, ResponseValue, types::ApiError};
use crate::retry::{self, RetryPolicy};
use crate::secret::Secret;

/// The header carrying the id of each call, also recorded on its tracing span.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The header the vendor SDKs sent to identify themselves.
pub const PASSAGE_VERSION_HEADER: &str = "passage-version";

/// What the hooks of the generated client need: the API key and the retry policy.
///
/// It is the generated client's "inner" value; `Debug` never shows the key.
#[derive(Clone, Debug)]
pub struct CallContext {
    api_key: Option<Arc<Secret>>,
    retry: RetryPolicy,
}

impl CallContext {
    fn authorization(&self) -> Option<HeaderValue> {
        let key = self.api_key.as_ref()?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

/// What the hooks saw of one facade call, for the error the facade may build from it.
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
}

tokio::task_local! {
    // Scoped to one facade call by `call`, never global: hooks of calls made outside `call`
    // (through `Passage::raw`) find no record and write nothing.
    static RECORD: Arc<Mutex<CallRecord>>;
}

fn note(update: impl FnOnce(&mut CallRecord)) {
    let _ = RECORD.try_with(|record| {
        let mut record = record.lock().unwrap_or_else(PoisonError::into_inner);
        update(&mut record);
    });
}

/// Runs one call of the generated client for the facade: fails locally without an API key,
/// and turns progenitor's error into a [`ManagementError`] that keeps the status, request id
/// and `Retry-After` of the call.
pub(crate) async fn call<T, F>(passage: &crate::Passage, request: F) -> Result<T, ManagementError>
where
    F: Future<Output = Result<ResponseValue<T>, crate::raw::Error<ApiError>>>,
{
    if !passage.has_api_key() {
        return Err(ManagementError::MissingApiKey);
    }
    let record = Arc::new(Mutex::new(CallRecord::default()));
    let result = RECORD.scope(record.clone(), request).await;
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(error) => {
            let record = record
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            Err(ManagementError::from_raw(error, record).await)
        }
    }
}

/// Builds the shared HTTP client (one connection pool for the whole `Passage` value).
pub(crate) fn http_client(config: &Config) -> Result<reqwest::Client, ConfigError> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        PASSAGE_VERSION_HEADER,
        HeaderValue::from_static(concat!("passage-rust ", env!("CARGO_PKG_VERSION"))),
    );
    reqwest::Client::builder()
        .user_agent(config.user_agent.clone())
        .default_headers(headers)
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        .build()
        .map_err(ConfigError::HttpClient)
}

/// Builds the generated client over the shared HTTP client.
pub(crate) fn raw_client(config: &Config, http: reqwest::Client) -> Client {
    let context = CallContext {
        api_key: config.api_key.clone().map(Arc::new),
        retry: config.retry.clone(),
    };
    Client::new_with_client(
        config.api_base_url.as_str().trim_end_matches('/'),
        http,
        context,
    )
}

impl ClientHooks<CallContext> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let Some(authorization) = self.inner().authorization() else {
            return Err(Error::Custom(format!(
                "{}: no API key is configured; management calls need one \
                 (PassageBuilder::api_key)",
                info.operation_id
            )));
        };
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, authorization);
        if !headers.contains_key(REQUEST_ID_HEADER) {
            let id = uuid::Uuid::new_v4().to_string();
            if let Ok(value) = HeaderValue::from_str(&id) {
                headers.insert(REQUEST_ID_HEADER, value);
            }
        }
        let request_id = headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        note(|record| {
            record.operation = info.operation_id;
            record.request_id = request_id;
        });
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let request_id = request
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let span = tracing::info_span!(
            "passage.call",
            operation = info.operation_id,
            request_id = %request_id,
            method = %request.method(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        execute_with_retries(self.client(), &self.inner().retry, request, info)
            .instrument(span)
            .await
    }
}

async fn execute_with_retries(
    http: &reqwest::Client,
    policy: &RetryPolicy,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::Span::current();
    let started = Instant::now();
    let retries_allowed = if retry::is_idempotent(info.operation_id) {
        policy.max_retries
    } else {
        0
    };
    let mut attempt: u32 = 0;
    let mut request = request;
    loop {
        attempt = attempt.saturating_add(1);
        span.record("attempt", attempt);
        note(|record| record.attempts = attempt);
        // Keep a copy for the next attempt; a body that cannot be copied is never retried.
        let spare = if attempt <= retries_allowed {
            request.try_clone()
        } else {
            None
        };
        let result = http.execute(request).await;
        let retry_after = result.as_ref().ok().and_then(|response| {
            response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry::parse_retry_after)
        });
        let wait = match (&result, spare.is_some()) {
            (_, false) => None,
            (Ok(response), true) if retry::is_retryable_status(response.status()) => {
                match retry_after {
                    Some(asked) if asked > policy.max_retry_after => None,
                    Some(asked) => Some(asked.max(policy.backoff(attempt))),
                    None => Some(policy.backoff(attempt)),
                }
            }
            (Err(error), true) if retry::is_retryable_error(error) => Some(policy.backoff(attempt)),
            _ => None,
        };
        match (wait, spare) {
            (Some(wait), Some(next)) => {
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    outcome = %describe(&result),
                    "retrying"
                );
                // Let go of the failed response (and its connection) before waiting.
                drop(result);
                tokio::time::sleep(wait).await;
                request = next;
            }
            _ => {
                if let Ok(response) = &result {
                    span.record("status", response.status().as_u16());
                }
                let status = result.as_ref().ok().map(reqwest::Response::status);
                note(|record| {
                    record.status = status;
                    record.retry_after = retry_after;
                });
                span.record("duration_ms", started.elapsed().as_millis() as u64);
                tracing::debug!(outcome = %describe(&result), "call finished");
                return result;
            }
        }
    }
}

fn describe(result: &reqwest::Result<reqwest::Response>) -> String {
    match result {
        Ok(response) => response.status().to_string(),
        // Not the error's own text: it names the URL, whose query may hold an email address.
        Err(error) if error.is_timeout() => "timed out".to_owned(),
        Err(error) if error.is_connect() => "could not connect".to_owned(),
        Err(_) => "connection failed".to_owned(),
    }
}
