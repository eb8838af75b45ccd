//! A parsed key set: the app's RS256 signing keys by `kid`, each parsed once when loaded into
//! the crypto backend's own verifying key (aws-lc-rs), so a signature check builds nothing.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::auth::error::KeySetError;

/// RSA moduli outside this range are refused (aws-lc-rs verifies 2048 to 8192-bit keys).
const MIN_MODULUS_BITS: usize = 2048;
const MAX_MODULUS_BITS: usize = 8192;

/// One RS256 verification key of the app, ready to check signatures.
pub(crate) struct VerifyingKey {
    parsed: ParsedPublicKey,
    /// The modulus and exponent, to recognise the same key in a later fetch.
    n: Vec<u8>,
    e: Vec<u8>,
    /// Set once a fetched key set no longer holds this key (or holds other material under its
    /// kid): verified tokens remembered with it are then no longer served.
    retired: AtomicBool,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("modulus_bits", &bit_length(&self.n))
            .field("retired", &self.is_retired())
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }

    /// Whether the key has left the app's key set.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    fn same_material(&self, other: &Self) -> bool {
        self.n == other.n && self.e == other.e
    }
}

/// The usable keys of a JWKS document. Each key is in an `Arc` so a validation can hold the one
/// it uses without holding the whole set.
pub(crate) struct KeySet {
    keys: HashMap<String, Arc<VerifyingKey>>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.key_ids())
            .finish()
    }
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<serde_json::Value>,
}

/// The members of a JWK this library looks at.
#[derive(Deserialize)]
struct Jwk {
    kty: Option<String>,
    kid: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    alg: Option<String>,
    key_ops: Option<Vec<String>>,
    n: Option<String>,
    e: Option<String>,
}

impl KeySet {
    /// Parses a JWKS document, keeping only RSA keys for RS256 signatures. A key that is not
    /// usable is skipped (and logged), not fatal; a document with no usable key is an error.
    pub(crate) fn from_json(json: &[u8]) -> Result<Self, KeySetError> {
        let document: Document = serde_json::from_slice(json).map_err(KeySetError::InvalidJson)?;
        let mut keys = HashMap::with_capacity(document.keys.len());
        let mut skipped = 0;
        for value in document.keys {
            match usable_key(value) {
                Ok((kid, key)) => match keys.entry(kid) {
                    Entry::Vacant(slot) => {
                        slot.insert(key);
                    }
                    Entry::Occupied(taken) => {
                        tracing::warn!(kid = %taken.key(), "JWKS holds several keys with one kid; the first is used");
                        skipped += 1;
                    }
                },
                Err(reason) => {
                    tracing::debug!(reason, "JWKS key skipped");
                    skipped += 1;
                }
            }
        }
        if keys.is_empty() {
            return Err(KeySetError::NoUsableKeys { skipped });
        }
        Ok(Self { keys })
    }

    /// The key with this id.
    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<VerifyingKey>> {
        self.keys.get(kid)
    }

    /// Replaces this set's keys by `previous`'s where they are the same (same kid and material),
    /// so what was verified with them stays valid, and retires the keys of `previous` that this
    /// set no longer holds.
    pub(crate) fn succeed(&mut self, previous: &KeySet) {
        for (kid, old) in &previous.keys {
            match self.keys.get_mut(kid) {
                Some(new) if new.same_material(old) => *new = Arc::clone(old),
                _ => old.retired.store(true, Ordering::Release),
            }
        }
    }

    /// The key ids, sorted.
    pub(crate) fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.keys.keys().cloned().collect();
        ids.sort();
        ids
    }
}

fn usable_key(value: serde_json::Value) -> Result<(String, Arc<VerifyingKey>), &'static str> {
    let jwk: Jwk = serde_json::from_value(value).map_err(|_| "members of the wrong type")?;
    if jwk.kty.as_deref() != Some("RSA") {
        return Err("not an RSA key");
    }
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err("not a signing key (use)");
    }
    if jwk.alg.as_deref().is_some_and(|a| a != "RS256") {
        return Err("not an RS256 key (alg)");
    }
    if jwk
        .key_ops
        .as_ref()
        .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
    {
        return Err("not a verification key (key_ops)");
    }
    let kid = jwk.kid.filter(|k| !k.is_empty()).ok_or("no kid")?;
    let n = decode_unsigned(jwk.n.as_deref().ok_or("no modulus (n)")?)
        .ok_or("modulus (n) is not base64url")?;
    let e = decode_unsigned(jwk.e.as_deref().ok_or("no exponent (e)")?)
        .ok_or("exponent (e) is not base64url")?;
    let bits = bit_length(&n);
    if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
        return Err("modulus is not 2048 to 8192 bits");
    }
    if e.is_empty() || e.len() > 4 {
        return Err("exponent out of range");
    }
    let parsed = RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .map_err(|_| "not a valid RSA public key")?;
    let key = VerifyingKey {
        parsed,
        n,
        e,
        retired: AtomicBool::new(false),
    };
    Ok((kid, Arc::new(key)))
}

/// Decodes a base64url unsigned big-endian integer and drops leading zero bytes.
fn decode_unsigned(value: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    Some(bytes[first..].to_vec())
}

fn bit_length(big_endian: &[u8]) -> usize {
    match big_endian.first() {
        Some(top) => big_endian.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn modulus(bits: usize) -> String {
        let mut n = vec![0xffu8; bits / 8];
        n[0] = 0x80 | 0x01;
        URL_SAFE_NO_PAD.encode(n)
    }

    fn rsa(kid: &str) -> serde_json::Value {
        json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": modulus(2048), "e": "AQAB"})
    }

    fn parse(keys: serde_json::Value) -> Result<KeySet, KeySetError> {
        KeySet::from_json(json!({ "keys": keys }).to_string().as_bytes())
    }

    #[test]
    fn rs256_signing_keys_are_kept() {
        let set = parse(json!([rsa("a"), rsa("b")])).unwrap();
        assert_eq!(set.key_ids(), ["a", "b"]);
        assert!(set.get("a").is_some());
    }

    #[test]
    fn use_and_alg_may_be_absent() {
        let set = parse(json!([{"kty": "RSA", "kid": "a", "n": modulus(2048), "e": "AQAB"}]));
        assert_eq!(set.unwrap().key_ids(), ["a"]);
    }

    #[test]
    fn keys_for_other_uses_algorithms_and_types_are_skipped() {
        let mut enc = rsa("enc");
        enc["use"] = json!("enc");
        let mut rs512 = rsa("rs512");
        rs512["alg"] = json!("RS512");
        let ec = json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"});
        let oct = json!({"kty": "oct", "kid": "oct", "k": "c2VjcmV0"});
        let mut sign_only = rsa("sign-only");
        sign_only["key_ops"] = json!(["sign"]);
        let set = parse(json!([enc, rs512, ec, oct, sign_only, rsa("good")])).unwrap();
        assert_eq!(set.key_ids(), ["good"]);
    }

    #[test]
    fn keys_without_kid_or_with_small_moduli_are_skipped() {
        let mut no_kid = rsa("x");
        no_kid.as_object_mut().unwrap().remove("kid");
        let mut small = rsa("small");
        small["n"] = json!(modulus(1024));
        let mut garbage = rsa("garbage");
        garbage["n"] = json!("!!!");
        let err = parse(json!([no_kid, small, garbage, 42])).unwrap_err();
        assert!(matches!(err, KeySetError::NoUsableKeys { skipped: 4 }));
    }

    #[test]
    fn the_first_of_duplicate_kids_wins() {
        let set = parse(json!([rsa("a"), rsa("a")])).unwrap();
        assert_eq!(set.key_ids(), ["a"]);
    }

    #[test]
    fn a_document_that_is_not_a_jwks_is_invalid_json() {
        for bad in [&b"not json"[..], b"{}", b"{\"keys\": 5}", b"[]"] {
            assert!(matches!(
                KeySet::from_json(bad),
                Err(KeySetError::InvalidJson(_))
            ));
        }
    }

    #[test]
    fn leading_zero_bytes_do_not_count_as_bits() {
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
        assert_eq!(decode_unsigned("AAEA").unwrap(), [0x01, 0x00]);
    }
}
