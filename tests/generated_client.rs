//! The generated client (`passage_identity::raw`) against a recording server on loopback: every
//! one of the 12 operations sends the right method, path, query, headers and body, and reads
//! the response the service sends.

mod common;

use axum::http::Method;
use common::fixtures::{self, USER_ID};
use common::recorder::Recorder;
use passage_identity::raw::types;
use passage_identity::{Passage, enums};
use serde_json::json;

const APP: &str = "app_test";
const KEY: &str = "sk_test_0123456789";

fn passage_for(recorder: &Recorder) -> Passage {
    Passage::builder(APP)
        .api_key(KEY)
        .api_base_url(format!("{}/v1", recorder.base_url()))
        .build()
        .unwrap()
}

fn users_path(rest: &str) -> String {
    format!("/v1/apps/{APP}/users{rest}")
}

/// The one request the server saw: `method` to `path`, with the API key as a bearer token.
fn only_authorized_call(server: &Recorder, method: Method, path: &str) -> common::recorder::Seen {
    let seen = server.only();
    assert_eq!((&seen.method, seen.path.as_str()), (&method, path));
    assert_eq!(
        seen.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    seen
}

#[tokio::test]
async fn get_app_sends_get_to_the_app_path() {
    let server = Recorder::start().await;
    server.reply(
        Method::GET,
        &format!("/v1/apps/{APP}"),
        200,
        fixtures::app_response(APP),
    );
    let passage = passage_for(&server);

    let app = passage.raw().get_app().app_id(APP).send().await.unwrap();

    assert_eq!(app.app.id, APP);
    // A value added by the service later stays readable.
    assert_eq!(
        app.app.technologies,
        vec![
            enums::Technology::Go,
            enums::Technology::Unknown("rust-someday".into())
        ]
    );
    only_authorized_call(&server, Method::GET, &format!("/v1/apps/{APP}"));
}

#[tokio::test]
async fn create_magic_link_posts_the_request_body() {
    let server = Recorder::start().await;
    server.reply(
        Method::POST,
        &format!("/v1/apps/{APP}/magic-links"),
        201,
        fixtures::magic_link_response(),
    );
    let passage = passage_for(&server);

    let link = passage
        .raw()
        .create_magic_link()
        .app_id(APP)
        .body_map(|b| {
            b.email("ada@example.com".to_string())
                .type_(enums::MagicLinkType::Login)
                .send(false)
                .language(types::MagicLinkLanguage::De)
                .magic_link_path("/welcome".to_string())
                .ttl(std::num::NonZeroU64::new(15).unwrap())
        })
        .send()
        .await
        .unwrap();

    assert_eq!(link.magic_link.identifier, "ada@example.com");
    let seen = only_authorized_call(
        &server,
        Method::POST,
        &format!("/v1/apps/{APP}/magic-links"),
    );
    assert_eq!(
        seen.json(),
        json!({"email": "ada@example.com", "type": "login", "send": false, "language": "de",
               "magic_link_path": "/welcome", "ttl": 15})
    );
}

#[tokio::test]
async fn list_paginated_users_sends_every_query_parameter() {
    let server = Recorder::start().await;
    server.reply(Method::GET, &users_path(""), 200, fixtures::list_response());
    let passage = passage_for(&server);

    let page = passage
        .raw()
        .list_paginated_users()
        .app_id(APP)
        .page(2)
        .limit(50)
        .created_before(1_700_000_000)
        .order_by("created_at:DESC")
        .identifier("like:ada")
        .id("ne:x")
        .login_count("gt:3")
        .status("active")
        .created_at("lt:2024-01-01T00:00:00.000000Z")
        .updated_at("gt:2023-01-01T00:00:00.000000Z")
        .last_login_at("gt:2023-06-01T00:00:00.250000Z")
        .send()
        .await
        .unwrap();

    assert_eq!(page.users.len(), 1);
    assert_eq!(page.users[0].status, enums::UserStatus::Inactive);
    assert_eq!(page.created_before, 1_700_000_000);
    let seen = only_authorized_call(&server, Method::GET, &users_path(""));
    let expected: Vec<(String, String)> = [
        ("created_at", "lt%3A2024-01-01T00%3A00%3A00.000000Z"),
        ("created_before", "1700000000"),
        ("id", "ne%3Ax"),
        ("identifier", "like%3Aada"),
        ("last_login_at", "gt%3A2023-06-01T00%3A00%3A00.250000Z"),
        ("limit", "50"),
        ("login_count", "gt%3A3"),
        ("order_by", "created_at%3ADESC"),
        ("page", "2"),
        ("status", "active"),
        ("updated_at", "gt%3A2023-01-01T00%3A00%3A00.000000Z"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(seen.query_pairs(), expected);
}

#[tokio::test]
async fn create_user_posts_email_phone_and_metadata() {
    let server = Recorder::start().await;
    server.reply(
        Method::POST,
        &users_path(""),
        201,
        fixtures::user_response(),
    );
    let passage = passage_for(&server);
    let phone: types::E164PhoneNumber = "+15005550006".parse().unwrap();
    let mut metadata = serde_json::Map::new();
    metadata.insert("plan".into(), json!("pro"));

    let user = passage
        .raw()
        .create_user()
        .app_id(APP)
        .body_map(|b| {
            b.email("ada@example.com".to_string())
                .phone(phone)
                .user_metadata(metadata)
        })
        .send()
        .await
        .unwrap();

    // The service sends an empty string for a missing phone: still a readable user.
    assert_eq!(user.user.phone, "");
    let seen = only_authorized_call(&server, Method::POST, &users_path(""));
    assert_eq!(
        seen.json(),
        json!({"email": "ada@example.com", "phone": "+15005550006", "user_metadata": {"plan": "pro"}})
    );
}

#[tokio::test]
async fn get_user_reads_devices_events_and_social_connections() {
    let server = Recorder::start().await;
    server.reply(
        Method::GET,
        &users_path(&format!("/{USER_ID}")),
        200,
        fixtures::user_response(),
    );
    let passage = passage_for(&server);

    let user = passage
        .raw()
        .get_user()
        .app_id(APP)
        .user_id(USER_ID)
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;

    assert_eq!(user.id, USER_ID);
    assert_eq!(user.webauthn_devices[0].type_, enums::WebAuthnType::Passkey);
    assert_eq!(user.webauthn_devices[0].icons.light, None);
    assert_eq!(user.recent_events[0].completed_at, None);
    assert!(user.social_connections.google.is_some());
    assert_eq!(user.user_metadata, None);
    let seen = only_authorized_call(&server, Method::GET, &users_path(&format!("/{USER_ID}")));
    assert!(seen.body.is_empty());
}

#[tokio::test]
async fn update_user_patches_the_changed_fields() {
    let server = Recorder::start().await;
    server.reply(
        Method::PATCH,
        &users_path(&format!("/{USER_ID}")),
        200,
        fixtures::user_response(),
    );
    let passage = passage_for(&server);

    passage
        .raw()
        .update_user()
        .app_id(APP)
        .user_id(USER_ID)
        .body_map(|b| b.email("new@example.com".to_string()))
        .send()
        .await
        .unwrap();

    let seen = only_authorized_call(&server, Method::PATCH, &users_path(&format!("/{USER_ID}")));
    assert_eq!(seen.json(), json!({"email": "new@example.com"}));
}

#[tokio::test]
async fn delete_user_sends_delete() {
    let server = Recorder::start().await;
    server.reply_raw(
        Method::DELETE,
        &users_path(&format!("/{USER_ID}")),
        200,
        String::new(),
    );
    let passage = passage_for(&server);

    passage
        .raw()
        .delete_user()
        .app_id(APP)
        .user_id(USER_ID)
        .send()
        .await
        .unwrap();

    only_authorized_call(&server, Method::DELETE, &users_path(&format!("/{USER_ID}")));
}

#[tokio::test]
async fn activate_user_sends_patch_to_activate() {
    let server = Recorder::start().await;
    server.reply(
        Method::PATCH,
        &users_path(&format!("/{USER_ID}/activate")),
        200,
        fixtures::user_response(),
    );
    let passage = passage_for(&server);

    let user = passage
        .raw()
        .activate_user()
        .app_id(APP)
        .user_id(USER_ID)
        .send()
        .await
        .unwrap();

    assert_eq!(user.user.status, enums::UserStatus::Active);
    let seen = only_authorized_call(
        &server,
        Method::PATCH,
        &users_path(&format!("/{USER_ID}/activate")),
    );
    assert!(seen.body.is_empty());
}

#[tokio::test]
async fn deactivate_user_sends_patch_to_deactivate() {
    let server = Recorder::start().await;
    let mut body = fixtures::user_response();
    body["user"]["status"] = json!("inactive");
    server.reply(
        Method::PATCH,
        &users_path(&format!("/{USER_ID}/deactivate")),
        200,
        body,
    );
    let passage = passage_for(&server);

    let user = passage
        .raw()
        .deactivate_user()
        .app_id(APP)
        .user_id(USER_ID)
        .send()
        .await
        .unwrap();

    assert_eq!(user.user.status, enums::UserStatus::Inactive);
    only_authorized_call(
        &server,
        Method::PATCH,
        &users_path(&format!("/{USER_ID}/deactivate")),
    );
}

#[tokio::test]
async fn list_user_devices_sends_get_to_devices() {
    let server = Recorder::start().await;
    server.reply(
        Method::GET,
        &users_path(&format!("/{USER_ID}/devices")),
        200,
        json!({"devices": [fixtures::device()]}),
    );
    let passage = passage_for(&server);

    let devices = passage
        .raw()
        .list_user_devices()
        .app_id(APP)
        .user_id(USER_ID)
        .send()
        .await
        .unwrap();

    assert_eq!(devices.devices[0].friendly_name, "Chrome on Mac");
    only_authorized_call(
        &server,
        Method::GET,
        &users_path(&format!("/{USER_ID}/devices")),
    );
}

#[tokio::test]
async fn delete_user_devices_sends_delete_to_the_device() {
    let server = Recorder::start().await;
    server.reply_raw(
        Method::DELETE,
        &users_path(&format!("/{USER_ID}/devices/dev_1")),
        200,
        String::new(),
    );
    let passage = passage_for(&server);

    passage
        .raw()
        .delete_user_devices()
        .app_id(APP)
        .user_id(USER_ID)
        .device_id("dev_1")
        .send()
        .await
        .unwrap();

    only_authorized_call(
        &server,
        Method::DELETE,
        &users_path(&format!("/{USER_ID}/devices/dev_1")),
    );
}

#[tokio::test]
async fn revoke_user_refresh_tokens_sends_delete_to_tokens() {
    let server = Recorder::start().await;
    server.reply_raw(
        Method::DELETE,
        &users_path(&format!("/{USER_ID}/tokens")),
        200,
        String::new(),
    );
    let passage = passage_for(&server);

    passage
        .raw()
        .revoke_user_refresh_tokens()
        .app_id(APP)
        .user_id(USER_ID)
        .send()
        .await
        .unwrap();

    only_authorized_call(
        &server,
        Method::DELETE,
        &users_path(&format!("/{USER_ID}/tokens")),
    );
}

#[tokio::test]
async fn error_responses_carry_the_passage_code() {
    let server = Recorder::start().await;
    server.reply(
        Method::GET,
        &users_path("/missing"),
        404,
        json!({"code": "user_not_found", "error": "User not found."}),
    );
    let passage = passage_for(&server);

    let err = passage
        .raw()
        .get_user()
        .app_id(APP)
        .user_id("missing")
        .send()
        .await
        .unwrap_err();

    match err {
        passage_identity::raw::Error::ErrorResponse(body) => {
            assert_eq!(body.status().as_u16(), 404);
            assert_eq!(body.code, "user_not_found");
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

#[tokio::test]
async fn every_call_identifies_the_sdk_and_carries_a_fresh_request_id() {
    let server = Recorder::start().await;
    server.reply(
        Method::GET,
        &format!("/v1/apps/{APP}"),
        200,
        fixtures::app_response(APP),
    );
    let passage = passage_for(&server);

    passage.raw().get_app().app_id(APP).send().await.unwrap();
    passage.raw().get_app().app_id(APP).send().await.unwrap();

    let seen = server.seen();
    let version = format!("passage-rust {}", env!("CARGO_PKG_VERSION"));
    let agent = format!("passage-identity-rust/{}", env!("CARGO_PKG_VERSION"));
    let mut ids = Vec::new();
    for request in &seen {
        assert_eq!(request.header("passage-version"), Some(version.as_str()));
        assert_eq!(request.header("user-agent"), Some(agent.as_str()));
        let id = request.header("x-request-id").expect("a request id");
        ids.push(uuid::Uuid::parse_str(id).expect("the request id is a uuid"));
    }
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn a_call_without_an_api_key_fails_before_any_request() {
    let server = Recorder::start().await;
    let passage = Passage::builder(APP)
        .api_base_url(format!("{}/v1", server.base_url()))
        .build()
        .unwrap();

    let err = passage
        .raw()
        .get_app()
        .app_id(APP)
        .send()
        .await
        .unwrap_err();

    assert!(err.to_string().contains("no API key"), "{err}");
    assert!(
        server.seen().is_empty(),
        "nothing may be sent without a key"
    );
}

#[tokio::test]
async fn the_timeout_setting_bounds_a_call() {
    // A listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.unwrap();
        held.await.ok();
    });
    let passage = Passage::builder(APP)
        .api_key(KEY)
        .api_base_url(format!("http://{addr}/v1"))
        .timeout(std::time::Duration::from_millis(200))
        .retry(passage_identity::RetryPolicy::disabled())
        .build()
        .unwrap();

    let err = passage
        .raw()
        .get_app()
        .app_id(APP)
        .send()
        .await
        .unwrap_err();

    match err {
        passage_identity::raw::Error::CommunicationError(e) => assert!(e.is_timeout(), "{e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    release.send(()).ok();
}

/// A proxy that decodes `%2F` before routing, or URL parsing itself (`..`, `\`), would turn such
/// an id into another path: the hooks refuse every id outside `[A-Za-z0-9_-]`, even here.
#[tokio::test]
async fn ids_that_could_become_another_path_are_refused_before_sending() {
    let server = Recorder::start().await;
    let passage = passage_for(&server);
    let raw = passage.raw();
    for user_id in ["..", "a/b", "a%2Fb", "a;b", "caf\u{e9}", "x\\..", ""] {
        let err = raw
            .get_user()
            .app_id(APP)
            .user_id(user_id)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(err, passage_identity::raw::Error::InvalidRequest(_)),
            "{user_id:?}: {err:?}"
        );
    }
    let escape = format!("..\\..\\{}", fixtures::USER_ID);
    let err = raw
        .delete_user_devices()
        .app_id(APP)
        .user_id(USER_ID)
        .device_id(escape.as_str())
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not of the form"),
        "the device id turned the path into another: {err}"
    );
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[tokio::test]
async fn filters_outside_their_documented_forms_are_refused_before_sending() {
    let server = Recorder::start().await;
    let passage = passage_for(&server);
    let list = || passage.raw().list_paginated_users().app_id(APP);
    let refused = [
        list().created_at("2024-01-01T00:00:00Z"),
        list().updated_at("gt:2024-01-01T00:00:00.123Z"),
        list().last_login_at("lt:2024-01-01T00:00:00.000000+00:00"),
        list().login_count("like:3"),
        list().order_by("created_at:desc"),
    ];
    for request in refused {
        let err = request.send().await.unwrap_err();
        assert!(
            matches!(err, passage_identity::raw::Error::InvalidRequest(_)),
            "{err:?}"
        );
    }
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}
