//! The code behind `cargo xtask`: regenerating `generated/` from the spec and checking it.

use std::path::{Path, PathBuf};

#[path = "../../build.rs"]
#[allow(dead_code)]
mod codegen;

pub use codegen::SPEC_PATH;

/// Where the readable copy of the generated client lives, relative to the workspace root.
pub const GENERATED_PATH: &str = "generated/passage_api.rs";

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// What `check` found.
#[derive(Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The file is exactly what the spec generates.
    UpToDate,
    /// It is not; `diff` is a unified diff from the file to what the spec generates.
    Stale {
        /// The unified diff.
        diff: String,
    },
}

/// Writes the code `spec` generates to `generated`; returns whether the file changed.
pub fn regen(spec: &Path, generated: &Path) -> Result<bool, String> {
    let source = codegen::generate(spec)?;
    if std::fs::read_to_string(generated).ok().as_deref() == Some(source.as_str()) {
        return Ok(false);
    }
    if let Some(dir) = generated.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(generated, source)
        .map_err(|e| format!("cannot write {}: {e}", generated.display()))?;
    Ok(true)
}

/// Compares `generated` with what `spec` generates.
pub fn check(spec: &Path, generated: &Path) -> Result<CheckOutcome, String> {
    let expected = codegen::generate(spec)?;
    let actual = std::fs::read_to_string(generated).unwrap_or_default();
    if actual == expected {
        return Ok(CheckOutcome::UpToDate);
    }
    let diff = similar::TextDiff::from_lines(&actual, &expected)
        .unified_diff()
        .context_radius(3)
        .header(&generated.display().to_string(), "generated from the spec")
        .to_string();
    Ok(CheckOutcome::Stale { diff })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn committed_generated_code_matches_the_spec() {
        let root = workspace_root();
        let outcome = check(&root.join(SPEC_PATH), &root.join(GENERATED_PATH)).unwrap();
        assert_eq!(outcome, CheckOutcome::UpToDate, "run `cargo xtask regen`");
    }

    #[test]
    fn editing_the_spec_fails_the_check_until_regen() {
        let root = workspace_root();
        let dir = temp_dir("edit");
        let spec = dir.join("spec.yaml");
        let generated = dir.join("generated.rs");
        std::fs::copy(root.join(GENERATED_PATH), &generated).unwrap();

        // Add a field to the user schema, as a spec change would.
        let original = std::fs::read_to_string(root.join(SPEC_PATH)).unwrap();
        let anchor = "        external_id:\n          description: The id the app gave";
        assert!(
            original.contains(anchor),
            "the anchor must exist in the spec"
        );
        let edited = original.replacen(
            anchor,
            "        nickname:\n          type: string\n        external_id:\n          description: The id the app gave",
            1,
        );
        std::fs::write(&spec, edited).unwrap();

        match check(&spec, &generated).unwrap() {
            CheckOutcome::Stale { diff } => assert!(diff.contains("nickname"), "{diff}"),
            CheckOutcome::UpToDate => panic!("a spec change must make the check fail"),
        }
        assert!(regen(&spec, &generated).unwrap());
        assert_eq!(check(&spec, &generated).unwrap(), CheckOutcome::UpToDate);
        assert!(
            !regen(&spec, &generated).unwrap(),
            "a second regen changes nothing"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn an_invalid_spec_is_a_clear_error() {
        let dir = temp_dir("invalid");
        let spec = dir.join("spec.yaml");
        std::fs::write(&spec, "openapi: [not, a, spec").unwrap();
        let err = check(&spec, &dir.join("generated.rs")).unwrap_err();
        assert!(err.contains("not a valid OpenAPI"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }
}
