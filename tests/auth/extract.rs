//! `authenticate_request`: the token from the `psg_auth_token` cookie or `Authorization: Bearer`.

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, HeaderValue};
use passage_identity::{AuthError, AuthStrategy, Passage, auth::AUTH_COOKIE_NAME};

use crate::common::auth::*;

fn headers(pairs: &[(http::HeaderName, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(name.clone(), HeaderValue::from_str(value).unwrap());
    }
    map
}

async fn with_strategy(strategy: AuthStrategy) -> (JwksServer, Passage, String) {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().auth_strategy(strategy).build().unwrap();
    let token = server.token(key_a());
    (server, passage, token)
}

async fn by_cookie(cookies: &[String]) -> Result<String, AuthError> {
    let (_server, passage, _) = with_strategy(AuthStrategy::Cookie).await;
    let map = headers(
        &cookies
            .iter()
            .map(|c| (COOKIE, c.clone()))
            .collect::<Vec<_>>(),
    );
    passage.authenticate_request(&map).await
}

// --- cookie ---

#[tokio::test]
async fn the_cookie_is_the_default_strategy() {
    let server = JwksServer::start(&[key_a()]).await;
    let passage = server.passage().build().unwrap();
    let token = server.token(key_a());
    let map = headers(&[(COOKIE, format!("{AUTH_COOKIE_NAME}={token}"))]);
    assert_eq!(passage.authenticate_request(&map).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn the_cookie_is_found_among_others() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let map = headers(&[(
        COOKIE,
        format!("theme=dark; psg_auth_token={token}; _ga=GA1.2.3.4"),
    )]);
    assert_eq!(passage.authenticate_request(&map).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn a_quoted_cookie_value_is_unquoted() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let map = headers(&[(COOKIE, format!("psg_auth_token=\"{token}\""))]);
    assert_eq!(passage.authenticate_request(&map).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn white_space_around_cookies_is_ignored() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let map = headers(&[(COOKIE, format!("  a=1 ;\t psg_auth_token = {token}  ;b=2;"))]);
    assert_eq!(passage.authenticate_request(&map).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn the_cookie_is_found_in_any_of_several_cookie_headers() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let map = headers(&[
        (COOKIE, "a=1; b=2".to_owned()),
        (COOKIE, format!("psg_auth_token={token}")),
        (COOKIE, "c=3".to_owned()),
    ]);
    assert_eq!(passage.authenticate_request(&map).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn the_first_of_two_auth_cookies_is_used() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let map = headers(&[(
        COOKIE,
        format!("psg_auth_token={token}; psg_auth_token=stale"),
    )]);
    assert_eq!(passage.authenticate_request(&map).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn no_auth_cookie_is_missing_credentials() {
    for cookies in [
        vec![],
        vec!["theme=dark; lang=en".to_owned()],
        vec!["psg_auth_token=".to_owned()],
        vec!["psg_auth_token=\"\"".to_owned()],
        vec!["psg_auth_token".to_owned()],
        vec!["PSG_AUTH_TOKEN=abc".to_owned()],
    ] {
        let err = by_cookie(&cookies).await.unwrap_err();
        assert!(
            matches!(err, AuthError::MissingCredentials(AuthStrategy::Cookie)),
            "{cookies:?}: {err:?}"
        );
        assert!(err.is_missing_credentials());
    }
}

#[tokio::test]
async fn a_bad_cookie_token_is_checked_like_any_token() {
    let err = by_cookie(&["psg_auth_token=garbage".to_owned()])
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Malformed { .. }), "{err:?}");
}

#[tokio::test]
async fn the_cookie_strategy_ignores_the_authorization_header() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let map = headers(&[(AUTHORIZATION, format!("Bearer {token}"))]);
    let err = passage.authenticate_request(&map).await.unwrap_err();
    assert!(matches!(err, AuthError::MissingCredentials(_)), "{err:?}");
}

// --- header ---

#[tokio::test]
async fn a_bearer_token_is_accepted_whatever_the_scheme_case() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Header).await;
    for value in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer    {token}  "),
        format!("Bearer\t{token}"),
    ] {
        let map = headers(&[(AUTHORIZATION, value.clone())]);
        assert_eq!(
            passage.authenticate_request(&map).await.unwrap(),
            USER_ID,
            "{value:?}"
        );
    }
}

#[tokio::test]
async fn other_schemes_and_empty_bearers_are_invalid_headers() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Header).await;
    for value in [
        format!("Basic {token}"),
        format!("Token {token}"),
        token.clone(),
        "Bearer".to_owned(),
        "Bearer    ".to_owned(),
        String::new(),
        format!("Bearer {token} extra"),
        format!("Bearer{token}"),
    ] {
        let map = headers(&[(AUTHORIZATION, value.clone())]);
        let err = passage.authenticate_request(&map).await.unwrap_err();
        assert!(
            matches!(err, AuthError::InvalidAuthorizationHeader { .. }),
            "{value:?}: {err:?}"
        );
        assert!(!err.to_string().contains(&token));
    }
}

#[tokio::test]
async fn two_authorization_headers_are_invalid() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Header).await;
    let map = headers(&[
        (AUTHORIZATION, format!("Bearer {token}")),
        (AUTHORIZATION, format!("Bearer {token}")),
    ]);
    let err = passage.authenticate_request(&map).await.unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidAuthorizationHeader { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn no_authorization_header_is_missing_credentials() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Header).await;
    // The header strategy ignores the cookie.
    let map = headers(&[(COOKIE, format!("psg_auth_token={token}"))]);
    let err = passage.authenticate_request(&map).await.unwrap_err();
    assert!(
        matches!(err, AuthError::MissingCredentials(AuthStrategy::Header)),
        "{err:?}"
    );
}

// --- header or cookie ---

#[tokio::test]
async fn header_or_cookie_accepts_either() {
    let (_server, passage, token) = with_strategy(AuthStrategy::HeaderOrCookie).await;
    let by_header = headers(&[(AUTHORIZATION, format!("Bearer {token}"))]);
    let by_cookie = headers(&[(COOKIE, format!("psg_auth_token={token}"))]);
    assert_eq!(
        passage.authenticate_request(&by_header).await.unwrap(),
        USER_ID
    );
    assert_eq!(
        passage.authenticate_request(&by_cookie).await.unwrap(),
        USER_ID
    );
    let err = passage
        .authenticate_request(&HeaderMap::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::MissingCredentials(AuthStrategy::HeaderOrCookie)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn header_or_cookie_lets_a_present_header_decide() {
    let (_server, passage, token) = with_strategy(AuthStrategy::HeaderOrCookie).await;
    let map = headers(&[
        (AUTHORIZATION, "Bearer garbage".to_owned()),
        (COOKIE, format!("psg_auth_token={token}")),
    ]);
    let err = passage.authenticate_request(&map).await.unwrap_err();
    assert!(matches!(err, AuthError::Malformed { .. }), "{err:?}");
}

// --- claims ---

#[tokio::test]
async fn authenticate_request_claims_returns_the_claims() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let map = headers(&[(COOKIE, format!("psg_auth_token={token}"))]);
    let claims = passage.authenticate_request_claims(&map).await.unwrap();
    assert_eq!(claims.sub, USER_ID);
    assert!(claims.aud.contains(APP_ID));
}
