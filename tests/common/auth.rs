//! For the auth tests: a controllable JWKS server on loopback, signing keys, token crafting.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use passage_identity::auth::KeySetError;
use passage_identity::emulator::{SigningKey, jwks_document};
use passage_identity::{AuthError, Passage, PassageBuilder};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

/// The app id of every auth test.
pub const APP_ID: &str = "app_test_0123456789";
/// The auth origin older tokens carried as their only audience.
pub const AUTH_ORIGIN: &str = "https://app-test.withpassage.com";
/// The user id in test tokens.
pub const USER_ID: &str = "user_0123456789abcdefghij";

/// The path Passage serves an app's JWKS at.
pub fn jwks_path() -> String {
    format!("/v1/apps/{APP_ID}/.well-known/jwks.json")
}

/// Two signing keys made once per test binary (generating one takes a moment).
pub fn key_a() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().expect("key generation"))
}

/// A second signing key, for rotation.
pub fn key_b() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().expect("key generation"))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Claims Passage would issue for `USER_ID` on an app served at `base_url`.
pub fn valid_claims(base_url: &str) -> Value {
    let now = now();
    json!({
        "sub": USER_ID,
        "iss": format!("{base_url}/v1/apps/{APP_ID}"),
        "aud": [AUTH_ORIGIN, APP_ID],
        "exp": now + 600,
        "nbf": now - 5,
        "iat": now - 5,
    })
}

/// base64url without padding.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token from any header, claims and signature bytes, for shapes no JWT library produces.
pub fn forge(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string()),
        b64(claims.to_string()),
        b64(signature)
    )
}

/// An RSA key that signs any header: the attacker's key, or a JWKS key for header tricks.
pub struct RawKey {
    pair: KeyPair,
    pub kid: String,
}

impl RawKey {
    pub fn generate(kid: &str) -> Self {
        Self {
            pair: KeyPair::generate(KeySize::Rsa2048).expect("key generation"),
            kid: kid.to_owned(),
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        let components = PublicKeyComponents::<Vec<u8>>::from(self.pair.public_key());
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": b64(&components.n), "e": b64(&components.e),
        })
    }

    /// The public key as PKCS#1 DER bytes (what an HS256 confusion attack uses as the secret).
    pub fn public_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// An RS256 signature over `header.claims` with exactly this header.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.sign_json(&header.to_string(), &claims.to_string())
    }

    /// An RS256 token of exactly these JSON texts, for shapes a `Value` cannot hold (a member
    /// given twice).
    pub fn sign_json(&self, header: &str, claims: &str) -> String {
        let input = format!("{}.{}", b64(header), b64(claims));
        let mut signature = vec![0; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut signature)
            .expect("signing");
        format!("{input}.{}", b64(signature))
    }
}

/// What the JWKS server answers, changed by the test while it runs.
struct ServerState {
    body: Mutex<Vec<u8>>,
    status: Mutex<StatusCode>,
    cache_control: Mutex<Vec<String>>,
    gate: Mutex<Option<Arc<Semaphore>>>,
    fetches: AtomicUsize,
    fetch_times: Mutex<Vec<std::time::Instant>>,
    fetched: watch::Sender<usize>,
}

/// A JWKS endpoint on 127.0.0.1 that counts its requests and can switch keys, fail, hold
/// responses and set `Cache-Control`. Stops when dropped.
pub struct JwksServer {
    pub base_url: String,
    state: Arc<ServerState>,
    task: JoinHandle<()>,
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl JwksServer {
    /// Serves the JWKS of `keys` at `/v1/apps/{APP_ID}/.well-known/jwks.json`.
    pub async fn start(keys: &[&SigningKey]) -> Self {
        Self::start_with_document(&jwks_document(keys.iter().copied())).await
    }

    /// Serves `document` as the JWKS.
    pub async fn start_with_document(document: &Value) -> Self {
        let state = Arc::new(ServerState {
            body: Mutex::new(document.to_string().into_bytes()),
            status: Mutex::new(StatusCode::OK),
            cache_control: Mutex::new(Vec::new()),
            gate: Mutex::new(None),
            fetches: AtomicUsize::new(0),
            fetch_times: Mutex::new(Vec::new()),
            fetched: watch::Sender::new(0),
        });
        let app = Router::new()
            .route(&jwks_path(), get(serve_jwks))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr: SocketAddr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            state,
            task,
        }
    }

    /// A builder for the test app with its auth base URL on this server.
    pub fn passage(&self) -> PassageBuilder {
        Passage::builder(APP_ID).auth_base_url(&self.base_url)
    }

    /// A token for `USER_ID` signed with `key`.
    pub fn token(&self, key: &SigningKey) -> String {
        key.sign(&valid_claims(&self.base_url)).expect("signing")
    }

    /// A token signed with `key` whose claims are changed by `edit` first.
    pub fn token_with(&self, key: &SigningKey, edit: impl FnOnce(&mut Value)) -> String {
        let mut claims = valid_claims(&self.base_url);
        edit(&mut claims);
        key.sign(&claims).expect("signing")
    }

    /// From now on serve the JWKS of `keys`.
    pub fn serve_keys(&self, keys: &[&SigningKey]) {
        self.serve_document(&jwks_document(keys.iter().copied()));
    }

    /// From now on serve `document`.
    pub fn serve_document(&self, document: &Value) {
        self.serve_body(document.to_string().into_bytes());
    }

    /// From now on serve these bytes as the JWKS.
    pub fn serve_body(&self, body: Vec<u8>) {
        *self.state.body.lock().unwrap() = body;
    }

    /// From now on answer with `status` (and the usual body).
    pub fn answer_status(&self, status: u16) {
        *self.state.status.lock().unwrap() = StatusCode::from_u16(status).expect("status");
    }

    /// From now on send this `Cache-Control` header.
    pub fn cache_control(&self, value: &str) {
        self.cache_control_lines(&[value]);
    }

    /// From now on send one `Cache-Control` header line per value.
    pub fn cache_control_lines(&self, values: &[&str]) {
        *self.state.cache_control.lock().unwrap() = values.iter().map(|v| v.to_string()).collect();
    }

    /// From now on hold every response until the returned semaphore gets permits (one per
    /// response). Requests are counted when they arrive.
    pub fn hold(&self) -> Arc<Semaphore> {
        let gate = Arc::new(Semaphore::new(0));
        *self.state.gate.lock().unwrap() = Some(Arc::clone(&gate));
        gate
    }

    /// JWKS requests received so far.
    pub fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// When each JWKS request arrived.
    pub fn fetch_times(&self) -> Vec<std::time::Instant> {
        self.state.fetch_times.lock().unwrap().clone()
    }

    /// Waits until at least `count` JWKS requests have arrived (fails the test after 10 s).
    pub async fn wait_for_fetches(&self, count: usize) {
        let mut fetched = self.state.fetched.subscribe();
        let reached = tokio::time::timeout(
            Duration::from_secs(10),
            fetched.wait_for(|seen| *seen >= count),
        )
        .await;
        assert!(
            matches!(reached, Ok(Ok(_))),
            "expected {count} JWKS fetches, saw {}",
            self.fetches()
        );
    }
}

async fn serve_jwks(State(state): State<Arc<ServerState>>) -> Response {
    let count = state.fetches.fetch_add(1, Ordering::SeqCst) + 1;
    state
        .fetch_times
        .lock()
        .unwrap()
        .push(std::time::Instant::now());
    state.fetched.send_replace(count);
    let gate = state.gate.lock().unwrap().clone();
    if let Some(gate) = gate {
        gate.acquire().await.expect("gate open").forget();
    }
    let status = *state.status.lock().unwrap();
    let body = state.body.lock().unwrap().clone();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for value in state.cache_control.lock().unwrap().iter() {
        headers.append(
            header::CACHE_CONTROL,
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    (status, headers, body).into_response()
}

/// Checks `condition` until it holds, yielding in between; fails the test after 10 s.
pub async fn wait_until<F, Fut>(mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Waits until the key set `passage` holds is past its max age (as its own clock says), so
/// the next validation serves it stale and starts a refresh.
pub async fn until_stale(passage: &passage_identity::Passage) {
    wait_until(|| async {
        let stats = passage.auth().key_cache_stats();
        matches!((stats.age, stats.max_age), (Some(age), Some(max)) if age >= max)
    })
    .await;
}

/// A loopback URL where nothing listens (the port was just released).
pub async fn closed_base_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{addr}")
}

/// A `Passage` for the test app whose key set cannot be loaded (nothing listens at its auth
/// base URL), and a token it would otherwise accept.
pub async fn unreachable_passage() -> (Passage, String) {
    let passage = Passage::builder(APP_ID)
        .auth_base_url(closed_base_url().await)
        .build()
        .expect("the configuration is valid");
    let token = key_a()
        .sign(&valid_claims("http://unused"))
        .expect("signing");
    (passage, token)
}

/// An HTTP client for calling test servers.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

/// Serves `router` on 127.0.0.1 and returns its base URL; the server stops with the runtime.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// Serves a tower service with hyper (HTTP/1 and HTTP/2) on 127.0.0.1 and returns its base URL;
/// the server stops with the runtime.
pub async fn serve_service<S, B>(service: S) -> String
where
    S: tower::Service<http::Request<hyper::body::Incoming>, Response = http::Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// The key set error inside `KeySetUnavailable`; panics on any other error.
pub fn source_of(err: &AuthError) -> &KeySetError {
    match err {
        AuthError::KeySetUnavailable(source) => source,
        other => panic!("expected KeySetUnavailable, got {other:?}"),
    }
}
