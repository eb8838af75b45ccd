//! Helpers of the emulator tests: starting one, creating users, calling it with plain HTTP, and
//! reading errors.

use passage_identity::Passage;
use passage_identity::emulator::Emulator;
use passage_identity::raw::types;
use passage_identity::raw::{Error, ResponseValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub use crate::common::emulator;

/// Creates a user by email through the generated client.
pub async fn create_user(emulator: &Emulator, email: &str) -> types::PassageUser {
    let passage = emulator.passage();
    passage
        .raw()
        .create_user()
        .app_id(passage.app_id())
        .body_map(|b| b.email(Some(email.to_owned())))
        .send()
        .await
        .expect("create-user succeeds")
        .into_inner()
        .user
}

/// get-app of the client's own app, through the generated client.
pub async fn get_app(
    passage: &Passage,
) -> Result<ResponseValue<types::AppResponse>, Error<types::ApiError>> {
    passage
        .raw()
        .get_app()
        .app_id(passage.app_id())
        .send()
        .await
}

/// The status and Passage error body of a failed call of the generated client.
pub fn api_error<T: std::fmt::Debug>(
    result: Result<ResponseValue<T>, Error<types::ApiError>>,
) -> (StatusCode, types::ApiError) {
    match result {
        Err(Error::ErrorResponse(response)) => {
            let status = response.status();
            (status, response.into_inner())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// What a plain HTTP call got back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }

    /// Asserts the body is a Passage error `{"code", "error"}` with `code` and nothing else.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        let body = self.json();
        let object = body.as_object().expect("an error body is an object");
        assert_eq!(object.len(), 2, "only code and error: {body}");
        assert_eq!(body["code"], code, "{body}");
        assert!(
            body["error"].as_str().is_some_and(|m| !m.is_empty()),
            "a message: {body}"
        );
        let content_type = self.headers[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
    }
}

/// Which `Authorization` a plain call sends.
#[derive(Clone, Copy, Debug)]
pub enum Auth<'a> {
    /// The emulator's API key.
    ApiKey,
    /// None.
    Nothing,
    /// This header value.
    Header(&'a str),
}

/// A plain HTTP call to `path` (from the server root) with a raw body.
pub async fn call_raw(
    emulator: &Emulator,
    method: Method,
    path: &str,
    auth: Auth<'_>,
    body: Option<&str>,
) -> Reply {
    let url = format!("{}{path}", emulator.auth_base_url());
    let mut request = reqwest::Client::new().request(method, url);
    match auth {
        Auth::ApiKey => request = request.bearer_auth(emulator.api_key()),
        Auth::Nothing => {}
        Auth::Header(value) => request = request.header(reqwest::header::AUTHORIZATION, value),
    }
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned());
    }
    reply(request.send().await.expect("the emulator answers")).await
}

/// A response read whole.
pub async fn reply(response: reqwest::Response) -> Reply {
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.expect("a body"),
    }
}

/// A plain HTTP call with the API key and an optional JSON body.
pub async fn call(emulator: &Emulator, method: Method, path: &str, body: Option<Value>) -> Reply {
    let body = body.map(|b| b.to_string());
    call_raw(emulator, method, path, Auth::ApiKey, body.as_deref()).await
}

/// `/v1/apps/{app_id}` of this emulator.
pub fn app_path(emulator: &Emulator) -> String {
    format!("/v1/apps/{}", emulator.app_id())
}

/// Every route under `{app}/users/{user_id}` of `user` (that path), with a body where one is
/// needed.
pub fn user_routes(user: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, user.to_owned(), None),
        (
            Method::PATCH,
            user.to_owned(),
            Some(serde_json::json!({"email": "x@example.com"})),
        ),
        (Method::DELETE, user.to_owned(), None),
        (Method::PATCH, format!("{user}/activate"), None),
        (Method::PATCH, format!("{user}/deactivate"), None),
        (Method::GET, format!("{user}/devices"), None),
        (Method::DELETE, format!("{user}/devices/d"), None),
        (Method::DELETE, format!("{user}/tokens"), None),
    ]
}
