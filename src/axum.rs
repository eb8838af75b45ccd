//! axum integration: the authenticated user as a handler argument.
//!
//! [`PassageUser`] (the user id) and [`PassageClaims`] (all verified claims) authenticate the
//! request with [`Passage::authenticate_request`] from any state `S` with
//! `Passage: FromRef<S>`. A request that fails is answered by [`AuthRejection`]: 401 with a
//! `WWW-Authenticate: Bearer` challenge (RFC 6750) and a JSON body
//! `{"code": "...", "error": "..."}`, 400 for an unusable `Authorization` header, or 503 when the
//! app's keys cannot be loaded.
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use passage_identity::{axum::PassageUser, Passage};
//!
//! async fn me(PassageUser(user_id): PassageUser) -> String {
//!     format!("hello {user_id}")
//! }
//!
//! async fn home(user: Option<PassageUser>) -> String {
//!     match user {
//!         Some(PassageUser(id)) => format!("welcome back {id}"),
//!         None => "welcome, please sign in".into(),
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let passage = Passage::new("my-app-id", "my-api-key")?;
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/", get(home))
//!     .with_state(passage);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::fmt;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::{AuthError, Claims, Passage};

/// The id of the authenticated Passage user (the token's `sub`).
///
/// As `Option<PassageUser>` it is `None` for a request without a token; a request with a bad
/// token is still rejected. To handle every failure yourself, take
/// `Result<PassageUser, AuthRejection>`.
///
/// ```no_run
/// use passage_identity::axum::PassageUser;
///
/// async fn handler(PassageUser(user_id): PassageUser) -> String {
///     user_id
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassageUser(pub String);

/// All verified claims of the request's token.
///
/// ```no_run
/// use passage_identity::axum::PassageClaims;
///
/// async fn handler(PassageClaims(claims): PassageClaims) -> String {
///     format!("{} until {}", claims.sub, claims.exp)
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PassageClaims(pub Claims);

impl<S> FromRequestParts<S> for PassageUser
where
    Passage: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let passage = Passage::from_ref(state);
        let user_id = passage.authenticate_request(&parts.headers).await?;
        Ok(Self(user_id))
    }
}

impl<S> OptionalFromRequestParts<S> for PassageUser
where
    Passage: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        none_without_credentials(
            <Self as FromRequestParts<S>>::from_request_parts(parts, state).await,
        )
    }
}

impl<S> FromRequestParts<S> for PassageClaims
where
    Passage: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let passage = Passage::from_ref(state);
        let claims = passage.authenticate_request_claims(&parts.headers).await?;
        Ok(Self(claims))
    }
}

impl<S> OptionalFromRequestParts<S> for PassageClaims
where
    Passage: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        none_without_credentials(
            <Self as FromRequestParts<S>>::from_request_parts(parts, state).await,
        )
    }
}

/// The optional form of an extractor: a request without a token is `None`, a bad token still
/// a rejection.
fn none_without_credentials<T>(
    result: Result<T, AuthRejection>,
) -> Result<Option<T>, AuthRejection> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(rejection) if rejection.error().is_missing_credentials() => Ok(None),
        Err(rejection) => Err(rejection),
    }
}

/// Why [`PassageUser`] or [`PassageClaims`] refused a request, and the response that says so.
///
/// | error | status | `WWW-Authenticate` |
/// | --- | --- | --- |
/// | no token | 401 | `Bearer realm="passage"` |
/// | bad `Authorization` header | 400 | `Bearer realm="passage", error="invalid_request", ...` |
/// | bad token (expired, forged, wrong audience...) | 401 | `Bearer realm="passage", error="invalid_token", ...` |
/// | key set unavailable | 503 (with `Retry-After`) | none |
///
/// The body is `{"code": "<AuthError::code>", "error": "<message>"}`; it never holds the token.
///
/// ```
/// use axum::response::IntoResponse;
/// use passage_identity::{axum::AuthRejection, AuthError};
///
/// let response = AuthRejection::from(AuthError::BadSignature).into_response();
/// assert_eq!(response.status(), 401);
/// ```
#[derive(Debug)]
pub struct AuthRejection(AuthError);

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

    /// The status of the response: 401, 400 or 503.
    ///
    /// ```
    /// # use passage_identity::{axum::AuthRejection, AuthError};
    /// let rejection = AuthRejection::from(AuthError::Expired { expired_at: 0 });
    /// assert_eq!(rejection.status(), 401);
    /// ```
    pub fn status(&self) -> StatusCode {
        match &self.0 {
            e if e.is_server_error() => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::InvalidAuthorizationHeader { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The RFC 6750 challenge, for 401 and 400 responses. Only fixed text: nothing from the
    /// request is echoed into a header.
    fn challenge(&self) -> Option<&'static str> {
        Some(match &self.0 {
            e if e.is_server_error() => return None,
            AuthError::MissingCredentials(_) => r#"Bearer realm="passage""#,
            AuthError::InvalidAuthorizationHeader { .. } => {
                r#"Bearer realm="passage", error="invalid_request", error_description="the Authorization header is not a single Bearer token""#
            }
            AuthError::Expired { .. } => {
                r#"Bearer realm="passage", error="invalid_token", error_description="the token has expired""#
            }
            _ => {
                r#"Bearer realm="passage", error="invalid_token", error_description="the token is not valid for this app""#
            }
        })
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

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let status = self.status();
        if self.0.is_server_error() {
            tracing::warn!(error = %crate::auth::ErrorChain(&self.0), "answering 503: cannot check Passage tokens");
        }
        let body = serde_json::json!({ "code": self.0.code(), "error": self.0.to_string() });
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(challenge) = self.challenge() {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
