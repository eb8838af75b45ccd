//! What the benchmarks share: criterion settings short enough for a shared 2-core machine.

use std::time::Duration;

use criterion::Criterion;

/// One second of warm-up, three of measurement, 30 samples per benchmark; command-line flags
/// (`--warm-up-time`, `--measurement-time`) still override them.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

/// Whether this is `cargo bench` (which passes `--bench`) rather than `cargo test`, which runs
/// every benchmark once.
pub fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}
