//! The rules a Passage token must pass, in the order they are checked.
//!
//! 1. At most `max_token_size` bytes, before anything is decoded.
//! 2. Three base64url parts; the header is a JSON object.
//! 3. `alg` is `RS256`; no `crit` extensions. Header keys (`jku`, `x5u`, `jwk`, `x5c`) are never
//!    used: keys come from the app's JWKS alone.
//! 4. `kid` is present and names an RS256 signing key of the app's JWKS.
//! 5. The RS256 signature verifies (jsonwebtoken's aws-lc-rs provider).
//! 6. The claims are a JSON object whose registered claims have the right types.
//! 7. `exp` is present and in the future; `nbf`, if present, is in the past (both with the
//!    leeway).
//! 8. `iss` is the app's issuer.
//! 9. `aud` (a string or a list) holds the app id or another accepted audience.
//! 10. `sub` is a non-empty string: the user id.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::aws_lc;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use super::claims::{AudienceRef, Claims, REGISTERED, RegisteredClaims};
use super::error::{AuthError, shown};

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

/// The JOSE header members this library looks at. Others are ignored, never followed.
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(default, borrow)]
    alg: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    kid: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

impl Rules {
    /// Rules 1 to 4 (up to the key id): everything that can be checked without a key. The
    /// header is decoded into `header`, which the key id borrows from.
    pub(crate) fn parse<'t>(
        &self,
        token: &'t str,
        header: &'t mut Vec<u8>,
    ) -> Result<Token<'t>, AuthError> {
        if token.len() > self.max_token_size {
            return Err(AuthError::TokenTooLarge {
                size: token.len(),
                limit: self.max_token_size,
            });
        }
        let mut parts = token.split('.');
        let (Some(header_part), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::malformed(
                "a JWT has three parts separated by dots",
            ));
        };
        let signing_input = &token[..header_part.len() + 1 + payload.len()];

        *header = decode_part(header_part)?;
        let header_json: &'t [u8] = header;
        if !is_json_object(header_json) {
            return Err(AuthError::malformed("the header is not a JSON object"));
        }
        let header: Header<'t> = serde_json::from_slice(header_json).map_err(|_| {
            AuthError::malformed(
                "the header is not a JSON object with string alg and kid, once each",
            )
        })?;
        match header.alg.as_deref() {
            Some("RS256") => {}
            Some(other) => {
                return Err(AuthError::UnsupportedAlgorithm { alg: shown(other) });
            }
            None => return Err(AuthError::malformed("the header has no alg")),
        }
        if header.crit.is_some() {
            return Err(AuthError::malformed(
                "the header lists critical extensions (crit), none of which are supported",
            ));
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

    /// Rules 5 to 10: the signature with `key`, then the claims; returns what `T` needs of
    /// them.
    pub(crate) fn verify<T: Verified>(
        &self,
        token: &Token<'_>,
        key: &DecodingKey,
    ) -> Result<T, AuthError> {
        let signature = URL_SAFE_NO_PAD
            .decode(token.signature)
            .map_err(|_| AuthError::malformed("the signature is not base64url"))?;
        // jsonwebtoken's aws-lc-rs provider by name, not its process-wide default: that default
        // does not exist (every use panics) when another crate also turns on
        // `jsonwebtoken/rust_crypto`, and any crate may replace it with `install_default`.
        // Making the verifier cannot fail for the RSA keys a key set holds; if it did, the token
        // would not be accepted.
        let verified = (aws_lc::DEFAULT_PROVIDER.verifier_factory)(&Algorithm::RS256, key)
            .is_ok_and(|verifier| {
                verifier
                    .verify(token.signing_input.as_bytes(), &signature)
                    .is_ok()
            });
        if !verified {
            return Err(AuthError::BadSignature);
        }

        let payload = decode_part(token.payload)?;
        if !is_json_object(&payload) {
            return Err(AuthError::malformed("the claims are not a JSON object"));
        }
        let claims: RegisteredClaims<'_> = serde_json::from_slice(&payload).map_err(|_| {
            AuthError::malformed(
                "the claims are not a JSON object with sub, iss and aud strings and numeric exp, nbf and iat, each at most once",
            )
        })?;
        T::from_checked(self.check(claims)?, &payload)
    }

    /// Rules 7 to 10, on claims of the right types.
    fn check<'p>(&self, claims: RegisteredClaims<'p>) -> Result<Checked<'p>, AuthError> {
        let now = unix_now();
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);

        let exp = claims
            .exp
            .ok_or(AuthError::MissingClaim { claim: "exp" })?
            .0;
        if now >= exp.saturating_add(leeway) {
            return Err(AuthError::Expired { expired_at: exp });
        }
        let nbf = claims.nbf.map(|n| n.0);
        if let Some(nbf) = nbf
            && now.saturating_add(leeway) < nbf
        {
            return Err(AuthError::NotYetValid { not_before: nbf });
        }
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
/// `validate_jwt`, all the claims for `validate_jwt_claims`.
pub(crate) trait Verified: Sized {
    fn from_checked(checked: Checked<'_>, payload: &[u8]) -> Result<Self, AuthError>;
}

impl Verified for String {
    fn from_checked(checked: Checked<'_>, _payload: &[u8]) -> Result<Self, AuthError> {
        Ok(checked.sub.into_owned())
    }
}

impl Verified for Claims {
    /// Reads the payload a second time, as a map for the other claims. The typed read is the
    /// one that refuses a registered claim given twice; a map keeps the last quietly.
    fn from_checked(checked: Checked<'_>, payload: &[u8]) -> Result<Self, AuthError> {
        let mut extra: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(payload)
            .map_err(|_| AuthError::malformed("the claims are not a JSON object"))?;
        for name in REGISTERED {
            extra.remove(name);
        }
        Ok(Claims {
            sub: checked.sub.into_owned(),
            iss: checked.iss.into_owned(),
            aud: checked.aud.to_owned(),
            exp: checked.exp,
            nbf: checked.nbf,
            iat: checked.iat,
            extra,
        })
    }
}

/// Strict base64url without padding, as JWS requires.
fn decode_part(part: &str) -> Result<Vec<u8>, AuthError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AuthError::malformed("a part of the token is not base64url"))
}

/// Whether `json` starts like an object. serde would also read a struct from a JSON array
/// (by position), which a JOSE header or a claims set never is.
fn is_json_object(json: &[u8]) -> bool {
    json.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|b| *b == b'{')
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64("{}"))
    }

    #[test]
    fn size_is_checked_before_anything_else() {
        let huge = "a".repeat(8193);
        assert!(matches!(
            rules().parse(&huge, &mut Vec::new()),
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
                    rules().parse(bad, &mut Vec::new()),
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
            rules().parse(&padded, &mut Vec::new()),
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
                    rules().parse(&token(header), &mut Vec::new()),
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
                    rules().parse(&token(header), &mut Vec::new()),
                    Err(AuthError::Malformed { .. })
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn header_without_alg_is_malformed() {
        assert!(matches!(
            rules().parse(&token(r#"{"kid":"k"}"#), &mut Vec::new()),
            Err(AuthError::Malformed { .. })
        ));
    }

    #[test]
    fn crit_is_refused() {
        let header = r#"{"alg":"RS256","kid":"k","crit":["exp"],"exp":1}"#;
        assert!(matches!(
            rules().parse(&token(header), &mut Vec::new()),
            Err(AuthError::Malformed { .. })
        ));
    }

    #[test]
    fn empty_kid_counts_as_missing() {
        assert!(matches!(
            rules().parse(&token(r#"{"alg":"RS256","kid":""}"#), &mut Vec::new()),
            Err(AuthError::MissingKeyId)
        ));
    }

    #[test]
    fn unsupported_algorithm_is_shown_escaped() {
        match rules().parse(&token(r#"{"alg":"none\n"}"#), &mut Vec::new()) {
            Err(AuthError::UnsupportedAlgorithm { alg }) => assert_eq!(alg, "\"none\\n\""),
            _ => panic!("expected UnsupportedAlgorithm"),
        }
    }

    #[test]
    fn signing_input_is_header_dot_payload() {
        let t = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256","kid":"k"}"#), b64("{}"));
        let mut header = Vec::new();
        let parsed = rules().parse(&t, &mut header).unwrap();
        assert_eq!(parsed.signing_input, t.rsplit_once('.').unwrap().0);
        assert_eq!(parsed.kid, "k");
    }
}
