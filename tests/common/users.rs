//! Helpers for the user-management tests: emulators, clients with chosen retry policies, and
//! questions about the emulator's request log.

use std::time::Duration;

use http::Method;
use passage_identity::emulator::{Emulator, RecordedRequest};
use passage_identity::{ManagementError, Passage, RetryPolicy};

pub async fn emulator() -> Emulator {
    Emulator::start().await.expect("the emulator starts")
}

/// A client for `emulator` that never retries.
pub fn without_retries(emulator: &Emulator) -> Passage {
    emulator
        .passage_builder()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// A client for `emulator` that retries with tiny waits, so tests stay fast.
pub fn with_quick_retries(emulator: &Emulator, retries: u32) -> Passage {
    emulator
        .passage_builder()
        .retry(
            RetryPolicy::default()
                .max_retries(retries)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

/// `/v1/apps/{app_id}` plus `rest`.
pub fn app_path(emulator: &Emulator, rest: &str) -> String {
    format!("/v1/apps/{}{rest}", emulator.app_id())
}

/// The requests with this method and exact path.
pub fn requests_to(emulator: &Emulator, method: Method, path: &str) -> Vec<RecordedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// A query parameter of a recorded request, percent-decoded.
pub fn query_param(request: &RecordedRequest, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!(
        "http://127.0.0.1/?{}",
        request.query.as_deref().unwrap_or_default()
    ))
    .unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The field an input error names; panics on any other error.
pub fn invalid_field(error: ManagementError) -> &'static str {
    match error {
        ManagementError::InvalidInput { field, .. } => field,
        other => panic!("expected an input error, got {other:?}"),
    }
}
