//! What authenticating a request costs, next to the RS256 signature check it cannot avoid.
//!
//! `cargo bench --bench validate_jwt`
//!
//! - `validate_jwt/warm_cache`: a full validation with the key set loaded.
//! - `rs256_verify/aws_lc_rs`: the bare RSA PKCS#1 v1.5 SHA-256 verification of the same token's
//!   signing input with aws-lc-rs (the backend jsonwebtoken uses here), key parsed per call as
//!   jsonwebtoken does.
//! - `rs256_verify/aws_lc_rs_parsed`: the same with the key parsed once, ahead of time: the floor
//!   a validation could reach if it held aws-lc-rs keys itself instead of jsonwebtoken's, which
//!   are parsed on every call.
//! - `rs256_verify/jsonwebtoken_crypto`: the same through `jsonwebtoken::crypto::verify`.
//! - `authenticate_request/{cookie,header}`: token extraction plus validation.
//!
//! At the end it prints the ratio of a validation to a bare verification, measured call by call
//! in alternation (target: at most 1.2).

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group};
use http::{HeaderMap, HeaderValue, header};
use passage_identity::emulator::{SigningKey, jwks_document};
use passage_identity::{AuthStrategy, Passage};

const APP_ID: &str = "bench_app";

struct Fixture {
    runtime: tokio::runtime::Runtime,
    passage: Passage,
    token: String,
    n: Vec<u8>,
    e: Vec<u8>,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    signature_b64: String,
    decoding_key: jsonwebtoken::DecodingKey,
}

fn fixture(strategy: AuthStrategy) -> Fixture {
    let key = SigningKey::generate().expect("key generation");
    let jwks = jwks_document([&key]).to_string();
    let passage = Passage::builder(APP_ID)
        .jwks_json(jwks)
        .auth_strategy(strategy)
        .build()
        .expect("valid configuration");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let claims = serde_json::json!({
        "sub": "bench-user-0123456789abcd",
        "iss": passage.issuer(),
        "aud": ["https://bench.withpassage.com", APP_ID],
        "exp": now + 3600,
        "nbf": now - 60,
        "iat": now - 60,
    });
    let token = key.sign(&claims).expect("signing");
    let (signing_input, signature_b64) = token.rsplit_once('.').expect("three parts");
    let component = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(key.jwk()[name].as_str().expect("string member"))
            .expect("base64url")
    };
    let (n, e) = (component("n"), component("e"));
    let decoding_key = jsonwebtoken::DecodingKey::from_rsa_raw_components(&n, &e);
    Fixture {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
        passage,
        signing_input: signing_input.as_bytes().to_vec(),
        signature: URL_SAFE_NO_PAD
            .decode(signature_b64)
            .expect("base64url signature"),
        signature_b64: signature_b64.to_owned(),
        token,
        n,
        e,
        decoding_key,
    }
}

impl Fixture {
    fn raw_verify(&self) {
        let key = RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        };
        key.verify(
            &RSA_PKCS1_2048_8192_SHA256,
            black_box(&self.signing_input),
            black_box(&self.signature),
        )
        .expect("valid signature");
    }

    async fn validate(&self) {
        let user = self
            .passage
            .auth()
            .validate_jwt(black_box(&self.token))
            .await
            .expect("valid token");
        black_box(user);
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture(AuthStrategy::Cookie);
    let user = f.runtime.block_on(f.passage.auth().validate_jwt(&f.token));
    assert_eq!(user.expect("valid token"), "bench-user-0123456789abcd");

    let mut group = c.benchmark_group("rs256_verify");
    group.bench_function("aws_lc_rs", |b| b.iter(|| f.raw_verify()));
    let parsed = RsaPublicKeyComponents { n: &f.n, e: &f.e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .expect("valid key");
    group.bench_function("aws_lc_rs_parsed", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(&f.signing_input), black_box(&f.signature))
                .expect("valid signature")
        })
    });
    group.bench_function("jsonwebtoken_crypto", |b| {
        b.iter(|| {
            let ok = jsonwebtoken::crypto::verify(
                black_box(&f.signature_b64),
                black_box(&f.signing_input),
                &f.decoding_key,
                jsonwebtoken::Algorithm::RS256,
            );
            assert_eq!(ok.ok(), Some(true));
        })
    });
    group.finish();

    c.bench_function("validate_jwt/warm_cache", |b| {
        b.to_async(&f.runtime).iter(|| f.validate())
    });

    let mut cookie = HeaderMap::new();
    cookie.insert(
        header::COOKIE,
        HeaderValue::from_str(&format!(
            "theme=dark; psg_auth_token={}; _ga=GA1.2.3",
            f.token
        ))
        .expect("header value"),
    );
    c.bench_function("authenticate_request/cookie", |b| {
        b.to_async(&f.runtime).iter(|| async {
            black_box(f.passage.authenticate_request(black_box(&cookie)).await)
                .expect("valid token");
        })
    });

    let h = fixture(AuthStrategy::Header);
    let mut bearer = HeaderMap::new();
    bearer.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {}", h.token)).expect("header value"),
    );
    c.bench_function("authenticate_request/header", |b| {
        b.to_async(&h.runtime).iter(|| async {
            black_box(h.passage.authenticate_request(black_box(&bearer)).await)
                .expect("valid token");
        })
    });

    print_ratio(&f);
}

/// Times validations and bare verifications call by call, alternating (so frequency scaling and
/// other load on the machine hit both alike), and prints the ratio of the fastest rounds and
/// the median of the per-round ratios.
fn print_ratio(f: &Fixture) {
    const ROUNDS: usize = 31;
    const PER_ROUND: u32 = 200;
    let mut verify = Vec::with_capacity(ROUNDS);
    let mut validate = Vec::with_capacity(ROUNDS);
    let mut ratios = Vec::with_capacity(ROUNDS);
    f.runtime.block_on(async {
        for _ in 0..ROUNDS {
            let (mut verify_total, mut validate_total) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..PER_ROUND {
                let t0 = Instant::now();
                f.raw_verify();
                let t1 = Instant::now();
                f.validate().await;
                let t2 = Instant::now();
                verify_total += t1 - t0;
                validate_total += t2 - t1;
            }
            verify.push(verify_total / PER_ROUND);
            validate.push(validate_total / PER_ROUND);
            ratios.push(validate_total.as_secs_f64() / verify_total.as_secs_f64());
        }
    });
    verify.sort();
    validate.sort();
    ratios.sort_by(f64::total_cmp);
    println!();
    println!(
        "fastest round: validate_jwt {:?}/call, bare RS256 verify {:?}/call: ratio {:.3}x",
        validate[0],
        verify[0],
        validate[0].as_secs_f64() / verify[0].as_secs_f64()
    );
    println!(
        "median of the per-round ratios ({ROUNDS} rounds of {PER_ROUND} calls each): {:.3}x (target <= 1.2x)",
        ratios[ROUNDS / 2]
    );
}

criterion_group! {
    name = validate_jwt;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}

fn main() {
    validate_jwt();
    Criterion::default().configure_from_args().final_summary();
}
