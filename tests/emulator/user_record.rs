//! The full user record: every field of the spec's user, `recent_events` (a register event on
//! creation, a login event per sign-in or token issued) and `social_connections` set by the
//! test controls.

use passage_identity::emulator::{EmulatorError, SignIn, TokenOptions};
use passage_identity::enums::{SocialConnectionType, UserEventAction, UserEventStatus, UserStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::emulator::support::{app_path, call, create_user, emulator};
use passage_identity::emulator::Emulator;

/// The fields of the spec's user (`PassageUser`), all required.
const USER_FIELDS: [&str; 17] = [
    "created_at",
    "email",
    "email_verified",
    "external_id",
    "id",
    "last_login_at",
    "login_count",
    "phone",
    "phone_verified",
    "recent_events",
    "social_connections",
    "status",
    "updated_at",
    "user_metadata",
    "webauthn",
    "webauthn_devices",
    "webauthn_types",
];

/// The fields of the spec's recent event (`UserEvent`), all required.
const EVENT_FIELDS: [&str; 10] = [
    "action",
    "completed_at",
    "created_at",
    "id",
    "ip_addr",
    "social_login_type",
    "status",
    "type",
    "user_agent",
    "user_agent_display",
];

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// get-user's `user` as plain JSON.
async fn user_json(emulator: &Emulator, user_id: &str) -> Value {
    let path = format!("{}/users/{user_id}", app_path(emulator));
    let reply = call(emulator, Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()["user"].clone()
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn actions(user: &passage_identity::raw::types::PassageUser) -> Vec<&str> {
    user.recent_events
        .iter()
        .map(|e| e.action.as_str())
        .collect()
}

/// POSTs `body` to `path` (from the server root) with the API key and this `User-Agent`.
async fn post_as(
    emulator: &Emulator,
    path: &str,
    user_agent: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", emulator.auth_base_url()))
        .bearer_auth(emulator.api_key())
        .header(reqwest::header::USER_AGENT, user_agent)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_user_on_the_wire_has_every_field_of_the_spec_and_no_other() {
    let emulator = emulator().await;
    let created = create_user(&emulator, "ada@example.com").await;
    emulator.add_device(&created.id, "Ada's laptop").unwrap();
    emulator
        .set_social_connection(
            &created.id,
            SocialConnectionType::Google,
            "g-1",
            "ada@example.com",
        )
        .unwrap();
    let user = user_json(&emulator, &created.id).await;
    assert_eq!(keys(&user), USER_FIELDS);
    assert_eq!(user["webauthn_types"], json!(["passkey"]));
    for event in user["recent_events"].as_array().unwrap() {
        assert_eq!(keys(event), EVENT_FIELDS);
    }
    assert_eq!(
        keys(&user["social_connections"]["google"]),
        [
            "created_at",
            "last_login_at",
            "provider_id",
            "provider_identifier"
        ]
    );
}

#[tokio::test]
async fn a_created_user_has_a_complete_register_event_from_its_creator() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let body = json!({"email": "ada@example.com"});
    let (status, created) = post_as(&emulator, &users, FIREFOX, body).await;
    assert_eq!(status, StatusCode::CREATED);
    let user = &created["user"];
    let events = user["recent_events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{user}");
    let event = &events[0];
    assert_eq!(event["type"], "register");
    assert_eq!(event["action"], "register");
    assert_eq!(event["status"], "complete");
    assert_eq!(event["ip_addr"], "127.0.0.1");
    assert_eq!(event["user_agent"], FIREFOX);
    assert_eq!(event["user_agent_display"], "Firefox on Linux");
    assert!(event["social_login_type"].is_null(), "{event}");
    assert_eq!(event["created_at"], user["created_at"]);
    assert_eq!(event["completed_at"], user["created_at"]);
    let id = event["id"].as_str().unwrap();
    assert!(
        id.len() == 24 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
}

#[tokio::test]
async fn a_user_signing_up_by_magic_link_has_an_incomplete_register_event() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let link = passage
        .raw()
        .create_magic_link()
        .app_id(passage.app_id())
        .body_map(|b| {
            b.email(Some("new@example.com".to_owned()))
                .send(Some(false))
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .magic_link;
    let user = emulator.user(&link.user_id).unwrap();
    assert_eq!(user.status, UserStatus::Pending);
    let event = &user.recent_events[0];
    assert_eq!(event.action, UserEventAction::Register);
    assert_eq!(event.status, UserEventStatus::Incomplete);
    assert_eq!(event.completed_at, None);
}

#[tokio::test]
async fn a_token_issued_for_a_user_records_a_login() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    emulator.issue_token(&user.id).unwrap();
    let after = emulator.user(&user.id).unwrap();
    assert_eq!(after.login_count, 1);
    assert_eq!(actions(&after), ["login", "register"]);
    let login = &after.recent_events[0];
    assert_eq!(login.status, UserEventStatus::Complete);
    assert_eq!(login.completed_at, Some(login.created_at));
    assert_eq!(after.last_login_at, login.created_at);
    assert_eq!(login.user_agent_display, "passage-emulator");
}

#[tokio::test]
async fn a_token_issued_over_http_records_a_login_from_the_caller() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let tokens = format!("/emulator/v1/apps/{}/tokens", emulator.app_id());
    let (status, _) = post_as(&emulator, &tokens, FIREFOX, json!({ "user_id": user.id })).await;
    assert_eq!(status, StatusCode::OK);
    let after = emulator.user(&user.id).unwrap();
    assert_eq!(after.login_count, 1);
    let login = &after.recent_events[0];
    assert_eq!(login.action, UserEventAction::Login);
    assert_eq!(login.type_, "login");
    assert_eq!(
        (login.ip_addr.as_str(), login.user_agent.as_str()),
        ("127.0.0.1", FIREFOX)
    );
}

#[tokio::test]
async fn a_shaped_token_or_one_for_an_unknown_subject_records_nothing() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    emulator
        .issue_token_with(&user.id, TokenOptions::default().kid("retired"))
        .unwrap();
    assert!(emulator.issue_token("nobody").is_ok());
    let after = emulator.user(&user.id).unwrap();
    assert_eq!(after.login_count, 0);
    assert_eq!(actions(&after), ["register"]);
}

#[tokio::test]
async fn a_token_shaped_over_http_to_be_rejected_records_no_login() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let tokens = format!("/emulator/v1/apps/{}/tokens", emulator.app_id());
    for shaped in [
        json!({ "user_id": user.id, "expired": true }),
        json!({ "user_id": user.id, "not_before": 4_102_444_800_i64 }),
        json!({ "user_id": user.id, "audience": "another-app" }),
        json!({ "user_id": user.id, "signed_by_unknown_key": true }),
    ] {
        let (status, _) = post_as(&emulator, &tokens, FIREFOX, shaped.clone()).await;
        assert_eq!(status, StatusCode::OK, "{shaped}");
    }
    let after = emulator.user(&user.id).unwrap();
    assert_eq!(after.login_count, 0);
    assert_eq!(actions(&after), ["register"]);
    // A lifetime and custom claims still make a sign-in.
    let signed_in = json!({ "user_id": user.id, "ttl_seconds": 60, "claims": { "role": "admin" } });
    let (status, _) = post_as(&emulator, &tokens, FIREFOX, signed_in).await;
    assert_eq!(status, StatusCode::OK);
    let after = emulator.user(&user.id).unwrap();
    assert_eq!(
        (after.login_count, actions(&after)),
        (1, vec!["login", "register"])
    );
}

#[tokio::test]
async fn recent_events_are_newest_first() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    emulator.record_login(&user.id).unwrap();
    let after = emulator.record_login(&user.id).unwrap();
    assert_eq!(actions(&after), ["login", "login", "register"]);
    let times: Vec<_> = after.recent_events.iter().map(|e| e.created_at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let ids: std::collections::HashSet<_> = after.recent_events.iter().map(|e| &e.id).collect();
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn a_sign_in_records_its_address_user_agent_and_completion() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let sign_in = SignIn::default()
        .ip_addr("2001:db8::7".parse().unwrap())
        .user_agent(FIREFOX)
        .incomplete();
    let after = emulator.record_login_with(&user.id, sign_in).unwrap();
    assert_eq!(after.login_count, 0);
    assert_eq!(after.last_login_at, user.last_login_at);
    let event = &after.recent_events[0];
    assert_eq!(event.status, UserEventStatus::Incomplete);
    assert_eq!(event.completed_at, None);
    assert_eq!(event.ip_addr, "2001:db8::7");
    assert_eq!(event.user_agent_display, "Firefox on Linux");
    let wire = user_json(&emulator, &user.id).await;
    assert!(wire["recent_events"][0]["completed_at"].is_null(), "{wire}");
}

#[tokio::test]
async fn social_connections_set_by_the_controls_show_in_the_user() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let set = emulator
        .set_social_connection(
            &user.id,
            SocialConnectionType::Github,
            "4242",
            "ada@example.com",
        )
        .unwrap();
    let github = set.social_connections.github.clone().unwrap();
    assert_eq!(github.provider_id, "4242");
    assert_eq!(github.provider_identifier, "ada@example.com");
    assert_eq!(github.created_at, github.last_login_at);
    assert!(set.social_connections.apple.is_none() && set.social_connections.google.is_none());
    let got = emulator.passage().user().get(&user.id).await.unwrap();
    assert_eq!(got.social_connections, set.social_connections);
    let wire = user_json(&emulator, &user.id).await;
    assert_eq!(keys(&wire["social_connections"]), ["github"]);
}

#[tokio::test]
async fn the_same_account_keeps_its_first_connection_time_and_another_replaces_it() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let apple = SocialConnectionType::Apple;
    let first = emulator
        .set_social_connection(&user.id, apple.clone(), "a-1", "ada@example.com")
        .unwrap()
        .social_connections
        .apple
        .unwrap();
    let again = emulator
        .set_social_connection(&user.id, apple.clone(), "a-1", "ada@privaterelay.example")
        .unwrap()
        .social_connections
        .apple
        .unwrap();
    assert_eq!(again.created_at, first.created_at);
    assert_eq!(again.provider_identifier, "ada@privaterelay.example");
    let other = emulator
        .set_social_connection(&user.id, apple.clone(), "a-2", "ada@example.com")
        .unwrap()
        .social_connections
        .apple
        .unwrap();
    assert_eq!(other.provider_id, "a-2");
    assert!(other.created_at >= again.last_login_at);
    let removed = emulator.remove_social_connection(&user.id, apple).unwrap();
    assert!(removed.social_connections.apple.is_none());
}

#[tokio::test]
async fn a_social_sign_in_names_its_provider_and_moves_the_connections_last_login() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let google = SocialConnectionType::Google;
    let connected = emulator
        .set_social_connection(&user.id, google.clone(), "g-1", "ada@example.com")
        .unwrap();
    let before = connected.social_connections.google.unwrap();
    let after = emulator
        .record_login_with(&user.id, SignIn::default().social(google.clone()))
        .unwrap();
    assert_eq!(after.recent_events[0].social_login_type, Some(google));
    let connection = after.social_connections.google.unwrap();
    assert_eq!(connection.created_at, before.created_at);
    assert_eq!(connection.last_login_at, after.last_login_at);
    let wire = user_json(&emulator, &user.id).await;
    assert_eq!(wire["recent_events"][0]["social_login_type"], "google");
}

#[tokio::test]
async fn social_controls_reject_unknown_users_providers_and_empty_ids() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let github = SocialConnectionType::Github;
    assert!(matches!(
        emulator.set_social_connection("nobody", github.clone(), "1", "a@example.com"),
        Err(EmulatorError::UserNotFound(_))
    ));
    assert!(matches!(
        emulator.remove_social_connection("nobody", github.clone()),
        Err(EmulatorError::UserNotFound(_))
    ));
    assert!(matches!(
        emulator.set_social_connection(&user.id, "myspace".into(), "1", "a@example.com"),
        Err(EmulatorError::Rejected {
            code: "invalid_request",
            ..
        })
    ));
    assert!(matches!(
        emulator.set_social_connection(&user.id, github, " ", "a@example.com"),
        Err(EmulatorError::Rejected {
            code: "invalid_request",
            ..
        })
    ));
    let unknown_social =
        emulator.record_login_with(&user.id, SignIn::default().social("myspace".into()));
    assert!(matches!(
        unknown_social,
        Err(EmulatorError::Rejected { .. })
    ));
    // A rejected sign-in changed nothing.
    let after = emulator.user(&user.id).unwrap();
    assert_eq!((after.login_count, after.recent_events.len()), (0, 1));
    assert_eq!(after.social_connections, Default::default());
}

#[tokio::test]
async fn the_facade_returns_recent_events_typed() {
    let emulator = emulator().await;
    let created = emulator
        .passage()
        .user()
        .create(passage_identity::CreateUser::email("ada@example.com"))
        .await
        .unwrap();
    emulator.issue_token(&created.id).unwrap();
    let user = emulator.passage().user().get(&created.id).await.unwrap();
    let [login, register] = &user.recent_events[..] else {
        panic!("two events: {:?}", user.recent_events);
    };
    assert_eq!(
        (&login.action, &login.status),
        (&UserEventAction::Login, &UserEventStatus::Complete)
    );
    assert_eq!(register.action, UserEventAction::Register);
    assert_eq!(register.created_at, user.created_at);
    assert_eq!(login.created_at, user.last_login_at);
    assert_eq!(login.social_login_type, None);
}
