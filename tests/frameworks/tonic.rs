//! The tower layer on a tonic server: real gRPC calls over HTTP/2 on loopback, to a service
//! written by hand (the example's), which reads the user id from the request extensions.

#[path = "../../examples/support/identity_grpc.rs"]
mod identity_grpc;

use identity_grpc::{IdentityServer, who_am_i};
use passage_identity::AuthStrategy;
use passage_identity::tower::PassageLayer;
use serde_json::json;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Code, Status};

use crate::common::auth::*;

/// A tonic server with `layer` and the identity service; a channel to it.
async fn serve_grpc(layer: PassageLayer) -> Channel {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .layer(layer)
            .add_service(IdentityServer)
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

async fn with_strategy(strategy: AuthStrategy) -> (JwksServer, Channel) {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().auth_strategy(strategy).build().unwrap();
    let channel = serve_grpc(PassageLayer::new(passage)).await;
    (server, channel)
}

fn cookie(token: &str) -> String {
    format!("psg_auth_token={token}")
}

fn assert_status(result: Result<String, Status>, code: Code, message: &str) {
    let status = result.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert!(status.message().contains(message), "{status:?}");
}

#[tokio::test]
async fn a_call_with_a_valid_cookie_reaches_the_handler_with_the_user_id() {
    let (server, channel) = with_strategy(AuthStrategy::Cookie).await;
    let token = server.token(key_a());
    let user = who_am_i(channel, &[("cookie", &cookie(&token))]).await;
    assert_eq!(user.unwrap(), USER_ID);
}

#[tokio::test]
async fn a_call_with_a_valid_bearer_header_reaches_the_handler() {
    let (server, channel) = with_strategy(AuthStrategy::Header).await;
    let bearer = format!("Bearer {}", server.token(key_a()));
    let user = who_am_i(channel, &[("authorization", &bearer)]).await;
    assert_eq!(user.unwrap(), USER_ID);
}

#[tokio::test]
async fn a_call_without_a_token_is_unauthenticated() {
    let (_server, channel) = with_strategy(AuthStrategy::Cookie).await;
    let result = who_am_i(channel, &[]).await;
    assert_status(
        result,
        Code::Unauthenticated,
        "no Passage token in the request",
    );
}

#[tokio::test]
async fn a_call_with_a_bad_token_is_unauthenticated() {
    let (_server, channel) = with_strategy(AuthStrategy::Cookie).await;
    let result = who_am_i(channel, &[("cookie", &cookie("not.a.token"))]).await;
    assert_status(result, Code::Unauthenticated, "malformed");
}

#[tokio::test]
async fn a_call_with_an_expired_token_is_unauthenticated() {
    let (server, channel) = with_strategy(AuthStrategy::Cookie).await;
    let expired = server.token_with(key_a(), |c| c["exp"] = json!(now() - 60));
    let result = who_am_i(channel, &[("cookie", &cookie(&expired))]).await;
    assert_status(result, Code::Unauthenticated, "expired");
}

#[tokio::test]
async fn a_call_when_keys_are_unavailable_is_unavailable() {
    let (passage, token) = unreachable_passage().await;
    let channel = serve_grpc(PassageLayer::new(passage)).await;
    let result = who_am_i(channel, &[("cookie", &cookie(&token))]).await;
    assert_status(
        result,
        Code::Unavailable,
        "signing keys could not be loaded",
    );
}

#[tokio::test]
async fn the_optional_layer_lets_anonymous_calls_through() {
    let server = JwksServer::start(&[key_a()]).await;
    let layer = PassageLayer::new(server.passage().build().unwrap()).optional();
    let channel = serve_grpc(layer).await;
    let anonymous = who_am_i(channel.clone(), &[("cookie", &cookie("garbage"))]).await;
    assert_eq!(anonymous.unwrap(), "anonymous");
    let token = server.token(key_a());
    let user = who_am_i(channel, &[("cookie", &cookie(&token))]).await;
    assert_eq!(user.unwrap(), USER_ID);
}

#[tokio::test]
async fn a_custom_rejection_can_answer_with_any_grpc_status() {
    let server = JwksServer::start(&[key_a()]).await;
    let layer = PassageLayer::new(server.passage().build().unwrap())
        .on_rejection(|error| Status::permission_denied(error.code()).into_http::<String>());
    let channel = serve_grpc(layer).await;
    let result = who_am_i(channel, &[]).await;
    assert_status(result, Code::PermissionDenied, "missing_credentials");
}
