//! One HTTP fetch of the JWKS: timeout, size cap, status check, `Cache-Control: max-age`.

use std::time::Duration;

use http::header::{ACCEPT, CACHE_CONTROL};
use reqwest::Url;

use crate::auth::error::KeySetError;

use super::key_set::KeySet;

/// A freshly fetched key set and how long its server says it stays fresh.
pub(crate) struct Fetched {
    pub(crate) keys: KeySet,
    pub(crate) max_age: Option<Duration>,
}

/// Where the key set comes from over HTTP.
pub(crate) struct RemoteJwks {
    pub(crate) url: Url,
    pub(crate) http: reqwest::Client,
    pub(crate) timeout: Duration,
    pub(crate) max_size: usize,
}

impl RemoteJwks {
    pub(crate) async fn fetch(&self) -> Result<Fetched, KeySetError> {
        let transport = |source| KeySetError::Fetch {
            url: self.url.to_string(),
            source,
        };
        let mut response = self
            .http
            .get(self.url.clone())
            .header(ACCEPT, "application/json, application/jwk-set+json")
            .timeout(self.timeout)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(KeySetError::Status {
                url: self.url.to_string(),
                status: status.as_u16(),
            });
        }
        let too_large = KeySetError::TooLarge {
            limit: self.max_size,
        };
        if response
            .content_length()
            .is_some_and(|len| len > self.max_size as u64)
        {
            return Err(too_large);
        }
        let max_age = response
            .headers()
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(cache_control_max_age);
        // Read chunk by chunk so a body without (or with a lying) Content-Length cannot grow
        // past the cap.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_size {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        let keys = KeySet::from_json(&body)?;
        Ok(Fetched { keys, max_age })
    }
}

/// The freshness lifetime a `Cache-Control` header value grants: `max-age=N` (quoted or not),
/// or zero for `no-cache` / `no-store`. `None` when it says neither.
pub(crate) fn cache_control_max_age(value: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in value.split(',') {
        let (name, argument) = directive
            .split_once('=')
            .map_or((directive, None), |(n, a)| (n, Some(a)));
        let name = name.trim();
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Some(Duration::ZERO);
        }
        if name.eq_ignore_ascii_case("max-age") {
            if let Some(seconds) =
                argument.and_then(|a| a.trim().trim_matches('"').parse::<u64>().ok())
            {
                max_age = Some(Duration::from_secs(seconds));
            }
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_among_other_directives() {
        assert_eq!(
            cache_control_max_age("public, max-age=300, must-revalidate"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            cache_control_max_age("MAX-AGE=\"60\""),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn no_cache_and_no_store_mean_zero() {
        assert_eq!(cache_control_max_age("no-cache"), Some(Duration::ZERO));
        assert_eq!(
            cache_control_max_age("max-age=60, no-store"),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn absent_or_unreadable_max_age_is_none() {
        assert_eq!(cache_control_max_age("public"), None);
        assert_eq!(cache_control_max_age("max-age=soon"), None);
        assert_eq!(cache_control_max_age("max-age"), None);
        assert_eq!(cache_control_max_age("max-age=-1"), None);
        assert_eq!(
            cache_control_max_age("max-age, no-cache"),
            Some(Duration::ZERO)
        );
    }
}
