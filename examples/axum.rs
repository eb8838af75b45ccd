//! An axum server with a public and a protected route.
//!
//! ```text
//! cargo run --example axum             # serves on 127.0.0.1:3000 until Ctrl-C
//! cargo run --example axum -- --check  # calls its own routes once and exits
//! ```
//!
//! Without `PASSAGE_APP_ID` in the environment it runs against the embedded emulator and prints
//! a token to try the protected route with.

mod support;

use std::future::IntoFuture;

use axum::Router;
use axum::routing::get;
use passage_identity::Passage;
use passage_identity::axum::PassageUser;

/// Anyone may call this.
async fn public() -> &'static str {
    "hello, anyone\n"
}

/// Only a signed-in Passage user gets here; everyone else gets 401 with `WWW-Authenticate`.
async fn protected(PassageUser(user_id): PassageUser) -> String {
    format!("hello, user {user_id}\n")
}

fn app(passage: Passage) -> Router {
    Router::new()
        .route("/", get(public))
        .route("/protected", get(protected))
        .with_state(passage)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let check = std::env::args().any(|a| a == "--check");
    let target = support::Target::from_env_or_emulator().await?;
    let addr = if check {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:3000"
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(axum::serve(listener, app(target.passage()?)).into_future());

    let token = match &target.emulator {
        Some(emulator) => {
            let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
            Some(emulator.issue_token(&user.id)?)
        }
        None => None,
    };
    if !check {
        println!("Serving on {base}");
        println!("  curl {base}/");
        println!("  curl -i {base}/protected");
        if let Some(token) = &token {
            println!("  curl --cookie psg_auth_token={token} {base}/protected");
        }
        server.await??;
        return Ok(());
    }

    let http = reqwest::Client::new();
    let public = http.get(format!("{base}/")).send().await?;
    println!("GET /                          -> {}", public.status());
    let anonymous = http.get(format!("{base}/protected")).send().await?;
    println!(
        "GET /protected (no token)      -> {} ({})",
        anonymous.status(),
        anonymous
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    );
    let mut ok = public.status() == 200 && anonymous.status() == 401;
    if let Some(token) = token {
        let signed_in = http
            .get(format!("{base}/protected"))
            .header("cookie", format!("psg_auth_token={token}"))
            .send()
            .await?;
        let status = signed_in.status();
        println!(
            "GET /protected (cookie token) -> {status}: {}",
            signed_in.text().await?.trim()
        );
        ok &= status == 200;
    }
    server.abort();
    if ok {
        Ok(())
    } else {
        Err("the example's routes did not answer as expected".into())
    }
}
