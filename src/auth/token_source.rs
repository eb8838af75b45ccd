//! Finding the token in a request: the `psg_auth_token` cookie or `Authorization: Bearer`.

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

use super::error::AuthError;
use super::settings::AuthStrategy;

/// The cookie Passage elements store the token in.
///
/// ```
/// use http::{header::COOKIE, HeaderMap};
/// use passage_identity::auth::AUTH_COOKIE_NAME;
///
/// // A request as a browser signed in with Passage sends it.
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, format!("{AUTH_COOKIE_NAME}=eyJhbGciOi...").parse().unwrap());
/// ```
pub const AUTH_COOKIE_NAME: &str = "psg_auth_token";

/// The token of a request, found where `strategy` says.
pub(crate) fn token_from_headers(
    headers: &HeaderMap,
    strategy: AuthStrategy,
) -> Result<&str, AuthError> {
    match strategy {
        AuthStrategy::Cookie => {
            cookie_value(headers, AUTH_COOKIE_NAME).ok_or(AuthError::MissingCredentials(strategy))
        }
        AuthStrategy::Header => {
            bearer_token(headers)?.ok_or(AuthError::MissingCredentials(strategy))
        }
        AuthStrategy::HeaderOrCookie => match bearer_token(headers)? {
            Some(token) => Ok(token),
            None => cookie_value(headers, AUTH_COOKIE_NAME)
                .ok_or(AuthError::MissingCredentials(strategy)),
        },
    }
}

/// The token of `Authorization: Bearer <token>`; `None` when there is no such header.
///
/// The scheme is case-insensitive (RFC 9110 §11.1); spaces around the token are ignored. A header
/// with another scheme, no token, or a token with spaces or non-ASCII bytes is an error, and so
/// are several `Authorization` headers.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let invalid = |reason| AuthError::InvalidAuthorizationHeader { reason };
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid("the request has several Authorization headers"));
    }
    let value = value
        .to_str()
        .map_err(|_| invalid("it holds bytes that are not visible ASCII"))?
        .trim_matches(is_http_whitespace);
    if value.is_empty() {
        return Err(invalid("it is empty"));
    }
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(invalid("the scheme is not Bearer"));
    }
    let token = rest.trim_matches(is_http_whitespace);
    if token.is_empty() {
        return Err(invalid("Bearer is not followed by a token"));
    }
    if token.contains(is_http_whitespace) {
        return Err(invalid("the token holds white space"));
    }
    Ok(Some(token))
}

/// The value of the first cookie called `name` in the request's `Cookie` headers (RFC 6265
/// §5.4 sends one header, HTTP/2 may split it in several): pairs split at `;`, white space around
/// names and values ignored, one pair of double quotes around a value removed. An empty value
/// counts as absent.
fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        // A header with bytes outside visible ASCII cannot hold a JWT; skip it, not the others.
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| key.trim_matches(is_http_whitespace) == name)
        .map(|(_, value)| unquote(value.trim_matches(is_http_whitespace)))
        .filter(|value| !value.is_empty())
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

fn is_http_whitespace(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&http::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn unquote_strips_one_pair_of_quotes() {
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(unquote("\"abc"), "\"abc");
        assert_eq!(unquote("\""), "\"");
    }

    #[test]
    fn cookie_names_are_case_sensitive() {
        let map = headers(&[(&COOKIE, "PSG_AUTH_TOKEN=abc")]);
        assert_eq!(cookie_value(&map, AUTH_COOKIE_NAME), None);
    }

    #[test]
    fn a_cookie_whose_name_ends_with_ours_is_not_ours() {
        let map = headers(&[(&COOKIE, "xpsg_auth_token=abc; psg_auth_token_old=def")]);
        assert_eq!(cookie_value(&map, AUTH_COOKIE_NAME), None);
    }

    #[test]
    fn header_or_cookie_prefers_the_header() {
        let map = headers(&[
            (&AUTHORIZATION, "Bearer from-header"),
            (&COOKIE, "psg_auth_token=from-cookie"),
        ]);
        assert_eq!(
            token_from_headers(&map, AuthStrategy::HeaderOrCookie).unwrap(),
            "from-header"
        );
    }

    #[test]
    fn header_or_cookie_falls_back_to_the_cookie() {
        let map = headers(&[(&COOKIE, "psg_auth_token=from-cookie")]);
        assert_eq!(
            token_from_headers(&map, AuthStrategy::HeaderOrCookie).unwrap(),
            "from-cookie"
        );
    }

    #[test]
    fn header_or_cookie_does_not_fall_back_past_a_bad_header() {
        let map = headers(&[
            (&AUTHORIZATION, "Basic abc"),
            (&COOKIE, "psg_auth_token=from-cookie"),
        ]);
        assert!(matches!(
            token_from_headers(&map, AuthStrategy::HeaderOrCookie),
            Err(AuthError::InvalidAuthorizationHeader { .. })
        ));
    }

    #[test]
    fn non_ascii_cookie_header_is_skipped_not_fatal() {
        let mut map = HeaderMap::new();
        map.append(COOKIE, HeaderValue::from_bytes(b"a=\xff").unwrap());
        map.append(COOKIE, HeaderValue::from_static("psg_auth_token=tok"));
        assert_eq!(cookie_value(&map, AUTH_COOKIE_NAME), Some("tok"));
    }
}
