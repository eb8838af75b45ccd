//! The `passage-emulator` binary: one JSON line on stdout, then it serves until stopped; its
//! flags and their environment variables.

use std::process::Command;

use serde_json::Value;

use crate::common::binary::{Running, VARIABLES, binary};

const WARNING: &str = "no real security";

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
        &["--bind", "localhost"],
    ] {
        let output = binary(args, &[]).output().unwrap();
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
    let output = binary(&["--port", &port], &[]).output().unwrap();
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
        let output = binary(&[flag], &[]).output().unwrap();
        assert!(output.status.success(), "{flag}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.starts_with(expected), "{flag}: {stdout}");
    }
}

#[test]
fn help_names_every_environment_variable_the_token_endpoint_and_the_state_file() {
    let output = binary(&["--help"], &[]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in VARIABLES.iter().chain(&[
        "--bind <ADDR>",
        "[default: 127.0.0.1]",
        "[default: 8787]",
        "/emulator/v1/apps/{app_id}/tokens",
        "--state <FILE>",
        "openapi/emulator-control.yaml",
    ]) {
        assert!(help.contains(expected), "{expected}: {help}");
    }
}

#[test]
fn the_api_key_from_the_environment_stays_out_of_help() {
    let env = [("PASSAGE_EMULATOR_API_KEY", "env_secret")];
    let output = binary(&["--help"], &env).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("PASSAGE_EMULATOR_API_KEY"), "{help}");
    assert!(!help.contains("env_secret"), "{help}");
}

/// The JWKS' `Cache-Control`, fetched at the URL of the JSON line.
async fn jwks_cache_control(line: &Value) -> Option<String> {
    let response = reqwest::get(line["jwks_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response
        .headers()
        .get("cache-control")
        .map(|value| value.to_str().unwrap().to_owned())
}

/// get-app with the API key, at the URLs of the JSON line.
async fn get_app_status(line: &Value) -> reqwest::StatusCode {
    let app = format!(
        "{}/apps/{}",
        line["api_base_url"].as_str().unwrap(),
        line["app_id"].as_str().unwrap()
    );
    reqwest::Client::new()
        .get(app)
        .bearer_auth(line["api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn settings_come_from_environment_variables() {
    let mut running = Running::start_with(
        &[],
        &[
            ("PASSAGE_EMULATOR_PORT", "0"),
            ("PASSAGE_EMULATOR_APP_ID", "env_app"),
            ("PASSAGE_EMULATOR_API_KEY", "env_key"),
            ("PASSAGE_EMULATOR_JWKS_MAX_AGE", "60"),
            ("PASSAGE_EMULATOR_BIND", "127.0.0.1"),
        ],
    );
    let line = running.json_line();
    assert_eq!(
        (line["app_id"].as_str(), line["api_key"].as_str()),
        (Some("env_app"), Some("env_key"))
    );
    let auth_base = line["auth_base_url"].as_str().unwrap();
    assert!(auth_base.starts_with("http://127.0.0.1:"), "{auth_base}");
    assert_ne!(
        auth_base, "http://127.0.0.1:8787",
        "port 0 picks a free one"
    );
    assert_eq!(
        jwks_cache_control(&line).await.as_deref(),
        Some("max-age=60")
    );
    assert_eq!(get_app_status(&line).await, reqwest::StatusCode::OK);
    assert!(!running.stderr_until_serving().contains(WARNING));
}

#[tokio::test]
async fn a_flag_wins_over_its_environment_variable() {
    // Were the variable used, the port would be in use and the binary would exit.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let mut running = Running::start_with(
        &[
            "--port",
            "0",
            "--app-id",
            "flag_app",
            "--api-key",
            "flag_key",
            "--jwks-max-age",
            "5",
            "--bind",
            "127.0.0.1",
        ],
        &[
            ("PASSAGE_EMULATOR_PORT", &taken_port),
            ("PASSAGE_EMULATOR_APP_ID", "env_app"),
            ("PASSAGE_EMULATOR_API_KEY", "env_key"),
            ("PASSAGE_EMULATOR_JWKS_MAX_AGE", "60"),
            ("PASSAGE_EMULATOR_BIND", "0.0.0.0"),
        ],
    );
    let line = running.json_line();
    assert_eq!(
        (line["app_id"].as_str(), line["api_key"].as_str()),
        (Some("flag_app"), Some("flag_key"))
    );
    assert_eq!(
        jwks_cache_control(&line).await.as_deref(),
        Some("max-age=5")
    );
    assert_eq!(get_app_status(&line).await, reqwest::StatusCode::OK);
    assert!(!running.stderr_until_serving().contains(WARNING));
}

/// Linux routes all of 127.0.0.0/8 to loopback; other systems may have only 127.0.0.1.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn bind_serves_on_another_loopback_address_without_a_warning() {
    let by_flag = Running::start_with(&["--bind", "127.0.0.2", "--port", "0"], &[]);
    let by_variable =
        Running::start_with(&["--port", "0"], &[("PASSAGE_EMULATOR_BIND", "127.0.0.2")]);
    for mut running in [by_flag, by_variable] {
        let line = running.json_line();
        let auth_base = line["auth_base_url"].as_str().unwrap();
        assert!(auth_base.starts_with("http://127.0.0.2:"), "{auth_base}");
        assert!(
            line["jwks_url"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.2:")
        );
        assert_eq!(jwks_cache_control(&line).await, None);
        assert_eq!(get_app_status(&line).await, reqwest::StatusCode::OK);
        assert!(!running.stderr_until_serving().contains(WARNING));
    }
}

#[tokio::test]
async fn a_non_loopback_bind_warns_and_its_urls_name_loopback() {
    let mut running = Running::start(&["--bind", "0.0.0.0", "--port", "0"]);
    let line = running.json_line();
    let stderr = running.stderr_until_serving();
    for expected in [
        "warning",
        "0.0.0.0",
        WARNING,
        "read and change every user and mint tokens",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    // Every interface is listened on; the URLs name one that clients can connect to.
    let auth_base = line["auth_base_url"].as_str().unwrap();
    assert!(auth_base.starts_with("http://127.0.0.1:"), "{auth_base}");
    assert_eq!(get_app_status(&line).await, reqwest::StatusCode::OK);
}

#[test]
fn a_bad_bind_address_exits_with_code_2_and_says_why() {
    for (args, env) in [
        (&["--bind", "127.0.0.300"][..], &[][..]),
        (&["--bind", "localhost"], &[]),
        (&["--bind="], &[]),
        (&[], &[("PASSAGE_EMULATOR_BIND", "not-an-address")]),
    ] {
        let output = binary(args, env).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        for expected in [
            "invalid value",
            "--bind <ADDR>",
            "invalid IP address syntax",
        ] {
            assert!(stderr.contains(expected), "{args:?} {env:?}: {stderr}");
        }
        assert!(output.stdout.is_empty(), "nothing on stdout");
    }
}
