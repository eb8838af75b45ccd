//! The verified-token cache over HTTP: what it serves, and when it stops serving it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use passage_identity::auth::TokenCacheStats;
use passage_identity::{AuthError, Passage, PassageBuilder};
use serde_json::json;

use crate::common::auth::*;

fn stats(passage: &Passage) -> TokenCacheStats {
    passage.auth().token_cache_stats().expect("the cache is on")
}

/// A client that refetches the key set for any unknown kid (no cooldown).
fn refetching(server: &JwksServer) -> Passage {
    server
        .passage()
        .jwks_cooldown(Duration::ZERO)
        .build()
        .unwrap()
}

/// Serves key B alone from now on, and makes `passage` refetch the key set (with a token whose
/// kid the set does not have), which retires key A.
async fn rotate_key_a_out(server: &JwksServer, passage: &Passage) {
    server.serve_keys(&[key_b()]);
    let unknown = forge(
        &json!({"alg": "RS256", "kid": "unknown"}),
        &valid_claims(&server.base_url),
        &[1; 256],
    );
    let fetches = server.fetches();
    let _ = passage.auth().validate_jwt(&unknown).await;
    assert_eq!(server.fetches(), fetches + 1);
}

/// A clock the test moves: Unix seconds, starting now.
#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn new() -> Self {
        Self(Arc::new(AtomicI64::new(now())))
    }

    /// The clock's time: expiries are set from it, so that a second turning between the
    /// clock's start and the token's making cannot move the boundary.
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    fn install(&self, builder: PassageBuilder) -> PassageBuilder {
        let seconds = Arc::clone(&self.0);
        builder.clock(move || {
            UNIX_EPOCH + Duration::from_secs(seconds.load(Ordering::SeqCst).unsigned_abs())
        })
    }
}

#[tokio::test]
async fn the_cache_is_on_by_default_and_serves_a_repeated_token() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    let token = server.token(key_a());
    for _ in 0..5 {
        assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), USER_ID);
    }
    let stats = stats(&passage);
    assert_eq!((stats.entries, stats.misses, stats.hits), (1, 1, 4));
}

#[tokio::test]
async fn a_remembered_subject_does_not_stand_in_for_the_claims() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    let token = server.token_with(key_a(), |c| c["amr"] = json!(["passkey"]));
    passage.auth().validate_jwt(&token).await.unwrap();
    let claims = passage.auth().validate_jwt_claims(&token).await.unwrap();
    assert_eq!(claims.extra.get("amr"), Some(&json!(["passkey"])));
    // The claims now remembered serve both calls.
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), USER_ID);
    assert_eq!(
        passage.auth().validate_jwt_claims(&token).await.unwrap(),
        claims
    );
    assert_eq!(stats(&passage).hits, 2);
}

#[tokio::test]
async fn a_cached_token_is_rejected_once_it_expires() {
    let server = JwksServer::start(&[key_a()]).await;
    let clock = TestClock::new();
    let passage = clock.install(server.passage()).build().unwrap();
    let exp = clock.now() + 60;
    let token = server.token_with(key_a(), |c| c["exp"] = json!(exp));
    passage.auth().validate_jwt(&token).await.unwrap();
    clock.advance(59);
    passage.auth().validate_jwt(&token).await.unwrap();
    assert_eq!(stats(&passage).hits, 1);
    clock.advance(1);
    let err = passage.auth().validate_jwt(&token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::Expired { expired_at } if expired_at == exp),
        "{err:?}"
    );
    assert_eq!(stats(&passage).entries, 0, "the expired entry is dropped");
}

/// The least time between two sweeps of the cache (a minute).
const SWEEP_INTERVAL: i64 = 60;

#[tokio::test]
async fn an_expired_entry_is_freed_by_the_next_sweep_though_nobody_presents_it_again() {
    let server = JwksServer::start(&[key_a()]).await;
    let clock = TestClock::new();
    let passage = clock.install(server.passage()).build().unwrap();
    let short = server.token_with(key_a(), |c| c["exp"] = json!(clock.now() + 30));
    let long = server.token_with(key_a(), |c| c["exp"] = json!(clock.now() + 3_600));
    passage.auth().validate_jwt(&short).await.unwrap();
    passage.auth().validate_jwt(&long).await.unwrap();
    assert_eq!(stats(&passage).entries, 2);
    clock.advance(SWEEP_INTERVAL - 1);
    let another = |seconds: i64| server.token_with(key_a(), |c| c["exp"] = json!(seconds));
    passage
        .auth()
        .validate_jwt(&another(clock.now() + 3_600))
        .await
        .unwrap();
    assert_eq!(stats(&passage).entries, 3, "no sweep within the interval");
    clock.advance(1);
    // The next new token's insert sweeps: the expired entry goes, the others stay.
    passage
        .auth()
        .validate_jwt(&another(clock.now() + 3_600))
        .await
        .unwrap();
    let stats = stats(&passage);
    assert_eq!((stats.entries, stats.hits), (3, 0));
    assert_eq!(passage.auth().validate_jwt(&long).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn entries_of_a_key_rotated_out_are_freed_by_the_next_sweep() {
    let server = JwksServer::start(&[key_a(), key_b()]).await;
    let clock = TestClock::new();
    let passage = clock
        .install(server.passage().jwks_cooldown(Duration::ZERO))
        .build()
        .unwrap();
    for exp in [600, 601, 602] {
        let token = server.token_with(key_a(), |c| c["exp"] = json!(clock.now() + exp));
        passage.auth().validate_jwt(&token).await.unwrap();
    }
    assert_eq!(stats(&passage).entries, 3);
    rotate_key_a_out(&server, &passage).await;
    clock.advance(SWEEP_INTERVAL);
    passage
        .auth()
        .validate_jwt(&server.token(key_b()))
        .await
        .unwrap();
    assert_eq!(stats(&passage).entries, 1, "only key B's token is left");
}

#[tokio::test]
async fn the_leeway_holds_for_cached_tokens_as_for_new_ones() {
    let server = JwksServer::start(&[key_a()]).await;
    let clock = TestClock::new();
    let passage = clock
        .install(server.passage().leeway(Duration::from_secs(30)))
        .build()
        .unwrap();
    let token = server.token_with(key_a(), |c| c["exp"] = json!(clock.now() + 10));
    passage.auth().validate_jwt(&token).await.unwrap();
    clock.advance(39);
    passage.auth().validate_jwt(&token).await.unwrap();
    clock.advance(1);
    let err = passage.auth().validate_jwt(&token).await.unwrap_err();
    assert!(matches!(err, AuthError::Expired { .. }), "{err:?}");
}

#[tokio::test]
async fn a_cached_token_whose_key_was_rotated_out_is_rejected_after_the_refresh() {
    let server = JwksServer::start(&[key_a(), key_b()]).await;
    let passage = refetching(&server);
    let token = server.token(key_a());
    passage.auth().validate_jwt(&token).await.unwrap();
    passage.auth().validate_jwt(&token).await.unwrap();
    assert_eq!(stats(&passage).hits, 1);
    rotate_key_a_out(&server, &passage).await;
    let err = passage.auth().validate_jwt(&token).await.unwrap_err();
    assert!(matches!(err, AuthError::UnknownKeyId { .. }), "{err:?}");
    assert_eq!(stats(&passage).hits, 1);
}

#[tokio::test]
async fn a_cached_token_whose_key_stays_survives_the_refresh() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = refetching(&server);
    let token = server.token(key_a());
    passage.auth().validate_jwt(&token).await.unwrap();
    server.serve_keys(&[key_a(), key_b()]);
    passage
        .auth()
        .validate_jwt(&server.token(key_b()))
        .await
        .unwrap();
    assert_eq!(server.fetches(), 2);
    passage.auth().validate_jwt(&token).await.unwrap();
    assert_eq!(stats(&passage).hits, 1);
}

#[tokio::test]
async fn cached_tokens_are_refused_once_the_key_set_is_no_longer_trusted() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server
        .passage()
        .jwks_cooldown(Duration::ZERO)
        .jwks_max_age(Duration::from_secs(1))
        .jwks_max_stale(Duration::ZERO)
        .build()
        .unwrap();
    let token = server.token(key_a());
    passage.auth().validate_jwt(&token).await.unwrap();
    passage.auth().validate_jwt(&token).await.unwrap();
    assert_eq!(stats(&passage).hits, 1);
    server.answer_status(500);
    // Once the max age has passed with every refresh failing, nothing is served.
    let passage = &passage;
    let token = &token;
    wait_until(|| async move {
        matches!(
            passage.auth().validate_jwt(token).await,
            Err(AuthError::KeySetUnavailable(_))
        )
    })
    .await;
    let err = passage.auth().validate_jwt(token).await.unwrap_err();
    assert!(err.is_server_error(), "{err:?}");
    // Trusted again after a successful fetch (at most one retry delay later).
    server.answer_status(200);
    wait_until(|| async move { passage.auth().validate_jwt(token).await.is_ok() }).await;
}

#[tokio::test]
async fn a_token_that_failed_is_never_served_from_the_cache() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    let good = server.token(key_a());
    let (input, signature) = good.rsplit_once('.').unwrap();
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{input}.{first}{}", &signature[1..]);
    let expired = server.token_with(key_a(), |c| c["exp"] = json!(now() - 1));
    let wrong_audience = server.token_with(key_a(), |c| c["aud"] = json!("another_app"));
    for token in [&tampered, &expired, &wrong_audience] {
        for _ in 0..3 {
            assert!(passage.auth().validate_jwt(token).await.is_err());
            assert!(passage.auth().validate_jwt_claims(token).await.is_err());
        }
    }
    let stats = stats(&passage);
    assert_eq!((stats.entries, stats.hits, stats.misses), (0, 0, 18));
}

#[tokio::test]
async fn the_cache_stays_within_its_bounds_under_many_distinct_tokens() {
    // The bounds under 100,000 tokens are tested on the cache itself (signing that many takes
    // minutes); here, real tokens through the whole path.
    const CAPACITY: usize = 16;
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server
        .passage()
        .token_cache_capacity(CAPACITY)
        .token_cache_max_bytes(64 * 1024)
        .build()
        .unwrap();
    let steady = server.token_with(key_a(), |c| c["sub"] = json!("steady"));
    for i in 0..200 {
        let token = server.token_with(key_a(), |c| c["jti"] = json!(i));
        passage.auth().validate_jwt(&token).await.unwrap();
        assert_eq!(
            passage.auth().validate_jwt(&steady).await.unwrap(),
            "steady"
        );
        let stats = stats(&passage);
        assert!(stats.entries <= CAPACITY, "{stats:?}");
        assert!(stats.weight <= stats.max_bytes as u64, "{stats:?}");
    }
    // The token in steady use stayed while 200 others went through.
    assert!(stats(&passage).hits >= 190, "{:?}", stats(&passage));
}

#[tokio::test]
async fn a_flood_of_invalid_tokens_leaves_the_cache_empty() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    let claims = valid_claims(&server.base_url);
    for i in 0..1_000 {
        let token = forge(
            &json!({"alg": "RS256", "kid": key_a().kid()}),
            &claims,
            format!("not-a-signature-{i}").as_bytes(),
        );
        assert!(passage.auth().validate_jwt(&token).await.is_err());
    }
    assert_eq!(stats(&passage).entries, 0);
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().token_cache_capacity(0).build().unwrap();
    let token = server.token(key_a());
    for _ in 0..3 {
        assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), USER_ID);
    }
    assert!(passage.auth().token_cache_stats().is_none());
}

#[test]
fn cache_settings_out_of_bounds_are_configuration_errors() {
    for (builder, setting) in [
        (
            Passage::builder(APP_ID).token_cache_capacity(10_000_001),
            "token_cache_capacity",
        ),
        (
            Passage::builder(APP_ID).token_cache_max_bytes(1024),
            "token_cache_max_bytes",
        ),
    ] {
        match builder.build() {
            Err(passage_identity::ConfigError::InvalidSetting { setting: s, .. }) => {
                assert_eq!(s, setting)
            }
            other => panic!("{setting}: {other:?}"),
        }
    }
}
