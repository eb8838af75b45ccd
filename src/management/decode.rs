//! Decoding the answer of a failed call into a [`ManagementError`]: Passage's `{code, error}`
//! body, an answer that is not one (a proxy's HTML page, a truncated body), or no answer at all.

use http::StatusCode;

use super::error::ManagementError;
use super::raw::{self, types::ApiError};
use super::record::CallRecord;

/// How much of an unreadable response body is kept for [`ManagementError::body_excerpt`].
const EXCERPT_LEN: usize = 512;
/// How much of an error body is read at most to find Passage's `{code, error}` in it.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Turns an error of the generated client into ours, with what the hooks recorded.
pub(crate) async fn from_raw(error: raw::Error<ApiError>, record: CallRecord) -> ManagementError {
    use raw::Error as Raw;
    let CallRecord {
        operation,
        request_id,
        status,
        retry_after,
        attempts,
        ..
    } = record;
    match error {
        Raw::ErrorResponse(response) => {
            let status = response.status();
            let body = response.into_inner();
            ManagementError::Api {
                status,
                code: body.code,
                message: body.error,
                operation,
                request_id,
                retry_after,
            }
        }
        Raw::UnexpectedResponse(response) => {
            let status = response.status();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = match read_limited(response, ERROR_BODY_LIMIT).await {
                Ok(body) => body,
                Err(source) => return transport_error(source, operation, request_id, attempts),
            };
            if !status.is_success()
                && let Ok(api) = serde_json::from_slice::<ApiError>(without_bom(&body))
            {
                return ManagementError::Api {
                    status,
                    code: api.code,
                    message: api.error,
                    operation,
                    request_id,
                    retry_after,
                };
            }
            let detail = if status.is_success() {
                "a status the API does not document for this operation".to_owned()
            } else {
                format!(
                    "a body that is not a Passage error ({})",
                    content_type.as_deref().unwrap_or("no content type")
                )
            };
            ManagementError::InvalidResponse {
                status: Some(status),
                detail,
                operation,
                request_id,
                retry_after,
                body_excerpt: excerpt(&body, Some(status)),
                source: None,
            }
        }
        Raw::InvalidResponsePayload(body, source) => ManagementError::InvalidResponse {
            status,
            detail: if status.is_some_and(|s| !s.is_success()) {
                "a body that is not a Passage error".to_owned()
            } else {
                "a body that does not match the API's schema".to_owned()
            },
            operation,
            request_id,
            retry_after,
            body_excerpt: excerpt(&body, status),
            source: Some(Box::new(UnreadableJson::from(&source))),
        },
        Raw::CommunicationError(source)
        | Raw::ResponseBodyError(source)
        | Raw::InvalidUpgrade(source) => {
            if source.is_builder() {
                return ManagementError::Request {
                    operation,
                    reason: without_query(source).to_string(),
                };
            }
            transport_error(source, operation, request_id, attempts)
        }
        Raw::InvalidRequest(reason) | Raw::Custom(reason) => {
            ManagementError::Request { operation, reason }
        }
    }
}

fn transport_error(
    source: reqwest::Error,
    operation: &'static str,
    request_id: Option<String>,
    attempts: u32,
) -> ManagementError {
    let source = without_query(source);
    if source.is_timeout() {
        ManagementError::Timeout {
            operation,
            request_id,
            attempts,
            source: Box::new(source),
        }
    } else {
        ManagementError::Connection {
            operation,
            request_id,
            attempts,
            source: Box::new(source),
        }
    }
}

/// Why a body is not the JSON expected, in serde's terms but without serde's message, which
/// quotes values of the body ("invalid type: string \"...\""): a successful answer's values
/// may be secrets.
#[derive(Debug)]
struct UnreadableJson {
    category: serde_json::error::Category,
    line: usize,
    column: usize,
}

impl From<&serde_json::Error> for UnreadableJson {
    fn from(error: &serde_json::Error) -> Self {
        Self {
            category: error.classify(),
            line: error.line(),
            column: error.column(),
        }
    }
}

impl std::fmt::Display for UnreadableJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use serde_json::error::Category;
        let what = match self.category {
            Category::Syntax => "not valid JSON",
            Category::Eof => "JSON cut short",
            Category::Data => "JSON of another shape than the API's",
            Category::Io => "unreadable",
        };
        write!(
            f,
            "the body is {what} (line {}, column {})",
            self.line, self.column
        )
    }
}

impl std::error::Error for UnreadableJson {}

/// The error with its URL cut to where the call went: the query may hold the email address or
/// phone number being looked up, which has no place in logs.
fn without_query(mut error: reqwest::Error) -> reqwest::Error {
    if let Some(url) = error.url_mut() {
        url.set_query(None);
    }
    error
}

/// Reads at most `limit` bytes of a body: an error body is small, and a huge one is not worth
/// holding in memory.
async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

/// The body without a UTF-8 byte-order mark, if it starts with one.
fn without_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// The start of a body, for diagnosis. A successful answer is Passage's data, which may hold a
/// magic link's secret: it is kept only when it is plainly a markup page (a proxy's HTML), and
/// never when it is JSON, however it starts (a byte-order mark, white space). Error bodies are
/// kept.
fn excerpt(body: &[u8], status: Option<StatusCode>) -> Option<String> {
    let markup = without_bom(body).trim_ascii_start().first() == Some(&b'<');
    if body.is_empty() || (status.is_none_or(|s| s.is_success()) && !markup) {
        return None;
    }
    let cut = &body[..body.len().min(EXCERPT_LEN)];
    Some(String::from_utf8_lossy(cut).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_lossy() {
        let long = vec![b'a'; 5000];
        let error = Some(StatusCode::BAD_GATEWAY);
        assert_eq!(excerpt(&long, error).unwrap().len(), EXCERPT_LEN);
        assert_eq!(excerpt(b"", error).as_deref(), None);
        assert_eq!(excerpt(b"\xff<html>", error).unwrap(), "\u{fffd}<html>");
    }

    #[test]
    fn excerpt_of_a_successful_json_answer_is_not_kept() {
        let secret = br#" {"magic_link":{"secret":"s3cr3t"}}"#;
        assert_eq!(excerpt(secret, Some(StatusCode::CREATED)), None);
        assert_eq!(excerpt(secret, None), None);
        assert!(excerpt(b"<html>", Some(StatusCode::OK)).is_some());
        assert!(excerpt(br#"{"code":"x"}"#, Some(StatusCode::BAD_GATEWAY)).is_some());
    }

    #[test]
    fn excerpt_of_a_successful_answer_with_a_byte_order_mark_is_not_kept() {
        let with_bom = b"\xEF\xBB\xBF{\"magic_link\":{\"secret\":\"s3cr3t\"}}";
        assert_eq!(excerpt(with_bom, Some(StatusCode::CREATED)), None);
        for other in [&b"s3cr3t"[..], b"\n\"s3cr3t\"", b"\xff\xfe{"] {
            assert_eq!(excerpt(other, Some(StatusCode::OK)), None, "{other:?}");
        }
        assert!(excerpt(b"\xEF\xBB\xBF <!DOCTYPE html>", Some(StatusCode::OK)).is_some());
    }

    #[test]
    fn a_decoding_error_names_where_but_quotes_nothing() {
        let error =
            serde_json::from_str::<ApiError>(r#"{"code": 12345678, "error": "x"}"#).unwrap_err();
        assert!(
            error.to_string().contains("12345678"),
            "serde quotes: {error}"
        );
        let ours = UnreadableJson::from(&error).to_string();
        assert!(!ours.contains("12345678"), "{ours}");
        assert!(
            ours.starts_with("the body is JSON of another shape"),
            "{ours}"
        );
    }
}
