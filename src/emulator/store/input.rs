//! The input rules Passage applies: lower-cased emails, E.164 phone numbers, and relative paths
//! for magic links.

use crate::PhoneNumber;
use crate::emulator::rejection::ApiError;

/// Trims and lower-cases an email address and checks its shape (`local@domain`, no spaces).
pub(crate) fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let invalid =
        || ApiError::invalid_request(format!("email {raw:?} is not a valid email address"));
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let well_formed = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(email)
    } else {
        Err(invalid())
    }
}

/// Trims a phone number and checks it is E.164 (`+`, then 2 to 15 digits, the first not 0), by
/// the spec's own pattern, as the client checks it: [`PhoneNumber::parse`].
pub(crate) fn normalize_phone(raw: &str) -> Result<String, ApiError> {
    PhoneNumber::parse(raw.trim())
        .map(String::from)
        .map_err(|_| {
            ApiError::invalid_request(format!(
                "phone {raw:?} is not an E.164 phone number (a '+', then 2 to 15 digits, the first not 0)"
            ))
        })
}

/// A user's email or phone as given in a request: absent, or empty, means none.
pub(crate) fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// Checks that a path a magic link opens is relative to the app's origin, by the crate's one
/// rule for it (the facade checks the same before sending).
pub(crate) fn check_relative_path(path: &str) -> Result<(), ApiError> {
    match crate::management::relative_path_problem(path) {
        Some(reason) => Err(ApiError::invalid_request(format!(
            "magic_link_path {path:?} {reason}"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_trimmed() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
    }

    #[test]
    fn emails_without_an_at_or_with_spaces_are_rejected() {
        for bad in [
            "ada",
            "@example.com",
            "ada@",
            "a b@example.com",
            "a@b@c",
            "a@.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn e164_phones_are_accepted() {
        assert_eq!(normalize_phone("+15551234567").unwrap(), "+15551234567");
        assert_eq!(normalize_phone("+12").unwrap(), "+12");
    }

    #[test]
    fn non_e164_phones_are_rejected() {
        for bad in [
            "15551234567",
            "+0551234567",
            "+1",
            "+1234567890123456",
            "+1 555",
            "+1-555",
        ] {
            assert!(normalize_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn magic_link_paths_must_be_relative() {
        assert!(check_relative_path("/welcome").is_ok());
        assert!(check_relative_path("welcome?next=a:b").is_ok());
        for bad in [
            "https://evil.example/x",
            "//evil.example",
            "javascript:alert(1)",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad}");
        }
    }
}
