//! What the emulator recorded, over HTTP: the request log (without secrets) and the magic links
//! it would have sent.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::emulator::context::Context;
use crate::emulator::controls::log::RecordedRequest;

/// `GET .../requests` → `{"requests": [...]}`, oldest first.
pub(super) async fn requests(State(ctx): State<Arc<Context>>) -> Json<Value> {
    let requests: Vec<Value> = ctx.log.snapshot().iter().map(request_json).collect();
    Json(json!({ "requests": requests }))
}

/// One logged request; a header sent more than once has its values joined with `, `.
fn request_json(request: &RecordedRequest) -> Value {
    let mut headers = Map::new();
    for name in request.headers.keys() {
        let values: Vec<String> = request
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        headers.insert(name.as_str().to_owned(), Value::String(values.join(", ")));
    }
    json!({
        "method": request.method.as_str(),
        "path": request.path,
        "query": request.query,
        "headers": headers,
        "body": request.body,
        "status": request.status,
    })
}

/// `DELETE .../requests` → 204; the log is empty.
pub(super) async fn clear_requests(State(ctx): State<Arc<Context>>) -> StatusCode {
    ctx.log.clear();
    StatusCode::NO_CONTENT
}

/// `GET .../magic-links` → `{"magic_links": [...]}`, oldest first, each with its `url`,
/// `secret`, `identifier`, `type`, `language` and `channel`.
pub(super) async fn magic_links(State(ctx): State<Arc<Context>>) -> Json<Value> {
    Json(json!({ "magic_links": ctx.store().magic_links() }))
}
