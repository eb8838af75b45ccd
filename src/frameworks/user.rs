//! What a handler gets of an authenticated request, in every framework.

use crate::Claims;

/// The id of the authenticated Passage user (the token's `sub`).
///
/// An extractor in axum and actix-web, and what the tower layer puts in the request's
/// extensions (with [`PassageClaims`]). When a tower `PassageLayer` already authenticated the
/// request, the axum and actix-web extractors use its result instead of checking the token again.
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

/// All verified claims of the request's token. Like [`PassageUser`], an extractor and a request
/// extension.
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

impl From<PassageClaims> for PassageUser {
    fn from(PassageClaims(claims): PassageClaims) -> Self {
        Self(claims.sub)
    }
}
