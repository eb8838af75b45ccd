//! The HTTP server: binding on loopback, the router, serving, shutting down, and connections
//! that a fault can cut.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::extract::Request;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::api_error::ApiError;
use super::context::Context;
use super::{access, faults, log, management, tokens, EmulatorError};

/// How long [`ServerHandle::shutdown`] lets requests in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Binds `127.0.0.1:port` (0: a free port).
pub(crate) async fn bind(port: u16) -> Result<TcpListener, EmulatorError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpListener::bind(addr)
        .await
        .map_err(|source| EmulatorError::Bind { addr, source })
}

/// Every route, with the request log outermost, then fault injection.
pub(crate) fn router(ctx: Arc<Context>) -> Router {
    // The last layer added runs first: the API key before anything else.
    let behind_api_key = management::routes()
        .merge(tokens::control_routes())
        .route_layer(from_fn_with_state(ctx.clone(), access::require_app))
        .route_layer(from_fn_with_state(ctx.clone(), access::require_api_key));
    let public =
        tokens::auth_routes().route_layer(from_fn_with_state(ctx.clone(), access::require_app));
    Router::new()
        .merge(behind_api_key)
        .merge(public)
        .fallback(|request: Request| async move {
            ApiError::route_not_found(request.method().as_str(), request.uri().path())
        })
        .method_not_allowed_fallback(|request: Request| async move {
            ApiError::method_not_allowed(request.method().as_str(), request.uri().path())
                .into_response()
        })
        .layer(from_fn_with_state(ctx.clone(), faults::inject))
        .layer(from_fn_with_state(ctx.clone(), log::record))
        .with_state(ctx)
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
            let listener = CuttableListener { inner: listener };
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

    /// Stops accepting connections; requests in flight finish (up to a few seconds).
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

/// A connection, as the handlers see it: who is on the other end, and a switch to cut it.
#[derive(Clone, Debug)]
pub(crate) struct Connection {
    #[allow(dead_code)] // Shown in `Debug`, for whoever debugs a connection.
    remote: SocketAddr,
    cut: Arc<AtomicBool>,
}

impl Connection {
    /// Cuts the connection: from now on every read and write on it fails, so the server closes
    /// it without writing the answer.
    pub(crate) fn kill(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections can be cut from a handler.
#[derive(Debug)]
pub(crate) struct CuttableListener {
    inner: TcpListener,
}

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = Connection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let cut = Arc::new(AtomicBool::new(false));
                    let connection = Connection {
                        remote,
                        cut: cut.clone(),
                    };
                    return (CuttableStream { inner: stream, cut }, connection);
                }
                // A connection that failed before it was accepted concerns only its client.
                Err(e) if is_connection_error(&e) => continue,
                // Out of file descriptors and the like: wait, as axum's own listener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(Connection {
            remote: self.inner.local_addr()?,
            cut: Arc::new(AtomicBool::new(false)),
        })
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A TCP stream that fails every operation once its connection is cut.
#[derive(Debug)]
pub(crate) struct CuttableStream {
    inner: TcpStream,
    cut: Arc<AtomicBool>,
}

impl CuttableStream {
    fn check(&self) -> io::Result<()> {
        if self.cut.load(Ordering::SeqCst) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by an injected fault",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for CuttableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
