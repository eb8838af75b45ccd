//! Request extractors whose rejections come out in Passage's error form, never as axum's plain
//! text: bodies, queries, path parameters, and who the client is.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, MatchedPath, Path, Query, Request,
};
use axum::http::StatusCode;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::emulator::http::Connection;
use crate::emulator::rejection::ApiError;
use crate::emulator::store::events::Client;

/// The largest request body the emulator reads.
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

/// Reads a whole request body: 413 `request_too_large` only once more than [`BODY_LIMIT`] bytes
/// have truly arrived, 400 `invalid_request` when the body cannot be read (cut short, malformed
/// chunks...).
pub(crate) async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut read: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::invalid_request(format!("the request body could not be read: {e}"))
        })?;
        if read.len().saturating_add(chunk.len()) > BODY_LIMIT {
            return Err(ApiError::request_too_large(BODY_LIMIT));
        }
        read.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(read))
}

/// A JSON object body. Malformed JSON, a body that is not an object and fields of the wrong type
/// are all 400 `invalid_request`.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json_object(&bytes).map(ApiJson)
    }
}

/// Parses `bytes` as a JSON object into `T`.
pub(crate) fn parse_json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_request(
            "the request body is empty: send a JSON object",
        ));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_request(format!("the request body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::invalid_request(
            "the request body must be a JSON object",
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::invalid_request(format!("the request body is invalid: {e}")))
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::request_too_large(BODY_LIMIT)
    } else {
        ApiError::invalid_request(format!("the request body could not be read: {rejection}"))
    }
}

/// The query string as name/value pairs, in order.
pub(crate) struct ApiQuery(pub(crate) Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for ApiQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map(|Query(pairs)| ApiQuery(pairs))
            .map_err(|e| ApiError::invalid_request(format!("the query string is invalid: {e}")))
    }
}

/// Path parameters.
///
/// An id in the path is just a name to look up, as the service treats it: one that is not
/// well-formed (a percent escape that is not UTF-8) is decoded leniently, with U+FFFD for what
/// cannot be read, so that it names nothing and the handler answers its own 404 (`app_not_found`,
/// `user_not_found`, `device_not_found`) rather than a 400. (Escapes that are not escapes, like
/// `%zz`, are kept as written.)
pub(crate) struct ApiPath<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let invalid = |e: &dyn std::fmt::Display| {
            ApiError::invalid_request(format!("the URL path is invalid: {e}"))
        };
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(e))
                if matches!(e.kind(), ErrorKind::InvalidUtf8InPathParam { .. }) =>
            {
                lenient_params(parts)
                    .map(ApiPath)
                    .ok_or_else(|| invalid(&e))
            }
            Err(e) => Err(invalid(&e)),
        }
    }
}

/// The path parameters read leniently (see [`ApiPath`]), as `T`: a map by name, or a tuple in
/// the order of the route.
fn lenient_params<T: DeserializeOwned>(parts: &Parts) -> Option<T> {
    let route = parts.extensions.get::<MatchedPath>()?.as_str();
    let path = parts.uri.path();
    let mut by_name = Map::new();
    let mut in_order = Vec::new();
    for (template, segment) in route.split('/').zip(path.split('/')) {
        if let Some(name) = template.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            let value = Value::String(percent_decode_lossy(segment));
            by_name.insert(name.to_owned(), value.clone());
            in_order.push(value);
        }
    }
    serde_json::from_value(Value::Object(by_name))
        .or_else(|_| serde_json::from_value(Value::Array(in_order)))
        .ok()
}

/// Decodes `%XX` escapes, keeps anything else as written, and reads the bytes as UTF-8 with
/// U+FFFD for what is not.
pub(crate) fn percent_decode_lossy(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Who sent the request: the peer's IP address and the `User-Agent` header (empty without one),
/// for the events the request records.
pub(crate) struct ApiClient(pub(crate) Client);

impl<S: Send + Sync> FromRequestParts<S> for ApiClient {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip_addr = parts
            .extensions
            .get::<ConnectInfo<Connection>>()
            .map_or_else(
                || Client::emulator().ip_addr,
                |ConnectInfo(c)| c.remote_addr().ip().to_string(),
            );
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        Ok(ApiClient(Client {
            ip_addr,
            user_agent,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_decoded_and_what_is_not_utf8_is_replaced() {
        assert_eq!(percent_decode_lossy("a%20b"), "a b");
        assert_eq!(percent_decode_lossy("%FF"), "\u{FFFD}");
        assert_eq!(percent_decode_lossy("%zz%4"), "%zz%4");
        assert_eq!(percent_decode_lossy("%+f%-1"), "%+f%-1");
        assert_eq!(percent_decode_lossy("%C3%A9"), "é");
    }
}
