//! The key cache over HTTP: lazy and eager loading, rotation, shared fetches, the cooldown,
//! failures, background refresh.

use std::sync::Arc;
use std::time::Duration;

use passage_identity::{AuthError, ConfigError, Passage, auth::KeySetError};
use serde_json::json;
use tokio::sync::Barrier;

use crate::common::auth::*;

/// A token with a key id the JWKS does not have (its signature is never checked).
fn token_with_kid(server: &JwksServer, kid: &str) -> String {
    forge(
        &json!({"alg": "RS256", "kid": kid}),
        &valid_claims(&server.base_url),
        &[7; 256],
    )
}

// --- loading ---

#[tokio::test]
async fn building_never_touches_the_network_and_first_use_fetches_once() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    assert_eq!(server.fetches(), 0);
    assert!(passage.auth().key_ids().is_empty());
    let token = server.token(key_a());
    for _ in 0..20 {
        passage.auth().validate_jwt(&token).await.unwrap();
    }
    assert_eq!(server.fetches(), 1);
    assert_eq!(passage.auth().key_ids(), [key_a().kid()]);
}

#[tokio::test]
async fn warm_up_fetches_before_the_first_request() {
    let server = JwksServer::start(&[key_a(), key_b()]).await;
    let passage = server.passage().build().unwrap();
    passage.auth().warm_up().await.unwrap();
    assert_eq!(server.fetches(), 1);
    let mut expected = vec![key_a().kid().to_owned(), key_b().kid().to_owned()];
    expected.sort();
    assert_eq!(passage.auth().key_ids(), expected);
    passage
        .auth()
        .validate_jwt(&server.token(key_b()))
        .await
        .unwrap();
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn clones_of_a_passage_share_one_cache() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    let clone = passage.clone();
    passage.auth().warm_up().await.unwrap();
    clone
        .auth()
        .validate_jwt(&server.token(key_a()))
        .await
        .unwrap();
    assert_eq!(server.fetches(), 1);
}

// --- rotation ---

#[tokio::test]
async fn a_token_signed_with_a_new_key_validates_after_exactly_one_refetch() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server
        .passage()
        .jwks_cooldown(Duration::ZERO)
        .build()
        .unwrap();
    passage.auth().warm_up().await.unwrap();
    server.serve_keys(&[key_a(), key_b()]);
    let user = passage
        .auth()
        .validate_jwt(&server.token(key_b()))
        .await
        .unwrap();
    assert_eq!(user, USER_ID);
    assert_eq!(server.fetches(), 2);
    // Both keys now serve without further fetches.
    passage
        .auth()
        .validate_jwt(&server.token(key_a()))
        .await
        .unwrap();
    passage
        .auth()
        .validate_jwt(&server.token(key_b()))
        .await
        .unwrap();
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn a_retired_key_stops_validating_after_a_refresh() {
    let server = JwksServer::start(&[key_a(), key_b()]).await;
    let passage = server
        .passage()
        .jwks_cooldown(Duration::ZERO)
        .build()
        .unwrap();
    passage.auth().warm_up().await.unwrap();
    server.serve_keys(&[key_b()]);
    // An unknown kid causes the refetch that drops key A.
    let _ = passage
        .auth()
        .validate_jwt(&token_with_kid(&server, "unknown"))
        .await;
    assert_eq!(server.fetches(), 2);
    let err = passage
        .auth()
        .validate_jwt(&server.token(key_a()))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::UnknownKeyId { .. }), "{err:?}");
}

// --- one fetch for many callers; the cooldown ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_validations_with_an_unseen_kid_cause_exactly_one_fetch() {
    const CALLERS: usize = 50;
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    let gate = server.hold();
    let token = Arc::new(server.token(key_a()));
    let start = Arc::new(Barrier::new(CALLERS + 1));
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (passage, token, start) = (passage.clone(), token.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                passage.auth().validate_jwt(&token).await
            })
        })
        .collect();
    start.wait().await;
    server.wait_for_fetches(1).await;
    gate.add_permits(CALLERS);
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), USER_ID);
    }
    assert_eq!(server.fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_made_up_kids_causes_no_fetch_within_the_cooldown() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    passage.auth().warm_up().await.unwrap();
    let floods: Vec<_> = (0..500)
        .map(|i| {
            let passage = passage.clone();
            let token = token_with_kid(&server, &format!("made-up-{i}"));
            tokio::spawn(async move { passage.auth().validate_jwt(&token).await })
        })
        .collect();
    for flood in floods {
        let err = flood.await.unwrap().unwrap_err();
        assert!(matches!(err, AuthError::UnknownKeyId { .. }), "{err:?}");
    }
    assert_eq!(server.fetches(), 1);
    // Known keys are unaffected.
    passage
        .auth()
        .validate_jwt(&server.token(key_a()))
        .await
        .unwrap();
}

#[tokio::test]
async fn made_up_kids_refetch_at_most_once_per_cooldown() {
    const COOLDOWN: Duration = Duration::from_millis(200);
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().jwks_cooldown(COOLDOWN).build().unwrap();
    let started = std::time::Instant::now();
    passage.auth().warm_up().await.unwrap();
    let mut flood = 0;
    let server = &server;
    // Flood until the cooldown has let three more fetches through.
    wait_until(|| {
        flood += 1;
        let passage = passage.clone();
        let token = token_with_kid(server, &format!("made-up-{flood}"));
        async move {
            let _ = passage.auth().validate_jwt(&token).await;
            server.fetches() >= 4
        }
    })
    .await;
    // Fetch n can only start n - 1 cooldowns after the first.
    assert!(started.elapsed() >= COOLDOWN * 3);
    assert!(flood > 100, "the flood was only {flood} made-up kids");
}

// --- failures ---

#[tokio::test]
async fn a_never_loaded_key_set_with_the_server_down_is_unavailable() {
    let passage = Passage::builder(APP_ID)
        .auth_base_url(closed_base_url().await)
        .build()
        .unwrap();
    let token = forge(
        &json!({"alg": "RS256", "kid": key_a().kid()}),
        &json!({}),
        &[1; 256],
    );
    let err = passage.auth().validate_jwt(&token).await.unwrap_err();
    assert!(err.is_server_error(), "{err:?}");
    assert!(matches!(source_of(&err), KeySetError::Fetch { .. }));
    assert!(std::error::Error::source(&err).is_some());
    let err = passage.auth().warm_up().await.unwrap_err();
    assert!(err.is_server_error(), "{err:?}");
}

#[tokio::test]
async fn an_unavailable_key_set_keeps_the_transport_error_in_its_source_chain() {
    let passage = Passage::builder(APP_ID)
        .auth_base_url(closed_base_url().await)
        .build()
        .unwrap();
    let err = passage.auth().warm_up().await.unwrap_err();
    let mut chain = Vec::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(error) = cause {
        chain.push(error);
        cause = error.source();
    }
    assert!(
        chain[1]
            .to_string()
            .starts_with("fetching the key set from"),
        "{}",
        chain[1]
    );
    assert!(
        chain
            .iter()
            .any(|e| e.downcast_ref::<reqwest::Error>().is_some()),
        "{chain:?}"
    );
}

#[tokio::test]
async fn an_error_status_on_first_load_is_unavailable() {
    let server = JwksServer::start(&[key_a()]).await;
    server.answer_status(500);
    let passage = server.passage().build().unwrap();
    let err = passage
        .auth()
        .validate_jwt(&server.token(key_a()))
        .await
        .unwrap_err();
    assert!(
        matches!(source_of(&err), KeySetError::Status { status: 500, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_first_load_is_retried_once_the_server_recovers() {
    let server = JwksServer::start(&[key_a()]).await;
    server.answer_status(503);
    let passage = server
        .passage()
        .jwks_cooldown(Duration::ZERO)
        .build()
        .unwrap();
    let token = server.token(key_a());
    assert!(
        passage
            .auth()
            .validate_jwt(&token)
            .await
            .unwrap_err()
            .is_server_error()
    );
    // The refusal was not remembered by the verified-token cache.
    assert_eq!(passage.auth().token_cache_stats().unwrap().entries, 0);
    server.answer_status(200);
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), USER_ID);
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn a_slow_key_set_times_out() {
    let server = JwksServer::start(&[key_a()]).await;
    let _gate = server.hold();
    let timeout = Duration::from_millis(300);
    let passage = server.passage().jwks_timeout(timeout).build().unwrap();
    let started = std::time::Instant::now();
    let err = passage.auth().warm_up().await.unwrap_err();
    assert!(started.elapsed() >= timeout);
    match source_of(&err) {
        KeySetError::Fetch { source, .. } => assert!(source.is_timeout(), "{source:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_key_set_is_refused() {
    let server = JwksServer::start(&[key_a()]).await;
    let mut keys = vec![key_a().jwk().clone()];
    keys.extend(
        (0..100).map(|i| json!({"kty": "oct", "kid": format!("pad-{i}"), "k": "x".repeat(1000)})),
    );
    server.serve_document(&json!({ "keys": keys }));
    let passage = server.passage().build().unwrap();
    let err = passage.auth().warm_up().await.unwrap_err();
    assert!(
        matches!(source_of(&err), KeySetError::TooLarge { limit: 65536 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_key_set_that_is_not_json_is_refused() {
    let server = JwksServer::start(&[key_a()]).await;
    server.serve_body(b"<html>maintenance</html>".to_vec());
    let passage = server.passage().build().unwrap();
    let err = passage.auth().warm_up().await.unwrap_err();
    assert!(
        matches!(source_of(&err), KeySetError::InvalidJson(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_key_set_without_usable_keys_is_refused() {
    let server = JwksServer::start(&[key_a()]).await;
    server.serve_document(&json!({"keys": [{"kty": "EC", "kid": "ec"}]}));
    let passage = server.passage().build().unwrap();
    let err = passage.auth().warm_up().await.unwrap_err();
    assert!(
        matches!(source_of(&err), KeySetError::NoUsableKeys { skipped: 1 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_failing_server_does_not_stop_validations_with_known_keys() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server
        .passage()
        .jwks_cooldown(Duration::ZERO)
        .jwks_max_age(Duration::from_millis(100))
        .build()
        .unwrap();
    let token = server.token(key_a());
    passage.auth().warm_up().await.unwrap();
    server.answer_status(500);
    // An unknown kid forces a fetch, which fails.
    let err = passage
        .auth()
        .validate_jwt(&token_with_kid(&server, "new"))
        .await
        .unwrap_err();
    assert!(err.is_server_error(), "{err:?}");
    // Wait past the max age: validations start background refreshes, which fail too.
    until_stale(&passage).await;
    passage.auth().validate_jwt(&token).await.unwrap();
    server.wait_for_fetches(3).await;
    for _ in 0..10 {
        assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), USER_ID);
    }
    let stats = passage.auth().key_cache_stats();
    assert!(stats.failed_fetches >= 1);
    assert_eq!(stats.key_ids, [key_a().kid()]);
}

#[tokio::test]
async fn keys_that_cannot_be_refreshed_are_not_trusted_forever() {
    const MAX_AGE: Duration = Duration::from_millis(200);
    const MAX_STALE: Duration = Duration::from_millis(300);
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server
        .passage()
        .jwks_cooldown(Duration::ZERO)
        .jwks_max_age(MAX_AGE)
        .jwks_max_stale(MAX_STALE)
        .token_cache_capacity(0)
        .build()
        .unwrap();
    // Taken before the keys load, so that it is no later than the cache's own load time.
    let loaded = std::time::Instant::now();
    passage.auth().warm_up().await.unwrap();
    server.answer_status(500);
    let token = server.token(key_a());
    let passage = &passage;
    let token = &token;
    wait_until(|| async move {
        match passage.auth().validate_jwt(token).await {
            Ok(_) => false,
            Err(err) => {
                assert!(err.is_server_error(), "{err:?}");
                assert!(matches!(
                    source_of(&err),
                    KeySetError::Status { status: 500, .. }
                ));
                true
            }
        }
    })
    .await;
    assert!(loaded.elapsed() >= MAX_AGE + MAX_STALE);
    // Still shown, no longer used.
    assert_eq!(passage.auth().key_ids(), [key_a().kid()]);
    server.answer_status(200);
    wait_until(|| async move { passage.auth().validate_jwt(token).await.is_ok() }).await;
}

// --- freshness ---

#[tokio::test]
async fn keys_are_refreshed_in_the_background_after_the_max_age() {
    const MAX_AGE: Duration = Duration::from_millis(200);
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().jwks_max_age(MAX_AGE).build().unwrap();
    let token = server.token(key_a());
    passage.auth().warm_up().await.unwrap();
    server.serve_keys(&[key_a(), key_b()]);
    let gate = server.hold();
    until_stale(&passage).await;
    // Served from the stale set while the refresh it started is held by the server.
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), USER_ID);
    server.wait_for_fetches(2).await;
    assert!(passage.auth().key_cache_stats().fetching);
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), USER_ID);
    gate.add_permits(1);
    // The refreshed set brings key B without another fetch.
    wait_until(|| async { !passage.auth().key_cache_stats().fetching }).await;
    assert_eq!(passage.auth().key_ids().len(), 2);
    passage
        .auth()
        .validate_jwt(&server.token(key_b()))
        .await
        .unwrap();
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn cache_control_max_age_shortens_the_freshness() {
    let server = JwksServer::start(&[key_a()]).await;
    server.cache_control("public, max-age=60");
    let passage = server.passage().build().unwrap();
    passage.auth().warm_up().await.unwrap();
    assert_eq!(
        passage.auth().key_cache_stats().max_age,
        Some(Duration::from_secs(60))
    );
}

#[tokio::test]
async fn cache_control_cannot_extend_the_configured_max_age() {
    let server = JwksServer::start(&[key_a()]).await;
    server.cache_control("max-age=86400");
    let passage = server
        .passage()
        .jwks_max_age(Duration::from_secs(300))
        .build()
        .unwrap();
    passage.auth().warm_up().await.unwrap();
    assert_eq!(
        passage.auth().key_cache_stats().max_age,
        Some(Duration::from_secs(300))
    );
}

#[tokio::test]
async fn cache_control_no_cache_is_bounded_by_the_cooldown() {
    let server = JwksServer::start(&[key_a()]).await;
    server.cache_control("no-cache");
    let passage = server.passage().build().unwrap();
    passage.auth().warm_up().await.unwrap();
    assert_eq!(
        passage.auth().key_cache_stats().max_age,
        Some(Duration::from_secs(30))
    );
}

#[tokio::test]
async fn no_store_on_a_later_cache_control_line_counts() {
    // Several header lines mean the same as one with their values joined by commas.
    let server = JwksServer::start(&[key_a()]).await;
    server.cache_control_lines(&["max-age=300", "no-store"]);
    let passage = server.passage().build().unwrap();
    passage.auth().warm_up().await.unwrap();
    assert_eq!(
        passage.auth().key_cache_stats().max_age,
        Some(Duration::from_secs(30))
    );
}

// --- a static key set ---

#[tokio::test]
async fn a_static_key_set_validates_without_any_server() {
    let server = JwksServer::start(&[key_a()]).await;
    let token = server.token(key_a());
    let jwks = passage_identity::emulator::jwks_document([key_a()]).to_string();
    let passage = Passage::builder(APP_ID)
        .auth_base_url(&server.base_url)
        .jwks_json(jwks)
        .build()
        .unwrap();
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), USER_ID);
    let err = passage
        .auth()
        .validate_jwt(&server.token(key_b()))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::UnknownKeyId { .. }), "{err:?}");
    assert_eq!(server.fetches(), 0);
}

#[test]
fn an_invalid_static_key_set_is_a_configuration_error() {
    for jwks in ["not json", "{}", r#"{"keys": []}"#] {
        let err = Passage::builder(APP_ID)
            .jwks_json(jwks)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::InvalidSetting {
                    setting: "jwks_json",
                    ..
                }
            ),
            "{jwks}: {err:?}"
        );
    }
}
