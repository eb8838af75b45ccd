//! `passage.auth().is_ready()`: the key set is loaded and trusted.

use std::time::Duration;

use passage_identity::Passage;

use crate::common::auth::*;

#[tokio::test]
async fn not_ready_until_the_keys_are_loaded() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    assert!(!passage.auth().is_ready());
    passage.auth().warm_up().await.unwrap();
    assert!(passage.auth().is_ready());
}

#[tokio::test]
async fn not_ready_when_the_keys_cannot_be_loaded() {
    let (passage, _) = unreachable_passage().await;
    assert!(passage.auth().warm_up().await.is_err());
    assert!(!passage.auth().is_ready());
}

#[tokio::test]
async fn a_static_key_set_is_always_ready() {
    let jwks = passage_identity::emulator::jwks_document([key_a()]).to_string();
    let passage = Passage::builder(APP_ID).jwks_json(jwks).build().unwrap();
    assert!(passage.auth().is_ready());
}

#[tokio::test]
async fn a_failed_refetch_of_fresh_keys_keeps_them_ready() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server
        .passage()
        .jwks_cooldown(Duration::ZERO)
        .build()
        .unwrap();
    passage.auth().warm_up().await.unwrap();
    server.answer_status(500);
    // An unknown key id makes the cache refetch, and that fetch fails.
    let unknown = key_b().sign(&valid_claims(&server.base_url)).unwrap();
    assert!(passage.auth().validate_jwt(&unknown).await.is_err());
    assert!(passage.auth().key_cache_stats().last_error.is_some());
    assert!(passage.auth().is_ready());
}

#[tokio::test]
async fn stale_keys_whose_refresh_failed_are_not_ready() {
    const MAX_AGE: Duration = Duration::from_millis(100);
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().jwks_max_age(MAX_AGE).build().unwrap();
    let token = server.token(key_a());
    passage.auth().validate_jwt(&token).await.unwrap();
    server.answer_status(500);
    until_stale(&passage).await;
    // Still served, and a background refresh starts; it fails.
    passage.auth().validate_jwt(&token).await.unwrap();
    server.wait_for_fetches(2).await;
    wait_until(|| async { passage.auth().key_cache_stats().last_error.is_some() }).await;
    assert!(!passage.auth().is_ready());
}
