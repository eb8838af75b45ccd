//! The tower layer on a bare hyper server: an inner service that answers with the user id from
//! the request extensions, and counts its calls.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::Full;
use passage_identity::Passage;
use passage_identity::axum::PassageClaims;
use passage_identity::tower::{PassageLayer, PassageUser};
use reqwest::StatusCode;
use serde_json::json;
use tower::{Layer, service_fn};

use crate::common::auth::*;

type Request = http::Request<hyper::body::Incoming>;

/// The inner service: the user id, or `anonymous`; bumps `calls` each time it runs.
fn inner(
    calls: Arc<AtomicUsize>,
) -> impl tower::Service<
    Request,
    Response = http::Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    service_fn(move |request: Request| {
        calls.fetch_add(1, Ordering::SeqCst);
        let answer = match request.extensions().get::<PassageUser>() {
            Some(PassageUser(id)) => id.clone(),
            None => "anonymous".to_owned(),
        };
        async move { Ok(http::Response::new(Full::new(Bytes::from(answer)))) }
    })
}

async fn serve_layer(layer: PassageLayer) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let url = serve_service(layer.layer(inner(Arc::clone(&calls)))).await;
    (url, calls)
}

fn start(passage: Passage) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async move { serve_layer(PassageLayer::new(passage)).await.0 })
}

http_cases!(start);

#[tokio::test]
async fn a_rejected_request_never_reaches_the_inner_service() {
    let server = JwksServer::start(&[key_a()]).await;
    let (url, calls) = serve_layer(PassageLayer::new(server.passage().build().unwrap())).await;
    let response = client().get(format!("{url}/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_optional_layer_lets_everyone_through_and_annotates_only_the_signed_in() {
    let server = JwksServer::start(&[key_a()]).await;
    let layer = PassageLayer::new(server.passage().build().unwrap()).optional();
    let (url, calls) = serve_layer(layer).await;
    let expired = server.token_with(key_a(), |c| c["exp"] = json!(now() - 60));
    for (cookie, expected) in [
        (None, "anonymous"),
        (Some("garbage".to_owned()), "anonymous"),
        (Some(expired), "anonymous"),
        (Some(server.token(key_a())), USER_ID),
    ] {
        let mut request = client().get(format!("{url}/me"));
        if let Some(token) = &cookie {
            request = request.header("cookie", format!("psg_auth_token={token}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), expected, "{cookie:?}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn the_optional_layer_lets_requests_through_when_keys_are_unavailable() {
    let (passage, token) = unreachable_passage().await;
    let (url, _) = serve_layer(PassageLayer::new(passage).optional()).await;
    let response = client()
        .get(format!("{url}/me"))
        .header("cookie", format!("psg_auth_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "anonymous");
}

#[tokio::test]
async fn a_custom_rejection_replaces_the_default_response() {
    let server = JwksServer::start(&[key_a()]).await;
    let layer = PassageLayer::new(server.passage().build().unwrap()).on_rejection(|error| {
        http::Response::builder()
            .status(StatusCode::FOUND)
            .header("location", "/login")
            .header("x-reason", error.code())
            .body(format!("please sign in ({})", error.code()))
            .unwrap()
    });
    let (url, calls) = serve_layer(layer).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(format!("{url}/me"))
        .header("cookie", "psg_auth_token=garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/login");
    assert_eq!(response.headers()["x-reason"], "malformed_token");
    assert!(response.headers().get("www-authenticate").is_none());
    assert_eq!(
        response.text().await.unwrap(),
        "please sign in (malformed_token)"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// A gRPC-shaped request over HTTP/1: the status is in the headers, HTTP 200, no body.
async fn grpc_rejection(passage: Passage, token: Option<&str>) -> reqwest::Response {
    let (url, _) = serve_layer(PassageLayer::new(passage)).await;
    let mut request = client()
        .post(format!("{url}/demo.Identity/WhoAmI"))
        .header("content-type", "application/grpc+proto");
    if let Some(token) = token {
        request = request.header("cookie", format!("psg_auth_token={token}"));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_grpc_request_without_a_token_gets_unauthenticated_trailers_only() {
    let server = JwksServer::start(&[key_a()]).await;
    let response = grpc_rejection(server.passage().build().unwrap(), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/grpc");
    assert_eq!(headers["grpc-status"], "16");
    let message = headers["grpc-message"].to_str().unwrap();
    assert!(message.contains("no Passage token"), "{message}");
    assert!(headers.get("www-authenticate").is_none());
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_grpc_request_when_keys_are_unavailable_gets_unavailable() {
    let (passage, token) = unreachable_passage().await;
    let response = grpc_rejection(passage, Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["grpc-status"], "14");
}

async fn claims_sub(PassageClaims(claims): PassageClaims) -> String {
    claims.sub
}

#[tokio::test]
async fn axum_extractors_behind_the_layer_use_its_result() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    // The router's state is a Passage whose keys cannot load: only the layer's result can
    // authenticate the request.
    let (unreachable, _) = unreachable_passage().await;
    let app = Router::new()
        .route("/me", get(claims_sub))
        .layer(PassageLayer::new(passage))
        .with_state(unreachable);
    let url = serve(app).await;
    let response = client()
        .get(format!("{url}/me"))
        .header(
            "cookie",
            format!("psg_auth_token={}", server.token(key_a())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), USER_ID);
    assert_eq!(server.fetches(), 1);
}
