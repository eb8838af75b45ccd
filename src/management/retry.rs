//! When and how long to wait before trying a request again, and the loop that does it.
//!
//! Only idempotent operations are retried (reads, activate, deactivate, deletes and revocations),
//! and only on failures that are likely transient: connection errors and timeouts, an answer
//! whose body was cut short, and the statuses 408, 429, 502, 503 and 504. Waits grow
//! exponentially with full jitter and honour a `Retry-After` header. Creating users and magic
//! links, and updating users, are never retried: a lost response could mean the change was made,
//! and trying again would make it twice.
//!
//! Every call has a deadline across all its attempts and waits (the call timeout): no attempt
//! runs past it, and no wait is started that would end after it.

use std::time::{Duration, Instant};

use progenitor_client::OperationInfo;
use reqwest::StatusCode;

use super::context::Timeouts;
use super::operations::is_idempotent;
use super::record;

/// The most retries a policy may ask for.
pub const MAX_RETRIES: u32 = 10;
/// The longest `initial_backoff` or `max_backoff` a policy may ask for.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The longest `max_retry_after` a policy may ask for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// The retry policy of management calls; set it with [`PassageBuilder::retry`](crate::PassageBuilder::retry).
///
/// Each attempt has its own [`PassageBuilder::timeout`](crate::PassageBuilder::timeout), and
/// the whole call, every attempt and wait included, ends by the
/// [`PassageBuilder::call_timeout`](crate::PassageBuilder::call_timeout): with the defaults, a
/// read whose every attempt hangs fails after two attempts, 60 s after it started.
///
/// [`PassageBuilder::build`](crate::PassageBuilder::build) holds a policy to bounds: at most
/// [`MAX_RETRIES`](crate::management::MAX_RETRIES) retries, backoffs of at most
/// [`MAX_BACKOFF`](crate::management::MAX_BACKOFF), a `max_retry_after` of at most
/// [`MAX_RETRY_AFTER`](crate::management::MAX_RETRY_AFTER).
///
/// ```
/// use std::time::Duration;
/// use passage_identity::{Passage, RetryPolicy};
///
/// let passage = Passage::builder("my-app-id")
///     .api_key("my-api-key")
///     .retry(RetryPolicy::default().max_retries(5).initial_backoff(Duration::from_millis(50)))
///     .build()?;
/// # let _ = passage;
/// // Or turn retries off:
/// let _ = RetryPolicy::disabled();
/// # Ok::<(), passage_identity::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Three retries after the first attempt, waits from 100 ms doubling up to 5 s, and a
    /// `Retry-After` honoured up to 30 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    ///
    /// ```
    /// use passage_identity::RetryPolicy;
    /// assert_eq!(RetryPolicy::disabled(), RetryPolicy::default().max_retries(0));
    /// ```
    pub fn disabled() -> Self {
        Self::default().max_retries(0)
    }

    /// How many times a failed idempotent call is tried again (0 disables retries). Default: 3;
    /// at most [`MAX_RETRIES`](crate::management::MAX_RETRIES).
    ///
    /// ```
    /// let patient = passage_identity::RetryPolicy::default().max_retries(5);
    /// # let _ = patient;
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The upper bound of the first wait; each further wait doubles it. Default: 100 ms; at
    /// most [`MAX_BACKOFF`](crate::management::MAX_BACKOFF).
    ///
    /// ```
    /// let policy = passage_identity::RetryPolicy::default()
    ///     .initial_backoff(std::time::Duration::from_millis(250));
    /// # let _ = policy;
    /// ```
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest wait between two attempts. Default: 5 s; at most
    /// [`MAX_BACKOFF`](crate::management::MAX_BACKOFF).
    ///
    /// ```
    /// let policy = passage_identity::RetryPolicy::default()
    ///     .max_backoff(std::time::Duration::from_secs(1));
    /// # let _ = policy;
    /// ```
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` that is honoured; a response asking for a longer wait (or for
    /// a wait that would end after the call timeout) is returned to the caller instead, with
    /// [`ManagementError::retry_after`] saying how long the server asked for. No `Retry-After`,
    /// however large, makes a call wait longer than this. Default: 30 s; at most
    /// [`MAX_RETRY_AFTER`](crate::management::MAX_RETRY_AFTER).
    ///
    /// [`ManagementError::retry_after`]: crate::ManagementError::retry_after
    ///
    /// ```
    /// let policy = passage_identity::RetryPolicy::default()
    ///     .max_retry_after(std::time::Duration::from_secs(5));
    /// # let _ = policy;
    /// ```
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// The first setting out of bounds, named as a builder setting, and why.
    pub(crate) fn out_of_bounds(&self) -> Option<(&'static str, String)> {
        if self.max_retries > MAX_RETRIES {
            return Some((
                "retry.max_retries",
                format!("at most {MAX_RETRIES}, not {}", self.max_retries),
            ));
        }
        for (setting, value, bound) in [
            ("retry.initial_backoff", self.initial_backoff, MAX_BACKOFF),
            ("retry.max_backoff", self.max_backoff, MAX_BACKOFF),
            (
                "retry.max_retry_after",
                self.max_retry_after,
                MAX_RETRY_AFTER,
            ),
        ] {
            if value > bound {
                return Some((setting, format!("at most {bound:?}, not {value:?}")));
            }
        }
        None
    }

    /// The wait before retry number `retry` (1 for the first retry): a random duration between
    /// zero and `min(max_backoff, initial_backoff * 2^(retry-1))`.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let cap = exp.min(self.max_backoff);
        cap.mul_f64(fastrand::f64())
    }
}

/// Statuses that say the request was turned away before it was carried out: request timeout
/// and too many requests.
fn turned_away(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429)
}

/// Whether a response status is worth another attempt.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    turned_away(status) || matches!(status.as_u16(), 502..=504)
}

/// Whether a transport failure is worth another attempt: no connection, a connection lost, a
/// timeout, or a body cut short (which reqwest reports as a body or decoding error: nothing here
/// decodes JSON, so a decoding error is the body's bytes failing to arrive).
pub(crate) fn is_retryable_error(error: &reqwest::Error) -> bool {
    error.is_connect()
        || error.is_timeout()
        || error.is_request()
        || error.is_body()
        || error.is_decode()
}

/// Whether the service may have carried out an attempt that failed this way: it may have, unless
/// no connection was made or the answer says the request was turned away (408, 429).
fn may_have_been_applied(result: &reqwest::Result<reqwest::Response>) -> bool {
    match result {
        Ok(response) => !turned_away(response.status()),
        Err(error) => !error.is_connect(),
    }
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More seconds than a u64 holds is still a request to wait, longer than any policy
        // honours: not a reason to retry at once.
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Sends `request`, and sends it again after a backoff while the answer is transient, the
/// operation is idempotent and the call's deadline allows; returns the last answer.
///
/// A successful answer to an attempt that may be retried is read to its end here, so that a
/// body cut short is retried like a lost connection.
pub(crate) async fn execute(
    http: &reqwest::Client,
    policy: &RetryPolicy,
    timeouts: Timeouts,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::Span::current();
    let started = Instant::now();
    // A deadline too far away for the clock is no deadline.
    let deadline = started.checked_add(timeouts.call);
    let retries_allowed = if is_idempotent(info.operation_id) {
        policy.max_retries
    } else {
        0
    };
    let mut attempt: u32 = 0;
    let mut request = request;
    loop {
        attempt = attempt.saturating_add(1);
        span.record("attempt", attempt);
        record::note(|record| record.attempts = attempt);
        let remaining = deadline.map_or(timeouts.call, |d| {
            d.saturating_duration_since(Instant::now())
        });
        *request.timeout_mut() = Some(timeouts.attempt.min(remaining));
        // Keep a copy for the next attempt; a body that cannot be copied is never retried.
        let spare = if attempt <= retries_allowed {
            request.try_clone()
        } else {
            None
        };
        let mut result = http.execute(request).await;
        if spare.is_some()
            && let Ok(response) = result
        {
            result = buffered(response).await;
        }
        let retry_after = result.as_ref().ok().and_then(|response| {
            response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after)
        });
        let wait = match (&result, spare.is_some()) {
            (_, false) => None,
            (Ok(response), true) if is_retryable_status(response.status()) => match retry_after {
                Some(asked) if asked > policy.max_retry_after => None,
                Some(asked) => Some(asked.max(policy.backoff(attempt))),
                None => Some(policy.backoff(attempt)),
            },
            (Err(error), true) if is_retryable_error(error) => Some(policy.backoff(attempt)),
            _ => None,
        }
        // A wait that would end after the deadline is not started: the call ends now, with
        // the last answer.
        .filter(|wait| deadline.is_none_or(|d| Instant::now() + *wait < d));
        match (wait, spare) {
            (Some(wait), Some(next)) => {
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    outcome = %describe(&result),
                    "retrying"
                );
                if may_have_been_applied(&result) {
                    record::note(|record| record.maybe_applied = true);
                }
                // Let go of the failed response (and its connection) before waiting.
                drop(result);
                tokio::time::sleep(wait).await;
                request = next;
            }
            _ => {
                if let Ok(response) = &result {
                    span.record("status", response.status().as_u16());
                }
                let status = result.as_ref().ok().map(reqwest::Response::status);
                record::note(|record| {
                    record.status = status;
                    record.retry_after = retry_after;
                });
                span.record("duration_ms", started.elapsed().as_millis() as u64);
                tracing::debug!(outcome = %describe(&result), "call finished");
                return result;
            }
        }
    }
}

/// A successful response with its body read to the end (within the attempt's timeout), or the
/// error that cut the body short. Error statuses are left as they are: their bodies are read,
/// with a size limit, when the error is decoded.
async fn buffered(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    if !response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    let mut whole = http::Response::new(body);
    *whole.status_mut() = status;
    *whole.version_mut() = version;
    *whole.headers_mut() = headers;
    Ok(reqwest::Response::from(whole))
}

fn describe(result: &reqwest::Result<reqwest::Response>) -> String {
    match result {
        Ok(response) => response.status().to_string(),
        // Not the error's own text: it names the URL, whose query may hold an email address.
        Err(error) if error.is_timeout() => "timed out".to_owned(),
        Err(error) if error.is_connect() => "could not connect".to_owned(),
        Err(_) => "connection failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_within_the_exponential_cap() {
        let policy = RetryPolicy::default();
        for retry in 1..=10 {
            let cap =
                (Duration::from_millis(100) * 2u32.pow(retry - 1)).min(Duration::from_secs(5));
            for _ in 0..50 {
                assert!(policy.backoff(retry) <= cap);
            }
        }
    }

    #[test]
    fn backoff_with_the_largest_settings_does_not_overflow() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX);
        for retry in [0, 1, 2, 64, u32::MAX] {
            for _ in 0..1_000 {
                let _ = policy.backoff(retry);
            }
        }
    }

    #[test]
    fn a_retry_after_too_large_for_the_clock_is_a_very_long_wait() {
        assert_eq!(
            parse_retry_after("99999999999999999999999"),
            Some(Duration::MAX)
        );
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn only_transient_statuses_are_retryable() {
        for s in [408, 429, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
        for s in [400, 401, 403, 404, 409, 500] {
            assert!(!is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
    }
}
