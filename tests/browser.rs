//! The local sign-in loop in a real browser: headless Chromium, driven through chromedriver,
//! opens the axum example (running against its embedded emulator, both on `localhost`), follows
//! "Sign in" to the emulator's sign-in page, searches with the keyboard, creates a user, signs in
//! as them, lands back signed in, and signs out.
//!
//! It needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`,
//! `/usr/bin/chromedriver`; `PASSAGE_CHROMIUM` and `PASSAGE_CHROMEDRIVER` name others), which
//! `cargo xtask test` installs. Without them it fails, saying what to install. It builds the
//! example itself with cargo.
//!
//! Screenshots of the sign-in page (as opened, and after creating a user) and of the signed-in
//! example are written to
//! `target/browser-test/`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The longest the whole test may take before it counts as hung.
const DEADLINE: Duration = Duration::from_secs(180);

/// The WebDriver key code of Enter.
const ENTER: &str = "\u{E007}";

/// A program the test needs: the path in `variable`, else `default`; a clear failure if missing.
fn tool(variable: &str, default: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{what} is missing: no {} (set {variable} to another path). Install Debian's chromium \
         and chromium-driver (`apt-get install chromium chromium-driver`), or run \
         `cargo xtask test`, which installs them when run as root or with password-less sudo.",
        path.display()
    );
    path
}

/// Builds the axum example with cargo (a no-op when it is up to date: cargo runs no build while
/// tests run, so this takes no lock the test run holds) and returns its binary.
fn example_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let output = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--example",
            "axum",
            "--message-format=json",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "`cargo build --example axum` failed"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == "axum"
                && message["target"]["kind"][0] == "example"
        })
        .and_then(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the example's binary")
}

/// Where screenshots go: `browser-test/` in the target directory.
fn output_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("browser-test");
    std::fs::create_dir_all(&dir).expect("the output folder can be made");
    dir
}

/// Starts `command` and reads its stdout until a line contains `marker`; returns the child
/// (killed when dropped) and the rest of that line after the marker.
async fn start_until(mut command: Command, marker: &str) -> (Child, String) {
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await.expect("stdout is readable") {
        if let Some((_, rest)) = line.split_once(marker) {
            // Keep draining stdout so the program never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (child, rest.trim().to_owned());
        }
    }
    panic!("{program} exited before printing {marker:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_developer_signs_in_to_the_example_app_through_the_emulator_page() {
    let chromium = tool("PASSAGE_CHROMIUM", "/usr/bin/chromium", "Chromium");
    let chromedriver = tool(
        "PASSAGE_CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "chromedriver",
    );
    let example = example_binary();
    tokio::time::timeout(DEADLINE, run(&chromium, &chromedriver, &example))
        .await
        .expect("the browser test finishes in time");
}

async fn run(chromium: &Path, chromedriver: &Path, example: &Path) {
    let mut app = Command::new(example);
    app.args(["--port", "0"])
        .env_remove("PASSAGE_APP_ID")
        .env_remove("PASSAGE_API_KEY");
    let (_app, base) = start_until(app, "Serving on ").await;
    assert!(base.starts_with("http://localhost:"), "{base}");

    let mut driver = Command::new(chromedriver);
    driver.arg("--port=0");
    let (_driver, port) = start_until(driver, "was started successfully on port ").await;
    let port = port.trim_end_matches('.');

    let profile = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chromium-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1100,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object")
    };
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("chromedriver starts a Chromium session");

    // Close the browser whatever happens, then report.
    let outcome = std::panic::AssertUnwindSafe(sign_in_loop(&browser, &base))
        .catch_unwind()
        .await;
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(&profile);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Waits for an element that only the page a click leads to has: a click that navigates can
/// return before the browser has left the old page. Polls until the test's deadline.
async fn arrived(browser: &Client, xpath: &str) {
    let found = browser
        .wait()
        .at_most(DEADLINE)
        .for_element(Locator::XPath(xpath))
        .await;
    if let Err(e) = found {
        let url = browser.current_url().await.map(String::from);
        panic!("never reached a page with {xpath} (at {url:?}): {e}");
    }
}

/// Clicks the link with this text, then waits for the page it leads to.
async fn follow(browser: &Client, link: &str, arrival: &str) {
    browser
        .find(Locator::LinkText(link))
        .await
        .unwrap_or_else(|e| panic!("no {link:?} link: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("the {link:?} link cannot be followed: {e}"));
    arrived(browser, arrival).await;
}

async fn text_of(browser: &Client, css: &str) -> String {
    let found = browser.find(Locator::Css(css)).await;
    let url = browser.current_url().await.map(String::from);
    found
        .unwrap_or_else(|e| panic!("no {css} on {url:?}: {e}"))
        .text()
        .await
        .expect("the element has text")
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("a screenshot");
    let path = output_dir().join(name);
    std::fs::write(&path, png).expect("the screenshot is written");
    println!("screenshot: {}", path.display());
}

async fn sign_in_loop(browser: &Client, base: &str) {
    let home = format!("{base}/");
    browser.goto(&home).await.expect("the example opens");
    assert_eq!(text_of(browser, "#status").await, "Not signed in.");

    follow(
        browser,
        "Sign in",
        "//tbody[contains(., 'ada@example.com')]",
    )
    .await;
    let page = browser.current_url().await.expect("a URL");
    assert_eq!(page.host_str(), Some("localhost"), "{page}");
    assert_eq!(page.path(), "/emulator/sign-in", "{page}");
    assert!(text_of(browser, "tbody").await.contains("ada@example.com"));
    screenshot(browser, "sign-in-page.png").await;

    // Search with the keyboard: type, then Enter submits the search form.
    let search = browser
        .find(Locator::Css("input#q"))
        .await
        .expect("a search box");
    search.send_keys("nobody-here").await.expect("typed");
    search.send_keys(ENTER).await.expect("submitted");
    arrived(browser, "//main[contains(., 'No user matches')]").await;
    assert!(text_of(browser, "main").await.contains("No user matches"));

    // Create a user with the form, which shows them.
    browser
        .find(Locator::Css("input#new-email"))
        .await
        .expect("an email field")
        .send_keys("grace@example.com")
        .await
        .expect("typed");
    browser
        .find(Locator::XPath("//button[normalize-space()='Create user']"))
        .await
        .expect("a Create user button")
        .click()
        .await
        .expect("created");
    arrived(
        browser,
        "//*[@role='status'][contains(., 'grace@example.com')]",
    )
    .await;
    assert_eq!(
        text_of(browser, "[role=status]").await,
        "Created grace@example.com."
    );
    screenshot(browser, "user-created.png").await;
    let grace = browser
        .find(Locator::Css(
            "button[aria-label='Sign in as grace@example.com']",
        ))
        .await
        .expect("a Sign in button for the new user");
    let grace_id = grace
        .attr("value")
        .await
        .expect("an attribute")
        .expect("the button carries the user id");
    assert_eq!(grace_id.len(), 24, "{grace_id}");

    grace.click().await.expect("signed in");
    arrived(browser, "//*[@id='user-id']").await;
    let back = browser.current_url().await.expect("a URL");
    assert_eq!(back.as_str(), home, "back at the app");
    assert_eq!(text_of(browser, "#user-id").await, grace_id);
    screenshot(browser, "signed-in-example.png").await;

    let cookie = browser
        .get_named_cookie("psg_auth_token")
        .await
        .expect("the browser holds the cookie");
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(
        cookie.http_only(),
        Some(false),
        "readable by the app's script"
    );
    assert!(
        cookie.same_site().is_some_and(|s| s.is_lax()),
        "{:?}",
        cookie.same_site()
    );
    assert!(!back.as_str().contains(cookie.value()), "no token in a URL");

    browser
        .goto(&format!("{base}/protected"))
        .await
        .expect("the protected route opens");
    assert_eq!(
        text_of(browser, "body").await,
        format!("hello, user {grace_id}")
    );

    browser.goto(&home).await.expect("home again");
    follow(
        browser,
        "Sign out",
        "//*[@id='status'][not(contains(., 'Signed in'))]",
    )
    .await;
    assert_eq!(browser.current_url().await.expect("a URL").as_str(), home);
    assert_eq!(text_of(browser, "#status").await, "Not signed in.");
    assert!(
        browser.get_named_cookie("psg_auth_token").await.is_err(),
        "the cookie is gone"
    );
}
