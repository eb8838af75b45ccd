//! The vendor's own SDKs against the `passage-emulator` binary: the Python SDK (PyPI
//! `passage-identity` 3.0.2) runs `tests/vendor/python/drive.py` and the Node SDK (npm
//! `@passageidentity/passage-node` 2.12.1) runs `tests/vendor/node/drive.js`. Each script prints
//! one JSON line per check; every check listed here must run, exactly once, and pass.
//!
//! `cargo xtask test` installs both SDKs under `target/tools/` and sets `PASSAGE_VENDOR_PYTHON`
//! (the virtual environment's Python) and `PASSAGE_VENDOR_NODE_MODULES`; without them, the same
//! places under `target/tools/` are used. A missing Python, Node or SDK fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::binary::Running;
use common::scripts::{assert_every_check_passed, run_script};
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vendor");
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);
const INSTALL_HINT: &str =
    "Run `cargo xtask test`, which installs both vendor SDKs under target/tools/.";

/// The calls a 404 is checked on, with an unknown user id, in both scripts.
const NOT_FOUND_CALLS: &[&str] = &[
    "get",
    "update",
    "activate",
    "deactivate",
    "delete",
    "list_devices",
    "revoke_device",
    "revoke_refresh_tokens",
];

/// Checks both SDKs run (the Node SDK has a few more calls, listed apart).
const SHARED_CHECKS: &[&str] = &[
    "create_by_email",
    "create_by_phone",
    "get",
    "get_by_identifier_email",
    "get_by_identifier_phone",
    "update",
    "deactivate",
    "activate",
    "list_devices",
    "revoke_device_missing",
    "revoke_refresh_tokens",
    "magic_link_email_all_options",
    "magic_link_phone",
    "magic_link_user_email",
    "magic_link_user_phone",
    "magic_link_new_email_signs_up",
    "magic_link_400",
    "magic_link_404",
    "error_400_create",
    "error_400_update",
    "error_401_wrong_api_key",
    "error_401_magic_link",
    "validate_jwt",
    "validate_jwt_tampered_signature",
    "validate_jwt_tampered_claims",
    "validate_jwt_garbage",
    "validate_jwt_expired",
    "recent_events_register_and_login",
    "delete",
];

const PYTHON_CHECKS: &[&str] = &["jwks_url", "error_404_get_by_identifier"];

const NODE_CHECKS: &[&str] = &[
    "get_user_by_identifier_deprecated",
    "sign_out_deprecated",
    "magic_link_deprecated_raw_request",
    "get_app",
    "error_401_get_app",
    "error_not_found_get_by_identifier",
    "valid_auth_token_deprecated",
    "authenticate_request_cookie",
    "authenticate_request_header",
    "authenticate_request_missing_token",
    "jwks_fetched_from_emulator",
    "fetch_api_used",
];

#[test]
fn the_vendor_python_sdk_drives_the_emulator_binary() {
    let python = vendor_python();
    let (_emulator, line) = Running::serving();
    let mut command = Command::new(&python);
    command
        .arg(Path::new(SCRIPTS).join("python/drive.py"))
        .arg(&line)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let run = run_script(command, "python", SCRIPT_TIMEOUT, INSTALL_HINT);
    let subject = "the vendor Python SDK against the emulator";
    assert_every_check_passed(subject, &run, &expected(PYTHON_CHECKS));
}

#[test]
fn the_vendor_node_sdk_drives_the_emulator_binary() {
    let modules = vendor_node_modules();
    let (_emulator, line) = Running::serving();
    let mut command = Command::new("node");
    command
        .arg(Path::new(SCRIPTS).join("node/drive.js"))
        .arg(&line)
        .env("NODE_PATH", &modules);
    let run = run_script(command, "node", SCRIPT_TIMEOUT, INSTALL_HINT);
    let subject = "the vendor Node SDK against the emulator";
    assert_every_check_passed(subject, &run, &expected(NODE_CHECKS));
}

fn expected(own: &[&str]) -> Vec<String> {
    SHARED_CHECKS
        .iter()
        .chain(own)
        .map(|name| (*name).to_owned())
        .chain(
            NOT_FOUND_CALLS
                .iter()
                .map(|call| format!("error_404_{call}")),
        )
        .collect()
}

/// The virtual environment's Python, checked to hold the pinned SDK.
fn vendor_python() -> PathBuf {
    let python = match std::env::var_os("PASSAGE_VENDOR_PYTHON") {
        Some(path) => PathBuf::from(path),
        None => {
            let venv = tools().join("vendor-python");
            if cfg!(windows) {
                venv.join("Scripts/python.exe")
            } else {
                venv.join("bin/python")
            }
        }
    };
    assert!(
        python.is_file(),
        "the vendor Python SDK's virtual environment was not found ({} is missing). {INSTALL_HINT}",
        python.display()
    );
    let output = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('passage-identity'))",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}. {INSTALL_HINT}", python.display()));
    let version = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && version.trim() == "3.0.2",
        "{} does not have passage-identity 3.0.2 (found {:?}; {}). {INSTALL_HINT}",
        python.display(),
        version.trim(),
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .last()
            .unwrap_or("")
    );
    python
}

/// The `node_modules` holding the pinned SDK; also checks that `node` runs.
fn vendor_node_modules() -> PathBuf {
    let modules = std::env::var_os("PASSAGE_VENDOR_NODE_MODULES")
        .map_or_else(|| tools().join("vendor-node/node_modules"), PathBuf::from);
    let manifest = modules.join("@passageidentity/passage-node/package.json");
    let version = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned));
    assert_eq!(
        version.as_deref(),
        Some("2.12.1"),
        "@passageidentity/passage-node 2.12.1 was not found at {}. {INSTALL_HINT}",
        manifest.display()
    );
    let output = Command::new("node").arg("--version").output();
    assert!(
        output.as_ref().is_ok_and(|out| out.status.success()),
        "cannot run node (Node.js 18+ is needed for the vendor SDK test): {output:?}. {INSTALL_HINT}"
    );
    modules
}

fn tools() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools")
}
