//! The `passage-emulator` binary as a child process: started with exact flags and environment,
//! its JSON line read, killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_passage-emulator");

/// The environment variables the binary reads; none is inherited from the test's environment.
pub const VARIABLES: [&str; 6] = [
    "PASSAGE_EMULATOR_PORT",
    "PASSAGE_EMULATOR_BIND",
    "PASSAGE_EMULATOR_APP_ID",
    "PASSAGE_EMULATOR_API_KEY",
    "PASSAGE_EMULATOR_JWKS_MAX_AGE",
    "PASSAGE_EMULATOR_STATE",
];

/// The binary with `args` and exactly the `env` variables of its own, and no standard input.
pub fn binary(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    for name in VARIABLES {
        command.env_remove(name);
    }
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    command
}

/// The running binary; killed when dropped, so a failing test leaves nothing behind.
pub struct Running {
    pub child: Child,
    pub stdout: BufReader<ChildStdout>,
    pub stderr: BufReader<ChildStderr>,
}

impl Running {
    pub fn start(args: &[&str]) -> Self {
        Self::start_with(args, &[])
    }

    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = binary(args, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// Stderr up to and including the "serving" line, written once the JSON line is out.
    pub fn stderr_until_serving(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let read = self
                .stderr
                .read_line(&mut line)
                .expect("stderr is readable");
            assert_ne!(read, 0, "stderr ended before the serving line: {all:?}");
            all.push_str(&line);
            if line.contains("serving app") {
                return all;
            }
        }
    }

    /// The first line on stdout, as JSON.
    pub fn json_line(&mut self) -> Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("a line on stdout");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
    }

    /// The binary on a free port, and its JSON line as text, as the scripts driving it take it.
    pub fn serving() -> (Self, String) {
        let mut running = Self::start(&["--port", "0"]);
        let json = running.json_line();
        assert!(json["api_base_url"].is_string(), "{json}");
        (running, json.to_string())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
