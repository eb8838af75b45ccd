//! The checks behind the fuzz targets, one function per target, shared by the targets under
//! `fuzz/fuzz_targets/` and by the corpus replay test (`tests/fuzz_corpus.rs`), so that the
//! fuzzer and CI hold every input to the same rules.
//!
//! Each check takes arbitrary bytes, drives the public API with them, and panics when the crate
//! breaks one of its promises: a panic inside the crate, two calls that must agree but do not, a
//! token accepted that should not be, a secret shown where it must not be.
//!
//! Everything runs on one fixture per process: a signing key published under the fixed key id
//! [`KID`] (so corpus files keep reaching the signature check from one run to the next), a
//! second key that is never published, and one current-thread tokio runtime.

#![allow(dead_code)] // Each fuzz target uses one check of this file.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue};
use passage_identity::emulator::SigningKey;
use passage_identity::raw::types;
use passage_identity::{
    AuthError, AuthStrategy, Claims, ConfigError, CreateMagicLink, MagicLink, ManagementError,
    Passage, RetryPolicy,
};
use serde_json::json;
use serde_json::value::RawValue;

/// The app the fixture tokens are issued for.
pub const APP_ID: &str = "fuzz-app";
/// The issuer the fixture app expects.
pub const ISSUER: &str = "https://auth.example.com/v1/apps/fuzz-app";
/// The key id the fixture key is published under, the same in every run.
pub const KID: &str = "fuzz-key";
/// The user the fixture tokens name.
pub const USER_ID: &str = "fuzz-user";
/// The API key of the management fixture; it must never show in an error.
pub const API_KEY: &str = "fuzz-api-key-4f6d1c";

/// The check of one target: panics when the input shows a broken promise.
pub type Check = fn(&[u8]);

/// Every target, by name, with its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("validate_jwt", validate_jwt),
    ("validate_claims", validate_claims),
    ("authenticate_request", authenticate_request),
    ("jwks_json", jwks_json),
    ("management_decode", management_decode),
    ("management_response", management_response),
];

/// In the header target, these placeholders in a header value stand for the fixture tokens.
pub const PLACEHOLDERS: [(&[u8], Token); 3] = [
    (b"$T", Token::Valid),
    (b"$E", Token::Expired),
    (b"$F", Token::Forged),
];

/// The fixture tokens a header value can hold.
#[derive(Clone, Copy, Debug)]
pub enum Token {
    /// Valid for [`USER_ID`].
    Valid,
    /// Expired an hour ago.
    Expired,
    /// Good claims, the fixture key id, signed by the key that is never published.
    Forged,
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    key: SigningKey,
    unpublished: SigningKey,
    /// One app per strategy, in the order of [`STRATEGIES`].
    apps: Vec<Passage>,
    valid: String,
    expired: String,
    forged: String,
    /// Tokens with good claims signed by the unpublished key, by key id (for the JWKS target).
    forged_by_kid: Mutex<HashMap<String, String>>,
}

const STRATEGIES: [AuthStrategy; 3] = [
    AuthStrategy::Cookie,
    AuthStrategy::Header,
    AuthStrategy::HeaderOrCookie,
];

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let key = SigningKey::generate().expect("a signing key");
        let unpublished = SigningKey::generate().expect("a second signing key");
        let mut jwk = key.jwk().clone();
        jwk["kid"] = json!(KID);
        let jwks = json!({ "keys": [jwk] }).to_string();
        let apps = STRATEGIES
            .iter()
            .map(|strategy| {
                Passage::builder(APP_ID)
                    .issuer(ISSUER)
                    .jwks_json(jwks.clone())
                    .auth_strategy(*strategy)
                    .build()
                    .expect("the fixture app")
            })
            .collect();
        let now = unix_now();
        let valid = key
            .sign_with_kid(&claims(now + 3600), KID)
            .expect("a token");
        let expired = key
            .sign_with_kid(&claims(now - 3600), KID)
            .expect("a token");
        let forged = unpublished
            .sign_with_kid(&claims(now + 3600), KID)
            .expect("a token");
        Fixture {
            runtime,
            key,
            unpublished,
            apps,
            valid,
            expired,
            forged,
            forged_by_kid: Mutex::new(HashMap::new()),
        }
    })
}

impl Fixture {
    fn app(&self, strategy: AuthStrategy) -> &Passage {
        let index = STRATEGIES
            .iter()
            .position(|s| *s == strategy)
            .expect("a known strategy");
        &self.apps[index]
    }

    fn token(&self, token: Token) -> &str {
        match token {
            Token::Valid => &self.valid,
            Token::Expired => &self.expired,
            Token::Forged => &self.forged,
        }
    }

    /// A token with good claims and key id `kid`, signed by the unpublished key.
    fn forged_with_kid(&self, kid: &str) -> String {
        let mut cache = lock(&self.forged_by_kid);
        if cache.len() > 4096 {
            cache.clear();
        }
        cache
            .entry(kid.to_owned())
            .or_insert_with(|| {
                self.unpublished
                    .sign_with_kid(&claims(unix_now() + 3600), kid)
                    .expect("a token")
            })
            .clone()
    }
}

fn claims(exp: i64) -> serde_json::Value {
    json!({ "sub": USER_ID, "iss": ISSUER, "aud": APP_ID, "exp": exp, "iat": unix_now() })
}

fn unix_now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970");
    i64::try_from(since.as_secs()).expect("seconds fit in i64")
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A check that failed while holding the lock leaves nothing half-done behind it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The verdict of a validation, for comparing two of them: the user id, or the error code.
fn verdict<T>(result: &Result<T, AuthError>, user: impl Fn(&T) -> &str) -> Result<String, String> {
    match result {
        Ok(value) => Ok(user(value).to_owned()),
        Err(e) => {
            // Formatting an error must not panic either.
            let _ = (e.to_string(), format!("{e:?}"));
            Err(e.code().to_owned())
        }
    }
}

/// The results of the two calls that validate one token (`validate_jwt` and
/// `validate_jwt_claims`, or their `authenticate_request` pair), which must agree: the same
/// verdict, never a server error from a fixed key set, and for an accepted token claims that
/// pass every rule. Returns the verdict.
fn agree(
    id: &Result<String, AuthError>,
    claims: &Result<Claims, AuthError>,
    what: &dyn std::fmt::Debug,
) -> Result<String, String> {
    let by_id = verdict(id, |id| id);
    let by_claims = verdict(claims, |claims| &claims.sub);
    assert_eq!(
        by_id, by_claims,
        "the user id and the claims calls disagree on {what:?}"
    );
    if let Err(e) = id {
        assert!(
            e.is_client_error(),
            "a fixed key set is never unavailable, yet {what:?} got {e:?}"
        );
    }
    if let Ok(claims) = claims {
        let now = unix_now();
        assert!(!claims.sub.trim().is_empty(), "accepted without a subject");
        assert_eq!(claims.iss, ISSUER, "accepted from another issuer");
        assert!(claims.aud.contains(APP_ID), "accepted for another audience");
        assert!(claims.exp > now, "accepted after it expired");
        assert!(
            claims.nbf.is_none_or(|nbf| nbf <= now),
            "accepted before it is valid"
        );
    }
    by_id
}

/// Validates `token` with `validate_jwt` and `validate_jwt_claims`, which must [`agree`].
fn validate_both(token: &str) -> Result<String, String> {
    let f = fixture();
    let auth = f.app(AuthStrategy::Cookie).auth();
    let (id, claims) = f.runtime.block_on(async {
        (
            auth.validate_jwt(token).await,
            auth.validate_jwt_claims(token).await,
        )
    });
    agree(&id, &claims, &token)
}

/// Target `validate_jwt`: the input, as text, is the token. Both validation calls must agree,
/// and since the fuzzer cannot sign with the fixture key, no input may ever be accepted.
pub fn validate_jwt(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    if let Ok(user) = validate_both(&token) {
        panic!("a token the fixture key never signed was accepted for {user:?}: {token:?}");
    }
}

/// Target `validate_claims`: the input is the payload (claims) of a token signed with the
/// fixture key, so every input reaches the claim checks. Inputs that are not JSON are skipped:
/// a signer only signs JSON. The token is also presented in a cookie and in a Bearer header,
/// which must give the same verdict as validating it directly.
pub fn validate_claims(data: &[u8]) {
    let Ok(payload) = serde_json::from_slice::<Box<RawValue>>(data) else {
        return;
    };
    let f = fixture();
    let token = f.key.sign_with_kid(&payload, KID).expect("signing");
    let direct = validate_both(&token);

    let mut cookie = HeaderMap::new();
    cookie.insert(COOKIE, header(format!("psg_auth_token={token}")));
    let mut bearer = HeaderMap::new();
    bearer.insert(AUTHORIZATION, header(format!("Bearer {token}")));
    for (strategy, headers) in [
        (AuthStrategy::Cookie, &cookie),
        (AuthStrategy::Header, &bearer),
        (AuthStrategy::HeaderOrCookie, &bearer),
        (AuthStrategy::HeaderOrCookie, &cookie),
    ] {
        let by_request = authenticate(strategy, headers);
        assert_eq!(
            by_request, direct,
            "authenticate_request ({strategy:?}) and validate_jwt disagree on {token:?}"
        );
    }
}

fn header(value: String) -> HeaderValue {
    HeaderValue::from_str(&value).expect("a token is a valid header value")
}

/// Calls `authenticate_request` and `authenticate_request_claims`, which must [`agree`].
fn authenticate(strategy: AuthStrategy, headers: &HeaderMap) -> Result<String, String> {
    let f = fixture();
    let app = f.app(strategy);
    let (id, claims) = f.runtime.block_on(async {
        (
            app.authenticate_request(headers).await,
            app.authenticate_request_claims(headers).await,
        )
    });
    agree(&id, &claims, &(strategy, headers))
}

/// The request headers the header target makes of its input: one header per line, the first
/// byte of a line choosing the name (`C` Cookie, `A` Authorization, anything else an unrelated
/// header), the rest its value, with the [`PLACEHOLDERS`] replaced by the fixture tokens.
/// Values `HeaderValue::from_bytes` refuses are left out.
pub fn headers_of(data: &[u8]) -> HeaderMap {
    let f = fixture();
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some((kind, value)) = line.split_first() else {
            continue;
        };
        let name = match kind {
            b'C' => COOKIE,
            b'A' => AUTHORIZATION,
            _ => HeaderName::from_static("x-fuzz"),
        };
        let mut expanded = value.to_vec();
        for (placeholder, token) in PLACEHOLDERS {
            expanded = replace(&expanded, placeholder, f.token(token).as_bytes());
        }
        if let Ok(value) = HeaderValue::from_bytes(&expanded) {
            headers.append(name, value);
        }
    }
    headers
}

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Target `authenticate_request`: request headers made of the input ([`headers_of`]),
/// authenticated with every strategy. Never a panic; an accepted request is the fixture user's
/// (the only valid token the input can hold); `HeaderOrCookie` decides like `Header` when the
/// request has an Authorization header and like `Cookie` otherwise.
pub fn authenticate_request(data: &[u8]) {
    let headers = headers_of(data);
    let [cookie, bearer, either] = STRATEGIES.map(|strategy| {
        let result = authenticate(strategy, &headers);
        if let Ok(user) = &result {
            assert_eq!(user, USER_ID, "{strategy:?} accepted {headers:?}");
        }
        result
    });
    let expected = if headers.contains_key(AUTHORIZATION) {
        bearer
    } else {
        cookie
    };
    assert_eq!(
        either, expected,
        "HeaderOrCookie does not decide like the header or the cookie would on {headers:?}"
    );
}

/// Target `jwks_json`: the input, as text, is the app's JWKS. Building fails only with
/// `ConfigError::InvalidSetting` for `jwks_json`; a set that builds has keys, and a token signed
/// by a key outside it is rejected whatever its key id.
pub fn jwks_json(data: &[u8]) {
    let jwks = String::from_utf8_lossy(data).into_owned();
    let built = Passage::builder(APP_ID)
        .issuer(ISSUER)
        .jwks_json(jwks)
        .build();
    let app = match built {
        Ok(app) => app,
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            assert!(
                matches!(
                    e,
                    ConfigError::InvalidSetting {
                        setting: "jwks_json",
                        ..
                    }
                ),
                "a bad key set must be an InvalidSetting of jwks_json, got {e:?}"
            );
            return;
        }
    };
    let kids = app.auth().key_ids();
    assert!(
        !kids.is_empty(),
        "a key set with no usable key was accepted"
    );
    assert!(kids.is_sorted(), "key_ids are not sorted: {kids:?}");
    let f = fixture();
    let absent = "fuzz-absent-key";
    let mut tried: Vec<&str> = kids.iter().map(String::as_str).take(8).collect();
    if !kids.iter().any(|kid| kid == absent) {
        tried.push(absent);
    }
    for kid in tried {
        let token = f.forged_with_kid(kid);
        let result = f.runtime.block_on(app.auth().validate_jwt(&token));
        let expected = if kids.iter().any(|k| k == kid) {
            "invalid_signature"
        } else {
            "unknown_key_id"
        };
        match result {
            Ok(user) => panic!("a token no key of the set signed was accepted ({kid:?}, {user})"),
            Err(e) => assert_eq!(e.code(), expected, "key id {kid:?}: {e:?}"),
        }
    }
}

/// Decodes `data` as `T`; a value that decodes must encode and decode back to itself.
fn round_trip<T>(data: &[u8]) -> Option<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let value: T = serde_json::from_slice(data).ok()?;
    let _ = format!("{value:?}");
    let encoded = serde_json::to_vec(&value).expect("a decoded value encodes");
    let decoded: T = serde_json::from_slice(&encoded).unwrap_or_else(|e| {
        panic!(
            "{} does not decode its own encoding {:?}: {e}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&encoded)
        )
    });
    assert_eq!(
        decoded,
        value,
        "{} changed in a round trip",
        std::any::type_name::<T>()
    );
    Some(value)
}

/// `MagicLink`'s `Debug` must not depend on the link's URL or secret.
fn check_magic_link_debug(link: &types::MagicLink) {
    let mut hidden = link.clone();
    hidden.url = String::new();
    hidden.secret = String::new();
    assert_eq!(
        format!("{:?}", MagicLink::from(link.clone())),
        format!("{:?}", MagicLink::from(hidden)),
        "MagicLink's Debug shows its URL or secret"
    );
}

/// Target `management_decode`: the input as the JSON body of each response type of the
/// Management API. Never a panic; whatever decodes survives a round trip; a magic link's
/// `Debug` never shows its URL or secret.
pub fn management_decode(data: &[u8]) {
    round_trip::<types::ApiError>(data);
    round_trip::<types::UserResponse>(data);
    round_trip::<types::PassageUser>(data);
    round_trip::<types::ListUsersResponse>(data);
    round_trip::<types::UserSummary>(data);
    round_trip::<types::DevicesResponse>(data);
    round_trip::<types::WebAuthnDevice>(data);
    round_trip::<types::AppResponse>(data);
    round_trip::<types::AppInfo>(data);
    if let Some(response) = round_trip::<types::MagicLinkResponse>(data) {
        check_magic_link_debug(&response.magic_link);
    }
    if let Some(link) = round_trip::<types::MagicLink>(data) {
        check_magic_link_debug(&link);
    }
}

/// A loopback HTTP server that answers every request with the bytes of [`ServerFixture::next`],
/// and an app whose management calls go to it.
struct ServerFixture {
    app: Passage,
    next: Mutex<Vec<u8>>,
    /// Held for the whole of one check: one answer is set and used at a time.
    busy: Mutex<()>,
}

fn server() -> &'static ServerFixture {
    static SERVER: OnceLock<ServerFixture> = OnceLock::new();
    SERVER.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr: SocketAddr = listener.local_addr().expect("its address");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // A client that gave up is not the server's concern.
                let _ = serve(stream);
            }
        });
        let app = Passage::builder(APP_ID)
            .api_key(API_KEY)
            .api_base_url(format!("http://{addr}/v1"))
            .timeout(Duration::from_secs(10))
            .retry(
                RetryPolicy::default()
                    .max_retries(1)
                    .initial_backoff(Duration::from_millis(1))
                    .max_backoff(Duration::from_millis(1))
                    .max_retry_after(Duration::ZERO),
            )
            .build()
            .expect("the management fixture");
        ServerFixture {
            app,
            next: Mutex::new(Vec::new()),
            busy: Mutex::new(()),
        }
    })
}

/// Reads one request (head and `Content-Length` body) and writes the prepared answer.
fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let answer = lock(&server().next).clone();
    stream.write_all(&answer)?;
    stream.flush()
}

const STATUSES: [u16; 20] = [
    200, 201, 202, 204, 206, 299, 301, 304, 400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503,
    504,
];

/// The HTTP answer the management target makes of its input: byte 0 picks the status, byte 1
/// the call, byte 2 the headers (bits 0-1 the content type, bit 2 a `Retry-After` whose value is
/// the next line, bit 3 no `Content-Length`, so the body ends when the connection closes), and
/// the rest is the body.
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// Which call is made.
    pub call: u8,
    /// The raw response.
    pub bytes: Vec<u8>,
    /// The body.
    pub body: &'a [u8],
}

/// Splits the management target's input into an [`Answer`].
pub fn answer_of(data: &[u8]) -> Answer<'_> {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let status = STATUSES[usize::from(byte(0)) % STATUSES.len()];
    let call = byte(1);
    let flags = byte(2);
    let mut rest = data.get(3..).unwrap_or_default();
    let mut head = format!("HTTP/1.1 {status} Fuzz\r\nConnection: close\r\n").into_bytes();
    match flags & 3 {
        0 => head.extend_from_slice(b"Content-Type: application/json\r\n"),
        1 => head.extend_from_slice(b"Content-Type: text/html\r\n"),
        2 => {}
        _ => head.extend_from_slice(b"Content-Type: application/json; charset=utf-8\r\n"),
    }
    if flags & 4 != 0 {
        let (value, after) = match rest.iter().position(|b| *b == b'\n') {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &[][..]),
        };
        if HeaderValue::from_bytes(value).is_ok() {
            head.extend_from_slice(b"Retry-After: ");
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        }
        rest = after;
    }
    if flags & 8 == 0 {
        head.extend_from_slice(format!("Content-Length: {}\r\n", rest.len()).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(rest);
    Answer {
        status,
        call,
        bytes: head,
        body: rest,
    }
}

/// What a management call returned, reduced to what the checks look at.
enum Outcome {
    Ok,
    MagicLink(MagicLink),
    Err(ManagementError),
}

fn outcome<T>(result: Result<T, ManagementError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Ok,
        Err(e) => Outcome::Err(e),
    }
}

/// Target `management_response`: the input is the HTTP answer of the Management API
/// ([`answer_of`]) to one of the facade's calls. Never a panic; an error never shows the API
/// key; a successful JSON answer is never kept as an excerpt (it may hold secrets); a Passage
/// error body on a 4xx/5xx status is reported with its code; a magic link's `Debug` hides its
/// secret.
pub fn management_response(data: &[u8]) {
    let answer = answer_of(data);
    let s = server();
    let _busy = lock(&s.busy);
    *lock(&s.next) = answer.bytes.clone();
    let f = fixture();
    let app = &s.app;
    let result = f.runtime.block_on(async {
        match answer.call % 8 {
            0 => outcome(app.user().get(USER_ID).await),
            1 => outcome(app.user().list().limit(5).send().await),
            2 => match app
                .create_magic_link(CreateMagicLink::email("ada@example.com"))
                .await
            {
                Ok(link) => Outcome::MagicLink(link),
                Err(e) => Outcome::Err(e),
            },
            3 => outcome(app.app().get().await),
            4 => outcome(app.user().list_devices(USER_ID).await),
            5 => outcome(app.user().delete(USER_ID).await),
            6 => outcome(app.user().get_by_identifier("ada@example.com").await),
            _ => outcome(app.user().revoke_refresh_tokens(USER_ID).await),
        }
    });
    match result {
        Outcome::Ok => {}
        Outcome::MagicLink(link) => {
            let shown = format!("{link:?}");
            if link.secret().len() >= 8 {
                assert!(!shown.contains(link.secret()), "Debug shows the secret");
            }
        }
        Outcome::Err(e) => check_management_error(&e, &answer),
    }
}

fn check_management_error(e: &ManagementError, answer: &Answer<'_>) {
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains(API_KEY),
        "an error shows the API key: {shown}"
    );
    let success = (200..300).contains(&answer.status);
    let json = matches!(answer.body.trim_ascii_start().first(), Some(b'{' | b'['));
    if success && json {
        assert_eq!(
            e.body_excerpt(),
            None,
            "a successful JSON answer was kept in an error"
        );
    }
    if let Some(excerpt) = e.body_excerpt() {
        assert!(
            excerpt.len() <= 4 * 512,
            "an excerpt of {} bytes",
            excerpt.len()
        );
    }
    if answer.status >= 400
        && let Ok(api) = serde_json::from_slice::<types::ApiError>(answer.body)
    {
        assert_eq!(
            e.code(),
            Some(api.code.as_str()),
            "a Passage error body on {} was not reported as such: {e:?}",
            answer.status
        );
    }
}
