//! Project tasks: `cargo xtask regen | check | test`.
//!
//! - `regen` writes `generated/passage_api.rs` from `openapi/passage-management.yaml`.
//! - `check` fails, printing a diff, when that file is not what the spec generates.
//! - `test` installs the test tools (Prism, from npm) and runs the whole test suite.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use xtask::{CheckOutcome, check, regen, workspace_root};

/// The Prism version the contract test runs against.
const PRISM_VERSION: &str = "5.14.2";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let spec = root.join(xtask::SPEC_PATH);
    let generated = root.join(xtask::GENERATED_PATH);
    let result = match args.first().map(String::as_str) {
        Some("regen") => regen(&spec, &generated).map(|changed| {
            if changed {
                println!("wrote {}", xtask::GENERATED_PATH);
            } else {
                println!("{} is up to date", xtask::GENERATED_PATH);
            }
            ExitCode::SUCCESS
        }),
        Some("check") => check(&spec, &generated).map(|outcome| match outcome {
            CheckOutcome::UpToDate => {
                println!("{} matches the spec", xtask::GENERATED_PATH);
                ExitCode::SUCCESS
            }
            CheckOutcome::Stale { diff } => {
                eprintln!("{diff}");
                eprintln!(
                    "error: {} is stale: the spec changed. Run `cargo xtask regen` and commit the result.",
                    xtask::GENERATED_PATH
                );
                ExitCode::FAILURE
            }
        }),
        Some("test") => test(&root, &args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <regen | check | test [-- cargo test args]>");
            return ExitCode::from(2);
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

/// Installs Prism if needed, then runs every test of the workspace with every feature.
fn test(root: &Path, extra: &[String]) -> Result<ExitCode, String> {
    let prism = install_prism(root)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["test", "--workspace", "--all-features", "--all-targets"])
        .args(extra)
        .env("PASSAGE_PRISM_BIN", &prism)
        .status()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    if !status.success() {
        return Ok(ExitCode::FAILURE);
    }
    // Doctests are not part of --all-targets.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "test",
            "--package",
            "passage-identity",
            "--all-features",
            "--doc",
        ])
        .status()
        .map_err(|e| format!("cannot run cargo test --doc: {e}"))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn install_prism(root: &Path) -> Result<PathBuf, String> {
    let prefix = root.join("target/tools/prism");
    let bin = prefix.join("node_modules/.bin/prism");
    let installed = Command::new(&bin)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| String::from_utf8_lossy(&out.stdout).trim() == PRISM_VERSION);
    if installed.is_some() {
        return Ok(bin);
    }
    println!("installing @stoplight/prism-cli@{PRISM_VERSION} (npm) into target/tools/prism");
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("@stoplight/prism-cli@{PRISM_VERSION}"))
        .status()
        .map_err(|e| {
            format!("cannot run npm (Node.js 18+ is needed for the contract test): {e}")
        })?;
    if !status.success() || !bin.exists() {
        return Err("npm could not install Prism".into());
    }
    Ok(bin)
}
