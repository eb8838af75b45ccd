//! Listing users: `page`, `limit`, the `created_before` anchor, `order_by`, filters with operator
//! prefixes, and the `_links` of the answer.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::api_error::ApiError;
use super::state::{Store, UserRecord};
use crate::raw::types;

/// Users per page when the request does not say.
pub(crate) const DEFAULT_LIMIT: i64 = 20;
/// The largest page.
pub(crate) const MAX_LIMIT: i64 = 500;

const FILTERS: &[&str] = &[
    "identifier",
    "id",
    "status",
    "login_count",
    "created_at",
    "updated_at",
    "last_login_at",
];

/// A parsed list request.
#[derive(Debug)]
pub(crate) struct ListQuery {
    page: i64,
    limit: i64,
    created_before: Option<i64>,
    order: Vec<(SortField, Direction)>,
    order_by: Option<String>,
    filters: Vec<Filter>,
    /// The filters as sent, for the `_links`.
    raw_filters: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortField {
    CreatedAt,
    UpdatedAt,
    Id,
    Email,
    Phone,
    LoginCount,
    LastLoginAt,
    Status,
}

impl SortField {
    const NAMES: &'static str =
        "created_at, updated_at, id, email, phone, login_count, last_login_at, status";

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "created_at" => Self::CreatedAt,
            "updated_at" => Self::UpdatedAt,
            "id" => Self::Id,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "login_count" => Self::LoginCount,
            "last_login_at" => Self::LastLoginAt,
            "status" => Self::Status,
            _ => return None,
        })
    }

    fn compare(self, a: &UserRecord, b: &UserRecord) -> Ordering {
        match self {
            Self::CreatedAt => a.created_at.cmp(&b.created_at),
            Self::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            Self::Id => a.id.cmp(&b.id),
            Self::Email => a.email.cmp(&b.email),
            Self::Phone => a.phone.cmp(&b.phone),
            Self::LoginCount => a.login_count.cmp(&b.login_count),
            Self::LastLoginAt => a.last_login_or_zero().cmp(&b.last_login_or_zero()),
            Self::Status => a.status.as_str().cmp(b.status.as_str()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Asc,
    Desc,
}

/// A filter operator, from the value's prefix (`ne:`, `gt:`, `lt:`, `like:`, `not_like:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Like,
    NotLike,
}

impl Op {
    /// Splits `value` into its operator and operand. A prefix that is not an operator is part of
    /// the operand (timestamps hold colons).
    fn split(value: &str) -> (Self, &str) {
        for (prefix, op) in [
            ("ne:", Self::Ne),
            ("gt:", Self::Gt),
            ("lt:", Self::Lt),
            ("like:", Self::Like),
            ("not_like:", Self::NotLike),
        ] {
            if let Some(rest) = value.strip_prefix(prefix) {
                return (op, rest);
            }
        }
        (Self::Eq, value)
    }

    fn is_pattern(self) -> bool {
        matches!(self, Self::Like | Self::NotLike)
    }

    fn compare<T: Ord + ?Sized>(self, value: &T, operand: &T) -> bool {
        match self {
            Self::Eq => value == operand,
            Self::Ne => value != operand,
            Self::Gt => value > operand,
            Self::Lt => value < operand,
            // Only text filters use patterns; see `Filter::parse`.
            Self::Like | Self::NotLike => false,
        }
    }

    fn text(self, value: &str, operand: &str) -> bool {
        match self {
            Self::Like => like(value, operand),
            Self::NotLike => !like(value, operand),
            _ => self.compare(value, operand),
        }
    }
}

#[derive(Debug)]
enum Filter {
    Identifier(Op, String),
    Id(Op, String),
    Status(Op, String),
    LoginCount(Op, i64),
    CreatedAt(Op, DateTime<Utc>),
    UpdatedAt(Op, DateTime<Utc>),
    LastLoginAt(Op, DateTime<Utc>),
}

impl Filter {
    fn parse(name: &str, value: &str) -> Result<Self, ApiError> {
        let (op, operand) = Op::split(value);
        let no_pattern = |what: &str| {
            if op.is_pattern() {
                Err(ApiError::invalid_request(format!(
                    "{name}: like: and not_like: apply to text filters, not to {what}"
                )))
            } else {
                Ok(())
            }
        };
        let time = |operand: &str| {
            DateTime::parse_from_rfc3339(operand.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::invalid_request(format!(
                        "{name}: {operand:?} is not an RFC 3339 timestamp \
                         (e.g. 2024-01-02T15:04:05.000000Z)"
                    ))
                })
        };
        Ok(match name {
            "identifier" => Self::Identifier(op, operand.trim().to_lowercase()),
            "id" => Self::Id(op, operand.to_owned()),
            "status" => {
                let status = operand.trim().to_lowercase();
                if !op.is_pattern() && !["active", "inactive", "pending"].contains(&status.as_str())
                {
                    return Err(ApiError::invalid_request(format!(
                        "status: {operand:?} is not one of active, inactive, pending"
                    )));
                }
                Self::Status(op, status)
            }
            "login_count" => {
                no_pattern("numbers")?;
                let count = operand.trim().parse().map_err(|_| {
                    ApiError::invalid_request(format!(
                        "login_count: {operand:?} is not a whole number"
                    ))
                })?;
                Self::LoginCount(op, count)
            }
            "created_at" => {
                no_pattern("timestamps")?;
                Self::CreatedAt(op, time(operand)?)
            }
            "updated_at" => {
                no_pattern("timestamps")?;
                Self::UpdatedAt(op, time(operand)?)
            }
            "last_login_at" => {
                no_pattern("timestamps")?;
                Self::LastLoginAt(op, time(operand)?)
            }
            _ => return Err(ApiError::invalid_request(format!("unknown filter {name}"))),
        })
    }

    fn matches(&self, user: &UserRecord) -> bool {
        match self {
            Self::Identifier(op, operand) => {
                let identifiers = [user.email.as_str(), user.phone.as_str()];
                let mut present = identifiers.into_iter().filter(|i| !i.is_empty());
                match op {
                    // "Not equal" and "not like" hold when no identifier is equal or alike.
                    Op::Ne => present.all(|i| i != operand),
                    Op::NotLike => present.all(|i| !like(i, operand)),
                    _ => present.any(|i| op.text(i, operand)),
                }
            }
            Self::Id(op, operand) => op.text(&user.id, operand),
            Self::Status(op, operand) => op.text(user.status.as_str(), operand),
            Self::LoginCount(op, operand) => op.compare(&user.login_count, operand),
            Self::CreatedAt(op, operand) => op.compare(&user.created_at, operand),
            Self::UpdatedAt(op, operand) => op.compare(&user.updated_at, operand),
            Self::LastLoginAt(op, operand) => op.compare(&user.last_login_or_zero(), operand),
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

impl ListQuery {
    /// Parses the query string of a list request.
    pub(crate) fn parse(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut query = Self {
            page: 1,
            limit: DEFAULT_LIMIT,
            created_before: None,
            order: Vec::new(),
            order_by: None,
            filters: Vec::new(),
            raw_filters: Vec::new(),
        };
        for (name, value) in pairs {
            match name.as_str() {
                "page" => {
                    query.page =
                        value
                            .trim()
                            .parse()
                            .ok()
                            .filter(|p| *p >= 1)
                            .ok_or_else(|| {
                                ApiError::invalid_request(format!(
                                    "page: {value:?} is not a whole number of at least 1"
                                ))
                            })?;
                }
                "limit" => {
                    query.limit = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|l| (1..=MAX_LIMIT).contains(l))
                        .ok_or_else(|| {
                            ApiError::invalid_request(format!(
                                "limit: {value:?} is not a whole number from 1 to {MAX_LIMIT}"
                            ))
                        })?;
                }
                "created_before" => {
                    query.created_before = Some(value.trim().parse().map_err(|_| {
                        ApiError::invalid_request(format!(
                            "created_before: {value:?} is not a Unix time in seconds"
                        ))
                    })?);
                }
                "order_by" => {
                    query.order = parse_order_by(value)?;
                    query.order_by = Some(value.clone()).filter(|v| !v.trim().is_empty());
                }
                filter if FILTERS.contains(&filter) => {
                    query.filters.push(Filter::parse(filter, value)?);
                    query.raw_filters.push((name.clone(), value.clone()));
                }
                // Like the service, parameters it does not know are ignored.
                _ => {}
            }
        }
        if query.order.is_empty() {
            query.order.push((SortField::CreatedAt, Direction::Desc));
        }
        if !query.order.iter().any(|(field, _)| *field == SortField::Id) {
            // Ids are unique: with them last, the order is total and pages are stable.
            query.order.push((SortField::Id, Direction::Asc));
        }
        Ok(query)
    }

    /// Answers the listing. `users_path` is the path of the list endpoint, for the `_links`.
    pub(crate) fn run(
        &self,
        store: &mut Store,
        now: DateTime<Utc>,
        users_path: &str,
    ) -> types::ListUsersResponse {
        let (anchor, watermark) = match self.created_before {
            Some(anchor) => (anchor, store.anchor_watermark(anchor)),
            None => {
                let anchor = store.issue_anchor(now);
                (anchor, store.anchor_watermark(anchor))
            }
        };
        let mut users: Vec<&UserRecord> = store
            .users()
            .filter(|u| u.created_at.timestamp() < anchor)
            .filter(|u| watermark.is_none_or(|w| u.seq < w))
            .filter(|u| self.filters.iter().all(|f| f.matches(u)))
            .collect();
        users.sort_by(|a, b| {
            self.order
                .iter()
                .map(|(field, direction)| match direction {
                    Direction::Asc => field.compare(a, b),
                    Direction::Desc => field.compare(b, a),
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        let total = users.len() as i64;
        let offset =
            usize::try_from((self.page - 1).saturating_mul(self.limit)).unwrap_or(usize::MAX);
        let page: Vec<types::UserSummary> = users
            .iter()
            .skip(offset)
            .take(self.limit as usize)
            .map(|u| u.to_summary())
            .collect();
        let last_page = ((total + self.limit - 1) / self.limit).max(1);
        let link = |page: i64| types::Link {
            href: self.href(users_path, page, anchor),
        };
        let none = || types::Link {
            href: String::new(),
        };
        types::ListUsersResponse {
            created_before: anchor,
            limit: self.limit,
            links: types::PaginationLinks {
                first: link(1),
                last: link(last_page),
                next: if self.page < last_page {
                    link(self.page + 1)
                } else {
                    none()
                },
                previous: if self.page > 1 {
                    link((self.page - 1).min(last_page))
                } else {
                    none()
                },
                self_: link(self.page),
            },
            page: self.page,
            total_users: total,
            users: page,
        }
    }

    fn href(&self, path: &str, page: i64, anchor: i64) -> String {
        let mut href = format!(
            "{path}?page={page}&limit={}&created_before={anchor}",
            self.limit
        );
        if let Some(order_by) = &self.order_by {
            href.push_str("&order_by=");
            href.push_str(&percent_encode(order_by));
        }
        for (name, value) in &self.raw_filters {
            href.push('&');
            href.push_str(name);
            href.push('=');
            href.push_str(&percent_encode(value));
        }
        href
    }
}

fn parse_order_by(value: &str) -> Result<Vec<(SortField, Direction)>, ApiError> {
    let mut order: Vec<(SortField, Direction)> = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, direction) = item.split_once(':').ok_or_else(|| {
            ApiError::invalid_request(format!("order_by: {item:?} is not field:ASC or field:DESC"))
        })?;
        let field = SortField::parse(name.trim()).ok_or_else(|| {
            ApiError::invalid_request(format!(
                "order_by: cannot order by {name:?}; fields: {}",
                SortField::NAMES
            ))
        })?;
        let direction = match direction.trim().to_ascii_uppercase().as_str() {
            "ASC" => Direction::Asc,
            "DESC" => Direction::Desc,
            _ => {
                return Err(ApiError::invalid_request(format!(
                    "order_by: direction {direction:?} is not ASC or DESC"
                )))
            }
        };
        if !order.iter().any(|(f, _)| *f == field) {
            order.push((field, direction));
        }
    }
    Ok(order)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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
    fn operators_are_split_from_values_but_timestamps_keep_their_colons() {
        assert_eq!(Op::split("gt:3"), (Op::Gt, "3"));
        assert_eq!(Op::split("not_like:x"), (Op::NotLike, "x"));
        assert_eq!(
            Op::split("2024-01-02T15:04:05Z"),
            (Op::Eq, "2024-01-02T15:04:05Z")
        );
    }

    #[test]
    fn order_by_rejects_unknown_fields_and_directions() {
        assert!(parse_order_by("identifier:ASC").is_err());
        assert!(parse_order_by("email:UP").is_err());
        assert!(parse_order_by("email").is_err());
        assert_eq!(
            parse_order_by("email:asc, login_count:DESC").unwrap(),
            vec![
                (SortField::Email, Direction::Asc),
                (SortField::LoginCount, Direction::Desc)
            ]
        );
    }

    #[test]
    fn percent_encoding_keeps_unreserved_characters() {
        assert_eq!(percent_encode("like:a%b+c"), "like%3Aa%25b%2Bc");
    }
}
