//! Why a request or a token was not accepted: [`AuthError`], and [`KeySetError`] for the key set.

use std::sync::Arc;

use super::settings::AuthStrategy;

/// Why a request was not authenticated.
///
/// Every rule has its own variant, so logs and metrics can tell an expired session from an
/// attack. Most are the client's fault ([`is_client_error`](Self::is_client_error): answer
/// 401); [`KeySetUnavailable`](Self::KeySetUnavailable) is ours
/// ([`is_server_error`](Self::is_server_error): answer 503 and let the client retry).
///
/// Neither the message nor `Debug` ever contains the token. Values taken from a token's header
/// (`alg`, `kid`) are shortened and escaped before they are shown.
///
/// ```
/// # async fn demo(passage: passage_identity::Passage) {
/// use passage_identity::AuthError;
///
/// match passage.auth().validate_jwt("not-a-token").await {
///     Ok(user_id) => println!("hello {user_id}"),
///     Err(AuthError::Expired { .. }) => println!("please sign in again"),
///     Err(e) if e.is_server_error() => println!("try again later: {e}"),
///     Err(e) => println!("rejected ({}): {e}", e.code()),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The request carries no token where the [`AuthStrategy`] looks for one (no
    /// `psg_auth_token` cookie, no `Authorization` header, or an empty value).
    #[error("no Passage token in the request ({0})")]
    MissingCredentials(AuthStrategy),

    /// The `Authorization` header is present but is not a single `Bearer <token>`.
    #[error("the Authorization header is not usable: {reason}")]
    InvalidAuthorizationHeader {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The request carries several different `psg_auth_token` cookies and they do not agree:
    /// more than one is a valid token and they name different users, or there are too many to
    /// check. A cookie planted by a site on a shared parent domain must not silently win over
    /// the real one, so none is trusted. (Duplicates that are empty, equal, or not valid tokens
    /// are no conflict: the one valid token is used.)
    #[error(
        "the request carries several different psg_auth_token cookies and none is trusted: {reason}"
    )]
    AmbiguousCookie {
        /// Why they conflict.
        reason: &'static str,
    },

    /// The token is longer than the configured limit; it was not decoded.
    #[error("the token is {size} bytes long, more than the limit of {limit} bytes")]
    TokenTooLarge {
        /// The length of the token in bytes.
        size: usize,
        /// The configured limit (see `PassageBuilder::max_token_size`).
        limit: usize,
    },

    /// The token is not a well-formed JWS compact serialization (three base64url parts, a JSON
    /// header and a JSON claims object with claims of the right types), or its header has a
    /// `crit`: one listing extensions (none is supported) or one of any other form (`null`,
    /// `[]`, not a list of names). The header and the claims must be strict JSON throughout,
    /// members not used included (valid UTF-8, no lone surrogate, numbers within an `f64`, at
    /// most 128 levels of nesting), with no member given twice; this is checked after the
    /// signature, so only a signed token can be malformed in its claims.
    #[error("the token is malformed: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The header names an algorithm other than RS256 (`none`, `HS256`, `RS512`, `ES256`, ...).
    /// Rejected before any key is looked up.
    #[error("the token algorithm {alg} is not accepted: Passage tokens are signed with RS256")]
    UnsupportedAlgorithm {
        /// The `alg` of the header, shortened and escaped.
        alg: String,
    },

    /// The header has no `kid`, so the signing key cannot be chosen.
    #[error("the token header has no key id (kid)")]
    MissingKeyId,

    /// No RS256 signing key with the token's `kid` is in the app's key set, even after
    /// refetching it (at most once per cooldown).
    #[error("the token was signed with key {kid}, which is not one of the app's signing keys")]
    UnknownKeyId {
        /// The `kid` of the header, shortened and escaped.
        kid: String,
    },

    /// The signature does not match the header and claims: the token was forged or altered.
    #[error("the token signature is not valid")]
    BadSignature,

    /// A claim the rules need (`exp`, `iss` or `aud`) is absent or `null`.
    #[error("the token has no {claim} claim")]
    MissingClaim {
        /// The claim's name.
        claim: &'static str,
    },

    /// The token has expired (`exp`, with the configured leeway).
    #[error("the token expired at {expired_at} (Unix time)")]
    Expired {
        /// The `exp` claim, in seconds since the Unix epoch.
        expired_at: i64,
    },

    /// The token is not valid yet (`nbf`, with the configured leeway).
    #[error("the token is not valid before {not_before} (Unix time)")]
    NotYetValid {
        /// The `nbf` claim, in seconds since the Unix epoch.
        not_before: i64,
    },

    /// The `aud` claim names neither this app nor another accepted audience.
    #[error("the token was issued for another audience than this app")]
    WrongAudience,

    /// The `iss` claim is not this app's issuer (`Passage::issuer`).
    #[error("the token was issued by another issuer than this app's")]
    WrongIssuer,

    /// The `sub` claim (the user id) is absent, `null`, empty or only white space. (A `sub`
    /// that is not a string makes the token [`Malformed`](Self::Malformed).)
    #[error("the token has no subject (sub): it names no user")]
    MissingSubject,

    /// The app's key set could not be loaded (the JWKS endpoint is unreachable, slow, or answers
    /// something unusable) and no key that could check this token is known. This is not the
    /// client's fault: answer 503.
    #[error("the app's signing keys could not be loaded")]
    KeySetUnavailable(#[source] Arc<KeySetError>),
}

impl AuthError {
    /// Whether the request or its token is at fault (answer 401 or 400). The opposite of
    /// [`is_server_error`](Self::is_server_error).
    ///
    /// ```
    /// let err = passage_identity::AuthError::BadSignature;
    /// assert!(err.is_client_error());
    /// ```
    pub fn is_client_error(&self) -> bool {
        !self.is_server_error()
    }

    /// Whether we could not check the token (the key set is unavailable): answer 503, the client
    /// may retry.
    ///
    /// ```
    /// let err = passage_identity::AuthError::WrongIssuer;
    /// assert!(!err.is_server_error());
    /// ```
    pub fn is_server_error(&self) -> bool {
        matches!(self, Self::KeySetUnavailable(_))
    }

    /// Whether the request simply carries no token (an anonymous visitor), as opposed to a bad
    /// one.
    ///
    /// ```
    /// use passage_identity::{AuthError, AuthStrategy};
    /// assert!(AuthError::MissingCredentials(AuthStrategy::Cookie).is_missing_credentials());
    /// ```
    pub fn is_missing_credentials(&self) -> bool {
        matches!(self, Self::MissingCredentials(_))
    }

    /// A stable snake_case code for responses, logs and metrics, e.g. `token_expired`.
    ///
    /// ```
    /// let err = passage_identity::AuthError::Expired { expired_at: 0 };
    /// assert_eq!(err.code(), "token_expired");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingCredentials(_) => "missing_credentials",
            Self::InvalidAuthorizationHeader { .. } => "invalid_authorization_header",
            Self::AmbiguousCookie { .. } => "ambiguous_cookie",
            Self::TokenTooLarge { .. } => "token_too_large",
            Self::Malformed { .. } => "malformed_token",
            Self::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            Self::MissingKeyId => "missing_key_id",
            Self::UnknownKeyId { .. } => "unknown_key_id",
            Self::BadSignature => "invalid_signature",
            Self::MissingClaim { .. } => "missing_claim",
            Self::Expired { .. } => "token_expired",
            Self::NotYetValid { .. } => "token_not_yet_valid",
            Self::WrongAudience => "invalid_audience",
            Self::WrongIssuer => "invalid_issuer",
            Self::MissingSubject => "missing_subject",
            Self::KeySetUnavailable(_) => "key_set_unavailable",
        }
    }

    pub(crate) fn malformed(reason: &'static str) -> Self {
        Self::Malformed { reason }
    }
}

/// Why the app's key set (JWKS) could not be loaded. The source of
/// [`AuthError::KeySetUnavailable`], also shown by `Auth::key_cache_stats`.
///
/// ```no_run
/// # async fn demo(passage: passage_identity::Passage) {
/// use passage_identity::{AuthError, auth::KeySetError};
///
/// if let Err(AuthError::KeySetUnavailable(error)) = passage.auth().warm_up().await {
///     match &*error {
///         KeySetError::Fetch { url, .. } => println!("cannot reach {url}: {error}"),
///         KeySetError::Status { status, .. } => println!("the JWKS endpoint answered {status}"),
///         other => println!("unusable key set: {other}"),
///     }
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeySetError {
    /// The request failed: connection refused, DNS, TLS, or the timeout
    /// (`PassageBuilder::jwks_timeout`) elapsed.
    #[error("fetching the key set from {url} failed")]
    Fetch {
        /// The JWKS URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The JWKS endpoint answered with an error status.
    #[error("the key set endpoint {url} answered HTTP {status}")]
    Status {
        /// The JWKS URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The response is larger than the limit for a key set.
    #[error("the key set response is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The response is not a JWKS document (`{"keys": [...]}`).
    #[error("the key set is not a valid JWKS document")]
    InvalidJson(#[source] serde_json::Error),
    /// The fetch was dropped before it finished: the Tokio runtime it ran on shut down. The
    /// next lookup fetches again.
    #[error("fetching the key set was abandoned: the Tokio runtime it ran on shut down")]
    Abandoned,
    /// The key set was needed outside a Tokio runtime; fetching it (like any `reqwest` call)
    /// needs one. A static key set (`PassageBuilder::jwks_json`) does not.
    #[error("fetching the key set needs a Tokio runtime, and none is running")]
    NoRuntime,
    /// The document holds no RSA key usable for RS256 signatures (with a `kid`, `use` absent or
    /// `sig`, `alg` absent or `RS256`, a 2048 to 8192-bit modulus).
    #[error("the key set holds no usable RS256 signing key ({skipped} keys skipped)")]
    NoUsableKeys {
        /// How many keys were present but not usable.
        skipped: usize,
    },
}

/// Shortens and escapes a value taken from a token header for display: at most 64 characters,
/// control and non-ASCII characters escaped by `Debug` formatting.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 64;
    let mut cut: String = value.chars().take(MAX).collect();
    if cut.len() < value.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_values_are_escaped_and_shortened() {
        assert_eq!(shown("abc"), "\"abc\"");
        assert_eq!(shown("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(500);
        assert!(shown(&long).len() < 80);
    }

    #[test]
    fn only_an_unavailable_key_set_is_a_server_error() {
        let unavailable =
            AuthError::KeySetUnavailable(Arc::new(KeySetError::NoUsableKeys { skipped: 0 }));
        assert!(unavailable.is_server_error());
        assert!(!unavailable.is_client_error());
        assert!(AuthError::BadSignature.is_client_error());
    }
}
