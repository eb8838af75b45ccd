//! Devices and refresh tokens: list, revoke one device, revoke every refresh token.

use passage_identity::emulator::EmulatorError;
use passage_identity::enums::WebAuthnType;
use reqwest::{Method, StatusCode};

use crate::emulator::support::{api_error, app_path, call, create_user, emulator};

#[tokio::test]
async fn list_devices_shows_the_devices_added() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let laptop = emulator.add_device(&user.id, "Laptop").unwrap();
    let phone = emulator.add_device(&user.id, "Phone").unwrap();
    let passage = emulator.passage();
    let devices = passage
        .raw()
        .list_user_devices()
        .app_id(passage.app_id())
        .user_id(&user.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .devices;
    assert_eq!(devices, [laptop.clone(), phone]);
    assert_eq!(laptop.type_, WebAuthnType::Passkey);
    let user = emulator.user(&user.id).unwrap();
    assert!(user.webauthn);
    assert_eq!(user.webauthn_types, [WebAuthnType::Passkey]);
    assert_eq!(user.webauthn_devices.len(), 2);
}

#[tokio::test]
async fn a_user_without_devices_lists_none() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let reply = call(
        &emulator,
        Method::GET,
        &format!("{}/users/{}/devices", app_path(&emulator), user.id),
        None,
    )
    .await;
    assert_eq!(reply.json(), serde_json::json!({"devices": []}));
}

#[tokio::test]
async fn delete_device_revokes_that_device_only() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let laptop = emulator.add_device(&user.id, "Laptop").unwrap();
    let phone = emulator.add_device(&user.id, "Phone").unwrap();
    let passage = emulator.passage();
    let response = passage
        .raw()
        .delete_user_devices()
        .app_id(passage.app_id())
        .user_id(&user.id)
        .device_id(&laptop.id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(emulator.user(&user.id).unwrap().webauthn_devices, [phone]);
}

#[tokio::test]
async fn delete_of_an_unknown_device_is_404_device_not_found() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let passage = emulator.passage();
    let (status, error) = api_error(
        passage
            .raw()
            .delete_user_devices()
            .app_id(passage.app_id())
            .user_id(&user.id)
            .device_id("no_such_device")
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::NOT_FOUND, "device_not_found")
    );
}

#[tokio::test]
async fn adding_a_device_to_an_unknown_user_fails() {
    let emulator = emulator().await;
    let error = emulator.add_device("nobody", "Laptop").unwrap_err();
    assert!(
        matches!(error, EmulatorError::UserNotFound(ref id) if id == "nobody"),
        "{error}"
    );
}

#[tokio::test]
async fn revoke_refresh_tokens_answers_200_with_no_body_and_counts() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    assert_eq!(
        emulator.refresh_token_revocations(&user.id).unwrap().count,
        0
    );
    let path = format!("{}/users/{}/tokens", app_path(&emulator), user.id);
    let reply = call(&emulator, Method::DELETE, &path, None).await;
    assert_eq!((reply.status, reply.text.as_str()), (StatusCode::OK, ""));
    let passage = emulator.passage();
    passage
        .raw()
        .revoke_user_refresh_tokens()
        .app_id(passage.app_id())
        .user_id(&user.id)
        .send()
        .await
        .unwrap();
    let revocations = emulator.refresh_token_revocations(&user.id).unwrap();
    assert_eq!(revocations.count, 2);
    assert!(revocations.last_at.is_some());
}
