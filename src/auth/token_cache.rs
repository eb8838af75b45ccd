//! The verified-token cache: what a full validation of a token answered, remembered so that a
//! repeated token costs a hash and a lookup instead of an RSA check.
//!
//! What it keeps and when it lets go:
//! - Only tokens that passed every rule are remembered; a token that failed for any reason is
//!   never stored, so it is checked in full every time.
//! - An entry is served only while the token's `exp` and `nbf` still hold against the clock
//!   (with the leeway), while the key that verified it is still in the app's key set (a
//!   refreshed set without it retires the key), and while the key set itself is trusted (see
//!   `jwks_max_stale`). Otherwise it is dropped and the token is checked in full, so a hit
//!   answers exactly what a full validation would.
//! - An entry that can no longer be served (expired, or verified by a key that left the key
//!   set) is also freed without being asked for again: at most once a minute, the first insert
//!   after the minute sweeps the cache. Memory held for tokens nobody presents any more lasts
//!   one sweep interval past their `exp` or their key's removal, not until eviction.
//! - An entry is found by the SHA-256 of the token's signature part and must hold the token's
//!   signing input (`header.payload`) byte for byte: a hit is the very token that was verified
//!   (anything else would be a SHA-256 collision). Hashing the signature alone, not the whole
//!   token, halves the cost of a hit; keeping the signing input but not the signature means the
//!   cache holds no usable credential.
//! - Bounded in entries and in estimated bytes (each entry weighs at least
//!   `max_bytes / capacity`, so both bounds hold at once).
//! - Eviction is quick_cache's scan-resistant CLOCK-Pro policy, sharded by hash: a new entry
//!   first lands in a small probation area and is promoted only when it is used again, so a flood
//!   of distinct tokens (valid ones; invalid ones are never stored) churns that area and the
//!   ghost list of recently evicted hashes, not the tokens in steady use. Lookups take one
//!   shard's read lock; nothing global is locked on the hit path.

use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use aws_lc_rs::digest::{SHA256, digest};
use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{OptionsBuilder, Weighter};

use super::claims::Claims;
use super::jwks::key_set::VerifyingKey;

/// What an entry costs besides its value: the digest, the entry itself, the cache's slot and
/// its ghost bookkeeping (an estimate, on the high side).
const ENTRY_OVERHEAD: usize = 192;
/// An entry heavier than this share of the byte budget is not stored: one outsized token must
/// not push out dozens of ordinary ones.
const MAX_ENTRY_SHARE: usize = 64;
/// The least time between two sweeps of entries that can no longer be served, in seconds.
pub(crate) const SWEEP_INTERVAL: i64 = 60;

/// The SHA-256 of a token's signature part: what entries are found by.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenDigest([u8; 32]);

/// How a token is looked up: the digest of its signature, and its signing input, which the
/// entry must match.
pub(crate) struct TokenKey<'t> {
    digest: TokenDigest,
    signing_input: &'t str,
}

impl<'t> TokenKey<'t> {
    pub(crate) fn of(token: &'t str) -> Self {
        // The last dot, found with a vectorised search: this runs on every validation.
        let (signing_input, signature) = match memchr::memrchr(b'.', token.as_bytes()) {
            Some(dot) => (&token[..dot], &token[dot + 1..]),
            None => ("", token),
        };
        let mut bytes = [0; 32];
        bytes.copy_from_slice(digest(&SHA256, signature.as_bytes()).as_ref());
        Self {
            digest: TokenDigest(bytes),
            signing_input,
        }
    }
}

impl Hash for TokenDigest {
    /// A digest is already uniformly distributed, and only tokens that passed every rule (so
    /// were signed by the app's keys) are ever stored: eight of its bytes are hash enough.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut first = [0; 8];
        first.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(first));
    }
}

/// Passes the `u64` a [`TokenDigest`] writes through unchanged.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not reached by `TokenDigest`; folds anything else in rather than ignoring it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// What a full validation returned, as kept by the cache.
pub(crate) enum Cached {
    /// From `validate_jwt`: the user id.
    Subject(Box<str>),
    /// From `validate_jwt_claims` (also serves `validate_jwt`).
    Claims(Arc<Claims>),
}

/// A remembered validation.
pub(crate) struct Entry {
    /// The token's `header.payload`.
    signing_input: Box<str>,
    value: Cached,
    exp: i64,
    nbf: Option<i64>,
    key: Arc<VerifyingKey>,
    weight: u64,
}

impl Entry {
    /// Whether the entry may still answer at `now` (Unix seconds) as far as it knows itself:
    /// `exp` and `nbf` hold as the full check has them, and the key that verified it has not
    /// left the key set. (Whether the key set is still trusted is the caller's to add.)
    fn servable(&self, now: i64, leeway: i64) -> bool {
        super::verify::in_time(self.exp, self.nbf, now, leeway).is_ok() && !self.key.is_retired()
    }
}

/// What a full validation tells the cache about a token it accepted.
pub(crate) struct Accepted {
    pub(crate) value: Cached,
    pub(crate) exp: i64,
    pub(crate) nbf: Option<i64>,
    pub(crate) key: Arc<VerifyingKey>,
    /// The decoded claims' length, for the estimate of what the entry weighs.
    pub(crate) payload_len: usize,
}

#[derive(Clone)]
struct EntryWeight;

impl Weighter<TokenDigest, Arc<Entry>> for EntryWeight {
    fn weight(&self, _: &TokenDigest, entry: &Arc<Entry>) -> u64 {
        entry.weight
    }
}

type Map = Cache<
    TokenDigest,
    Arc<Entry>,
    EntryWeight,
    BuildHasherDefault<PassThrough>,
    DefaultLifecycle<TokenDigest, Arc<Entry>>,
>;

/// The cache of verified tokens, owned by the authenticator.
pub(crate) struct TokenCache {
    map: Map,
    capacity: usize,
    max_bytes: usize,
    /// The least an entry weighs: `max_bytes / capacity`, rounded up.
    min_weight: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    /// When the next sweep is due (Unix seconds; 0: at the first insert).
    next_sweep: AtomicI64,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens and about `max_bytes` bytes; `None` for a capacity
    /// of zero (the cache is off).
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let options = OptionsBuilder::new()
            .estimated_items_capacity(capacity)
            .weight_capacity(max_bytes as u64)
            .build()
            .ok()?;
        let map = Cache::with_options(
            options,
            EntryWeight,
            BuildHasherDefault::default(),
            DefaultLifecycle::default(),
        );
        Some(Self {
            map,
            capacity,
            max_bytes,
            min_weight: max_bytes.div_ceil(capacity) as u64,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            next_sweep: AtomicI64::new(0),
        })
    }

    /// The remembered answer for the token of `key` if it may still be served: in time at
    /// `now`, its key not retired and the key set `trusted()`. An entry that may not is
    /// dropped. `read` turns the entry into what the caller returns (`None`: the entry does not
    /// hold it).
    pub(crate) fn get<T>(
        &self,
        key: &TokenKey<'_>,
        now: i64,
        leeway: i64,
        trusted: impl FnOnce() -> bool,
        read: impl FnOnce(&Cached) -> Option<T>,
    ) -> Option<T> {
        let found = self.map.get(&key.digest).and_then(|entry| {
            if *entry.signing_input != *key.signing_input {
                // Another token with the same signature: only a collision gets here.
                None
            } else if entry.servable(now, leeway) && trusted() {
                read(&entry.value)
            } else {
                self.map
                    .remove_if(&key.digest, |current| Arc::ptr_eq(current, &entry));
                None
            }
        });
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Remembers a token that passed every rule.
    pub(crate) fn insert(&self, key: &TokenKey<'_>, accepted: Accepted) {
        let value_bytes = key.signing_input.len()
            + match &accepted.value {
                Cached::Subject(sub) => sub.len(),
                // Parsed JSON takes more room than its text: twice the payload, as an estimate.
                Cached::Claims(_) => size_of::<Claims>() + 2 * accepted.payload_len,
            };
        let weight = (ENTRY_OVERHEAD + value_bytes) as u64;
        if weight > (self.max_bytes / MAX_ENTRY_SHARE) as u64 {
            return;
        }
        let entry = Entry {
            signing_input: key.signing_input.into(),
            value: accepted.value,
            exp: accepted.exp,
            nbf: accepted.nbf,
            key: accepted.key,
            weight: weight.max(self.min_weight),
        };
        self.map.insert(key.digest, Arc::new(entry));
    }

    /// Frees every entry that can no longer be served at `now` (expired, or its key retired)
    /// if the last sweep is [`SWEEP_INTERVAL`] old; one caller does it, the others go on. Costs
    /// one atomic load when not due; a sweep visits each shard once, under its lock.
    pub(crate) fn sweep_if_due(&self, now: i64, leeway: i64) -> bool {
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now < due
            || self
                .next_sweep
                .compare_exchange(
                    due,
                    now.saturating_add(SWEEP_INTERVAL),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return false;
        }
        self.map.retain(|_, entry| entry.servable(now, leeway));
        true
    }

    pub(crate) fn stats(&self) -> TokenCacheStats {
        TokenCacheStats {
            entries: self.map.len(),
            capacity: self.capacity,
            weight: self.map.weight(),
            max_bytes: self.max_bytes,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of the verified-token cache, from `Auth::token_cache_stats`.
///
/// ```
/// let passage = passage_identity::Passage::builder("my-app-id").build()?;
/// let stats = passage.auth().token_cache_stats().expect("the cache is on by default");
/// assert_eq!((stats.entries, stats.hits), (0, 0));
/// assert!(stats.weight <= stats.max_bytes as u64);
/// # Ok::<(), passage_identity::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheStats {
    /// Tokens remembered now.
    pub entries: usize,
    /// The most tokens remembered at once
    /// ([`PassageBuilder::token_cache_capacity`](crate::PassageBuilder::token_cache_capacity)).
    pub capacity: usize,
    /// What the entries weigh together: their estimated size in bytes, each counted as at
    /// least `max_bytes / capacity`. Never above `max_bytes`.
    pub weight: u64,
    /// The byte budget
    /// ([`PassageBuilder::token_cache_max_bytes`](crate::PassageBuilder::token_cache_max_bytes)).
    pub max_bytes: usize,
    /// Validations answered from the cache.
    pub hits: u64,
    /// Validations checked in full (the token was not remembered, or no longer valid).
    pub misses: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwks::key_set::KeySet;

    fn key() -> Arc<VerifyingKey> {
        let mut n = vec![0xffu8; 256];
        n[0] = 0xc1;
        let jwks = serde_json::json!({"keys": [{"kty": "RSA", "kid": "k", "n": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &n), "e": "AQAB"}]});
        let set = KeySet::from_json(jwks.to_string().as_bytes()).unwrap();
        Arc::clone(set.get("k").unwrap())
    }

    fn accepted(key: &Arc<VerifyingKey>, sub: &str, exp: i64) -> Accepted {
        Accepted {
            value: Cached::Subject(sub.into()),
            exp,
            nbf: None,
            key: Arc::clone(key),
            payload_len: 200,
        }
    }

    fn subject(cached: &Cached) -> Option<String> {
        match cached {
            Cached::Subject(sub) => Some(sub.to_string()),
            Cached::Claims(claims) => Some(claims.sub.clone()),
        }
    }

    #[test]
    fn a_capacity_of_zero_turns_the_cache_off() {
        assert!(TokenCache::new(0, 1 << 20).is_none());
    }

    #[test]
    fn an_entry_is_served_until_its_exp() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let key = key();
        let digest = TokenKey::of("token");
        cache.insert(&digest, accepted(&key, "user", 1_000));
        assert_eq!(
            cache.get(&digest, 999, 0, || true, subject).as_deref(),
            Some("user")
        );
        assert_eq!(cache.get(&digest, 1_000, 0, || true, subject), None);
        // Dropped, not only skipped.
        assert_eq!(cache.get(&digest, 10, 0, || true, subject), None);
        assert_eq!(cache.stats().entries, 0);
        assert_eq!((cache.stats().hits, cache.stats().misses), (1, 2));
    }

    #[test]
    fn a_sweep_frees_expired_entries_at_most_once_an_interval() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let key = key();
        for (token, exp) in [("a.b.short", 1_010), ("a.b.long", 1_000_000)] {
            cache.insert(&TokenKey::of(token), accepted(&key, "user", exp));
        }
        // The first sweep finds nothing to free and sets the next one a minute later.
        assert!(cache.sweep_if_due(1_000, 0));
        assert_eq!(cache.stats().entries, 2);
        assert!(!cache.sweep_if_due(1_000 + SWEEP_INTERVAL - 1, 0));
        // Due again: the expired entry goes without being looked up; the other stays.
        assert!(cache.sweep_if_due(1_000 + SWEEP_INTERVAL, 0));
        assert_eq!(cache.stats().entries, 1);
        assert!(
            cache
                .get(&TokenKey::of("a.b.long"), 1_100, 0, || true, subject)
                .is_some()
        );
        // With the leeway, an entry is kept as long as a full check would accept it: past its
        // exp but within the leeway at the next sweep, gone at the one after.
        let next = 1_000 + 2 * SWEEP_INTERVAL;
        cache.insert(
            &TokenKey::of("a.b.short"),
            accepted(&key, "user", next - 30),
        );
        assert!(cache.sweep_if_due(next, 60));
        assert_eq!(cache.stats().entries, 2);
        assert!(cache.sweep_if_due(next + SWEEP_INTERVAL, 60));
        assert_eq!(cache.stats().entries, 1);
    }

    #[test]
    fn the_leeway_extends_exp_as_in_the_full_check() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let key = key();
        let digest = TokenKey::of("token");
        cache.insert(&digest, accepted(&key, "user", 1_000));
        assert!(cache.get(&digest, 1_030, 60, || true, subject).is_some());
    }

    #[test]
    fn an_untrusted_key_set_drops_the_entry() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let key = key();
        let digest = TokenKey::of("token");
        cache.insert(&digest, accepted(&key, "user", 1_000));
        assert_eq!(cache.get(&digest, 0, 0, || false, subject), None);
        assert_eq!(cache.stats().entries, 0);
    }

    #[test]
    fn an_entry_the_reader_cannot_use_is_a_miss_but_stays() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let key = key();
        let digest = TokenKey::of("token");
        cache.insert(&digest, accepted(&key, "user", 1_000));
        assert_eq!(cache.get(&digest, 0, 0, || true, |_| None::<()>), None);
        assert_eq!(cache.stats().entries, 1);
    }

    #[test]
    fn the_bounds_hold_under_100_000_distinct_tokens() {
        const CAPACITY: usize = 1_000;
        const MAX_BYTES: usize = 256 * 1024;
        let cache = TokenCache::new(CAPACITY, MAX_BYTES).unwrap();
        let key = key();
        let long_sub = "u".repeat(1_000);
        for i in 0..100_000 {
            let sub = if i % 3 == 0 {
                long_sub.as_str()
            } else {
                "user"
            };
            cache.insert(
                &TokenKey::of(&format!("token.{i}")),
                accepted(&key, sub, i64::MAX),
            );
            if i % 1_000 == 0 {
                let stats = cache.stats();
                assert!(stats.entries <= CAPACITY, "{stats:?}");
                assert!(stats.weight <= MAX_BYTES as u64, "{stats:?}");
            }
        }
        let stats = cache.stats();
        assert!(stats.entries <= CAPACITY && stats.entries > 0, "{stats:?}");
        assert!(stats.weight <= MAX_BYTES as u64, "{stats:?}");
    }

    #[test]
    fn a_token_in_steady_use_survives_a_flood_of_new_ones() {
        let cache = TokenCache::new(1_000, 1 << 20).unwrap();
        let key = key();
        let steady = TokenKey::of("steady");
        cache.insert(&steady, accepted(&key, "steady-user", i64::MAX));
        for i in 0..100_000 {
            if i % 100 == 0 {
                assert!(
                    cache.get(&steady, 0, 0, || true, subject).is_some(),
                    "evicted after {i} new tokens"
                );
            }
            cache.insert(
                &TokenKey::of(&format!("flood.{i}")),
                accepted(&key, "user", i64::MAX),
            );
        }
    }

    #[test]
    fn a_token_with_the_same_signature_but_other_claims_is_not_served() {
        let cache = TokenCache::new(100, 1 << 20).unwrap();
        let key = key();
        let genuine = TokenKey::of("header.claims.signature");
        cache.insert(&genuine, accepted(&key, "user", i64::MAX));
        let forged = TokenKey::of("header.other-claims.signature");
        assert_eq!(cache.get(&forged, 0, 0, || true, subject), None);
        // Not dropped: the entry belongs to the genuine token.
        assert!(cache.get(&genuine, 0, 0, || true, subject).is_some());
    }

    #[test]
    fn an_outsized_entry_is_not_stored() {
        let cache = TokenCache::new(100, 64 * 1024).unwrap();
        let key = key();
        let digest = TokenKey::of("huge");
        cache.insert(&digest, accepted(&key, &"u".repeat(2_000), i64::MAX));
        assert_eq!(cache.stats().entries, 0);
    }
}
