//! [`CallContext`]: the state the generated client carries for its hooks.

use std::sync::Arc;

use reqwest::header::HeaderValue;

use super::retry::RetryPolicy;
use crate::secret::Secret;

/// What the hooks of the generated client need: the API key and the retry policy.
///
/// It is the generated client's "inner" value; `Debug` never shows the key.
#[derive(Clone, Debug)]
pub struct CallContext {
    api_key: Option<Arc<Secret>>,
    pub(crate) retry: RetryPolicy,
}

impl CallContext {
    pub(crate) fn new(api_key: Option<Secret>, retry: RetryPolicy) -> Self {
        Self {
            api_key: api_key.map(Arc::new),
            retry,
        }
    }

    /// `Bearer <key>`, marked sensitive so that no HTTP log shows it; `None` without a key.
    pub(crate) fn authorization(&self) -> Option<HeaderValue> {
        let key = self.api_key.as_ref()?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}
