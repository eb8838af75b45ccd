//! A tonic gRPC server behind `PassageLayer`: the handler reads the user id from the request
//! extensions. The service is written by hand (`support/identity_grpc.rs`), so nothing needs
//! protoc. Readiness is served over plain HTTP on a second port, as gRPC servers often do.
//!
//! ```text
//! cargo run --example tonic             # gRPC on 127.0.0.1:50051, readiness on :3001, until Ctrl-C
//! cargo run --example tonic -- --check  # calls its own services once and exits
//! ```
//!
//! Without `PASSAGE_APP_ID` in the environment it runs against the embedded emulator and prints
//! a token to try the service with.

#[path = "support/identity_grpc.rs"]
mod identity_grpc;
mod support;

use std::future::IntoFuture;

use axum::extract::State;
use axum::http::StatusCode;
use identity_grpc::{IdentityServer, who_am_i};
use passage_identity::Passage;
use passage_identity::tower::PassageLayer;
use tonic::Code;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};

/// For a readiness probe: 200 once the app's keys are loaded and trusted, else 503.
async fn ready(State(passage): State<Passage>) -> (StatusCode, &'static str) {
    let (status, text) = support::readiness(&passage).await;
    (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), text)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::Example::start().await?;
    let passage = example.passage.clone();
    let (grpc_addr, ready_addr) = (example.addr(50051), example.addr(3001));
    let grpc = tokio::net::TcpListener::bind(&grpc_addr).await?;
    let grpc_base = format!("http://{}", grpc.local_addr()?);
    let probe = tokio::net::TcpListener::bind(&ready_addr).await?;
    let ready_url = format!("http://{}/ready", probe.local_addr()?);
    let probe_app = axum::Router::new()
        .route("/ready", axum::routing::get(ready))
        .with_state(passage.clone());
    let probe_server = tokio::spawn(axum::serve(probe, probe_app).into_future());
    let grpc_server = tokio::spawn(
        Server::builder()
            .layer(PassageLayer::new(passage))
            .add_service(IdentityServer)
            .serve_with_incoming(TcpIncoming::from(grpc)),
    );
    let token = example.target.demo_token()?;
    if !example.check {
        println!(
            "gRPC on {grpc_base}: /demo.Identity/WhoAmI (UTF-8 messages); readiness at {ready_url}"
        );
        if let Some(token) = &token {
            println!("  metadata to send: cookie: psg_auth_token={token}");
        }
        grpc_server.await??;
        return Ok(());
    }

    let channel = Channel::from_shared(grpc_base)?.connect().await?;
    let anonymous = who_am_i(channel.clone(), &[]).await;
    match &anonymous {
        Ok(user) => println!("WhoAmI (no token)     -> ok: {user}"),
        Err(status) => println!(
            "WhoAmI (no token)     -> {:?}: {}",
            status.code(),
            status.message()
        ),
    }
    let mut ok = matches!(&anonymous, Err(status) if status.code() == Code::Unauthenticated);
    if let Some(token) = token {
        let cookie = format!("psg_auth_token={token}");
        let signed_in = who_am_i(channel, &[("cookie", &cookie)]).await;
        match &signed_in {
            Ok(user) => println!("WhoAmI (cookie token) -> ok: {user}"),
            Err(status) => println!("WhoAmI (cookie token) -> {status}"),
        }
        ok &= signed_in.is_ok();
    }
    let readiness = reqwest::get(&ready_url).await?.status();
    println!("GET /ready            -> {readiness}");
    ok &= readiness == 200;
    grpc_server.abort();
    probe_server.abort();
    if ok {
        Ok(())
    } else {
        Err("the example's service did not answer as expected".into())
    }
}
