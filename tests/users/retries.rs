//! Reads and idempotent writes are retried on transient failures, honouring `Retry-After`;
//! creating and updating users and creating magic links never are.

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use passage_identity::emulator::Fault;
use passage_identity::{
    CreateMagicLink, CreateUser, RetryPolicy, UpdateUser, management::REQUEST_ID_HEADER,
};

use crate::common::users::{app_path, emulator, requests_to, with_quick_retries, without_retries};

fn statuses(requests: &[passage_identity::emulator::RecordedRequest]) -> Vec<u16> {
    requests.iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn a_503_then_success_is_retried_exactly_once_with_the_same_request_id() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let path = app_path(&emulator, &format!("/users/{}", user.id));
    emulator.inject_fault(Fault::on(Method::GET, &path).status(StatusCode::SERVICE_UNAVAILABLE));
    let got = with_quick_retries(&emulator, 3)
        .user()
        .get(&user.id)
        .await
        .unwrap();
    assert_eq!(got.id, user.id);
    let sent = requests_to(&emulator, Method::GET, &path);
    assert_eq!(statuses(&sent), [503, 200]);
    assert_eq!(
        sent[0].headers[REQUEST_ID_HEADER],
        sent[1].headers[REQUEST_ID_HEADER]
    );
}

#[tokio::test]
async fn a_429_with_retry_after_waits_at_least_that_long() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "");
    emulator.inject_fault(Fault::on(Method::GET, &path).retry_after(1));
    let started = Instant::now();
    emulator.passage().app().get().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        statuses(&requests_to(&emulator, Method::GET, &path)),
        [429, 200]
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_limit_is_returned_at_once() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "");
    emulator.inject_fault(Fault::on(Method::GET, &path).retry_after(60));
    let passage = emulator
        .passage_builder()
        .retry(RetryPolicy::default().max_retry_after(Duration::from_secs(1)))
        .build()
        .unwrap();
    let error = passage.app().get().await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(60)));
    assert_eq!(requests_to(&emulator, Method::GET, &path).len(), 1);
}

#[tokio::test]
async fn create_user_after_a_503_is_not_retried() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "/users");
    emulator.inject_fault(Fault::on(Method::POST, &path).status(StatusCode::SERVICE_UNAVAILABLE));
    let error = with_quick_retries(&emulator, 3)
        .user()
        .create(CreateUser::email("ada@example.com"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(error.is_retryable(), "the caller may decide to try again");
    assert_eq!(
        statuses(&requests_to(&emulator, Method::POST, &path)),
        [503]
    );
    assert_eq!(emulator.user_count(), 0);
}

#[tokio::test]
async fn update_user_after_a_503_is_not_retried() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let path = app_path(&emulator, &format!("/users/{}", user.id));
    emulator.inject_fault(Fault::on(Method::PATCH, &path).status(StatusCode::SERVICE_UNAVAILABLE));
    let error = with_quick_retries(&emulator, 3)
        .user()
        .update(&user.id, UpdateUser::new().email("ada@new.example.com"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(requests_to(&emulator, Method::PATCH, &path).len(), 1);
}

#[tokio::test]
async fn create_magic_link_after_a_503_is_not_retried() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "/magic-links");
    emulator.inject_fault(Fault::on(Method::POST, &path).status(StatusCode::SERVICE_UNAVAILABLE));
    let error = with_quick_retries(&emulator, 3)
        .create_magic_link(CreateMagicLink::email("ada@example.com"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(requests_to(&emulator, Method::POST, &path).len(), 1);
    assert!(emulator.magic_links().is_empty());
}

#[tokio::test]
async fn a_create_whose_connection_drops_is_not_retried() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "/users");
    emulator.inject_fault(Fault::on(Method::POST, &path).drop_connection());
    let error = with_quick_retries(&emulator, 3)
        .user()
        .create(CreateUser::email("ada@example.com"))
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(requests_to(&emulator, Method::POST, &path).len(), 1);
}

#[tokio::test]
async fn a_read_whose_connection_drops_is_retried() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "");
    emulator.inject_fault(Fault::on(Method::GET, &path).drop_connection());
    with_quick_retries(&emulator, 3).app().get().await.unwrap();
    assert_eq!(requests_to(&emulator, Method::GET, &path).len(), 2);
}

#[tokio::test]
async fn a_read_that_times_out_is_retried() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "");
    emulator.inject_fault(Fault::on(Method::GET, &path).latency(Duration::from_secs(5)));
    let passage = emulator
        .passage_builder()
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap();
    passage.app().get().await.unwrap();
    assert_eq!(requests_to(&emulator, Method::GET, &path).len(), 2);
}

#[tokio::test]
async fn idempotent_writes_are_retried() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let path = app_path(&emulator, &format!("/users/{}/deactivate", user.id));
    emulator.inject_fault(Fault::on(Method::PATCH, &path).status(StatusCode::BAD_GATEWAY));
    with_quick_retries(&emulator, 3)
        .user()
        .deactivate(&user.id)
        .await
        .unwrap();
    assert_eq!(
        statuses(&requests_to(&emulator, Method::PATCH, &path)),
        [502, 200]
    );
}

#[tokio::test]
async fn retries_stop_after_the_configured_number() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "");
    emulator.inject_fault(
        Fault::on(Method::GET, &path)
            .status(StatusCode::GATEWAY_TIMEOUT)
            .times(10),
    );
    let error = with_quick_retries(&emulator, 2)
        .app()
        .get()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::GATEWAY_TIMEOUT));
    assert_eq!(
        statuses(&requests_to(&emulator, Method::GET, &path)),
        [504, 504, 504]
    );
}

#[tokio::test]
async fn the_default_policy_tries_four_times_in_all() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "");
    emulator.inject_fault(
        Fault::on(Method::GET, &path)
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .times(10),
    );
    let passage = emulator
        .passage_builder()
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    passage.app().get().await.unwrap_err();
    assert_eq!(requests_to(&emulator, Method::GET, &path).len(), 4);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "");
    emulator.inject_fault(Fault::on(Method::GET, &path).status(StatusCode::SERVICE_UNAVAILABLE));
    let error = without_retries(&emulator).app().get().await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(requests_to(&emulator, Method::GET, &path).len(), 1);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let emulator = emulator().await;
    with_quick_retries(&emulator, 3)
        .user()
        .get("nobody")
        .await
        .unwrap_err();
    let path = app_path(&emulator, "/users/nobody");
    assert_eq!(statuses(&requests_to(&emulator, Method::GET, &path)), [404]);
}

/// The hooks keep no state outside a facade call: the low-level client, used on its own,
/// retries the same way.
#[tokio::test]
async fn the_raw_client_used_on_its_own_is_retried_too() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "");
    emulator.inject_fault(Fault::on(Method::GET, &path).status(StatusCode::SERVICE_UNAVAILABLE));
    let passage = with_quick_retries(&emulator, 3);
    let app = passage
        .raw()
        .get_app()
        .app_id(passage.app_id())
        .send()
        .await
        .unwrap();
    assert_eq!(app.app.id, emulator.app_id());
    assert_eq!(
        statuses(&requests_to(&emulator, Method::GET, &path)),
        [503, 200]
    );
}

/// Deletes after an attempt whose answer was lost: the first attempt may have deleted the user,
/// so the retry's `user_not_found` is the delete having worked.
mod deletes_after_a_lost_answer {
    use std::time::Duration;

    use crate::users::scripted::{self, Reply, Scripted};

    #[tokio::test]
    async fn a_user_not_found_after_a_502_is_a_successful_delete() {
        let server = Scripted::start(vec![
            scripted::api_error(502, "bad_gateway"),
            scripted::api_error(404, "user_not_found"),
        ])
        .await;
        server.passage(3).user().delete("u1").await.unwrap();
        assert_eq!(
            server.seen(),
            [
                "DELETE /v1/apps/app/users/u1",
                "DELETE /v1/apps/app/users/u1"
            ]
        );
    }

    #[tokio::test]
    async fn a_user_not_found_after_a_timeout_is_a_successful_delete() {
        let server = Scripted::start(vec![
            Reply::Hang,
            scripted::api_error(404, "user_not_found"),
        ])
        .await;
        let passage = server
            .builder()
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        passage.user().delete("u1").await.unwrap();
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn a_device_not_found_after_a_lost_answer_is_a_successful_revocation() {
        let server = Scripted::start(vec![
            scripted::api_error(503, "service_unavailable"),
            scripted::api_error(404, "device_not_found"),
        ])
        .await;
        server
            .passage(3)
            .user()
            .revoke_device("u1", "d1")
            .await
            .unwrap();
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn a_user_not_found_at_the_first_attempt_is_not_found() {
        let server = Scripted::start(vec![scripted::api_error(404, "user_not_found")]).await;
        let error = server.passage(3).user().delete("u1").await.unwrap_err();
        assert_eq!(error.code(), Some("user_not_found"));
    }

    /// A 429 turned the first attempt away: nothing was deleted by it.
    #[tokio::test]
    async fn a_user_not_found_after_a_429_is_not_found() {
        let server = Scripted::start(vec![
            scripted::api_error(429, "too_many_requests"),
            scripted::api_error(404, "user_not_found"),
        ])
        .await;
        let error = server.passage(3).user().delete("u1").await.unwrap_err();
        assert_eq!(error.code(), Some("user_not_found"));
        assert_eq!(server.seen().len(), 2);
    }

    /// Only the code of the thing deleted counts: a missing app is not the delete's doing.
    #[tokio::test]
    async fn another_not_found_after_a_lost_answer_is_still_an_error() {
        let server = Scripted::start(vec![
            scripted::api_error(502, "bad_gateway"),
            scripted::api_error(404, "app_not_found"),
        ])
        .await;
        let error = server.passage(3).user().delete("u1").await.unwrap_err();
        assert_eq!(error.code(), Some("app_not_found"));
    }

    /// Revoking refresh tokens removes no user: a missing user is never its doing.
    #[tokio::test]
    async fn a_user_not_found_when_revoking_tokens_is_always_an_error() {
        let server = Scripted::start(vec![
            scripted::api_error(502, "bad_gateway"),
            scripted::api_error(404, "user_not_found"),
        ])
        .await;
        let error = server
            .passage(3)
            .user()
            .revoke_refresh_tokens("u1")
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("user_not_found"));
    }
}

/// Against the emulator: a dropped first attempt, then the user is gone (here it never
/// existed, which the client cannot tell apart): the delete reports success.
#[tokio::test]
async fn a_delete_retried_after_a_reset_connection_that_finds_no_user_succeeds() {
    let emulator = emulator().await;
    let path = app_path(&emulator, "/users/gone0000000000000000000");
    emulator.inject_fault(Fault::on(Method::DELETE, &path).drop_connection());
    with_quick_retries(&emulator, 3)
        .user()
        .delete("gone0000000000000000000")
        .await
        .unwrap();
    assert_eq!(
        statuses(&requests_to(&emulator, Method::DELETE, &path)),
        [0, 404]
    );
}
