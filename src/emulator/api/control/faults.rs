//! Faults over HTTP: inject one as [`Fault`] describes it, count and clear the pending ones.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::emulator::context::Context;
use crate::emulator::controls::faults::Fault;
use crate::emulator::extract::ApiJson;
use crate::emulator::rejection::ApiError;

/// The longest latency a fault may add (ten minutes).
const MAX_LATENCY_MS: u64 = 600_000;

/// The body of `POST .../faults`: a [`Fault`] as JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultRequest {
    method: Option<String>,
    path_prefix: String,
    times: Option<u32>,
    status: Option<u16>,
    retry_after: Option<u64>,
    latency_ms: Option<u64>,
    #[serde(default)]
    malformed_body: bool,
    #[serde(default)]
    drop_connection: bool,
}

impl FaultRequest {
    fn fault(self) -> Result<Fault, ApiError> {
        let prefix = self.path_prefix.trim();
        if !(prefix.starts_with('/')
            || prefix.starts_with("http://")
            || prefix.starts_with("https://"))
        {
            return Err(ApiError::invalid_request(format!(
                "path_prefix {prefix:?} must be a path (starting with /) or a URL"
            )));
        }
        let mut fault = match self.method.as_deref().map(str::trim) {
            None | Some("") | Some("*") => Fault::any_method(prefix),
            Some(method) => {
                let method =
                    Method::from_bytes(method.to_ascii_uppercase().as_bytes()).map_err(|_| {
                        ApiError::invalid_request(format!(
                            "method {method:?} is not an HTTP method"
                        ))
                    })?;
                Fault::on(method, prefix)
            }
        };
        if let Some(times) = self.times {
            fault = fault.times(times);
        }
        if let Some(status) = self.status {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(|s| (100..=599).contains(&s.as_u16()))
                .ok_or_else(|| {
                    ApiError::invalid_request(format!("status {status} is not from 100 to 599"))
                })?;
            fault = fault.status(status);
        }
        if let Some(seconds) = self.retry_after {
            fault = fault.retry_after(seconds);
        }
        if let Some(ms) = self.latency_ms {
            if ms > MAX_LATENCY_MS {
                return Err(ApiError::invalid_request(format!(
                    "latency_ms must be at most {MAX_LATENCY_MS}"
                )));
            }
            fault = fault.latency(Duration::from_millis(ms));
        }
        if self.malformed_body {
            fault = fault.malformed_body();
        }
        if self.drop_connection {
            fault = fault.drop_connection();
        }
        Ok(fault)
    }
}

/// `POST .../faults` → 201 `{"pending": n}`.
pub(super) async fn inject(
    State(ctx): State<Arc<Context>>,
    ApiJson(request): ApiJson<FaultRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    ctx.faults.push(request.fault()?);
    Ok((StatusCode::CREATED, pending(State(ctx)).await))
}

/// `GET .../faults` → `{"pending": n}`, the faults not used up yet.
pub(super) async fn pending(State(ctx): State<Arc<Context>>) -> Json<Value> {
    Json(json!({ "pending": ctx.faults.pending() }))
}

/// `DELETE .../faults` → 204; no fault is pending any more.
pub(super) async fn clear(State(ctx): State<Arc<Context>>) -> StatusCode {
    ctx.faults.clear();
    StatusCode::NO_CONTENT
}
