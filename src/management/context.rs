//! [`CallContext`]: the state the generated client carries for its hooks.

use std::time::Duration;

use reqwest::header::HeaderValue;

use super::retry::RetryPolicy;
use crate::secret::Secret;

/// What the hooks of the generated client need: the API key, the base URL's path, the retry
/// policy and the timeouts.
///
/// It is the generated client's "inner" value; `Debug` never shows the key.
#[derive(Clone, Debug)]
pub struct CallContext {
    /// `Bearer <key>`, made once and marked sensitive (its `Debug` shows `Sensitive`).
    authorization: Option<HeaderValue>,
    /// The path of the API base URL without a trailing `/` (`/v1`), below which every
    /// operation's path lies.
    pub(crate) base_path: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
}

/// How long one attempt, and one call with all its attempts and waits, may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// One attempt, from sending the request to the end of the answer's body.
    pub(crate) attempt: Duration,
    /// The whole call: every attempt and every wait between them.
    pub(crate) call: Duration,
}

impl CallContext {
    pub(crate) fn new(
        api_key: Option<Secret>,
        base_path: &str,
        retry: RetryPolicy,
        timeouts: Timeouts,
    ) -> Self {
        Self {
            authorization: api_key.and_then(|key| bearer(&key)),
            base_path: base_path.to_owned(),
            retry,
            timeouts,
        }
    }

    /// `Bearer <key>`, marked sensitive so that no HTTP log shows it; `None` without a key.
    pub(crate) fn authorization(&self) -> Option<HeaderValue> {
        self.authorization.clone()
    }

    /// Whether an API key is configured.
    pub(crate) fn has_api_key(&self) -> bool {
        self.authorization.is_some()
    }
}

/// The `Authorization` value of `key`; the builder has checked that it can be a header value.
fn bearer(key: &Secret) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose())).ok()?;
    value.set_sensitive(true);
    Some(value)
}
