//! The token side's endpoints: the JWKS that publishes the app's keys, and the emulator's own
//! endpoint that issues tokens over HTTP, for tests written in other languages.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::emulator::context::Context;
use crate::emulator::extract::{ApiClient, ApiJson};
use crate::emulator::rejection::ApiError;
use crate::emulator::tokens::{DEFAULT_TTL, TokenOptions, issue_on_sign_in};

/// The longest lifetime the token endpoint accepts (ten years).
const MAX_TTL_SECONDS: u64 = 10 * 365 * 24 * 3600;

/// The routes of the auth side: the JWKS (public, but only for this app; see
/// [`crate::emulator::http`]).
pub(crate) fn auth_routes() -> Router<Arc<Context>> {
    Router::new().route("/v1/apps/{app_id}/.well-known/jwks.json", get(jwks))
}

/// The emulator's own control routes (behind the API key, like the Management API).
pub(crate) fn control_routes() -> Router<Arc<Context>> {
    Router::new().route("/emulator/v1/apps/{app_id}/tokens", post(issue_over_http))
}

async fn jwks(State(ctx): State<Arc<Context>>) -> Response {
    let mut response = Json(ctx.keys.jwks()).into_response();
    if let Some(max_age) = ctx.settings.jwks_max_age()
        && let Ok(value) = HeaderValue::from_str(&format!("max-age={}", max_age.as_secs()))
    {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    response
}

#[derive(Deserialize)]
struct TokenRequest {
    user_id: String,
    ttl_seconds: Option<u64>,
}

/// `POST /emulator/v1/apps/{app_id}/tokens` `{"user_id": "...", "ttl_seconds": 3600}` →
/// `{"token": "..."}`, for tests written in other languages. For a user of the app it is a
/// sign-in from the caller (its address and user agent), recorded as a login.
async fn issue_over_http(
    State(ctx): State<Arc<Context>>,
    ApiClient(client): ApiClient,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<Json<Value>, ApiError> {
    if request.user_id.trim().is_empty() {
        return Err(ApiError::invalid_request("user_id must not be empty"));
    }
    let ttl = request.ttl_seconds.unwrap_or(DEFAULT_TTL.as_secs());
    if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
        return Err(ApiError::invalid_request(format!(
            "ttl_seconds must be from 1 to {MAX_TTL_SECONDS}"
        )));
    }
    let options = TokenOptions::default().ttl(Duration::from_secs(ttl));
    let token = issue_on_sign_in(&ctx, &request.user_id, &options, Some(client))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(json!({ "token": token })))
}
