//! Finding the token in a request: the `psg_auth_token` cookie or `Authorization: Bearer`.
//!
//! Headers are read as bytes: only the value of our own cookie has to be visible ASCII, so a
//! UTF-8 value of another cookie (`name=Zoë`) in the same `Cookie` header changes nothing.

use std::sync::LazyLock;

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, HeaderName};
use memchr::memmem::Finder;

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

/// The most distinct `psg_auth_token` values one request may carry; each is checked.
pub(crate) const MAX_COOKIE_TOKENS: usize = 4;

/// Anything whose headers a token can be read from:
/// [`Passage::authenticate_request`](crate::Passage::authenticate_request) takes a
/// [`HeaderMap`], an [`http::Request`], an [`http::request::Parts`], or (feature `actix`)
/// actix-web's `HttpRequest` and `ServiceRequest`.
///
/// Implement it for the request type of another framework: return the raw bytes of every value of
/// the header `name`, in the order received.
///
/// ```
/// use http::HeaderName;
/// use passage_identity::auth::RequestHeaders;
///
/// /// A request of some other framework, with its headers as pairs.
/// struct MyRequest {
///     headers: Vec<(String, Vec<u8>)>,
/// }
///
/// impl RequestHeaders for MyRequest {
///     fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &[u8]> {
///         self.headers
///             .iter()
///             .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_str()))
///             .map(|(_, value)| value.as_slice())
///     }
/// }
///
/// let request = MyRequest { headers: vec![("Cookie".into(), b"a=1".to_vec())] };
/// assert_eq!(request.header_values(http::header::COOKIE).count(), 1);
/// ```
pub trait RequestHeaders {
    /// The raw value of every header called `name`, in the order received.
    fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &[u8]>;
}

impl RequestHeaders for HeaderMap {
    fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &[u8]> {
        self.get_all(name).iter().map(http::HeaderValue::as_bytes)
    }
}

impl<B> RequestHeaders for http::Request<B> {
    fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &[u8]> {
        self.headers().header_values(name)
    }
}

impl RequestHeaders for http::request::Parts {
    fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &[u8]> {
        self.headers.header_values(name)
    }
}

/// The token or tokens a request presents, copied out of it so that checking them does not
/// borrow the request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Presented {
    /// The common case: one token.
    One(String),
    /// Several different `psg_auth_token` cookies (2 to [`MAX_COOKIE_TOKENS`]), in the order
    /// received. Each is checked; see `Authenticator::authenticate`.
    Several(Vec<String>),
}

/// The token of a request, found where `strategy` says.
pub(crate) fn presented<R: RequestHeaders + ?Sized>(
    request: &R,
    strategy: AuthStrategy,
) -> Result<Presented, AuthError> {
    let missing = || AuthError::MissingCredentials(strategy);
    match strategy {
        AuthStrategy::Cookie => cookie_tokens(request)?.ok_or_else(missing),
        AuthStrategy::Header => bearer_token(request)?.ok_or_else(missing),
        AuthStrategy::HeaderOrCookie => match bearer_token(request)? {
            Some(token) => Ok(token),
            None => cookie_tokens(request)?.ok_or_else(missing),
        },
    }
}

/// The token of `Authorization: Bearer <token>`; `None` when there is no such header.
///
/// The scheme is case-insensitive (RFC 9110 §11.1); spaces around the token are ignored. A header
/// with another scheme, no token, or a token with spaces or non-ASCII bytes is an error, and so
/// are several `Authorization` headers.
fn bearer_token<R: RequestHeaders + ?Sized>(request: &R) -> Result<Option<Presented>, AuthError> {
    let invalid = |reason| AuthError::InvalidAuthorizationHeader { reason };
    let mut values = request.header_values(AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid("the request has several Authorization headers"));
    }
    let value = trim(value);
    let (scheme, rest) = match value.iter().position(|&b| is_http_whitespace(b)) {
        Some(at) => value.split_at(at),
        None => (value, &[][..]),
    };
    let token = trim(rest);
    // The common case in one pass over the token: `Bearer`, white space, visible ASCII.
    if scheme.eq_ignore_ascii_case(b"bearer") && !token.is_empty() && visible_ascii(token) {
        return Ok(Some(Presented::One(ascii(token).to_owned())));
    }
    // Anything else, checked rule by rule for the error that says what is wrong.
    if !value
        .iter()
        .all(|&b| b.is_ascii_graphic() || is_http_whitespace(b))
    {
        return Err(invalid("it holds bytes that are not visible ASCII"));
    }
    if value.is_empty() {
        return Err(invalid("it is empty"));
    }
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(invalid("the scheme is not Bearer"));
    }
    if token.is_empty() {
        return Err(invalid("Bearer is not followed by a token"));
    }
    // Visible ASCII and white space only, but not a visible-ASCII token: it holds white space.
    Err(invalid("the token holds white space"))
}

/// The distinct non-empty values of our cookie; `None` when there is none.
///
/// Our cookie may come more than once: a stale copy on another path, or one planted by a site
/// on a shared parent domain ("cookie tossing"). Empty values count as absent; a value repeated
/// is one value. Different values are all returned, to be checked each; more than
/// [`MAX_COOKIE_TOKENS`] is an error. A value that is not visible ASCII cannot be a token: it
/// is an error when it is the only one, and ignored beside another.
fn cookie_tokens<R: RequestHeaders + ?Sized>(request: &R) -> Result<Option<Presented>, AuthError> {
    // At most MAX_COOKIE_TOKENS distinct values, kept on the stack: no allocation per request.
    let mut distinct = [""; MAX_COOKIE_TOKENS];
    let mut count = 0;
    let mut unreadable = false;
    for value in cookie_values(request) {
        if value.is_empty() {
            continue;
        }
        if !visible_ascii(value) {
            unreadable = true;
            continue;
        }
        let token = ascii(value);
        if !distinct[..count].contains(&token) {
            let Some(slot) = distinct.get_mut(count) else {
                return Err(AuthError::AmbiguousCookie {
                    reason: "there are too many to check",
                });
            };
            *slot = token;
            count += 1;
        }
    }
    Ok(match &distinct[..count] {
        [] if unreadable => {
            return Err(AuthError::malformed(
                "the psg_auth_token cookie holds bytes that are not visible ASCII",
            ));
        }
        [] => None,
        [token] => Some(Presented::One((*token).to_owned())),
        several => Some(Presented::Several(
            several.iter().map(|t| (*t).to_owned()).collect(),
        )),
    })
}

/// Every value of our cookie in the request's `Cookie` headers (RFC 6265 §5.4 sends one header,
/// HTTP/2 may split it in several): pairs split at `;`, white space around names and values
/// ignored, one pair of double quotes around a value removed. Names are case-sensitive.
///
/// The name is searched for with a vectorised substring search, and only where it occurs is the
/// pair around it looked at, so the other cookies cost one pass and no work per pair. A
/// property test holds this to the plain reading (split at every `;`, then at the first `=`).
///
/// Not the `cookie` crate's `Cookie::split_parse`, which reads the same pairs: it takes the
/// header as `&str`, so a non-UTF-8 byte in another cookie would have to be replaced first, and
/// it builds a full `Cookie` for every pair, which costs about a microsecond more per request on
/// the benchmark's header of eleven cookies (against a budget of half a microsecond).
fn cookie_values<R: RequestHeaders + ?Sized>(request: &R) -> impl Iterator<Item = &[u8]> {
    static NAME: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new(AUTH_COOKIE_NAME.as_bytes()));
    request.header_values(COOKIE).flat_map(|header| {
        NAME.find_iter(header)
            .filter_map(move |at| value_of_pair_named_at(header, at))
    })
}

/// The value of the pair of `header` whose name is our cookie's name found at `at`, or `None`
/// when the name there is not the whole name of a pair (part of a longer name, or of a value).
/// The name has no prefix that is also its suffix, so two of its occurrences never overlap.
fn value_of_pair_named_at(header: &[u8], at: usize) -> Option<&[u8]> {
    let (before, after) = (&header[..at], &header[at + AUTH_COOKIE_NAME.len()..]);
    let pair_start = memchr::memrchr(b';', before).map_or(0, |semicolon| semicolon + 1);
    if !before[pair_start..].iter().all(|&b| is_http_whitespace(b)) {
        return None;
    }
    let rest = &after[..memchr::memchr(b';', after).unwrap_or(after.len())];
    let equals = rest.iter().position(|&b| b == b'=')?;
    if !rest[..equals].iter().all(|&b| is_http_whitespace(b)) {
        return None;
    }
    Some(unquote(trim(&rest[equals + 1..])))
}

/// Whether every byte is visible ASCII (`!` to `~`: no space, no control byte, nothing above
/// 0x7E). One pass with no early exit, which the compiler turns into vector instructions: a
/// token is hundreds of bytes and this check runs on every request.
fn visible_ascii(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .fold(true, |all, &byte| all & byte.is_ascii_graphic())
}

/// Bytes already checked to be ASCII, as text. Never fails for them; anything else would read
/// as no token at all.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn unquote(value: &[u8]) -> &[u8] {
    value
        .strip_prefix(b"\"")
        .and_then(|v| v.strip_suffix(b"\""))
        .unwrap_or(value)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| !is_http_whitespace(b));
    let end = bytes.iter().rposition(|&b| !is_http_whitespace(b));
    match (start, end) {
        (Some(start), Some(end)) => &bytes[start..=end],
        _ => &[],
    }
}

fn is_http_whitespace(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

#[cfg(test)]
mod tests;
