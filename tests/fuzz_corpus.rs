//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) and every input the fuzzer ever
//! crashed on (`fuzz/regressions/<target>/`) through the same checks as the fuzz targets, so the
//! normal test suite holds every one of them to the crate's promises.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs the check of `target` on each of its corpus and regression files; fails listing every
/// file whose check panicked.
fn replay(target: &str) {
    let check = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .expect("a fuzz target of that name");
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = files(&fuzz.join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "the corpus of {target} is empty: fuzz/corpus/{target}/ must be committed"
    );
    let regressions = files(&fuzz.join("regressions").join(target));
    let mut failures = Vec::new();
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("a readable corpus file");
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failures.push(path.display().to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs of {target} fail their check:\n{}",
        failures.len(),
        corpus.len() + regressions.len(),
        failures.join("\n")
    );
}

#[test]
fn every_target_is_replayed() {
    let tested = [
        "validate_jwt",
        "validate_claims",
        "authenticate_request",
        "jwks_json",
        "management_decode",
        "management_response",
    ];
    let targets: Vec<&str> = checks::TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(targets, tested, "a fuzz target without a replay test below");
}

#[test]
fn validate_jwt_corpus() {
    replay("validate_jwt");
}

#[test]
fn validate_claims_corpus() {
    replay("validate_claims");
}

#[test]
fn authenticate_request_corpus() {
    replay("authenticate_request");
}

#[test]
fn jwks_json_corpus() {
    replay("jwks_json");
}

#[test]
fn management_decode_corpus() {
    replay("management_decode");
}

#[test]
fn management_response_corpus() {
    replay("management_response");
}
