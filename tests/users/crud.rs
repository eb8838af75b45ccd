//! Every method of `passage.user()` and `passage.app()` doing its job.

use http::Method;
use passage_identity::enums::UserStatus;
use passage_identity::{CreateUser, UpdateUser};
use serde_json::json;

use crate::common::users::{app_path, emulator, query_param, requests_to};

#[tokio::test]
async fn create_by_email_returns_the_new_user() {
    let emulator = emulator().await;
    let user = emulator
        .passage()
        .user()
        .create(CreateUser::email("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.phone, "");
    assert_eq!(emulator.user(&user.id).unwrap().email, "ada@example.com");
}

#[tokio::test]
async fn create_by_phone_with_email_and_metadata_sends_all_three() {
    let emulator = emulator().await;
    let user = emulator
        .passage()
        .user()
        .create(
            CreateUser::phone("+15551234567")
                .with_email("grace@example.com")
                .metadata(json!({ "plan": "pro" })),
        )
        .await
        .unwrap();
    assert_eq!(user.phone, "+15551234567");
    assert_eq!(user.email, "grace@example.com");
    assert_eq!(
        user.user_metadata,
        json!({ "plan": "pro" }).as_object().cloned()
    );
    let sent = requests_to(&emulator, Method::POST, &app_path(&emulator, "/users"));
    assert_eq!(
        sent[0].body,
        Some(json!({
            "phone": "+15551234567",
            "email": "grace@example.com",
            "user_metadata": { "plan": "pro" },
        }))
    );
}

#[tokio::test]
async fn get_returns_the_user() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let user = emulator.passage().user().get(&created.id).await.unwrap();
    assert_eq!(user, created);
}

#[tokio::test]
async fn get_by_identifier_lower_cases_the_email_and_lists_one_user() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let user = emulator
        .passage()
        .user()
        .get_by_identifier("ADA@Example.COM")
        .await
        .unwrap();
    assert_eq!(user.id, created.id);
    let listing = &requests_to(&emulator, Method::GET, &app_path(&emulator, "/users"))[0];
    assert_eq!(
        query_param(listing, "identifier").as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(query_param(listing, "limit").as_deref(), Some("1"));
}

#[tokio::test]
async fn get_by_identifier_finds_a_phone_number() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(None, Some("+15551234567"))
        .unwrap();
    let user = emulator
        .passage()
        .user()
        .get_by_identifier("+15551234567")
        .await
        .unwrap();
    assert_eq!(user.id, created.id);
}

#[tokio::test]
async fn get_by_identifier_of_nobody_is_user_not_found() {
    let emulator = emulator().await;
    emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let error = emulator
        .passage()
        .user()
        .get_by_identifier("nobody@example.com")
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.code(), Some("user_not_found"));
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn update_changes_the_email_and_the_metadata_only() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(Some("ada@example.com"), Some("+15551234567"))
        .unwrap();
    let user = emulator
        .passage()
        .user()
        .update(
            &created.id,
            UpdateUser::new()
                .email("ada@new.example.com")
                .metadata(json!({ "plan": "team" })),
        )
        .await
        .unwrap();
    assert_eq!(user.email, "ada@new.example.com");
    assert_eq!(user.phone, "+15551234567");
    assert_eq!(
        user.user_metadata,
        json!({ "plan": "team" }).as_object().cloned()
    );
    let sent = requests_to(
        &emulator,
        Method::PATCH,
        &app_path(&emulator, &format!("/users/{}", created.id)),
    );
    assert_eq!(
        sent[0].body,
        Some(json!({ "email": "ada@new.example.com", "user_metadata": { "plan": "team" } }))
    );
}

#[tokio::test]
async fn deactivate_then_activate_toggles_the_status() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let users = emulator.passage().user();
    assert_eq!(
        users.deactivate(&created.id).await.unwrap().status,
        UserStatus::Inactive
    );
    assert_eq!(
        emulator.user(&created.id).unwrap().status,
        UserStatus::Inactive
    );
    assert_eq!(
        users.activate(&created.id).await.unwrap().status,
        UserStatus::Active
    );
}

#[tokio::test]
async fn delete_removes_the_user() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let users = emulator.passage().user();
    users.delete(&created.id).await.unwrap();
    assert!(emulator.user(&created.id).is_err());
    assert!(users.get(&created.id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn list_devices_returns_the_registered_devices() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let device = emulator.add_device(&created.id, "Ada's laptop").unwrap();
    let devices = emulator
        .passage()
        .user()
        .list_devices(&created.id)
        .await
        .unwrap();
    assert_eq!(devices, vec![device]);
}

#[tokio::test]
async fn revoke_device_removes_only_that_device() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let laptop = emulator.add_device(&created.id, "laptop").unwrap();
    let phone = emulator.add_device(&created.id, "phone").unwrap();
    let users = emulator.passage().user();
    users.revoke_device(&created.id, &laptop.id).await.unwrap();
    assert_eq!(users.list_devices(&created.id).await.unwrap(), vec![phone]);
}

#[tokio::test]
async fn revoke_refresh_tokens_signs_the_user_out_everywhere() {
    let emulator = emulator().await;
    let created = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    emulator
        .passage()
        .user()
        .revoke_refresh_tokens(&created.id)
        .await
        .unwrap();
    assert_eq!(
        emulator
            .refresh_token_revocations(&created.id)
            .unwrap()
            .count,
        1
    );
}

#[tokio::test]
async fn app_get_returns_the_app_without_its_secret() {
    let emulator = emulator().await;
    let app = emulator.passage().app().get().await.unwrap();
    assert_eq!(app.id, emulator.app_id());
    assert_eq!(app.secret, None);
}
