use http::HeaderValue;
use proptest::prelude::*;

use super::*;

fn headers(pairs: &[(&HeaderName, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append((*name).clone(), HeaderValue::from_bytes(value).unwrap());
    }
    map
}

fn cookies(values: &[&[u8]]) -> Result<Presented, AuthError> {
    let pairs: Vec<_> = values.iter().map(|v| (&COOKIE, *v)).collect();
    presented(&headers(&pairs), AuthStrategy::Cookie)
}

fn one(token: &str) -> Option<Presented> {
    Some(Presented::One(token.to_owned()))
}

#[test]
fn unquote_strips_one_pair_of_quotes() {
    assert_eq!(unquote(b"\"abc\""), b"abc");
    assert_eq!(unquote(b"\"abc"), b"\"abc");
    assert_eq!(unquote(b"\""), b"\"");
}

#[test]
fn cookie_names_are_case_sensitive() {
    assert!(matches!(
        cookies(&[b"PSG_AUTH_TOKEN=abc"]),
        Err(AuthError::MissingCredentials(_))
    ));
}

#[test]
fn a_cookie_whose_name_ends_with_ours_is_not_ours() {
    assert!(matches!(
        cookies(&[b"xpsg_auth_token=abc; psg_auth_token_old=def"]),
        Err(AuthError::MissingCredentials(_))
    ));
}

#[test]
fn a_utf8_value_of_another_cookie_does_not_hide_ours() {
    let header = "name=Zoë; psg_auth_token=tok; city=Zürich";
    assert_eq!(cookies(&[header.as_bytes()]).ok(), one("tok"));
}

#[test]
fn a_non_utf8_byte_in_another_cookie_does_not_hide_ours() {
    assert_eq!(
        cookies(&[b"a=\xff\xfe; psg_auth_token=tok"]).ok(),
        one("tok")
    );
    assert_eq!(
        cookies(&[b"a=\xff", b"psg_auth_token=tok"]).ok(),
        one("tok")
    );
}

#[test]
fn our_cookie_with_a_non_ascii_value_is_malformed() {
    let err = cookies(&["psg_auth_token=tök".as_bytes()]).unwrap_err();
    assert!(matches!(err, AuthError::Malformed { .. }), "{err:?}");
}

#[test]
fn a_non_ascii_duplicate_of_our_cookie_is_ignored_beside_a_readable_one() {
    let header = "psg_auth_token=tök; psg_auth_token=tok";
    assert_eq!(cookies(&[header.as_bytes()]).ok(), one("tok"));
}

#[test]
fn an_empty_first_value_does_not_hide_the_real_one() {
    assert_eq!(
        cookies(&[b"psg_auth_token=; psg_auth_token=tok"]).ok(),
        one("tok")
    );
    assert_eq!(
        cookies(&[b"psg_auth_token=\"\"", b"psg_auth_token=tok"]).ok(),
        one("tok")
    );
}

#[test]
fn the_same_value_twice_is_one_token() {
    assert_eq!(
        cookies(&[
            b"psg_auth_token=tok; psg_auth_token=\"tok\"",
            b"psg_auth_token=tok"
        ])
        .ok(),
        one("tok")
    );
}

#[test]
fn different_values_are_all_presented_in_order() {
    let expected = Some(Presented::Several(vec!["first".into(), "second".into()]));
    assert_eq!(
        cookies(&[b"psg_auth_token=first; psg_auth_token=second"]).ok(),
        expected
    );
    // Split over several Cookie headers, as HTTP/2 may send them.
    assert_eq!(
        cookies(&[b"a=1; psg_auth_token=first", b"psg_auth_token=second"]).ok(),
        expected
    );
}

#[test]
fn too_many_different_values_are_ambiguous() {
    let header: String = (0..=MAX_COOKIE_TOKENS)
        .map(|i| format!("psg_auth_token=t{i}; "))
        .collect();
    let err = cookies(&[header.as_bytes()]).unwrap_err();
    assert!(matches!(err, AuthError::AmbiguousCookie { .. }), "{err:?}");
}

#[test]
fn header_or_cookie_prefers_the_header() {
    let map = headers(&[
        (&AUTHORIZATION, b"Bearer from-header"),
        (&COOKIE, b"psg_auth_token=from-cookie"),
    ]);
    assert_eq!(
        presented(&map, AuthStrategy::HeaderOrCookie).ok(),
        one("from-header")
    );
}

#[test]
fn header_or_cookie_falls_back_to_the_cookie() {
    let map = headers(&[(&COOKIE, b"psg_auth_token=from-cookie")]);
    assert_eq!(
        presented(&map, AuthStrategy::HeaderOrCookie).ok(),
        one("from-cookie")
    );
}

#[test]
fn header_or_cookie_does_not_fall_back_past_a_bad_header() {
    let map = headers(&[
        (&AUTHORIZATION, b"Basic abc"),
        (&COOKIE, b"psg_auth_token=from-cookie"),
    ]);
    assert!(matches!(
        presented(&map, AuthStrategy::HeaderOrCookie),
        Err(AuthError::InvalidAuthorizationHeader { .. })
    ));
}

#[test]
fn a_non_ascii_authorization_header_is_invalid() {
    let map = headers(&[(&AUTHORIZATION, "Bearer tök".as_bytes())]);
    assert!(matches!(
        presented(&map, AuthStrategy::Header),
        Err(AuthError::InvalidAuthorizationHeader { .. })
    ));
}

#[test]
fn a_request_and_its_parts_read_like_its_headers() {
    let request = http::Request::builder()
        .header(COOKIE, "psg_auth_token=tok")
        .body(())
        .unwrap();
    assert_eq!(presented(&request, AuthStrategy::Cookie).ok(), one("tok"));
    let (parts, ()) = request.into_parts();
    assert_eq!(presented(&parts, AuthStrategy::Cookie).ok(), one("tok"));
}

// --- properties ---

/// Bytes a header value may hold: anything but control characters (tab is allowed).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff],
        0..200,
    )
}

/// A JWT-shaped token: base64url parts and dots.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_\\-]{1,40}(\\.[A-Za-z0-9_\\-]{0,40}){0,2}"
}

/// Another cookie: a name that is not ours and a value of any header bytes but `;`.
fn other_cookie() -> impl Strategy<Value = Vec<u8>> {
    (header_bytes(), header_bytes()).prop_filter_map("not our cookie", |(name, value)| {
        let name: Vec<u8> = name
            .into_iter()
            .filter(|b| *b != b';' && *b != b'=')
            .collect();
        (trim(&name) != AUTH_COOKIE_NAME.as_bytes()).then(|| {
            let mut pair = name;
            pair.push(b'=');
            pair.extend(value.into_iter().filter(|b| *b != b';'));
            pair
        })
    })
}

fn strategies() -> impl Strategy<Value = AuthStrategy> {
    prop_oneof![
        Just(AuthStrategy::Cookie),
        Just(AuthStrategy::Header),
        Just(AuthStrategy::HeaderOrCookie),
    ]
}

proptest! {
    #[test]
    fn arbitrary_headers_give_an_error_or_tokens_they_hold(
        cookie_headers in proptest::collection::vec(header_bytes(), 0..3),
        authorization in proptest::option::of(header_bytes()),
        strategy in strategies(),
    ) {
        let mut pairs: Vec<(&HeaderName, &[u8])> =
            cookie_headers.iter().map(|c| (&COOKIE, c.as_slice())).collect();
        if let Some(value) = &authorization {
            pairs.push((&AUTHORIZATION, value.as_slice()));
        }
        let map = headers(&pairs);
        let tokens = match presented(&map, strategy) {
            Ok(Presented::One(token)) => vec![token],
            Ok(Presented::Several(tokens)) => {
                prop_assert!((2..=MAX_COOKIE_TOKENS).contains(&tokens.len()));
                tokens
            }
            Err(_) => return Ok(()),
        };
        let all: Vec<u8> = pairs.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        for token in tokens {
            prop_assert!(!token.is_empty());
            prop_assert!(token.bytes().all(|b| b.is_ascii_graphic()));
            let found = all.windows(token.len()).any(|w| w == token.as_bytes());
            prop_assert!(found, "{token:?} is not in the request");
        }
    }

    #[test]
    fn our_cookie_among_any_others_is_found(
        before in proptest::collection::vec(other_cookie(), 0..4),
        after in proptest::collection::vec(other_cookie(), 0..4),
        token in token(),
        quoted in any::<bool>(),
        split in any::<bool>(),
    ) {
        let ours = if quoted {
            format!("{AUTH_COOKIE_NAME}=\"{token}\"")
        } else {
            format!(" {AUTH_COOKIE_NAME} =\t{token} ")
        };
        let mut first = before.join(&b';');
        first.extend_from_slice(b";");
        first.extend_from_slice(ours.as_bytes());
        let rest = after.join(&b';');
        let map = if split {
            headers(&[(&COOKIE, &first), (&COOKIE, &rest)])
        } else {
            first.push(b';');
            first.extend_from_slice(&rest);
            headers(&[(&COOKIE, &first)])
        };
        prop_assert_eq!(presented(&map, AuthStrategy::Cookie).ok(), one(&token));
    }

    #[test]
    fn a_bearer_header_gives_its_token(
        token in token(),
        scheme in "[bB][eE][aA][rR][eE][rR]",
        gap in "[ \t]{1,3}",
        trailing in "[ \t]{0,3}",
    ) {
        let value = format!("{scheme}{gap}{token}{trailing}");
        let map = headers(&[(&AUTHORIZATION, value.as_bytes())]);
        prop_assert_eq!(presented(&map, AuthStrategy::Header).ok(), one(&token));
    }

    #[test]
    fn an_arbitrary_authorization_header_gives_an_error_or_its_bearer_token(
        value in header_bytes(),
    ) {
        let map = headers(&[(&AUTHORIZATION, &value)]);
        match presented(&map, AuthStrategy::Header) {
            Ok(Presented::One(token)) => {
                let text = std::str::from_utf8(&value).unwrap();
                let text = text.trim_matches([' ', '\t']);
                prop_assert!(text[..6].eq_ignore_ascii_case("bearer"));
                prop_assert_eq!(text[6..].trim_matches([' ', '\t']), token.as_str());
            }
            Ok(other) => prop_assert!(false, "one header gave {other:?}"),
            Err(error) => prop_assert!(
                matches!(error, AuthError::InvalidAuthorizationHeader { .. }),
                "{error:?}"
            ),
        }
    }
}

/// The plain reading of a `Cookie` header that the name search must agree with: split at every
/// `;`, then at the first `=`; ours when the trimmed name is ours.
fn cookie_values_by_pairs(header: &[u8]) -> Vec<&[u8]> {
    header
        .split(|&b| b == b';')
        .filter_map(|pair| {
            let at = pair.iter().position(|&b| b == b'=')?;
            (trim(&pair[..at]) == AUTH_COOKIE_NAME.as_bytes())
                .then(|| unquote(trim(&pair[at + 1..])))
        })
        .collect()
}

/// A `Cookie` header made of pieces that make names and pairs hard to tell apart: our name
/// (whole and in part), separators, quotes, white space and arbitrary header bytes.
fn tricky_cookie_header() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"psg_auth_token".to_vec()),
        Just(b"psg_auth".to_vec()),
        Just(b"_token".to_vec()),
        Just(b";".to_vec()),
        Just(b"=".to_vec()),
        Just(b"\"".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\t".to_vec()),
        header_bytes(),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn the_name_search_reads_the_pairs_the_plain_split_reads(
        header in tricky_cookie_header(),
    ) {
        let map = headers(&[(&COOKIE, &header)]);
        let found: Vec<&[u8]> = cookie_values(&map).collect();
        prop_assert_eq!(found, cookie_values_by_pairs(&header));
    }
}

#[test]
fn our_cookie_name_has_no_prefix_that_is_also_its_suffix() {
    // What lets the name search skip overlapping occurrences.
    let name = AUTH_COOKIE_NAME.as_bytes();
    assert!((1..name.len()).all(|k| name[..k] != name[name.len() - k..]));
}
