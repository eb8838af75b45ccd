//! Saved state from Rust: export and import, the state file across a restart, and files that
//! hold no valid state, which fail the start and are left as they were.

use std::path::Path;

use passage_identity::emulator::{Emulator, EmulatorError, EmulatorState, UserSeed};
use passage_identity::raw::types::MagicLinkChannel;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::emulator::scratch::Scratch;
use crate::emulator::support::{app_path, call, emulator};

/// A user with a passkey, a magic link, and a token, as a test session leaves an app.
async fn populate(emulator: &Emulator) -> (String, String) {
    let user = emulator
        .seed_user(
            UserSeed::new()
                .email("ada@example.com")
                .email_verified(true)
                .device("Laptop")
                .logins(2),
        )
        .unwrap();
    let link = call(
        emulator,
        Method::POST,
        &format!("{}/magic-links", app_path(emulator)),
        Some(json!({"email": "ada@example.com", "language": "pt"})),
    )
    .await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    (user.id.clone(), emulator.issue_token(&user.id).unwrap())
}

fn invalid_state_reason(error: EmulatorError) -> (String, String) {
    match error {
        EmulatorError::InvalidState { origin, reason } => (origin, reason),
        other => panic!("expected InvalidState, got {other:?}"),
    }
}

#[tokio::test]
async fn a_state_file_keeps_the_app_across_a_restart_on_the_same_port() {
    let scratch = Scratch::new();
    let file = scratch.path("app.json");
    let first = Emulator::builder().state_file(&file).start().await.unwrap();
    assert!(file.is_file(), "written at start");
    let (user_id, token) = populate(&first).await;
    first.rotate_keys(true).unwrap();
    let (app_id, api_key, kids, port) = (
        first.app_id().to_owned(),
        first.api_key().to_owned(),
        first.signing_kids(),
        first.local_addr().port(),
    );
    let device = first.user(&user_id).unwrap().webauthn_devices[0].clone();
    first.shutdown().await;

    let second = Emulator::builder()
        .state_file(&file)
        .port(port)
        .start()
        .await
        .unwrap();
    assert_eq!(
        (second.app_id(), second.api_key()),
        (app_id.as_str(), api_key.as_str())
    );
    assert_eq!(second.signing_kids(), kids);
    let user = second.user(&user_id).unwrap();
    assert_eq!(
        (user.email.as_str(), user.email_verified, user.login_count),
        // Seeded with two logins; issuing the token was a third.
        ("ada@example.com", true, 3)
    );
    assert_eq!(user.webauthn_devices, [device]);
    let links = second.sent_magic_links();
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].language.as_str(), links[0].channel),
        ("pt", MagicLinkChannel::Email)
    );
    let passage = second.passage_builder().build().unwrap();
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), user_id);
    // New users keep coming after the restored ones, with their own email:
    assert!(
        second
            .create_user_directly(Some("ada@example.com"), None)
            .is_err()
    );
    second
        .create_user_directly(Some("grace@example.com"), None)
        .unwrap();
    assert_eq!(second.user_count(), 2);
    assert_eq!(scratch.files(), ["app.json"], "no temporary file is left");
}

#[tokio::test]
async fn exported_state_starts_the_same_app_and_hides_its_secrets_in_debug() {
    let first = emulator().await;
    let (user_id, _) = populate(&first).await;
    let state = first.export_state();
    let debug = format!("{state:?}");
    assert!(!debug.contains(first.api_key()), "{debug}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");

    let json = state.to_json();
    let parsed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["version"], 1);
    assert_eq!(parsed["auth_origin"], first.auth_base_url());
    let again = EmulatorState::from_json(&json).unwrap();
    assert_eq!(again, state);
    let second = Emulator::builder().state(again).start().await.unwrap();
    assert_eq!(second.app_id(), first.app_id());
    assert_eq!(
        second.user(&user_id).unwrap(),
        first.user(&user_id).unwrap()
    );
    assert_eq!(second.jwks(), first.jwks());
}

#[tokio::test]
async fn a_state_of_another_app_id_or_api_key_than_asked_for_is_refused() {
    let state = emulator().await.export_state();
    let error = Emulator::builder()
        .state(state.clone())
        .app_id("someone-else")
        .start()
        .await
        .unwrap_err();
    let (_, reason) = invalid_state_reason(error);
    assert!(reason.contains("someone-else"), "{reason}");
    let error = Emulator::builder()
        .state(state)
        .api_key("another-key")
        .start()
        .await
        .unwrap_err();
    let (_, reason) = invalid_state_reason(error);
    assert!(
        reason.contains("another API key") && !reason.contains("another-key"),
        "{reason}"
    );
}

/// Valid JSON states broken in one way each, with what the error must say.
fn broken_states(valid: &Value) -> Vec<(String, &'static str)> {
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut state = valid.clone();
        f(&mut state);
        state.to_string()
    };
    let text = valid.to_string();
    vec![
        (String::new(), "not JSON"),
        ("{\"version\": 1".to_owned(), "not JSON"),
        (text[..text.len() / 2].to_owned(), "not JSON"),
        ("[1, 2]".to_owned(), "not a JSON object"),
        (
            edit(&|s| drop(s.as_object_mut().unwrap().remove("version"))),
            "no \"version\"",
        ),
        (edit(&|s| s["version"] = json!(2)), "version 2"),
        (edit(&|s| s["version"] = json!("1")), "version \"1\""),
        (
            edit(&|s| drop(s.as_object_mut().unwrap().remove("api_key"))),
            "api_key",
        ),
        (edit(&|s| s["app_id"] = json!("no/slash")), "app_id"),
        (edit(&|s| s["signing_keys"] = json!([])), "no signing key"),
        (
            edit(&|s| s["signing_keys"][0]["private_key_pem"] = json!("garbage")),
            "PKCS#8",
        ),
        (
            edit(&|s| s["users"][0]["status"] = json!("banned")),
            "unknown status",
        ),
        (
            edit(&|s| s["users"][0]["email"] = json!("Ada@Example.com")),
            "not as stored",
        ),
        (
            edit(&|s| {
                let twin = s["users"][0].clone();
                s["users"].as_array_mut().unwrap().push(twin);
            }),
            "not unique",
        ),
        (edit(&|s| s["extra"] = json!(true)), "unknown field"),
    ]
}

#[tokio::test]
async fn a_state_file_without_a_valid_state_fails_the_start_and_is_left_as_it_was() {
    let source = emulator().await;
    populate(&source).await;
    let valid: Value = serde_json::from_str(&source.export_state().to_json()).unwrap();
    let scratch = Scratch::new();
    let file = scratch.path("broken.json");
    for (contents, mentions) in broken_states(&valid) {
        std::fs::write(&file, &contents).unwrap();
        let error = Emulator::builder()
            .state_file(&file)
            .start()
            .await
            .unwrap_err();
        let message = error.to_string();
        let (origin, reason) = invalid_state_reason(error);
        assert_eq!(origin, format!("the state file {}", file.display()));
        assert!(reason.contains(mentions), "{mentions}: {message}");
        assert!(
            !message.contains(source.api_key()) && !message.contains("BEGIN PRIVATE"),
            "{message}"
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            contents,
            "left as it was"
        );
        assert_eq!(scratch.files(), ["broken.json"]);
    }
}

#[tokio::test]
async fn a_state_file_that_is_not_utf8_fails_the_start() {
    let scratch = Scratch::new();
    let file = scratch.path("binary.json");
    std::fs::write(&file, [0xff, 0xfe, 0x00]).unwrap();
    let error = Emulator::builder()
        .state_file(&file)
        .start()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not UTF-8"), "{error}");
    assert_eq!(std::fs::read(&file).unwrap(), [0xff, 0xfe, 0x00]);
}

#[tokio::test]
async fn a_state_file_that_cannot_be_written_fails_the_start() {
    let scratch = Scratch::new();
    let file = scratch.path("missing-directory/app.json");
    let error = Emulator::builder()
        .state_file(&file)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, EmulatorError::StateFile { action: "write", path, .. } if *path == file),
        "{error:?}"
    );
}

#[tokio::test]
async fn saving_over_http_writes_the_state_file_readable_by_its_owner_only() {
    let scratch = Scratch::new();
    let file = scratch.path("app.json");
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    populate(&emulator).await;
    let reply = call(
        &emulator,
        Method::POST,
        &format!("/emulator/v1/apps/{}/state/save", emulator.app_id()),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["path"], file.display().to_string());
    let saved = EmulatorState::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved, emulator.export_state());
    assert_eq!(saved.user_count(), 1);
    assert_eq!(emulator.state_file(), Some(file.as_path()));
    assert_owner_only(&file);
    assert_eq!(scratch.files(), ["app.json"]);
}

#[cfg(unix)]
fn assert_owner_only(file: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[cfg(not(unix))]
fn assert_owner_only(_: &Path) {}
