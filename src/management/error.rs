//! [`ManagementError`]: everything that can go wrong with a Management API call (users, magic
//! links, app info), from a bad argument caught locally to an error answered by Passage.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

pub(crate) type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A failed user-management, magic-link or app-info call.
///
/// Match on the variant to learn *where* it failed (locally, at Passage, on the way), or ask the
/// error: [`status`](Self::status), [`code`](Self::code), [`is_not_found`](Self::is_not_found),
/// [`is_retryable`](Self::is_retryable), [`request_id`](Self::request_id),
/// [`retry_after`](Self::retry_after). Neither the API key nor any token ever appears in it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = passage_identity::emulator::Emulator::start().await?;
/// # let passage = emulator.passage();
/// use passage_identity::ManagementError;
///
/// match passage.user().get("2ubD84sL3kKHNd0dmYKAWmDn").await {
///     Ok(user) => println!("{}", user.email),
///     Err(e) if e.is_not_found() => println!("no such user ({})", e.request_id().unwrap_or("-")),
///     Err(ManagementError::Api { status, code, .. }) => println!("Passage said {status}: {code}"),
///     Err(e) if e.is_retryable() => println!("try again later: {e}"),
///     Err(e) => println!("{e}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ManagementError {
    /// The [`Passage`](crate::Passage) value was built without an API key, which management
    /// calls need. Nothing was sent.
    MissingApiKey,

    /// An argument was rejected before anything was sent.
    #[non_exhaustive]
    InvalidInput {
        /// The argument, named as in the API (`user_id`, `email`, `phone`, `ttl`, ...).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// Passage answered with an error in its usual form, `{"code": ..., "error": ...}`.
    #[non_exhaustive]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// Passage's machine-readable code, e.g. `user_not_found`. An open set: new codes
        /// appear; treat an unknown one by its status.
        code: String,
        /// Passage's human-readable message.
        message: String,
        /// The operation, e.g. `get_user`.
        operation: &'static str,
        /// The `x-request-id` this client sent, to quote when asking for support.
        request_id: Option<String>,
        /// How long Passage asked to wait before trying again (`Retry-After`).
        retry_after: Option<Duration>,
    },

    /// No complete response arrived within the timeout of an attempt
    /// ([`PassageBuilder::timeout`](crate::PassageBuilder::timeout)) or before the call's
    /// deadline ([`PassageBuilder::call_timeout`](crate::PassageBuilder::call_timeout));
    /// idempotent calls were tried again first ([`RetryPolicy`](crate::RetryPolicy)).
    #[non_exhaustive]
    Timeout {
        /// The operation, e.g. `get_user`.
        operation: &'static str,
        /// The `x-request-id` this client sent.
        request_id: Option<String>,
        /// How many times the request was sent.
        attempts: u32,
        /// The HTTP client's error.
        source: BoxError,
    },

    /// The request could not be sent or its response not received: no connection, a connection
    /// closed early (before the answer, or in the middle of its body), a TLS failure. Retried
    /// for idempotent calls before it is returned.
    #[non_exhaustive]
    Connection {
        /// The operation, e.g. `get_user`.
        operation: &'static str,
        /// The `x-request-id` this client sent.
        request_id: Option<String>,
        /// How many times the request was sent.
        attempts: u32,
        /// The HTTP client's error.
        source: BoxError,
    },

    /// A response arrived that this client cannot read: a body that is not the expected JSON
    /// (an HTML page from a proxy, a truncated body), or a status the API does not document.
    #[non_exhaustive]
    InvalidResponse {
        /// The HTTP status, when known.
        status: Option<StatusCode>,
        /// What was wrong with it.
        detail: String,
        /// The operation, e.g. `get_user`.
        operation: &'static str,
        /// The `x-request-id` this client sent.
        request_id: Option<String>,
        /// How long the server asked to wait before trying again (`Retry-After`).
        retry_after: Option<Duration>,
        /// The first bytes of the body (lossily decoded), for diagnosis; never the JSON of a
        /// successful answer, which may hold a magic link's secret.
        body_excerpt: Option<String>,
        /// The decoding error, if any.
        source: Option<BoxError>,
    },

    /// The low-level client could not build the request. This points at a bug in this crate
    /// rather than at the arguments, which are checked first.
    #[non_exhaustive]
    Request {
        /// The operation, e.g. `get_user`.
        operation: &'static str,
        /// What went wrong.
        reason: String,
    },
}

impl ManagementError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// A not-found error in Passage's own words, for lookups the facade resolves itself.
    pub(crate) fn not_found(code: &str, message: &str, operation: &'static str) -> Self {
        Self::Api {
            status: StatusCode::NOT_FOUND,
            code: code.to_owned(),
            message: message.to_owned(),
            operation,
            request_id: None,
            retry_after: None,
        }
    }

    /// An answer that decoded but cannot be right for the request, found by the facade.
    pub(crate) fn unexpected_answer(operation: &'static str, detail: String) -> Self {
        Self::InvalidResponse {
            status: None,
            detail,
            operation,
            request_id: None,
            retry_after: None,
            body_excerpt: None,
            source: None,
        }
    }

    /// The HTTP status of the response, if one arrived.
    ///
    /// ```
    /// # use passage_identity::ManagementError;
    /// # fn check(e: &ManagementError) {
    /// if e.status() == Some(http::StatusCode::FORBIDDEN) {
    ///     // ...
    /// }
    /// # }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::InvalidResponse { status, .. } => *status,
            _ => None,
        }
    }

    /// Passage's error code (`user_not_found`, `invalid_access_token`, ...), when Passage
    /// answered with one.
    ///
    /// ```
    /// # fn check(e: &passage_identity::ManagementError) {
    /// if e.code() == Some("identifier_already_exists") {
    ///     // ...
    /// }
    /// # }
    /// ```
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Passage's error message, when Passage answered with one.
    ///
    /// ```
    /// # fn check(e: &passage_identity::ManagementError) {
    /// if let Some(message) = e.message() {
    ///     eprintln!("Passage says: {message}");
    /// }
    /// # }
    /// ```
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Api { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the user, device or app does not exist (HTTP 404).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// let user = match passage.user().get_by_identifier("ada@example.com").await {
    ///     Ok(user) => Some(user),
    ///     Err(e) if e.is_not_found() => None,
    ///     Err(e) => return Err(e.into()),
    /// };
    /// assert!(user.is_none());
    /// # Ok(()) }
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the same call may succeed later: timeouts, connection failures, and the statuses
    /// 408, 429, 502, 503 and 504. Idempotent calls were already retried
    /// ([`RetryPolicy`](crate::RetryPolicy)) before this error was returned. A create that
    /// timed out or lost its connection may still have been done: look the user up (or expect
    /// a second magic link to be sent) before trying it again.
    ///
    /// ```
    /// # fn check(e: &passage_identity::ManagementError) {
    /// if e.is_retryable() {
    ///     // queue the work for later
    /// }
    /// # }
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Connection { .. } => true,
            _ => self.status().is_some_and(super::retry::is_retryable_status),
        }
    }

    /// Whether the call timed out.
    ///
    /// ```
    /// # fn check(e: &passage_identity::ManagementError) {
    /// if e.is_timeout() {
    ///     // maybe raise PassageBuilder::timeout
    /// }
    /// # }
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The `x-request-id` this client sent with the failed call, to quote when asking for
    /// support or to find the call in traces. `None` when nothing was sent.
    ///
    /// ```
    /// # fn check(e: &passage_identity::ManagementError) {
    /// tracing::warn!(request_id = e.request_id(), "Passage call failed: {e}");
    /// # }
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. }
            | Self::Timeout { request_id, .. }
            | Self::Connection { request_id, .. }
            | Self::InvalidResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// How long the server asked to wait before trying again (`Retry-After`), if it said.
    ///
    /// ```
    /// # fn check(e: &passage_identity::ManagementError) {
    /// let wait = e.retry_after().unwrap_or(std::time::Duration::from_secs(1));
    /// # let _ = wait; }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } | Self::InvalidResponse { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// The start of a response body this client could not read (for example the HTML page of a
    /// proxy), for diagnosis. Never the JSON of a successful answer, which may hold a magic
    /// link's secret.
    ///
    /// ```
    /// # fn check(e: &passage_identity::ManagementError) {
    /// if let Some(body) = e.body_excerpt() {
    ///     eprintln!("the server sent: {body}");
    /// }
    /// # }
    /// ```
    pub fn body_excerpt(&self) -> Option<&str> {
        match self {
            Self::InvalidResponse { body_excerpt, .. } => body_excerpt.as_deref(),
            _ => None,
        }
    }
}

/// ` (request id …)` or nothing.
struct RequestIdSuffix<'a>(&'a Option<String>);

impl fmt::Display for RequestIdSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (request id {id})"),
            None => Ok(()),
        }
    }
}

/// ` after N attempts` when there was more than one.
struct AttemptsSuffix(u32);

impl fmt::Display for AttemptsSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 | 1 => Ok(()),
            n => write!(f, " after {n} attempts"),
        }
    }
}

impl fmt::Display for ManagementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingApiKey => f.write_str(
                "no API key is configured: user management, magic links and app info need the \
                 app's API key (PassageBuilder::api_key)",
            ),
            Self::InvalidInput { field, reason } => write!(f, "invalid {field}: {reason}"),
            Self::Api {
                status,
                code,
                message,
                operation,
                request_id,
                ..
            } => write!(
                f,
                "Passage answered {status} to {operation}: {code}: {message}{}",
                RequestIdSuffix(request_id)
            ),
            Self::Timeout {
                operation,
                request_id,
                attempts,
                ..
            } => write!(
                f,
                "{operation} timed out waiting for Passage{}{}",
                AttemptsSuffix(*attempts),
                RequestIdSuffix(request_id)
            ),
            Self::Connection {
                operation,
                request_id,
                attempts,
                ..
            } => write!(
                f,
                "{operation} could not reach Passage or lost the connection{}{}",
                AttemptsSuffix(*attempts),
                RequestIdSuffix(request_id)
            ),
            Self::InvalidResponse {
                status,
                detail,
                operation,
                request_id,
                ..
            } => {
                match status {
                    Some(status) => write!(f, "Passage answered {status} to {operation} with ")?,
                    None => write!(f, "Passage answered {operation} with ")?,
                }
                write!(f, "{detail}{}", RequestIdSuffix(request_id))
            }
            Self::Request { operation, reason } => {
                write!(f, "the {operation} request could not be built: {reason}")
            }
        }
    }
}

impl StdError for ManagementError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Timeout { source, .. } | Self::Connection { source, .. } => Some(&**source),
            Self::InvalidResponse {
                source: Some(source),
                ..
            } => Some(&**source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ManagementError {
        ManagementError::Api {
            status: StatusCode::from_u16(status).unwrap(),
            code: "some_code".into(),
            message: "Something".into(),
            operation: "get_user",
            request_id: Some("req-1".into()),
            retry_after: Some(Duration::from_secs(2)),
        }
    }

    #[test]
    fn api_error_answers_questions_about_itself() {
        let e = api(404);
        assert!(e.is_not_found());
        assert!(!e.is_retryable());
        assert_eq!(e.code(), Some("some_code"));
        assert_eq!(e.message(), Some("Something"));
        assert_eq!(e.request_id(), Some("req-1"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn throttling_and_gateway_statuses_are_retryable() {
        for status in [408, 429, 502, 503, 504] {
            assert!(api(status).is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 500] {
            assert!(!api(status).is_retryable(), "{status}");
        }
    }

    #[test]
    fn api_error_message_names_status_operation_code_and_request_id() {
        assert_eq!(
            api(404).to_string(),
            "Passage answered 404 Not Found to get_user: some_code: Something (request id req-1)"
        );
    }

    #[test]
    fn invalid_input_names_the_field() {
        let e = ManagementError::invalid("phone", "not E.164");
        assert_eq!(e.to_string(), "invalid phone: not E.164");
        assert_eq!(e.status(), None);
        assert!(!e.is_retryable());
    }

    #[test]
    fn invalid_response_keeps_its_status_for_retry_decisions() {
        let e = ManagementError::InvalidResponse {
            status: Some(StatusCode::BAD_GATEWAY),
            detail: "a body that is not a Passage error (text/html)".into(),
            operation: "get_app",
            request_id: None,
            retry_after: None,
            body_excerpt: Some("<html>".into()),
            source: None,
        };
        assert!(e.is_retryable());
        assert_eq!(e.code(), None);
        assert_eq!(e.body_excerpt(), Some("<html>"));
        assert_eq!(
            e.to_string(),
            "Passage answered 502 Bad Gateway to get_app with a body that is not a Passage error (text/html)"
        );
    }

    #[test]
    fn missing_api_key_says_how_to_fix_it() {
        assert!(
            ManagementError::MissingApiKey
                .to_string()
                .contains("PassageBuilder::api_key")
        );
    }
}
