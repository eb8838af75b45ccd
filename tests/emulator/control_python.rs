//! The control API driven from Python's standard library only: `tests/control/drive.py` runs
//! against the binary and prints one JSON line per check; every check listed here must run,
//! exactly once, and pass. `python3` (3.8+) must be on the PATH, or named by
//! `PASSAGE_CONTROL_PYTHON`: without it the test fails, saying so.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::binary::Running;
use crate::common::scripts::{assert_every_check_passed, run_script};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/control/drive.py");
const TIMEOUT: Duration = Duration::from_secs(120);
const HINT: &str = "This test needs Python 3.8+: put python3 on the PATH, or name an \
     interpreter in PASSAGE_CONTROL_PYTHON.";

const CHECKS: &[&str] = &[
    "seed_user",
    "seed_user_seen_by_management_api",
    "add_device",
    "bad_request_error_form",
    "unauthorized_without_api_key",
    "issue_token",
    "issue_expired_token",
    "rotate_keys",
    "inject_503",
    "clear_faults",
    "read_magic_link",
    "request_log",
    "export_state",
    "reset",
    "import_state",
];

/// The interpreter, checked to be Python 3.8 or later.
fn python() -> String {
    let python = std::env::var("PASSAGE_CONTROL_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let output = Command::new(&python)
        .args(["-c", "import sys; print(sys.version_info >= (3, 8))"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}. {HINT}"));
    let answer = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && answer.trim() == "True",
        "{python} is not Python 3.8+ (it says {:?}). {HINT}",
        answer.trim()
    );
    python
}

#[test]
fn python_drives_the_control_api_with_its_standard_library_only() {
    let python = python();
    let (_running, line) = Running::serving();
    let mut command = Command::new(&python);
    // Isolated (-I) and without site packages (-S): the standard library only.
    command
        .args(["-I", "-S", "-B"])
        .arg(Path::new(SCRIPT))
        .arg(&line);
    let run = run_script(command, &python, TIMEOUT, HINT);
    let expected: Vec<String> = CHECKS.iter().map(|c| (*c).to_owned()).collect();
    assert_every_check_passed("the control API from Python", &run, &expected);
}
