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
        let max_age = cache_control_max_age(
            response
                .headers()
                .get_all(CACHE_CONTROL)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
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

/// The freshness lifetime the `Cache-Control` header lines grant (several lines count as one
/// list, RFC 9110 §5.3): zero for `no-cache` or `no-store`, else the smallest `max-age=N` (quoted
/// or not; a number too large for a `u64` counts as the largest). `None` when they say neither.
pub(crate) fn cache_control_max_age<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Option<Duration> {
    let mut max_age: Option<Duration> = None;
    for directive in values.into_iter().flat_map(|value| value.split(',')) {
        let (name, argument) = directive
            .split_once('=')
            .map_or((directive, None), |(n, a)| (n, Some(a)));
        let name = name.trim();
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Some(Duration::ZERO);
        }
        if name.eq_ignore_ascii_case("max-age")
            && let Some(seconds) = argument.and_then(delta_seconds)
        {
            let age = Duration::from_secs(seconds);
            max_age = Some(max_age.map_or(age, |shortest| shortest.min(age)));
        }
    }
    max_age
}

/// RFC 9111 delta-seconds: digits only, optionally quoted.
fn delta_seconds(argument: &str) -> Option<u64> {
    let argument = argument.trim();
    let digits = argument
        .strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
        .unwrap_or(argument);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_age(value: &str) -> Option<Duration> {
        cache_control_max_age([value])
    }

    #[test]
    fn max_age_is_read_among_other_directives() {
        assert_eq!(
            max_age("public, max-age=300, must-revalidate"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(max_age("MAX-AGE=\"60\""), Some(Duration::from_secs(60)));
    }

    #[test]
    fn no_cache_and_no_store_mean_zero() {
        assert_eq!(max_age("no-cache"), Some(Duration::ZERO));
        assert_eq!(max_age("max-age=60, no-store"), Some(Duration::ZERO));
    }

    #[test]
    fn several_lines_count_as_one_list() {
        assert_eq!(
            cache_control_max_age(["max-age=300", "no-store"]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            cache_control_max_age(["public", "max-age=60"]),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn the_shortest_of_several_max_ages_counts() {
        assert_eq!(
            cache_control_max_age(["max-age=300, max-age=60", "max-age=120"]),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn a_max_age_too_large_for_u64_is_the_largest() {
        assert_eq!(
            max_age("max-age=99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn absent_or_unreadable_max_age_is_none() {
        for value in [
            "public",
            "max-age=soon",
            "max-age",
            "max-age=",
            "max-age=-1",
            "max-age=+60",
            "max-age=1.5",
            "max-age=\"60",
            "max-age=6 0",
        ] {
            assert_eq!(max_age(value), None, "{value}");
        }
        assert_eq!(max_age("max-age, no-cache"), Some(Duration::ZERO));
    }
}
