//! The `passage-emulator` binary: one JSON line on stdout, then it serves until stopped.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_passage-emulator");

/// The running binary; killed when dropped, so a failing test leaves nothing behind.
struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        Self { child, stdout }
    }

    /// The first line on stdout, as JSON.
    fn json_line(&mut self) -> Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("a line on stdout");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_json_line_and_serves() {
    let mut running =
        Running::start(&["--port", "0", "--app-id", "bin_app", "--api-key", "bin_key"]);
    let line = running.json_line();
    let object = line.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "api_base_url",
            "api_key",
            "app_id",
            "auth_base_url",
            "jwks_url"
        ]
    );
    assert_eq!(
        (line["app_id"].as_str(), line["api_key"].as_str()),
        (Some("bin_app"), Some("bin_key"))
    );
    let auth_base = line["auth_base_url"].as_str().unwrap();
    assert!(auth_base.starts_with("http://127.0.0.1:"), "{auth_base}");
    assert_eq!(line["api_base_url"], format!("{auth_base}/v1"));
    assert_eq!(
        line["jwks_url"],
        format!("{auth_base}/v1/apps/bin_app/.well-known/jwks.json")
    );

    let passage = passage_identity::Passage::builder("bin_app")
        .api_key("bin_key")
        .api_base_url(line["api_base_url"].as_str().unwrap())
        .auth_base_url(auth_base)
        .build()
        .unwrap();
    let created = passage
        .raw()
        .create_user()
        .app_id("bin_app")
        .body_map(|b| b.email(Some("ada@example.com".to_owned())))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    let jwks: Value = reqwest::get(line["jwks_url"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);

    let mut rest = String::new();
    running.child.kill().unwrap();
    running.child.wait().unwrap();
    std::io::Read::read_to_string(&mut running.stdout, &mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
}

#[cfg(unix)]
#[test]
fn the_binary_stops_cleanly_on_sigterm_and_sigint() {
    for signal in ["-TERM", "-INT"] {
        let mut running = Running::start(&["--port", "0"]);
        running.json_line();
        let status = Command::new("kill")
            .args([signal, &running.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = running.child.wait().unwrap();
        assert!(exit.success(), "{signal}: {exit:?}");
    }
}

#[test]
fn bad_arguments_exit_with_code_2_and_say_why() {
    for args in [
        &["--port", "not-a-port"][..],
        &["--frobnicate"],
        &["--port"],
        &["--app-id", "no/slashes"],
    ] {
        let output = Command::new(BINARY)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        let explained = if args[0] == "--app-id" {
            "app_id"
        } else {
            "Usage"
        };
        assert!(stderr.contains(explained), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing on stdout");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_port_in_use_exits_with_code_1_and_says_so() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(BINARY)
        .args(["--port", &port])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("in use"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn help_and_version_print_on_stdout_and_exit_0() {
    let version = format!("passage-emulator {}", env!("CARGO_PKG_VERSION"));
    for (flag, expected) in [
        ("--help", "Usage: passage-emulator"),
        ("-V", version.as_str()),
    ] {
        let output = Command::new(BINARY).arg(flag).output().unwrap();
        assert!(output.status.success(), "{flag}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.starts_with(expected), "{flag}: {stdout}");
    }
}
