//! Users over HTTP as the handle shapes them: created in any state, given passkeys and
//! sign-ins, and their refresh-token revocations read.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::emulator::context::Context;
use crate::emulator::extract::{ApiClient, ApiJson, ApiPath};
use crate::emulator::rejection::ApiError;
use crate::emulator::store::{UserSeed, now};
use crate::raw::types;

type Ctx = State<Arc<Context>>;
type UserPath = ApiPath<(String, String)>;

/// `POST .../users` with a [`UserSeed`] as JSON → 201 `{"user": ...}`.
pub(super) async fn seed(
    State(ctx): Ctx,
    ApiJson(seed): ApiJson<UserSeed>,
) -> Result<(StatusCode, Json<types::UserResponse>), ApiError> {
    let user = ctx.seed_user(seed)?;
    Ok((StatusCode::CREATED, Json(types::UserResponse { user })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeviceRequest {
    friendly_name: String,
}

/// `POST .../users/{user_id}/devices` `{"friendly_name": "..."}` → 201 `{"device": ...}`.
pub(super) async fn add_device(
    State(ctx): Ctx,
    ApiPath((_, user_id)): UserPath,
    ApiJson(request): ApiJson<DeviceRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if request.friendly_name.trim().is_empty() {
        return Err(ApiError::invalid_request("friendly_name must not be empty"));
    }
    let device = ctx
        .store()
        .add_device(&user_id, &request.friendly_name, now())?;
    Ok((StatusCode::CREATED, Json(json!({ "device": device }))))
}

/// `POST .../users/{user_id}/logins` → `{"user": ...}`, signed in once more, now.
pub(super) async fn record_login(
    State(ctx): Ctx,
    ApiClient(client): ApiClient,
    ApiPath((_, user_id)): UserPath,
) -> Result<Json<types::UserResponse>, ApiError> {
    let user = ctx
        .store()
        .record_login(&user_id, client, None, true, now())?
        .to_passage_user();
    Ok(Json(types::UserResponse { user }))
}

/// `GET .../users/{user_id}/refresh-token-revocations` → `{"count": n, "last_at": ...}`.
pub(super) async fn revocations(
    State(ctx): Ctx,
    ApiPath((_, user_id)): UserPath,
) -> Result<Json<Value>, ApiError> {
    let revocations = ctx.store().user(&user_id)?.revocations;
    Ok(Json(json!({
        "count": revocations.count,
        "last_at": revocations.last_at,
    })))
}
