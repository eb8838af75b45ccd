//! actix-web integration: the authenticated user as a handler argument, and middleware.
//!
//! The [`Passage`] comes from the app data: `App::new().app_data(passage)` (or
//! `.app_data(web::Data::new(passage))`). A request that fails is answered like everywhere in
//! this crate, by [`AuthRejection`]: 401 with `WWW-Authenticate` and a JSON body, 400 for an
//! unusable `Authorization` header, 503 with `Retry-After` when the keys cannot be loaded.
//!
//! - [`PassageUser`] and [`PassageClaims`] reject a request that is not authenticated.
//! - [`OptionalPassageUser`] and [`OptionalPassageClaims`] hold `None` only when the request
//!   has no token; a bad token is still rejected. (actix-web's own `Option<T>` extractor turns
//!   every failure into `None`, so a forged token would pass as an anonymous visitor: use these.)
//! - To handle a failure yourself, take `Result<PassageUser, actix_web::Error>` and look at
//!   `error.as_error::<AuthRejection>()`.
//! - [`authenticate`] and [`authenticate_optional`] are middleware for
//!   `actix_web::middleware::from_fn`: the first rejects, the second only annotates; both put
//!   the user in the request extensions, where the extractors find it.
//!
//! A `Passage` missing from the app data is a bug of the app: the extractors answer 500 and log
//! an error.
//!
//! ```no_run
//! use actix_web::{web, App, HttpServer};
//! use passage_identity::actix::{OptionalPassageUser, PassageUser};
//! use passage_identity::Passage;
//!
//! async fn me(PassageUser(user_id): PassageUser) -> String {
//!     format!("hello {user_id}")
//! }
//!
//! async fn home(OptionalPassageUser(user): OptionalPassageUser) -> String {
//!     match user {
//!         Some(PassageUser(id)) => format!("welcome back {id}"),
//!         None => "welcome, please sign in".into(),
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let passage = Passage::new("my-app-id", "my-api-key")?;
//! HttpServer::new(move || {
//!     App::new()
//!         .app_data(passage.clone())
//!         .route("/me", web::get().to(me))
//!         .route("/", web::get().to(home))
//! })
//! .bind("127.0.0.1:3000")?
//! .run()
//! .await?;
//! # Ok(()) }
//! ```

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use http::HeaderName;

use crate::auth::RequestHeaders;
use crate::{AuthError, Claims, Passage};

pub use super::{AuthRejection, PassageClaims, PassageUser};

/// The user id, or `None` when the request carries no token. A bad token is still rejected.
///
/// ```no_run
/// use passage_identity::actix::{OptionalPassageUser, PassageUser};
///
/// async fn home(OptionalPassageUser(user): OptionalPassageUser) -> String {
///     user.map_or("anonymous".into(), |PassageUser(id)| id)
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionalPassageUser(pub Option<PassageUser>);

/// All verified claims, or `None` when the request carries no token. A bad token is still
/// rejected.
///
/// ```no_run
/// use passage_identity::actix::{OptionalPassageClaims, PassageClaims};
///
/// async fn home(OptionalPassageClaims(claims): OptionalPassageClaims) -> String {
///     claims.map_or("anonymous".into(), |PassageClaims(claims)| claims.sub)
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OptionalPassageClaims(pub Option<PassageClaims>);

impl RequestHeaders for HttpRequest {
    fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &[u8]> {
        self.headers()
            .get_all(name.as_str())
            .map(actix_web::http::header::HeaderValue::as_bytes)
    }
}

impl RequestHeaders for ServiceRequest {
    fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &[u8]> {
        self.request().header_values(name)
    }
}

/// The claims of the request: those the middleware found, else checked now.
fn claims(request: &HttpRequest) -> LocalBoxFuture<'static, Result<Claims, actix_web::Error>> {
    if let Some(PassageClaims(claims)) = request.extensions().get::<PassageClaims>() {
        let claims = claims.clone();
        return Box::pin(async { Ok(claims) });
    }
    let checked = passage_of(request).map(|passage| passage.authenticate_request_claims(request));
    Box::pin(async move {
        checked?
            .await
            .map_err(|error| AuthRejection::from(error).into())
    })
}

/// The user of the request: the one the middleware found, else checked now (the user id only,
/// without reading the other claims).
fn user(request: &HttpRequest) -> LocalBoxFuture<'static, Result<PassageUser, actix_web::Error>> {
    if let Some(user) = request.extensions().get::<PassageUser>() {
        let user = user.clone();
        return Box::pin(async { Ok(user) });
    }
    let checked = passage_of(request).map(|passage| passage.authenticate_request(request));
    Box::pin(async move {
        checked?
            .await
            .map(PassageUser)
            .map_err(|error| AuthRejection::from(error).into())
    })
}

/// The `Passage` of the app data, as `Passage` or `web::Data<Passage>`.
fn passage_of(request: &HttpRequest) -> Result<Passage, actix_web::Error> {
    request
        .app_data::<Passage>()
        .cloned()
        .or_else(|| {
            request
                .app_data::<web::Data<Passage>>()
                .map(|data| Passage::clone(data))
        })
        .ok_or_else(|| {
            tracing::error!("no Passage in the actix-web app data: add it with App::app_data");
            actix_web::error::ErrorInternalServerError("authentication is not configured")
        })
}

/// The optional form: `None` only for an [`AuthRejection`] of a request without a token.
async fn optional<T>(
    checked: LocalBoxFuture<'static, Result<T, actix_web::Error>>,
) -> Result<Option<T>, actix_web::Error> {
    match checked.await {
        Ok(value) => Ok(Some(value)),
        Err(error) => match error.as_error::<AuthRejection>() {
            Some(rejection) if rejection.error().is_missing_credentials() => Ok(None),
            _ => Err(error),
        },
    }
}

impl FromRequest for PassageClaims {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let checked = claims(request);
        Box::pin(async move { checked.await.map(Self) })
    }
}

impl FromRequest for PassageUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        user(request)
    }
}

impl FromRequest for OptionalPassageClaims {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = PassageClaims::from_request(request, payload);
        Box::pin(async move { optional(checked).await.map(Self) })
    }
}

impl FromRequest for OptionalPassageUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = PassageUser::from_request(request, payload);
        Box::pin(async move { optional(checked).await.map(Self) })
    }
}

/// The response of [`AuthRejection::http_response`].
impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::UNAUTHORIZED)
    }

    fn error_response(&self) -> HttpResponse {
        let response = self.http_response();
        let mut answer = HttpResponse::build(self.status_code());
        for (name, value) in response.headers() {
            if let Ok(value) = value.to_str() {
                answer.insert_header((name.as_str(), value));
            }
        }
        answer.body(response.into_body())
    }
}

/// Middleware that lets only authenticated requests through, for
/// `actix_web::middleware::from_fn`. The user goes into the request extensions, where
/// [`PassageUser`] and [`PassageClaims`] (and `web::ReqData<PassageUser>`) find it.
///
/// ```no_run
/// use actix_web::{middleware::from_fn, web, App};
/// use passage_identity::actix::{authenticate, PassageUser};
///
/// # fn app(passage: passage_identity::Passage) {
/// let app = App::new()
///     .app_data(passage)
///     .wrap(from_fn(authenticate))
///     .route("/me", web::get().to(|PassageUser(id): PassageUser| async move { id }));
/// # }
/// ```
pub async fn authenticate<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let claims = PassageClaims::extract(request.request()).await?;
    annotate(&request, claims);
    next.call(request).await
}

/// Middleware that lets every request through and only annotates the authenticated ones, for
/// `actix_web::middleware::from_fn`: a request without a token, with a bad one, or that cannot
/// be checked goes on without a user in its extensions.
///
/// ```no_run
/// use actix_web::{middleware::from_fn, web, App};
/// use passage_identity::actix::{authenticate_optional, PassageUser};
///
/// # fn app(passage: passage_identity::Passage) {
/// let app = App::new()
///     .app_data(passage)
///     .wrap(from_fn(authenticate_optional))
///     .route("/", web::get().to(|user: Option<web::ReqData<PassageUser>>| async move {
///         user.map_or("anonymous".to_owned(), |user| user.into_inner().0)
///     }));
/// # }
/// ```
pub async fn authenticate_optional<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    match claims(request.request()).await {
        Ok(claims) => annotate(&request, PassageClaims(claims)),
        Err(error) => {
            let unavailable = error
                .as_error::<AuthRejection>()
                .is_some_and(|rejection| rejection.error().is_server_error());
            if unavailable {
                tracing::warn!(%error, "cannot check Passage tokens: the request goes on as anonymous");
            }
        }
    }
    next.call(request).await
}

fn annotate(request: &ServiceRequest, claims: PassageClaims) {
    let mut extensions = request.extensions_mut();
    extensions.insert(PassageUser(claims.0.sub.clone()));
    extensions.insert(claims);
}

/// Lets a handler read the failure (see [`AuthRejection`]) from an `actix_web::Error`.
impl From<AuthError> for actix_web::Error {
    fn from(error: AuthError) -> Self {
        AuthRejection::from(error).into()
    }
}
