//! The sign-in page for local development, over plain HTTP: listing and searching users,
//! creating one, signing in (the cookie, the redirect back), signing out, and what it refuses
//! (other hosts to go back to, posts from other origins, unknown and deactivated users).

use passage_identity::emulator::Emulator;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderValue, LOCATION, SET_COOKIE};

use crate::emulator::support::{Reply, emulator, reply};

const APP: &str = "http://localhost:3000/dashboard?tab=1";

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// A page is a plain reply, with what the sign-in tests ask of one.
type Page = Reply;

impl Reply {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location: {self:?}"))
    }

    fn set_cookie(&self) -> Option<&str> {
        self.headers.get(SET_COOKIE).and_then(|v| v.to_str().ok())
    }

    fn assert_html(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.text);
        let content_type = self.headers[CONTENT_TYPE].to_str().unwrap();
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(self.text.starts_with("<!DOCTYPE html>"), "{}", self.text);
    }
}

async fn send(request: reqwest::RequestBuilder) -> Page {
    reply(request.send().await.expect("the emulator answers")).await
}

async fn get(emulator: &Emulator, path_and_query: &str) -> Page {
    send(client().get(format!("{}{path_and_query}", emulator.auth_base_url()))).await
}

/// A form post to `path`, with extra headers (as a browser would add them).
async fn post(
    emulator: &Emulator,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&'static str, &str)],
) -> Page {
    let mut request = client()
        .post(format!("{}{path}", emulator.auth_base_url()))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(encode_query(form));
    for (name, value) in headers {
        request = request.header(*name, HeaderValue::from_str(value).unwrap());
    }
    send(request).await
}

fn page_path(query: &[(&str, &str)]) -> String {
    let query = encode_query(query);
    format!("/emulator/sign-in?{query}")
}

fn encode_query(pairs: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params("http://x/", pairs)
        .unwrap()
        .query()
        .unwrap_or("")
        .to_owned()
}

/// A user to sign in as.
fn ada(emulator: &Emulator) -> passage_identity::raw::types::PassageUser {
    emulator
        .create_user_directly(Some("ada@example.com"), None)
        .expect("ada is created")
}

/// Posts the page's sign-in form.
async fn sign_in(
    emulator: &Emulator,
    form: &[(&str, &str)],
    headers: &[(&'static str, &str)],
) -> Page {
    post(emulator, "/emulator/sign-in", form, headers).await
}

/// The token in a `Set-Cookie: psg_auth_token=...` header.
fn token_of(set_cookie: &str) -> &str {
    set_cookie
        .strip_prefix("psg_auth_token=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("not the auth cookie: {set_cookie}"))
}

#[tokio::test]
async fn the_page_lists_the_users_without_an_api_key() {
    let emulator = emulator().await;
    let ada = ada(&emulator);
    let grace = emulator
        .create_user_directly(None, Some("+15551234567"))
        .unwrap();
    let page = get(&emulator, &page_path(&[("redirect_to", APP)])).await;
    page.assert_html(StatusCode::OK);
    for shown in [&ada.id, "ada@example.com", &grace.id, "+15551234567"] {
        assert!(page.text.contains(shown), "{shown} missing: {}", page.text);
    }
    // The newest first.
    assert!(page.text.find(&grace.id) < page.text.find(&ada.id));
    assert!(!page.text.contains(emulator.api_key()));
    assert_eq!(page.headers["cache-control"], "no-store");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn the_search_narrows_the_list_by_email_or_phone() {
    let emulator = emulator().await;
    ada(&emulator);
    emulator
        .create_user_directly(Some("grace@example.com"), Some("+15551234567"))
        .unwrap();
    let by_email = get(&emulator, &page_path(&[("q", "ADA@")])).await;
    by_email.assert_html(StatusCode::OK);
    assert!(by_email.text.contains("ada@example.com"));
    assert!(!by_email.text.contains("grace@example.com"));

    let by_phone = get(&emulator, &page_path(&[("q", "555 123")])).await;
    assert!(by_phone.text.contains("grace@example.com"));
    assert!(!by_phone.text.contains("ada@example.com"));

    let none = get(&emulator, &page_path(&[("q", "<nobody>")])).await;
    assert!(
        none.text.contains("No user matches “&lt;nobody&gt;”"),
        "{}",
        none.text
    );
}

#[tokio::test]
async fn signing_in_sets_the_cookie_to_a_token_for_the_user_and_goes_back() {
    let emulator = emulator().await;
    let ada = ada(&emulator);
    let reply = sign_in(
        &emulator,
        &[("user_id", &ada.id), ("redirect_to", APP)],
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(reply.location(), APP);
    let cookie = reply.set_cookie().expect("a cookie is set");
    assert!(
        cookie.ends_with("; Path=/; Max-Age=3600; SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.to_ascii_lowercase().contains("httponly"),
        "{cookie}"
    );

    let mut headers = http::HeaderMap::new();
    headers.insert(
        COOKIE,
        format!("psg_auth_token={}", token_of(cookie))
            .parse()
            .unwrap(),
    );
    let user_id = emulator
        .passage()
        .authenticate_request(&headers)
        .await
        .expect("the cookie holds a token the app accepts");
    assert_eq!(user_id, ada.id);
    assert_eq!(emulator.user(&ada.id).unwrap().login_count, 1);
}

#[tokio::test]
async fn without_redirect_to_the_page_says_who_is_signed_in() {
    let emulator = emulator().await;
    let ada = ada(&emulator);
    let reply = sign_in(
        &emulator,
        &[("user_id", &ada.id)],
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let token = token_of(reply.set_cookie().unwrap()).to_owned();
    let page = get(&emulator, reply.location()).await;
    page.assert_html(StatusCode::OK);
    assert!(
        page.text.contains("Signed in as ada@example.com"),
        "{}",
        page.text
    );
    assert!(!page.text.contains(&token), "no token in the page");
    assert!(!reply.location().contains(&token), "no token in the URL");
}

#[tokio::test]
async fn only_loopback_addresses_are_gone_back_to() {
    let emulator = emulator().await;
    let ada = ada(&emulator);
    for target in [
        "https://evil.example/",
        "http://localhost.evil.example/",
        "http://localhost@evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
    ] {
        let page = get(&emulator, &page_path(&[("redirect_to", target)])).await;
        page.assert_html(StatusCode::BAD_REQUEST);
        assert!(page.text.contains("is refused"), "{}", page.text);

        let reply = sign_in(
            &emulator,
            &[("user_id", &ada.id), ("redirect_to", target)],
            &[],
        )
        .await;
        reply.assert_html(StatusCode::BAD_REQUEST);
        assert_eq!(reply.set_cookie(), None, "{target}");

        let out = get(
            &emulator,
            &format!(
                "/emulator/sign-out?{}",
                encode_query(&[("redirect_to", target)])
            ),
        )
        .await;
        out.assert_html(StatusCode::BAD_REQUEST);
    }
    for target in ["http://127.0.0.1:3000/", "http://[::1]:3000/"] {
        let reply = sign_in(
            &emulator,
            &[("user_id", &ada.id), ("redirect_to", target)],
            &[],
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.location(), target);
    }
}

#[tokio::test]
async fn posts_from_another_origin_are_refused() {
    let emulator = emulator().await;
    let ada = ada(&emulator);
    let own_origin = emulator.auth_base_url();
    let host = own_origin.trim_start_matches("http://").to_owned();
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "http://evil.example")],
        vec![("origin", "http://localhost:3000"), ("host", host.as_str())],
    ] {
        let reply = sign_in(
            &emulator,
            &[("user_id", &ada.id), ("redirect_to", APP)],
            &headers,
        )
        .await;
        reply.assert_html(StatusCode::FORBIDDEN);
        assert_eq!(reply.set_cookie(), None, "{headers:?}");

        let created = post(
            &emulator,
            "/emulator/sign-in/users",
            &[("email", "mallory@example.com")],
            &headers,
        )
        .await;
        created.assert_html(StatusCode::FORBIDDEN);
    }
    assert_eq!(emulator.user(&ada.id).unwrap().login_count, 0);
    let page = get(&emulator, &page_path(&[("q", "mallory")])).await;
    assert!(!page.text.contains("mallory@example.com"), "not created");

    let same_origin = sign_in(
        &emulator,
        &[("user_id", &ada.id)],
        &[("origin", own_origin.as_str())],
    )
    .await;
    assert_eq!(
        same_origin.status,
        StatusCode::SEE_OTHER,
        "{}",
        same_origin.text
    );
}

#[tokio::test]
async fn creating_a_user_shows_it_on_the_page() {
    let emulator = emulator().await;
    let reply = post(
        &emulator,
        "/emulator/sign-in/users",
        &[
            ("email", "Grace@Example.com"),
            ("phone", ""),
            ("redirect_to", APP),
        ],
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(reply.set_cookie(), None, "creating does not sign in");
    let page = get(&emulator, reply.location()).await;
    page.assert_html(StatusCode::OK);
    assert!(
        page.text.contains("Created grace@example.com."),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("aria-label=\"Sign in as grace@example.com\"")
    );
    assert!(
        page.text
            .contains("value=\"http://localhost:3000/dashboard?tab=1\""),
        "redirect_to is kept: {}",
        page.text
    );
}

#[tokio::test]
async fn a_refused_user_is_explained_and_the_form_kept() {
    let emulator = emulator().await;
    ada(&emulator);
    for (email, phone, says) in [
        ("ada@example.com", "", "already exists"),
        ("not-an-email", "", "not a valid email address"),
        ("", "555", "not an E.164 phone number"),
        ("", "", "needs an email address or a phone number"),
    ] {
        let page = post(
            &emulator,
            "/emulator/sign-in/users",
            &[("email", email), ("phone", phone)],
            &[],
        )
        .await;
        page.assert_html(StatusCode::BAD_REQUEST);
        assert!(page.text.contains(says), "{says}: {}", page.text);
        assert!(page.text.contains(&format!(
            "name=\"email\" autocomplete=\"off\" value=\"{email}\""
        )));
    }
}

#[tokio::test]
async fn what_users_typed_is_escaped() {
    let emulator = emulator().await;
    let page = post(
        &emulator,
        "/emulator/sign-in/users",
        &[("email", "<img/src=x/onerror=alert(1)>@example.com")],
        &[],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let page = get(&emulator, page.location()).await;
    page.assert_html(StatusCode::OK);
    assert!(!page.text.contains("<img"), "{}", page.text);
    assert!(
        page.text
            .contains("&lt;img/src=x/onerror=alert(1)&gt;@example.com")
    );
}

#[tokio::test]
async fn unknown_and_deactivated_users_cannot_sign_in() {
    let emulator = emulator().await;
    let ada = ada(&emulator);
    emulator
        .passage()
        .user()
        .deactivate(&ada.id)
        .await
        .expect("deactivated");
    let page = get(&emulator, "/emulator/sign-in").await;
    assert!(page.text.contains("inactive"), "{}", page.text);
    assert!(!page.text.contains(&format!("value=\"{}\"", ada.id)));

    for (user_id, status, says) in [
        (ada.id.as_str(), StatusCode::FORBIDDEN, "deactivated"),
        ("nobody", StatusCode::NOT_FOUND, "There is no user"),
    ] {
        let reply = sign_in(&emulator, &[("user_id", user_id)], &[]).await;
        reply.assert_html(status);
        assert!(reply.text.contains(says), "{}", reply.text);
        assert_eq!(reply.set_cookie(), None);
    }
}

#[tokio::test]
async fn signing_out_clears_the_cookie_and_goes_back() {
    let emulator = emulator().await;
    let path = format!(
        "/emulator/sign-out?{}",
        encode_query(&[("redirect_to", APP)])
    );
    let reply = get(&emulator, &path).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), APP);
    assert_eq!(
        reply.set_cookie(),
        Some("psg_auth_token=; Path=/; Max-Age=0; SameSite=Lax")
    );

    let from_elsewhere = send(
        client()
            .get(format!("{}{path}", emulator.auth_base_url()))
            .header("sec-fetch-site", "cross-site"),
    )
    .await;
    from_elsewhere.assert_html(StatusCode::FORBIDDEN);
    assert_eq!(from_elsewhere.set_cookie(), None);

    let without_target = get(&emulator, "/emulator/sign-out").await;
    let page = get(&emulator, without_target.location()).await;
    assert!(page.text.contains("Signed out."), "{}", page.text);
}

#[tokio::test]
async fn a_page_opened_under_another_host_name_than_the_app_says_so() {
    let emulator = emulator().await;
    // The emulator was reached as 127.0.0.1; the app is on localhost.
    let page = get(&emulator, &page_path(&[("redirect_to", APP)])).await;
    page.assert_html(StatusCode::OK);
    let port = emulator.local_addr().port();
    assert!(
        page.text.contains(&format!(
            "href=\"http://localhost:{port}/emulator/sign-in?redirect_to="
        )),
        "{}",
        page.text
    );
    let same_host = get(
        &emulator,
        &page_path(&[("redirect_to", "http://127.0.0.1:3000/")]),
    )
    .await;
    assert!(!same_host.text.contains("another host name"));
}
