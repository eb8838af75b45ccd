//! The secrets audit: every public configuration, client, error and response value, formatted
//! with `Display`, `Debug` and `{:#?}` (errors with their whole `source()` chain), shows neither
//! the API key, nor a token, nor a magic link's secret, nor a password given in a URL.
//!
//! An undecodable magic link answer is audited with the magic link tests.
//!
//! Left out, on purpose: `ConfigError::HttpClient` and `ManagementError::Request` cannot be
//! provoked from outside; they hold only reqwest's and progenitor's own messages.

use std::error::Error as StdError;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use passage_identity::emulator::{Emulator, Fault, TokenOptions};
use passage_identity::raw::types::MagicLinkChannel;
use passage_identity::{
    AuthStrategy, ConfigError, CreateMagicLink, ManagementError, Passage, PassageBuilder,
    RetryPolicy,
};

use crate::common::fixtures;
use crate::common::users::{app_path, emulator, without_retries};
use crate::users::scripted::{self, Scripted};

const API_KEY: &str = "sk_audit_6f1d0c2ab9e8";
const URL_PASSWORD: &str = "pw_audit_51c7";

/// Everything an error says of itself, its causes included.
fn shown_error(error: &(dyn StdError + 'static)) -> String {
    let mut text = format!("{error}\n{error:?}\n{error:#?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    text
}

#[track_caller]
fn assert_hides(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "{secret:?} shows in:\n{text}");
    }
}

fn audited(builder: PassageBuilder) -> PassageBuilder {
    builder.api_key(API_KEY)
}

#[test]
fn configuration_values_and_their_errors_hide_the_key_and_url_passwords() {
    let builder = audited(Passage::builder("app_1"));
    assert_hides(&format!("{builder:?}\n{builder:#?}"), &[API_KEY]);
    let passage = builder.build().unwrap();
    assert_hides(
        &format!(
            "{passage:?}\n{passage:#?}\n{:?}\n{:?}\n{:?}",
            passage.raw(),
            passage.user(),
            passage.user().list()
        ),
        &[API_KEY],
    );
    assert_hides(
        &format!("{:?}", RetryPolicy::default()),
        &[API_KEY, URL_PASSWORD],
    );

    let with_password = format!("https://ada:{URL_PASSWORD}@api.example.com/v1");
    let broken = format!("https://ada:{URL_PASSWORD}/x@api example.com");
    let mut errors: Vec<ConfigError> = vec![
        audited(Passage::builder("")).build().unwrap_err(),
        audited(Passage::builder("a/b")).build().unwrap_err(),
        Passage::builder("app_1")
            .api_key(format!("{API_KEY}\n"))
            .build()
            .unwrap_err(),
        audited(Passage::builder("app_1"))
            .timeout(Duration::ZERO)
            .build()
            .unwrap_err(),
        audited(Passage::builder("app_1"))
            .retry(RetryPolicy::default().max_retries(1_000))
            .build()
            .unwrap_err(),
        audited(Passage::builder("app_1"))
            .jwks_json("{not json")
            .build()
            .unwrap_err(),
    ];
    for setter in [
        PassageBuilder::api_base_url,
        PassageBuilder::auth_base_url,
        PassageBuilder::jwks_url,
    ] {
        for url in [&with_password, &broken] {
            let error = setter(audited(Passage::builder("app_1")), url.clone())
                .build()
                .unwrap_err();
            assert!(matches!(error, ConfigError::InvalidUrl { .. }), "{error:?}");
            errors.push(error);
        }
    }
    if let Err(error) = PassageBuilder::from_env() {
        errors.push(error);
    }
    for error in &errors {
        assert_hides(&shown_error(error), &[API_KEY, URL_PASSWORD]);
    }
}

/// One error of every kind a management call can end in, each from a real exchange.
#[tokio::test]
async fn management_errors_of_every_kind_hide_the_key() {
    let emulator = emulator().await;
    let passage = emulator
        .passage_builder()
        .api_key(API_KEY)
        .retry(RetryPolicy::disabled())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let keyless = Passage::builder(emulator.app_id())
        .api_base_url(emulator.api_base_url())
        .build()
        .unwrap();
    let mut errors: Vec<ManagementError> = vec![
        keyless.app().get().await.unwrap_err(),
        // The key used as an id, by mistake: the error names the character, not the value.
        passage
            .user()
            .get(&format!("{API_KEY}/x"))
            .await
            .unwrap_err(),
        passage.user().get("nobody").await.unwrap_err(), // 401: the emulator's key is another
    ];
    let good = emulator.passage();
    let app = app_path(&emulator, "");
    for fault in [
        Fault::on(Method::GET, &app).latency(Duration::from_secs(5)),
        Fault::on(Method::GET, &app).drop_connection(),
        Fault::on(Method::GET, &app)
            .status(StatusCode::BAD_GATEWAY)
            .malformed_body(),
    ] {
        emulator.inject_fault(fault);
        let impatient = emulator
            .passage_builder()
            .timeout(Duration::from_millis(200))
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        errors.push(impatient.app().get().await.unwrap_err());
    }
    errors.push(good.user().get("nobody").await.unwrap_err());
    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            ManagementError::MissingApiKey => "missing key",
            ManagementError::InvalidInput { .. } => "input",
            ManagementError::Api { .. } => "api",
            ManagementError::Timeout { .. } => "timeout",
            ManagementError::Connection { .. } => "connection",
            ManagementError::InvalidResponse { .. } => "response",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "missing key",
            "input",
            "api",
            "timeout",
            "connection",
            "response",
            "api"
        ]
    );
    for error in &errors {
        assert_hides(&shown_error(error), &[API_KEY, emulator.api_key()]);
    }
}

#[tokio::test]
async fn magic_links_and_their_requests_hide_the_secret() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let request = CreateMagicLink::user_id(&user.id, MagicLinkChannel::Email).send(false);
    assert_hides(&format!("{request:?}"), &[emulator.api_key()]);
    let link = without_retries(&emulator)
        .create_magic_link(request)
        .await
        .unwrap();
    assert!(!link.secret().is_empty());
    assert_hides(
        &format!("{link:?}\n{link:#?}"),
        &[link.secret(), link.url(), emulator.api_key()],
    );
    // The generated type the facade wraps, as the low-level client and `into_raw` give it.
    let (secret, url) = (link.secret().to_owned(), link.url().to_owned());
    let raw = link.into_raw();
    assert_hides(&format!("{raw:?}\n{raw:#?}"), &[&secret, &url]);
}

/// Passage does not send the app's secret to API-key callers; were it to, the facade drops it.
#[tokio::test]
async fn app_info_never_carries_the_apps_secret() {
    let mut body = fixtures::app_response("app");
    body["app"]["secret"] = "appsecret_audit_77".into();
    let server = Scripted::start(vec![scripted::json(200, &body.to_string())]).await;
    let app = server.passage(0).app().get().await.unwrap();
    assert_eq!(app.secret, None);
    assert_hides(&format!("{app:?}\n{app:#?}"), &["appsecret_audit_77"]);
}

/// A token rejected for any reason the emulator can provoke is never shown by its error.
#[tokio::test]
async fn auth_errors_never_show_the_token() {
    let emulator: Emulator = emulator().await;
    let passage = emulator.passage();
    let now = std::time::SystemTime::now();
    let hour = Duration::from_secs(3600);
    let good = emulator.issue_token("user_1").unwrap();
    let mut tampered = good.clone();
    tampered.truncate(good.len() - 4);
    tampered.push_str("AAAA");
    let tokens = [
        emulator
            .issue_token_with("user_1", TokenOptions::default().expires_at(now - hour))
            .unwrap(),
        emulator
            .issue_token_with("user_1", TokenOptions::default().not_before(now + hour))
            .unwrap(),
        emulator
            .issue_token_with(
                "user_1",
                TokenOptions::default().audience(serde_json::json!("another-app")),
            )
            .unwrap(),
        emulator
            .issue_token_with(
                "user_1",
                TokenOptions::default().issuer("https://evil.example"),
            )
            .unwrap(),
        emulator
            .issue_token_with("user_1", TokenOptions::default().kid("retired"))
            .unwrap(),
        emulator
            .issue_token_with("user_1", TokenOptions::default().signed_by_unknown_key())
            .unwrap(),
        emulator
            .issue_token_with("", TokenOptions::default())
            .unwrap(),
        tampered,
        format!("{good}.{good}"),
        "x".repeat(20_000),
    ];
    for token in &tokens {
        let error = passage.auth().validate_jwt(token).await.unwrap_err();
        let signature = token.rsplit('.').next().unwrap_or(token);
        assert_hides(&shown_error(&error), &[token, signature]);
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {good}")).unwrap(),
    );
    let header_passage = emulator
        .passage_builder()
        .auth_strategy(AuthStrategy::Header)
        .build()
        .unwrap();
    let error = header_passage
        .authenticate_request(&headers)
        .await
        .unwrap_err();
    assert_hides(&shown_error(&error), &[&good]);
}
