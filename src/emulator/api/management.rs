//! The Management API handlers: the 12 operations of `openapi/passage-management.yaml` under
//! `/v1/apps/{app_id}`, behind the app's API key (see [`crate::emulator::http`]).
//!
//! Response bodies are the generated types of [`crate::raw::types`], so they match the spec by
//! construction.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::app_info::app_info;
use super::magic_links::{self, MagicLinkRequest};
use crate::emulator::context::Context;
use crate::emulator::extract::{ApiClient, ApiJson, ApiPath, ApiQuery};
use crate::emulator::rejection::ApiError;
use crate::emulator::store::listing::ListQuery;
use crate::emulator::store::{Metadata, NewUser, UserChanges, UserRecord, now};
use crate::enums::UserStatus;
use crate::raw::types;

type Ctx = State<Arc<Context>>;
type ApiResult<T> = Result<T, ApiError>;

/// The Management API routes (without the API key and app checks; see [`crate::emulator::http`]).
pub(crate) fn routes() -> Router<Arc<Context>> {
    const USER: &str = "/v1/apps/{app_id}/users/{user_id}";
    Router::new()
        .route("/v1/apps/{app_id}", get(get_app))
        .route("/v1/apps/{app_id}/magic-links", post(create_magic_link))
        .route("/v1/apps/{app_id}/users", get(list_users).post(create_user))
        .route(USER, get(get_user).patch(update_user).delete(delete_user))
        .route(&format!("{USER}/activate"), patch(activate_user))
        .route(&format!("{USER}/deactivate"), patch(deactivate_user))
        .route(&format!("{USER}/devices"), get(list_devices))
        .route(
            &format!("{USER}/devices/{{device_id}}"),
            delete(delete_device),
        )
        .route(&format!("{USER}/tokens"), delete(revoke_refresh_tokens))
}

/// A user's email, phone and metadata as create and update take them, read leniently so that
/// the checks can say what is wrong.
#[derive(Debug, Deserialize)]
struct UserBody {
    email: Option<String>,
    phone: Option<String>,
    user_metadata: Option<Metadata>,
}

fn user_response(user: &UserRecord) -> Json<types::UserResponse> {
    Json(types::UserResponse {
        user: user.to_passage_user(),
    })
}

async fn get_app(State(ctx): Ctx) -> Json<types::AppResponse> {
    let rsa_public_key = STANDARD.encode(ctx.keys.current().public_key_pem());
    Json(types::AppResponse {
        app: app_info(&ctx.settings, ctx.settings.created_at(), rsa_public_key),
    })
}

async fn create_magic_link(
    State(ctx): Ctx,
    ApiJson(request): ApiJson<MagicLinkRequest>,
) -> ApiResult<(StatusCode, Json<types::MagicLinkResponse>)> {
    let link = magic_links::create(&mut ctx.store(), &ctx.settings, request, now())?;
    Ok((
        StatusCode::CREATED,
        Json(types::MagicLinkResponse { magic_link: link }),
    ))
}

async fn list_users(
    State(ctx): Ctx,
    ApiQuery(pairs): ApiQuery,
) -> ApiResult<Json<types::ListUsersResponse>> {
    let query = ListQuery::parse(&pairs)?;
    let users_path = format!("/v1/apps/{}/users", ctx.settings.app_id());
    let response = query.run(&mut ctx.store(), now(), &users_path);
    Ok(Json(response))
}

async fn create_user(
    State(ctx): Ctx,
    ApiClient(client): ApiClient,
    ApiJson(body): ApiJson<UserBody>,
) -> ApiResult<(StatusCode, Json<types::UserResponse>)> {
    let new = NewUser {
        email: body.email,
        phone: body.phone,
        user_metadata: body.user_metadata,
        status: UserStatus::Active,
    };
    let mut store = ctx.store();
    let user = store.create_user_from(new, client, now())?;
    Ok((StatusCode::CREATED, user_response(user)))
}

async fn get_user(
    State(ctx): Ctx,
    ApiPath((_, user_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<types::UserResponse>> {
    Ok(user_response(ctx.store().user(&user_id)?))
}

async fn update_user(
    State(ctx): Ctx,
    ApiPath((_, user_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<UserBody>,
) -> ApiResult<Json<types::UserResponse>> {
    let changes = UserChanges {
        email: body.email,
        phone: body.phone,
        user_metadata: body.user_metadata,
    };
    let mut store = ctx.store();
    Ok(user_response(store.update_user(
        &user_id,
        changes,
        now(),
    )?))
}

async fn delete_user(
    State(ctx): Ctx,
    ApiPath((_, user_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    ctx.store().delete_user(&user_id)?;
    Ok(StatusCode::OK)
}

async fn activate_user(
    State(ctx): Ctx,
    ApiPath((_, user_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<types::UserResponse>> {
    set_status(&ctx, &user_id, UserStatus::Active)
}

async fn deactivate_user(
    State(ctx): Ctx,
    ApiPath((_, user_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<types::UserResponse>> {
    set_status(&ctx, &user_id, UserStatus::Inactive)
}

fn set_status(
    ctx: &Context,
    user_id: &str,
    status: UserStatus,
) -> ApiResult<Json<types::UserResponse>> {
    Ok(user_response(ctx.store().set_status(
        user_id,
        status,
        now(),
    )?))
}

async fn list_devices(
    State(ctx): Ctx,
    ApiPath((_, user_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<types::DevicesResponse>> {
    let devices = ctx.store().user(&user_id)?.devices.clone();
    Ok(Json(types::DevicesResponse { devices }))
}

async fn delete_device(
    State(ctx): Ctx,
    ApiPath((_, user_id, device_id)): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    ctx.store().delete_device(&user_id, &device_id, now())?;
    Ok(StatusCode::OK)
}

async fn revoke_refresh_tokens(
    State(ctx): Ctx,
    ApiPath((_, user_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    ctx.store().revoke_refresh_tokens(&user_id, now())?;
    Ok(StatusCode::OK)
}
