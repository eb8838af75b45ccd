//! The axum extractors on a real server on 127.0.0.1, called with reqwest.

use axum::Router;
use axum::routing::get;
use passage_identity::axum::{AuthRejection, PassageClaims, PassageUser};
use passage_identity::{AuthStrategy, Passage};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::auth::*;

async fn me(PassageUser(user_id): PassageUser) -> String {
    user_id
}

async fn maybe(user: Option<PassageUser>) -> String {
    match user {
        Some(PassageUser(id)) => format!("user {id}"),
        None => "anonymous".to_owned(),
    }
}

async fn claims(PassageClaims(claims): PassageClaims) -> String {
    claims.aud.iter().collect::<Vec<_>>().join(",")
}

async fn custom(user: Result<PassageUser, AuthRejection>) -> String {
    match user {
        Ok(PassageUser(id)) => id,
        Err(rejection) => format!("handled {}", rejection.error().code()),
    }
}

/// An app with the extractors, whose state is the `Passage` value.
async fn app(passage: Passage) -> String {
    serve(
        Router::new()
            .route("/me", get(me))
            .route("/maybe", get(maybe))
            .route("/claims", get(claims))
            .route("/custom", get(custom))
            .with_state(passage),
    )
    .await
}

async fn cookie_app() -> (JwksServer, String) {
    let server = JwksServer::start(&[key_a()]).await;
    let url = app(server.passage().build().unwrap()).await;
    (server, url)
}

async fn get_with_cookie(url: &str, token: &str) -> reqwest::Response {
    client()
        .get(url)
        .header("cookie", format!("psg_auth_token={token}"))
        .send()
        .await
        .unwrap()
}

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .expect("a WWW-Authenticate header")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_authenticated_request_reaches_the_handler_with_the_user_id() {
    let (server, url) = cookie_app().await;
    let response = get_with_cookie(&format!("{url}/me"), &server.token(key_a())).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), USER_ID);
}

#[tokio::test]
async fn a_request_without_a_token_gets_401_with_a_bare_challenge() {
    let (_server, url) = cookie_app().await;
    let response = client().get(format!("{url}/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), r#"Bearer realm="passage""#);
    assert_eq!(response.headers()["content-type"], "application/json",);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "missing_credentials");
    assert!(body["error"].as_str().unwrap().contains("psg_auth_token"));
}

#[tokio::test]
async fn a_bad_token_gets_401_invalid_token_without_echoing_it() {
    let (server, url) = cookie_app().await;
    let expired = server.token_with(key_a(), |c| c["exp"] = json!(now() - 60));
    let response = get_with_cookie(&format!("{url}/me"), &expired).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = challenge(&response);
    assert!(
        challenge.starts_with(r#"Bearer realm="passage", error="invalid_token""#),
        "{challenge}"
    );
    let body = response.text().await.unwrap();
    let body_json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body_json["code"], "token_expired");
    assert!(!body.contains(expired.rsplit_once('.').unwrap().1));
}

#[tokio::test]
async fn a_forged_token_gets_401() {
    let (server, url) = cookie_app().await;
    let forged = forge(
        &json!({"alg": "none", "kid": key_a().kid()}),
        &valid_claims(&server.base_url),
        b"",
    );
    let response = get_with_cookie(&format!("{url}/me"), &forged).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unsupported_algorithm");
}

#[tokio::test]
async fn an_unavailable_key_set_gets_503_not_401() {
    let passage = Passage::builder(APP_ID)
        .auth_base_url(closed_base_url().await)
        .build()
        .unwrap();
    let url = app(passage).await;
    let token = key_a().sign(&valid_claims("http://unused")).unwrap();
    let response = get_with_cookie(&format!("{url}/me"), &token).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("www-authenticate").is_none());
    assert!(response.headers().get("retry-after").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "key_set_unavailable");
}

#[tokio::test]
async fn an_unusable_authorization_header_gets_400_invalid_request() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server
        .passage()
        .auth_strategy(AuthStrategy::Header)
        .build()
        .unwrap();
    let url = app(passage).await;
    let response = client()
        .get(format!("{url}/me"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(challenge(&response).contains(r#"error="invalid_request""#));
}

#[tokio::test]
async fn a_bearer_token_works_with_the_header_strategy() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server
        .passage()
        .auth_strategy(AuthStrategy::Header)
        .build()
        .unwrap();
    let url = app(passage).await;
    let response = client()
        .get(format!("{url}/me"))
        .bearer_auth(server.token(key_a()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), USER_ID);
}

#[tokio::test]
async fn an_optional_user_is_none_without_a_token() {
    let (_server, url) = cookie_app().await;
    let response = client().get(format!("{url}/maybe")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "anonymous");
}

#[tokio::test]
async fn an_optional_user_is_some_with_a_good_token() {
    let (server, url) = cookie_app().await;
    let response = get_with_cookie(&format!("{url}/maybe"), &server.token(key_a())).await;
    assert_eq!(response.text().await.unwrap(), format!("user {USER_ID}"));
}

#[tokio::test]
async fn an_optional_user_still_rejects_a_bad_token() {
    let (_server, url) = cookie_app().await;
    let response = get_with_cookie(&format!("{url}/maybe"), "garbage").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_claims_extractor_gives_all_claims() {
    let (server, url) = cookie_app().await;
    let response = get_with_cookie(&format!("{url}/claims"), &server.token(key_a())).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await.unwrap(),
        format!("{AUTH_ORIGIN},{APP_ID}")
    );
}

#[tokio::test]
async fn a_handler_can_take_the_rejection_itself() {
    let (_server, url) = cookie_app().await;
    let response = client().get(format!("{url}/custom")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await.unwrap(),
        "handled missing_credentials"
    );
}
