//! `passage-emulator`: a local Passage on 127.0.0.1, for development and for tests in any
//! language.
//!
//! It prints one JSON line on stdout (`app_id`, `api_key`, `api_base_url`, `auth_base_url`,
//! `jwks_url`), then serves until Ctrl-C or SIGTERM.

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use passage_identity::emulator::{Emulator, EmulatorError};

const USAGE: &str = "\
Usage: passage-emulator [--port PORT] [--app-id ID] [--api-key KEY] [--jwks-max-age SECONDS]

A local Passage on 127.0.0.1: the Management API under {api_base_url}/apps/{app_id}, the JWKS at
{jwks_url}, and POST {auth_base_url}/emulator/v1/apps/{app_id}/tokens (bearer API key, body
{\"user_id\": \"...\", \"ttl_seconds\": 3600}) to issue tokens.

Prints one JSON line on stdout with app_id, api_key, api_base_url, auth_base_url and jwks_url,
then serves until Ctrl-C or SIGTERM.

Options:
  --port PORT              port on 127.0.0.1 (default 8787; 0 picks a free one)
  --app-id ID              app id (default: random, 24 letters and digits)
  --api-key KEY            API key (default: random)
  --jwks-max-age SECONDS   serve the JWKS with Cache-Control: max-age=SECONDS
  -h, --help               show this help
  -V, --version            show the version";

const DEFAULT_PORT: u16 = 8787;

#[derive(Debug, Default, PartialEq)]
struct Options {
    port: Option<u16>,
    app_id: Option<String>,
    api_key: Option<String>,
    jwks_max_age: Option<u64>,
}

#[derive(Debug, PartialEq)]
enum Command {
    Serve(Options),
    Help,
    Version,
}

/// Parses the arguments by hand: four options do not justify a dependency.
fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("argument {a:?} is not valid UTF-8"))?;
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(value) => Ok(value),
                None => args
                    .next()
                    .ok_or_else(|| format!("{name} needs a value"))?
                    .into_string()
                    .map_err(|a| format!("the value of {name}, {a:?}, is not valid UTF-8")),
            }
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--port" => {
                let raw = value("--port")?;
                let port = raw
                    .parse()
                    .map_err(|_| format!("--port {raw:?} is not a port number (0 to 65535)"))?;
                options.port = Some(port);
            }
            "--app-id" => options.app_id = Some(value("--app-id")?),
            "--api-key" => options.api_key = Some(value("--api-key")?),
            "--jwks-max-age" => {
                let raw = value("--jwks-max-age")?;
                let seconds = raw
                    .parse()
                    .map_err(|_| format!("--jwks-max-age {raw:?} is not a number of seconds"))?;
                options.jwks_max_age = Some(seconds);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Serve(options))
}

fn main() -> ExitCode {
    let options = match parse(std::env::args_os().skip(1)) {
        Ok(Command::Serve(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("passage-emulator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("passage-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("passage-emulator: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(options))
}

async fn serve(options: Options) -> ExitCode {
    let stop = match listen_for_stop() {
        Ok(stop) => stop,
        Err(error) => {
            eprintln!("passage-emulator: cannot listen for Ctrl-C and SIGTERM: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut builder = Emulator::builder()
        .port(options.port.unwrap_or(DEFAULT_PORT))
        .jwks_max_age(options.jwks_max_age.map(Duration::from_secs));
    if let Some(app_id) = options.app_id {
        builder = builder.app_id(app_id);
    }
    if let Some(api_key) = options.api_key {
        builder = builder.api_key(api_key);
    }
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(error) => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("passage-emulator: {message}");
            // A setting the emulator refuses came from the arguments.
            return if matches!(error, EmulatorError::InvalidSetting { .. }) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            };
        }
    };
    let line = serde_json::json!({
        "app_id": emulator.app_id(),
        "api_key": emulator.api_key(),
        "api_base_url": emulator.api_base_url(),
        "auth_base_url": emulator.auth_base_url(),
        "jwks_url": emulator.jwks_url(),
    });
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("passage-emulator: cannot write to stdout");
        return ExitCode::FAILURE;
    }
    drop(stdout);
    eprintln!(
        "passage-emulator: serving app {} at {} (Ctrl-C to stop)",
        emulator.app_id(),
        emulator.auth_base_url()
    );
    stop.await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// Starts listening for Ctrl-C (and SIGTERM on Unix) at once, so that a signal sent as soon as
/// the JSON line is out is not missed; the future ends when one arrives.
#[cfg(unix)]
fn listen_for_stop() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn listen_for_stop() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_take_separate_or_inline_values() {
        let parsed = parse(args(&["--port", "0", "--app-id=app", "--api-key", "k"])).unwrap();
        assert_eq!(
            parsed,
            Command::Serve(Options {
                port: Some(0),
                app_id: Some("app".into()),
                api_key: Some("k".into()),
                jwks_max_age: None,
            })
        );
    }

    #[test]
    fn bad_arguments_are_explained() {
        assert!(
            parse(args(&["--port", "http"]))
                .unwrap_err()
                .contains("port")
        );
        assert!(
            parse(args(&["--port"]))
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(
            parse(args(&["--frobnicate"]))
                .unwrap_err()
                .contains("unknown")
        );
        assert!(parse(args(&["--port", "70000"])).is_err());
    }

    #[test]
    fn help_wins() {
        assert_eq!(
            parse(args(&["--port", "1", "--help"])).unwrap(),
            Command::Help
        );
    }
}
