//! Project tasks: `cargo xtask regen | check | test`.
//!
//! - `regen` writes `generated/passage_api.rs` from `openapi/passage-management.yaml`.
//! - `check` fails, printing a diff, when that file is not what the spec generates.
//! - `test` installs the test tools (Prism, from npm; the vendor's Python and Node SDKs, from PyPI
//!   and npm; headless Chromium and chromedriver, from Debian's packages) and runs the whole test
//!   suite.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

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

/// Installs Prism, the vendor SDKs and the browser if needed, then runs every test of the
/// workspace with every feature.
fn test(root: &Path, extra: &[String]) -> Result<ExitCode, String> {
    let prism = install_prism(root)?;
    let vendor_python = install_vendor_python(root)?;
    let vendor_node_modules = install_vendor_node(root)?;
    let browser = install_browser()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["test", "--workspace", "--all-features", "--all-targets"])
        .args(extra)
        .env("PASSAGE_PRISM_BIN", &prism)
        .env("PASSAGE_VENDOR_PYTHON", &vendor_python)
        .env("PASSAGE_VENDOR_NODE_MODULES", &vendor_node_modules)
        .env("PASSAGE_CHROMIUM", &browser.chromium)
        .env("PASSAGE_CHROMEDRIVER", &browser.chromedriver)
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
    run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&prefix)
            .arg(format!("@stoplight/prism-cli@{PRISM_VERSION}")),
        "Node.js 18+ with npm is needed for the contract test",
    )?;
    if !bin.exists() {
        return Err(format!("npm installed no {}", bin.display()));
    }
    Ok(bin)
}

/// The vendor's Python SDK, pinned by `tests/vendor/python/requirements.txt`, in a virtual
/// environment under `target/tools/vendor-python`; returns its Python. Reinstalled when the pins
/// change or the environment no longer imports the SDK.
fn install_vendor_python(root: &Path) -> Result<PathBuf, String> {
    let requirements_path = root.join("tests/vendor/python/requirements.txt");
    let requirements = read(&requirements_path)?;
    let venv = root.join("target/tools/vendor-python");
    let python = venv_python(&venv);
    let stamp = venv.join("installed-requirements.txt");
    let installed = std::fs::read_to_string(&stamp).is_ok_and(|s| s == requirements)
        && Command::new(&python)
            .args(["-c", "import passageidentity"])
            .output()
            .is_ok_and(|out| out.status.success());
    if installed {
        return Ok(python);
    }
    println!("installing the vendor's Python SDK (PyPI) into target/tools/vendor-python");
    let python3 = if cfg!(windows) { "python" } else { "python3" };
    run(
        Command::new(python3)
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
        "Python 3.8+ with venv is needed for the vendor SDK test",
    )?;
    run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .args(["--no-input", "--quiet", "--requirement"])
            .arg(&requirements_path),
        "pip could not install the vendor's Python SDK",
    )?;
    write(&stamp, &requirements)?;
    Ok(python)
}

/// The vendor's Node SDK, pinned by `tests/vendor/node/package-lock.json`, installed with
/// `npm ci` under `target/tools/vendor-node`; returns its `node_modules`. Reinstalled when the lock
/// changes or the SDK is gone.
fn install_vendor_node(root: &Path) -> Result<PathBuf, String> {
    let source = root.join("tests/vendor/node");
    let manifest = read(&source.join("package.json"))?;
    let lock = read(&source.join("package-lock.json"))?;
    let prefix = root.join("target/tools/vendor-node");
    let modules = prefix.join("node_modules");
    let stamp = prefix.join("installed-package-lock.json");
    let installed = std::fs::read_to_string(&stamp).is_ok_and(|s| s == lock)
        && modules
            .join("@passageidentity/passage-node/package.json")
            .is_file();
    if installed {
        return Ok(modules);
    }
    println!("installing the vendor's Node SDK (npm) into target/tools/vendor-node");
    std::fs::create_dir_all(&prefix)
        .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    write(&prefix.join("package.json"), &manifest)?;
    write(&prefix.join("package-lock.json"), &lock)?;
    run(
        Command::new("npm")
            .args([
                "ci",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&prefix),
        "npm (Node.js 18+) is needed for the vendor SDK test",
    )?;
    write(&stamp, &lock)?;
    Ok(modules)
}

/// Where the browser test finds Chromium and its WebDriver.
struct Browser {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

/// Headless Chromium and chromedriver for the browser test (`tests/browser.rs`): the paths in
/// `PASSAGE_CHROMIUM` and `PASSAGE_CHROMEDRIVER`, else Debian's `chromium` and `chromium-driver`
/// packages, installed with apt-get when missing (as root, or through sudo without a password);
/// else an error saying what to install. Never a browser downloaded by other means.
fn install_browser() -> Result<Browser, String> {
    let path = |variable: &str, default: &str| {
        std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from)
    };
    let browser = Browser {
        chromium: path("PASSAGE_CHROMIUM", "/usr/bin/chromium"),
        chromedriver: path("PASSAGE_CHROMEDRIVER", "/usr/bin/chromedriver"),
    };
    let installed = || browser.chromium.is_file() && browser.chromedriver.is_file();
    if installed() {
        return Ok(browser);
    }
    let missing = format!(
        "the browser test needs headless Chromium ({}) and chromedriver ({}): install Debian's \
         packages with `sudo apt-get install chromium chromium-driver`, or set PASSAGE_CHROMIUM \
         and PASSAGE_CHROMEDRIVER to other builds of both",
        browser.chromium.display(),
        browser.chromedriver.display()
    );
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    // Not root: sudo, if it asks for no password (as on hosted CI runners).
    let with_sudo = !as_root
        && Command::new("sudo")
            .args(["-n", "true"])
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|out| out.status.success());
    if !(as_root || with_sudo) || !Path::new("/usr/bin/apt-get").is_file() {
        return Err(missing);
    }
    let apt_get = |args: &[&str]| {
        let mut command = Command::new(if with_sudo { "sudo" } else { "env" });
        if with_sudo {
            command.arg("-n").arg("env");
        }
        command
            .args(["DEBIAN_FRONTEND=noninteractive", "apt-get", "-q"])
            .args(args);
        command
    };
    println!("installing chromium and chromium-driver (Debian packages) for the browser test");
    run(
        &mut apt_get(&["update"]),
        "apt-get could not update the package lists",
    )?;
    run(
        &mut apt_get(&["install", "-y", "chromium", "chromium-driver"]),
        "apt-get could not install chromium and chromium-driver",
    )?;
    if installed() {
        Ok(browser)
    } else {
        Err(missing)
    }
}

/// The Python of a virtual environment.
fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts/python.exe")
    } else {
        venv.join("bin/python")
    }
}

/// Runs `command`; `hint` says what is missing when it cannot start or fails.
fn run(command: &mut Command, hint: &str) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command
        .status()
        .map_err(|e| format!("cannot run {program} ({hint}): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} failed ({status}): {hint}"))
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
