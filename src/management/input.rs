//! Checks made on arguments before a request is sent, each naming the field it rejects.

use crate::management::{ManagementError, PhoneNumber};

/// The longest id accepted. Passage's ids are 24 characters; the bound leaves room for longer
/// ones without letting a path grow without limit.
pub(crate) const MAX_ID_LEN: usize = 64;

/// An id (user, device) that is put in a URL path: 1 to [`MAX_ID_LEN`] ASCII letters, digits,
/// `-` or `_`, the characters Passage's ids are made of (24 letters and digits, e.g.
/// `2ubD84sL3kKHNd0dmYKAWmDn`).
///
/// An allow list rather than a deny list: percent-encoding a `/`, `%`, `;` or `..` is not enough,
/// since a proxy that decodes `%2F` before routing turns the device id `x%2F..%2F..` into another
/// path, and URL parsing resolves `.`, `..` and `\` itself.
pub(crate) fn id<'v>(field: &'static str, value: &'v str) -> Result<&'v str, ManagementError> {
    if value.is_empty() {
        return Err(ManagementError::invalid(field, "must not be empty"));
    }
    if let Some(bad) = value.chars().find(|&c| !is_id_char(c)) {
        return Err(ManagementError::invalid(
            field,
            format!(
                "holds {bad:?}: a Passage id has only ASCII letters, digits, '-' and '_' \
                 (e.g. 2ubD84sL3kKHNd0dmYKAWmDn)"
            ),
        ));
    }
    if value.len() > MAX_ID_LEN {
        return Err(ManagementError::invalid(
            field,
            format!(
                "is {} characters long: a Passage id has at most {MAX_ID_LEN}",
                value.len()
            ),
        ));
    }
    Ok(value)
}

/// A character of a Passage id.
pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// An email address of a simple shape: one `@`, something on each side, no white space. Passage
/// does the real checking; this only catches what cannot be an address.
pub(crate) fn email(field: &'static str, value: &str) -> Result<(), ManagementError> {
    if value.is_empty() {
        return Err(ManagementError::invalid(field, "must not be empty"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ManagementError::invalid(
            field,
            "an email address contains no white space or control characters",
        ));
    }
    let mut parts = value.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) if !local.is_empty() && !domain.is_empty() => Ok(()),
        _ => Err(ManagementError::invalid(
            field,
            "an email address has exactly one '@' with text on both sides, e.g. ada@example.com",
        )),
    }
}

/// An E.164 phone number.
pub(crate) fn phone(field: &'static str, value: &str) -> Result<PhoneNumber, ManagementError> {
    PhoneNumber::parse(value).map_err(|e| ManagementError::invalid(field, e.to_string()))
}

/// A user's metadata: any value that serializes to a JSON object.
pub(crate) fn metadata(
    value: impl serde::Serialize,
) -> Result<serde_json::Map<String, serde_json::Value>, ManagementError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(other) => Err(ManagementError::invalid(
            "user_metadata",
            format!("must be a JSON object, not {}", json_kind(&other)),
        )),
        Err(e) => Err(ManagementError::invalid(
            "user_metadata",
            format!("cannot be serialized: {e}"),
        )),
    }
}

/// Why `path` is not a path relative to the app's origin (a URL with a scheme or a host of its
/// own, or one a browser would read as such), or `None` when it is one. The one rule for
/// `magic_link_path`, applied by the facade before sending and by the emulator on receipt.
pub(crate) fn relative_path_problem(path: &str) -> Option<&'static str> {
    if path.trim().is_empty() {
        return Some("must not be empty (leave it unset for the app's default)");
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("must not contain white space or control characters");
    }
    // Browsers read `\` as `/`: `/\evil.example`, resolved against the origin, is another host.
    if path.starts_with("//") || path.contains('\\') {
        return Some(
            "must be a path relative to the app's origin, not a URL with a host \
             (no `//` at the start, no `\\`)",
        );
    }
    let scheme_end = path.find(':');
    let first_separator = path.find(['/', '?', '#']);
    if let Some(colon) = scheme_end
        && first_separator.is_none_or(|sep| colon < sep)
    {
        return Some("must be a path relative to the app's origin, like /verify, not a URL");
    }
    None
}

/// A path relative to the app's origin, see [`relative_path_problem`].
pub(crate) fn relative_path(field: &'static str, path: &str) -> Result<(), ManagementError> {
    match relative_path_problem(path) {
        Some(reason) => Err(ManagementError::invalid(field, reason)),
        None => Ok(()),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ManagementError) -> &'static str {
        match e {
            ManagementError::InvalidInput { field, .. } => field,
            other => panic!("not an input error: {other:?}"),
        }
    }

    #[test]
    fn empty_ids_are_rejected() {
        assert_eq!(field_of(id("user_id", "").unwrap_err()), "user_id");
    }

    #[test]
    fn ids_with_anything_but_letters_digits_dash_and_underscore_are_rejected() {
        for bad in [
            " ",
            "abc def",
            "abc\n",
            ".",
            "..",
            "..\\..\\u1",
            "a\\b",
            "a/b",
            "a%2Fb",
            "%2e%2e",
            "a;b",
            "a?b",
            "a#b",
            "a:b",
            "a@b",
            "a+b",
            "a.b",
            "caf\u{e9}",
            "\u{ff0f}",
            "a\u{0}b",
        ] {
            let error = id("device_id", bad).unwrap_err();
            let message = error.to_string();
            assert_eq!(field_of(error), "device_id", "{bad:?}");
            if !bad.is_empty() {
                assert!(message.contains("letters, digits"), "{message}");
            }
        }
    }

    #[test]
    fn ids_longer_than_the_bound_are_rejected() {
        let long = "a".repeat(MAX_ID_LEN + 1);
        let message = id("user_id", &long).unwrap_err().to_string();
        assert!(message.contains("at most 64"), "{message}");
        assert!(id("user_id", &long[1..]).is_ok());
    }

    #[test]
    fn passage_shaped_ids_pass() {
        for good in [
            "2ubD84sL3kKHNd0dmYKAWmDn",
            "u1",
            "dev_1",
            "no-such-device",
            "A",
        ] {
            assert_eq!(id("user_id", good).unwrap(), good);
        }
    }

    #[test]
    fn simple_email_shapes_pass() {
        for good in ["ada@example.com", "a+tag@b", "ADA@EXAMPLE.COM"] {
            assert!(email("email", good).is_ok(), "{good}");
        }
    }

    #[test]
    fn impossible_email_shapes_are_rejected() {
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a@b@c",
            "ada @example.com",
            "ada@example.com\n",
        ] {
            assert_eq!(
                field_of(email("email", bad).unwrap_err()),
                "email",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn metadata_must_be_an_object() {
        assert!(metadata(serde_json::json!({"plan": "pro"})).is_ok());
        let e = metadata(serde_json::json!([1, 2])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid user_metadata: must be a JSON object, not an array"
        );
    }
}
