//! Contract test: every facade method sends requests that `openapi/passage-management.yaml`
//! accepts, checked by Prism serving the spec as a validating mock (`--errors`).
//!
//! Prism comes from npm: `cargo xtask test` installs it and sets `PASSAGE_PRISM_BIN`; without the
//! variable, `target/tools/prism/node_modules/.bin/prism` is used. A missing Prism fails the test.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use passage_identity::enums::{MagicLinkType, UserStatus};
use passage_identity::raw::types::{MagicLinkChannel, MagicLinkLanguage};
use passage_identity::{
    CreateMagicLink, CreateUser, ManagementError, Passage, RetryPolicy, UpdateUser,
    users::{Filter, SortField, SortOrder},
};

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/openapi/passage-management.yaml"
);
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// A Prism mock server on 127.0.0.1, killed when dropped.
struct Prism {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Prism {
    fn start() -> Prism {
        let bin = prism_bin();
        let addr = free_port();
        let mut child = Command::new(&bin)
            .args(["mock", SPEC, "--host", "127.0.0.1", "--errors", "--port"])
            .arg(addr.port().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start Prism ({}): {e}", bin.display()));
        let log = Arc::new(Mutex::new(String::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            // Drained continuously so Prism never blocks on a full pipe.
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let mut prism = Prism { child, addr, log };
        prism.wait_until_listening();
        prism
    }

    /// Polls the port until Prism accepts connections (or exits, or takes too long).
    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("Prism exited ({status}) before listening:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "Prism did not listen on {} within {READY_TIMEOUT:?}:\n{}",
                self.addr,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn passage(&self) -> Passage {
        Passage::builder("app_contract")
            .api_key("contract-test-key")
            .api_base_url(self.base_url())
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Prism's log lines that report a request violating the spec.
    fn violations(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| {
                line.contains("did not pass the validation") || line.contains("[VALIDATOR] ✖")
            })
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn prism_bin() -> PathBuf {
    let bin = match std::env::var_os("PASSAGE_PRISM_BIN") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/tools/prism/node_modules/.bin/prism"),
    };
    assert!(
        bin.is_file(),
        "Prism (the contract test's mock server) was not found at {}. Run `cargo xtask test`, \
         which installs it from npm, or point PASSAGE_PRISM_BIN at a prism executable.",
        bin.display()
    );
    bin
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Runs each facade call, collecting the ones Prism (or anything else) refused.
#[derive(Default)]
struct Calls {
    failures: Vec<String>,
    made: usize,
}

impl Calls {
    fn check<T>(&mut self, name: &str, result: Result<T, ManagementError>) {
        self.made += 1;
        if let Err(e) = result {
            self.failures.push(format!("{name}: {e} ({e:?})"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_facade_method_sends_requests_the_spec_accepts() {
    let prism = Prism::start();
    let passage = prism.passage();
    let users = passage.user();
    let mut calls = Calls::default();

    calls.check("app().get", passage.app().get().await);

    calls.check("user().get", users.get("0123456789abcdefABCDEF01").await);
    calls.check(
        "user().get_by_identifier(email)",
        users.get_by_identifier("Ada@Example.com").await,
    );
    calls.check(
        "user().get_by_identifier(phone)",
        users.get_by_identifier("+15551234567").await,
    );
    calls.check(
        "user().create(email)",
        users.create(CreateUser::email("ada@example.com")).await,
    );
    calls.check(
        "user().create(phone, email, metadata)",
        users
            .create(
                CreateUser::phone("+15551234567")
                    .with_email("grace@example.com")
                    .metadata(serde_json::json!({ "plan": "pro", "seats": 3 })),
            )
            .await,
    );
    calls.check(
        "user().update(email)",
        users
            .update("u1", UpdateUser::new().email("ada@new.example.com"))
            .await,
    );
    calls.check(
        "user().update(phone, metadata)",
        users
            .update(
                "u1",
                UpdateUser::new()
                    .phone("+442071838750")
                    .metadata(serde_json::json!({ "plan": "team" })),
            )
            .await,
    );
    calls.check("user().activate", users.activate("u1").await);
    calls.check("user().deactivate", users.deactivate("u1").await);
    calls.check("user().list_devices", users.list_devices("u1").await);
    calls.check(
        "user().revoke_device",
        users.revoke_device("u1", "dev1").await,
    );
    calls.check(
        "user().revoke_refresh_tokens",
        users.revoke_refresh_tokens("u1").await,
    );
    calls.check("user().delete", users.delete("u1").await);

    calls.check("user().list().send()", users.list().send().await);
    let since = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    calls.check(
        "user().list() with every filter",
        users
            .list()
            .limit(500)
            .page(2)
            .created_before(1_735_689_600)
            .order_by(SortField::CreatedAt, SortOrder::Desc)
            .order_by(SortField::Id, SortOrder::Asc)
            .id(Filter::is_not("u0"))
            .identifier(Filter::like("%@example.com"))
            .status(UserStatus::Active)
            .login_count(Filter::gt(2))
            .created_at(Filter::gt(since))
            .updated_at(Filter::lt(since))
            .last_login_at(Filter::is(since))
            .send()
            .await,
    );
    // The mock makes up every answer: the first page's user is listed, page 2 is asked for
    // (anchored with the first page's `created_before`, and validated like every request), and
    // the page number the mock makes up ends the stream with an error instead of a loop.
    let mut streamed: Vec<_> = users.list().limit(1).stream().take(10).collect().await;
    assert_eq!(streamed.len(), 2, "{streamed:?}");
    let ended_by = streamed.pop();
    assert!(
        matches!(ended_by, Some(Err(ManagementError::InvalidResponse { .. }))),
        "{ended_by:?}"
    );
    for user in streamed {
        calls.check("user().list().stream() first page", user);
    }

    calls.check(
        "create_magic_link(email, every option)",
        passage
            .create_magic_link(
                CreateMagicLink::email("ada@example.com")
                    .link_type(MagicLinkType::Login)
                    .send(true)
                    .language(MagicLinkLanguage::De)
                    .magic_link_path("/verify")
                    .redirect_url("/dashboard")
                    .ttl_minutes(15),
            )
            .await,
    );
    calls.check(
        "create_magic_link(phone)",
        passage
            .create_magic_link(CreateMagicLink::phone("+15551234567").verify_identifier())
            .await,
    );
    calls.check(
        "create_magic_link(user id, channel)",
        passage
            .create_magic_link(CreateMagicLink::user_id("u1", MagicLinkChannel::Phone).send(false))
            .await,
    );

    assert!(
        calls.failures.is_empty(),
        "{} of {} calls failed against the spec:\n{}\n\nPrism log:\n{}",
        calls.failures.len(),
        calls.made,
        calls.failures.join("\n"),
        prism.log()
    );
    let violations = prism.violations();
    assert!(
        violations.is_empty(),
        "Prism reported spec violations:\n{}",
        violations.join("\n")
    );
    // Every request reached Prism and was validated (get_by_identifier makes two each).
    let log = prism.log();
    let received = log.matches("Request received").count();
    let validated = log.matches("passed the validation rules").count();
    assert!(received > calls.made, "{log}");
    assert_eq!(received, validated, "{log}");
}

/// The harness can fail: a request that breaks the spec is refused, and the facade reports it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_refuses_a_request_that_breaks_the_spec() {
    let prism = Prism::start();
    let passage = prism.passage();
    // The facade would refuse `limit=0` locally; the low-level client sends it.
    let result = passage
        .raw()
        .list_paginated_users()
        .app_id(passage.app_id())
        .limit(u64::MAX)
        .send()
        .await;
    let error = result.expect_err("Prism accepted limit above the spec's maximum");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(!prism.violations().is_empty(), "{}", prism.log());
}

/// The spec holds time filters to the one documented form, so the facade's listing above
/// passing Prism's validation means it sent that form. A time in another form is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_refuses_a_time_filter_outside_the_documented_form() {
    let prism = Prism::start();
    let url = format!("{}/apps/app_contract/users", prism.base_url());
    let client = reqwest::Client::new();
    for (name, value) in [
        ("created_at", "gt:2024-01-01T00:00:00Z"),
        ("updated_at", "2024-01-01T00:00:00.000000+00:00"),
        ("login_count", "like:3"),
    ] {
        let response = client
            .get(&url)
            .bearer_auth("contract-test-key")
            .query(&[(name, value)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{name}={value}");
    }
    let accepted = client
        .get(&url)
        .bearer_auth("contract-test-key")
        .query(&[("created_at", "gt:2024-01-01T00:00:00.000000Z")])
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status().as_u16(), 200, "{}", prism.log());
}
