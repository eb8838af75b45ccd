//! The cache's policy on paused time with an in-memory key source.

use std::sync::atomic::AtomicUsize;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::sync::Semaphore;

use super::*;

const COOLDOWN: Duration = Duration::from_secs(30);
const MAX_AGE: Duration = Duration::from_secs(600);
const MAX_STALE: Duration = Duration::from_secs(3600);

/// A key source whose answer, delay and failures the test controls.
#[derive(Clone, Default)]
struct FakeSource(Arc<FakeState>);

#[derive(Default)]
struct FakeState {
    calls: AtomicUsize,
    /// The kids the next fetch returns; `None` makes it fail.
    kids: Mutex<Option<Vec<&'static str>>>,
    /// Serve another modulus under the same kids.
    other_material: std::sync::atomic::AtomicBool,
    max_age: Mutex<Option<Duration>>,
    /// When set, every fetch waits for a permit.
    gate: Mutex<Option<Arc<Semaphore>>>,
}

impl FakeSource {
    fn serving(kids: &[&'static str]) -> Self {
        let source = Self::default();
        source.serve(kids);
        source
    }

    fn serve(&self, kids: &[&'static str]) {
        *self.0.kids.lock().unwrap() = Some(kids.to_vec());
    }

    fn serve_other_material(&self, kids: &[&'static str]) {
        self.0.other_material.store(true, Ordering::SeqCst);
        self.serve(kids);
    }

    fn fail(&self) {
        *self.0.kids.lock().unwrap() = None;
    }

    fn calls(&self) -> usize {
        self.0.calls.load(Ordering::SeqCst)
    }

    /// Holds every fetch until the returned semaphore gets permits.
    fn hold(&self) -> Arc<Semaphore> {
        let gate = Arc::new(Semaphore::new(0));
        *self.0.gate.lock().unwrap() = Some(Arc::clone(&gate));
        gate
    }
}

fn jwks(kids: &[&str]) -> Vec<u8> {
    jwks_with(kids, 0xc1)
}

fn jwks_with(kids: &[&str], top: u8) -> Vec<u8> {
    let mut n = vec![0xffu8; 256];
    n[0] = top;
    let keys: Vec<_> = kids
        .iter()
        .map(|kid| serde_json::json!({"kty": "RSA", "kid": kid, "n": URL_SAFE_NO_PAD.encode(&n), "e": "AQAB"}))
        .collect();
    serde_json::json!({ "keys": keys }).to_string().into_bytes()
}

impl FetchKeys for FakeSource {
    fn fetch(&self) -> Pin<Box<dyn Future<Output = Result<Fetched, KeySetError>> + Send + '_>> {
        Box::pin(async move {
            self.0.calls.fetch_add(1, Ordering::SeqCst);
            let gate = self.0.gate.lock().unwrap().clone();
            if let Some(gate) = gate {
                gate.acquire().await.unwrap().forget();
            }
            let kids = self.0.kids.lock().unwrap().clone();
            match kids {
                Some(kids) => Ok(Fetched {
                    keys: KeySet::from_json(&jwks_with(
                        &kids,
                        if self.0.other_material.load(Ordering::SeqCst) {
                            0xc3
                        } else {
                            0xc1
                        },
                    ))?,
                    max_age: *self.0.max_age.lock().unwrap(),
                }),
                None => Err(KeySetError::Status {
                    url: "http://127.0.0.1/jwks".into(),
                    status: 500,
                }),
            }
        })
    }
}

fn cache(source: &FakeSource) -> Arc<KeyCache> {
    Arc::new(KeyCache::remote(
        source.clone(),
        CachePolicy {
            cooldown: COOLDOWN,
            max_age: MAX_AGE,
            max_stale: MAX_STALE,
        },
    ))
}

/// Lets spawned tasks run until they block.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn nothing_is_fetched_before_the_first_lookup() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    settle().await;
    assert_eq!(source.calls(), 0);
    assert!(cache.stats().key_ids.is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_first_lookup_fetches_and_later_ones_are_served_from_memory() {
    let source = FakeSource::serving(&["a", "b"]);
    let cache = cache(&source);
    for _ in 0..100 {
        cache.key("a").await.unwrap();
        cache.key("b").await.unwrap();
    }
    assert_eq!(source.calls(), 1);
    assert_eq!(cache.stats().key_ids, ["a", "b"]);
}

#[tokio::test(start_paused = true)]
async fn concurrent_lookups_of_an_unseen_kid_share_one_fetch() {
    let source = FakeSource::serving(&["a"]);
    let gate = source.hold();
    let cache = cache(&source);
    let lookups: Vec<_> = (0..50)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.key("a").await.map(|_| ()) })
        })
        .collect();
    settle().await;
    assert!(cache.stats().fetching);
    gate.add_permits(100);
    for lookup in lookups {
        lookup.await.unwrap().unwrap();
    }
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_kid_within_the_cooldown_is_rejected_without_fetching() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    tokio::time::advance(COOLDOWN - Duration::from_millis(1)).await;
    for i in 0..1000 {
        let err = cache.key(&format!("made-up-{i}")).await.unwrap_err();
        assert!(matches!(err, AuthError::UnknownKeyId { .. }), "{err:?}");
    }
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_kid_after_the_cooldown_refetches_once() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    source.serve(&["a", "b"]);
    tokio::time::advance(COOLDOWN).await;
    cache.key("b").await.unwrap();
    assert_eq!(source.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_flood_of_made_up_kids_fetches_at_most_once_per_cooldown() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    // Ten cooldowns of made-up kids, one every 100 ms.
    for i in 0..3000 {
        tokio::time::advance(Duration::from_millis(100)).await;
        let _ = cache.key(&format!("made-up-{i}")).await;
    }
    assert_eq!(source.calls(), 1 + 10);
}

#[tokio::test(start_paused = true)]
async fn stale_keys_keep_serving_while_a_background_refresh_runs() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    let gate = source.hold();
    tokio::time::advance(MAX_AGE).await;
    // Served at once although the refresh it started is held.
    cache.key("a").await.unwrap();
    cache.key("a").await.unwrap();
    settle().await;
    assert_eq!(source.calls(), 2);
    assert!(cache.stats().fetching);
    source.serve(&["a", "b"]);
    gate.add_permits(1);
    settle().await;
    assert_eq!(cache.stats().key_ids, ["a", "b"]);
    assert_eq!(cache.stats().age, Some(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn fresh_keys_start_no_refresh() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    tokio::time::advance(MAX_AGE - Duration::from_secs(1)).await;
    cache.key("a").await.unwrap();
    settle().await;
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_keeps_the_last_good_keys() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    source.fail();
    tokio::time::advance(MAX_AGE).await;
    cache.key("a").await.unwrap();
    settle().await;
    let stats = cache.stats();
    assert_eq!(stats.failed_fetches, 1);
    assert!(stats.last_error.is_some());
    assert_eq!(stats.key_ids, ["a"]);
    cache.key("a").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn after_a_failed_refresh_the_next_waits_for_the_cooldown() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    source.fail();
    tokio::time::advance(MAX_AGE).await;
    cache.key("a").await.unwrap();
    settle().await;
    assert_eq!(source.calls(), 2);
    tokio::time::advance(COOLDOWN - Duration::from_secs(1)).await;
    cache.key("a").await.unwrap();
    settle().await;
    assert_eq!(source.calls(), 2);
    tokio::time::advance(Duration::from_secs(1)).await;
    cache.key("a").await.unwrap();
    settle().await;
    assert_eq!(source.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_kid_while_the_key_set_fails_is_unavailable_not_unknown() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    source.fail();
    tokio::time::advance(COOLDOWN).await;
    let err = cache.key("b").await.unwrap_err();
    assert!(matches!(err, AuthError::KeySetUnavailable(_)), "{err:?}");
    // Known keys still work.
    cache.key("a").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_failed_first_load_is_unavailable_and_retried_after_a_short_delay() {
    let source = FakeSource::default();
    source.fail();
    let cache = cache(&source);
    let err = cache.key("a").await.unwrap_err();
    assert!(matches!(err, AuthError::KeySetUnavailable(_)), "{err:?}");
    // Within the retry delay: the same error, no new fetch.
    let err = cache.key("a").await.unwrap_err();
    assert!(matches!(err, AuthError::KeySetUnavailable(_)), "{err:?}");
    assert_eq!(source.calls(), 1);
    source.serve(&["a"]);
    tokio::time::advance(FIRST_LOAD_RETRY_DELAY).await;
    cache.key("a").await.unwrap();
    assert_eq!(source.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_caller_does_not_cancel_the_fetch() {
    let source = FakeSource::serving(&["a"]);
    let gate = source.hold();
    let cache = cache(&source);
    let caller = {
        let cache = Arc::clone(&cache);
        tokio::spawn(async move { cache.key("a").await.map(|_| ()) })
    };
    settle().await;
    caller.abort();
    gate.add_permits(1);
    settle().await;
    assert_eq!(cache.stats().key_ids, ["a"]);
    cache.key("a").await.unwrap();
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn warm_up_loads_the_keys() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.warm_up().await.unwrap();
    assert_eq!(cache.stats().key_ids, ["a"]);
    cache.warm_up().await.unwrap();
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn warm_up_reports_an_unavailable_key_set() {
    let source = FakeSource::default();
    source.fail();
    let cache = cache(&source);
    let err = cache.warm_up().await.unwrap_err();
    assert!(matches!(err, AuthError::KeySetUnavailable(_)), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_fixed_key_set_never_fetches_or_goes_stale() {
    let keys = KeySet::from_json(&jwks(&["a"])).unwrap();
    let cache = Arc::new(KeyCache::fixed(
        keys,
        CachePolicy {
            cooldown: COOLDOWN,
            max_age: MAX_AGE,
            max_stale: MAX_STALE,
        },
    ));
    tokio::time::advance(MAX_AGE * 10).await;
    cache.key("a").await.unwrap();
    let err = cache.key("b").await.unwrap_err();
    assert!(matches!(err, AuthError::UnknownKeyId { .. }), "{err:?}");
    let stats = cache.stats();
    assert_eq!((stats.fetches, stats.max_age), (0, None));
}

#[tokio::test(start_paused = true)]
async fn a_shorter_server_max_age_is_honoured() {
    let source = FakeSource::serving(&["a"]);
    *source.0.max_age.lock().unwrap() = Some(Duration::from_secs(120));
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    assert_eq!(cache.stats().max_age, Some(Duration::from_secs(120)));
    tokio::time::advance(Duration::from_secs(120)).await;
    cache.key("a").await.unwrap();
    settle().await;
    assert_eq!(source.calls(), 2);
}

#[test]
fn server_max_age_is_bounded_by_the_cooldown_and_the_configured_max_age() {
    let policy = CachePolicy {
        cooldown: COOLDOWN,
        max_age: MAX_AGE,
        max_stale: MAX_STALE,
    };
    assert_eq!(policy.max_age_for(None), MAX_AGE);
    assert_eq!(policy.max_age_for(Some(Duration::ZERO)), COOLDOWN);
    assert_eq!(
        policy.max_age_for(Some(Duration::from_secs(86_400))),
        MAX_AGE
    );
    assert_eq!(
        policy.max_age_for(Some(Duration::from_secs(90))),
        Duration::from_secs(90)
    );
}

#[test]
fn outside_a_tokio_runtime_a_fetch_fails_instead_of_panicking() {
    use std::task::{Context, Poll, Waker};
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    let mut warm_up = std::pin::pin!(cache.warm_up());
    match warm_up
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Err(AuthError::KeySetUnavailable(error))) => {
            assert!(matches!(*error, KeySetError::NoRuntime), "{error:?}");
        }
        other => panic!("expected an immediate KeySetUnavailable, got {other:?}"),
    }
    assert_eq!(source.calls(), 0);
}

#[test]
fn a_fetch_dropped_before_it_ran_does_not_leave_later_lookups_waiting() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    // A fetch spawned on a runtime that shuts down before the fetch task first runs (a runtime
    // per test, or a server shutting down, with the `Passage` kept in a static).
    let first = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    first.block_on(async {
        let mut warm_up = std::pin::pin!(cache.warm_up());
        std::future::poll_fn(|cx| {
            assert!(warm_up.as_mut().poll(cx).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
    });
    drop(first);
    assert_eq!(source.calls(), 0, "the fetch task never ran");

    let second = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    second.block_on(async {
        let lookup = tokio::time::timeout(Duration::from_secs(60), cache.key("a")).await;
        assert!(
            matches!(lookup, Ok(Ok(_))),
            "the lookup waited for a fetch that will never run"
        );
    });
    assert_eq!(source.calls(), 1);
}

#[test]
fn waiters_of_a_fetch_dropped_unfinished_learn_why() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    let first = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    first.block_on(async {
        let mut warm_up = std::pin::pin!(cache.warm_up());
        std::future::poll_fn(|cx| {
            assert!(warm_up.as_mut().poll(cx).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
    });
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let waiter = {
        let cache = Arc::clone(&cache);
        second.spawn(async move { cache.key("a").await.map(|_| ()) })
    };
    second.block_on(settle());
    drop(first);
    let outcome = second.block_on(waiter).unwrap();
    match outcome {
        Err(AuthError::KeySetUnavailable(error)) => {
            assert!(matches!(*error, KeySetError::Abandoned), "{error:?}");
        }
        other => panic!("expected KeySetUnavailable, got {other:?}"),
    }
}

// --- how long a key set that cannot be refreshed is trusted ---

#[tokio::test(start_paused = true)]
async fn a_set_that_cannot_be_refreshed_serves_until_max_stale_past_its_max_age() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    source.fail();
    tokio::time::advance(MAX_AGE + MAX_STALE - Duration::from_secs(1)).await;
    cache.key("a").await.unwrap();
    assert!(cache.still_trusted());
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(!cache.still_trusted());
    let err = cache.key("a").await.unwrap_err();
    assert!(matches!(err, AuthError::KeySetUnavailable(_)), "{err:?}");
    // The keys are still known (and shown), only no longer used.
    assert_eq!(cache.stats().key_ids, ["a"]);
}

#[tokio::test(start_paused = true)]
async fn an_untrusted_set_is_fetched_again_at_most_once_per_retry_delay() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    source.fail();
    tokio::time::advance(MAX_AGE + MAX_STALE).await;
    let calls = source.calls();
    for _ in 0..100 {
        assert!(cache.key("a").await.is_err());
    }
    assert_eq!(source.calls(), calls + 1);
    source.serve(&["a"]);
    tokio::time::advance(FIRST_LOAD_RETRY_DELAY).await;
    cache.key("a").await.unwrap();
    assert!(cache.still_trusted());
}

#[tokio::test(start_paused = true)]
async fn a_successful_refresh_restores_trust() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    tokio::time::advance(MAX_AGE).await;
    // The refresh this starts succeeds: trusted for another max age plus max stale.
    cache.key("a").await.unwrap();
    settle().await;
    tokio::time::advance(MAX_STALE).await;
    assert!(cache.still_trusted());
    cache.key("a").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_hit_that_only_asks_whether_the_set_is_trusted_still_starts_the_refresh() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    cache.key("a").await.unwrap();
    tokio::time::advance(MAX_AGE).await;
    assert!(cache.still_trusted());
    settle().await;
    assert_eq!(source.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_fixed_set_is_trusted_forever() {
    let cache = Arc::new(KeyCache::fixed(
        KeySet::from_json(&jwks(&["a"])).unwrap(),
        CachePolicy {
            cooldown: COOLDOWN,
            max_age: MAX_AGE,
            max_stale: Duration::ZERO,
        },
    ));
    tokio::time::advance(MAX_AGE * 1000).await;
    assert!(cache.still_trusted());
    cache.key("a").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_key_kept_by_a_refresh_stays_the_same_and_a_dropped_one_is_retired() {
    let source = FakeSource::serving(&["a", "b"]);
    let cache = cache(&source);
    let a = cache.key("a").await.unwrap();
    let b = cache.key("b").await.unwrap();
    source.serve(&["a", "c"]);
    tokio::time::advance(COOLDOWN).await;
    cache.key("c").await.unwrap();
    assert!(Arc::ptr_eq(&a, &cache.key("a").await.unwrap()));
    assert!(!a.is_retired());
    assert!(b.is_retired());
}

#[tokio::test(start_paused = true)]
async fn a_key_whose_material_changed_under_its_kid_is_retired() {
    let source = FakeSource::serving(&["a"]);
    let cache = cache(&source);
    let a = cache.key("a").await.unwrap();
    source.serve_other_material(&["a"]);
    tokio::time::advance(COOLDOWN).await;
    let _ = cache.key("unknown").await;
    assert!(a.is_retired());
    assert!(!cache.key("a").await.unwrap().is_retired());
}
