//! Conditions and sort orders for listing users: [`Filter`], [`Op`], [`SortField`],
//! [`SortOrder`].
//!
//! The list endpoint takes each filter as `field=<op>:<value>` (`login_count=gt:3`); these types
//! write that for you.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::management::enums::UserStatus;

/// A comparison operator of the list endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// Equal (no prefix on the wire).
    Eq,
    /// Not equal (`ne:`).
    Ne,
    /// Greater than (`gt:`).
    Gt,
    /// Less than (`lt:`).
    Lt,
    /// Matches a pattern (`like:`).
    Like,
    /// Does not match a pattern (`not_like:`).
    NotLike,
}

impl Op {
    /// The prefix written before the value: `""`, `"ne:"`, `"gt:"`, `"lt:"`, `"like:"` or
    /// `"not_like:"`.
    ///
    /// ```
    /// assert_eq!(passage_identity::users::Op::NotLike.prefix(), "not_like:");
    /// ```
    pub fn prefix(self) -> &'static str {
        match self {
            Op::Eq => "",
            Op::Ne => "ne:",
            Op::Gt => "gt:",
            Op::Lt => "lt:",
            Op::Like => "like:",
            Op::NotLike => "not_like:",
        }
    }
}

/// A condition on one field of a user: an operator and a value.
///
/// A plain value converts into an equality filter, so `.status(UserStatus::Active)` and
/// `.status(Filter::is(UserStatus::Active))` are the same. The wire format cannot say "equal to
/// `ne:x`": a text equality filter whose value starts with an operator prefix is rejected
/// before anything is sent.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use passage_identity::{enums::UserStatus, users::{Filter, Op}};
///
/// let active = Filter::is(UserStatus::Active);
/// let frequent = Filter::gt(10);
/// let recent = Filter::gt(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap());
/// let staff = Filter::like("%@example.com");
/// assert_eq!(staff.op(), Op::Like);
/// # let _ = (active, frequent, recent);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter<T> {
    op: Op,
    value: T,
}

impl<T> Filter<T> {
    /// A condition with any operator.
    ///
    /// ```
    /// use passage_identity::users::{Filter, Op};
    /// let filter = Filter::new(Op::Ne, 0);
    /// assert_eq!(filter.op(), Op::Ne);
    /// ```
    pub fn new(op: Op, value: T) -> Self {
        Self { op, value }
    }

    /// Equal to `value`.
    ///
    /// ```
    /// let filter = passage_identity::users::Filter::is(3);
    /// assert_eq!(*filter.value(), 3);
    /// ```
    pub fn is(value: T) -> Self {
        Self::new(Op::Eq, value)
    }

    /// Not equal to `value` (`ne:`).
    ///
    /// ```
    /// use passage_identity::{enums::UserStatus, users::Filter};
    /// let not_pending = Filter::is_not(UserStatus::Pending);
    /// # let _ = not_pending;
    /// ```
    pub fn is_not(value: T) -> Self {
        Self::new(Op::Ne, value)
    }

    /// Greater than (later than) `value` (`gt:`).
    ///
    /// ```
    /// let more_than_three_logins = passage_identity::users::Filter::gt(3);
    /// # let _ = more_than_three_logins;
    /// ```
    pub fn gt(value: T) -> Self {
        Self::new(Op::Gt, value)
    }

    /// Less than (earlier than) `value` (`lt:`).
    ///
    /// ```
    /// let never_logged_in = passage_identity::users::Filter::lt(1);
    /// # let _ = never_logged_in;
    /// ```
    pub fn lt(value: T) -> Self {
        Self::new(Op::Lt, value)
    }

    /// The operator.
    ///
    /// ```
    /// assert_eq!(passage_identity::users::Filter::gt(1).op(), passage_identity::users::Op::Gt);
    /// ```
    pub fn op(&self) -> Op {
        self.op
    }

    /// The value compared against.
    ///
    /// ```
    /// assert_eq!(*passage_identity::users::Filter::gt(1).value(), 1);
    /// ```
    pub fn value(&self) -> &T {
        &self.value
    }

    fn to_query(&self, value: impl FnOnce(&T) -> String) -> String {
        format!("{}{}", self.op.prefix(), value(&self.value))
    }
}

impl Filter<String> {
    /// Matches the pattern (`like:`), as the service interprets it (SQL `LIKE` style, `%` for
    /// any run of characters).
    ///
    /// ```
    /// let staff = passage_identity::users::Filter::like("%@example.com");
    /// # let _ = staff;
    /// ```
    pub fn like(pattern: impl Into<String>) -> Self {
        Self::new(Op::Like, pattern.into())
    }

    /// Does not match the pattern (`not_like:`).
    ///
    /// ```
    /// let customers = passage_identity::users::Filter::not_like("%@example.com");
    /// # let _ = customers;
    /// ```
    pub fn not_like(pattern: impl Into<String>) -> Self {
        Self::new(Op::NotLike, pattern.into())
    }
}

impl<T> From<T> for Filter<T> {
    fn from(value: T) -> Self {
        Self::is(value)
    }
}

impl From<&str> for Filter<String> {
    fn from(value: &str) -> Self {
        Self::is(value.to_owned())
    }
}

impl From<Filter<&str>> for Filter<String> {
    fn from(filter: Filter<&str>) -> Self {
        Self::new(filter.op, filter.value.to_owned())
    }
}

impl From<Filter<i32>> for Filter<i64> {
    fn from(filter: Filter<i32>) -> Self {
        Self::new(filter.op, filter.value.into())
    }
}

impl From<i32> for Filter<i64> {
    fn from(value: i32) -> Self {
        Self::is(value.into())
    }
}

/// Whether the service would read this text filter's value as another operator: there is no
/// way to say "equal to `ne:x`", and sending `ne:x` would mean "not equal to `x`".
pub(crate) fn reads_as_operator(filter: &Filter<String>) -> bool {
    let value = filter.value.as_bytes();
    filter.op == Op::Eq
        && [Op::Ne, Op::Gt, Op::Lt, Op::Like, Op::NotLike]
            .iter()
            .any(|op| {
                let prefix = op.prefix().as_bytes();
                value.len() >= prefix.len() && value[..prefix.len()].eq_ignore_ascii_case(prefix)
            })
}

/// Query values, written as the list endpoint reads them.
pub(crate) fn text(filter: &Filter<String>) -> String {
    filter.to_query(String::clone)
}

pub(crate) fn status(filter: &Filter<UserStatus>) -> String {
    filter.to_query(|s| s.as_str().to_owned())
}

pub(crate) fn count(filter: &Filter<i64>) -> String {
    filter.to_query(i64::to_string)
}

pub(crate) fn time(filter: &Filter<DateTime<Utc>>) -> String {
    filter.to_query(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// A field users can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortField {
    /// `id`
    Id,
    /// `email`
    Email,
    /// `phone`
    Phone,
    /// `status`
    Status,
    /// `created_at`
    CreatedAt,
    /// `updated_at`
    UpdatedAt,
    /// `last_login_at`
    LastLoginAt,
    /// `login_count`
    LoginCount,
}

impl SortField {
    /// The field's name on the wire.
    ///
    /// ```
    /// assert_eq!(passage_identity::users::SortField::LastLoginAt.as_str(), "last_login_at");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SortField::Id => "id",
            SortField::Email => "email",
            SortField::Phone => "phone",
            SortField::Status => "status",
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
            SortField::LastLoginAt => "last_login_at",
            SortField::LoginCount => "login_count",
        }
    }
}

/// Ascending or descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// Smallest (earliest) first: `ASC`.
    Asc,
    /// Largest (latest) first: `DESC`.
    Desc,
}

impl SortOrder {
    /// `ASC` or `DESC`.
    ///
    /// ```
    /// assert_eq!(passage_identity::users::SortOrder::Desc.as_str(), "DESC");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

/// `field:ASC,field:DESC`
pub(crate) fn order_by(keys: &[(SortField, SortOrder)]) -> String {
    keys.iter()
        .map(|(field, order)| format!("{}:{}", field.as_str(), order.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn borrowed_and_small_values_convert() {
        let id: Filter<String> = Filter::is_not("u0").into();
        assert_eq!(text(&id), "ne:u0");
        let count: Filter<i64> = Filter::gt(2i32).into();
        assert_eq!(self::count(&count), "gt:2");
    }

    #[test]
    fn equality_with_a_value_that_starts_like_an_operator_is_ambiguous() {
        assert!(reads_as_operator(&"ne:ada@example.com".into()));
        assert!(reads_as_operator(&"LIKE:%".into()));
        assert!(!reads_as_operator(&Filter::like("ne:x".to_owned())));
        assert!(!reads_as_operator(&"ada@example.com".into()));
        assert!(!reads_as_operator(&"né".into()));
    }

    #[test]
    fn equality_has_no_prefix() {
        assert_eq!(text(&"ada@example.com".into()), "ada@example.com");
    }

    #[test]
    fn every_operator_writes_its_prefix() {
        assert_eq!(count(&Filter::is_not(0)), "ne:0");
        assert_eq!(count(&Filter::gt(3)), "gt:3");
        assert_eq!(count(&Filter::lt(3)), "lt:3");
        assert_eq!(text(&Filter::like("%@x.io")), "like:%@x.io");
        assert_eq!(text(&Filter::not_like("%@x.io")), "not_like:%@x.io");
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        let t = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(time(&Filter::gt(t)), "gt:2025-01-02T03:04:05Z");
    }

    #[test]
    fn statuses_use_their_wire_names() {
        assert_eq!(status(&UserStatus::Inactive.into()), "inactive");
    }

    #[test]
    fn sort_keys_join_with_commas() {
        assert_eq!(
            order_by(&[
                (SortField::CreatedAt, SortOrder::Desc),
                (SortField::Id, SortOrder::Asc)
            ]),
            "created_at:DESC,id:ASC"
        );
    }
}
