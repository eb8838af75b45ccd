//! The JWKS, issued tokens verified with `jsonwebtoken` directly, token options, key rotation and
//! the token endpoint for other languages.

use std::time::{Duration, SystemTime};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use passage_identity::emulator::{Emulator, TokenOptions};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::emulator::support::{Auth, call, call_raw, emulator};

async fn fetch_jwks(emulator: &Emulator) -> JwkSet {
    reqwest::get(emulator.jwks_url())
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Verifies `token` as the vendor SDKs do (RS256, known kid, exp and nbf without leeway, aud
/// holding the app id), and the issuer too.
async fn verify(emulator: &Emulator, token: &str) -> jsonwebtoken::errors::Result<Value> {
    let jwks = fetch_jwks(emulator).await;
    let header = decode_header(token)?;
    let kid = header.kid.ok_or(ErrorKind::InvalidToken)?;
    let jwk = jwks.find(&kid).ok_or(ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_audience(&[emulator.app_id()]);
    validation.set_issuer(&[emulator.issuer()]);
    Ok(decode::<Value>(token, &key, &validation)?.claims)
}

fn kind(result: jsonwebtoken::errors::Result<Value>) -> ErrorKind {
    result.unwrap_err().into_kind()
}

#[tokio::test]
async fn the_jwks_holds_the_signing_key_as_an_rsa_jwk() {
    let emulator = emulator().await;
    let response = reqwest::get(emulator.jwks_url()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(response.headers().get("cache-control").is_none());
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["use"].as_str(),
            key["alg"].as_str()
        ),
        (Some("RSA"), Some("sig"), Some("RS256"))
    );
    assert_eq!(key["kid"], emulator.signing_kids()[0]);
    assert!(key["n"].as_str().unwrap().len() > 300, "2048-bit modulus");
    assert_eq!(key["e"], "AQAB");
    assert_eq!(jwks, emulator.jwks());
}

#[tokio::test]
async fn the_jwks_is_served_without_an_api_key() {
    let emulator = emulator().await;
    let path = format!("/v1/apps/{}/.well-known/jwks.json", emulator.app_id());
    let reply = call_raw(&emulator, Method::GET, &path, Auth::Nothing, None).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn the_jwks_carries_max_age_when_configured() {
    let emulator = Emulator::builder()
        .jwks_max_age(Some(Duration::from_secs(300)))
        .start()
        .await
        .unwrap();
    let response = reqwest::get(emulator.jwks_url()).await.unwrap();
    assert_eq!(response.headers()["cache-control"], "max-age=300");
}

#[tokio::test]
async fn the_jwks_of_another_app_is_404_app_not_found() {
    let emulator = emulator().await;
    let reply = call_raw(
        &emulator,
        Method::GET,
        "/v1/apps/other/.well-known/jwks.json",
        Auth::Nothing,
        None,
    )
    .await;
    reply.assert_error(StatusCode::NOT_FOUND, "app_not_found");
}

#[tokio::test]
async fn an_issued_token_verifies_against_the_jwks_with_passages_claims() {
    let emulator = emulator().await;
    let token = emulator.issue_token("user_123").unwrap();
    let header = decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(
        header.kid.as_deref(),
        Some(emulator.signing_kids()[0].as_str())
    );
    let claims = verify(&emulator, &token).await.unwrap();
    assert_eq!(claims["sub"], "user_123");
    assert_eq!(
        claims["iss"],
        format!("{}/v1/apps/{}", emulator.auth_base_url(), emulator.app_id())
    );
    assert_eq!(
        claims["aud"],
        json!([emulator.auth_base_url(), emulator.app_id()])
    );
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["nbf"].as_i64().unwrap(), iat);
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 3600);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - iat).abs() <= 5);
}

#[tokio::test]
async fn an_expired_token_fails_verification() {
    let emulator = emulator().await;
    let past = SystemTime::now() - Duration::from_secs(60);
    let token = emulator
        .issue_token_with("u", TokenOptions::default().expires_at(past))
        .unwrap();
    assert_eq!(
        kind(verify(&emulator, &token).await),
        ErrorKind::ExpiredSignature
    );
}

#[tokio::test]
async fn a_token_not_yet_valid_fails_verification() {
    let emulator = emulator().await;
    let later = SystemTime::now() + Duration::from_secs(600);
    let token = emulator
        .issue_token_with("u", TokenOptions::default().not_before(later))
        .unwrap();
    assert_eq!(
        kind(verify(&emulator, &token).await),
        ErrorKind::ImmatureSignature
    );
}

#[tokio::test]
async fn ttl_and_issued_at_set_the_times() {
    let emulator = emulator().await;
    let issued = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let token = emulator
        .issue_token_with(
            "u",
            TokenOptions::default()
                .issued_at(issued)
                .ttl(Duration::from_secs(60)),
        )
        .unwrap();
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(&token)
        .unwrap()
        .claims;
    assert_eq!(claims["iat"], 2_000_000_000);
    assert_eq!(claims["nbf"], 2_000_000_000);
    assert_eq!(claims["exp"], 2_000_000_060);
}

#[tokio::test]
async fn another_audience_or_issuer_fails_verification() {
    let emulator = emulator().await;
    let token = emulator
        .issue_token_with("u", TokenOptions::default().audience(json!("someone-else")))
        .unwrap();
    assert_eq!(
        kind(verify(&emulator, &token).await),
        ErrorKind::InvalidAudience
    );
    let token = emulator
        .issue_token_with("u", TokenOptions::default().issuer("https://evil.example"))
        .unwrap();
    assert_eq!(
        kind(verify(&emulator, &token).await),
        ErrorKind::InvalidIssuer
    );
}

#[tokio::test]
async fn an_audience_of_just_the_app_id_verifies() {
    let emulator = emulator().await;
    let token = emulator
        .issue_token_with(
            "u",
            TokenOptions::default().audience(json!(emulator.app_id())),
        )
        .unwrap();
    assert!(verify(&emulator, &token).await.is_ok());
}

#[tokio::test]
async fn extra_and_missing_claims_are_as_asked() {
    let emulator = emulator().await;
    let token = emulator
        .issue_token_with(
            "u",
            TokenOptions::default()
                .claim("role", json!("admin"))
                .claim("sub", json!(42))
                .without_claim("nbf"),
        )
        .unwrap();
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(&token)
        .unwrap()
        .claims;
    assert_eq!(claims["role"], "admin");
    assert_eq!(claims["sub"], 42);
    assert!(claims.get("nbf").is_none());
}

#[tokio::test]
async fn a_token_naming_an_unknown_kid_has_no_key_in_the_jwks() {
    let emulator = emulator().await;
    let token = emulator
        .issue_token_with("u", TokenOptions::default().kid("unknown-kid"))
        .unwrap();
    assert_eq!(
        decode_header(&token).unwrap().kid.as_deref(),
        Some("unknown-kid")
    );
    assert!(fetch_jwks(&emulator).await.find("unknown-kid").is_none());
}

#[tokio::test]
async fn a_token_signed_by_an_unknown_key_fails_the_signature_check() {
    let emulator = emulator().await;
    let token = emulator
        .issue_token_with("u", TokenOptions::default().signed_by_unknown_key())
        .unwrap();
    assert_eq!(
        decode_header(&token).unwrap().kid.as_deref(),
        Some(emulator.signing_kids()[0].as_str())
    );
    assert_eq!(
        kind(verify(&emulator, &token).await),
        ErrorKind::InvalidSignature
    );
}

#[tokio::test]
async fn rotating_and_keeping_old_keys_publishes_both_and_signs_with_the_new() {
    let emulator = emulator().await;
    let old_token = emulator.issue_token("u").unwrap();
    let old_kid = emulator.signing_kids()[0].clone();
    emulator.rotate_keys(true).unwrap();
    let kids = emulator.signing_kids();
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[1], old_kid);
    let new_token = emulator.issue_token("u").unwrap();
    assert_eq!(
        decode_header(&new_token).unwrap().kid.as_deref(),
        Some(kids[0].as_str())
    );
    let published: Vec<_> = fetch_jwks(&emulator)
        .await
        .keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(published, kids);
    assert!(verify(&emulator, &old_token).await.is_ok());
    assert!(verify(&emulator, &new_token).await.is_ok());
}

#[tokio::test]
async fn rotating_without_keeping_old_keys_retires_them() {
    let emulator = emulator().await;
    let old_token = emulator.issue_token("u").unwrap();
    let old_kid = emulator.signing_kids()[0].clone();
    emulator.rotate_keys(false).unwrap();
    assert_eq!(emulator.signing_kids().len(), 1);
    assert_ne!(emulator.signing_kids()[0], old_kid);
    assert!(fetch_jwks(&emulator).await.find(&old_kid).is_none());
    assert!(verify(&emulator, &old_token).await.is_err());
    assert!(
        verify(&emulator, &emulator.issue_token("u").unwrap())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_token_endpoint_issues_verifiable_tokens() {
    let emulator = emulator().await;
    let path = format!("/emulator/v1/apps/{}/tokens", emulator.app_id());
    let reply = call(
        &emulator,
        Method::POST,
        &path,
        Some(json!({"user_id": "u_9", "ttl_seconds": 120})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let token = reply.json()["token"].as_str().unwrap().to_owned();
    let claims = verify(&emulator, &token).await.unwrap();
    assert_eq!(claims["sub"], "u_9");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );
}

#[tokio::test]
async fn the_token_endpoint_rejects_bad_requests() {
    let emulator = emulator().await;
    let path = format!("/emulator/v1/apps/{}/tokens", emulator.app_id());
    for body in [
        json!({}),
        json!({"user_id": ""}),
        json!({"user_id": "u", "ttl_seconds": 0}),
        json!({"user_id": 7}),
    ] {
        let reply = call(&emulator, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}
