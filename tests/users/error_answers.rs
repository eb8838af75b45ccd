//! What a failed call tells: Passage's codes, statuses the spec does not list, bodies that are
//! not JSON, timeouts and lost connections; the request id we sent; never the API key.

use std::time::Duration;

use http::{Method, StatusCode};
use passage_identity::emulator::Fault;
use passage_identity::{
    CreateUser, ManagementError, Passage, RetryPolicy, management::REQUEST_ID_HEADER,
};

use crate::common::users::{app_path, emulator, requests_to, without_retries};

#[tokio::test]
async fn a_wrong_api_key_is_invalid_access_token() {
    let emulator = emulator().await;
    let passage = emulator
        .passage_builder()
        .api_key("wrong-key-do-not-show")
        .build()
        .unwrap();
    let error = passage.user().get("user").await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(error.code(), Some("invalid_access_token"));
    assert!(!error.is_retryable());
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("wrong-key-do-not-show"), "{shown}");
}

#[tokio::test]
async fn an_unknown_user_is_user_not_found() {
    let emulator = emulator().await;
    let error = emulator.passage().user().get("nobody").await.unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.code(), Some("user_not_found"));
    assert!(matches!(error, ManagementError::Api { .. }), "{error:?}");
}

#[tokio::test]
async fn an_unknown_device_is_device_not_found() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let error = emulator
        .passage()
        .user()
        .revoke_device(&user.id, "no-such-device")
        .await
        .unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.code(), Some("device_not_found"));
}

#[tokio::test]
async fn an_unknown_app_is_app_not_found() {
    let emulator = emulator().await;
    let passage = Passage::builder("another_app")
        .api_key(emulator.api_key())
        .api_base_url(emulator.api_base_url())
        .build()
        .unwrap();
    let error = passage.app().get().await.unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.code(), Some("app_not_found"));
}

#[tokio::test]
async fn a_taken_email_is_invalid_request() {
    let emulator = emulator().await;
    emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let error = emulator
        .passage()
        .user()
        .create(CreateUser::email("ada@example.com"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(error.code(), Some("invalid_request"));
    assert!(error.message().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn an_error_carries_the_request_id_that_was_sent() {
    let emulator = emulator().await;
    let error = emulator.passage().user().get("nobody").await.unwrap_err();
    let sent = requests_to(
        &emulator,
        Method::GET,
        &app_path(&emulator, "/users/nobody"),
    );
    let header = sent[0].headers[REQUEST_ID_HEADER].to_str().unwrap();
    assert_eq!(error.request_id(), Some(header));
    assert!(error.to_string().contains(header), "{error}");
}

#[tokio::test]
async fn errors_never_show_the_api_key() {
    let emulator = emulator().await;
    let error = emulator.passage().user().get("nobody").await.unwrap_err();
    let shown = format!("{error} {error:?} {error:#?}");
    assert!(!shown.contains(emulator.api_key()), "{shown}");
}

#[tokio::test]
async fn an_html_502_is_an_unreadable_response_that_keeps_its_status() {
    let emulator = emulator().await;
    emulator.inject_fault(
        Fault::on(Method::GET, &app_path(&emulator, ""))
            .status(StatusCode::BAD_GATEWAY)
            .malformed_body(),
    );
    let error = without_retries(&emulator).app().get().await.unwrap_err();
    assert!(
        matches!(error, ManagementError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(error.code(), None);
    assert!(error.is_retryable());
    assert!(
        error
            .body_excerpt()
            .is_some_and(|b| b.to_ascii_lowercase().contains("<html")),
        "{error:?}"
    );
    assert!(error.request_id().is_some());
}

#[tokio::test]
async fn an_html_500_keeps_its_status_although_the_spec_documents_500() {
    let emulator = emulator().await;
    emulator.inject_fault(
        Fault::on(Method::GET, &app_path(&emulator, ""))
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .malformed_body(),
    );
    let error = emulator.passage().app().get().await.unwrap_err();
    assert!(
        matches!(error, ManagementError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert!(!error.is_retryable());
    assert!(error.request_id().is_some());
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn a_success_status_with_an_unreadable_body_is_an_invalid_response() {
    let emulator = emulator().await;
    emulator.inject_fault(Fault::on(Method::GET, &app_path(&emulator, "")).malformed_body());
    let error = emulator.passage().app().get().await.unwrap_err();
    assert!(
        matches!(error, ManagementError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(StatusCode::OK));
}

#[tokio::test]
async fn a_429_outside_the_spec_is_read_as_a_passage_error_with_its_retry_after() {
    let emulator = emulator().await;
    emulator.inject_fault(
        Fault::on(Method::GET, &app_path(&emulator, ""))
            .status(StatusCode::TOO_MANY_REQUESTS)
            .retry_after(7),
    );
    let error = without_retries(&emulator).app().get().await.unwrap_err();
    assert!(matches!(error, ManagementError::Api { .. }), "{error:?}");
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert!(error.code().is_some_and(|c| !c.is_empty()));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let emulator = emulator().await;
    emulator.inject_fault(
        Fault::on(Method::GET, &app_path(&emulator, "")).latency(Duration::from_secs(5)),
    );
    let passage = emulator
        .passage_builder()
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = passage.app().get().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.is_retryable());
    assert!(error.request_id().is_some());
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn a_dropped_connection_is_a_connection_error() {
    let emulator = emulator().await;
    emulator.inject_fault(Fault::on(Method::GET, &app_path(&emulator, "")).drop_connection());
    let error = without_retries(&emulator).app().get().await.unwrap_err();
    assert!(
        matches!(error, ManagementError::Connection { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn nothing_listening_is_a_connection_error() {
    // Bind then drop a listener: the port is very likely closed when the call is made.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let passage = Passage::builder("app")
        .api_key("key")
        .api_base_url(format!("http://127.0.0.1:{port}/v1"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = passage.app().get().await.unwrap_err();
    assert!(
        matches!(error, ManagementError::Connection { .. }),
        "{error:?}"
    );
}

/// A lost connection's error names the URL it tried, but not its query, which can hold the
/// email address or phone number being looked up.
#[tokio::test]
async fn a_transport_error_does_not_show_the_identifier_looked_up() {
    let emulator = emulator().await;
    emulator.inject_fault(Fault::on(Method::GET, &app_path(&emulator, "/users")).drop_connection());
    let error = without_retries(&emulator)
        .user()
        .get_by_identifier("ada.lovelace@example.com")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ManagementError::Connection { .. }),
        "{error:?}"
    );
    let mut shown = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(shown.contains("/users"), "the URL is still there: {shown}");
    assert!(!shown.contains("lovelace"), "{shown}");
}

/// What a call records for its error lives with the call's future, not with a task or thread:
/// a call spawned onto another worker still reports the request id it sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_run_on_another_task_keeps_its_request_id() {
    let emulator = emulator().await;
    let passage = emulator.passage().clone();
    let error = tokio::spawn(async move { passage.user().get("nobody").await })
        .await
        .unwrap()
        .unwrap_err();
    let sent = requests_to(
        &emulator,
        Method::GET,
        &app_path(&emulator, "/users/nobody"),
    );
    let header = sent[0].headers[REQUEST_ID_HEADER].to_str().unwrap();
    assert_eq!(error.request_id(), Some(header));
}
