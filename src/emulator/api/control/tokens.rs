//! Tokens and keys over HTTP: issue a token shaped as a test needs it, list and rotate the
//! signing keys.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::internal;
use crate::emulator::context::Context;
use crate::emulator::extract::{ApiClient, ApiJson};
use crate::emulator::rejection::ApiError;
use crate::emulator::tokens::{self as issuing, DEFAULT_TTL, TokenOptions, issue_on_sign_in};

/// The longest lifetime the token endpoint accepts (ten years).
const MAX_TTL_SECONDS: u64 = 10 * 365 * 24 * 3600;

/// How long ago an `expired` token expired: well past any clock leeway a validator allows.
const EXPIRED_AGO: Duration = Duration::from_secs(3600);

/// The body of `POST .../tokens`: what [`TokenOptions`] says, as JSON (times in Unix seconds).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenRequest {
    user_id: String,
    ttl_seconds: Option<u64>,
    #[serde(default)]
    expired: bool,
    issued_at: Option<i64>,
    not_before: Option<i64>,
    expires_at: Option<i64>,
    audience: Option<Value>,
    issuer: Option<String>,
    #[serde(default)]
    claims: Map<String, Value>,
    #[serde(default)]
    without_claims: Vec<String>,
    kid: Option<String>,
    #[serde(default)]
    signed_by_unknown_key: bool,
}

impl TokenRequest {
    fn options(self) -> Result<TokenOptions, ApiError> {
        let ttl = self.ttl_seconds.unwrap_or(DEFAULT_TTL.as_secs());
        if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
            return Err(ApiError::invalid_request(format!(
                "ttl_seconds must be from 1 to {MAX_TTL_SECONDS}"
            )));
        }
        let ttl = Duration::from_secs(ttl);
        let mut options = TokenOptions::default().ttl(ttl);
        if self.expired {
            if self.expires_at.is_some() || self.issued_at.is_some() {
                return Err(ApiError::invalid_request(
                    "expired sets the token's times: leave out expires_at and issued_at",
                ));
            }
            let expired_at = SystemTime::now() - EXPIRED_AGO;
            options = options.issued_at(expired_at - ttl).expires_at(expired_at);
        }
        if let Some(at) = self.issued_at {
            options = options.issued_at(unix_time(at));
        }
        if let Some(at) = self.not_before {
            options = options.not_before(unix_time(at));
        }
        if let Some(at) = self.expires_at {
            options = options.expires_at(unix_time(at));
        }
        if let Some(audience) = self.audience {
            options = options.audience(audience);
        }
        if let Some(issuer) = self.issuer {
            options = options.issuer(issuer);
        }
        for (name, value) in self.claims {
            options = options.claim(name, value);
        }
        for name in self.without_claims {
            options = options.without_claim(name);
        }
        if let Some(kid) = self.kid {
            options = options.kid(kid);
        }
        if self.signed_by_unknown_key {
            options = options.signed_by_unknown_key();
        }
        Ok(options)
    }
}

fn unix_time(seconds: i64) -> SystemTime {
    let magnitude = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
    .unwrap_or(UNIX_EPOCH)
}

/// `POST .../tokens` → `{"token": "..."}`.
/// For a user of the app, a token as Passage issues on sign-in is a sign-in from the caller (its
/// address and user agent), recorded as a login; a token shaped to be rejected records nothing.
pub(super) async fn issue(
    State(ctx): State<Arc<Context>>,
    ApiClient(client): ApiClient,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<Json<Value>, ApiError> {
    if request.user_id.trim().is_empty() {
        return Err(ApiError::invalid_request("user_id must not be empty"));
    }
    let user_id = request.user_id.clone();
    let options = request.options()?;
    // A token shaped to be rejected records no sign-in, like the handle's `issue_token_with`.
    let token = if options.is_sign_in_shaped() {
        issue_on_sign_in(&ctx, &user_id, &options, Some(client))
    } else {
        issuing::issue(&ctx.settings, &ctx.keys, &user_id, &options)
    }
    .map_err(|e| internal(&e))?;
    Ok(Json(json!({ "token": token })))
}

/// `GET .../keys` → `{"kids": [...]}`, newest (the signing key) first.
pub(super) async fn keys(State(ctx): State<Arc<Context>>) -> Json<Value> {
    Json(json!({ "kids": ctx.keys.kids() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RotateRequest {
    keep_old: bool,
}

/// `POST .../keys/rotate` `{"keep_old": true}` → `{"kids": [...]}`.
pub(super) async fn rotate(
    State(ctx): State<Arc<Context>>,
    ApiJson(request): ApiJson<RotateRequest>,
) -> Result<Json<Value>, ApiError> {
    ctx.rotate_keys(request.keep_old)
        .map_err(|e| internal(&e))?;
    Ok(keys(State(ctx)).await)
}
