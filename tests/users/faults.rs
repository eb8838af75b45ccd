//! What the client does under each fault, as the README's "Security" section documents it: a
//! 500, a 502 with an HTML page, a 429, a body cut short and a JSON document cut in the middle,
//! a connection reset, an answer that never comes. Reads are retried where the fault is
//! transient; every call ends, within its deadline, in a value or a clear error.

use std::future::Future;
use std::time::Duration;

use http::{Method, StatusCode};
use passage_identity::emulator::{Emulator, Fault};
use passage_identity::{CreateUser, ManagementError, Passage};

use crate::common::fixtures;
use crate::common::users::{app_path, emulator, quick_retries, requests_to, with_quick_retries};
use crate::users::scripted::{self, Reply, Scripted};

/// A client whose attempts time out after `timeout_ms`, retrying up to `retries` times.
fn impatient(emulator: &Emulator, timeout_ms: u64, retries: u32) -> Passage {
    emulator
        .passage_builder()
        .timeout(Duration::from_millis(timeout_ms))
        .retry(quick_retries(retries))
        .build()
        .unwrap()
}

/// Fails the test, rather than hanging it, when `call` takes longer than `bound`.
async fn within<T>(bound: Duration, call: impl Future<Output = T>) -> T {
    tokio::time::timeout(bound, call)
        .await
        .unwrap_or_else(|_| panic!("the call did not end within {bound:?}"))
}

fn get_app_requests(emulator: &Emulator) -> Vec<u16> {
    requests_to(emulator, Method::GET, &app_path(emulator, ""))
        .iter()
        .map(|r| r.status)
        .collect()
}

fn inject_on_get_app(emulator: &Emulator, fault: Fault) {
    emulator.inject_fault(fault.times(10));
}

fn get_app_fault(emulator: &Emulator) -> Fault {
    Fault::on(Method::GET, &app_path(emulator, ""))
}

#[tokio::test]
async fn a_500_is_passages_own_error_and_is_not_retried() {
    let emulator = emulator().await;
    inject_on_get_app(
        &emulator,
        get_app_fault(&emulator).status(StatusCode::INTERNAL_SERVER_ERROR),
    );
    let error = with_quick_retries(&emulator, 3)
        .app()
        .get()
        .await
        .unwrap_err();
    assert!(matches!(error, ManagementError::Api { .. }), "{error:?}");
    assert_eq!(error.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(error.code(), Some("internal_server_error"));
    assert!(!error.is_retryable());
    assert_eq!(get_app_requests(&emulator), [500]);
}

#[tokio::test]
async fn a_502_html_page_is_retried_and_then_reported_with_its_status_and_page() {
    let emulator = emulator().await;
    inject_on_get_app(
        &emulator,
        get_app_fault(&emulator)
            .status(StatusCode::BAD_GATEWAY)
            .malformed_body(),
    );
    let error = with_quick_retries(&emulator, 2)
        .app()
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ManagementError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
    assert!(error.is_retryable());
    assert!(
        error
            .body_excerpt()
            .is_some_and(|page| page.starts_with("<!DOCTYPE html>")),
        "{error:?}"
    );
    assert_eq!(get_app_requests(&emulator), [502, 502, 502]);
}

#[tokio::test]
async fn a_single_502_html_page_is_retried_away() {
    let emulator = emulator().await;
    emulator.inject_fault(
        get_app_fault(&emulator)
            .status(StatusCode::BAD_GATEWAY)
            .malformed_body(),
    );
    let app = with_quick_retries(&emulator, 2).app().get().await.unwrap();
    assert_eq!(app.id, emulator.app_id());
    assert_eq!(get_app_requests(&emulator), [502, 200]);
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait_it_asks_for_and_then_reported() {
    let emulator = emulator().await;
    inject_on_get_app(&emulator, get_app_fault(&emulator).retry_after(0));
    let error = with_quick_retries(&emulator, 2)
        .app()
        .get()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(error.retry_after(), Some(Duration::ZERO));
    assert!(error.is_retryable());
    assert_eq!(get_app_requests(&emulator), [429, 429, 429]);
}

/// However large the `Retry-After`, the call does not wait past its deadline: it returns the
/// 429 at once (had it waited, its retry would have succeeded).
#[tokio::test]
async fn a_retry_after_that_would_end_past_the_call_timeout_is_returned_at_once() {
    let emulator = emulator().await;
    emulator.inject_fault(get_app_fault(&emulator).retry_after(5));
    let passage = emulator
        .passage_builder()
        .call_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let error = within(Duration::from_secs(4), passage.app().get())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(5)));
    assert_eq!(get_app_requests(&emulator), [429]);
}

#[tokio::test]
async fn a_retry_after_beyond_any_clock_is_returned_at_once() {
    let server = Scripted::start(vec![scripted::with_header(
        503,
        "application/json",
        "retry-after: 99999999999999999999999",
        br#"{"code":"unavailable","error":"later"}"#,
    )])
    .await;
    let error = within(Duration::from_secs(5), server.passage(3).app().get())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(error.retry_after(), Some(Duration::MAX));
    assert_eq!(server.seen().len(), 1);
}

/// A connection that closes in the middle of a successful answer's body: the read is tried
/// again, as for a lost connection.
#[tokio::test]
async fn a_body_cut_short_is_retried_for_a_read() {
    let whole = fixtures::app_response("app").to_string();
    let server = Scripted::start(vec![
        scripted::cut_short(200, &whole[..whole.len() / 2], whole.len()),
        scripted::json(200, &whole),
    ])
    .await;
    let app = server.passage(2).app().get().await.unwrap();
    assert_eq!(app.id, "app");
    assert_eq!(server.seen(), ["GET /v1/apps/app", "GET /v1/apps/app"]);
}

#[tokio::test]
async fn a_body_cut_short_every_time_is_a_connection_error_naming_the_attempts() {
    let whole = fixtures::app_response("app").to_string();
    let cut = scripted::cut_short(200, &whole[..10], whole.len());
    let server = Scripted::start(vec![cut.clone(), cut.clone(), cut]).await;
    let error = server.passage(2).app().get().await.unwrap_err();
    assert!(
        matches!(error, ManagementError::Connection { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(error.to_string().contains("after 3 attempts"), "{error}");
    assert_eq!(server.seen().len(), 3);
}

/// A create is sent once: its answer was cut short, so the user may well exist.
#[tokio::test]
async fn a_create_whose_answer_is_cut_short_is_not_retried() {
    let whole = fixtures::user_response().to_string();
    let server = Scripted::start(vec![scripted::cut_short(201, &whole[..20], whole.len())]).await;
    let error = server
        .passage(3)
        .user()
        .create(CreateUser::email("ada@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ManagementError::Connection { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(server.seen(), ["POST /v1/apps/app/users"]);
}

/// A complete answer holding a JSON document cut in the middle is the server's word, not a
/// transport failure: it is reported, not retried, and its body (a successful answer's data)
/// is not kept.
#[tokio::test]
async fn a_truncated_json_document_is_an_invalid_response_without_its_body() {
    let whole = fixtures::app_response("app").to_string();
    let server = Scripted::start(vec![scripted::json(200, &whole[..whole.len() / 2])]).await;
    let error = server.passage(3).app().get().await.unwrap_err();
    assert!(
        matches!(error, ManagementError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(StatusCode::OK));
    assert!(!error.is_retryable());
    assert_eq!(error.body_excerpt(), None);
    let cause = std::error::Error::source(&error)
        .expect("the decoding error")
        .to_string();
    assert!(cause.contains("cut short"), "{cause}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_connection_reset_on_every_attempt_is_a_connection_error_after_the_retries() {
    let emulator = emulator().await;
    inject_on_get_app(&emulator, get_app_fault(&emulator).drop_connection());
    let error = with_quick_retries(&emulator, 2)
        .app()
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ManagementError::Connection { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(get_app_requests(&emulator), [0, 0, 0]);
}

#[tokio::test]
async fn a_read_that_hangs_past_every_attempt_timeout_is_a_timeout_after_the_retries() {
    let emulator = emulator().await;
    inject_on_get_app(
        &emulator,
        get_app_fault(&emulator).latency(Duration::from_secs(30)),
    );
    let passage = impatient(&emulator, 200, 2);
    let error = within(Duration::from_secs(10), passage.app().get())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ManagementError::Timeout { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(get_app_requests(&emulator).len(), 3);
}

/// Ten retries of 300 ms each would take over three seconds; the call timeout of one second
/// ends the call after the attempts that fit in it (the last one cut to what is left).
#[tokio::test]
async fn the_call_timeout_ends_a_call_whose_attempts_keep_hanging() {
    let emulator = emulator().await;
    emulator.inject_fault(
        get_app_fault(&emulator)
            .latency(Duration::from_secs(30))
            .times(20),
    );
    let passage = emulator
        .passage_builder()
        .timeout(Duration::from_millis(300))
        .call_timeout(Duration::from_secs(1))
        .retry(quick_retries(10))
        .build()
        .unwrap();
    let error = within(Duration::from_secs(10), passage.app().get())
        .await
        .unwrap_err();
    let ManagementError::Timeout { attempts, .. } = error else {
        panic!("expected a timeout, got {error:?}");
    };
    assert!((2..=4).contains(&attempts), "{attempts} attempts");
    assert_eq!(get_app_requests(&emulator).len(), attempts as usize);
}

#[tokio::test]
async fn a_create_that_hangs_is_a_timeout_after_one_attempt() {
    let emulator = emulator().await;
    let users = app_path(&emulator, "/users");
    emulator.inject_fault(Fault::on(Method::POST, &users).latency(Duration::from_secs(30)));
    let passage = impatient(&emulator, 200, 3);
    let error = within(
        Duration::from_secs(10),
        passage.user().create(CreateUser::email("ada@example.com")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ManagementError::Timeout { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(requests_to(&emulator, Method::POST, &users).len(), 1);
}

/// The deadline holds for the low-level client too: it lives in the hooks.
#[tokio::test]
async fn the_call_timeout_bounds_the_low_level_client_as_well() {
    let server = Scripted::start(vec![Reply::Hang; 10]).await;
    let passage: Passage = server
        .builder()
        .timeout(Duration::from_millis(300))
        .call_timeout(Duration::from_secs(1))
        .retry(quick_retries(10))
        .build()
        .unwrap();
    let result = within(
        Duration::from_secs(10),
        passage.raw().get_app().app_id("app").send(),
    )
    .await;
    match result {
        Err(passage_identity::raw::Error::CommunicationError(e)) => assert!(e.is_timeout(), "{e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    let attempts = server.seen().len();
    assert!((2..=4).contains(&attempts), "{attempts} attempts");
}
