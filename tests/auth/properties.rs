//! Properties of arbitrary tokens: valid claims round-trip, any mutation of a valid token is
//! refused, `validate_jwt` and `validate_jwt_claims` agree on any signed payload, and no string
//! makes validation panic. Keys are a static JWKS, so no server is involved; the case counts keep
//! the file to a few seconds in a debug build.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use passage_identity::{AuthError, Claims, Passage, auth::Audience};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

use crate::common::auth::*;

/// The issuer of the app under the default auth base URL.
const BASE_URL: &str = "https://auth.passage.id";
const RAW_KID: &str = "raw-bytes";

/// Signs any bytes as a payload, for claims no JSON library writes (invalid UTF-8, lone
/// surrogates, members given twice).
struct ByteSigner(KeyPair);

impl ByteSigner {
    fn get() -> &'static Self {
        static SIGNER: OnceLock<ByteSigner> = OnceLock::new();
        SIGNER.get_or_init(|| Self(KeyPair::generate(KeySize::Rsa2048).expect("key generation")))
    }

    fn jwk(&self) -> Value {
        let components = PublicKeyComponents::<Vec<u8>>::from(self.0.public_key());
        json!({"kty": "RSA", "kid": RAW_KID, "n": b64(&components.n), "e": b64(&components.e)})
    }

    fn sign(&self, payload: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            b64(format!(r#"{{"alg":"RS256","kid":"{RAW_KID}"}}"#)),
            b64(payload)
        );
        let mut signature = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("signing");
        format!("{input}.{}", b64(signature))
    }
}

/// Validations on a current-thread runtime, with and without the verified-token cache.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    cached: Passage,
    uncached: Passage,
}

type Verdict<T> = Result<T, (&'static str, String)>;

fn verdict<T>(answer: Result<T, AuthError>) -> Verdict<T> {
    answer.map_err(|e| (e.code(), e.to_string()))
}

impl Fixture {
    fn new() -> Self {
        let jwks = json!({"keys": [key_a().jwk(), ByteSigner::get().jwk()]}).to_string();
        let builder = Passage::builder(APP_ID).jwks_json(jwks);
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime"),
            cached: builder.clone().build().expect("valid configuration"),
            uncached: builder
                .token_cache_capacity(0)
                .build()
                .expect("valid configuration"),
        }
    }

    /// The verdict of every call, cached and not, after checking they all agree.
    fn judge(&self, token: &str) -> Verdict<Claims> {
        self.runtime.block_on(async {
            let claims = verdict(self.uncached.auth().validate_jwt_claims(token).await);
            let sub = verdict(self.uncached.auth().validate_jwt(token).await);
            assert_eq!(sub, claims.clone().map(|c| c.sub), "validate_jwt disagrees");
            for _ in 0..2 {
                let cached_sub = verdict(self.cached.auth().validate_jwt(token).await);
                assert_eq!(cached_sub, sub, "cached validate_jwt disagrees");
                let cached = verdict(self.cached.auth().validate_jwt_claims(token).await);
                assert_eq!(cached, claims, "cached validate_jwt_claims disagrees");
            }
            claims
        })
    }
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// --- strategies ---

/// JSON values of a few levels, as claims other than the registered ones.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e12..1e12_f64).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Claims Passage could issue for this app: any user id, any accepted audience form, times
/// around now, any other claims.
fn valid_claims_strategy() -> impl Strategy<Value = Value> {
    let now = now();
    (
        "[A-Za-z0-9_-]{1,30}",
        prop_oneof![
            Just(json!(APP_ID)),
            Just(json!([AUTH_ORIGIN, APP_ID])),
            Just(json!([APP_ID, "another"])),
        ],
        (now + 3_600)..(now + 86_400 * 365),
        prop::option::of((now - 86_400 * 365)..now),
        prop::option::of((now - 86_400 * 365)..now),
        prop::collection::btree_map("[a-z_]{1,10}", json_value(), 0..5),
    )
        .prop_map(|(sub, aud, exp, nbf, iat, extra)| {
            let mut claims = json!({
                "sub": sub,
                "iss": format!("{BASE_URL}/v1/apps/{APP_ID}"),
                "aud": aud,
                "exp": exp,
            });
            if let Some(nbf) = nbf {
                claims["nbf"] = json!(nbf);
            }
            if let Some(iat) = iat {
                claims["iat"] = json!(iat);
            }
            for (name, value) in extra {
                if !["sub", "iss", "aud", "exp", "nbf", "iat"].contains(&name.as_str()) {
                    claims[name] = value;
                }
            }
            claims
        })
}

/// Payload bytes of every kind: arbitrary bytes, and valid claims with something hostile
/// spliced into them.
fn signed_payload_strategy() -> impl Strategy<Value = Vec<u8>> {
    let hostile = prop_oneof![
        (100_usize..200).prop_map(|depth| format!("{}1{}", "[".repeat(depth), "]".repeat(depth))),
        Just("1e400".to_owned()),
        Just("-1e400".to_owned()),
        "[1-9][0-9]{20,40}".prop_map(|digits| digits),
        Just(r#""\ud800""#.to_owned()),
        Just(r#""\udc00\ud800""#.to_owned()),
        Just(r#""\ud800\udc00""#.to_owned()),
        Just(r#"{"a":1,"a":2}"#.to_owned()),
        json_value().prop_map(|v| v.to_string()),
    ];
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        (valid_claims_strategy(), "[a-z]{1,6}", hostile).prop_map(|(claims, name, value)| {
            let text = claims.to_string();
            text.replacen('{', &format!(r#"{{"{name}":{value},"#), 1)
                .into_bytes()
        }),
        (valid_claims_strategy(), any::<u8>()).prop_map(|(claims, byte)| {
            // A raw byte (often invalid UTF-8) inside the user id's string.
            let mut bytes = claims.to_string().into_bytes();
            let at = bytes
                .windows(7)
                .position(|w| w == b"\"sub\":\"")
                .map_or(1, |p| p + 7);
            bytes.insert(at, byte);
            bytes
        }),
        (
            valid_claims_strategy(),
            prop::sample::select(vec!["sub", "aud", "exp", "iss"])
        )
            .prop_map(|(claims, name)| {
                // A registered claim given twice.
                let text = claims.to_string();
                let value = claims[name].to_string();
                text.replacen('{', &format!(r#"{{"{name}":{value},"#), 1)
                    .into_bytes()
            }),
    ]
}

/// One way to change a valid token.
#[derive(Debug, Clone)]
enum Mutation {
    /// Flip bit `bit` of byte `index` (modulo the length) of decoded part `part`.
    FlipBit { part: usize, index: usize, bit: u8 },
    /// Replace character `index` (modulo the length) of the token by `with`.
    Replace { index: usize, with: char },
    /// Encode part `part` again: with padding, or in the standard alphabet.
    Reencode { part: usize, padded: bool },
    /// Write the claims JSON again, with white space (same claims, other bytes).
    Reformat,
    /// Give a claim twice, unsigned (the signature no longer matches).
    Duplicate { claim: usize },
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..3_usize, any::<usize>(), 0..8_u8).prop_map(|(part, index, bit)| Mutation::FlipBit {
            part,
            index,
            bit
        }),
        (any::<usize>(), any::<char>()).prop_map(|(index, with)| Mutation::Replace { index, with }),
        (0..3_usize, any::<bool>()).prop_map(|(part, padded)| Mutation::Reencode { part, padded }),
        Just(Mutation::Reformat),
        (0..6_usize).prop_map(|claim| Mutation::Duplicate { claim }),
    ]
}

fn decode(part: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("a part of a valid token")
}

/// `token` changed by `mutation`, or `None` when the change happens to leave it as it was.
fn mutate(token: &str, mutation: &Mutation) -> Option<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    match mutation {
        Mutation::FlipBit { part, index, bit } => {
            let mut bytes = decode(&parts[*part]);
            let at = index % bytes.len();
            bytes[at] ^= 1 << bit;
            parts[*part] = b64(bytes);
        }
        Mutation::Replace { index, with } => {
            let chars: Vec<char> = token.chars().collect();
            let at = index % chars.len();
            if chars[at] == *with {
                return None;
            }
            let mut changed = chars;
            changed[at] = *with;
            return Some(changed.into_iter().collect());
        }
        Mutation::Reencode { part, padded } => {
            let bytes = decode(&parts[*part]);
            let encoded = if *padded {
                base64::engine::general_purpose::URL_SAFE.encode(&bytes)
            } else {
                STANDARD.encode(&bytes).trim_end_matches('=').to_owned()
            };
            if encoded == parts[*part] {
                return None;
            }
            parts[*part] = encoded;
        }
        Mutation::Reformat => {
            let claims: Value = serde_json::from_slice(&decode(&parts[1])).expect("JSON claims");
            parts[1] = b64(serde_json::to_string_pretty(&claims).expect("JSON"));
        }
        Mutation::Duplicate { claim } => {
            let text = String::from_utf8(decode(&parts[1])).expect("UTF-8 claims");
            let claims: Value = serde_json::from_str(&text).expect("JSON claims");
            let (name, value) = claims.as_object()?.iter().nth(*claim)?;
            parts[1] = b64(text.replacen('{', &format!("{{{}:{value},", json!(name)), 1));
        }
    }
    Some(parts.join("."))
}

// --- properties ---

#[test]
fn valid_claims_round_trip_through_the_emulator_signer() {
    let fixture = Fixture::new();
    proptest!(config(48), |(claims in valid_claims_strategy())| {
        let token = key_a().sign(&claims).expect("signing");
        let verified = fixture.judge(&token).expect("a valid token");
        prop_assert_eq!(&verified.sub, claims["sub"].as_str().unwrap());
        prop_assert_eq!(&verified.iss, claims["iss"].as_str().unwrap());
        let aud = match &claims["aud"] {
            Value::String(one) => Audience::One(one.clone()),
            many => Audience::Many(serde_json::from_value(many.clone()).unwrap()),
        };
        prop_assert_eq!(&verified.aud, &aud);
        prop_assert_eq!(Some(verified.exp), claims["exp"].as_i64());
        prop_assert_eq!(verified.nbf, claims.get("nbf").and_then(Value::as_i64));
        prop_assert_eq!(verified.iat, claims.get("iat").and_then(Value::as_i64));
        let mut extra: BTreeMap<String, Value> = claims.as_object().unwrap().clone().into_iter().collect();
        for registered in ["sub", "iss", "aud", "exp", "nbf", "iat"] {
            extra.remove(registered);
        }
        prop_assert_eq!(verified.extra.into_iter().collect::<BTreeMap<_, _>>(), extra);
    });
}

#[test]
fn any_mutation_of_a_valid_token_is_refused() {
    let fixture = Fixture::new();
    let token = key_a().sign(&valid_claims(BASE_URL)).expect("signing");
    assert!(fixture.judge(&token).is_ok());
    proptest!(config(192), |(mutation in mutation_strategy())| {
        if let Some(mutated) = mutate(&token, &mutation) {
            prop_assert!(fixture.judge(&mutated).is_err(), "{:?} was accepted", mutation);
        }
    });
}

#[test]
fn a_signed_claim_given_twice_is_refused() {
    let fixture = Fixture::new();
    let text = valid_claims(BASE_URL).to_string();
    proptest!(config(16), |(claim in 0..6_usize)| {
        let claims: Value = serde_json::from_str(&text).unwrap();
        let (name, value) = claims.as_object().unwrap().iter().nth(claim).unwrap();
        let twice = text.replacen('{', &format!("{{{}:{value},", json!(name)), 1);
        let verdict = fixture.judge(&ByteSigner::get().sign(twice.as_bytes()));
        prop_assert!(matches!(verdict, Err(("malformed_token", _))), "{:?}", verdict);
    });
}

#[test]
fn both_validations_agree_on_any_signed_payload() {
    let fixture = Fixture::new();
    proptest!(config(64), |(payload in signed_payload_strategy())| {
        // `judge` asserts the agreement; a payload that is not valid JSON is malformed.
        let verdict = fixture.judge(&ByteSigner::get().sign(&payload));
        if serde_json::from_slice::<Value>(&payload).is_err() {
            prop_assert!(matches!(verdict, Err(("malformed_token", _))), "{:?}", verdict);
        }
    });
}

#[test]
fn no_string_makes_validation_panic() {
    let fixture = Fixture::new();
    let strings = prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_.=+/-]{0,600}",
        (
            "[A-Za-z0-9_-]{0,80}",
            "[A-Za-z0-9_-]{0,80}",
            "[A-Za-z0-9_-]{0,400}"
        )
            .prop_map(|(h, p, s)| format!("{h}.{p}.{s}")),
    ];
    proptest!(config(512), |(token in strings)| {
        prop_assert!(fixture.judge(&token).is_err());
    });
}

// --- the hostile payloads of the findings, one by one ---

#[test]
fn hostile_payloads_are_malformed_for_both_validations() {
    let fixture = Fixture::new();
    let claims = valid_claims(BASE_URL).to_string();
    let with = |member: &str| {
        claims
            .replacen('{', &format!("{{{member},"), 1)
            .into_bytes()
    };
    let mut invalid_utf8 = with(r#""name":"ab""#);
    let at = invalid_utf8.iter().position(|b| *b == b'a').unwrap();
    invalid_utf8[at] = 0xff;
    for (what, payload) in [
        (
            "unknown claim nested 200 deep",
            with(&format!(
                r#""deep":{}1{}"#,
                "[".repeat(200),
                "]".repeat(200)
            )),
        ),
        ("a number beyond f64", with(r#""big":1e400"#)),
        ("a lone surrogate", with(r#""name":"\ud800""#)),
        ("invalid UTF-8", invalid_utf8),
    ] {
        let verdict = fixture.judge(&ByteSigner::get().sign(&payload));
        assert!(
            matches!(verdict, Err(("malformed_token", _))),
            "{what}: {verdict:?}"
        );
    }
    // What a Value reads is accepted by both: nesting within the limit, a large integer.
    for payload in [
        with(&format!(
            r#""deep":{}1{}"#,
            "[".repeat(100),
            "]".repeat(100)
        )),
        with(r#""big":123456789012345678901234567890"#),
        with(r#""pair":"\ud83d\ude00""#),
    ] {
        assert!(fixture.judge(&ByteSigner::get().sign(&payload)).is_ok());
    }
}
