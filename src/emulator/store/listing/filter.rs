//! Listing filters: `identifier`, `id`, `status`, `login_count`, `created_at`, `updated_at` and
//! `last_login_at`, each value optionally prefixed by an operator, exactly as the list
//! endpoint's documentation gives them:
//! - `identifier`, `id` and `status` take `ne:`, `gt:`, `lt:`, `like:` and `not_like:`; `status`
//!   compares with one of `active`, `inactive`, `pending`;
//! - `login_count` takes `ne:`, `gt:` and `lt:` before a whole number (the spec types the
//!   parameter as an integer, yet documents the prefixes: the documented behaviour wins);
//! - the timestamps take `ne:`, `gt:` and `lt:` before a time in the one documented form,
//!   `2006-01-02T15:04:05.000000Z` (six fractional digits, `Z`).
//!
//! Anything else is 400 `invalid_request`.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::emulator::rejection::ApiError;
use crate::emulator::store::UserRecord;
// The facade's operators: one list of prefixes for what the client sends and what this reads.
use crate::users::Op;

/// The one timestamp form the documentation accepts in filters, as Go writes its layout.
pub(crate) const TIMESTAMP_FORM: &str = "2006-01-02T15:04:05.000000Z";

/// Parses a filter timestamp in exactly the form [`TIMESTAMP_FORM`]: no other precision, no
/// offset but `Z`, no spaces, no leap second.
pub(crate) fn parse_timestamp(value: &str) -> Option<DateTime<Utc>> {
    let bytes = value.as_bytes();
    let shaped = bytes.len() == TIMESTAMP_FORM.len()
        && bytes
            .iter()
            .zip(TIMESTAMP_FORM.as_bytes())
            .all(|(c, form)| match form {
                b'0'..=b'9' => c.is_ascii_digit(),
                _ => c == form,
            });
    if !shaped || &value[17..19] >= "60" {
        return None;
    }
    NaiveDateTime::parse_from_str(&value[..26], "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// How an operator compares a value with the filter's operand. Patterns apply to text only;
/// see `Filter::parse`.
fn compare<T: Ord + ?Sized>(op: Op, value: &T, operand: &T) -> bool {
    match op {
        Op::Eq => value == operand,
        Op::Ne => value != operand,
        Op::Gt => value > operand,
        Op::Lt => value < operand,
        Op::Like | Op::NotLike => false,
    }
}

/// How an operator compares a text value, patterns included.
fn text(op: Op, value: &str, operand: &str) -> bool {
    match op {
        Op::Like => like(value, operand),
        Op::NotLike => !like(value, operand),
        _ => compare(op, value, operand),
    }
}

/// One filter of a listing.
#[derive(Debug)]
pub(crate) enum Filter {
    Identifier(Op, String),
    Id(Op, String),
    Status(Op, String),
    LoginCount(Op, i64),
    CreatedAt(Op, DateTime<Utc>),
    UpdatedAt(Op, DateTime<Utc>),
    LastLoginAt(Op, DateTime<Utc>),
}

impl Filter {
    /// The filter `name=value`, or `None` when `name` is not a filter.
    pub(crate) fn parse(name: &str, value: &str) -> Result<Option<Self>, ApiError> {
        let (op, operand) = Op::split(value);
        let no_pattern = |what: &str| {
            if op.is_pattern() {
                Err(ApiError::invalid_request(format!(
                    "{name}: like: and not_like: apply to identifier, id and status, not to {what}"
                )))
            } else {
                Ok(())
            }
        };
        let time = |operand: &str| {
            no_pattern("timestamps")?;
            parse_timestamp(operand).ok_or_else(|| {
                ApiError::invalid_request(format!(
                    "{name}: {operand:?} is not a timestamp in the form {TIMESTAMP_FORM} \
                     (UTC, six fractional digits)"
                ))
            })
        };
        Ok(Some(match name {
            "identifier" => Self::Identifier(op, operand.to_lowercase()),
            "id" => Self::Id(op, operand.to_owned()),
            "status" => {
                if !op.is_pattern() && !["active", "inactive", "pending"].contains(&operand) {
                    return Err(ApiError::invalid_request(format!(
                        "status: {operand:?} is not one of active, inactive, pending"
                    )));
                }
                Self::Status(op, operand.to_owned())
            }
            "login_count" => {
                no_pattern("numbers")?;
                let count = operand.parse().map_err(|_| {
                    ApiError::invalid_request(format!(
                        "login_count: {operand:?} is not a whole number"
                    ))
                })?;
                Self::LoginCount(op, count)
            }
            "created_at" => Self::CreatedAt(op, time(operand)?),
            "updated_at" => Self::UpdatedAt(op, time(operand)?),
            "last_login_at" => Self::LastLoginAt(op, time(operand)?),
            _ => return Ok(None),
        }))
    }

    /// Whether `user` passes the filter.
    pub(crate) fn matches(&self, user: &UserRecord) -> bool {
        match self {
            Self::Identifier(op, operand) => {
                let identifiers = [user.email.as_str(), user.phone.as_str()];
                let mut present = identifiers.into_iter().filter(|i| !i.is_empty());
                match op {
                    // "Not equal" and "not like" hold when no identifier is equal or alike.
                    Op::Ne => present.all(|i| i != operand),
                    Op::NotLike => present.all(|i| !like(i, operand)),
                    _ => present.any(|i| text(*op, i, operand)),
                }
            }
            Self::Id(op, operand) => text(*op, &user.id, operand),
            Self::Status(op, operand) => text(*op, user.status.as_str(), operand),
            Self::LoginCount(op, operand) => compare(*op, &user.login_count, operand),
            Self::CreatedAt(op, operand) => compare(*op, &user.created_at, operand),
            Self::UpdatedAt(op, operand) => compare(*op, &user.updated_at, operand),
            Self::LastLoginAt(op, operand) => compare(*op, &user.last_login_or_zero(), operand),
        }
    }
}

/// SQL `LIKE`, case-insensitive: `%` stands for any run of characters; a pattern without `%`
/// matches anywhere in the text.
fn like(text: &str, pattern: &str) -> bool {
    let text = text.to_lowercase();
    let pattern = pattern.to_lowercase();
    if !pattern.contains('%') {
        return text.contains(&pattern);
    }
    let parts: Vec<&str> = pattern.split('%').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return true,
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_without_wildcards_is_a_substring_match() {
        assert!(like("ada@example.com", "EXAMPLE"));
        assert!(!like("ada@example.com", "nope"));
    }

    #[test]
    fn like_with_wildcards_anchors_the_ends() {
        assert!(like("ada@example.com", "ada%"));
        assert!(!like("ada@example.com", "da%"));
        assert!(like("ada@example.com", "%.com"));
        assert!(like("ada@example.com", "a%@%com"));
        assert!(!like("ada@example.com", "%.org"));
        assert!(like("aa", "a%a"));
        assert!(!like("a", "a%a"));
    }

    #[test]
    fn timestamps_are_read_only_in_the_documented_form() {
        let t = parse_timestamp("2024-01-02T15:04:05.123456Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T15:04:05.123456+00:00");
        for bad in [
            "2024-01-02T15:04:05Z",
            "2024-01-02T15:04:05.123Z",
            "2024-01-02T15:04:05.123456789Z",
            "2024-01-02T15:04:05.123456+00:00",
            "2024-01-02T15:04:05.123456z",
            "2024-01-02 15:04:05.123456Z",
            " 2024-01-02T15:04:05.123456Z",
            "2024-13-02T15:04:05.123456Z",
            "2024-02-30T15:04:05.123456Z",
            "2024-01-02T24:04:05.123456Z",
            "2024-01-02T15:04:60.000000Z",
            "2024-01-02T15:04:05.12345aZ",
            "1704207845",
            "",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn operators_are_split_from_values_but_timestamps_keep_their_colons() {
        assert_eq!(Op::split("gt:3"), (Op::Gt, "3"));
        assert_eq!(Op::split("not_like:x"), (Op::NotLike, "x"));
        assert_eq!(
            Op::split("2024-01-02T15:04:05Z"),
            (Op::Eq, "2024-01-02T15:04:05Z")
        );
    }
}
