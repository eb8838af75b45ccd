//! An actix-web server with a public route, a protected route, a route for anyone that greets
//! signed-in users by id, and a readiness route.
//!
//! ```text
//! cargo run --example actix             # serves on 127.0.0.1:3000 until Ctrl-C
//! cargo run --example actix -- --check  # calls its own routes once and exits
//! ```
//!
//! Without `PASSAGE_APP_ID` in the environment it runs against the embedded emulator and prints
//! a token to try the protected route with.

mod support;

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use passage_identity::Passage;
use passage_identity::actix::{OptionalPassageUser, PassageUser};

/// Anyone may call this; a signed-in user is greeted by id. (A bad token is still a 401.)
async fn public(OptionalPassageUser(user): OptionalPassageUser) -> String {
    match user {
        Some(PassageUser(user_id)) => format!("hello, user {user_id}\n"),
        None => "hello, anyone\n".to_owned(),
    }
}

/// Only a signed-in Passage user gets here; everyone else gets 401 with `WWW-Authenticate`.
async fn protected(PassageUser(user_id): PassageUser) -> String {
    format!("hello, user {user_id}\n")
}

/// For a readiness probe: 200 once the app's keys are loaded and trusted, else 503.
async fn ready(passage: web::Data<Passage>) -> HttpResponse {
    let (status, text) = support::readiness(&passage).await;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    HttpResponse::build(status).body(text)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::Example::start().await?;
    let passage = example.passage.clone();
    let addr = example.addr(3000);
    let listener = std::net::TcpListener::bind(&addr)?;
    let base = format!("http://{}", listener.local_addr()?);
    let data = web::Data::new(passage);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/", web::get().to(public))
            .route("/protected", web::get().to(protected))
            .route("/ready", web::get().to(ready))
    })
    .workers(if example.check { 1 } else { 2 })
    .listen(listener)?
    .run();
    let handle = server.handle();
    let server = tokio::spawn(server);
    let token = example.target.demo_token()?;
    if !example.check {
        support::print_usage(&base, token.as_deref());
        server.await??;
        return Ok(());
    }
    let checked = support::check_routes(&base, token.as_deref()).await;
    handle.stop(true).await;
    checked
}
