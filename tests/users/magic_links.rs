//! `passage.create_magic_link(..)`: by email, by phone, by user id and channel, with
//! every option.

use http::Method;
use passage_identity::enums::MagicLinkType;
use passage_identity::raw::types::{MagicLinkChannel, MagicLinkLanguage};
use passage_identity::{CreateMagicLink, ManagementError, Passage};
use serde_json::json;

use crate::common::recorder::Recorder;
use crate::common::users::{app_path, emulator, requests_to};

#[tokio::test]
async fn link_by_email_is_for_the_user_with_that_email() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let link = emulator
        .passage()
        .create_magic_link(CreateMagicLink::email("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(link.user_id(), user.id);
    assert_eq!(link.identifier(), "ada@example.com");
    assert_eq!(link.link_type(), &MagicLinkType::Login);
    assert_eq!(link.app_id(), emulator.app_id());
    assert!(link.url().contains(link.secret()));
    assert_eq!(emulator.magic_links().len(), 1);
}

#[tokio::test]
async fn link_by_phone_is_for_the_user_with_that_phone() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(None, Some("+15551234567"))
        .unwrap();
    let link = emulator
        .passage()
        .create_magic_link(CreateMagicLink::phone("+15551234567"))
        .await
        .unwrap();
    assert_eq!(link.user_id(), user.id);
    assert_eq!(link.identifier(), "+15551234567");
}

#[tokio::test]
async fn link_by_user_id_goes_over_the_chosen_channel() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), Some("+15551234567"))
        .unwrap();
    let link = emulator
        .passage()
        .create_magic_link(CreateMagicLink::user_id(&user.id, MagicLinkChannel::Phone))
        .await
        .unwrap();
    assert_eq!(link.user_id(), user.id);
    assert_eq!(link.identifier(), "+15551234567");
}

#[tokio::test]
async fn every_option_is_sent_as_the_api_names_it() {
    let emulator = emulator().await;
    emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let link = emulator
        .passage()
        .create_magic_link(
            CreateMagicLink::email("ada@example.com")
                .verify_identifier()
                .send(true)
                .language(MagicLinkLanguage::De)
                .magic_link_path("/verify")
                .redirect_url("/dashboard")
                .ttl_minutes(15),
        )
        .await
        .unwrap();
    let sent = requests_to(
        &emulator,
        Method::POST,
        &app_path(&emulator, "/magic-links"),
    );
    assert_eq!(
        sent[0].body,
        Some(json!({
            "email": "ada@example.com",
            "channel": "email",
            "type": "verify_identifier",
            "send": true,
            "language": "de",
            "magic_link_path": "/verify",
            "redirect_url": "/dashboard",
            "ttl": 15,
        }))
    );
    assert_eq!(link.ttl_minutes(), 15);
    assert_eq!(link.redirect_url(), "/dashboard");
    assert_eq!(link.link_type(), &MagicLinkType::VerifyIdentifier);
}

#[tokio::test]
async fn a_verify_link_for_an_unknown_email_is_user_not_found() {
    let emulator = emulator().await;
    let error = emulator
        .passage()
        .create_magic_link(CreateMagicLink::email("nobody@example.com").verify_identifier())
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("user_not_found"));
}

#[tokio::test]
async fn debug_output_of_a_link_hides_its_url_and_secret() {
    let emulator = emulator().await;
    emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let link = emulator
        .passage()
        .create_magic_link(CreateMagicLink::email("ada@example.com"))
        .await
        .unwrap();
    let shown = format!("{link:?}");
    assert!(!shown.contains(link.secret()), "{shown}");
    assert!(!shown.contains(link.url()), "{shown}");
    assert!(shown.contains(link.id()), "{shown}");
}

/// A magic link answer the client cannot decode still holds the link's secret: the error must
/// not keep it, whatever made the answer undecodable: `ttl` missing, the status 200 rather than
/// the documented 201, JSON behind a UTF-8 byte-order mark (which no longer looks like JSON to
/// a first-byte check), or a secret of the wrong type (which serde's own message would quote).
#[tokio::test]
async fn an_undecodable_link_answer_does_not_keep_the_secret_in_the_error() {
    let recorder = Recorder::start().await;
    let passage = Passage::builder("app")
        .api_key("key")
        .api_base_url(format!("{}/v1", recorder.base_url()))
        .build()
        .unwrap();
    let secret = "s3cr3t-magic-link-value";
    let body = json!({ "magic_link": {
        "id": "ml1", "app_id": "app", "user_id": "u1", "identifier": "ada@example.com",
        "secret": secret, "url": format!("https://app.example/?psg_magic_link=ml.{secret}"),
        "activated": false, "redirect_url": "/", "type": "login",
    }});
    let mut complete = body.clone();
    complete["magic_link"]["ttl"] = 15.into();
    let mut wrong_type = complete.clone();
    wrong_type["magic_link"]["secret"] = 987_654_321_987u64.into();
    for (status, answer, leaked) in [
        (201, body.to_string(), secret),
        (200, body.to_string(), secret),
        (201, format!("\u{feff}{complete}"), secret),
        (201, wrong_type.to_string(), "987654321987"),
    ] {
        recorder.reply_raw(Method::POST, "/v1/apps/app/magic-links", status, answer);
        let error = passage
            .create_magic_link(CreateMagicLink::email("ada@example.com"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ManagementError::InvalidResponse { .. }),
            "{error:?}"
        );
        assert_eq!(error.body_excerpt(), None);
        let mut shown = format!("{error} {error:?}");
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            shown.push_str(&format!(" {cause} {cause:?}"));
            source = cause.source();
        }
        assert!(!shown.contains(leaked), "{status}: {shown}");
    }
}

#[tokio::test]
async fn a_link_by_phone_names_the_phone_channel() {
    let emulator = emulator().await;
    emulator
        .create_user_directly(None, Some("+15551234567"))
        .unwrap();
    emulator
        .passage()
        .create_magic_link(CreateMagicLink::phone("+15551234567").send(true))
        .await
        .unwrap();
    let sent = requests_to(
        &emulator,
        Method::POST,
        &app_path(&emulator, "/magic-links"),
    );
    let body = sent[0].body.as_ref().expect("a JSON body");
    assert_eq!(body["phone"], "+15551234567");
    assert_eq!(body["channel"], "phone");
}
