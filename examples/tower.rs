//! A bare hyper server whose protected routes sit behind `PassageLayer`, the tower layer: the
//! handler reads the user id from the request extensions. `/` and `/ready` are routed around it.
//!
//! ```text
//! cargo run --example tower             # serves on 127.0.0.1:3000 until Ctrl-C
//! cargo run --example tower -- --check  # calls its own routes once and exits
//! ```
//!
//! Without `PASSAGE_APP_ID` in the environment it runs against the embedded emulator and prints
//! a token to try the protected route with.

mod support;

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use passage_identity::Passage;
use passage_identity::tower::{PassageLayer, PassageUser, ResponseBody};
use tower::{Layer, ServiceExt, service_fn};

type Body = ResponseBody<Full<Bytes>>;

fn text(status: StatusCode, text: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(text.into()));
    *response.status_mut() = status;
    response
}

/// Behind the layer: only authenticated requests get here, with the user in the extensions.
async fn protected(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let user = match request.extensions().get::<PassageUser>() {
        Some(PassageUser(user_id)) => user_id.clone(),
        None => "nobody (unreachable: the layer rejects these)".to_owned(),
    };
    Ok(text(StatusCode::OK, format!("hello, user {user}\n")))
}

/// The whole app: `/` and `/ready` answered here, every other path by the protected service.
async fn app(passage: Passage, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let (status, body) = match request.uri().path() {
        "/" => (200, "hello, anyone\n"),
        "/ready" => support::readiness(&passage).await,
        _ => {
            return PassageLayer::new(passage)
                .layer(service_fn(protected))
                .oneshot(request)
                .await;
        }
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    Ok(text(status, body).map(Either::Left))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::Example::start().await?;
    let passage = example.passage.clone();
    let addr = example.addr(3000);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let passage = passage.clone();
            let service = service_fn(move |request| app(passage.clone(), request));
            tokio::spawn(async move {
                let served = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
                if let Err(error) = served {
                    eprintln!("connection error: {error}");
                }
            });
        }
    });
    let token = example.target.demo_token()?;
    if !example.check {
        support::print_usage(&base, token.as_deref());
        server.await?;
        return Ok(());
    }
    let checked = support::check_routes(&base, token.as_deref()).await;
    server.abort();
    checked
}
