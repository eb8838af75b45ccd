//! The state file: read at start when it exists, written atomically (a temporary file in the
//! same directory, then renamed over it), readable by its owner only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::EmulatorState;
use crate::emulator::error::EmulatorError;
use crate::emulator::store::random_id;

/// The state in `path`, or `None` when there is no such file. A file that cannot be read or
/// holds no valid state is an error naming it; it is left as it is.
pub(crate) fn read(path: &Path) -> Result<Option<EmulatorState>, EmulatorError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(file_error(path, "read", source)),
    };
    let invalid = |reason: String| EmulatorError::InvalidState {
        origin: format!("the state file {}", path.display()),
        reason,
    };
    let text = String::from_utf8(bytes).map_err(|_| invalid("it is not UTF-8 text".into()))?;
    EmulatorState::parse(&text).map(Some).map_err(invalid)
}

/// Writes `state` to `path`: to a new temporary file beside it first, flushed to disk, then
/// renamed over `path`, so that `path` always holds a whole state, the old or the new.
pub(crate) fn write(path: &Path, state: &EmulatorState) -> Result<(), EmulatorError> {
    let temporary = temporary_path(path);
    let written = write_new(&temporary, state.to_json().as_bytes())
        .and_then(|()| fs::rename(&temporary, path));
    if let Err(source) = written {
        let _ = fs::remove_file(&temporary);
        return Err(file_error(path, "write", source));
    }
    sync_directory(path);
    Ok(())
}

fn file_error(path: &Path, action: &'static str, source: io::Error) -> EmulatorError {
    EmulatorError::StateFile {
        path: path.to_owned(),
        action,
        source,
    }
}

/// `.{name}.{random}.tmp` in the directory of `path`.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.{}.tmp", random_id(12)))
}

fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // It holds the API key and the private signing keys.
        options.mode(0o600);
    }
    let mut file: File = options.open(path)?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Makes the rename itself durable where the system allows it (best effort).
fn sync_directory(path: &Path) {
    #[cfg(unix)]
    if let Some(directory) = path.parent() {
        let directory = if directory.as_os_str().is_empty() {
            Path::new(".")
        } else {
            directory
        };
        if let Ok(handle) = File::open(directory) {
            let _ = handle.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
