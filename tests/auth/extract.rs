//! `authenticate_request`: the token from the `psg_auth_token` cookie or `Authorization: Bearer`.

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, HeaderValue};
use passage_identity::{AuthError, AuthStrategy, Passage, auth::AUTH_COOKIE_NAME};
use serde_json::json;

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
async fn a_bad_duplicate_of_the_auth_cookie_does_not_lock_the_user_out() {
    let (server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let expired = server.token_with(key_a(), |c| c["exp"] = json!(now() - 60));
    for header in [
        format!("psg_auth_token=stale; psg_auth_token={token}"),
        format!("psg_auth_token={token}; psg_auth_token=stale"),
        format!("psg_auth_token=; psg_auth_token={token}"),
        format!("psg_auth_token={expired}; psg_auth_token={token}"),
    ] {
        let map = headers(&[(COOKIE, header.clone())]);
        let user = passage.authenticate_request(&map).await;
        assert_eq!(user.ok().as_deref(), Some(USER_ID), "{header}");
    }
}

#[tokio::test]
async fn two_valid_auth_cookies_for_one_user_are_accepted() {
    let (server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let other = server.token_with(key_a(), |c| c["iat"] = json!(now() - 30));
    assert_ne!(other, token);
    let map = headers(&[
        (COOKIE, format!("psg_auth_token={other}")),
        (COOKIE, format!("psg_auth_token={token}")),
    ]);
    assert_eq!(passage.authenticate_request(&map).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn a_planted_valid_cookie_for_another_user_is_ambiguous_not_a_winner() {
    let (server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let planted = server.token_with(key_a(), |c| c["sub"] = json!("attacker_0123456789abcd"));
    for header in [
        format!("psg_auth_token={planted}; psg_auth_token={token}"),
        format!("psg_auth_token={token}; psg_auth_token={planted}"),
    ] {
        let map = headers(&[(COOKIE, header)]);
        let err = passage.authenticate_request(&map).await.unwrap_err();
        assert!(matches!(err, AuthError::AmbiguousCookie { .. }), "{err:?}");
        assert_eq!(err.code(), "ambiguous_cookie");
        assert!(!err.to_string().contains(&token));
    }
}

#[tokio::test]
async fn only_bad_duplicates_fail_with_the_first_ones_error() {
    let (server, passage, _) = with_strategy(AuthStrategy::Cookie).await;
    let expired = server.token_with(key_a(), |c| c["exp"] = json!(now() - 60));
    let map = headers(&[(
        COOKIE,
        format!("psg_auth_token={expired}; psg_auth_token=garbage"),
    )]);
    let err = passage.authenticate_request(&map).await.unwrap_err();
    assert!(matches!(err, AuthError::Expired { .. }), "{err:?}");
}

#[tokio::test]
async fn another_cookie_with_a_utf8_value_does_not_hide_ours() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let mut map = HeaderMap::new();
    let header = format!("name=Zoë; psg_auth_token={token}");
    map.insert(COOKIE, HeaderValue::from_bytes(header.as_bytes()).unwrap());
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

// --- what can be authenticated ---

#[tokio::test]
async fn a_request_or_its_parts_can_be_passed_whole() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let request = http::Request::builder()
        .header(COOKIE, format!("psg_auth_token={token}"))
        .body(())
        .unwrap();
    assert_eq!(
        passage.authenticate_request(&request).await.unwrap(),
        USER_ID
    );
    let (parts, ()) = request.into_parts();
    assert_eq!(passage.authenticate_request(&parts).await.unwrap(), USER_ID);
}

#[tokio::test]
async fn the_future_borrows_neither_the_request_nor_the_client() {
    let (_server, passage, token) = with_strategy(AuthStrategy::Cookie).await;
    let request = http::Request::builder()
        .header(COOKIE, format!("psg_auth_token={token}"))
        .body(std::cell::Cell::new(0)) // a body that is not Sync
        .unwrap();
    let future = passage.authenticate_request(&request);
    drop(request);
    drop(passage);
    let user = tokio::spawn(future).await.unwrap();
    assert_eq!(user.unwrap(), USER_ID);
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

// --- hostile input ---

/// Bytes a header value may hold: anything but control characters (tab is allowed).
fn header_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    proptest::collection::vec(
        prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff],
        0..120,
    )
}

#[test]
fn arbitrary_cookie_and_authorization_bytes_give_an_error_or_the_user() {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_server, token, passages) = runtime.block_on(async {
        let server = JwksServer::start(&[key_a()]).await;
        let token = server.token(key_a());
        let passages: Vec<Passage> = [
            AuthStrategy::Cookie,
            AuthStrategy::Header,
            AuthStrategy::HeaderOrCookie,
        ]
        .into_iter()
        .map(|strategy| server.passage().auth_strategy(strategy).build().unwrap())
        .collect();
        passages[0].auth().warm_up().await.unwrap();
        (server, token, passages)
    });
    let config = ProptestConfig::with_cases(128);
    proptest!(config, |(
        cookie in header_bytes(),
        authorization in proptest::option::of(header_bytes()),
        append_ours in any::<bool>(),
        strategy in 0..3usize,
    )| {
        let mut cookie = cookie;
        if append_ours {
            cookie.extend_from_slice(format!("; psg_auth_token={token}").as_bytes());
        }
        let mut map = HeaderMap::new();
        map.append(COOKIE, HeaderValue::from_bytes(&cookie).unwrap());
        if let Some(value) = &authorization {
            map.append(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
        }
        let passage = &passages[strategy];
        let result = runtime.block_on(passage.authenticate_request(&map));
        match &result {
            Ok(user) => prop_assert_eq!(user.as_str(), USER_ID),
            Err(error) => prop_assert!(!error.to_string().contains(&token)),
        }
        let planted = cookie.windows(AUTH_COOKIE_NAME.len()).filter(|w| *w == AUTH_COOKIE_NAME.as_bytes()).count() > 1;
        if append_ours && strategy == 0 && !planted {
            prop_assert!(result.is_ok(), "{:?}", result);
        }
    });
}
