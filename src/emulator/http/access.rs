//! Who may call what: the API key in front of the Management API, then the app id in the path.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::emulator::context::Context;
use crate::emulator::extract::ApiPath;
use crate::emulator::rejection::ApiError;

/// Middleware: 401 `invalid_access_token` without `Authorization: Bearer <api key>`.
///
/// It reads nothing but that header, so a caller without the key learns nothing about the rest
/// of the request (not even that its path is malformed).
pub(crate) async fn require_api_key(
    State(ctx): State<Arc<Context>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    if presented.is_some_and(|key| ctx.settings.is_api_key(key)) {
        next.run(request).await
    } else {
        ApiError::invalid_access_token().into_response()
    }
}

/// Middleware for every route under `/apps/{app_id}`: 404 `app_not_found` for another app's id.
pub(crate) async fn require_app(
    State(ctx): State<Arc<Context>>,
    ApiPath(params): ApiPath<HashMap<String, String>>,
    request: Request,
    next: Next,
) -> Response {
    match params.get("app_id") {
        Some(app_id) if app_id != ctx.settings.app_id() => {
            ApiError::app_not_found(app_id).into_response()
        }
        _ => next.run(request).await,
    }
}
