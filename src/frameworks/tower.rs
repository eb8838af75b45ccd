//! tower integration: [`PassageLayer`] authenticates every request of any tower server (tonic,
//! hyper through `hyper-util`, axum, ...).
//!
//! An authenticated request reaches the inner service with a [`PassageUser`] and a
//! [`PassageClaims`] in its extensions. Any other request is answered by the layer without
//! calling the inner service, with the [`AuthRejection`] response: 401 (or 400) with
//! `WWW-Authenticate` and a JSON body, or 503 with `Retry-After` when the keys cannot be loaded.
//! A gRPC request (`content-type: application/grpc...`) gets a gRPC status instead:
//! `UNAUTHENTICATED` or `UNAVAILABLE`, trailers-only (HTTP 200 with `grpc-status` and
//! `grpc-message`).
//!
//! ```no_run
//! use passage_identity::tower::{PassageLayer, PassageUser};
//! use passage_identity::Passage;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let passage = Passage::new("my-app-id", "my-api-key")?;
//!
//! // tonic: the user id is in `request.extensions()` in every handler.
//! # #[cfg(any())] {
//! tonic::transport::Server::builder()
//!     .layer(PassageLayer::new(passage.clone()))
//!     .add_service(my_service)
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//! # }
//!
//! // axum: `Extension<PassageUser>` in the handlers behind it.
//! async fn me(axum::Extension(PassageUser(id)): axum::Extension<PassageUser>) -> String {
//!     id
//! }
//! let app: axum::Router = axum::Router::new()
//!     .route("/me", axum::routing::get(me))
//!     .layer(PassageLayer::new(passage));
//! # let _ = app;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::CONTENT_TYPE;
use http::{Request, Response};
use http_body_util::{Either, Full};
use tower_layer::Layer;
use tower_service::Service;

use crate::{AuthError, Passage};

pub use super::{AuthRejection, PassageClaims, PassageUser};

/// The body of a response through [`PassageService`]: the inner service's, or the layer's
/// rejection.
pub type ResponseBody<B> = Either<B, Full<Bytes>>;

type Rejecter = dyn Fn(AuthError) -> Response<Full<Bytes>> + Send + Sync;

/// A tower layer that authenticates every request with a [`Passage`] (see the
/// [module](self)).
///
/// ```
/// use passage_identity::tower::PassageLayer;
///
/// let passage = passage_identity::Passage::builder("my-app-id").build()?;
/// let layer = PassageLayer::new(passage);
/// # let _ = layer;
/// # Ok::<(), passage_identity::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct PassageLayer {
    passage: Passage,
    optional: bool,
    on_rejection: Option<Arc<Rejecter>>,
}

impl fmt::Debug for PassageLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassageLayer")
            .field("passage", &self.passage)
            .field("optional", &self.optional)
            .field("custom_rejection", &self.on_rejection.is_some())
            .finish()
    }
}

impl PassageLayer {
    /// A layer that lets only authenticated requests through.
    ///
    /// ```
    /// # let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// let layer = passage_identity::tower::PassageLayer::new(passage);
    /// # let _ = layer;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn new(passage: Passage) -> Self {
        Self {
            passage,
            optional: false,
            on_rejection: None,
        }
    }

    /// Lets every request through, and only annotates the authenticated ones: a request without
    /// a token, with a bad one, or that cannot be checked (keys unavailable, logged as a
    /// warning) reaches the inner service without a [`PassageUser`] in its extensions.
    ///
    /// ```
    /// # let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// let layer = passage_identity::tower::PassageLayer::new(passage).optional();
    /// # let _ = layer;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Answers refused requests, HTTP and gRPC alike, with `reject(error)` instead of the
    /// [`AuthRejection`] response. The body may be anything that turns into bytes (`String`,
    /// `&'static str`, `Vec<u8>`, `Bytes`); [`AuthRejection::http_response`] and
    /// [`AuthRejection::grpc_response`] give the defaults to start from.
    ///
    /// ```
    /// use http::{Response, StatusCode};
    /// use passage_identity::tower::PassageLayer;
    ///
    /// # let passage = passage_identity::Passage::builder("my-app-id").build()?;
    /// let layer = PassageLayer::new(passage).on_rejection(|error| {
    ///     let status = if error.is_server_error() { 503 } else { 302 };
    ///     Response::builder()
    ///         .status(status)
    ///         .header("location", "/login")
    ///         .body(String::new())
    ///         .unwrap_or_default()
    /// });
    /// # let _ = layer;
    /// # Ok::<(), passage_identity::ConfigError>(())
    /// ```
    pub fn on_rejection<F, B>(mut self, reject: F) -> Self
    where
        F: Fn(AuthError) -> Response<B> + Send + Sync + 'static,
        B: Into<Bytes>,
    {
        self.on_rejection = Some(Arc::new(move |error| {
            reject(error).map(|body| Full::new(body.into()))
        }));
        self
    }

    /// The response to a refused request.
    fn reject(&self, error: AuthError, grpc: bool) -> Response<Full<Bytes>> {
        if let Some(reject) = &self.on_rejection {
            return reject(error);
        }
        let rejection = AuthRejection::from(error);
        let response = if grpc {
            rejection.grpc_response()
        } else {
            rejection.http_response()
        };
        response.map(|body| Full::new(Bytes::from(body)))
    }
}

impl<S> Layer<S> for PassageLayer {
    type Service = PassageService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PassageService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`PassageLayer`] around an inner service.
#[derive(Clone, Debug)]
pub struct PassageService<S> {
    inner: S,
    layer: PassageLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for PassageService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The clone is not known to be ready; the service that was polled is taken.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let authenticated = layer.passage.authenticate_request_claims(&request);
        let grpc = is_grpc(&request);
        Box::pin(async move {
            match authenticated.await {
                Ok(claims) => {
                    let extensions = request.extensions_mut();
                    extensions.insert(PassageUser(claims.sub.clone()));
                    extensions.insert(PassageClaims(claims));
                }
                Err(error) if layer.optional => {
                    if error.is_server_error() {
                        tracing::warn!(error = %crate::auth::ErrorChain(&error), "cannot check Passage tokens: the request goes on as anonymous");
                    }
                }
                Err(error) => return Ok(layer.reject(error, grpc).map(Either::Right)),
            }
            let response = inner.call(request).await?;
            Ok(response.map(Either::Left))
        })
    }
}

/// Whether the request is a gRPC call, by its content type (`application/grpc`,
/// `application/grpc+proto`, `application/grpc-web`...).
fn is_grpc<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"))
}
