//! Scripts in other languages that drive the emulator: run one to its end, and check the one
//! JSON line per check it prints (`{"check": NAME, "ok": true}`, or `"ok": false` with a
//! `"detail"`).

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// What a script did.
pub struct ScriptRun {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a script to its end (killed after `timeout`), capturing both streams. `hint` says what
/// to do when `program` cannot be run.
pub fn run_script(mut command: Command, program: &str, timeout: Duration, hint: &str) -> ScriptRun {
    let mut child = command
        // Only 127.0.0.1 is ever reached; a proxy from the environment must not get in between.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}. {hint}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the script can be waited on") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.join().expect("stdout is read");
    let mut stderr = stderr.join().expect("stderr is read");
    if status.is_none() {
        stderr.push_str(&format!("\n[killed after {timeout:?}]"));
    }
    ScriptRun {
        success: status.is_some_and(|s| s.success()),
        stdout,
        stderr,
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Every expected check reported once and passed, nothing else was reported, and the script
/// exited 0. One failure message, about `subject`, lists every problem.
pub fn assert_every_check_passed(subject: &str, run: &ScriptRun, expected: &[String]) {
    let mut problems = Vec::new();
    let mut reported: BTreeMap<String, usize> = BTreeMap::new();
    for line in run.stdout.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(json) = serde_json::from_str::<Value>(line) else {
            problems.push(format!("not a check line: {line}"));
            continue;
        };
        let Some(name) = json["check"].as_str() else {
            problems.push(format!("a line without a check name: {line}"));
            continue;
        };
        *reported.entry(name.to_owned()).or_default() += 1;
        if json["ok"] != Value::Bool(true) {
            problems.push(format!("FAILED {name}: {}", json["detail"]));
        }
    }
    for name in expected {
        if !reported.contains_key(name) {
            problems.push(format!("did not run: {name}"));
        }
    }
    for (name, count) in &reported {
        if !expected.contains(name) {
            problems.push(format!("not an expected check: {name}"));
        }
        if *count > 1 {
            problems.push(format!("reported {count} times: {name}"));
        }
    }
    if !run.success {
        problems.push("the script did not exit with status 0".to_owned());
    }
    assert!(
        problems.is_empty(),
        "{subject}:\n  {}\n--- stderr ---\n{}",
        problems.join("\n  "),
        run.stderr
    );
}
