//! The app's state over HTTP: export it, replace it, save it to the state file, or empty the
//! app.

use std::sync::Arc;

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::internal;
use crate::emulator::EmulatorError;
use crate::emulator::context::Context;
use crate::emulator::extract::parse_json_object;
use crate::emulator::rejection::ApiError;
use crate::emulator::state::EmulatorState;

/// The largest state `PUT .../state` reads: an app with many users is larger than a request.
const STATE_LIMIT: usize = 64 * 1024 * 1024;

/// `POST .../reset` → 204; no users, devices, magic links, faults or logged requests.
pub(super) async fn reset(State(ctx): State<Arc<Context>>) -> StatusCode {
    ctx.reset();
    StatusCode::NO_CONTENT
}

/// `GET .../state` → the state (see [`EmulatorState`]).
pub(super) async fn export(State(ctx): State<Arc<Context>>) -> Json<EmulatorState> {
    Json(ctx.export_state())
}

/// `PUT .../state` with a state of this app → 204; its users, devices, magic links and keys
/// replace the app's.
pub(super) async fn import(
    State(ctx): State<Arc<Context>>,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let bytes = to_bytes(request.into_body(), STATE_LIMIT)
        .await
        .map_err(|_| ApiError::request_too_large(STATE_LIMIT))?;
    let value: Value = parse_json_object(&bytes)?;
    let state = EmulatorState::from_json(&value.to_string())
        .map_err(|e| ApiError::invalid_request(e.to_string()))?;
    ctx.import_state(&state)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST .../state/save` → `{"path": "..."}`, once the state file is written.
pub(super) async fn save(State(ctx): State<Arc<Context>>) -> Result<Json<Value>, ApiError> {
    match ctx.save_state() {
        Ok(path) => Ok(Json(json!({ "path": path.display().to_string() }))),
        Err(error @ EmulatorError::NoStateFile) => {
            Err(ApiError::invalid_request(error.to_string()))
        }
        Err(error) => Err(internal(&error)),
    }
}
