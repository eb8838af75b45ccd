//! Magic links: by email, by phone, by user id and channel, with their options and checks.

use passage_identity::enums::{MagicLinkType, UserStatus};
use passage_identity::raw::types::{MagicLinkChannel, MagicLinkLanguage};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::emulator::support::{api_error, app_path, call, create_user, emulator, get_app};

#[tokio::test]
async fn a_magic_link_by_email_answers_201_with_the_link() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let passage = emulator.passage();
    let response = passage
        .raw()
        .create_magic_link()
        .app_id(passage.app_id())
        .body_map(|b| {
            b.email(Some("Ada@Example.com".to_owned()))
                .magic_link_path(Some("/welcome".to_owned()))
                .redirect_url(Some("/dashboard".to_owned()))
                .language(Some(MagicLinkLanguage::De))
                .send(Some(false))
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let link = response.into_inner().magic_link;
    assert_eq!(link.user_id, user.id);
    assert_eq!(link.identifier, "ada@example.com");
    assert_eq!(link.app_id, emulator.app_id());
    assert_eq!(link.type_, MagicLinkType::Login);
    assert!(!link.activated);
    assert_eq!(link.redirect_url, "/dashboard");
    assert!(!link.secret.is_empty() && !link.id.is_empty());
    assert_eq!(
        link.url,
        format!(
            "{}/welcome?psg_magic_link={}",
            emulator.auth_base_url(),
            link.secret
        )
    );
    assert_eq!(emulator.magic_links(), [link]);
}

#[tokio::test]
async fn a_magic_link_by_phone_goes_to_that_phone() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(None, Some("+15551234567"))
        .unwrap();
    let passage = emulator.passage();
    let link = passage
        .raw()
        .create_magic_link()
        .app_id(passage.app_id())
        .body_map(|b| {
            b.phone(Some("+15551234567".parse().unwrap()))
                .ttl(Some(5.try_into().unwrap()))
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .magic_link;
    assert_eq!(
        (link.user_id.as_str(), link.identifier.as_str()),
        (user.id.as_str(), "+15551234567")
    );
    assert_eq!(link.ttl, 5);
}

#[tokio::test]
async fn a_magic_link_by_user_id_uses_the_channel_given() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), Some("+15551234567"))
        .unwrap();
    let passage = emulator.passage();
    let link = passage
        .raw()
        .create_magic_link()
        .app_id(passage.app_id())
        .body_map(|b| {
            b.user_id(Some(user.id.clone()))
                .channel(Some(MagicLinkChannel::Phone))
                .type_(Some(MagicLinkType::VerifyIdentifier))
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .magic_link;
    assert_eq!(link.identifier, "+15551234567");
    assert_eq!(link.type_, MagicLinkType::VerifyIdentifier);
}

#[tokio::test]
async fn a_login_link_for_a_new_email_creates_a_pending_user() {
    let emulator = emulator().await;
    let path = format!("{}/magic-links", app_path(&emulator));
    let reply = call(
        &emulator,
        Method::POST,
        &path,
        Some(json!({"email": "new@example.com"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let user_id = reply.json()["magic_link"]["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = emulator.user(&user_id).unwrap();
    assert_eq!(
        (user.email.as_str(), user.status),
        ("new@example.com", UserStatus::Pending)
    );
}

#[tokio::test]
async fn a_verify_link_for_an_unknown_email_is_404_user_not_found() {
    let emulator = emulator().await;
    let path = format!("{}/magic-links", app_path(&emulator));
    let body = json!({"email": "nobody@example.com", "type": "verify_identifier"});
    let reply = call(&emulator, Method::POST, &path, Some(body)).await;
    reply.assert_error(StatusCode::NOT_FOUND, "user_not_found");
}

#[tokio::test]
async fn a_magic_link_for_an_unknown_user_id_is_404_user_not_found() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let (status, error) = api_error(
        passage
            .raw()
            .create_magic_link()
            .app_id(passage.app_id())
            .body_map(|b| {
                b.user_id(Some("x".repeat(24)))
                    .channel(Some(MagicLinkChannel::Email))
            })
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::NOT_FOUND, "user_not_found")
    );
}

#[tokio::test]
async fn bad_magic_link_requests_are_invalid_request() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let path = format!("{}/magic-links", app_path(&emulator));
    let cases = [
        json!({}),
        json!({"email": "ada@example.com", "phone": "+15551234567"}),
        json!({"user_id": user.id}),
        json!({"user_id": user.id, "channel": "phone"}),
        json!({"user_id": user.id, "channel": "pigeon"}),
        json!({"email": "ada@example.com", "channel": "phone"}),
        json!({"email": "ada@example.com", "type": "signup"}),
        json!({"email": "ada@example.com", "language": "fr"}),
        json!({"email": "ada@example.com", "ttl": 0}),
        json!({"email": "ada@example.com", "magic_link_path": "https://evil.example/x"}),
        json!({"email": "ada@example.com", "magic_link_path": "//evil.example/x"}),
        json!({"phone": "555"}),
    ];
    for body in cases {
        let reply = call(&emulator, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    assert!(emulator.magic_links().is_empty());
}

#[tokio::test]
async fn the_secret_goes_into_the_query_of_a_path_with_a_query_or_a_fragment() {
    let emulator = emulator().await;
    let path = format!("{}/magic-links", app_path(&emulator));
    let origin = emulator.auth_base_url();
    for (link_path, expected) in [
        (
            "welcome?next=%2Fhome",
            "/welcome?next=%2Fhome&psg_magic_link=SECRET",
        ),
        ("/welcome#start", "/welcome?psg_magic_link=SECRET#start"),
        (
            "/welcome?a=1#start",
            "/welcome?a=1&psg_magic_link=SECRET#start",
        ),
    ] {
        let body = json!({"email": "ada@example.com", "magic_link_path": link_path});
        let reply = call(&emulator, Method::POST, &path, Some(body)).await;
        let link = &reply.json()["magic_link"];
        let secret = link["secret"].as_str().unwrap();
        let expected = format!("{origin}{}", expected.replace("SECRET", secret));
        assert_eq!(link["url"], expected, "{link_path}");
    }
}

#[tokio::test]
async fn a_link_without_ttl_lives_as_long_as_the_apps_magic_link_setting_says() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let app = get_app(passage).await.unwrap();
    let app_ttl_seconds = app.into_inner().app.auth_methods.magic_link.ttl;
    let path = format!("{}/magic-links", app_path(&emulator));
    let body = json!({"email": "ada@example.com"});
    let reply = call(&emulator, Method::POST, &path, Some(body)).await;
    assert_eq!(reply.json()["magic_link"]["ttl"], app_ttl_seconds / 60);
}
