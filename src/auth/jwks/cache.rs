//! The key cache: read-mostly lookups, one shared fetch at a time, a cooldown for
//! unknown key ids, background refresh after the max age, last good keys kept on failure.
//!
//! How a lookup goes:
//! - The current key set is an `Arc` behind a `std::sync::RwLock` that is only held to copy
//!   that `Arc` or to replace it, so validations never wait on each other or on a fetch.
//! - A known `kid` is served at once. When the set is older than its max age, one lookup (an
//!   atomic claim, no lock) also starts a refresh in the background and still serves the old
//!   key; a failed refresh is retried at most once per cooldown.
//! - A set that could not be refreshed for `max_stale` past its max age is no longer trusted:
//!   lookups then wait for a fetch like before the first load, and fail with
//!   `KeySetUnavailable` while the endpoint keeps failing. A revoked key cannot serve forever
//!   just because the JWKS endpoint is unreachable.
//! - When a fetched set replaces the current one, keys it still holds (same kid, same material)
//!   are kept as they are; the others are marked retired, which the verified-token cache checks.
//! - An unknown `kid` (or no key set yet) starts a fetch unless one is running, and waits for
//!   it. Concurrent callers share that one fetch. Fetches caused by unknown key ids happen at
//!   most once per cooldown; after a failed first load, a new attempt waits a short retry delay.
//! - A fetch runs in its own task, so a caller that gives up (a cancelled request) does not
//!   cancel the fetch the others wait for. Its outcome is announced on a `watch` channel.
//! - A failed fetch never replaces keys: the last good set keeps serving.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::auth::error::{AuthError, KeySetError, shown};

use super::fetch::{Fetched, RemoteJwks};
use super::key_set::{KeySet, VerifyingKey};

/// After a failed first load, requests get the error at once for this long (at most the
/// cooldown) instead of each trying again.
const FIRST_LOAD_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Something that can fetch a key set: the JWKS endpoint, or a stand-in in unit tests.
pub(crate) trait FetchKeys: Send + Sync + 'static {
    fn fetch(&self) -> Pin<Box<dyn Future<Output = Result<Fetched, KeySetError>> + Send + '_>>;
}

impl FetchKeys for RemoteJwks {
    fn fetch(&self) -> Pin<Box<dyn Future<Output = Result<Fetched, KeySetError>> + Send + '_>> {
        Box::pin(RemoteJwks::fetch(self))
    }
}

/// A key set in use and how long it stays fresh.
#[derive(Debug)]
struct Loaded {
    keys: KeySet,
    loaded_at: Instant,
    /// `None` for a static key set, which never goes stale.
    max_age: Option<Duration>,
}

/// When the current set is due for a refresh and until when it is trusted, in nanoseconds
/// after the cache was made. Atomics, so every lookup (and every hit of the verified-token
/// cache) decides without a lock.
struct Freshness {
    epoch: Instant,
    /// When the next background refresh may start: the max age after loading at first, pushed
    /// one cooldown further by each lookup that claims a refresh, so exactly one lookup starts
    /// it and a refresh that fails is retried at most once per cooldown.
    refresh_due: AtomicU64,
    /// Until when the current set may be used: its max age plus the max staleness after
    /// loading. Zero before the first load; `u64::MAX` for a static set.
    trusted_until: AtomicU64,
}

impl Freshness {
    fn new(fixed: bool) -> Self {
        Self {
            epoch: Instant::now(),
            refresh_due: AtomicU64::new(u64::MAX),
            trusted_until: AtomicU64::new(if fixed { u64::MAX } else { 0 }),
        }
    }

    fn since_epoch(&self, now: Instant) -> u64 {
        nanos(now.saturating_duration_since(self.epoch))
    }

    /// Records a set loaded at `loaded_at` that is fresh for `max_age`.
    fn loaded(&self, loaded_at: Instant, max_age: Duration, max_stale: Duration) {
        let at = self.since_epoch(loaded_at);
        let due = at.saturating_add(nanos(max_age));
        self.refresh_due.store(due, Ordering::Relaxed);
        self.trusted_until
            .store(due.saturating_add(nanos(max_stale)), Ordering::Release);
    }

    fn is_trusted(&self, now: Instant) -> bool {
        self.since_epoch(now) < self.trusted_until.load(Ordering::Acquire)
    }

    /// Whether this lookup should start a background refresh: the set is due for one and no
    /// other lookup claimed it first.
    fn claim_refresh(&self, now: Instant, cooldown: Duration) -> bool {
        let due = self.refresh_due.load(Ordering::Relaxed);
        let elapsed = self.since_epoch(now);
        if elapsed < due {
            return false;
        }
        let next = elapsed.saturating_add(nanos(cooldown));
        self.refresh_due
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The cache timings, from the builder.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CachePolicy {
    pub(crate) cooldown: Duration,
    pub(crate) max_age: Duration,
    /// How long past its max age a set that cannot be refreshed is still used.
    pub(crate) max_stale: Duration,
}

impl CachePolicy {
    /// The freshness of a fetched set: the server's `Cache-Control: max-age` when it is shorter
    /// than the configured max age, but not below the cooldown.
    fn max_age_for(&self, server_max_age: Option<Duration>) -> Duration {
        let floor = self.cooldown.min(self.max_age);
        server_max_age.map_or(self.max_age, |age| age.clamp(floor, self.max_age))
    }

    fn first_load_retry_delay(&self) -> Duration {
        self.cooldown.min(FIRST_LOAD_RETRY_DELAY)
    }
}

/// What the fetch bookkeeping needs, behind one short-held mutex.
#[derive(Default)]
struct FetchState {
    /// A fetch task is running.
    in_flight: bool,
    /// When the last fetch started.
    last_started: Option<Instant>,
    /// The error of the last fetch, cleared by a successful one.
    last_error: Option<(Instant, Arc<KeySetError>)>,
    /// Completed fetches, successful or not; also announced on `KeyCache::completed`.
    generation: u64,
}

/// The app's key cache. Shared by every clone of a `Passage`.
pub(crate) struct KeyCache {
    source: Option<Box<dyn FetchKeys>>,
    policy: CachePolicy,
    current: RwLock<Option<Arc<Loaded>>>,
    freshness: Freshness,
    state: Mutex<FetchState>,
    completed: watch::Sender<u64>,
    fetches: AtomicU64,
    failed_fetches: AtomicU64,
}

impl KeyCache {
    /// A cache that fetches from `source` when first needed.
    pub(crate) fn remote(source: impl FetchKeys, policy: CachePolicy) -> Self {
        Self::with(Some(Box::new(source)), None, policy)
    }

    /// A cache that always holds `keys` and never fetches.
    pub(crate) fn fixed(keys: KeySet, policy: CachePolicy) -> Self {
        let loaded = Loaded {
            keys,
            loaded_at: Instant::now(),
            max_age: None,
        };
        Self::with(None, Some(Arc::new(loaded)), policy)
    }

    fn with(
        source: Option<Box<dyn FetchKeys>>,
        current: Option<Arc<Loaded>>,
        policy: CachePolicy,
    ) -> Self {
        Self {
            freshness: Freshness::new(current.is_some()),
            source,
            policy,
            current: RwLock::new(current),
            state: Mutex::new(FetchState::default()),
            completed: watch::Sender::new(0),
            fetches: AtomicU64::new(0),
            failed_fetches: AtomicU64::new(0),
        }
    }

    /// The key set in use. The lock guards only the clone of an `Arc`; a panic cannot leave
    /// the `Option<Arc<_>>` half-written, so a poisoned lock is safe to read through.
    fn current(&self) -> Option<Arc<Loaded>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FetchState> {
        // Only plain fields are updated under this lock, never left half-done by a panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key set in use if it is still trusted.
    fn trusted(&self, now: Instant) -> Option<Arc<Loaded>> {
        self.freshness
            .is_trusted(now)
            .then(|| self.current())
            .flatten()
    }

    /// The key named `kid`, fetching or refreshing the key set as the policy allows.
    ///
    /// The common case, a known `kid`, costs a clock read, a read lock held to copy an `Arc`,
    /// and one hash lookup; it never waits for a fetch.
    pub(crate) async fn key(self: &Arc<Self>, kid: &str) -> Result<Arc<VerifyingKey>, AuthError> {
        let now = Instant::now();
        let found = self
            .trusted(now)
            .and_then(|loaded| loaded.keys.get(kid).map(Arc::clone));
        match found {
            Some(key) => {
                self.refresh_if_due(now);
                Ok(key)
            }
            None => self.fetch_for(kid, now).await,
        }
    }

    /// Whether keys that verified a token may still be relied on: the key set is trusted. Also
    /// starts the background refresh when it is due, as a lookup would: a validation served
    /// without one must not keep the set from being refreshed. Lock-free.
    pub(crate) fn still_trusted(self: &Arc<Self>) -> bool {
        let now = Instant::now();
        if !self.freshness.is_trusted(now) {
            return false;
        }
        self.refresh_if_due(now);
        true
    }

    fn refresh_if_due(self: &Arc<Self>, now: Instant) {
        if self.freshness.claim_refresh(now, self.policy.cooldown) {
            self.refresh_in_background(now);
        }
    }

    /// The slow path: `kid` is unknown, nothing is loaded, or the set is no longer trusted.
    async fn fetch_for(
        self: &Arc<Self>,
        kid: &str,
        now: Instant,
    ) -> Result<Arc<VerifyingKey>, AuthError> {
        if self.source.is_none() {
            return Err(unknown(kid));
        }
        // Subscribe, then look again: a fetch that completes from here on is noticed.
        let mut completed = self.completed.subscribe();
        let seen = *completed.borrow_and_update();
        let current = self.trusted(now);
        if let Some(key) = current.as_ref().and_then(|l| l.keys.get(kid)) {
            return Ok(Arc::clone(key));
        }
        let fetch = {
            let mut state = self.state();
            if state.generation != seen {
                // A fetch completed since we looked: its keys decide.
                drop(state);
                return self.outcome_for(kid);
            }
            if state.in_flight {
                None
            } else {
                if let Some(refusal) = self.refusal(&state, current.is_some(), kid, now) {
                    return Err(refusal);
                }
                Some(self.begin_fetch(&mut state, now))
            }
        };
        if let Some(fetch) = fetch {
            Self::run_fetch(fetch);
        }
        // Wait for the running fetch. An error means the sender is gone, which cannot happen
        // while `self` is alive; the outcome is read either way.
        let _ = completed.changed().await;
        self.outcome_for(kid)
    }

    /// Loads the key set now unless one is loaded; waits for a fetch already running.
    pub(crate) async fn warm_up(self: &Arc<Self>) -> Result<(), AuthError> {
        let mut completed = self.completed.subscribe();
        let seen = *completed.borrow_and_update();
        if self.trusted(Instant::now()).is_some() || self.source.is_none() {
            return Ok(());
        }
        let fetch = {
            let mut state = self.state();
            // Unless a fetch is running or has just completed, start one (whatever the policy:
            // warming up is asked for explicitly).
            (!state.in_flight && state.generation == seen)
                .then(|| self.begin_fetch(&mut state, Instant::now()))
        };
        if let Some(fetch) = fetch {
            Self::run_fetch(fetch);
        }
        // Returns at once if a fetch completed since `seen`.
        let _ = completed.changed().await;
        if self.trusted(Instant::now()).is_some() {
            return Ok(());
        }
        Err(self.unavailable(&self.state()))
    }

    /// Why a fetch for an unknown `kid` may not start now, if it may not.
    fn refusal(
        &self,
        state: &FetchState,
        have_keys: bool,
        kid: &str,
        now: Instant,
    ) -> Option<AuthError> {
        if have_keys {
            // A made-up kid must not become a fetch: at most one per cooldown.
            let cooling = state
                .last_started
                .is_some_and(|at| now.saturating_duration_since(at) < self.policy.cooldown);
            return cooling.then(|| self.unknown_or_unavailable(state, kid));
        }
        // Nothing ever loaded: retry a failed first load after a short delay, not per request.
        match &state.last_error {
            Some((at, error))
                if now.saturating_duration_since(*at) < self.policy.first_load_retry_delay() =>
            {
                Some(AuthError::KeySetUnavailable(Arc::clone(error)))
            }
            _ => None,
        }
    }

    /// Starts a refresh of a stale key set in the background unless a fetch is running; the
    /// old keys keep serving meanwhile.
    fn refresh_in_background(self: &Arc<Self>, now: Instant) {
        let fetch = {
            let mut state = self.state();
            (!state.in_flight).then(|| self.begin_fetch(&mut state, now))
        };
        if let Some(fetch) = fetch {
            Self::run_fetch(fetch);
        }
    }

    /// Marks a fetch as running. The guard it returns finishes the fetch when dropped; hand it
    /// to [`run_fetch`](Self::run_fetch) once the state lock is released.
    fn begin_fetch(self: &Arc<Self>, state: &mut FetchState, now: Instant) -> FetchGuard {
        state.in_flight = true;
        state.last_started = Some(now);
        self.fetches.fetch_add(1, Ordering::Relaxed);
        FetchGuard {
            cache: Arc::clone(self),
            outcome: None,
        }
    }

    /// Runs a fetch in its own task, so it completes even if every waiter goes away. The guard
    /// moves into the task before it is spawned: a task dropped before it first runs (its
    /// runtime shut down) still finishes the fetch and wakes the waiters. Must not be called
    /// with the state lock held, since that drop can happen inside `spawn`.
    fn run_fetch(mut guard: FetchGuard) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // Fail this fetch at once rather than panic in `tokio::spawn`.
            guard.outcome = Some(Err(KeySetError::NoRuntime));
            return;
        };
        runtime.spawn(async move {
            // A local of the task, so the lint sees the drop read the outcome.
            let mut guard = guard;
            let result = match &guard.cache.source {
                Some(source) => source.fetch().await,
                // Not reached: a fixed key set never starts a fetch.
                None => Err(KeySetError::NoUsableKeys { skipped: 0 }),
            };
            guard.outcome = Some(result);
        });
    }

    /// Publishes the outcome of a fetch and wakes its waiters.
    fn finish_fetch(&self, outcome: Option<Result<Fetched, KeySetError>>) {
        let mut state = self.state();
        match outcome {
            Some(Ok(fetched)) => {
                let max_age = self.policy.max_age_for(fetched.max_age);
                let mut keys = fetched.keys;
                if let Some(previous) = self.current() {
                    keys.succeed(&previous.keys);
                }
                let loaded = Loaded {
                    keys,
                    loaded_at: Instant::now(),
                    max_age: Some(max_age),
                };
                tracing::debug!(kids = ?loaded.keys.key_ids(), max_age = ?loaded.max_age, "JWKS loaded");
                let loaded_at = loaded.loaded_at;
                *self.current.write().unwrap_or_else(PoisonError::into_inner) =
                    Some(Arc::new(loaded));
                self.freshness
                    .loaded(loaded_at, max_age, self.policy.max_stale);
                state.last_error = None;
            }
            Some(Err(error)) => {
                self.failed_fetches.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %crate::auth::ErrorChain(&error), "JWKS fetch failed; the last good keys stay in use");
                state.last_error = Some((Instant::now(), Arc::new(error)));
            }
            None => tracing::debug!("JWKS fetch abandoned"),
        }
        state.in_flight = false;
        state.generation += 1;
        let generation = state.generation;
        drop(state);
        self.completed.send_replace(generation);
    }

    /// After a fetch: the key named `kid`, else why there is none.
    fn outcome_for(&self, kid: &str) -> Result<Arc<VerifyingKey>, AuthError> {
        match self.trusted(Instant::now()) {
            Some(loaded) => match loaded.keys.get(kid) {
                Some(key) => Ok(Arc::clone(key)),
                None => Err(self.unknown_or_unavailable(&self.state(), kid)),
            },
            None => Err(self.unavailable(&self.state())),
        }
    }

    /// An unknown `kid` while keys are loaded: our fault if the last fetch failed (the key may
    /// exist), the token's otherwise.
    fn unknown_or_unavailable(&self, state: &FetchState, kid: &str) -> AuthError {
        match &state.last_error {
            Some((_, error)) => AuthError::KeySetUnavailable(Arc::clone(error)),
            None => unknown(kid),
        }
    }

    fn unavailable(&self, state: &FetchState) -> AuthError {
        let error = state.last_error.as_ref().map_or_else(
            // No error recorded: the fetch was dropped before it finished. Not recorded as the
            // last error, since it says nothing about the endpoint: the next lookup retries.
            || Arc::new(KeySetError::Abandoned),
            |(_, error)| Arc::clone(error),
        );
        AuthError::KeySetUnavailable(error)
    }

    /// A snapshot for observability and tests.
    pub(crate) fn stats(&self) -> KeyCacheStats {
        let current = self.current();
        let state = self.state();
        let now = Instant::now();
        KeyCacheStats {
            key_ids: current
                .as_ref()
                .map(|l| l.keys.key_ids())
                .unwrap_or_default(),
            fetches: self.fetches.load(Ordering::Relaxed),
            failed_fetches: self.failed_fetches.load(Ordering::Relaxed),
            age: current
                .as_ref()
                .map(|l| now.saturating_duration_since(l.loaded_at)),
            max_age: current.as_ref().and_then(|l| l.max_age),
            fetching: state.in_flight,
            last_error: state.last_error.as_ref().map(|(_, e)| Arc::clone(e)),
        }
    }
}

fn unknown(kid: &str) -> AuthError {
    AuthError::UnknownKeyId { kid: shown(kid) }
}

/// Finishes a fetch when dropped: normally after the outcome is set, or early if the task is
/// cancelled, so waiters are never left hanging.
struct FetchGuard {
    cache: Arc<KeyCache>,
    outcome: Option<Result<Fetched, KeySetError>>,
}

impl Drop for FetchGuard {
    fn drop(&mut self) {
        self.cache.finish_fetch(self.outcome.take());
    }
}

/// A snapshot of the key cache, from `Auth::key_cache_stats`.
///
/// ```
/// # async fn demo(passage: passage_identity::Passage) {
/// let stats = passage.auth().key_cache_stats();
/// println!("{} keys, {} fetches ({} failed)", stats.key_ids.len(), stats.fetches, stats.failed_fetches);
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct KeyCacheStats {
    /// The ids of the keys in use, sorted.
    pub key_ids: Vec<String>,
    /// Fetches started since the `Passage` was built.
    pub fetches: u64,
    /// Fetches that failed.
    pub failed_fetches: u64,
    /// How long ago the keys in use were loaded; `None` before the first load.
    pub age: Option<Duration>,
    /// How long the keys in use stay fresh (the configured max age, or a shorter
    /// `Cache-Control: max-age`); `None` before the first load and for a static key set.
    pub max_age: Option<Duration>,
    /// Whether a fetch is running.
    pub fetching: bool,
    /// The error of the last fetch if it failed.
    pub last_error: Option<Arc<KeySetError>>,
}

#[cfg(test)]
mod tests;
