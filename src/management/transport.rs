//! Everything every Management API call goes through, applied with progenitor's `ClientHooks` so
//! the generated code stays untouched: the API key, a request id, a tracing span, and retries
//! (whose loop lives with the policy, in `retry`).
//!
//! The facade runs each call inside [`call`], which keeps a [`CallRecord`](super::record::CallRecord) of the call for the
//! error it may have to build.

use std::future::Future;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tracing::Instrument;

use super::context::CallContext;
use super::context::Timeouts;
use super::decode;
use super::error::ManagementError;
use super::operations;
use super::raw::{Client, ResponseValue, types::ApiError};
use super::record::{self, CallRecord};
use super::retry::{self, RetryPolicy};
use crate::secret::Secret;

/// The header carrying the id of each call, also recorded on its tracing span.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The header the vendor SDKs sent to identify themselves.
pub const PASSAGE_VERSION_HEADER: &str = "passage-version";

/// Runs one call of the generated client for the facade: fails locally without an API key,
/// and turns progenitor's error into a [`ManagementError`] that keeps the status, request id
/// and `Retry-After` of the call.
pub(crate) async fn call<T, F>(client: &super::Client, request: F) -> Result<T, ManagementError>
where
    F: Future<Output = Result<ResponseValue<T>, super::raw::Error<ApiError>>>,
{
    call_recorded(client, request)
        .await
        .map_err(|(error, _)| error)
}

/// Runs a delete (of a user, of a device) like [`call`], with one rule more: when an earlier
/// attempt may have been carried out by the service (its answer was lost, it timed out, or a
/// gateway answered 5xx) and a retry then finds nothing to delete (404 with `gone_code`), the
/// first attempt did the deleting, and the call succeeds.
pub(crate) async fn delete<F>(
    client: &super::Client,
    request: F,
    gone_code: &'static str,
) -> Result<(), ManagementError>
where
    F: Future<Output = Result<ResponseValue<()>, super::raw::Error<ApiError>>>,
{
    match call_recorded(client, request).await {
        Ok(()) => Ok(()),
        Err((error, record))
            if record.maybe_applied && error.is_not_found() && error.code() == Some(gone_code) =>
        {
            tracing::debug!(
                operation = record.operation,
                attempts = record.attempts,
                "a retried delete found nothing left to delete: an earlier attempt did it"
            );
            Ok(())
        }
        Err((error, _)) => Err(error),
    }
}

async fn call_recorded<T, F>(
    client: &super::Client,
    request: F,
) -> Result<T, (ManagementError, CallRecord)>
where
    F: Future<Output = Result<ResponseValue<T>, super::raw::Error<ApiError>>>,
{
    if !client.has_api_key() {
        return Err((ManagementError::MissingApiKey, CallRecord::default()));
    }
    match record::recorded(request).await {
        (Ok(value), _) => Ok(value.into_inner()),
        (Err(error), record) => Err((decode::from_raw(error, record.clone()).await, record)),
    }
}

/// The headers every request carries, whoever sends it (management calls and key set fetches).
pub(crate) fn default_headers() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        PASSAGE_VERSION_HEADER,
        HeaderValue::from_static(concat!("passage-rust ", env!("CARGO_PKG_VERSION"))),
    );
    headers
}

/// Builds the generated client over the shared HTTP client.
pub(crate) fn raw_client(
    api_key: Option<Secret>,
    api_base_url: &Url,
    retry: RetryPolicy,
    timeouts: Timeouts,
    http: reqwest::Client,
) -> Client {
    Client::new_with_client(
        api_base_url.as_str().trim_end_matches('/'),
        http,
        CallContext::new(
            api_key,
            api_base_url.path().trim_end_matches('/'),
            retry,
            timeouts,
        ),
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
        // The facade checks every id first; this catches what the low-level client was given.
        let below_base = request
            .url()
            .path()
            .strip_prefix(self.inner().base_path.as_str())
            .unwrap_or_default();
        if let Some(reason) = operations::path_problem(info.operation_id, below_base) {
            return Err(Error::InvalidRequest(format!(
                "{}: {reason}; nothing was sent",
                info.operation_id
            )));
        }
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
        record::note(|record| {
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
        let context = self.inner();
        retry::execute(
            self.client(),
            &context.retry,
            context.timeouts,
            request,
            info,
        )
        .instrument(span)
        .await
    }
}
