//! Every rule of `validate_jwt`, with tokens it accepts and tokens it rejects.
//!
//! Every case is judged four ways that must agree: `validate_jwt` and `validate_jwt_claims`,
//! each without the verified-token cache, then with it twice (the second time served from it
//! when the token is valid). A token that fails is never remembered.

use std::time::Duration;

use aws_lc_rs::hmac;
use jsonwebtoken::crypto::CryptoProvider;
use passage_identity::{AuthError, Claims, ConfigError, Passage, PassageBuilder, auth::Audience};
use serde_json::{Value, json};

use crate::common::auth::*;

async fn server() -> JwksServer {
    JwksServer::start(&[key_a()]).await
}

fn passage(server: &JwksServer) -> Passage {
    server.passage().build().expect("valid configuration")
}

async fn validate(server: &JwksServer, token: &str) -> Result<String, AuthError> {
    check(server.passage(), token).await
}

/// What an answer says, for comparing answers: the user id, or the error's code and message.
fn verdict<T: Clone>(answer: &Result<T, AuthError>) -> Result<T, (&'static str, String)> {
    match answer {
        Ok(value) => Ok(value.clone()),
        Err(e) => Err((e.code(), e.to_string())),
    }
}

/// Judges `token` under `settings` with `validate_jwt` and `validate_jwt_claims`, without the
/// verified-token cache and then twice with it, asserts that every answer is the same, and
/// returns the claims (or the error).
async fn check_claims(settings: PassageBuilder, token: &str) -> Result<Claims, AuthError> {
    let uncached = settings
        .clone()
        .token_cache_capacity(0)
        .build()
        .expect("valid configuration");
    let cached = settings.build().expect("valid configuration");
    let user_id = uncached.auth().validate_jwt(token).await;
    let claims = uncached.auth().validate_jwt_claims(token).await;
    assert_eq!(
        verdict(&user_id),
        verdict(&claims).map(|c| c.sub),
        "validate_jwt and validate_jwt_claims disagree"
    );
    for round in ["first", "repeated"] {
        let cached_user_id = cached.auth().validate_jwt(token).await;
        assert_eq!(
            verdict(&cached_user_id),
            verdict(&user_id),
            "{round} cached validate_jwt"
        );
        let cached_claims = cached.auth().validate_jwt_claims(token).await;
        assert_eq!(
            verdict(&cached_claims),
            verdict(&claims),
            "{round} cached claims"
        );
    }
    let stats = cached.auth().token_cache_stats().expect("the cache is on");
    if claims.is_ok() {
        assert_eq!(stats.hits, 2, "the repeated round is served from the cache");
    } else {
        assert_eq!(
            (stats.entries, stats.hits),
            (0, 0),
            "a failed token is never remembered"
        );
    }
    claims
}

/// Like [`check_claims`], returning the user id.
async fn check(settings: PassageBuilder, token: &str) -> Result<String, AuthError> {
    check_claims(settings, token).await.map(|claims| claims.sub)
}

fn header_a() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": key_a().kid()})
}

// --- a good token ---

#[tokio::test]
async fn a_valid_token_yields_the_user_id() {
    let server = server().await;
    let token = server.token(key_a());
    assert_eq!(validate(&server, &token).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn validate_jwt_claims_returns_every_claim() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["amr"] = json!(["passkey"]));
    let claims = check_claims(server.passage(), &token).await.unwrap();
    assert_eq!(claims.sub, USER_ID);
    assert_eq!(claims.iss, format!("{}/v1/apps/{APP_ID}", server.base_url));
    assert_eq!(
        claims.aud,
        Audience::Many(vec![AUTH_ORIGIN.into(), APP_ID.into()])
    );
    assert!(claims.exp > now());
    assert!(claims.nbf.is_some() && claims.iat.is_some());
    assert_eq!(claims.extra.get("amr"), Some(&json!(["passkey"])));
    assert!(!claims.extra.contains_key("sub"));
}

#[tokio::test]
async fn a_token_without_nbf_and_iat_is_accepted() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| {
        let c = c.as_object_mut().unwrap();
        c.remove("nbf");
        c.remove("iat");
    });
    assert_eq!(validate(&server, &token).await.unwrap(), USER_ID);
}

// --- size and shape ---

#[tokio::test]
async fn a_token_over_the_size_limit_is_rejected_before_decoding() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["pad"] = json!("x".repeat(9000)));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::TokenTooLarge { limit: 8192, .. }),
        "{err:?}"
    );
    assert_eq!(server.fetches(), 0, "no key lookup for an oversized token");
}

#[tokio::test]
async fn the_size_limit_is_configurable() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["pad"] = json!("x".repeat(9000)));
    let large = server.passage().max_token_size(16 * 1024);
    assert_eq!(check(large, &token).await.unwrap(), USER_ID);
    let small = server.passage().max_token_size(512);
    let err = check(small, &server.token(key_a())).await.unwrap_err();
    assert!(matches!(err, AuthError::TokenTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn garbage_is_malformed_and_never_panics() {
    let server = server().await;
    let huge_dots = ".".repeat(5000);
    let inputs: Vec<String> = vec![
        "".into(),
        ".".into(),
        "..".into(),
        "...".into(),
        "a.b.c".into(),
        "not a token".into(),
        "\0\0\0".into(),
        "ü.ö.ä".into(),
        huge_dots,
        format!("{}.{}.{}", b64("not json"), b64("{}"), b64("sig")),
        format!("{}.{}.{}", b64("[]"), b64("{}"), b64("sig")),
        format!("{}.{}", b64(header_a().to_string()), b64("{}")),
        format!("{}.e30.c2ln.extra", b64(header_a().to_string())),
        format!("{}.%%%.c2ln", b64(header_a().to_string())),
        format!("{}.e30.%%%", b64(header_a().to_string())),
        format!("{}=.e30.c2ln", b64(header_a().to_string())),
    ];
    for input in &inputs {
        let err = validate(&server, input).await.unwrap_err();
        assert!(err.is_client_error(), "{input:?}: {err:?}");
        // A garbled payload under a well-formed header fails the signature check first.
        assert!(
            matches!(
                err,
                AuthError::Malformed { .. }
                    | AuthError::TokenTooLarge { .. }
                    | AuthError::BadSignature
            ),
            "{input:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn claims_of_the_wrong_type_are_malformed() {
    let server = server().await;
    for (claim, value) in [
        ("exp", json!("tomorrow")),
        ("sub", json!(42)),
        ("aud", json!({"app": true})),
        ("iss", json!(["a"])),
    ] {
        let token = server.token_with(key_a(), |c| c[claim] = value.clone());
        let err = validate(&server, &token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::Malformed { .. }),
            "{claim}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_registered_claim_given_twice_is_malformed() {
    // Parsers disagree on which of two values wins: a signed token must not be ambiguous.
    let key = RawKey::generate("raw");
    let server = JwksServer::start_with_document(&json!({"keys": [key.jwk()]})).await;
    let claims = valid_claims(&server.base_url).to_string();
    let header = r#"{"alg":"RS256","kid":"raw"}"#;
    for duplicate in [
        r#""sub":"someone_else","#,
        r#""aud":"another_app","#,
        r#""exp":1,"#,
        r#""sub":null,"#,
        r#""iss":null,"#,
    ] {
        let twice = claims.replacen('{', &format!("{{{duplicate}"), 1);
        let err = validate(&server, &key.sign_json(header, &twice))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuthError::Malformed { .. }),
            "{duplicate}: {err:?}"
        );
    }
}

#[tokio::test]
async fn any_claim_given_twice_is_malformed() {
    // Parsers disagree on which of two values wins; `validate_jwt_claims` would have kept the
    // last, `validate_jwt` ignored both.
    let key = RawKey::generate("raw");
    let server = JwksServer::start_with_document(&json!({"keys": [key.jwk()]})).await;
    let claims = valid_claims(&server.base_url).to_string();
    let twice = claims.replacen('{', r#"{"amr":["pwd"],"amr":["passkey"],"#, 1);
    let token = key.sign_json(r#"{"alg":"RS256","kid":"raw"}"#, &twice);
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::Malformed { .. }), "{err:?}");
}

#[tokio::test]
async fn claims_that_are_not_an_object_are_malformed() {
    let server = server().await;
    let key = RawKey::generate("raw");
    server.serve_document(&json!({"keys": [key.jwk()]}));
    let header = json!({"alg": "RS256", "kid": "raw"});
    let token = key.sign(&header, &json!(["sub", USER_ID]));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::Malformed { .. }), "{err:?}");
}

// --- algorithm ---

#[tokio::test]
async fn alg_none_is_rejected_before_any_key_lookup() {
    let server = server().await;
    let claims = valid_claims(&server.base_url);
    for alg in ["none", "None", "NONE"] {
        let token = forge(&json!({"alg": alg, "kid": key_a().kid()}), &claims, b"");
        let err = validate(&server, &token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::UnsupportedAlgorithm { .. }),
            "{alg}: {err:?}"
        );
    }
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_rejected() {
    let key = RawKey::generate("confused");
    let server = JwksServer::start_with_document(&json!({"keys": [key.jwk()]})).await;
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": "confused"});
    let claims = valid_claims(&server.base_url);
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let mac = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &key.public_der()),
        input.as_bytes(),
    );
    let token = format!("{input}.{}", b64(mac.as_ref()));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::UnsupportedAlgorithm { ref alg } if alg == "\"HS256\""),
        "{err:?}"
    );
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn every_algorithm_but_rs256_is_rejected_before_any_key_lookup() {
    let server = server().await;
    let claims = valid_claims(&server.base_url);
    for alg in [
        "HS256", "HS384", "HS512", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
        "ES512", "EdDSA", "rs256", "RS256 ", "",
    ] {
        let token = forge(
            &json!({"alg": alg, "kid": key_a().kid()}),
            &claims,
            &[1; 256],
        );
        let err = validate(&server, &token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::UnsupportedAlgorithm { .. }),
            "{alg:?}: {err:?}"
        );
    }
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn a_token_header_without_alg_is_malformed() {
    let server = server().await;
    let token = forge(
        &json!({"kid": key_a().kid()}),
        &valid_claims(&server.base_url),
        &[1; 256],
    );
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::Malformed { .. }), "{err:?}");
}

#[tokio::test]
async fn a_critical_header_extension_is_rejected() {
    let key = RawKey::generate("raw");
    let server = JwksServer::start_with_document(&json!({"keys": [key.jwk()]})).await;
    let header = json!({"alg": "RS256", "kid": "raw", "crit": ["b64"], "b64": false});
    let token = key.sign(&header, &valid_claims(&server.base_url));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::Malformed { reason } if reason.contains("none of which are supported")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_crit_of_any_other_form_is_malformed() {
    // `crit: null` used to pass as if absent.
    let key = RawKey::generate("raw");
    let server = JwksServer::start_with_document(&json!({"keys": [key.jwk()]})).await;
    for crit in [
        json!(null),
        json!([]),
        json!("b64"),
        json!({}),
        json!(false),
        json!(0),
        json!([null]),
        json!(["b64", 1]),
    ] {
        let header = json!({"alg": "RS256", "kid": "raw", "crit": crit});
        let token = key.sign(&header, &valid_claims(&server.base_url));
        let err = validate(&server, &token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::Malformed { reason } if reason.contains("crit")),
            "{crit}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_header_member_given_twice_is_malformed_whatever_it_is() {
    let key = RawKey::generate("raw");
    let server = JwksServer::start_with_document(&json!({"keys": [key.jwk()]})).await;
    let claims = valid_claims(&server.base_url).to_string();
    for header in [
        r#"{"alg":"RS256","kid":"raw","typ":"JWT","typ":"JWT"}"#,
        r#"{"alg":"RS256","kid":"raw","kid":"raw"}"#,
        r#"{"alg":"RS256","kid":"raw","crit":null,"crit":null}"#,
    ] {
        let err = validate(&server, &key.sign_json(header, &claims))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuthError::Malformed { .. }),
            "{header}: {err:?}"
        );
    }
}

// --- keys come from the JWKS alone ---

#[tokio::test]
async fn a_missing_kid_is_rejected() {
    let key = RawKey::generate("raw");
    let server = JwksServer::start_with_document(&json!({"keys": [key.jwk()]})).await;
    let token = key.sign(&json!({"alg": "RS256"}), &valid_claims(&server.base_url));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::MissingKeyId), "{err:?}");
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn an_unknown_kid_is_rejected() {
    let server = server().await;
    let err = validate(&server, &server.token(key_b())).await.unwrap_err();
    assert!(matches!(err, AuthError::UnknownKeyId { .. }), "{err:?}");
    assert!(err.to_string().contains(key_b().kid()));
}

#[tokio::test]
async fn jku_and_x5u_are_never_fetched() {
    let attacker = RawKey::generate("attacker");
    let attacker_jwks = JwksServer::start_with_document(&json!({"keys": [attacker.jwk()]})).await;
    let server = server().await;
    let jku = format!("{}{}", attacker_jwks.base_url, jwks_path());
    for member in ["jku", "x5u"] {
        let header = json!({"alg": "RS256", "kid": "attacker", member: jku});
        let token = attacker.sign(&header, &valid_claims(&server.base_url));
        let err = validate(&server, &token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::UnknownKeyId { .. }),
            "{member}: {err:?}"
        );
    }
    assert_eq!(attacker_jwks.fetches(), 0);
}

#[tokio::test]
async fn an_embedded_jwk_is_never_trusted() {
    let attacker = RawKey::generate(key_a().kid());
    let server = server().await;
    // The attacker signs with its own key, embeds it, and claims the app key's kid.
    let header = json!({"alg": "RS256", "kid": key_a().kid(), "jwk": attacker.jwk()});
    let token = attacker.sign(&header, &valid_claims(&server.base_url));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");
}

#[tokio::test]
async fn an_embedded_certificate_chain_is_never_trusted() {
    let attacker = RawKey::generate(key_a().kid());
    let server = server().await;
    let header = json!({"alg": "RS256", "kid": key_a().kid(), "x5c": [b64(attacker.public_der())]});
    let token = attacker.sign(&header, &valid_claims(&server.base_url));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");
}

#[tokio::test]
async fn header_key_references_on_a_genuine_token_are_ignored() {
    let key = RawKey::generate("genuine");
    let server = JwksServer::start_with_document(&json!({"keys": [key.jwk()]})).await;
    let elsewhere = closed_base_url().await;
    let header = json!({"alg": "RS256", "kid": "genuine", "jku": elsewhere, "x5u": elsewhere});
    let token = key.sign(&header, &valid_claims(&server.base_url));
    assert_eq!(validate(&server, &token).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn keys_not_for_rs256_signatures_are_not_used() {
    let key = RawKey::generate("enc");
    let mut enc = key.jwk();
    enc["use"] = json!("enc");
    let rs512 = RawKey::generate("rs512");
    let mut rs512_jwk = rs512.jwk();
    rs512_jwk["alg"] = json!("RS512");
    let server =
        JwksServer::start_with_document(&json!({"keys": [enc, rs512_jwk, key_a().jwk()]})).await;
    for signer in [&key, &rs512] {
        let header = json!({"alg": "RS256", "kid": signer.kid});
        let token = signer.sign(&header, &valid_claims(&server.base_url));
        let err = validate(&server, &token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::UnknownKeyId { .. }),
            "{}: {err:?}",
            signer.kid
        );
    }
    let passage = passage(&server);
    passage.auth().warm_up().await.unwrap();
    assert_eq!(passage.auth().key_ids(), [key_a().kid()]);
}

/// Another crate turning on `jsonwebtoken/rust_crypto` leaves jsonwebtoken without a process-wide
/// default provider (every use of it panics), and `CryptoProvider::install_default` lets any
/// crate pick that default. Validation must use neither. Runs itself alone in a fresh process,
/// where a provider can still be installed.
#[tokio::test]
async fn validation_ignores_the_process_wide_jsonwebtoken_provider() {
    const CHILD: &str = "PASSAGE_TEST_PROVIDER_CHILD";
    const NAME: &str = "auth::rules::validation_ignores_the_process_wide_jsonwebtoken_provider";
    if std::env::var_os(CHILD).is_none() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let provider = Box::leak(Box::new(CryptoProvider {
        verifier_factory: |_, _| panic!("the process-wide provider verified a token"),
        ..jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.clone()
    }));
    provider
        .install_default()
        .expect("no provider yet in a fresh process");
    let server = server().await;
    assert_eq!(
        validate(&server, &server.token(key_a())).await.unwrap(),
        USER_ID
    );
}

// --- signature ---

/// The token with the first character of its signature changed (still valid base64url).
fn flip_signature(token: &str) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    format!("{input}.{first}{}", &signature[1..])
}

#[tokio::test]
async fn a_changed_signature_is_bad() {
    let server = server().await;
    let err = validate(&server, &flip_signature(&server.token(key_a())))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");
}

#[tokio::test]
async fn a_tampered_payload_has_a_bad_signature() {
    let server = server().await;
    let token = server.token(key_a());
    let (header, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let mut claims = valid_claims(&server.base_url);
    claims["sub"] = json!("someone_else");
    let tampered = format!("{header}.{}.{signature}", b64(claims.to_string()));
    let err = validate(&server, &tampered).await.unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");
}

#[tokio::test]
async fn a_signature_by_another_key_under_a_known_kid_is_bad() {
    let server = server().await;
    let impostor = RawKey::generate(key_a().kid());
    let token = impostor.sign(&header_a(), &valid_claims(&server.base_url));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");
}

#[tokio::test]
async fn a_truncated_or_empty_signature_is_rejected() {
    let server = server().await;
    let token = server.token(key_a());
    let truncated = &token[..token.len() - 10];
    let err = validate(&server, truncated).await.unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");
    let unsigned = format!("{}.", token.rsplit_once('.').unwrap().0);
    let err = validate(&server, &unsigned).await.unwrap_err();
    assert!(matches!(err, AuthError::Malformed { .. }), "{err:?}");
}

// --- expiry ---

#[tokio::test]
async fn an_expired_token_is_rejected() {
    let server = server().await;
    let exp = now() - 1;
    let token = server.token_with(key_a(), |c| c["exp"] = json!(exp));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::Expired { expired_at } if expired_at == exp),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_token_without_exp_is_rejected() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| {
        c.as_object_mut().unwrap().remove("exp");
    });
    let err = validate(&server, &token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::MissingClaim { claim: "exp" }),
        "{err:?}"
    );
}

#[tokio::test]
async fn leeway_accepts_a_token_that_expired_moments_ago() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["exp"] = json!(now() - 10));
    let lenient = server.passage().leeway(Duration::from_secs(60));
    assert_eq!(check(lenient, &token).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn the_default_leeway_is_zero() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["exp"] = json!(now() - 2));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::Expired { .. }), "{err:?}");
}

#[tokio::test]
async fn a_token_before_its_nbf_is_rejected() {
    let server = server().await;
    let nbf = now() + 60;
    let token = server.token_with(key_a(), |c| c["nbf"] = json!(nbf));
    let err = validate(&server, &token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::NotYetValid { not_before } if not_before == nbf),
        "{err:?}"
    );
}

#[tokio::test]
async fn leeway_accepts_a_token_valid_in_a_moment() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["nbf"] = json!(now() + 10));
    let lenient = server.passage().leeway(Duration::from_secs(60));
    assert_eq!(check(lenient, &token).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn fractional_times_are_accepted() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| {
        c["exp"] = json!(now() as f64 + 600.5);
        c["nbf"] = json!(now() as f64 - 0.5);
    });
    assert_eq!(validate(&server, &token).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn extreme_times_are_judged_without_panicking() {
    let server = server().await;
    for (claim, value, accepted) in [
        ("exp", json!(u64::MAX), true),
        ("exp", json!(1e300), true),
        ("exp", json!(i64::MIN), false),
        ("exp", json!(-1e300), false),
        ("exp", json!(-0.5), false),
        ("nbf", json!(u64::MAX), false),
        ("nbf", json!(1e300), false),
        ("nbf", json!(i64::MIN), true),
        ("nbf", json!(-1e300), true),
    ] {
        let token = server.token_with(key_a(), |c| c[claim] = value.clone());
        for settings in [
            server.passage(),
            server.passage().leeway(Duration::from_secs(3600)),
        ] {
            let outcome = check(settings, &token).await;
            match (claim, accepted) {
                (_, true) => assert!(outcome.is_ok(), "{claim} {value}: {outcome:?}"),
                ("exp", false) => assert!(
                    matches!(outcome, Err(AuthError::Expired { .. })),
                    "{claim} {value}: {outcome:?}"
                ),
                _ => assert!(
                    matches!(outcome, Err(AuthError::NotYetValid { .. })),
                    "{claim} {value}: {outcome:?}"
                ),
            }
        }
    }
}

#[test]
fn a_leeway_over_an_hour_is_a_configuration_error() {
    let err = Passage::builder(APP_ID)
        .leeway(Duration::from_secs(3601))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::InvalidSetting {
                setting: "leeway",
                ..
            }
        ),
        "{err:?}"
    );
}

// --- audience ---

#[tokio::test]
async fn an_audience_string_naming_the_app_is_accepted() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["aud"] = json!(APP_ID));
    assert_eq!(validate(&server, &token).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn an_audience_without_the_app_is_rejected() {
    let server = server().await;
    for aud in [
        json!("another_app"),
        json!(["another_app", AUTH_ORIGIN]),
        json!([]),
        json!(AUTH_ORIGIN),
    ] {
        let token = server.token_with(key_a(), |c| c["aud"] = aud.clone());
        let err = validate(&server, &token).await.unwrap_err();
        assert!(matches!(err, AuthError::WrongAudience), "{aud}: {err:?}");
    }
}

#[tokio::test]
async fn a_token_without_aud_is_rejected() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| {
        c.as_object_mut().unwrap().remove("aud");
    });
    let err = validate(&server, &token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::MissingClaim { claim: "aud" }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_accepted_audience_admits_older_tokens() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["aud"] = json!(AUTH_ORIGIN));
    let passage = server.passage().accept_audience(AUTH_ORIGIN);
    assert_eq!(check(passage, &token).await.unwrap(), USER_ID);
}

// --- issuer ---

#[tokio::test]
async fn another_issuer_is_rejected() {
    let server = server().await;
    for iss in [
        "https://auth.passage.id/v1/apps/another_app".to_owned(),
        format!("{}/v1/apps/{APP_ID}/", server.base_url),
        String::new(),
    ] {
        let token = server.token_with(key_a(), |c| c["iss"] = json!(iss));
        let err = validate(&server, &token).await.unwrap_err();
        assert!(matches!(err, AuthError::WrongIssuer), "{iss:?}: {err:?}");
    }
}

#[tokio::test]
async fn a_token_without_iss_is_rejected() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| {
        c.as_object_mut().unwrap().remove("iss");
    });
    let err = validate(&server, &token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::MissingClaim { claim: "iss" }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_configured_issuer_replaces_the_default() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| c["iss"] = json!("https://issuer.example"));
    let passage = server.passage().issuer("https://issuer.example");
    assert_eq!(check(passage, &token).await.unwrap(), USER_ID);
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::WrongIssuer), "{err:?}");
}

// --- subject ---

#[tokio::test]
async fn a_token_without_sub_is_rejected() {
    let server = server().await;
    let token = server.token_with(key_a(), |c| {
        c.as_object_mut().unwrap().remove("sub");
    });
    let err = validate(&server, &token).await.unwrap_err();
    assert!(matches!(err, AuthError::MissingSubject), "{err:?}");
}

#[tokio::test]
async fn an_empty_or_blank_sub_is_rejected() {
    let server = server().await;
    for sub in ["", "   "] {
        let token = server.token_with(key_a(), |c| c["sub"] = json!(sub));
        let err = validate(&server, &token).await.unwrap_err();
        assert!(matches!(err, AuthError::MissingSubject), "{sub:?}: {err:?}");
    }
}

// --- what errors show ---

#[tokio::test]
async fn errors_never_show_the_token() {
    let server = server().await;
    let expired = server.token_with(key_a(), |c| c["exp"] = json!(now() - 100));
    let unknown = server.token(key_b());
    let tampered = flip_signature(&server.token(key_a()));
    let huge = format!("{}{}", server.token(key_a()), "A".repeat(9000));
    for token in [expired, unknown, tampered, huge] {
        let err = validate(&server, &token).await.unwrap_err();
        let signature = token.rsplit_once('.').unwrap().1;
        let payload = token.split('.').nth(1).unwrap();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(signature), "{shown}");
            assert!(!shown.contains(payload), "{shown}");
        }
    }
}

#[tokio::test]
async fn every_error_has_a_distinct_code() {
    use std::collections::HashSet;
    let server = server().await;
    let claims = valid_claims(&server.base_url);
    let cases = [
        forge(&json!({"alg": "none"}), &claims, b""),
        "garbage".to_owned(),
        server.token(key_b()),
        server.token_with(key_a(), |c| c["exp"] = json!(now() - 100)),
        server.token_with(key_a(), |c| c["nbf"] = json!(now() + 100)),
        server.token_with(key_a(), |c| c["aud"] = json!("x")),
        server.token_with(key_a(), |c| c["iss"] = json!("x")),
        server.token_with(key_a(), |c| c["sub"] = json!("")),
        flip_signature(&server.token(key_a())),
    ];
    let mut codes = HashSet::new();
    for token in &cases {
        let err = validate(&server, token).await.unwrap_err();
        assert!(codes.insert(err.code()), "duplicate code {}", err.code());
    }
}
