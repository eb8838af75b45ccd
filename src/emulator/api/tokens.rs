//! The JWKS that publishes the app's signing keys. (Tokens are issued over HTTP by the control
//! API, `api::control`.)

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::emulator::context::Context;

/// The routes of the auth side: the JWKS (public, but only for this app; see
/// [`crate::emulator::http`]).
pub(crate) fn auth_routes() -> Router<Arc<Context>> {
    Router::new().route("/v1/apps/{app_id}/.well-known/jwks.json", get(jwks))
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
