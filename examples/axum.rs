//! An axum server with a public route, a protected route and a readiness route.
//!
//! ```text
//! cargo run --example axum             # serves on 127.0.0.1:3000 until Ctrl-C
//! cargo run --example axum -- --check  # calls its own routes once and exits
//! ```
//!
//! Without `PASSAGE_APP_ID` in the environment it runs against the embedded emulator and prints
//! a token to try the protected route with.

mod support;

use std::future::IntoFuture;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use passage_identity::Passage;
use passage_identity::axum::PassageUser;

/// Anyone may call this.
async fn public() -> &'static str {
    "hello, anyone\n"
}

/// Only a signed-in Passage user gets here; everyone else gets 401 with `WWW-Authenticate`.
async fn protected(PassageUser(user_id): PassageUser) -> String {
    format!("hello, user {user_id}\n")
}

/// For a readiness probe: 200 once the app's keys are loaded and trusted, else 503.
async fn ready(State(passage): State<Passage>) -> (StatusCode, &'static str) {
    let (status, text) = support::readiness(&passage).await;
    (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), text)
}

fn app(passage: Passage) -> Router {
    Router::new()
        .route("/", get(public))
        .route("/protected", get(protected))
        .route("/ready", get(ready))
        .with_state(passage)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::Example::start().await?;
    let passage = example.passage.clone();
    let addr = example.addr(3000);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(axum::serve(listener, app(passage)).into_future());
    let token = example.target.demo_token()?;
    if !example.check {
        support::print_usage(&base, token.as_deref());
        server.await??;
        return Ok(());
    }
    let checked = support::check_routes(&base, token.as_deref()).await;
    server.abort();
    checked
}
