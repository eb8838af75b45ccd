//! The control API under `/emulator/v1/apps/{app_id}`, over HTTP: what the handle does, for tests
//! in any language, with Passage's error form for bad requests.

use passage_identity::Passage;
use passage_identity::auth::AuthError;
use passage_identity::emulator::Emulator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::emulator::support::{Auth, Reply, app_path, call, call_raw, create_user, emulator};

/// `/emulator/v1/apps/{app_id}{rest}` of this emulator.
fn control(emulator: &Emulator, rest: &str) -> String {
    format!("/emulator/v1/apps/{}{rest}", emulator.app_id())
}

async fn control_call(
    emulator: &Emulator,
    method: Method,
    rest: &str,
    body: Option<Value>,
) -> Reply {
    call(emulator, method, &control(emulator, rest), body).await
}

/// A client with an empty key cache, so each check fetches the JWKS as served now.
fn fresh_client(emulator: &Emulator) -> Passage {
    emulator.passage_builder().build().unwrap()
}

async fn token(emulator: &Emulator, body: Value) -> String {
    let reply = control_call(emulator, Method::POST, "/tokens", Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()["token"].as_str().unwrap().to_owned()
}

fn claims(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode_claims::<Value>(token).unwrap()
}

#[tokio::test]
async fn a_seeded_user_has_every_field_asked_for() {
    let emulator = emulator().await;
    let reply = control_call(
        &emulator,
        Method::POST,
        "/users",
        Some(json!({
            "email": "Ada@Example.com",
            "phone": "+15551234567",
            "status": "inactive",
            "email_verified": true,
            "phone_verified": true,
            "user_metadata": {"plan": "pro"},
            "devices": ["Laptop", "Phone"],
            "login_count": 3,
        })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let id = reply.json()["user"]["id"].as_str().unwrap().to_owned();
    // As the Management API shows them:
    let passage = emulator.passage();
    let user = passage
        .raw()
        .get_user()
        .app_id(passage.app_id())
        .user_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.status.to_string(), "inactive");
    assert!(user.email_verified && user.phone_verified);
    assert_eq!(user.user_metadata.unwrap()["plan"], "pro");
    let names: Vec<&str> = user
        .webauthn_devices
        .iter()
        .map(|d| d.friendly_name.as_str())
        .collect();
    assert_eq!(names, ["Laptop", "Phone"]);
    assert!(user.webauthn);
    assert_eq!(user.login_count, 3);
    assert!(user.last_login_at > user.created_at - chrono::Duration::seconds(1));
}

#[tokio::test]
async fn a_bad_seed_is_400_invalid_request_and_creates_nobody() {
    let emulator = emulator().await;
    create_user(&emulator, "taken@example.com").await;
    for body in [
        json!({}),
        json!({"email": "not-an-address"}),
        json!({"email": "taken@example.com"}),
        json!({"phone": "+15551234567", "email_verified": true}),
        json!({"email": "a@example.com", "status": "banned"}),
        json!({"email": "a@example.com", "devices": [""]}),
        json!({"email": "a@example.com", "login_count": -1}),
        json!({"email": "a@example.com", "nickname": "typo"}),
    ] {
        let reply = control_call(&emulator, Method::POST, "/users", Some(body.clone())).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert_eq!(emulator.user_count(), 1, "{body}");
    }
}

#[tokio::test]
async fn devices_and_sign_ins_are_added_to_a_user() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let devices = format!("/users/{}/devices", user.id);
    let reply = control_call(
        &emulator,
        Method::POST,
        &devices,
        Some(json!({"friendly_name": "Key"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let device_id = reply.json()["device"]["id"].as_str().unwrap().to_owned();
    let listed = call(
        &emulator,
        Method::GET,
        &format!("{}/users/{}/devices", app_path(&emulator), user.id),
        None,
    )
    .await;
    assert_eq!(listed.json()["devices"][0]["id"], device_id);

    let logins = format!("/users/{}/logins", user.id);
    control_call(&emulator, Method::POST, &logins, None).await;
    let reply = control_call(&emulator, Method::POST, &logins, None).await;
    assert_eq!(reply.json()["user"]["login_count"], 2);

    control_call(
        &emulator,
        Method::POST,
        &devices,
        Some(json!({"friendly_name": " "})),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    for (method, rest, body) in [
        (
            Method::POST,
            "/users/nobody/devices",
            Some(json!({"friendly_name": "Key"})),
        ),
        (Method::POST, "/users/nobody/logins", None),
        (Method::GET, "/users/nobody/refresh-token-revocations", None),
    ] {
        control_call(&emulator, method, rest, body)
            .await
            .assert_error(StatusCode::NOT_FOUND, "user_not_found");
    }
}

#[tokio::test]
async fn refresh_token_revocations_are_counted() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let path = format!("/users/{}/refresh-token-revocations", user.id);
    assert_eq!(
        control_call(&emulator, Method::GET, &path, None)
            .await
            .json(),
        json!({"count": 0, "last_at": null})
    );
    call(
        &emulator,
        Method::DELETE,
        &format!("{}/users/{}/tokens", app_path(&emulator), user.id),
        None,
    )
    .await;
    let reply = control_call(&emulator, Method::GET, &path, None)
        .await
        .json();
    assert_eq!(reply["count"], 1);
    assert!(reply["last_at"].is_string(), "{reply}");
}

#[tokio::test]
async fn tokens_carry_custom_claims_and_an_expired_one_is_rejected() {
    let emulator = emulator().await;
    let passage = fresh_client(&emulator);
    let custom = token(
        &emulator,
        json!({"user_id": "u1", "claims": {"role": "admin"}, "without_claims": ["nbf"]}),
    )
    .await;
    assert_eq!(passage.auth().validate_jwt(&custom).await.unwrap(), "u1");
    let decoded = claims(&custom);
    assert_eq!(decoded["role"], "admin");
    assert!(decoded.get("nbf").is_none(), "{decoded}");

    let expired = token(&emulator, json!({"user_id": "u1", "expired": true})).await;
    let error = passage.auth().validate_jwt(&expired).await.unwrap_err();
    assert!(matches!(error, AuthError::Expired { .. }), "{error:?}");

    let other_audience = token(
        &emulator,
        json!({"user_id": "u1", "audience": "someone-else"}),
    )
    .await;
    assert!(passage.auth().validate_jwt(&other_audience).await.is_err());
    let unknown = token(&emulator, json!({"user_id": "u1", "kid": "no-such-key"})).await;
    assert!(passage.auth().validate_jwt(&unknown).await.is_err());
}

#[tokio::test]
async fn bad_token_requests_are_400_invalid_request() {
    let emulator = emulator().await;
    for body in [
        json!({"user_id": "u", "expired": true, "expires_at": 1}),
        json!({"user_id": "u", "claims": "role=admin"}),
        json!({"user_id": "u", "ttl": 60}),
    ] {
        control_call(&emulator, Method::POST, "/tokens", Some(body))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn rotating_keys_keeps_or_drops_the_old_ones() {
    let emulator = emulator().await;
    let before = token(&emulator, json!({"user_id": "u1"})).await;
    let old_kids = control_call(&emulator, Method::GET, "/keys", None)
        .await
        .json()["kids"]
        .clone();
    assert_eq!(old_kids, json!(emulator.signing_kids()));

    let kept = control_call(
        &emulator,
        Method::POST,
        "/keys/rotate",
        Some(json!({"keep_old": true})),
    )
    .await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.text);
    assert_eq!(kept.json()["kids"][1], old_kids[0]);
    assert!(
        fresh_client(&emulator)
            .auth()
            .validate_jwt(&before)
            .await
            .is_ok()
    );
    let after = token(&emulator, json!({"user_id": "u1"})).await;
    assert_eq!(
        jsonwebtoken::decode_header(&after).unwrap().kid.unwrap(),
        emulator.signing_kids()[0]
    );

    let dropped = control_call(
        &emulator,
        Method::POST,
        "/keys/rotate",
        Some(json!({"keep_old": false})),
    )
    .await;
    assert_eq!(dropped.json()["kids"].as_array().unwrap().len(), 1);
    let error = fresh_client(&emulator)
        .auth()
        .validate_jwt(&before)
        .await
        .unwrap_err();
    assert!(matches!(error, AuthError::UnknownKeyId { .. }), "{error:?}");

    control_call(&emulator, Method::POST, "/keys/rotate", Some(json!({})))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn an_injected_fault_applies_then_is_used_up_and_can_be_cleared() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let reply = control_call(
        &emulator,
        Method::POST,
        "/faults",
        Some(json!({"method": "get", "path_prefix": users, "status": 503, "retry_after": 2})),
    )
    .await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::CREATED, json!({"pending": 1}))
    );
    let faulted = call(&emulator, Method::GET, &users, None).await;
    faulted.assert_error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");
    assert_eq!(faulted.headers["retry-after"], "2");
    assert_eq!(
        call(&emulator, Method::GET, &users, None).await.status,
        StatusCode::OK
    );

    control_call(
        &emulator,
        Method::POST,
        "/faults",
        Some(json!({"path_prefix": "/", "drop_connection": true, "times": 5})),
    )
    .await;
    // A fault on every path leaves the control API alone, so it can be cleared:
    assert_eq!(
        control_call(&emulator, Method::GET, "/faults", None)
            .await
            .json(),
        json!({"pending": 1})
    );
    let cleared = control_call(&emulator, Method::DELETE, "/faults", None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(emulator.pending_faults(), 0);
    assert_eq!(
        call(&emulator, Method::GET, &users, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_bad_fault_is_400_invalid_request() {
    let emulator = emulator().await;
    for body in [
        json!({}),
        json!({"path_prefix": "users"}),
        json!({"path_prefix": "/", "status": 99}),
        json!({"path_prefix": "/", "status": 600}),
        json!({"path_prefix": "/", "method": "GE T"}),
        json!({"path_prefix": "/", "latency_ms": 600_001}),
        json!({"path_prefix": "/", "statuss": 500}),
    ] {
        control_call(&emulator, Method::POST, "/faults", Some(body.clone()))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    assert_eq!(emulator.pending_faults(), 0);
}

#[tokio::test]
async fn the_request_log_shows_other_requests_without_secrets_and_can_be_cleared() {
    let emulator = emulator().await;
    let token = emulator.issue_token("u1").unwrap();
    let path = format!("{}/users?limit=5", app_path(&emulator));
    call_raw(
        &emulator,
        Method::GET,
        &path,
        Auth::Header(&format!("Bearer {}", emulator.api_key())),
        None,
    )
    .await;
    let log = control_call(&emulator, Method::GET, "/requests", None).await;
    let text = log.text.clone();
    let requests = log.json()["requests"].as_array().unwrap().clone();
    assert_eq!(
        requests.len(),
        1,
        "the control API's own calls are not logged: {text}"
    );
    let request = &requests[0];
    assert_eq!(
        (request["method"].as_str(), request["status"].as_u64()),
        (Some("GET"), Some(200))
    );
    assert_eq!(request["path"], format!("{}/users", app_path(&emulator)));
    assert_eq!(request["query"], "limit=5");
    assert_eq!(request["headers"]["authorization"], "[redacted]");
    assert!(!text.contains(emulator.api_key()) && !text.contains(&token));

    assert_eq!(
        control_call(&emulator, Method::DELETE, "/requests", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(emulator.requests().is_empty());
}

#[tokio::test]
async fn magic_links_show_their_url_secret_identifier_type_and_language() {
    let emulator = emulator().await;
    let created = call(
        &emulator,
        Method::POST,
        &format!("{}/magic-links", app_path(&emulator)),
        Some(json!({"email": "ada@example.com", "language": "de", "magic_link_path": "/welcome"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    call(
        &emulator,
        Method::POST,
        &format!("{}/magic-links", app_path(&emulator)),
        Some(json!({"phone": "+15551234567", "type": "login"})),
    )
    .await;
    let links = control_call(&emulator, Method::GET, "/magic-links", None)
        .await
        .json()["magic_links"]
        .clone();
    let first = &links[0];
    assert_eq!(first["identifier"], "ada@example.com");
    assert_eq!(
        (
            first["type"].as_str(),
            first["language"].as_str(),
            first["channel"].as_str()
        ),
        (Some("login"), Some("de"), Some("email"))
    );
    let secret = first["secret"].as_str().unwrap();
    assert_eq!(secret, created.json()["magic_link"]["secret"]);
    let url = first["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/welcome?", emulator.auth_base_url())) && url.ends_with(secret),
        "{url}"
    );
    assert_eq!(
        (links[1]["language"].as_str(), links[1]["channel"].as_str()),
        (Some("en"), Some("phone"))
    );
}

#[tokio::test]
async fn reset_empties_the_app_but_keeps_its_keys() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let token = emulator.issue_token(&user.id).unwrap();
    emulator.inject_fault(passage_identity::emulator::Fault::any_method("/nowhere"));
    let reply = control_call(&emulator, Method::POST, "/reset", None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!((emulator.user_count(), emulator.pending_faults()), (0, 0));
    assert!(emulator.requests().is_empty() && emulator.magic_links().is_empty());
    assert_eq!(
        fresh_client(&emulator)
            .auth()
            .validate_jwt(&token)
            .await
            .unwrap(),
        user.id
    );
}

#[tokio::test]
async fn the_state_exported_can_be_put_back() {
    let emulator = emulator().await;
    let ada = create_user(&emulator, "ada@example.com").await;
    let state = control_call(&emulator, Method::GET, "/state", None).await;
    assert_eq!(state.status, StatusCode::OK);
    let state = state.json();
    assert_eq!(
        (state["version"].as_u64(), state["app_id"].as_str()),
        (Some(1), Some(emulator.app_id()))
    );
    let kids = emulator.signing_kids();

    emulator.rotate_keys(false).unwrap();
    emulator.reset();
    create_user(&emulator, "grace@example.com").await;
    let reply = control_call(&emulator, Method::PUT, "/state", Some(state.clone())).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    assert_eq!(emulator.user_count(), 1);
    assert_eq!(emulator.user(&ada.id).unwrap().email, "ada@example.com");
    assert_eq!(emulator.signing_kids(), kids);
}

#[tokio::test]
async fn a_state_of_another_app_or_version_is_refused_and_changes_nothing() {
    let emulator = emulator().await;
    create_user(&emulator, "ada@example.com").await;
    let state = control_call(&emulator, Method::GET, "/state", None)
        .await
        .json();
    let other = Emulator::start().await.unwrap();
    let other_state = control_call(&other, Method::GET, "/state", None)
        .await
        .json();
    let mut future = state.clone();
    future["version"] = json!(2);
    let mut no_keys = state.clone();
    no_keys["signing_keys"] = json!([]);
    let mut bad_key = state.clone();
    bad_key["signing_keys"][0]["private_key_pem"] =
        json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    for (body, mentions) in [
        (other_state, "not of this app"),
        (future, "version 2"),
        (no_keys, "no signing key"),
        (bad_key, "not a PKCS#8 PEM RSA private key"),
        (
            json!({"app_id": emulator.app_id()}),
            "not an emulator state",
        ),
    ] {
        let reply = control_call(&emulator, Method::PUT, "/state", Some(body)).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(reply.text.contains(mentions), "{mentions}: {}", reply.text);
    }
    let reply = call_raw(
        &emulator,
        Method::PUT,
        &control(&emulator, "/state"),
        Auth::ApiKey,
        Some("{oops"),
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(emulator.user_count(), 1);
}

#[tokio::test]
async fn saving_without_a_state_file_is_400_invalid_request() {
    let emulator = emulator().await;
    let reply = control_call(&emulator, Method::POST, "/state/save", None).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(reply.text.contains("--state"), "{}", reply.text);
}

#[tokio::test]
async fn a_method_a_control_route_does_not_have_is_a_json_405() {
    let emulator = emulator().await;
    control_call(&emulator, Method::GET, "/tokens", None)
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    control_call(&emulator, Method::GET, "/no-such-control", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "route_not_found");
}

#[tokio::test]
async fn another_app_id_is_404_app_not_found() {
    let emulator = emulator().await;
    call(
        &emulator,
        Method::GET,
        "/emulator/v1/apps/someone-else/faults",
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "app_not_found");
}
