//! `passage-emulator`: a local Passage, on 127.0.0.1 by default, for development and for tests in
//! any language.
//!
//! It prints one JSON line on stdout (`app_id`, `api_key`, `api_base_url`, `auth_base_url`,
//! `jwks_url`), then serves until Ctrl-C or SIGTERM.
//!
//! Flags, each also settable from an environment variable (a flag wins over its variable):
//!
//! | flag | variable | default |
//! | --- | --- | --- |
//! | `--port PORT` | `PASSAGE_EMULATOR_PORT` | 8787 (0 picks a free port) |
//! | `--bind ADDR` | `PASSAGE_EMULATOR_BIND` | `127.0.0.1` |
//! | `--app-id ID` | `PASSAGE_EMULATOR_APP_ID` | random, 24 letters and digits |
//! | `--api-key KEY` | `PASSAGE_EMULATOR_API_KEY` | random |
//! | `--jwks-max-age SECONDS` | `PASSAGE_EMULATOR_JWKS_MAX_AGE` | no `Cache-Control` |
//! | `--state FILE` | `PASSAGE_EMULATOR_STATE` | none: the app lives in memory only |
//!
//! With `--state FILE` the app (app id, API key, signing keys, users, devices, magic links) is
//! loaded from FILE when it exists, and written to it at start, on
//! `POST /emulator/v1/apps/{app_id}/state/save` and on Ctrl-C or SIGTERM. A FILE that holds no
//! valid state fails the start (code 1) and is left as it was. FILE holds the API key and the
//! private signing keys: keep it out of version control.
//!
//! `--bind` takes an IP address, not a host name. Any address but loopback is warned about on
//! stderr: the emulator has no real security. With `0.0.0.0` (or `::`) it listens on every
//! interface and the printed URLs name `127.0.0.1` (or `[::1]`), since few clients can connect
//! to `0.0.0.0`.
//!
//! Bad usage exits with code 2; failing to start (e.g. the port is in use, or the state file is
//! unreadable) or to save the state on the way out, with code 1.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue};
use clap::{CommandFactory as _, Parser};
use passage_identity::emulator::{Emulator, EmulatorError, EmulatorState};

const ABOUT: &str = "\
A local Passage, on 127.0.0.1 by default: the Management API under {api_base_url}/apps/{app_id},
the JWKS at {jwks_url}, and the control API under {auth_base_url}/emulator/v1/apps/{app_id} (bearer
API key; documented in openapi/emulator-control.yaml), e.g.
POST {auth_base_url}/emulator/v1/apps/{app_id}/tokens with {\"user_id\": \"...\", \"ttl_seconds\": 3600}
to issue a token.

Prints one JSON line on stdout with app_id, api_key, api_base_url, auth_base_url and jwks_url,
then serves until Ctrl-C or SIGTERM. Each option can also be set from its environment variable;
the option wins.";

#[derive(Debug, PartialEq, Parser)]
#[command(
    name = "passage-emulator",
    bin_name = "passage-emulator",
    version,
    about = ABOUT,
    help_template = "{usage-heading} {usage}\n\n{about}\n\n{all-args}",
    next_line_help = true
)]
struct Options {
    /// The port to listen on (0 picks a free one)
    #[arg(
        long,
        value_name = "PORT",
        env = "PASSAGE_EMULATOR_PORT",
        default_value_t = 8787
    )]
    port: u16,
    /// The IP address to listen on. Any but loopback prints a warning: the emulator has no real
    /// security. With 0.0.0.0 (every interface) the printed URLs name 127.0.0.1
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "ADDR",
        env = "PASSAGE_EMULATOR_BIND",
        default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST)
    )]
    bind: IpAddr,
    /// The app id [default: random, 24 letters and digits]
    #[arg(long, value_name = "ID", env = "PASSAGE_EMULATOR_APP_ID")]
    app_id: Option<String>,
    /// The API key [default: random]
    #[arg(
        long,
        value_name = "KEY",
        env = "PASSAGE_EMULATOR_API_KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,
    /// Serve the JWKS with Cache-Control: max-age=SECONDS
    #[arg(long, value_name = "SECONDS", env = "PASSAGE_EMULATOR_JWKS_MAX_AGE")]
    jwks_max_age: Option<u64>,
    /// Keep the app in FILE: loaded at start when it exists, written at start, on request and
    /// on Ctrl-C or SIGTERM. It holds the API key and the signing keys: never commit it
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "FILE",
        env = "PASSAGE_EMULATOR_STATE"
    )]
    state: Option<PathBuf>,
}

/// Parses the flags, falling back on their environment variables. A usage error carries the
/// usage line (clap leaves it out of some) and exits with code 2 once printed; help and version
/// go to stdout with code 0.
fn parse(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
) -> Result<Options, clap::Error> {
    Options::try_parse_from(args).map_err(|mut error| {
        if error.use_stderr() && error.get(ContextKind::Usage).is_none() {
            let usage = Options::command().render_usage();
            error.insert(ContextKind::Usage, ContextValue::StyledStr(usage));
        }
        error
    })
}

fn main() -> ExitCode {
    let options = parse(std::env::args_os()).unwrap_or_else(|error| error.exit());
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
    if !options.bind.is_loopback() {
        eprintln!(
            "passage-emulator: warning: listening on {}, not loopback. The emulator has no real \
             security: anyone who can reach it can read and change every user and mint tokens.",
            options.bind
        );
    }
    let mut builder = Emulator::builder()
        .bind_address(options.bind)
        .port(options.port)
        .jwks_max_age(options.jwks_max_age.map(Duration::from_secs));
    if let Some(app_id) = options.app_id {
        builder = builder.app_id(app_id);
    }
    if let Some(api_key) = options.api_key {
        builder = builder.api_key(api_key);
    }
    // Where the saved app was served: tokens issued then name that origin.
    let mut saved_origin = None;
    if let Some(path) = &options.state {
        builder = builder.state_file(path);
        saved_origin = std::fs::read_to_string(path)
            .ok()
            .and_then(|json| EmulatorState::from_json(&json).ok())
            .map(|state| state.auth_origin().to_owned());
    }
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("passage-emulator: {}", with_causes(&error));
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
    if let Some(saved) = saved_origin.filter(|o| *o != emulator.auth_base_url()) {
        eprintln!(
            "passage-emulator: note: the saved app was served at {saved}; tokens issued there \
             name it (iss, aud) and do not validate at {}. Start on the same port to keep them.",
            emulator.auth_base_url()
        );
    }
    eprintln!(
        "passage-emulator: serving app {} at {} (Ctrl-C to stop)",
        emulator.app_id(),
        emulator.auth_base_url()
    );
    stop.await;
    match emulator.shutdown_and_save().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("passage-emulator: {}", with_causes(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, on one line.
fn with_causes(error: &EmulatorError) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
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
    use clap::CommandFactory as _;
    use clap::error::ErrorKind;

    use super::*;

    #[test]
    fn the_command_is_well_formed() {
        Options::command().debug_assert();
    }

    // Environment variables are left to the binary's tests, which set them on a child process.

    #[test]
    fn options_take_separate_or_inline_values() {
        let parsed = parse([
            "passage-emulator",
            "--port",
            "0",
            "--app-id=app",
            "--api-key",
            "k",
            "--bind=127.0.0.2",
            "--jwks-max-age",
            "60",
        ])
        .unwrap();
        assert_eq!(
            parsed,
            Options {
                port: 0,
                bind: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
                app_id: Some("app".into()),
                api_key: Some("k".into()),
                jwks_max_age: Some(60),
                state: None,
            }
        );
    }

    #[test]
    fn bad_arguments_are_explained() {
        for (args, kind, mentions) in [
            (
                &["--port", "http"][..],
                ErrorKind::ValueValidation,
                "--port",
            ),
            (&["--port", "70000"], ErrorKind::ValueValidation, "--port"),
            (&["--port"], ErrorKind::InvalidValue, "--port"),
            (
                &["--bind", "localhost"],
                ErrorKind::ValueValidation,
                "IP address",
            ),
            (
                &["--frobnicate"],
                ErrorKind::UnknownArgument,
                "--frobnicate",
            ),
        ] {
            let error = parse(["passage-emulator"].iter().chain(args)).expect_err("bad arguments");
            assert_eq!(error.kind(), kind, "{args:?}");
            let message = error.to_string();
            assert!(message.contains(mentions), "{args:?}: {message}");
            assert_eq!(
                message.matches("Usage: passage-emulator [OPTIONS]").count(),
                1,
                "{args:?}: {message}"
            );
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn help_wins() {
        let error = parse(["passage-emulator", "--port", "1", "--help"])
            .expect_err("help is not a configuration");
        assert_eq!(error.kind(), ErrorKind::DisplayHelp);
        assert_eq!(error.exit_code(), 0);
    }
}
