//! The request log: every request, oldest first, without secrets.

use http::Method;
use passage_identity::emulator::Emulator;
use reqwest::StatusCode;
use serde_json::json;

use crate::emulator::support::{Auth, app_path, call, call_raw, create_user, emulator};

#[tokio::test]
async fn every_request_is_logged_oldest_first_with_its_status() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let users = format!("{}/users", app_path(&emulator));
    call(
        &emulator,
        Method::GET,
        &format!("{users}?limit=5&identifier=ada%40example.com"),
        None,
    )
    .await;
    call_raw(&emulator, Method::GET, "/nowhere", Auth::Nothing, None).await;
    reqwest::get(emulator.jwks_url()).await.unwrap();
    let log = emulator.requests();
    let summary: Vec<(Method, &str, u16)> = log
        .iter()
        .map(|r| (r.method.clone(), r.path.as_str(), r.status))
        .collect();
    let jwks = format!("/v1/apps/{}/.well-known/jwks.json", emulator.app_id());
    assert_eq!(
        summary,
        [
            (Method::POST, users.as_str(), 201),
            (Method::GET, users.as_str(), 200),
            (Method::GET, "/nowhere", 404),
            (Method::GET, jwks.as_str(), 200),
        ]
    );
    assert_eq!(log[0].body, Some(json!({"email": "ada@example.com"})));
    assert_eq!(
        log[1].query.as_deref(),
        Some("limit=5&identifier=ada%40example.com")
    );
    assert_eq!(log[1].body, None);
    assert!(
        log[0].headers.contains_key("x-request-id"),
        "headers are kept"
    );
    assert!(!user.id.is_empty());
}

#[tokio::test]
async fn the_api_key_bearer_tokens_and_cookies_are_never_stored() {
    let emulator = emulator().await;
    let key = emulator.api_key().to_owned();
    let token = emulator.issue_token("user_1").unwrap();
    create_user(&emulator, "ada@example.com").await;
    let url = format!(
        "{}{}?note={key}&t={token}",
        emulator.auth_base_url(),
        app_path(&emulator)
    );
    reqwest::Client::new()
        .get(url)
        .bearer_auth(&key)
        .header("cookie", format!("psg_auth_token={token}"))
        .header("x-echo", key.clone())
        .send()
        .await
        .unwrap();
    let users = format!("{}/users", app_path(&emulator));
    call(
        &emulator,
        Method::POST,
        &users,
        Some(json!({"email": "b@example.com", "note": key})),
    )
    .await;
    let log = emulator.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].headers["authorization"], "[redacted]");
    assert_eq!(log[1].headers["cookie"], "[redacted]");
    assert_eq!(log[1].headers["x-echo"], "[redacted]");
    assert_eq!(
        log[1].query.as_deref(),
        Some("note=[redacted]&t=[redacted]")
    );
    assert_eq!(log[2].body.as_ref().unwrap()["note"], "[redacted]");
    let everything = format!("{log:?}");
    assert!(
        !everything.contains(&key),
        "the API key leaked into the log"
    );
    assert!(!everything.contains(&token), "a token leaked into the log");
    assert!(!format!("{emulator:?}").contains(&key));
}

#[tokio::test]
async fn a_token_or_the_key_in_the_url_is_not_stored_even_percent_encoded() {
    let emulator = Emulator::builder()
        .api_key("sk/test+key=")
        .start()
        .await
        .unwrap();
    let token = emulator.issue_token("user_1").unwrap();
    let encoded_key = "sk%2Ftest%2Bkey%3D";
    let users = format!("{}/users", app_path(&emulator));
    // A token or the key passed where a user id goes, as a bug in the caller would.
    call(&emulator, Method::GET, &format!("{users}/{token}"), None).await;
    call(
        &emulator,
        Method::GET,
        &format!("{users}/{encoded_key}"),
        None,
    )
    .await;
    let query = format!("{users}?limit=5&identifier={encoded_key}");
    call(&emulator, Method::GET, &query, None).await;
    let log = emulator.requests();
    assert_eq!(log[0].path, format!("{users}/[redacted]"));
    assert_eq!(log[1].path, format!("{users}/[redacted]"));
    assert_eq!(
        log[2].query.as_deref(),
        Some("limit=5&identifier=[redacted]")
    );
}

#[tokio::test]
async fn the_key_escaped_in_a_json_body_is_not_stored() {
    let key = r#"sk"marker\1"#;
    let emulator = Emulator::builder().api_key(key).start().await.unwrap();
    let users = format!("{}/users", app_path(&emulator));
    // JSON writes the key as `sk\"marker\\1`: only the parsed body shows it as it is.
    let body = json!({"email": "b@example.com", "notes": [{"key": key}]});
    call(&emulator, Method::POST, &users, Some(body)).await;
    let log = emulator.requests();
    assert_eq!(
        log[0].body.as_ref().unwrap()["notes"][0]["key"],
        "[redacted]"
    );
    assert!(!format!("{log:?}").contains("marker"), "{log:?}");
}

#[tokio::test]
async fn clear_requests_empties_the_log() {
    let emulator = emulator().await;
    call(&emulator, Method::GET, &app_path(&emulator), None).await;
    emulator.clear_requests();
    assert!(emulator.requests().is_empty());
    call(&emulator, Method::GET, &app_path(&emulator), None).await;
    assert_eq!(emulator.requests().len(), 1);
}

#[tokio::test]
async fn a_log_capacity_of_zero_keeps_nothing() {
    let emulator = Emulator::builder()
        .request_log_capacity(0)
        .start()
        .await
        .unwrap();
    let reply = call(&emulator, Method::GET, &app_path(&emulator), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(emulator.requests().is_empty());
}

#[tokio::test]
async fn rejected_requests_are_logged_too() {
    let emulator = emulator().await;
    let reply = call_raw(
        &emulator,
        Method::GET,
        &app_path(&emulator),
        Auth::Nothing,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(emulator.requests()[0].status, 401);
}
