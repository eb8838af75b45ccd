//! What validation does under each fault of the JWKS endpoint, injected through the emulator
//! (the answers the README's Security section documents), over real HTTP on 127.0.0.1.

use std::time::Duration;

use http::{Method, StatusCode};
use passage_identity::emulator::{Emulator, Fault, TokenOptions};
use passage_identity::{AuthError, PassageBuilder, auth::KeySetError};

use crate::common::auth::{source_of, until_stale, wait_until};
use crate::common::emulator;
use crate::common::users::{app_path, requests_to};

/// A user of the emulated app and the token a sign-in gives them.
fn signed_in(emulator: &Emulator) -> (String, String) {
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let token = emulator.issue_token(&user.id).unwrap();
    (user.id, token)
}

/// A client that tries the key set again at once (no cooldown), so a test needs no waiting.
fn client(emulator: &Emulator) -> PassageBuilder {
    emulator.passage_builder().jwks_cooldown(Duration::ZERO)
}

fn jwks_fault(emulator: &Emulator) -> Fault {
    Fault::on(Method::GET, &emulator.jwks_url()).times(1)
}

/// How often the emulator was asked for the JWKS.
fn jwks_fetches(emulator: &Emulator) -> usize {
    requests_to(
        emulator,
        Method::GET,
        &app_path(emulator, "/.well-known/jwks.json"),
    )
    .len()
}

/// The key set error of a validation the key set could not serve: a server error (503).
fn unavailable(error: &AuthError) -> &KeySetError {
    assert!(error.is_server_error(), "{error:?}");
    source_of(error)
}

#[tokio::test]
async fn a_key_set_slower_than_the_fetch_timeout_is_unavailable_then_loads() {
    let emulator = emulator().await;
    let (user_id, token) = signed_in(&emulator);
    let passage = client(&emulator)
        .jwks_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    emulator.inject_fault(jwks_fault(&emulator).latency(Duration::from_secs(1)));
    let error = passage.auth().validate_jwt(&token).await.unwrap_err();
    let KeySetError::Fetch { source, .. } = unavailable(&error) else {
        panic!("expected a failed fetch, got {error:?}");
    };
    assert!(source.is_timeout(), "{source:?}");
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), user_id);
}

/// A fault of the first load, and the cause the error must give.
type FailedLoad = (&'static str, fn(Fault) -> Fault, fn(&KeySetError) -> bool);

#[tokio::test]
async fn a_key_set_that_fails_to_load_is_unavailable_then_loads() {
    let cases: [FailedLoad; 4] = [
        (
            "a 500",
            |f| f.status(StatusCode::INTERNAL_SERVER_ERROR),
            |e| matches!(e, KeySetError::Status { status: 500, .. }),
        ),
        (
            "a 404",
            |f| f.status(StatusCode::NOT_FOUND),
            |e| matches!(e, KeySetError::Status { status: 404, .. }),
        ),
        ("an HTML page instead of JSON", Fault::malformed_body, |e| {
            matches!(e, KeySetError::InvalidJson(_))
        }),
        ("a dropped connection", Fault::drop_connection, |e| {
            matches!(e, KeySetError::Fetch { .. })
        }),
    ];
    for (what, fault, expected) in cases {
        let emulator = emulator().await;
        let (user_id, token) = signed_in(&emulator);
        let passage = client(&emulator).build().unwrap();
        emulator.inject_fault(fault(jwks_fault(&emulator)));
        let error = passage.auth().validate_jwt(&token).await.unwrap_err();
        assert!(expected(unavailable(&error)), "{what}: {error:?}");
        // The fault is used up: the next validation loads the keys.
        assert_eq!(
            passage.auth().validate_jwt(&token).await.unwrap(),
            user_id,
            "{what}"
        );
    }
}

#[tokio::test]
async fn loaded_keys_keep_serving_while_refreshes_fail() {
    let emulator = emulator().await;
    let (user_id, token) = signed_in(&emulator);
    let passage = client(&emulator)
        .jwks_max_age(Duration::from_millis(100))
        .token_cache_capacity(0)
        .build()
        .unwrap();
    passage.auth().warm_up().await.unwrap();
    emulator.inject_fault(
        jwks_fault(&emulator)
            .status(StatusCode::BAD_GATEWAY)
            .times(1_000),
    );
    until_stale(&passage).await;
    // Served from the stale set; the refresh it starts fails.
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), user_id);
    wait_until(|| async { passage.auth().key_cache_stats().failed_fetches >= 1 }).await;
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), user_id);
}

#[tokio::test]
async fn tokens_whose_kid_is_not_in_the_set_are_refused_without_a_fetch_each() {
    let emulator = emulator().await;
    let (user_id, _) = signed_in(&emulator);
    let passage = emulator.passage_builder().build().unwrap();
    passage.auth().warm_up().await.unwrap();
    let unknown = emulator
        .issue_token_with(&user_id, TokenOptions::default().kid("not-in-the-set"))
        .unwrap();
    for _ in 0..5 {
        let error = passage.auth().validate_jwt(&unknown).await.unwrap_err();
        assert!(matches!(error, AuthError::UnknownKeyId { .. }), "{error:?}");
    }
    // Within the cooldown of the first load, unknown key ids cause no fetch at all.
    assert_eq!(jwks_fetches(&emulator), 1);
    assert_eq!(passage.auth().key_cache_stats().fetches, 1);
}

#[tokio::test]
async fn a_set_that_drops_the_current_key_refuses_its_tokens_after_the_refresh() {
    let emulator = emulator().await;
    let (user_id, token) = signed_in(&emulator);
    let passage = client(&emulator)
        .jwks_max_age(Duration::from_millis(100))
        .build()
        .unwrap();
    // Validated, so also remembered by the verified-token cache.
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), user_id);
    emulator.rotate_keys(false).unwrap();
    until_stale(&passage).await;
    let fetched = passage.auth().key_cache_stats().fetches;
    // The stale set still holds the key; this validation starts the refresh that drops it.
    let _ = passage.auth().validate_jwt(&token).await;
    wait_until(|| async { passage.auth().key_cache_stats().fetches > fetched }).await;
    wait_until(|| async { !passage.auth().key_cache_stats().fetching }).await;
    let error = passage.auth().validate_jwt(&token).await.unwrap_err();
    assert!(matches!(error, AuthError::UnknownKeyId { .. }), "{error:?}");
    let fresh = emulator.issue_token(&user_id).unwrap();
    assert_eq!(passage.auth().validate_jwt(&fresh).await.unwrap(), user_id);
}
