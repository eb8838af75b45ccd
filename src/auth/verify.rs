//! The rules a Passage token must pass, in the order they are checked.
//!
//! 1. At most `max_token_size` bytes, before anything is decoded.
//! 2. Three base64url parts; the header is one JSON object (read strictly, see
//!    [`strict_json`](super::strict_json); no member given twice).
//! 3. `alg` is `RS256`. No `crit`: a `crit` listing extensions is refused since none is
//!    supported, and a `crit` of any other form (`null`, `[]`, not a list of names) is refused as
//!    malformed JOSE; both are [`AuthError::Malformed`]. Header keys (`jku`, `x5u`, `jwk`,
//!    `x5c`) are never used: keys come from the app's JWKS alone.
//! 4. `kid` is present and names an RS256 signing key of the app's JWKS.
//! 5. The RS256 signature verifies (aws-lc-rs, with the key parsed once per key set fetch).
//! 6. The claims are one JSON object whose registered claims have the right types, read once
//!    and strictly: JSON a `serde_json::Value` would refuse (invalid UTF-8, a lone surrogate,
//!    a number beyond `f64`, nesting deeper than 128) anywhere in it, or any claim given twice,
//!    makes the token malformed, for `validate_jwt` and `validate_jwt_claims` alike.
//! 7. `exp` is present and in the future; `nbf`, if present, is in the past (both with the
//!    leeway).
//! 8. `iss` is the app's issuer.
//! 9. `aud` (a string or a list) holds the app id or another accepted audience.
//! 10. `sub` is a non-empty string: the user id.

use std::borrow::Cow;
use std::fmt;
use std::mem::MaybeUninit;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64_simd::{Out, URL_SAFE_NO_PAD};
use serde::Deserializer as _;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

use super::claims::{AudienceRef, Claims, ReadClaims, RegisteredClaims};
use super::error::{AuthError, shown};
use super::jwks::key_set::VerifyingKey;
use super::strict_json::{OtherNames, Skipped, Str, once, read_all};
use super::token_cache::Cached;

/// Room for the decoded signature: an 8192-bit key, the largest the verifier accepts, signs
/// 1024 bytes. A longer signature cannot verify.
const SIGNATURE_BUFFER: usize = 1024;

/// The checks that do not depend on keys, from the configuration.
#[derive(Debug)]
pub(crate) struct Rules {
    pub(crate) issuer: String,
    /// The app id first, then the audiences added with `accept_audience`.
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: Duration,
    pub(crate) max_token_size: usize,
}

/// The parts of a compact JWS, after the size and shape checks and the header rules.
pub(crate) struct Token<'t> {
    /// `header.payload`, the bytes the signature covers.
    signing_input: &'t str,
    payload: &'t str,
    signature: &'t str,
    /// Borrowed from the decoded header (owned only when the JSON escapes a character in it).
    pub(crate) kid: Cow<'t, str>,
}

/// The JOSE header members this library looks at. Others are read strictly and ignored,
/// never followed.
struct Header<'a> {
    alg: Option<Cow<'a, str>>,
    kid: Option<Cow<'a, str>>,
    crit: Option<Crit>,
}

/// What a `crit` member holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Crit {
    /// A non-empty list of extension names: well-formed, and refused since none is supported.
    Names,
    /// Anything else: `null`, `[]`, a string, a list holding something other than names.
    Malformed,
}

impl<'a> Header<'a> {
    fn from_json(json: &'a [u8]) -> serde_json::Result<Self> {
        read_all(json, |deserializer| {
            deserializer.deserialize_map(HeaderVisitor)
        })
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header<'de>, A::Error> {
        let (mut alg, mut kid, mut crit) = (None, None, None);
        let mut others = OtherNames::default();
        while let Some(Str(name)) = map.next_key::<Str<'de>>()? {
            match &*name {
                "alg" => once(&mut alg, map.next_value::<Option<Str<'de>>>()?)?,
                "kid" => once(&mut kid, map.next_value::<Option<Str<'de>>>()?)?,
                "crit" => once(&mut crit, map.next_value::<Crit>()?)?,
                _ => {
                    map.next_value::<Skipped>()?;
                    others.add(name)?;
                }
            }
        }
        let text = |member: Option<Option<Str<'de>>>| member.flatten().map(|s| s.0);
        Ok(Header {
            alg: text(alg),
            kid: text(kid),
            crit,
        })
    }
}

impl<'de> serde::Deserialize<'de> for Crit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CritVisitor;

        impl<'de> Visitor<'de> for CritVisitor {
            type Value = Crit;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Crit, A::Error> {
                let (mut names, mut all_names) = (0_usize, true);
                while let Some(element) = seq.next_element::<Skipped>()? {
                    names += 1;
                    all_names &= element.was_string;
                }
                Ok(if names > 0 && all_names {
                    Crit::Names
                } else {
                    Crit::Malformed
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Crit, A::Error> {
                while map.next_key::<Skipped>()?.is_some() {
                    map.next_value::<Skipped>()?;
                }
                Ok(Crit::Malformed)
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Crit, E> {
                Ok(Crit::Malformed)
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Crit, E> {
                Ok(Crit::Malformed)
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Crit, E> {
                Ok(Crit::Malformed)
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Crit, E> {
                Ok(Crit::Malformed)
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<Crit, E> {
                Ok(Crit::Malformed)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Crit, E> {
                Ok(Crit::Malformed)
            }
        }

        deserializer.deserialize_any(CritVisitor)
    }
}

/// What a full validation found, for the caller and the verified-token cache.
pub(crate) struct Outcome<T> {
    pub(crate) value: T,
    pub(crate) exp: i64,
    pub(crate) nbf: Option<i64>,
    pub(crate) payload_len: usize,
}

impl Rules {
    /// Rule 1, checked before anything else is done with the token (hashing it included).
    pub(crate) fn check_size(&self, token: &str) -> Result<(), AuthError> {
        if token.len() > self.max_token_size {
            return Err(AuthError::TokenTooLarge {
                size: token.len(),
                limit: self.max_token_size,
            });
        }
        Ok(())
    }

    /// Rules 1 to 4 (up to the key id): everything that can be checked without a key. The
    /// header is decoded into `header`, which the key id borrows from.
    pub(crate) fn parse<'t>(
        &self,
        token: &'t str,
        header: &'t mut PartBuffer,
    ) -> Result<Token<'t>, AuthError> {
        self.check_size(token)?;
        let Some((header_part, payload, signature)) = three_parts(token) else {
            return Err(AuthError::malformed(
                "a JWT has three parts separated by dots",
            ));
        };
        let signing_input = &token[..header_part.len() + 1 + payload.len()];

        let header: Header<'t> = Header::from_json(decode_part(header_part, header)?).map_err(|_| {
            AuthError::malformed(
                "the header is not one JSON object with string alg and kid and no member given twice",
            )
        })?;
        match header.alg.as_deref() {
            Some("RS256") => {}
            Some(other) => {
                return Err(AuthError::UnsupportedAlgorithm { alg: shown(other) });
            }
            None => return Err(AuthError::malformed("the header has no alg")),
        }
        match header.crit {
            None => {}
            Some(Crit::Names) => {
                return Err(AuthError::malformed(
                    "the header lists critical extensions (crit), none of which are supported",
                ));
            }
            Some(Crit::Malformed) => {
                return Err(AuthError::malformed(
                    "the header has a crit that is not a non-empty list of extension names",
                ));
            }
        }
        let kid = match header.kid {
            Some(kid) if !kid.is_empty() => kid,
            _ => return Err(AuthError::MissingKeyId),
        };
        // Checked after the header so that an unsigned `alg: none` token (empty signature)
        // is reported as the algorithm it is.
        if payload.is_empty() || signature.is_empty() {
            return Err(AuthError::malformed("a part of the token is empty"));
        }
        Ok(Token {
            signing_input,
            payload,
            signature,
            kid,
        })
    }

    /// Rules 5 to 10: the signature with `key`, then the claims against `now`; returns what
    /// `T` needs of them.
    pub(crate) fn verify<T: Verified>(
        &self,
        token: &Token<'_>,
        key: &VerifyingKey,
        now: SystemTime,
    ) -> Result<Outcome<T>, AuthError> {
        let mut signature = [MaybeUninit::uninit(); SIGNATURE_BUFFER];
        let signature = decode_on_stack(token.signature, &mut signature)
            .map_err(|_| AuthError::malformed("the signature is not base64url"))?
            .ok_or(AuthError::BadSignature)?;
        if !key.verifies(token.signing_input.as_bytes(), signature) {
            return Err(AuthError::BadSignature);
        }

        let mut buffer = PartBuffer::new();
        let payload = decode_part(token.payload, &mut buffer)?;
        let claims = ReadClaims::from_json(payload, T::KEEPS_EXTRA).map_err(|_| {
            AuthError::malformed(
                "the claims are not one JSON object with string sub and iss, aud a string or a list of strings, numeric exp, nbf and iat, and no claim given twice",
            )
        })?;
        let checked = self.check(claims.registered, unix_seconds(now))?;
        let (exp, nbf) = (checked.exp, checked.nbf);
        Ok(Outcome {
            value: T::from_checked(checked, claims.extra),
            exp,
            nbf,
            payload_len: payload.len(),
        })
    }

    /// The leeway in whole seconds.
    pub(crate) fn leeway_seconds(&self) -> i64 {
        i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX)
    }

    /// Rules 7 to 10, on claims of the right types.
    fn check<'p>(&self, claims: RegisteredClaims<'p>, now: i64) -> Result<Checked<'p>, AuthError> {
        let leeway = self.leeway_seconds();

        let exp = claims
            .exp
            .ok_or(AuthError::MissingClaim { claim: "exp" })?
            .0;
        let nbf = claims.nbf.map(|n| n.0);
        in_time(exp, nbf, now, leeway)?;
        let iss = claims.iss.ok_or(AuthError::MissingClaim { claim: "iss" })?;
        if *iss != *self.issuer {
            return Err(AuthError::WrongIssuer);
        }
        let aud = claims.aud.ok_or(AuthError::MissingClaim { claim: "aud" })?;
        if !aud.any(|a| self.audiences.iter().any(|accepted| accepted == a)) {
            return Err(AuthError::WrongAudience);
        }
        let sub = match claims.sub {
            Some(sub) if !sub.trim().is_empty() => sub,
            _ => return Err(AuthError::MissingSubject),
        };
        Ok(Checked {
            sub,
            iss,
            aud,
            exp,
            nbf,
            iat: claims.iat.map(|i| i.0),
        })
    }
}

/// The registered claims of a token that passed every rule, borrowed from its payload.
pub(crate) struct Checked<'p> {
    sub: Cow<'p, str>,
    iss: Cow<'p, str>,
    aud: AudienceRef<'p>,
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
}

/// What a validation returns, made from a token that passed every rule: the user id for
/// `validate_jwt`, all the claims for `validate_jwt_claims`; and how it is kept in, and served
/// from, the verified-token cache.
pub(crate) trait Verified: Sized {
    /// Whether the claims other than the registered ones are kept.
    const KEEPS_EXTRA: bool;

    fn from_checked(
        checked: Checked<'_>,
        extra: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Self;

    fn to_cached(&self) -> Cached;

    /// The value from a cache entry, if the entry holds it.
    fn from_cached(cached: &Cached) -> Option<Self>;
}

impl Verified for String {
    const KEEPS_EXTRA: bool = false;

    fn from_checked(
        checked: Checked<'_>,
        _: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Self {
        checked.sub.into_owned()
    }

    fn to_cached(&self) -> Cached {
        Cached::Subject(self.as_str().into())
    }

    fn from_cached(cached: &Cached) -> Option<Self> {
        Some(match cached {
            Cached::Subject(sub) => sub.to_string(),
            Cached::Claims(claims) => claims.sub.clone(),
        })
    }
}

impl Verified for Claims {
    const KEEPS_EXTRA: bool = true;

    fn from_checked(
        checked: Checked<'_>,
        extra: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Self {
        Claims {
            sub: checked.sub.into_owned(),
            iss: checked.iss.into_owned(),
            aud: checked.aud.to_owned(),
            exp: checked.exp,
            nbf: checked.nbf,
            iat: checked.iat,
            extra: extra.unwrap_or_default(),
        }
    }

    fn to_cached(&self) -> Cached {
        Cached::Claims(std::sync::Arc::new(self.clone()))
    }

    fn from_cached(cached: &Cached) -> Option<Self> {
        match cached {
            Cached::Claims(claims) => Some(Claims::clone(claims)),
            Cached::Subject(_) => None,
        }
    }
}

/// Room on the stack for a decoded header or payload: Passage's are a few hundred bytes.
const PART_BUFFER: usize = 1024;

/// Where a decoded header or payload is kept: on the stack when it fits, as it nearly always
/// does (no allocation on the path every new token takes), else on the heap. The stack part is
/// never zeroed: the decoder writes what is read.
pub(crate) struct PartBuffer {
    stack: [MaybeUninit<u8>; PART_BUFFER],
    heap: Vec<u8>,
}

impl PartBuffer {
    pub(crate) fn new() -> Self {
        Self {
            stack: [MaybeUninit::uninit(); PART_BUFFER],
            heap: Vec::new(),
        }
    }
}

/// Strict base64url without padding, as JWS requires, decoded into `buffer`: on its stack part
/// when it fits, else on the heap.
fn decode_part<'b>(part: &str, buffer: &'b mut PartBuffer) -> Result<&'b [u8], AuthError> {
    let not_base64 = |_| AuthError::malformed("a part of the token is not base64url");
    if let Some(decoded) = decode_on_stack(part, &mut buffer.stack).map_err(not_base64)? {
        return Ok(decoded);
    }
    buffer.heap = URL_SAFE_NO_PAD
        .decode_to_vec(part.as_bytes())
        .map_err(not_base64)?;
    Ok(&buffer.heap)
}

/// Strict base64url without padding decoded into `stack`, or `None` when the decoded bytes
/// would not fit (found from the length alone, before anything is decoded). The decoder is
/// vectorised (about three times the speed of a scalar one on a token's parts) and as strict as
/// the `base64` crate's: no padding, no other alphabet, no stray bits in the last character.
fn decode_on_stack<'b>(
    part: &str,
    stack: &'b mut [MaybeUninit<u8>],
) -> Result<Option<&'b [u8]>, base64_simd::Error> {
    // Exact; the decoder is given exactly this much room and never writes past it.
    let length = URL_SAFE_NO_PAD.decoded_length(part.as_bytes())?;
    let Some(room) = stack.get_mut(..length) else {
        return Ok(None);
    };
    let decoded = URL_SAFE_NO_PAD.decode(part.as_bytes(), Out::from_uninit_slice(room))?;
    Ok(Some(decoded))
}

/// The three dot-separated parts of a compact JWS, or `None` for any other number of parts;
/// found with a vectorised search, since the token is scanned on every new token.
fn three_parts(token: &str) -> Option<(&str, &str, &str)> {
    let bytes = token.as_bytes();
    let first = memchr::memchr(b'.', bytes)?;
    let second = first + 1 + memchr::memchr(b'.', &bytes[first + 1..])?;
    let signature = &token[second + 1..];
    if memchr::memchr(b'.', signature.as_bytes()).is_some() {
        return None;
    }
    Some((&token[..first], &token[first + 1..second], signature))
}

/// Seconds since the Unix epoch (negative before it).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Rule 7: `exp` and `nbf` hold at `now` (Unix seconds), give or take `leeway` seconds. The one
/// time rule, for full validations and for hits of the verified-token cache alike.
pub(crate) fn in_time(exp: i64, nbf: Option<i64>, now: i64, leeway: i64) -> Result<(), AuthError> {
    if now >= exp.saturating_add(leeway) {
        return Err(AuthError::Expired { expired_at: exp });
    }
    if let Some(nbf) = nbf
        && now.saturating_add(leeway) < nbf
    {
        return Err(AuthError::NotYetValid { not_before: nbf });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            issuer: "https://auth.example/v1/apps/app".into(),
            audiences: vec!["app".into()],
            leeway: Duration::ZERO,
            max_token_size: 8192,
        }
    }

    fn b64(json: &str) -> String {
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, json)
    }

    proptest::proptest! {
        /// The vectorised decoder takes and refuses exactly what the `base64` crate's strict
        /// URL-safe, unpadded engine does, and decodes to the same bytes, around the stack
        /// buffer's size too.
        #[test]
        fn parts_decode_as_the_base64_crate_does(
            part in "[A-Za-z0-9_=+/ .-]{0,8}|[A-Za-z0-9_-]{1,1400}[A-Za-z0-9_=+/-]{0,3}",
        ) {
            let expected = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &part).ok();
            let mut buffer = PartBuffer::new();
            let decoded = decode_part(&part, &mut buffer).ok().map(<[u8]>::to_vec);
            proptest::prop_assert_eq!(decoded, expected);
        }
    }

    fn token(header: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64("{}"))
    }

    #[test]
    fn size_is_checked_before_anything_else() {
        let huge = "a".repeat(8193);
        assert!(matches!(
            rules().parse(&huge, &mut PartBuffer::new()),
            Err(AuthError::TokenTooLarge {
                size: 8193,
                limit: 8192
            })
        ));
    }

    #[test]
    fn a_token_needs_exactly_three_non_empty_parts() {
        for bad in ["", "abc", "a.b", "a.b.c.d", "a..c", ".b.c", "a.b."] {
            assert!(
                matches!(
                    rules().parse(bad, &mut PartBuffer::new()),
                    Err(AuthError::Malformed { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn padded_or_standard_base64_is_malformed() {
        let padded = format!(
            "{}=.{}.c2ln",
            b64(r#"{"alg":"RS256","kid":"k"}"#),
            b64("{}")
        );
        assert!(matches!(
            rules().parse(&padded, &mut PartBuffer::new()),
            Err(AuthError::Malformed { .. })
        ));
    }

    #[test]
    fn header_must_be_a_json_object() {
        for header in [
            "[]",
            r#"["RS256", "k"]"#,
            "null",
            "\"RS256\"",
            "{",
            r#"{"alg":5}"#,
        ] {
            assert!(
                matches!(
                    rules().parse(&token(header), &mut PartBuffer::new()),
                    Err(AuthError::Malformed { .. })
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn a_header_member_given_twice_is_malformed() {
        // Parsers disagree on which of two values wins; a JOSE header must not be ambiguous.
        for header in [
            r#"{"alg":"RS256","alg":"none","kid":"k"}"#,
            r#"{"alg":"RS256","kid":"a","kid":"b"}"#,
        ] {
            assert!(
                matches!(
                    rules().parse(&token(header), &mut PartBuffer::new()),
                    Err(AuthError::Malformed { .. })
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn header_without_alg_is_malformed() {
        assert!(matches!(
            rules().parse(&token(r#"{"kid":"k"}"#), &mut PartBuffer::new()),
            Err(AuthError::Malformed { .. })
        ));
    }

    fn malformed_reason(header: &str) -> &'static str {
        match rules().parse(&token(header), &mut PartBuffer::new()) {
            Err(AuthError::Malformed { reason }) => reason,
            Err(other) => panic!("{header}: expected Malformed, got {other:?}"),
            Ok(_) => panic!("{header}: accepted"),
        }
    }

    #[test]
    fn crit_listing_extensions_is_refused_as_unsupported() {
        for header in [
            r#"{"alg":"RS256","kid":"k","crit":["exp"],"exp":1}"#,
            r#"{"alg":"RS256","kid":"k","crit":["b64","x"]}"#,
        ] {
            assert!(
                malformed_reason(header).contains("none of which"),
                "{header}"
            );
        }
    }

    #[test]
    fn crit_of_any_other_form_is_refused_as_malformed() {
        for crit in [
            "null",
            "[]",
            "\"b64\"",
            "5",
            "true",
            "{}",
            "[null]",
            "[1]",
            "[\"b64\", 1]",
            "[[]]",
        ] {
            let header = format!(r#"{{"alg":"RS256","kid":"k","crit":{crit}}}"#);
            assert!(
                malformed_reason(&header).contains("not a non-empty list"),
                "{header}"
            );
        }
    }

    #[test]
    fn any_header_member_given_twice_is_malformed() {
        for header in [
            r#"{"alg":"RS256","kid":"k","typ":"JWT","typ":"JWT"}"#,
            r#"{"alg":"RS256","kid":"k","crit":["x"],"crit":["x"]}"#,
        ] {
            assert!(malformed_reason(header).contains("given twice"), "{header}");
        }
    }

    #[test]
    fn header_json_a_value_would_refuse_is_malformed() {
        for header in [
            r#"{"alg":"RS256","kid":"k","x":"\ud800"}"#,
            r#"{"alg":"RS256","kid":"k","x":1e400}"#,
        ] {
            malformed_reason(header);
        }
    }

    #[test]
    fn a_header_too_long_for_the_stack_buffer_is_read_the_same() {
        let long = "x".repeat(3 * PART_BUFFER);
        let header = format!(r#"{{"alg":"RS256","kid":"k1","pad":"{long}"}}"#);
        let mut buffer = PartBuffer::new();
        let long_token = token(&header);
        let parsed = rules().parse(&long_token, &mut buffer).unwrap();
        assert_eq!(parsed.kid, "k1");
        let repeated = format!(r#"{{"alg":"RS256","kid":"k1","pad":"{long}","pad":"y"}}"#);
        assert!(matches!(
            rules().parse(&token(&repeated), &mut PartBuffer::new()),
            Err(AuthError::Malformed { .. })
        ));
    }

    #[test]
    fn empty_kid_counts_as_missing() {
        assert!(matches!(
            rules().parse(
                &token(r#"{"alg":"RS256","kid":""}"#),
                &mut PartBuffer::new()
            ),
            Err(AuthError::MissingKeyId)
        ));
    }

    #[test]
    fn unsupported_algorithm_is_shown_escaped() {
        match rules().parse(&token(r#"{"alg":"none\n"}"#), &mut PartBuffer::new()) {
            Err(AuthError::UnsupportedAlgorithm { alg }) => assert_eq!(alg, "\"none\\n\""),
            _ => panic!("expected UnsupportedAlgorithm"),
        }
    }

    #[test]
    fn unix_seconds_before_the_epoch_are_negative() {
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_secs(5)), 5);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), -5);
    }

    #[test]
    fn signing_input_is_header_dot_payload() {
        let t = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256","kid":"k"}"#), b64("{}"));
        let mut header = PartBuffer::new();
        let parsed = rules().parse(&t, &mut header).unwrap();
        assert_eq!(parsed.signing_input, t.rsplit_once('.').unwrap().0);
        assert_eq!(parsed.kid, "k");
    }
}
