//! The whole product in one run: users, tokens, authentication, magic links.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no Passage credentials in the environment it starts the embedded Passage emulator on
//! 127.0.0.1 and runs against it. With `PASSAGE_APP_ID` and `PASSAGE_API_KEY` (and optionally
//! `PASSAGE_API_BASE_URL`, `PASSAGE_AUTH_BASE_URL`) it runs against that deployment instead; there
//! the token steps need a real signed-in user's token in `PASSAGE_AUTH_TOKEN`.

mod support;

use futures_util::TryStreamExt;
use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, HeaderValue};
use passage_identity::raw::types::MagicLinkLanguage;
use passage_identity::{AuthStrategy, CreateMagicLink, CreateUser, UpdateUser};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::Target::from_env_or_emulator().await?;
    let passage = target.passage()?;
    let users = passage.user();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("quickstart-{}@example.com", &suffix[..8]);

    step("Create a user");
    let user = users
        .create(CreateUser::email(&email).metadata(serde_json::json!({ "plan": "trial" })))
        .await?;
    println!(
        "created {} <{}>, status {}",
        user.id, user.email, user.status
    );

    step("Sign the user in (the emulator issues the token a browser would hold)");
    let token = match (&target.emulator, std::env::var("PASSAGE_AUTH_TOKEN")) {
        (Some(emulator), _) => Some(emulator.issue_token(&user.id)?),
        (None, Ok(token)) => Some(token),
        (None, Err(_)) => {
            println!("skipped: set PASSAGE_AUTH_TOKEN to a signed-in user's psg_auth_token");
            None
        }
    };
    if let Some(token) = &token {
        println!(
            "token of {} bytes (never printed: it is a credential)",
            token.len()
        );

        step("Authenticate a request by its psg_auth_token cookie");
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("theme=dark; psg_auth_token={token}"))?,
        );
        let user_id = passage.authenticate_request(&headers).await?;
        println!("cookie -> user {user_id}");

        step("Authenticate a request by its Authorization header");
        let by_header = target
            .builder
            .clone()
            .auth_strategy(AuthStrategy::Header)
            .build()?;
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        let user_id = by_header.authenticate_request(&headers).await?;
        println!("header -> user {user_id}");
    }

    step("Get the user");
    let fetched = users.get(&user.id).await?;
    println!("{} has metadata {:?}", fetched.id, fetched.user_metadata);
    let by_email = users.get_by_identifier(&email.to_uppercase()).await?;
    println!("found again by identifier: {}", by_email.id == user.id);

    step("Update the user");
    let updated = users
        .update(
            &user.id,
            UpdateUser::new()
                .phone("+15005550006")
                .metadata(serde_json::json!({ "plan": "pro" })),
        )
        .await?;
    println!(
        "phone {}, metadata {:?}",
        updated.phone, updated.user_metadata
    );

    step("List the user's devices");
    if let Some(emulator) = &target.emulator {
        emulator.add_device(&user.id, "Passkey on a laptop")?;
    }
    for device in users.list_devices(&user.id).await? {
        println!(
            "device {} ({}), used {} times",
            device.friendly_name, device.type_, device.usage_count
        );
    }

    step("Deactivate the user");
    let deactivated = users.deactivate(&user.id).await?;
    println!("status {}", deactivated.status);

    step("Revoke the user's refresh tokens (sign out everywhere)");
    users.revoke_refresh_tokens(&user.id).await?;
    println!("revoked");

    step("Create a magic link (not sent; its url and secret are credentials and stay unprinted)");
    let link = passage
        .create_magic_link(
            CreateMagicLink::email(&email)
                .send(false)
                .language(MagicLinkLanguage::En)
                .magic_link_path("/welcome")
                .ttl_minutes(15),
        )
        .await?;
    println!(
        "link {} for {}, valid {} minutes",
        link.id(),
        link.identifier(),
        link.ttl_minutes()
    );

    step("List users");
    let mut stream = users.list().limit(100).stream();
    let mut count = 0;
    while let Some(listed) = stream.try_next().await? {
        count += 1;
        if listed.id == user.id {
            println!("found {} in the listing", listed.email);
        }
    }
    println!("{count} user(s) in the app");

    step("Delete the user");
    users.delete(&user.id).await?;
    match users.get(&user.id).await {
        Err(e) if e.is_not_found() => {
            println!("deleted: get now answers {}", e.code().unwrap_or("404"))
        }
        other => return Err(format!("the user should be gone, got {other:?}").into()),
    }

    println!("\nDone: every step succeeded.");
    Ok(())
}

fn step(title: &str) {
    println!("\n== {title}");
}
