//! What the examples run against: the Passage deployment named by the environment
//! (`PASSAGE_APP_ID`, `PASSAGE_API_KEY`, optional `PASSAGE_API_BASE_URL` and
//! `PASSAGE_AUTH_BASE_URL`), or else an embedded emulator on 127.0.0.1.
#![allow(dead_code)] // Each example uses a part.

use passage_identity::emulator::Emulator;
use passage_identity::{Passage, PassageBuilder};

/// A configured builder and, when running locally, the emulator behind it.
pub struct Target {
    pub builder: PassageBuilder,
    pub emulator: Option<Emulator>,
}

impl Target {
    pub async fn from_env_or_emulator() -> Result<Target, Box<dyn std::error::Error>> {
        if std::env::var_os("PASSAGE_APP_ID").is_some() {
            let builder = PassageBuilder::from_env()?;
            println!("Using the Passage app from PASSAGE_APP_ID");
            return Ok(Target {
                builder,
                emulator: None,
            });
        }
        let emulator = Emulator::start().await?;
        println!(
            "No PASSAGE_APP_ID set: started the embedded Passage emulator at {}",
            emulator.auth_base_url()
        );
        Ok(Target {
            builder: emulator.passage_builder(),
            emulator: Some(emulator),
        })
    }

    /// The client with default settings.
    pub fn passage(&self) -> Result<Passage, passage_identity::ConfigError> {
        self.builder.clone().build()
    }
}

impl Target {
    /// A signed-in user's token to try the protected routes with, when running against the
    /// emulator (a real deployment issues tokens only to real sign-ins).
    pub fn demo_token(&self) -> Result<Option<String>, Box<dyn std::error::Error>> {
        let Some(emulator) = &self.emulator else {
            return Ok(None);
        };
        let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
        Ok(Some(emulator.issue_token(&user.id)?))
    }
}

/// A server example's start: `--check` or not, what it runs against, and the client.
pub struct Example {
    /// `--check`: call the routes once and exit.
    pub check: bool,
    pub target: Target,
    pub passage: Passage,
}

impl Example {
    /// Reads the flags, picks the target, builds the client and loads the app's keys, so the
    /// first request does not wait and the readiness route answers 200 at once. A failed load
    /// is only printed: the readiness route tries again.
    pub async fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let check = std::env::args().any(|a| a == "--check");
        let target = Target::from_env_or_emulator().await?;
        let passage = target.passage()?;
        if let Err(error) = passage.auth().warm_up().await {
            println!("The app's keys could not be loaded yet: {error}");
        }
        Ok(Self {
            check,
            target,
            passage,
        })
    }

    /// Where to listen: `port` on 127.0.0.1, or any free port for `--check`.
    pub fn addr(&self, port: u16) -> String {
        format!("127.0.0.1:{}", if self.check { 0 } else { port })
    }
}

/// The answer of a readiness route: 200 once the app's keys are loaded and trusted, else 503.
/// Loads them first if none are, so a failed start-up load is retried by the probe.
pub async fn readiness(passage: &Passage) -> (u16, &'static str) {
    if !passage.auth().is_ready() {
        let _ = passage.auth().warm_up().await;
    }
    if passage.auth().is_ready() {
        (200, "ready\n")
    } else {
        (503, "the app's keys are not loaded\n")
    }
}

/// How to try a server's routes by hand.
pub fn print_usage(base: &str, token: Option<&str>) {
    println!("Serving on {base}");
    println!("  curl {base}/");
    println!("  curl {base}/ready");
    println!("  curl -i {base}/protected");
    if let Some(token) = token {
        println!("  curl --cookie psg_auth_token={token} {base}/protected");
    }
}

/// The `--check` run of an HTTP example: calls `/`, `/ready` and `/protected` (without a token,
/// then with `token`) and fails unless each answers as it should.
pub async fn check_routes(
    base: &str,
    token: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    let http = reqwest::Client::new();
    let mut calls = vec![
        ("GET /", None, 200),
        ("GET /ready", None, 200),
        ("GET /protected (no token)", None, 401),
    ];
    if let Some(token) = token {
        calls.push(("GET /protected (cookie token)", Some(token), 200));
    }
    let mut ok = true;
    for (label, token, expected) in calls {
        let path = label.split_whitespace().nth(1).unwrap_or("/");
        let mut request = http.get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.header("cookie", format!("psg_auth_token={token}"));
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        let body = response.text().await?;
        // The start of the body is enough to see what answered (an HTML page is long).
        let body = body.trim();
        let mut shown: String = body
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(120)
            .collect();
        if shown.len() < body.len() {
            shown.push('…');
        }
        println!("{label:<30} -> {status}{challenge}: {shown}");
        ok &= status == expected;
    }
    if ok {
        Ok(())
    } else {
        Err("the example's routes did not answer as expected".into())
    }
}
