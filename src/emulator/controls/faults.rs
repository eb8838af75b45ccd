//! Injected faults: error statuses, `Retry-After`, latency, malformed bodies and dropped
//! connections, each for the next few requests that match a method and a path prefix.
//!
//! This module holds the faults and decides what each one does; the HTTP layer applies them
//! (see `http::layers`).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::{Method, StatusCode};

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
/// [`Emulator::inject_fault`]: crate::emulator::Emulator::inject_fault
/// [`Emulator::jwks_url`]: crate::emulator::Emulator::jwks_url
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

    /// What the fault does to a request it applies to.
    pub(crate) fn effect(&self) -> FaultEffect {
        FaultEffect {
            latency: self.latency,
            retry_after: self.retry_after,
            answer: self.answer(),
        }
    }

    fn answer(&self) -> FaultAnswer {
        if self.drop_connection {
            FaultAnswer::DropConnection
        } else if self.malformed {
            FaultAnswer::Malformed(self.status.unwrap_or(StatusCode::OK))
        } else if let Some(status) = self.status {
            FaultAnswer::Error(status)
        } else if self.retry_after.is_some() {
            FaultAnswer::Error(StatusCode::TOO_MANY_REQUESTS)
        } else {
            FaultAnswer::Normal
        }
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.times > 0
            && self.method.as_ref().is_none_or(|m| m == method)
            && path.starts_with(&self.path_prefix)
    }
}

/// What a fault does to a request it applies to, in the order it is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FaultEffect {
    /// How long to wait first.
    pub(crate) latency: Option<Duration>,
    /// The `Retry-After` header to add to the answer, in seconds.
    pub(crate) retry_after: Option<u64>,
    /// What to answer with.
    pub(crate) answer: FaultAnswer,
}

/// What a fault answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultAnswer {
    /// Nothing: the connection is closed without an answer.
    DropConnection,
    /// An HTML page instead of JSON, with this status.
    Malformed(StatusCode),
    /// An error in Passage's form with this status.
    Error(StatusCode),
    /// The normal answer (after the latency, if any).
    Normal,
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
    pub(crate) fn take(&self, method: &Method, path: &str) -> Option<Fault> {
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
