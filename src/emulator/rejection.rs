//! How the emulated service turns a request down, in Passage's form: every non-2xx body is
//! `{"code": "...", "error": "..."}`.
//!
//! The store and its rules reject input with it as well as the HTTP side, so it depends on
//! neither; the handle turns it into [`EmulatorError::Rejected`](super::error::EmulatorError::Rejected).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::raw::types;

/// An error the emulated service answers with, in Passage's form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `invalid_request`: the request is malformed or breaks a rule.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 401 `invalid_access_token`: no API key, or the wrong one.
    pub(crate) fn invalid_access_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_access_token",
            "missing or invalid API key: send `Authorization: Bearer <api key>`",
        )
    }

    /// 404 `app_not_found`.
    pub(crate) fn app_not_found(app_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "app_not_found",
            format!("app {app_id:?} not found"),
        )
    }

    /// 404 `user_not_found`.
    pub(crate) fn user_not_found(user_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "user_not_found",
            format!("user {user_id:?} not found"),
        )
    }

    /// 404 `device_not_found`.
    pub(crate) fn device_not_found(device_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "device_not_found",
            format!("device {device_id:?} not found"),
        )
    }

    /// 404 `route_not_found`: nothing is served at this path.
    pub(crate) fn route_not_found(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "route_not_found",
            format!("no route for {method} {path}"),
        )
    }

    /// 405 `method_not_allowed`.
    pub(crate) fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed on {path}"),
        )
    }

    /// 413 `request_too_large`.
    pub(crate) fn request_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 500 `internal_server_error`.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            message,
        )
    }

    /// The error an injected fault answers with for `status`, with the code Passage uses for
    /// that status where there is one.
    pub(crate) fn injected(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            400 => "invalid_request",
            401 => "invalid_access_token",
            403 => "operation_not_allowed",
            404 => "not_found",
            408 => "request_timeout",
            409 => "conflict",
            429 => "too_many_requests",
            500 => "internal_server_error",
            502 => "bad_gateway",
            503 => "service_unavailable",
            504 => "gateway_timeout",
            _ => "injected_fault",
        };
        Self::new(
            status,
            code,
            format!("fault injected by the emulator: HTTP {}", status.as_u16()),
        )
    }

    /// The machine-readable code.
    pub(crate) fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = types::ApiError {
            code: self.code.to_owned(),
            error: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}
