//! The router's outer layers, which apply the test controls: the request log (outermost), then
//! fault injection.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::connection::{Connection, ConnectionDropped};
use crate::emulator::context::Context;
use crate::emulator::controls::faults::FaultAnswer;
use crate::emulator::extract::read_body;
use crate::emulator::rejection::ApiError;

/// What a fault with [`malformed_body`](crate::emulator::Fault::malformed_body) answers with.
const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\
<body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>\n";

/// Middleware: records the request (before anything else sees it) and the status answered.
pub(crate) async fn record(
    State(ctx): State<Arc<Context>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = read_body(body).await;
    let body = bytes.as_ref().ok().map(|b| &b[..]);
    let id = ctx.log.record(&parts, body, ctx.settings.api_key());
    let response = match bytes {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(error) => error.into_response(),
    };
    if response.extensions().get::<ConnectionDropped>().is_none() {
        ctx.log.finish(id, response.status().as_u16());
    }
    response
}

/// Middleware: applies the first matching fault, if any, else passes the request on.
pub(crate) async fn inject_fault(
    State(ctx): State<Arc<Context>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(fault) = ctx.faults.take(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let effect = fault.effect();
    if let Some(latency) = effect.latency {
        tokio::time::sleep(latency).await;
    }
    let retry_after = effect.retry_after.map(HeaderValue::from);
    let mut response = match effect.answer {
        FaultAnswer::DropConnection => {
            let connection = request.extensions().get::<ConnectInfo<Connection>>();
            match connection {
                Some(ConnectInfo(connection)) => {
                    connection.kill();
                    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                    response.extensions_mut().insert(ConnectionDropped);
                    return response;
                }
                None => ApiError::internal("the emulator could not drop this connection")
                    .into_response(),
            }
        }
        FaultAnswer::Malformed(status) => (
            status,
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            HTML_PAGE,
        )
            .into_response(),
        FaultAnswer::Error(status) => ApiError::injected(status).into_response(),
        FaultAnswer::Normal => next.run(request).await,
    };
    if let Some(value) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}
