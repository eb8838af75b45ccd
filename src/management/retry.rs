//! When and how long to wait before trying a request again, and the loop that does it.
//!
//! Only idempotent operations are retried (reads, activate, deactivate, deletes and revocations),
//! and only on failures that are likely transient: connection errors and timeouts, and the
//! statuses 408, 429, 502, 503 and 504. Waits grow exponentially with full jitter and honour a
//! `Retry-After` header. Creating users and magic links, and updating users, are never retried:
//! a lost response could mean the change was made, and trying again would make it twice.

use std::time::{Duration, Instant};

use progenitor_client::OperationInfo;
use reqwest::StatusCode;

use super::record;

/// The retry policy of management calls; set it with [`PassageBuilder::retry`](crate::PassageBuilder::retry).
///
/// Each attempt has its own [`PassageBuilder::timeout`](crate::PassageBuilder::timeout): with
/// the defaults, a read whose every attempt times out fails after four attempts.
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

    /// How many times a failed idempotent call is tried again (0 disables retries). Default: 3.
    ///
    /// ```
    /// let patient = passage_identity::RetryPolicy::default().max_retries(5);
    /// # let _ = patient;
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The upper bound of the first wait; each further wait doubles it. Default: 100 ms.
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

    /// The largest wait between two attempts. Default: 5 s.
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

    /// The longest `Retry-After` that is honoured; a response asking for a longer wait is
    /// returned to the caller instead, with [`ManagementError::retry_after`] saying how long
    /// the server asked for. Default: 30 s.
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

/// Every operation of the API (by the generated client's operation id) and whether it may be
/// sent twice safely. A test holds this list to the spec's operations, so an operation added to
/// the spec must be classified here.
const OPERATIONS: &[(&str, bool)] = &[
    ("get_app", true),
    ("create_magic_link", false),
    ("list_paginated_users", true),
    ("create_user", false),
    ("get_user", true),
    ("update_user", false),
    ("delete_user", true),
    ("activate_user", true),
    ("deactivate_user", true),
    ("list_user_devices", true),
    ("delete_user_devices", true),
    ("revoke_user_refresh_tokens", true),
];

/// Whether an operation may be sent twice safely; an operation not in the list is not.
pub(crate) fn is_idempotent(operation_id: &str) -> bool {
    OPERATIONS
        .iter()
        .any(|&(id, idempotent)| id == operation_id && idempotent)
}

/// Whether a response status is worth another attempt.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504)
}

/// Whether a transport failure is worth another attempt.
pub(crate) fn is_retryable_error(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request()
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

/// Sends `request`, and sends it again after a backoff while the answer is transient and the
/// operation is idempotent; returns the last answer.
pub(crate) async fn execute(
    http: &reqwest::Client,
    policy: &RetryPolicy,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::Span::current();
    let started = Instant::now();
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
        // Keep a copy for the next attempt; a body that cannot be copied is never retried.
        let spare = if attempt <= retries_allowed {
            request.try_clone()
        } else {
            None
        };
        let result = http.execute(request).await;
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
        };
        match (wait, spare) {
            (Some(wait), Some(next)) => {
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    outcome = %describe(&result),
                    "retrying"
                );
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
    fn every_operation_of_the_spec_is_classified_and_nothing_else() {
        let spec = include_str!("../../openapi/passage-management.yaml");
        let mut in_spec: Vec<String> = spec
            .lines()
            .filter_map(|line| line.trim().strip_prefix("operationId:"))
            .map(|id| id.trim().replace('-', "_"))
            .collect();
        in_spec.sort();
        let mut classified: Vec<String> =
            OPERATIONS.iter().map(|(id, _)| (*id).to_owned()).collect();
        classified.sort();
        assert_eq!(classified, in_spec);
    }

    #[test]
    fn writes_that_create_are_not_idempotent() {
        assert!(!is_idempotent("create_user"));
        assert!(!is_idempotent("create_magic_link"));
        assert!(!is_idempotent("update_user"));
        assert!(is_idempotent("deactivate_user"));
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
