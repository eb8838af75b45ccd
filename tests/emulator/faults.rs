//! Injected faults: status, Retry-After, latency, malformed bodies, dropped connections.

use std::time::{Duration, Instant};

use http::Method;
use passage_identity::RetryPolicy;
use passage_identity::emulator::Fault;
use passage_identity::raw::Error;
use reqwest::StatusCode;

use crate::emulator::support::{Auth, app_path, call, call_raw, emulator, get_app};

#[tokio::test]
async fn a_status_fault_answers_with_a_passage_error_then_is_used_up() {
    let emulator = emulator().await;
    let path = app_path(&emulator);
    emulator.inject_fault(
        Fault::on(Method::GET, &path)
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .times(2),
    );
    for _ in 0..2 {
        call(&emulator, Method::GET, &path, None)
            .await
            .assert_error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");
    }
    assert_eq!(
        call(&emulator, Method::GET, &path, None).await.status,
        StatusCode::OK
    );
    assert_eq!(emulator.pending_faults(), 0);
}

#[tokio::test]
async fn a_fault_applies_only_to_its_method_and_path_prefix() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    emulator
        .inject_fault(Fault::on(Method::POST, &users).status(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(
        call(&emulator, Method::GET, &users, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(&emulator, Method::GET, &app_path(&emulator), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(emulator.pending_faults(), 1);
    let body = serde_json::json!({"email": "a@example.com"});
    call(&emulator, Method::POST, &users, Some(body))
        .await
        .assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error");
    assert_eq!(
        emulator.user_count(),
        0,
        "the faulted request did not reach the handler"
    );
}

#[tokio::test]
async fn retry_after_comes_with_the_status_or_alone_as_a_429() {
    let emulator = emulator().await;
    let path = app_path(&emulator);
    emulator.inject_fault(
        Fault::on(Method::GET, &path)
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .retry_after(7),
    );
    let reply = call(&emulator, Method::GET, &path, None).await;
    assert_eq!(
        (reply.status, reply.headers["retry-after"].to_str().unwrap()),
        (StatusCode::SERVICE_UNAVAILABLE, "7")
    );
    emulator.inject_fault(Fault::on(Method::GET, &path).retry_after(2));
    let reply = call(&emulator, Method::GET, &path, None).await;
    reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    assert_eq!(reply.headers["retry-after"], "2");
}

#[tokio::test]
async fn the_client_retries_a_503_with_retry_after_and_then_succeeds() {
    let emulator = emulator().await;
    let path = app_path(&emulator);
    emulator.inject_fault(
        Fault::on(Method::GET, &path)
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .retry_after(0),
    );
    let passage = emulator.passage();
    let app = get_app(passage).await.unwrap();
    assert_eq!(app.status(), StatusCode::OK);
    let statuses: Vec<u16> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 200]);
}

#[tokio::test]
async fn latency_delays_the_answer_which_then_comes_normally() {
    let emulator = emulator().await;
    let path = app_path(&emulator);
    let latency = Duration::from_millis(300);
    emulator.inject_fault(Fault::on(Method::GET, &path).latency(latency));
    let started = Instant::now();
    let reply = call(&emulator, Method::GET, &path, None).await;
    assert!(started.elapsed() >= latency);
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["app"]["id"], emulator.app_id());
}

#[tokio::test]
async fn a_slow_answer_runs_into_the_clients_timeout() {
    let emulator = emulator().await;
    let path = app_path(&emulator);
    emulator.inject_fault(Fault::on(Method::GET, &path).latency(Duration::from_secs(2)));
    let passage = emulator
        .passage_builder()
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let result = get_app(&passage).await;
    match result {
        Err(Error::CommunicationError(e)) => assert!(e.is_timeout(), "{e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_body_is_an_html_page_with_status_200_by_default() {
    let emulator = emulator().await;
    let path = app_path(&emulator);
    emulator.inject_fault(Fault::on(Method::GET, &path).malformed_body());
    let reply = call(&emulator, Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(reply.text.starts_with("<!DOCTYPE html>"));
    assert!(serde_json::from_str::<serde_json::Value>(&reply.text).is_err());
}

#[tokio::test]
async fn a_malformed_body_fails_the_generated_client() {
    let emulator = emulator().await;
    emulator.inject_fault(
        Fault::on(Method::GET, &app_path(&emulator))
            .malformed_body()
            .status(StatusCode::BAD_GATEWAY)
            .times(10),
    );
    let passage = emulator
        .passage_builder()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let result = get_app(&passage).await;
    match result {
        Err(Error::UnexpectedResponse(response)) => {
            assert_eq!(response.status(), StatusCode::BAD_GATEWAY)
        }
        other => panic!("expected an unexpected response, got {other:?}"),
    }
    emulator.clear_faults();
    emulator.inject_fault(Fault::on(Method::GET, &app_path(&emulator)).malformed_body());
    let result = get_app(&passage).await;
    assert!(
        matches!(result, Err(Error::InvalidResponsePayload(..))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_and_the_next_request_is_served() {
    let emulator = emulator().await;
    let path = app_path(&emulator);
    emulator.inject_fault(Fault::on(Method::GET, &path).drop_connection());
    let client = reqwest::Client::new();
    let url = format!("{}{path}", emulator.auth_base_url());
    let error = client
        .get(&url)
        .bearer_auth(emulator.api_key())
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "no status: {error}");
    let next = client
        .get(&url)
        .bearer_auth(emulator.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), StatusCode::OK);
    let statuses: Vec<u16> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [0, 200],
        "a dropped request is logged with status 0"
    );
}

#[tokio::test]
async fn faults_apply_to_the_jwks_given_by_its_url() {
    let emulator = emulator().await;
    emulator.inject_fault(
        Fault::on(Method::GET, &emulator.jwks_url()).status(StatusCode::INTERNAL_SERVER_ERROR),
    );
    let path = format!("/v1/apps/{}/.well-known/jwks.json", emulator.app_id());
    let reply = call_raw(&emulator, Method::GET, &path, Auth::Nothing, None).await;
    reply.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error");
    let reply = call_raw(&emulator, Method::GET, &path, Auth::Nothing, None).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_fault_given_a_url_with_a_query_matches_its_path() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let url = format!("{}{users}?page=2&limit=5", emulator.auth_base_url());
    emulator.inject_fault(Fault::on(Method::GET, &url).status(StatusCode::BAD_GATEWAY));
    let reply = call(
        &emulator,
        Method::GET,
        &format!("{users}?page=2&limit=5"),
        None,
    )
    .await;
    reply.assert_error(StatusCode::BAD_GATEWAY, "bad_gateway");
    assert_eq!(emulator.pending_faults(), 0);
}

#[tokio::test]
async fn the_first_matching_fault_applies_first() {
    let emulator = emulator().await;
    let path = app_path(&emulator);
    emulator.inject_fault(Fault::any_method("/v1").status(StatusCode::BAD_GATEWAY));
    emulator.inject_fault(Fault::on(Method::GET, &path).status(StatusCode::GATEWAY_TIMEOUT));
    assert_eq!(
        call(&emulator, Method::GET, &path, None).await.status,
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(
        call(&emulator, Method::GET, &path, None).await.status,
        StatusCode::GATEWAY_TIMEOUT
    );
    assert_eq!(
        call(&emulator, Method::GET, &path, None).await.status,
        StatusCode::OK
    );
}
