//! Users and the app: create, get, update, activate, deactivate, delete, get-app.

use passage_identity::enums::UserStatus;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::emulator::support::{api_error, app_path, call, create_user, emulator, get_app};

#[tokio::test]
async fn create_user_answers_201_with_a_new_active_user() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let response = passage
        .raw()
        .create_user()
        .app_id(passage.app_id())
        .body_map(|b| b.email(Some("Ada@Example.COM".to_owned())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let user = response.into_inner().user;
    assert_eq!(user.id.len(), 24);
    assert!(
        user.id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{}",
        user.id
    );
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.phone, "");
    assert_eq!(user.user_metadata, None);
    assert_eq!(user.login_count, 0);
    assert_eq!(user.created_at, user.updated_at);
    assert!(!user.webauthn);
}

#[tokio::test]
async fn a_user_on_the_wire_has_every_field_with_empty_strings_and_a_null_metadata() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let reply = call(
        &emulator,
        Method::POST,
        &users,
        Some(json!({"phone": "+15551234567"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let user = &reply.json()["user"];
    assert_eq!(user["email"], "");
    assert_eq!(user["phone"], "+15551234567");
    assert!(user["user_metadata"].is_null(), "{user}");
    assert_eq!(user["external_id"], "");
    assert_eq!(user["last_login_at"], "0001-01-01T00:00:00Z");
    assert_eq!(user["recent_events"].as_array().map(Vec::len), Some(1));
    assert_eq!(user["recent_events"][0]["action"], "register");
    assert_eq!(user["webauthn_devices"], json!([]));
    assert_eq!(user["social_connections"], json!({}));
    let created = user["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
}

#[tokio::test]
async fn create_user_keeps_its_metadata() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let mut metadata = serde_json::Map::new();
    metadata.insert("plan".into(), json!("pro"));
    let user = passage
        .raw()
        .create_user()
        .app_id(passage.app_id())
        .body_map(|b| {
            b.email(Some("a@example.com".to_owned()))
                .user_metadata(metadata.clone())
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(user.user_metadata, Some(metadata));
}

#[tokio::test]
async fn get_user_returns_the_user_created() {
    let emulator = emulator().await;
    let created = create_user(&emulator, "ada@example.com").await;
    let passage = emulator.passage();
    let fetched = passage
        .raw()
        .get_user()
        .app_id(passage.app_id())
        .user_id(&created.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn update_user_changes_email_phone_and_metadata() {
    let emulator = emulator().await;
    let created = create_user(&emulator, "ada@example.com").await;
    let passage = emulator.passage();
    let mut metadata = serde_json::Map::new();
    metadata.insert("team".into(), json!("core"));
    let updated = passage
        .raw()
        .update_user()
        .app_id(passage.app_id())
        .user_id(&created.id)
        .body_map(|b| {
            b.email(Some("Lovelace@Example.com".to_owned()))
                .phone(Some("+442071234567".parse().unwrap()))
                .user_metadata(metadata.clone())
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(updated.email, "lovelace@example.com");
    assert_eq!(updated.phone, "+442071234567");
    assert_eq!(updated.user_metadata, Some(metadata));
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(emulator.user(&created.id).unwrap(), updated);
}

#[tokio::test]
async fn update_user_to_another_users_email_is_invalid_request() {
    let emulator = emulator().await;
    create_user(&emulator, "taken@example.com").await;
    let user = create_user(&emulator, "ada@example.com").await;
    let passage = emulator.passage();
    let (status, error) = api_error(
        passage
            .raw()
            .update_user()
            .app_id(passage.app_id())
            .user_id(&user.id)
            .body_map(|b| b.email(Some("TAKEN@example.com".to_owned())))
            .send()
            .await,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error.code, "invalid_request");
}

#[tokio::test]
async fn update_user_that_would_leave_no_identifier_is_invalid_request() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let path = format!("{}/users/{}", app_path(&emulator), user.id);
    let reply = call(&emulator, Method::PATCH, &path, Some(json!({"email": ""}))).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn update_user_with_a_bad_phone_is_invalid_request() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let path = format!("{}/users/{}", app_path(&emulator), user.id);
    let reply = call(
        &emulator,
        Method::PATCH,
        &path,
        Some(json!({"phone": "555-1234"})),
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn deactivate_then_activate_set_the_status() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let passage = emulator.passage();
    let app = passage.app_id();
    let deactivated = passage
        .raw()
        .deactivate_user()
        .app_id(app)
        .user_id(&user.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(deactivated.status, UserStatus::Inactive);
    let activated = passage
        .raw()
        .activate_user()
        .app_id(app)
        .user_id(&user.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(activated.status, UserStatus::Active);
}

#[tokio::test]
async fn delete_user_removes_the_user_and_frees_the_email() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let passage = emulator.passage();
    let app = passage.app_id();
    let deleted = passage
        .raw()
        .delete_user()
        .app_id(app)
        .user_id(&user.id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let (status, error) = api_error(
        passage
            .raw()
            .get_user()
            .app_id(app)
            .user_id(&user.id)
            .send()
            .await,
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error.code, "user_not_found");
    create_user(&emulator, "ada@example.com").await;
}

#[tokio::test]
async fn get_app_returns_the_apps_full_settings() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let app = get_app(passage).await.unwrap().into_inner().app;
    assert_eq!(app.id, emulator.app_id());
    assert_eq!(app.auth_origin, emulator.auth_base_url());
    use base64::Engine as _;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(&app.rsa_public_key)
        .unwrap();
    assert!(pem.starts_with(b"-----BEGIN PUBLIC KEY-----"));
}

#[tokio::test]
async fn users_seeded_directly_are_served_over_http() {
    let emulator = emulator().await;
    let seeded = emulator
        .create_user_directly(Some("Ada@Example.com"), Some("+15551234567"))
        .unwrap();
    let passage = emulator.passage();
    let fetched = passage
        .raw()
        .get_user()
        .app_id(passage.app_id())
        .user_id(&seeded.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(fetched, seeded);
    assert!(emulator.requests().len() == 1, "seeding sends no request");
}

#[tokio::test]
async fn seeding_a_user_directly_applies_the_checks_of_create_user() {
    let emulator = emulator().await;
    emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let duplicate = emulator
        .create_user_directly(Some("ADA@example.com"), None)
        .unwrap_err();
    assert!(
        duplicate.to_string().contains("invalid_request"),
        "{duplicate}"
    );
    assert!(emulator.create_user_directly(None, Some("12345")).is_err());
    assert!(emulator.create_user_directly(None, None).is_err());
}

#[tokio::test]
async fn a_recorded_login_shows_in_login_count_and_last_login_at() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    emulator.record_login(&user.id).unwrap();
    let after = emulator.record_login(&user.id).unwrap();
    assert_eq!(after.login_count, 2);
    assert!(after.last_login_at >= user.created_at);
}
