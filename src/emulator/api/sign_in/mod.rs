//! The sign-in page, a local-development stand-in for Passage's sign-in elements: it lists the
//! app's users, creates one, and signs the browser in as one by setting the `psg_auth_token`
//! cookie to a token the emulator issues, then sends it back to the app.
//!
//! - `GET /emulator/sign-in?redirect_to=URL&q=SEARCH`: the page.
//! - `POST /emulator/sign-in` (form: `user_id`, `redirect_to`): sets the cookie, 303 to
//!   `redirect_to`.
//! - `POST /emulator/sign-in/users` (form: `email`, `phone`, `redirect_to`): creates a user, 303
//!   back to the page.
//! - `GET /emulator/sign-out?redirect_to=URL`: clears the cookie, 303 to `redirect_to`.
//!
//! No API key is asked for (anyone who can reach the emulator can sign in as anyone), and none is
//! in the page, nor any token in a URL or in the HTML. `redirect_to` must be a loopback URL and the
//! posts must come from this page's own origin ([`guard`]).

mod guard;
mod page;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use url::Url;

use crate::auth::AUTH_COOKIE_NAME as COOKIE;
use crate::emulator::context::Context;
use crate::emulator::extract::ApiClient;
use crate::emulator::store::{self, NewUser, Store, UserRecord};
use crate::emulator::tokens::{DEFAULT_TTL, TokenOptions, issue_on_sign_in};
use crate::enums::UserStatus;
use page::{Notice, SignInPage, UserRow, email_or_phone, problem_page};

/// The page, and where its sign-in form posts.
pub(crate) const SIGN_IN_PATH: &str = "/emulator/sign-in";
/// Where its create-user form posts.
pub(crate) const USERS_PATH: &str = "/emulator/sign-in/users";
/// Clears the cookie.
pub(crate) const SIGN_OUT_PATH: &str = "/emulator/sign-out";
/// The most users the page lists; a search narrows down the rest.
pub(crate) const MAX_SHOWN: usize = 100;

/// The page's routes. They need no API key.
pub(crate) fn routes() -> Router<Arc<Context>> {
    Router::new()
        .route(SIGN_IN_PATH, get(show).post(sign_in))
        .route(USERS_PATH, axum::routing::post(create_user))
        .route(SIGN_OUT_PATH, get(sign_out))
}

/// A query string or form body, decoded; the first value of each name counts.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(encoded: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(encoded).into_owned().collect())
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// `redirect_to`, checked: `Ok(None)` when absent or empty.
    fn redirect_to(&self) -> Result<Option<Url>, BadRedirect> {
        let raw = self.get("redirect_to");
        if raw.trim().is_empty() {
            return Ok(None);
        }
        guard::loopback_url(raw)
            .map(Some)
            .map_err(|reason| BadRedirect(format!("redirect_to {raw:?} is refused: {reason}.")))
    }
}

/// A `redirect_to` that is not a loopback URL: a 400 page.
struct BadRedirect(String);

impl IntoResponse for BadRedirect {
    fn into_response(self) -> Response {
        let message = format!(
            "{} The sign-in page only sends the browser back to http://localhost…, \
             http://127.x.x.x… or http://[::1]… addresses.",
            self.0
        );
        html(
            StatusCode::BAD_REQUEST,
            problem_page("Not a local address", &message),
        )
    }
}

fn html(status: StatusCode, document: String) -> Response {
    let mut response = (status, document).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // No script at all, and no framing (the buttons sign in with one click).
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

/// Why a request is turned down before it is read.
enum Refused {
    /// A form post from another origin than the page's.
    CrossOrigin,
    /// A sign-out another site sent the browser to.
    CrossSite,
    Redirect(BadRedirect),
}

impl From<BadRedirect> for Refused {
    fn from(bad: BadRedirect) -> Self {
        Self::Redirect(bad)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::CrossOrigin => html(
                StatusCode::FORBIDDEN,
                problem_page(
                    "Refused",
                    "This form was sent from another origin than the sign-in page's own: only \
                     the page itself may sign in or create users.",
                ),
            ),
            Self::CrossSite => html(
                StatusCode::FORBIDDEN,
                problem_page(
                    "Refused",
                    "Another site sent this browser here to sign it out: follow the link from your \
                     app or this emulator instead.",
                ),
            ),
            Self::Redirect(bad) => bad.into_response(),
        }
    }
}

/// A form post from the page's own origin, decoded, with its checked `redirect_to`.
fn accept_form(headers: &HeaderMap, body: &[u8]) -> Result<(Params, Option<Url>), Refused> {
    if !guard::same_origin(headers) {
        return Err(Refused::CrossOrigin);
    }
    let form = Params::parse(body);
    let redirect_to = form.redirect_to()?;
    Ok((form, redirect_to))
}

/// The sign-in page's own URL, with `redirect_to` and `extra` in its query.
pub(crate) fn page_url(redirect_to: Option<&Url>, extra: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(url) = redirect_to {
        query.append_pair("redirect_to", url.as_str());
    }
    for (name, value) in extra {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        SIGN_IN_PATH.to_owned()
    } else {
        format!("{SIGN_IN_PATH}?{query}")
    }
}

fn see_other(location: &str, cookie: Option<String>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(LOCATION, value);
    }
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(SET_COOKIE, value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What the page shows besides the store: the request's search and notice, and the form values.
struct View<'a> {
    redirect_to: Option<&'a Url>,
    query: &'a str,
    notice: Option<Notice>,
    new_email: &'a str,
    new_phone: &'a str,
    headers: &'a HeaderMap,
}

fn render(ctx: &Context, status: StatusCode, view: View<'_>) -> Response {
    let (users, matching, total) = {
        let store = ctx.store();
        search(&store, view.query)
    };
    // This page under the host name of `redirect_to`, when the browser came by another one.
    let other_host = view.redirect_to.and_then(|target| {
        let here = guard::request_origin(view.headers)?;
        let there = target.host_str()?;
        if here.host_str()?.eq_ignore_ascii_case(there) {
            return None;
        }
        let mut moved = here;
        moved.set_host(Some(there)).ok()?;
        let page = page_url(view.redirect_to, &[("q", view.query)]);
        moved.join(&page).ok().map(String::from)
    });
    let page = SignInPage {
        app_id: ctx.settings.app_id(),
        redirect_to: view.redirect_to,
        query: view.query,
        users,
        matching,
        total,
        notice: view.notice,
        new_email: view.new_email,
        new_phone: view.new_phone,
        other_host,
    };
    html(status, page.render())
}

/// The users matching `query` (part of the email, of the phone, or the whole id), newest first,
/// at most [`MAX_SHOWN`]; with how many match and how many there are.
fn search(store: &Store, query: &str) -> (Vec<UserRow>, usize, usize) {
    let needle = query.trim().to_lowercase();
    let digits: String = needle
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let matches = |user: &UserRecord| {
        needle.is_empty()
            || user.email.contains(&needle)
            || (!digits.is_empty() && user.phone.contains(&digits))
            || user.id == query.trim()
    };
    let mut found: Vec<&UserRecord> = store.users().filter(|u| matches(u)).collect();
    found.sort_by_key(|user| std::cmp::Reverse(user.seq));
    let matching = found.len();
    let rows = found.into_iter().take(MAX_SHOWN).map(row).collect();
    (rows, matching, store.users().count())
}

fn row(user: &UserRecord) -> UserRow {
    UserRow {
        id: user.id.clone(),
        email: user.email.clone(),
        phone: user.phone.clone(),
        status: user.status.clone(),
        last_login: user
            .last_login_at
            .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
    }
}

/// `GET /emulator/sign-in`.
async fn show(
    State(ctx): State<Arc<Context>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Refused> {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let redirect_to = params.redirect_to()?;
    let notice = notice_for(&ctx, &params);
    let view = View {
        redirect_to: redirect_to.as_ref(),
        query: params.get("q"),
        notice,
        new_email: "",
        new_phone: "",
        headers: &headers,
    };
    Ok(render(&ctx, StatusCode::OK, view))
}

/// The line a redirect back to the page asks for (`created`, `signed_in`, `signed_out`).
fn notice_for(ctx: &Context, params: &Params) -> Option<Notice> {
    let store = ctx.store();
    let named = |id: &str| {
        store
            .user(id)
            .ok()
            .map(|u| email_or_phone(&u.email, &u.phone).to_owned())
    };
    if let Some(name) = named(params.get("created")) {
        return Some(Notice::Info(format!("Created {name}.")));
    }
    if let Some(name) = named(params.get("signed_in")) {
        return Some(Notice::Info(format!(
            "Signed in as {name}: this browser now holds its {COOKIE} cookie."
        )));
    }
    (params.get("signed_out") == "1").then(|| Notice::Info("Signed out.".to_owned()))
}

/// `POST /emulator/sign-in`: signs in as `user_id`.
async fn sign_in(
    State(ctx): State<Arc<Context>>,
    ApiClient(client): ApiClient,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    let (form, redirect_to) = accept_form(&headers, &body)?;
    let user_id = form.get("user_id");
    let refused = |status, message: String| {
        let view = View {
            redirect_to: redirect_to.as_ref(),
            query: "",
            notice: Some(Notice::Error(message)),
            new_email: "",
            new_phone: "",
            headers: &headers,
        };
        render(&ctx, status, view)
    };
    let status = ctx.store().user(user_id).map(|user| user.status.clone());
    match status {
        Err(_) => {
            return Ok(refused(
                StatusCode::NOT_FOUND,
                format!("There is no user {user_id:?} (any more)."),
            ));
        }
        Ok(UserStatus::Inactive) => {
            return Ok(refused(
                StatusCode::FORBIDDEN,
                "This user is deactivated and cannot sign in.".to_owned(),
            ));
        }
        Ok(_) => {}
    }
    // The sign-in every other way of signing in records: a login from this browser.
    let token = match issue_on_sign_in(&ctx, user_id, &TokenOptions::default(), Some(client)) {
        Ok(token) => token,
        Err(error) => {
            return Ok(refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "The emulator could not issue a token: {}",
                    crate::auth::ErrorChain(&error)
                ),
            ));
        }
    };
    let cookie = auth_cookie(&token, DEFAULT_TTL.as_secs());
    let location = back_to(redirect_to.as_ref(), &[("signed_in", user_id)]);
    Ok(see_other(&location, Some(cookie)))
}

/// `POST /emulator/sign-in/users`: creates a user with the checks of create-user.
async fn create_user(
    State(ctx): State<Arc<Context>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    let (form, redirect_to) = accept_form(&headers, &body)?;
    let (email, phone) = (form.get("email"), form.get("phone"));
    let new = NewUser {
        email: Some(email.to_owned()),
        phone: Some(phone.to_owned()),
        user_metadata: None,
        status: UserStatus::Active,
    };
    let created = ctx.store().create_user(new, store::now()).map(|user| {
        let name = email_or_phone(&user.email, &user.phone).to_owned();
        (user.id.clone(), name)
    });
    Ok(match created {
        Ok((id, name)) => see_other(
            &page_url(redirect_to.as_ref(), &[("q", &name), ("created", &id)]),
            None,
        ),
        Err(error) => {
            let view = View {
                redirect_to: redirect_to.as_ref(),
                query: "",
                notice: Some(Notice::Error(format!(
                    "The user was not created: {}.",
                    error.message()
                ))),
                new_email: email,
                new_phone: phone,
                headers: &headers,
            };
            render(&ctx, StatusCode::BAD_REQUEST, view)
        }
    })
}

/// `GET /emulator/sign-out`: clears the cookie.
async fn sign_out(headers: HeaderMap, RawQuery(query): RawQuery) -> Result<Response, Refused> {
    if guard::cross_site(&headers) {
        return Err(Refused::CrossSite);
    }
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let redirect_to = params.redirect_to()?;
    let location = back_to(redirect_to.as_ref(), &[("signed_out", "1")]);
    Ok(see_other(&location, Some(auth_cookie("", 0))))
}

/// The `Set-Cookie` value of the auth cookie, as Passage's elements set it from script:
/// readable by the page (not HttpOnly), for the whole host, sent on top-level navigations from
/// the app's other ports. An empty value with no age clears it.
fn auth_cookie(value: &str, max_age: u64) -> String {
    format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Lax")
}

/// Where the browser goes next: the app's `redirect_to`, else back to the page with `notice`.
fn back_to(redirect_to: Option<&Url>, notice: &[(&str, &str)]) -> String {
    match redirect_to {
        Some(url) => url.to_string(),
        None => page_url(None, notice),
    }
}
