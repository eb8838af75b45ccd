//! Requests that are not well-formed: ids in the path that cannot be read answer the 404 of what
//! they would name, as the service does; a body that cannot be read is 400, one that is truly
//! too large 413.

use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::emulator::support::{
    Auth, app_path, call, call_raw, create_user, emulator, user_routes,
};
use passage_identity::emulator::Emulator;

/// Ids that are not well-formed: escapes that are not UTF-8, a cut UTF-8 sequence, escapes that
/// are not escapes.
const MALFORMED_IDS: [&str; 5] = ["%FF", "%C3", "abc%FE%FF", "%zz", "%"];

/// The largest body the emulator reads (1 MiB).
const BODY_LIMIT: usize = 1024 * 1024;

#[tokio::test]
async fn a_malformed_app_id_is_404_app_not_found() {
    let emulator = emulator().await;
    for id in MALFORMED_IDS {
        for path in [format!("/v1/apps/{id}"), format!("/v1/apps/{id}/users")] {
            let reply = call(&emulator, Method::GET, &path, None).await;
            reply.assert_error(StatusCode::NOT_FOUND, "app_not_found");
        }
    }
}

#[tokio::test]
async fn a_malformed_user_id_is_404_user_not_found_on_every_user_route() {
    let emulator = emulator().await;
    let app = app_path(&emulator);
    for id in MALFORMED_IDS {
        let routes = user_routes(&format!("{app}/users/{id}"));
        for (method, path, body) in routes {
            let reply = call(&emulator, method.clone(), &path, body).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                reply.text
            );
            reply.assert_error(StatusCode::NOT_FOUND, "user_not_found");
        }
    }
}

#[tokio::test]
async fn a_malformed_device_id_is_404_device_not_found() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    for id in MALFORMED_IDS {
        let path = format!("{}/users/{}/devices/{id}", app_path(&emulator), user.id);
        let reply = call(&emulator, Method::DELETE, &path, None).await;
        reply.assert_error(StatusCode::NOT_FOUND, "device_not_found");
    }
}

#[tokio::test]
async fn a_malformed_app_id_is_404_app_not_found_even_beside_a_malformed_user_id() {
    let emulator = emulator().await;
    let reply = call(&emulator, Method::GET, "/v1/apps/%FF/users/%FF", None).await;
    reply.assert_error(StatusCode::NOT_FOUND, "app_not_found");
}

/// Sends `request` as raw bytes, then closes the sending half, and reads the answer.
async fn raw_exchange(emulator: &Emulator, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    (status, answer)
}

fn post_users_head(emulator: &Emulator, extra_headers: &str) -> String {
    format!(
        "POST {}/users HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nConnection: close\r\n{extra_headers}\r\n",
        app_path(emulator),
        emulator.local_addr(),
        emulator.api_key()
    )
}

#[tokio::test]
async fn a_body_cut_short_is_400_invalid_request() {
    let emulator = emulator().await;
    // Announces more than the limit, sends a few bytes: it is not truly too large.
    for length in [100, 2 * BODY_LIMIT] {
        let head = post_users_head(&emulator, &format!("Content-Length: {length}\r\n"));
        let (status, answer) =
            raw_exchange(&emulator, format!("{head}{{\"email\"").as_bytes()).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer.contains("\"code\":\"invalid_request\""), "{answer}");
    }
    assert_eq!(emulator.user_count(), 0);
}

#[tokio::test]
async fn a_malformed_chunked_body_is_400_invalid_request() {
    let emulator = emulator().await;
    let head = post_users_head(&emulator, "Transfer-Encoding: chunked\r\n");
    let (status, answer) = raw_exchange(
        &emulator,
        format!("{head}zz\r\n{{}}\r\n0\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("\"code\":\"invalid_request\""), "{answer}");
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    let emulator = emulator().await;
    let head = post_users_head(&emulator, "Transfer-Encoding: chunked\r\n");
    let chunk = "a".repeat(64 * 1024);
    let mut request = head.into_bytes();
    for _ in 0..(BODY_LIMIT / chunk.len() + 1) {
        request.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (status, answer) = raw_exchange(&emulator, &request).await;
    assert_eq!(status, 413, "{answer}");
    assert!(
        answer.contains("\"code\":\"request_too_large\""),
        "{answer}"
    );
}

/// A create-user body of exactly `size` bytes.
fn body_of(size: usize) -> String {
    let frame = r#"{"email":"ada@example.com","padding":""}"#;
    let padding = "a".repeat(size - frame.len());
    format!(r#"{{"email":"ada@example.com","padding":"{padding}"}}"#)
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_413() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    let at_limit = body_of(BODY_LIMIT);
    assert_eq!(at_limit.len(), BODY_LIMIT);
    let reply = call_raw(
        &emulator,
        Method::POST,
        &users,
        Auth::ApiKey,
        Some(&at_limit),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let over = body_of(BODY_LIMIT + 1);
    let reply = call_raw(&emulator, Method::POST, &users, Auth::ApiKey, Some(&over)).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large");
}
