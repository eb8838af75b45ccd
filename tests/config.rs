//! Building a `Passage`: defaults, validation, and what `Debug` shows.

use passage_identity::{ConfigError, Passage};

#[test]
fn passage_is_cheap_to_share_across_tasks() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<Passage>();
}

#[test]
fn new_uses_the_public_passage_urls() {
    let passage = Passage::new("app_1", "key").unwrap();
    assert_eq!(passage.api_base_url(), "https://api.passage.id/v1");
    assert_eq!(
        passage.jwks_url(),
        "https://auth.passage.id/v1/apps/app_1/.well-known/jwks.json"
    );
    assert_eq!(passage.issuer(), "https://auth.passage.id/v1/apps/app_1");
    assert!(passage.has_api_key());
}

#[test]
fn jwks_url_and_issuer_can_be_overridden() {
    let passage = Passage::builder("app_1")
        .jwks_url("http://127.0.0.1:9/keys.json")
        .issuer("https://login.example.com")
        .build()
        .unwrap();
    assert_eq!(passage.jwks_url(), "http://127.0.0.1:9/keys.json");
    assert_eq!(passage.issuer(), "https://login.example.com");
    assert!(!passage.has_api_key());
}

#[test]
fn an_empty_app_id_is_a_config_error() {
    assert!(matches!(
        Passage::new("", "key"),
        Err(ConfigError::EmptyAppId)
    ));
}

#[test]
fn a_malformed_url_is_a_config_error_naming_the_setting() {
    let err = Passage::builder("app_1")
        .auth_base_url("localhost:8080")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::InvalidUrl {
                setting: "auth_base_url",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("auth_base_url"));
}

#[test]
fn debug_output_never_shows_the_api_key() {
    let passage = Passage::new("app_1", "sk_live_do_not_print").unwrap();
    let shown = format!("{passage:?} {:?}", passage.raw());
    assert!(!shown.contains("sk_live_do_not_print"), "{shown}");
    assert!(shown.contains("app_1"));
}

#[test]
fn a_zero_timeout_or_connect_timeout_is_a_config_error_naming_the_setting() {
    for (builder, name) in [
        (
            Passage::builder("app_1").timeout(std::time::Duration::ZERO),
            "timeout",
        ),
        (
            Passage::builder("app_1").connect_timeout(std::time::Duration::ZERO),
            "connect_timeout",
        ),
    ] {
        match builder.build() {
            Err(ConfigError::InvalidSetting { setting, .. }) => assert_eq!(setting, name),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn the_base_urls_in_use_are_written_as_given_without_a_trailing_slash() {
    use passage_identity::{auth::DEFAULT_AUTH_BASE_URL, management::DEFAULT_API_BASE_URL};
    let passage = Passage::new("app_1", "key").unwrap();
    assert_eq!(passage.api_base_url(), DEFAULT_API_BASE_URL);
    assert_eq!(passage.auth_base_url(), DEFAULT_AUTH_BASE_URL);
    let local = Passage::builder("app_1")
        .api_base_url("http://127.0.0.1:8787/v1/")
        .auth_base_url("http://127.0.0.1:8787/")
        .build()
        .unwrap();
    assert_eq!(local.api_base_url(), "http://127.0.0.1:8787/v1");
    assert_eq!(local.auth_base_url(), "http://127.0.0.1:8787");
}
