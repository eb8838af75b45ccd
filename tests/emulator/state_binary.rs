//! The binary with `--state FILE`: the same app id, key, signing keys and users after a restart,
//! tokens from before it still valid on the same port, and a file that holds no valid state
//! failing the start with code 1, left byte for byte as it was.

use std::process::Command;

use passage_identity::Passage;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::binary::{Running, binary};
use crate::emulator::scratch::Scratch;

/// A client for the app of a JSON line.
fn client(line: &Value) -> Passage {
    Passage::builder(line["app_id"].as_str().unwrap())
        .api_key(line["api_key"].as_str().unwrap())
        .api_base_url(line["api_base_url"].as_str().unwrap())
        .auth_base_url(line["auth_base_url"].as_str().unwrap())
        .build()
        .unwrap()
}

/// A control API call on the app of a JSON line.
async fn control(
    line: &Value,
    method: reqwest::Method,
    rest: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let url = format!(
        "{}/emulator/v1/apps/{}{rest}",
        line["auth_base_url"].as_str().unwrap(),
        line["app_id"].as_str().unwrap()
    );
    let mut request = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(line["api_key"].as_str().unwrap());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Stops the binary with SIGTERM and checks it exits 0.
#[cfg(unix)]
fn terminate(mut running: Running) {
    let status = Command::new("kill")
        .args(["-TERM", &running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = running.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// A port that was free a moment ago, for a binary that must come back on the same one.
fn free_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port().to_string()
}

#[cfg(unix)]
#[tokio::test]
async fn the_binary_keeps_its_app_across_a_restart_and_earlier_tokens_still_validate() {
    let scratch = Scratch::new();
    let file = scratch.path("app.json");
    let file_arg = file.to_str().unwrap();
    let port = free_port();
    let mut running = Running::start(&["--port", &port, "--state", file_arg]);
    let before = running.json_line();
    let (status, seeded) = control(
        &before,
        reqwest::Method::POST,
        "/users",
        Some(json!({"email": "ada@example.com", "devices": ["Laptop"], "status": "inactive"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{seeded}");
    let user_id = seeded["user"]["id"].as_str().unwrap().to_owned();
    let (_, issued) = control(
        &before,
        reqwest::Method::POST,
        "/tokens",
        Some(json!({"user_id": user_id})),
    )
    .await;
    let token = issued["token"].as_str().unwrap().to_owned();
    let (_, kids) = control(&before, reqwest::Method::GET, "/keys", None).await;
    terminate(running);

    let mut running = Running::start(&["--port", &port, "--state", file_arg]);
    let after = running.json_line();
    for field in ["app_id", "api_key", "auth_base_url"] {
        assert_eq!(after[field], before[field], "{field}");
    }
    assert_eq!(
        control(&after, reqwest::Method::GET, "/keys", None).await.1,
        kids
    );
    let passage = client(&after);
    assert_eq!(passage.auth().validate_jwt(&token).await.unwrap(), user_id);
    let user = passage
        .raw()
        .get_user()
        .app_id(passage.app_id())
        .user_id(&user_id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(
        (user.email.as_str(), user.status.to_string()),
        ("ada@example.com", "inactive".to_owned())
    );
    assert_eq!(user.webauthn_devices[0].friendly_name, "Laptop");
    assert!(
        !running.stderr_until_serving().contains("note:"),
        "same origin: no note"
    );
    terminate(running);
}

#[cfg(unix)]
#[tokio::test]
async fn on_another_port_the_app_survives_but_earlier_tokens_name_the_old_origin() {
    let scratch = Scratch::new();
    let file = scratch.path("app.json");
    let file_arg = file.to_str().unwrap();
    let mut running = Running::start(&["--port", "0", "--state", file_arg]);
    let before = running.json_line();
    let (_, issued) = control(
        &before,
        reqwest::Method::POST,
        "/tokens",
        Some(json!({"user_id": "u1"})),
    )
    .await;
    let token = issued["token"].as_str().unwrap().to_owned();
    terminate(running);

    let mut running = Running::start(&["--port", "0", "--state", file_arg]);
    let after = running.json_line();
    assert_eq!(
        (&after["app_id"], &after["api_key"]),
        (&before["app_id"], &before["api_key"])
    );
    assert_ne!(after["auth_base_url"], before["auth_base_url"]);
    assert!(
        client(&after).auth().validate_jwt(&token).await.is_err(),
        "iss and aud name the old port"
    );
    let stderr = running.stderr_until_serving();
    assert!(
        stderr.contains("note:") && stderr.contains(before["auth_base_url"].as_str().unwrap()),
        "{stderr}"
    );
}

#[tokio::test]
async fn saving_on_request_keeps_the_app_even_when_the_binary_is_killed() {
    let scratch = Scratch::new();
    let file = scratch.path("app.json");
    let file_arg = file.to_str().unwrap();
    let mut running = Running::start(&["--port", "0", "--state", file_arg]);
    let line = running.json_line();
    control(
        &line,
        reqwest::Method::POST,
        "/users",
        Some(json!({"phone": "+15551234567"})),
    )
    .await;
    let (status, saved) = control(&line, reqwest::Method::POST, "/state/save", None).await;
    assert_eq!(
        (status, saved["path"].as_str()),
        (StatusCode::OK, Some(file_arg))
    );
    drop(running); // killed: no shutdown, no save on the way out

    let mut running =
        Running::start_with(&["--port", "0"], &[("PASSAGE_EMULATOR_STATE", file_arg)]);
    let line = running.json_line();
    let (_, state) = control(&line, reqwest::Method::GET, "/state", None).await;
    assert_eq!(state["users"][0]["phone"], "+15551234567");
}

#[test]
fn a_state_file_without_a_valid_state_fails_the_binary_and_is_left_byte_for_byte() {
    let scratch = Scratch::new();
    let file = scratch.path("corrupt.json");
    for (contents, problem) in [
        (&b"{\"version\": 1, \"app_id\": "[..], "not JSON"),
        (b"{\"version\": 7}", "version 7"),
        (b"{\"users\": []}", "no \"version\""),
        (b"\xff\xfe", "not UTF-8"),
    ] {
        std::fs::write(&file, contents).unwrap();
        let output = binary(&["--port", "0", "--state", file.to_str().unwrap()], &[])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("the state file {}", file.display())),
            "{stderr}"
        );
        assert!(stderr.contains(problem), "{problem}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing on stdout");
        assert_eq!(std::fs::read(&file).unwrap(), contents, "left as it was");
        assert_eq!(scratch.files(), ["corrupt.json"]);
    }
}

#[test]
fn a_state_file_of_another_app_than_app_id_says_fails_the_binary() {
    let scratch = Scratch::new();
    let file = scratch.path("app.json");
    let file_arg = file.to_str().unwrap();
    let mut running = Running::start(&["--port", "0", "--state", file_arg, "--app-id", "first"]);
    running.json_line();
    drop(running);
    let before = std::fs::read(&file).unwrap();
    let output = binary(
        &["--port", "0", "--state", file_arg, "--app-id", "second"],
        &[],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("\"first\"") && stderr.contains("\"second\""),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
}
