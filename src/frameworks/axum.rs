//! axum integration: the authenticated user as a handler argument.
//!
//! [`PassageUser`] (the user id) and [`PassageClaims`] (all verified claims) authenticate the
//! request with [`Passage::authenticate_request`] from any state `S` with
//! `Passage: FromRef<S>`. A request that fails is answered by [`AuthRejection`]: 401 with a
//! `WWW-Authenticate: Bearer` challenge (RFC 6750) and a JSON body
//! `{"code": "...", "error": "..."}`, 400 for an unusable `Authorization` header, or 503 when the
//! app's keys cannot be loaded.
//!
//! Behind the tower layer (`passage_identity::tower::PassageLayer`, feature `tower`) the
//! extractors use the layer's result rather than check the token again.
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

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::Passage;

pub use super::{AuthRejection, PassageClaims, PassageUser};

impl<S> FromRequestParts<S> for PassageUser
where
    Passage: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<PassageUser>() {
            return Ok(user.clone());
        }
        let passage = Passage::from_ref(state);
        Ok(Self(passage.authenticate_request(&*parts).await?))
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
        if let Some(claims) = parts.extensions.get::<PassageClaims>() {
            return Ok(claims.clone());
        }
        let passage = Passage::from_ref(state);
        let claims = passage.authenticate_request_claims(&*parts).await?;
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

/// The response of [`AuthRejection::http_response`].
impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        self.http_response().into_response()
    }
}
