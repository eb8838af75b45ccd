//! Listing users: `page`, `limit`, the `created_before` anchor, `order_by`, filters with operator
//! prefixes, and the `_links` of the answer.

mod filter;
mod order;

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use filter::Filter;
use order::{Direction, SortField, parse_order_by};

use super::{Store, UserRecord};
use crate::emulator::rejection::ApiError;
use crate::raw::types;

/// Users per page when the request does not say.
pub(crate) const DEFAULT_LIMIT: i64 = 20;
/// The largest page.
pub(crate) const MAX_LIMIT: i64 = 500;

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

impl ListQuery {
    /// Parses the query string of a list request, by the documented rules: `page` from 1,
    /// `limit` from 1 to 500, `created_before` in Unix seconds, all whole numbers; `order_by` and
    /// the filters as [`parse_order_by`] and [`Filter::parse`] read them. A parameter sent empty
    /// counts as not sent, as the service (written in Go) reads its query.
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
        let whole = |name: &str, value: &str, range: std::ops::RangeInclusive<i64>, what: &str| {
            value
                .parse::<i64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_request(format!("{name}: {value:?} is not {what}"))
                })
        };
        for (name, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
            match name.as_str() {
                "page" => {
                    query.page = whole(name, value, 1..=i64::MAX, "a whole number of at least 1")?;
                }
                "limit" => {
                    query.limit = whole(
                        name,
                        value,
                        1..=MAX_LIMIT,
                        &format!("a whole number from 1 to {MAX_LIMIT}"),
                    )?;
                }
                "created_before" => {
                    query.created_before = Some(whole(
                        name,
                        value,
                        i64::MIN..=i64::MAX,
                        "a Unix time in whole seconds",
                    )?);
                }
                "order_by" => {
                    query.order = parse_order_by(value)?;
                    query.order_by = Some(value.clone());
                }
                // Like the service, parameters it does not know are ignored.
                _ => {
                    if let Some(filter) = Filter::parse(name, value)? {
                        query.filters.push(filter);
                        query.raw_filters.push((name.clone(), value.clone()));
                    }
                }
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
    fn percent_encoding_keeps_unreserved_characters() {
        assert_eq!(percent_encode("like:a%b+c"), "like%3Aa%25b%2Bc");
    }
}
