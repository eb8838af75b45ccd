//! A thousand management calls at once against an emulator injecting failures: every call ends
//! (a tokio timeout fails the test rather than letting it hang), in a value or a clear error,
//! and the emulator's state is exactly what the successful calls say.

use std::time::Duration;

use futures_util::future::join_all;
use http::StatusCode;
use passage_identity::emulator::Fault;
use passage_identity::enums::UserStatus;
use passage_identity::{ManagementError, RetryPolicy};

use crate::common::users::{app_path, emulator};

const CALLS: usize = 1_000;

#[derive(Clone, Copy, Debug)]
enum Call {
    Delete,
    Deactivate,
    Get,
    RevokeTokens,
}

impl Call {
    fn of(i: usize) -> Self {
        [
            Self::Delete,
            Self::Deactivate,
            Self::Get,
            Self::RevokeTokens,
        ][i % 4]
    }
}

/// An error a caller can act on: Passage's answer, an unreadable answer with its status, or a
/// lost connection. Never a local error, a timeout (nothing here is slow) or a panic.
fn is_clear(error: &ManagementError) -> bool {
    match error {
        ManagementError::Api { status, .. } => [500, 502, 503, 429].contains(&status.as_u16()),
        ManagementError::InvalidResponse { status, .. } => *status == Some(StatusCode::BAD_GATEWAY),
        ManagementError::Connection { .. } => true,
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_under_failures_end_and_leave_the_state_they_report() {
    let emulator = emulator().await;
    let ids: Vec<String> = (0..CALLS)
        .map(|i| {
            emulator
                .create_user_directly(Some(&format!("load{i}@example.com")), None)
                .unwrap()
                .id
        })
        .collect();
    // Faults apply in the order injected, each to the next requests under /users: the first
    // few hundred requests meet them, retries included. A 500 is not retried, so some calls
    // fail for good; the rest are transient and mostly retried away.
    let users = app_path(&emulator, "/users");
    for fault in [
        Fault::any_method(&users)
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .times(150),
        Fault::any_method(&users).drop_connection().times(100),
        Fault::any_method(&users)
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .times(60),
        Fault::any_method(&users)
            .status(StatusCode::BAD_GATEWAY)
            .malformed_body()
            .times(100),
        Fault::any_method(&users).retry_after(0).times(100),
    ] {
        emulator.inject_fault(fault);
    }
    let passage = emulator
        .passage_builder()
        .timeout(Duration::from_secs(20))
        .call_timeout(Duration::from_secs(60))
        .retry(
            RetryPolicy::default()
                .max_retries(3)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(50)),
        )
        .build()
        .unwrap();

    let calls = ids.iter().enumerate().map(|(i, id)| {
        let passage = passage.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let users = passage.user();
            match Call::of(i) {
                Call::Delete => users.delete(&id).await,
                Call::Deactivate => users.deactivate(&id).await.map(|user| {
                    assert_eq!(user.status, UserStatus::Inactive);
                }),
                Call::Get => users.get(&id).await.map(|user| assert_eq!(user.id, id)),
                Call::RevokeTokens => users.revoke_refresh_tokens(&id).await,
            }
        })
    });
    let results = tokio::time::timeout(Duration::from_secs(120), join_all(calls))
        .await
        .expect("every call ends within two minutes");

    let mut succeeded = 0;
    let mut failed = 0;
    for (i, (id, joined)) in ids.iter().zip(results).enumerate() {
        let result = joined.expect("no call panics");
        if let Err(error) = &result {
            assert!(is_clear(error), "call {i} ({:?}): {error:?}", Call::of(i));
        }
        let ok = result.is_ok();
        if ok {
            succeeded += 1;
        } else {
            failed += 1;
        }
        // Faults answer before the emulator's handlers: a call that failed changed nothing,
        // and one that succeeded made its change exactly once.
        match Call::of(i) {
            Call::Delete => assert_eq!(emulator.user(id).is_err(), ok, "delete {i}"),
            Call::Deactivate => {
                let expected = if ok {
                    UserStatus::Inactive
                } else {
                    UserStatus::Active
                };
                assert_eq!(
                    emulator.user(id).unwrap().status,
                    expected,
                    "deactivate {i}"
                );
            }
            Call::Get => {}
            Call::RevokeTokens => assert_eq!(
                emulator.refresh_token_revocations(id).unwrap().count,
                u64::from(ok),
                "revoke {i}"
            ),
        }
    }
    assert_eq!(succeeded + failed, CALLS);
    assert!(succeeded > CALLS / 2, "{succeeded} succeeded");
    assert!(failed > 0, "the faults made no call fail");
    assert_eq!(emulator.pending_faults(), 0, "every fault was met");
}
