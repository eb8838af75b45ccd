//! The HTTP server: binding on loopback, the router with its layers, serving and shutting down.
//!
//! Requests pass the request log, then fault injection, then (for the Management API) the API
//! key check, before the handlers of [`super::api`] see them. The control API has the API key
//! check but neither of the others: the test's own controls are not what it tests.

mod access;
mod connection;

mod layers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::api::{control, management, sign_in, tokens};
use super::context::Context;
use super::error::EmulatorError;
use super::rejection::ApiError;
pub(crate) use connection::Connection;
use connection::CuttableListener;

/// How long [`ServerHandle::shutdown`] lets requests in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Binds `addr` (port 0: a free port).
pub(crate) async fn bind(addr: SocketAddr) -> Result<TcpListener, EmulatorError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| EmulatorError::Bind { addr, source })
}

/// Every route, with the request log outermost, then fault injection.
pub(crate) fn router(ctx: Arc<Context>) -> Router {
    // The last layer added runs first: the API key before anything else.
    let behind_api_key = management::routes()
        .route_layer(from_fn_with_state(ctx.clone(), access::require_app))
        .route_layer(from_fn_with_state(ctx.clone(), access::require_api_key));
    let controls = control::routes()
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(from_fn_with_state(ctx.clone(), access::require_app))
        .route_layer(from_fn_with_state(ctx.clone(), access::require_api_key));
    let public =
        tokens::auth_routes().route_layer(from_fn_with_state(ctx.clone(), access::require_app));
    Router::new()
        .merge(behind_api_key)
        .merge(public)
        .merge(sign_in::routes())
        .fallback(|request: Request| async move {
            ApiError::route_not_found(request.method().as_str(), request.uri().path())
        })
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(ctx.clone(), layers::inject_fault))
        .layer(from_fn_with_state(ctx.clone(), layers::record))
        // After the layers, so that they do not apply to it.
        .merge(controls)
        .with_state(ctx)
}

async fn method_not_allowed(request: Request) -> Response {
    ApiError::method_not_allowed(request.method().as_str(), request.uri().path()).into_response()
}

/// A running server.
#[derive(Debug)]
pub(crate) struct ServerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ServerHandle {
    /// Serves `router` on `listener` in a task of the current Tokio runtime.
    pub(crate) fn spawn(listener: TcpListener, router: Router) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let service = router.into_make_service_with_connect_info::<Connection>();
        let task = tokio::spawn(async move {
            let listener = CuttableListener::new(listener);
            // Dropping the sender stops the server as well as sending on it.
            let signal = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, service)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::warn!(%error, "the Passage emulator stopped serving");
            }
        });
        Self {
            stop: Some(stop),
            task,
        }
    }

    /// Stops accepting connections and waits for the requests in flight, up to
    /// [`SHUTDOWN_GRACE`]. Past it the serving task is aborted; the connections it had spawned
    /// still finish their requests on their own.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
