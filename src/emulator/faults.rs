//! Injected faults: error statuses, `Retry-After`, latency, malformed bodies and dropped
//! connections, each for the next few requests that match a method and a path prefix.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::context::Context;
use super::http::connection::Connection;
use super::rejection::ApiError;

/// A fault to inject into the next matching requests, with [`Emulator::inject_fault`].
///
/// A fault matches requests by method and path prefix (the path as the server sees it, e.g.
/// `/v1/apps/{app_id}/users`; a full URL such as [`Emulator::jwks_url`] works too, and a query
/// string is ignored) and applies to the next [`times`](Fault::times) of them (default 1), then
/// is used up. Faults match every route, the JWKS included; when several match, the one
/// injected first applies.
///
/// What it does:
/// - [`status`](Fault::status): answers with that status and a body in Passage's error form;
/// - [`retry_after`](Fault::retry_after): adds a `Retry-After` header (alone: a 429);
/// - [`latency`](Fault::latency): waits before answering (alone: then answers normally);
/// - [`malformed_body`](Fault::malformed_body): answers with an HTML page instead of JSON
///   (status 200 unless [`status`](Fault::status) says otherwise);
/// - [`drop_connection`](Fault::drop_connection): closes the connection without answering.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use http::{Method, StatusCode};
/// use passage_identity::emulator::{Emulator, Fault};
///
/// let emulator = Emulator::start().await?;
/// let users = format!("/v1/apps/{}/users", emulator.app_id());
/// // The next two user listings get a 503 asking to come back in 1 s:
/// emulator.inject_fault(
///     Fault::on(Method::GET, &users).status(StatusCode::SERVICE_UNAVAILABLE).retry_after(1).times(2),
/// );
/// // The next JWKS fetch takes two seconds:
/// emulator.inject_fault(Fault::on(Method::GET, &emulator.jwks_url()).latency(Duration::from_secs(2)));
/// # Ok(()) }
/// ```
///
/// [`Emulator::inject_fault`]: super::Emulator::inject_fault
/// [`Emulator::jwks_url`]: super::Emulator::jwks_url
#[derive(Clone, Debug)]
#[must_use = "a fault does nothing until given to Emulator::inject_fault"]
pub struct Fault {
    method: Option<Method>,
    path_prefix: String,
    times: u32,
    status: Option<StatusCode>,
    retry_after: Option<u64>,
    latency: Option<Duration>,
    malformed: bool,
    drop_connection: bool,
}

impl Fault {
    /// A fault for requests with `method` whose path starts with `path_prefix`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// let users = format!("/v1/apps/{}/users", emulator.app_id());
    /// emulator.inject_fault(Fault::on(Method::DELETE, &users).status(StatusCode::FORBIDDEN));
    /// // A GET does not match:
    /// assert_eq!(reqwest::get(emulator.jwks_url()).await?.status(), 200);
    /// assert_eq!(emulator.pending_faults(), 1);
    /// # Ok(()) }
    /// ```
    pub fn on(method: Method, path_prefix: &str) -> Self {
        Self {
            method: Some(method),
            ..Self::any_method(path_prefix)
        }
    }

    /// A fault for requests of any method whose path starts with `path_prefix`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::any_method("/").status(StatusCode::SERVICE_UNAVAILABLE));
    /// assert_eq!(reqwest::get(emulator.jwks_url()).await?.status(), 503);
    /// # Ok(()) }
    /// ```
    pub fn any_method(path_prefix: &str) -> Self {
        Self {
            method: None,
            path_prefix: path_only(path_prefix).to_owned(),
            times: 1,
            status: None,
            retry_after: None,
            latency: None,
            malformed: false,
            drop_connection: false,
        }
    }

    /// How many matching requests the fault applies to. Default: 1 (0: it never applies).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::any_method("/").status(StatusCode::BAD_GATEWAY).times(2));
    /// assert_eq!(reqwest::get(emulator.jwks_url()).await?.status(), 502);
    /// assert_eq!(reqwest::get(emulator.jwks_url()).await?.status(), 502);
    /// assert_eq!(reqwest::get(emulator.jwks_url()).await?.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Answer with `status` and a Passage error body (`{"code": ..., "error": ...}`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::any_method("/").status(StatusCode::INTERNAL_SERVER_ERROR));
    /// let body: serde_json::Value = reqwest::get(emulator.jwks_url()).await?.json().await?;
    /// assert_eq!(body["code"], "internal_server_error");
    /// # Ok(()) }
    /// ```
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// Add `Retry-After: <seconds>`; without [`Fault::status`] the answer is a 429.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::any_method("/").retry_after(3));
    /// let response = reqwest::get(emulator.jwks_url()).await?;
    /// assert_eq!(response.status(), 429);
    /// assert_eq!(response.headers()["retry-after"], "3");
    /// # Ok(()) }
    /// ```
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Wait this long before answering.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// use std::time::{Duration, Instant};
    /// emulator.inject_fault(Fault::any_method("/").latency(Duration::from_millis(50)));
    /// let started = Instant::now();
    /// assert_eq!(reqwest::get(emulator.jwks_url()).await?.status(), 200);
    /// assert!(started.elapsed() >= Duration::from_millis(50));
    /// # Ok(()) }
    /// ```
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Answer with an HTML page instead of JSON, as a proxy or CDN in the way would.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::any_method("/").malformed_body());
    /// let page = reqwest::get(emulator.jwks_url()).await?.text().await?;
    /// assert!(page.starts_with("<!DOCTYPE html>"));
    /// # Ok(()) }
    /// ```
    pub fn malformed_body(mut self) -> Self {
        self.malformed = true;
        self
    }

    /// Close the connection without answering.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{Method, StatusCode};
    /// use passage_identity::emulator::{Emulator, Fault};
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_fault(Fault::any_method("/").drop_connection());
    /// assert!(reqwest::get(emulator.jwks_url()).await.is_err());
    /// # Ok(()) }
    /// ```
    pub fn drop_connection(mut self) -> Self {
        self.drop_connection = true;
        self
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.times > 0
            && self.method.as_ref().is_none_or(|m| m == method)
            && path.starts_with(&self.path_prefix)
    }
}

/// `http://host:port/path?query#fragment` → `/path`; a path loses its query and fragment too
/// (requests are matched by path alone).
fn path_only(prefix: &str) -> &str {
    let path = match prefix
        .strip_prefix("http://")
        .or_else(|| prefix.strip_prefix("https://"))
    {
        Some(rest) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => prefix,
    };
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The faults waiting for their requests, in the order they were injected.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: Mutex<Vec<Fault>>,
}

impl FaultQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        // Nothing panics while the lock is held; a poisoned lock still holds a valid list.
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, fault: Fault) {
        if fault.times > 0 {
            self.lock().push(fault);
        }
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// How many faults still wait for requests.
    pub(crate) fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Takes one use of the first fault matching the request.
    fn take(&self, method: &Method, path: &str) -> Option<Fault> {
        let mut faults = self.lock();
        let at = faults.iter().position(|f| f.matches(method, path))?;
        faults[at].times -= 1;
        if faults[at].times == 0 {
            Some(faults.remove(at))
        } else {
            Some(faults[at].clone())
        }
    }
}

/// Marks a response whose connection was dropped instead of answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionDropped;

const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\
<body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>\n";

/// Middleware: applies the first matching fault, if any, else passes the request on.
pub(crate) async fn inject(
    State(ctx): State<Arc<Context>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(fault) = ctx.faults.take(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    if let Some(latency) = fault.latency {
        tokio::time::sleep(latency).await;
    }
    let retry_after = fault.retry_after.map(HeaderValue::from);
    let mut response = if fault.drop_connection {
        let connection = request.extensions().get::<ConnectInfo<Connection>>();
        match connection {
            Some(ConnectInfo(connection)) => {
                connection.kill();
                let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                response.extensions_mut().insert(ConnectionDropped);
                return response;
            }
            None => {
                ApiError::internal("the emulator could not drop this connection").into_response()
            }
        }
    } else if fault.malformed {
        (
            fault.status.unwrap_or(StatusCode::OK),
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            HTML_PAGE,
        )
            .into_response()
    } else if let Some(status) = fault.status {
        ApiError::injected(status).into_response()
    } else if retry_after.is_some() {
        ApiError::injected(StatusCode::TOO_MANY_REQUESTS).into_response()
    } else {
        next.run(request).await
    };
    if let Some(value) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_urls_are_reduced_to_their_path() {
        assert_eq!(
            path_only("http://127.0.0.1:1/v1/apps/a/users"),
            "/v1/apps/a/users"
        );
        assert_eq!(path_only("http://127.0.0.1:1"), "/");
        assert_eq!(path_only("/v1"), "/v1");
        assert_eq!(
            path_only("http://127.0.0.1:1/v1/users?page=2#x"),
            "/v1/users"
        );
        assert_eq!(path_only("/v1/users?page=2"), "/v1/users");
    }

    #[test]
    fn a_fault_is_used_up_after_its_times() {
        let queue = FaultQueue::default();
        queue.push(Fault::on(Method::GET, "/v1").times(2));
        assert!(queue.take(&Method::GET, "/v1/apps").is_some());
        assert!(queue.take(&Method::POST, "/v1/apps").is_none());
        assert!(queue.take(&Method::GET, "/v2").is_none());
        assert!(queue.take(&Method::GET, "/v1/apps").is_some());
        assert!(queue.take(&Method::GET, "/v1/apps").is_none());
        assert_eq!(queue.pending(), 0);
    }
}
