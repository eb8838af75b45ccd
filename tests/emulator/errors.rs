//! Every error code, in Passage's form `{"code": "...", "error": "..."}`.

use passage_identity::emulator::Emulator;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::emulator::support::{
    Auth, api_error, app_path, call, call_raw, create_user, emulator, user_routes,
};

/// Every route behind the API key, with a user id that exists (the key is checked first).
fn management_routes(emulator: &Emulator, user_id: &str) -> Vec<(Method, String)> {
    let app = app_path(emulator);
    let user = format!("{app}/users/{user_id}");
    vec![
        (Method::GET, app.clone()),
        (Method::POST, format!("{app}/magic-links")),
        (Method::GET, format!("{app}/users")),
        (Method::POST, format!("{app}/users")),
        (Method::GET, user.clone()),
        (Method::PATCH, user.clone()),
        (Method::DELETE, user.clone()),
        (Method::PATCH, format!("{user}/activate")),
        (Method::PATCH, format!("{user}/deactivate")),
        (Method::GET, format!("{user}/devices")),
        (Method::DELETE, format!("{user}/devices/some_device")),
        (Method::DELETE, format!("{user}/tokens")),
        (
            Method::POST,
            format!("/emulator/v1/apps/{}/tokens", emulator.app_id()),
        ),
    ]
}

#[tokio::test]
async fn every_management_route_without_an_api_key_is_401_invalid_access_token() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    for (method, path) in management_routes(&emulator, &user.id) {
        let reply = call_raw(&emulator, method.clone(), &path, Auth::Nothing, Some("{}")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_access_token");
    }
    assert!(emulator.user(&user.id).is_ok(), "nothing was changed");
}

#[tokio::test]
async fn every_management_route_with_a_wrong_api_key_is_401_invalid_access_token() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    for (method, path) in management_routes(&emulator, &user.id) {
        for header in ["Bearer not-the-key", "Basic abc", "Bearer", "not-the-key"] {
            let reply = call_raw(
                &emulator,
                method.clone(),
                &path,
                Auth::Header(header),
                Some("{}"),
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {header}"
            );
            reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_access_token");
        }
    }
}

#[tokio::test]
async fn the_api_key_is_checked_before_the_path_is_read() {
    let emulator = emulator().await;
    let app = app_path(&emulator);
    // `%FF` is not UTF-8: only a caller with the key may learn that the path is malformed.
    for (method, path) in [
        (Method::GET, "/v1/apps/%FF/users".to_owned()),
        (Method::GET, format!("{app}/users/%FF")),
        (Method::DELETE, format!("{app}/users/u/devices/%FF")),
    ] {
        let reply = call_raw(&emulator, method, &path, Auth::Nothing, None).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_access_token");
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let emulator = emulator().await;
    let header = format!("bearer {}", emulator.api_key());
    let reply = call_raw(
        &emulator,
        Method::GET,
        &app_path(&emulator),
        Auth::Header(&header),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn another_app_id_is_404_app_not_found() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let (status, error) = api_error(
        passage
            .raw()
            .get_app()
            .app_id("someone_elses_app")
            .send()
            .await,
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error.code, "app_not_found");
    let (status, error) = api_error(
        passage
            .raw()
            .list_paginated_users()
            .app_id("someone_elses_app")
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::NOT_FOUND, "app_not_found")
    );
}

#[tokio::test]
async fn every_user_route_with_an_unknown_user_is_404_user_not_found() {
    let emulator = emulator().await;
    let user = format!("{}/users/{}", app_path(&emulator), "a".repeat(24));
    let routes = user_routes(&user);
    for (method, path, body) in routes {
        let reply = call(&emulator, method.clone(), &path, body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}");
        reply.assert_error(StatusCode::NOT_FOUND, "user_not_found");
    }
}

#[tokio::test]
async fn malformed_json_is_400_invalid_request() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    for body in [
        "{\"email\": ",
        "not json",
        "",
        "[\"a@example.com\"]",
        "\"a@example.com\"",
    ] {
        let reply = call_raw(&emulator, Method::POST, &users, Auth::ApiKey, Some(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body:?}");
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn fields_of_the_wrong_type_are_400_invalid_request() {
    let emulator = emulator().await;
    let app = app_path(&emulator);
    let cases = [
        (format!("{app}/users"), json!({"email": 42})),
        (
            format!("{app}/users"),
            json!({"email": "a@example.com", "user_metadata": "x"}),
        ),
        (
            format!("{app}/magic-links"),
            json!({"email": "a@example.com", "ttl": "ten"}),
        ),
        (
            format!("{app}/magic-links"),
            json!({"email": "a@example.com", "send": "yes"}),
        ),
    ];
    for (path, body) in cases {
        let reply = call(&emulator, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn a_phone_that_is_not_e164_is_400_invalid_request() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    for phone in [
        "5551234567",
        "+05551234567",
        "+1",
        "+1234567890123456",
        "+1 555 123",
    ] {
        let reply = call(
            &emulator,
            Method::POST,
            &users,
            Some(json!({"phone": phone})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{phone}");
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn an_email_that_is_not_an_address_is_400_invalid_request() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let reply = call(
        &emulator,
        Method::POST,
        &users,
        Some(json!({"email": "ada at example"})),
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn a_user_without_email_or_phone_is_400_invalid_request() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let (status, error) = api_error(
        passage
            .raw()
            .create_user()
            .app_id(passage.app_id())
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    let users = format!("{}/users", app_path(&emulator));
    let reply = call(
        &emulator,
        Method::POST,
        &users,
        Some(json!({"email": "", "phone": " "})),
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn a_taken_email_or_phone_is_400_invalid_request() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let first = json!({"email": "ada@example.com", "phone": "+15551234567"});
    assert_eq!(
        call(&emulator, Method::POST, &users, Some(first))
            .await
            .status,
        StatusCode::CREATED
    );
    for body in [
        json!({"email": "ADA@example.com"}),
        json!({"phone": "+15551234567"}),
    ] {
        let reply = call(&emulator, Method::POST, &users, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    assert_eq!(emulator.user_count(), 1);
}

#[tokio::test]
async fn a_limit_out_of_range_is_400_invalid_request() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    let (status, error) = api_error(
        passage
            .raw()
            .list_paginated_users()
            .app_id(passage.app_id())
            .limit(501u64)
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    let users = format!("{}/users", app_path(&emulator));
    for query in [
        "limit=0",
        "limit=-1",
        "limit=ten",
        "page=0",
        "created_before=soon",
    ] {
        let reply = call(&emulator, Method::GET, &format!("{users}?{query}"), None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let emulator = emulator().await;
    let reply = call(&emulator, Method::GET, "/v1/nothing/here", None).await;
    reply.assert_error(StatusCode::NOT_FOUND, "route_not_found");
}

#[tokio::test]
async fn a_method_a_route_does_not_have_is_a_json_405() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let reply = call(&emulator, Method::PUT, &users, Some(json!({}))).await;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_json_413() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let huge = format!(
        "{{\"email\": \"{}@example.com\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let reply = call_raw(&emulator, Method::POST, &users, Auth::ApiKey, Some(&huge)).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large");
}
