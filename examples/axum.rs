//! An axum server with a home page that says who is signed in, a public, a protected and a
//! readiness route.
//!
//! ```text
//! cargo run --example axum                 # serves on localhost:3000 until Ctrl-C
//! cargo run --example axum -- --port 0     # on a free port
//! cargo run --example axum -- --check      # follows the sign-in flow over HTTP once and exits
//! ```
//!
//! Without `PASSAGE_APP_ID` in the environment it runs against the embedded emulator: open
//! <http://localhost:3000> in a browser, follow "Sign in" to the emulator's sign-in page, pick a
//! user, and you are back here signed in. The sign-in link names the host name this page was
//! opened under, since the browser keeps the `psg_auth_token` cookie per host name, not per port.

mod support;

use std::future::IntoFuture;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Html;
use axum::routing::get;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use passage_identity::Passage;
use passage_identity::axum::{AuthRejection, PassageUser};
use reqwest::Url;

#[derive(Clone)]
struct AppState {
    passage: Passage,
    /// The port of the embedded emulator, whose sign-in page signs the browser in.
    emulator_port: Option<u16>,
}

impl FromRef<AppState> for Passage {
    fn from_ref(state: &AppState) -> Passage {
        state.passage.clone()
    }
}

/// Says who is signed in, with a link to sign in or out.
async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<PassageUser, AuthRejection>,
) -> Html<String> {
    let links = state
        .emulator_port
        .and_then(|port| EmulatorLinks::for_request(&headers, port));
    let status = match (&user, &links) {
        (Ok(PassageUser(id)), Some(links)) => format!(
            "<p id=\"status\">Signed in as <code id=\"user-id\">{}</code>.</p>\
             <p><a id=\"sign-out\" href=\"{}\">Sign out</a></p>",
            text(id),
            attr(&links.sign_out)
        ),
        (Ok(PassageUser(id)), None) => format!(
            "<p id=\"status\">Signed in as <code id=\"user-id\">{}</code>.</p>",
            text(id)
        ),
        (Err(rejection), _) => {
            let why = if rejection.error().is_missing_credentials() {
                String::new()
            } else {
                format!(" (your token was refused: {})", rejection.error())
            };
            let link = links.as_ref().map_or_else(String::new, |links| {
                format!(
                    "<p><a id=\"sign-in\" href=\"{}\">Sign in</a></p>",
                    attr(&links.sign_in)
                )
            });
            format!("<p id=\"status\">Not signed in{}.</p>{link}", text(&why))
        }
    };
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Example app</title><style>body{{font:18px/1.5 system-ui,sans-serif;\
         max-width:40rem;margin:3rem auto;padding:0 1rem}}</style></head><body>\
         <h1>Example app</h1>{status}<p>Try <a href=\"/protected\">/protected</a>, which needs \
         a signed-in user.</p></body></html>\n"
    ))
}

/// Anyone may call this.
async fn public() -> &'static str {
    "hello, anyone\n"
}

/// Only a signed-in Passage user gets here; everyone else gets 401 with `WWW-Authenticate`.
async fn protected(PassageUser(user_id): PassageUser) -> String {
    format!("hello, user {user_id}\n")
}

/// For a readiness probe: 200 once the app's keys are loaded and trusted, else 503.
async fn ready(State(passage): State<Passage>) -> (StatusCode, &'static str) {
    let (status, text) = support::readiness(&passage).await;
    (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), text)
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/public", get(public))
        .route("/protected", get(protected))
        .route("/ready", get(ready))
        .with_state(state)
}

/// The emulator's sign-in and sign-out links, back to this app's home page, on the host name
/// the browser used for this app (so that the cookie the emulator sets reaches the app).
struct EmulatorLinks {
    sign_in: String,
    sign_out: String,
}

impl EmulatorLinks {
    fn for_request(headers: &HeaderMap, emulator_port: u16) -> Option<Self> {
        let host = headers.get(HOST)?.to_str().ok()?;
        let home = Url::parse(&format!("http://{host}/")).ok()?;
        let emulator = format!("http://{}:{emulator_port}", home.host_str()?);
        let link = |path: &str| {
            Url::parse_with_params(
                &format!("{emulator}{path}"),
                [("redirect_to", home.as_str())],
            )
            .map(String::from)
        };
        Some(Self {
            sign_in: link("/emulator/sign-in").ok()?,
            sign_out: link("/emulator/sign-out").ok()?,
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::Example::start().await?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = match args.iter().position(|a| a == "--port") {
        Some(i) => args.get(i + 1).ok_or("--port needs a number")?.parse()?,
        None => 3000,
    };
    let listener = tokio::net::TcpListener::bind(example.addr(port)).await?;
    // `localhost`, not 127.0.0.1: the sign-in links name the host the browser used, and the
    // emulator's cookie reaches this app only under the same host name.
    let base = format!("http://localhost:{}", listener.local_addr()?.port());
    let emulator = example.target.emulator.as_ref();
    let state = AppState {
        passage: example.passage.clone(),
        emulator_port: emulator.map(|e| e.local_addr().port()),
    };
    let server = tokio::spawn(axum::serve(listener, app(state)).into_future());

    let user = match emulator {
        Some(emulator) => Some(emulator.create_user_directly(Some("ada@example.com"), None)?),
        None => None,
    };
    if !example.check {
        let token = match (emulator, &user) {
            (Some(emulator), Some(user)) => Some(emulator.issue_token(&user.id)?),
            _ => None,
        };
        support::print_usage(&base, token.as_deref());
        if emulator.is_some() {
            println!("  or open {base}/ in a browser and follow \"Sign in\"");
        }
        server.await??;
        return Ok(());
    }

    let outcome = match &user {
        Some(user) => check::sign_in_flow(&base, &user.id).await,
        None => support::check_routes(&base, None).await,
    };
    server.abort();
    outcome
}

/// `--check`: the app's routes, and with the emulator the whole sign-in flow a browser follows,
/// over plain HTTP.
mod check {
    use reqwest::StatusCode;
    use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

    type Outcome = Result<(), Box<dyn std::error::Error>>;

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    }

    fn expect(ok: bool, what: &str) -> Outcome {
        if ok {
            Ok(())
        } else {
            Err(format!("the example did not answer as expected: {what}").into())
        }
    }

    /// The `href` of the link with this `id` in a page.
    fn link(page: &str, id: &str) -> Result<String, Box<dyn std::error::Error>> {
        let start = format!("id=\"{id}\" href=\"");
        let rest = page
            .split_once(&start)
            .ok_or_else(|| format!("no link {id:?} in the page"))?
            .1;
        let end = rest.find('"').ok_or("an unterminated link")?;
        Ok(html_escape::decode_html_entities(&rest[..end]).into_owned())
    }

    /// The routes, then: home page, the emulator's sign-in page, signing in as `user_id`, home
    /// page and protected route with the cookie, signing out.
    pub async fn sign_in_flow(base: &str, user_id: &str) -> Outcome {
        super::support::check_routes(base, None).await?;
        let http = client();
        let home = http.get(format!("{base}/")).send().await?.text().await?;
        let sign_in = link(&home, "sign-in")?;
        println!("GET / (no token)                   -> links to {sign_in}");

        let page = http.get(&sign_in).send().await?;
        let status = page.status();
        let page = page.text().await?;
        println!("GET the sign-in page               -> {status}");
        expect(
            status == StatusCode::OK && page.contains("ada@example.com"),
            "the sign-in page lists the user",
        )?;

        let action = reqwest::Url::parse(&sign_in)?.join("/emulator/sign-in")?;
        let redirect_to = format!("{base}/");
        let signed_in = http
            .post(action)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                reqwest::Url::parse_with_params(
                    "http://form/",
                    [("user_id", user_id), ("redirect_to", &redirect_to)],
                )?
                .query()
                .unwrap_or_default()
                .to_owned(),
            )
            .send()
            .await?;
        let location = header(&signed_in, LOCATION);
        let cookie = header(&signed_in, SET_COOKIE);
        println!(
            "POST sign in as the user           -> {} to {location}",
            signed_in.status()
        );
        expect(
            signed_in.status() == StatusCode::SEE_OTHER && location == redirect_to,
            "signing in sends the browser back to the app",
        )?;
        let token_cookie = cookie
            .split(';')
            .next()
            .filter(|c| c.starts_with("psg_auth_token=") && c.len() > "psg_auth_token=".len())
            .ok_or("signing in sets no psg_auth_token cookie")?
            .to_owned();

        let home = http
            .get(&location)
            .header(COOKIE, &token_cookie)
            .send()
            .await?
            .text()
            .await?;
        println!(
            "GET / (cookie)                     -> {}",
            if home.contains(user_id) {
                "shows the user id"
            } else {
                "does not show the user id"
            }
        );
        expect(
            home.contains(&format!("<code id=\"user-id\">{user_id}</code>")),
            "the home page shows the signed-in user",
        )?;
        let protected = http
            .get(format!("{base}/protected"))
            .header(COOKIE, &token_cookie)
            .send()
            .await?;
        let status = protected.status();
        println!(
            "GET /protected (cookie)            -> {status}: {}",
            protected.text().await?.trim()
        );
        expect(status == StatusCode::OK, "GET /protected with the cookie")?;

        let signed_out = http.get(link(&home, "sign-out")?).send().await?;
        let cleared = header(&signed_out, SET_COOKIE);
        println!(
            "GET sign out                       -> {} to {}",
            signed_out.status(),
            header(&signed_out, LOCATION)
        );
        expect(
            signed_out.status() == StatusCode::SEE_OTHER
                && cleared.starts_with("psg_auth_token=;")
                && cleared.contains("Max-Age=0"),
            "signing out clears the cookie",
        )
    }

    fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}
