//! When and how long to wait before trying a request again.
//!
//! Only idempotent operations are retried (reads, activate, deactivate, deletes and revocations),
//! and only on failures that are likely transient: connection errors and timeouts, and the
//! statuses 408, 429, 502, 503 and 504. Waits grow exponentially with full jitter and honour a
//! `Retry-After` header. Creating users and magic links, and updating users, are never retried:
//! a lost response could mean the change was made, and trying again would make it twice.

use std::time::Duration;

use reqwest::StatusCode;

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

/// Whether an operation (by the generated client's operation id) may be sent twice safely.
pub(crate) fn is_idempotent(operation_id: &str) -> bool {
    matches!(
        operation_id,
        "get_app"
            | "get_user"
            | "list_paginated_users"
            | "list_user_devices"
            | "activate_user"
            | "deactivate_user"
            | "delete_user"
            | "delete_user_devices"
            | "revoke_user_refresh_tokens"
    )
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
