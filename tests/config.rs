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

#[test]
fn every_timeout_and_retry_setting_has_an_upper_bound_naming_the_setting() {
    use passage_identity::RetryPolicy;
    use passage_identity::management::{
        MAX_BACKOFF, MAX_CALL_TIMEOUT, MAX_RETRIES, MAX_RETRY_AFTER, MAX_TIMEOUT,
    };
    use std::time::Duration;

    let past = |bound: Duration| bound + Duration::from_millis(1);
    let builder = || Passage::builder("app_1");
    let cases = [
        (builder().timeout(past(MAX_TIMEOUT)), "timeout"),
        (
            builder().connect_timeout(past(MAX_TIMEOUT)),
            "connect_timeout",
        ),
        (
            builder().call_timeout(past(MAX_CALL_TIMEOUT)),
            "call_timeout",
        ),
        (builder().call_timeout(Duration::ZERO), "call_timeout"),
        (
            builder().retry(RetryPolicy::default().max_retries(MAX_RETRIES + 1)),
            "retry.max_retries",
        ),
        (
            builder().retry(RetryPolicy::default().initial_backoff(past(MAX_BACKOFF))),
            "retry.initial_backoff",
        ),
        (
            builder().retry(RetryPolicy::default().max_backoff(Duration::MAX)),
            "retry.max_backoff",
        ),
        (
            builder().retry(RetryPolicy::default().max_retry_after(past(MAX_RETRY_AFTER))),
            "retry.max_retry_after",
        ),
    ];
    for (builder, name) in cases {
        match builder.build() {
            Err(ConfigError::InvalidSetting { setting, reason }) => {
                assert_eq!(setting, name);
                assert!(
                    reason.contains("at most") || reason.contains("zero"),
                    "{reason}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    builder()
        .timeout(MAX_TIMEOUT)
        .connect_timeout(MAX_TIMEOUT)
        .call_timeout(MAX_CALL_TIMEOUT)
        .retry(
            RetryPolicy::default()
                .max_retries(MAX_RETRIES)
                .initial_backoff(MAX_BACKOFF)
                .max_backoff(MAX_BACKOFF)
                .max_retry_after(MAX_RETRY_AFTER),
        )
        .build()
        .expect("the bounds themselves are accepted");
}

#[test]
fn a_url_with_a_user_name_or_password_is_refused_without_showing_the_password() {
    type Setter = fn(passage_identity::PassageBuilder, String) -> passage_identity::PassageBuilder;
    let setters: [(Setter, &str); 3] = [
        (|b, url| b.api_base_url(url), "api_base_url"),
        (|b, url| b.auth_base_url(url), "auth_base_url"),
        (|b, url| b.jwks_url(url), "jwks_url"),
    ];
    for (set, name) in setters {
        for url in [
            "https://ada:hunter2@api.example.com/v1",
            "https://:hunter2@api.example.com",
            "https://ada@api.example.com",
            "http://ada:hunter2@127.0.0.1:8080/x",
        ] {
            let error = set(Passage::builder("app_1"), url.to_owned())
                .build()
                .unwrap_err();
            match &error {
                ConfigError::InvalidUrl { setting, value, .. } => {
                    assert_eq!(*setting, name);
                    assert!(value.contains("[redacted]@"), "{value}");
                }
                other => panic!("{name} {url}: {other:?}"),
            }
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("user name or password"), "{shown}");
        }
    }
}
