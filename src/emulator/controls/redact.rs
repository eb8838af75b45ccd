//! What the request log must not keep, and how it is taken out: the API key and anything shaped
//! like a JWT, wherever they appear.

use axum::http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use serde_json::Value;

use crate::emulator::extract::percent_decode_lossy;

/// What stands in for a secret in the request log.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use passage_identity::emulator::{Emulator, REDACTED};
///
/// let emulator = Emulator::start().await?;
/// let token = emulator.issue_token("user_1")?;
/// let url = format!("{}?token={token}", emulator.jwks_url());
/// reqwest::Client::new().get(url).header("cookie", format!("psg_auth_token={token}")).send().await?;
/// let request = &emulator.requests()[0];
/// assert_eq!(request.headers["cookie"], REDACTED);
/// assert_eq!(request.query.as_deref(), Some("token=[redacted]"));
/// # Ok(()) }
/// ```
pub const REDACTED: &str = "[redacted]";

/// Replaces the API key, and anything shaped like a JWT (three dot-separated base64url parts
/// starting with `eyJ`), by [`REDACTED`].
pub(crate) fn text(original: &str, key: &str) -> String {
    let text = if key.is_empty() {
        original.to_owned()
    } else {
        original.replace(key, REDACTED)
    };
    let mut out = String::with_capacity(text.len());
    let mut run_start = None;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let in_run = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        match (run_start, in_run) {
            (None, true) => run_start = Some(at),
            (Some(start), false) => {
                let run = &text[start..at];
                out.push_str(if looks_like_jwt(run) { REDACTED } else { run });
                run_start = None;
            }
            _ => {}
        }
        if !in_run && at < text.len() {
            out.push(c);
        }
    }
    out
}

/// Redacts a URL path or query: as text, then component by component (between `/`, `&` and
/// `=`) once percent-decoded, which catches a key whose characters the client encoded.
pub(crate) fn url_part(part: &str, key: &str) -> String {
    let part = text(part, key);
    let mut out = String::with_capacity(part.len());
    for piece in part.split_inclusive(['/', '&', '=']) {
        let component = piece.trim_end_matches(['/', '&', '=']);
        let decoded = percent_decode_lossy(component);
        if decoded != component && text(&decoded, key).contains(REDACTED) {
            out.push_str(REDACTED);
        } else {
            out.push_str(component);
        }
        out.push_str(&piece[component.len()..]);
    }
    out
}

fn looks_like_jwt(run: &str) -> bool {
    let parts: Vec<&str> = run.split('.').collect();
    run.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
}

/// The headers, each value that is a credential (`Authorization`, `Cookie`...) or holds a secret
/// replaced by [`REDACTED`] as a whole.
pub(crate) fn headers(headers: &HeaderMap, key: &str) -> HeaderMap {
    let mut redacted = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let secret = [&AUTHORIZATION, &PROXY_AUTHORIZATION, &COOKIE, &SET_COOKIE].contains(&name)
            || text(&String::from_utf8_lossy(value.as_bytes()), key).contains(REDACTED);
        let value = if secret {
            HeaderValue::from_static(REDACTED)
        } else {
            value.clone()
        };
        redacted.append(name.clone(), value);
    }
    redacted
}

/// Redacts every string and object key in `value`. The recursion is bounded: serde_json parses
/// at most 128 levels.
pub(crate) fn json(value: &mut Value, key: &str) {
    match value {
        Value::String(string) => *string = text(string, key),
        Value::Array(items) => items.iter_mut().for_each(|item| json(item, key)),
        Value::Object(fields) => {
            *fields = std::mem::take(fields)
                .into_iter()
                .map(|(name, mut field)| {
                    json(&mut field, key);
                    (text(&name, key), field)
                })
                .collect();
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_headers_and_the_key_are_redacted() {
        let mut sent = HeaderMap::new();
        sent.insert(AUTHORIZATION, HeaderValue::from_static("Bearer sk_1"));
        sent.insert(COOKIE, HeaderValue::from_static("psg_auth_token=eyJ"));
        sent.insert("x-api-key", HeaderValue::from_static("sk_1"));
        sent.insert("accept", HeaderValue::from_static("application/json"));
        let redacted = headers(&sent, "sk_1");
        assert_eq!(redacted[AUTHORIZATION], REDACTED);
        assert_eq!(redacted[COOKIE], REDACTED);
        assert_eq!(redacted["x-api-key"], REDACTED);
        assert_eq!(redacted["accept"], "application/json");
    }

    #[test]
    fn tokens_are_redacted_wherever_they_appear() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
        assert_eq!(
            text(&format!("token={jwt}&page=2"), "k1"),
            "token=[redacted]&page=2"
        );
        assert_eq!(
            text(&format!("{{\"t\":\"{jwt}\",\"n\":\"a.b.c\"}}"), "k1"),
            "{\"t\":\"[redacted]\",\"n\":\"a.b.c\"}"
        );
        let mut sent = HeaderMap::new();
        sent.insert("x-token", HeaderValue::from_str(jwt).unwrap());
        assert_eq!(headers(&sent, "k1")["x-token"], REDACTED);
    }

    #[test]
    fn percent_encoded_keys_are_redacted_component_by_component() {
        assert_eq!(
            url_part("/users/a%2Fb%3D/devices", "a/b="),
            "/users/[redacted]/devices"
        );
        assert_eq!(url_part("x=a%2fb%3d&y=%zz%", "a/b="), "x=[redacted]&y=%zz%");
        assert_eq!(percent_decode_lossy("%41%4a%ff%"), "AJ\u{fffd}%");
    }

    #[test]
    fn text_without_secrets_is_kept_as_it_is() {
        let plain = "limit=5&identifier=ada%40example.com&é=ü";
        assert_eq!(text(plain, "sk_secret"), plain);
    }
}
