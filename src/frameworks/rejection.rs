//! The answer to a request that was not authenticated, built once for every framework.

use std::fmt;

use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderName, HeaderValue, Response, StatusCode};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::AuthError;

/// Why a request was refused, and the response that says so. Every framework answers with it:
/// the axum extractors, the tower layer, the actix-web extractors and middleware.
///
/// | error | status | `WWW-Authenticate` | gRPC status |
/// | --- | --- | --- | --- |
/// | no token | 401 | `Bearer realm="passage"` | 16 `UNAUTHENTICATED` |
/// | bad `Authorization` header, conflicting cookies | 400 | `Bearer realm="passage", error="invalid_request", ...` | 16 `UNAUTHENTICATED` |
/// | bad token (expired, forged, wrong audience...) | 401 | `Bearer realm="passage", error="invalid_token", ...` | 16 `UNAUTHENTICATED` |
/// | key set unavailable | 503 (with `Retry-After: 5`) | none | 14 `UNAVAILABLE` |
///
/// The HTTP body is `{"code": "<AuthError::code>", "error": "<message>"}`, the gRPC message
/// the same message; neither ever holds the token.
///
/// ```
/// use passage_identity::{axum::AuthRejection, AuthError};
///
/// let response = AuthRejection::from(AuthError::BadSignature).http_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// ```
#[derive(Debug)]
pub struct AuthRejection(AuthError);

/// gRPC status codes (the gRPC core spec's `Code`).
const GRPC_UNAUTHENTICATED: &str = "16";
const GRPC_UNAVAILABLE: &str = "14";

/// What `grpc-message` must percent-encode: controls, non-ASCII and `%` itself (the gRPC over
/// HTTP/2 spec).
const GRPC_MESSAGE: &AsciiSet = &CONTROLS.add(b'%');

impl AuthRejection {
    /// The reason.
    ///
    /// ```
    /// # use passage_identity::{axum::AuthRejection, AuthError};
    /// let rejection = AuthRejection::from(AuthError::WrongIssuer);
    /// assert_eq!(rejection.error().code(), "invalid_issuer");
    /// ```
    pub fn error(&self) -> &AuthError {
        &self.0
    }

    /// The reason, by value.
    ///
    /// ```
    /// # use passage_identity::{axum::AuthRejection, AuthError};
    /// let error: AuthError = AuthRejection::from(AuthError::MissingKeyId).into_error();
    /// # let _ = error;
    /// ```
    pub fn into_error(self) -> AuthError {
        self.0
    }

    /// The status of the HTTP response: 401, 400 or 503.
    ///
    /// ```
    /// # use passage_identity::{axum::AuthRejection, AuthError};
    /// let rejection = AuthRejection::from(AuthError::Expired { expired_at: 0 });
    /// assert_eq!(rejection.status(), 401);
    /// ```
    pub fn status(&self) -> StatusCode {
        match &self.0 {
            e if e.is_server_error() => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::InvalidAuthorizationHeader { .. } | AuthError::AmbiguousCookie { .. } => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The HTTP response: the status, `Content-Type: application/json`, the RFC 6750 challenge
    /// or `Retry-After`, and the JSON body. For a framework this crate has no glue for, or to
    /// start a custom rejection from.
    ///
    /// ```
    /// # use passage_identity::{axum::AuthRejection, AuthError};
    /// let response = AuthRejection::from(AuthError::Expired { expired_at: 0 }).http_response();
    /// assert!(response.headers()["www-authenticate"].to_str()?.contains("invalid_token"));
    /// assert!(response.body().contains(r#""code":"token_expired""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_response(&self) -> Response<String> {
        self.log();
        let body = serde_json::json!({ "code": self.0.code(), "error": self.0.to_string() });
        let mut response = Response::new(body.to_string());
        *response.status_mut() = self.status();
        for (name, value) in self.headers() {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        response
    }

    /// The gRPC response: trailers-only, HTTP 200 with `grpc-status` 16 (`UNAUTHENTICATED`) or
    /// 14 (`UNAVAILABLE`) and the message percent-encoded in `grpc-message`, and no body.
    ///
    /// ```
    /// # use passage_identity::{axum::AuthRejection, AuthError};
    /// let response = AuthRejection::from(AuthError::BadSignature).grpc_response();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["grpc-status"], "16");
    /// ```
    pub fn grpc_response(&self) -> Response<String> {
        self.log();
        let code = if self.0.is_server_error() {
            GRPC_UNAVAILABLE
        } else {
            GRPC_UNAUTHENTICATED
        };
        let message = utf8_percent_encode(&self.0.to_string(), GRPC_MESSAGE).to_string();
        let mut response = Response::new(String::new());
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert("grpc-status", HeaderValue::from_static(code));
        // Percent-encoded text is visible ASCII, so this cannot fail; the code alone would do.
        if let Ok(message) = HeaderValue::try_from(message) {
            headers.insert("grpc-message", message);
        }
        response
    }

    /// The headers of the HTTP response, as fixed text: nothing from the request is echoed into
    /// a header.
    fn headers(&self) -> impl Iterator<Item = (HeaderName, &'static str)> {
        let retry_after = self.0.is_server_error().then_some((RETRY_AFTER, "5"));
        let challenge = self.challenge().map(|c| (WWW_AUTHENTICATE, c));
        [(CONTENT_TYPE, "application/json")]
            .into_iter()
            .chain(challenge)
            .chain(retry_after)
    }

    /// The RFC 6750 challenge, for 401 and 400 responses.
    fn challenge(&self) -> Option<&'static str> {
        Some(match &self.0 {
            e if e.is_server_error() => return None,
            AuthError::MissingCredentials(_) => r#"Bearer realm="passage""#,
            AuthError::InvalidAuthorizationHeader { .. } => {
                r#"Bearer realm="passage", error="invalid_request", error_description="the Authorization header is not a single Bearer token""#
            }
            AuthError::AmbiguousCookie { .. } => {
                r#"Bearer realm="passage", error="invalid_request", error_description="the request carries conflicting psg_auth_token cookies""#
            }
            AuthError::Expired { .. } => {
                r#"Bearer realm="passage", error="invalid_token", error_description="the token has expired""#
            }
            _ => {
                r#"Bearer realm="passage", error="invalid_token", error_description="the token is not valid for this app""#
            }
        })
    }

    /// Our failures are worth a warning; the client's are logged at debug when validated.
    fn log(&self) {
        if self.0.is_server_error() {
            tracing::warn!(error = %crate::auth::ErrorChain(&self.0), "answering 503: cannot check Passage tokens");
        }
    }
}

impl From<AuthError> for AuthRejection {
    fn from(error: AuthError) -> Self {
        Self(error)
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request not authenticated: {}", self.0)
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grpc_message_is_percent_encoded() {
        let error = AuthError::UnknownKeyId {
            kid: "\"ké%\"".into(),
        };
        let response = AuthRejection::from(error).grpc_response();
        let message = response.headers()["grpc-message"].to_str().unwrap();
        assert!(message.contains("k%C3%A9%25"), "{message}");
    }
}
