//! What every HTTP framework must do alike: `http_cases!(start)` writes one test per case for a
//! framework whose `start(passage)` serves `GET /me` (the user id, authentication required) and
//! returns its base URL.

use std::future::Future;
use std::pin::Pin;

use passage_identity::{AuthStrategy, Passage};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::auth::*;

/// Serves the framework's app for `passage` and returns its base URL.
pub type Start = fn(Passage) -> Pin<Box<dyn Future<Output = String> + Send>>;

/// One test per case, for the framework served by `$start`.
macro_rules! http_cases {
    ($start:expr) => {
        http_cases!(@each $start,
            a_valid_cookie_reaches_the_handler,
            a_valid_bearer_header_reaches_the_handler,
            a_request_without_a_token_gets_401_with_a_bare_challenge,
            a_bad_token_gets_401_invalid_token,
            an_expired_token_gets_401_saying_so,
            unavailable_keys_get_503_with_retry_after,
            conflicting_cookies_get_400_invalid_request,
            an_unusable_authorization_header_gets_400);
    };
    (@each $start:expr, $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                crate::frameworks::cases::$case($start).await
            }
        )*
    };
}

/// A JWKS server with key A, a `Passage` on it with `strategy`, the framework's base URL.
async fn setup(start: Start, strategy: AuthStrategy) -> (JwksServer, String) {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().auth_strategy(strategy).build().unwrap();
    let url = start(passage).await;
    (server, url)
}

async fn get_me(url: &str, header: Option<(&str, String)>) -> reqwest::Response {
    let mut request = client().get(format!("{url}/me"));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    request.send().await.unwrap()
}

fn cookie(token: &str) -> Option<(&'static str, String)> {
    Some(("cookie", format!("psg_auth_token={token}")))
}

/// The response is the shared rejection: `status`, the challenge (none for 503), a JSON body with
/// `code`, and never the token.
pub async fn assert_rejected(
    response: reqwest::Response,
    status: StatusCode,
    challenge: Option<&str>,
    code: &str,
) {
    assert_eq!(response.status(), status);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    let found = headers
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    match challenge {
        Some(prefix) => {
            let found = found.expect("a WWW-Authenticate header");
            assert!(found.starts_with(prefix), "{found}");
        }
        None => assert_eq!(found, None),
    }
    let retry_after = headers.get("retry-after").map(|v| v.to_str().unwrap());
    let expected_retry = (status == StatusCode::SERVICE_UNAVAILABLE).then_some("5");
    assert_eq!(retry_after, expected_retry);
    let text = response.text().await.unwrap();
    // Every token of these tests is a JWT, and a JWT's header starts `eyJ` (`{"`).
    for (name, value) in &headers {
        assert!(
            !value.as_bytes().windows(3).any(|w| w == b"eyJ"),
            "{name}: {value:?}"
        );
    }
    assert!(!text.contains("eyJ"), "the body shows a token: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
}

pub async fn a_valid_cookie_reaches_the_handler(start: Start) {
    let (server, url) = setup(start, AuthStrategy::Cookie).await;
    let response = get_me(&url, cookie(&server.token(key_a()))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), USER_ID);
}

pub async fn a_valid_bearer_header_reaches_the_handler(start: Start) {
    let (server, url) = setup(start, AuthStrategy::Header).await;
    let bearer = format!("Bearer {}", server.token(key_a()));
    let response = get_me(&url, Some(("authorization", bearer))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), USER_ID);
}

pub async fn a_request_without_a_token_gets_401_with_a_bare_challenge(start: Start) {
    let (_server, url) = setup(start, AuthStrategy::Cookie).await;
    let response = get_me(&url, None).await;
    let challenge = r#"Bearer realm="passage""#;
    assert_eq!(response.headers()["www-authenticate"], challenge);
    assert_rejected(
        response,
        StatusCode::UNAUTHORIZED,
        Some(challenge),
        "missing_credentials",
    )
    .await;
}

pub async fn a_bad_token_gets_401_invalid_token(start: Start) {
    let (_server, url) = setup(start, AuthStrategy::Cookie).await;
    let response = get_me(&url, cookie("not.a.token")).await;
    let challenge = r#"Bearer realm="passage", error="invalid_token""#;
    assert_rejected(
        response,
        StatusCode::UNAUTHORIZED,
        Some(challenge),
        "malformed_token",
    )
    .await;
}

pub async fn an_expired_token_gets_401_saying_so(start: Start) {
    let (server, url) = setup(start, AuthStrategy::Cookie).await;
    let expired = server.token_with(key_a(), |c| c["exp"] = json!(now() - 60));
    let response = get_me(&url, cookie(&expired)).await;
    let challenge = r#"Bearer realm="passage", error="invalid_token", error_description="the token has expired""#;
    assert_rejected(
        response,
        StatusCode::UNAUTHORIZED,
        Some(challenge),
        "token_expired",
    )
    .await;
}

pub async fn unavailable_keys_get_503_with_retry_after(start: Start) {
    let (passage, token) = unreachable_passage().await;
    let url = start(passage).await;
    let response = get_me(&url, cookie(&token)).await;
    assert_rejected(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "key_set_unavailable",
    )
    .await;
}

pub async fn conflicting_cookies_get_400_invalid_request(start: Start) {
    let (server, url) = setup(start, AuthStrategy::Cookie).await;
    let planted = server.token_with(key_a(), |c| c["sub"] = json!("attacker_0123456789abcd"));
    let both = format!(
        "psg_auth_token={planted}; psg_auth_token={}",
        server.token(key_a())
    );
    let response = get_me(&url, Some(("cookie", both))).await;
    let challenge = r#"Bearer realm="passage", error="invalid_request""#;
    assert_rejected(
        response,
        StatusCode::BAD_REQUEST,
        Some(challenge),
        "ambiguous_cookie",
    )
    .await;
}

pub async fn an_unusable_authorization_header_gets_400(start: Start) {
    let (_server, url) = setup(start, AuthStrategy::Header).await;
    let response = get_me(&url, Some(("authorization", "Basic dXNlcjpwYXNz".into()))).await;
    let challenge = r#"Bearer realm="passage", error="invalid_request""#;
    assert_rejected(
        response,
        StatusCode::BAD_REQUEST,
        Some(challenge),
        "invalid_authorization_header",
    )
    .await;
}
