//! Conditions and sort orders for listing users: [`Filter`], [`Op`], [`SortField`],
//! [`SortOrder`].
//!
//! The list endpoint takes each filter as `field=<op>:<value>` (`login_count=gt:3`); these types
//! write that for you, in the forms the endpoint documents:
//!
//! - `identifier`, `id` and `status` take every operator; `login_count`, `created_at`,
//!   `updated_at` and `last_login_at` take `ne:`, `gt:` and `lt:` but no pattern (`like:`,
//!   `not_like:`).
//! - Times are written `2006-01-02T15:04:05.000000Z`: UTC, exactly six fractional digits, `Z`.
//! - A value never starts with an operator prefix unless the operator was chosen with [`Op`].

use chrono::{DateTime, Datelike, SubsecRound, TimeDelta, Utc};

use crate::management::ManagementError;
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

    /// Whether the operator matches a pattern (`like:`, `not_like:`), which only text fields take.
    pub(crate) fn is_pattern(self) -> bool {
        matches!(self, Op::Like | Op::NotLike)
    }

    /// Reads a filter value as the service does: the operator its prefix names and the rest. A
    /// value with no operator prefix is an equality (timestamps hold colons, so a colon alone
    /// names no operator). The emulator reads filters with it.
    #[cfg(feature = "emulator")]
    pub(crate) fn split(value: &str) -> (Op, &str) {
        PREFIXES
            .iter()
            .find_map(|op| value.strip_prefix(op.prefix()).map(|rest| (*op, rest)))
            .unwrap_or((Op::Eq, value))
    }
}

/// Every operator prefix the service reads, in the order it would try them.
const PREFIXES: [Op; 5] = [Op::Ne, Op::Gt, Op::Lt, Op::Like, Op::NotLike];

/// A condition on one field of a user: an operator and a value.
///
/// A plain value converts into an equality filter, so `.status(UserStatus::Active)` and
/// `.status(Filter::is(UserStatus::Active))` are the same. The wire format cannot say "equal to
/// `ne:x`": an equality filter whose value starts with an operator prefix (`ne:`, `gt:`, `lt:`,
/// `like:`, `not_like:`, in any case) is rejected before anything is sent, on every field; choose
/// the operator with [`Op`] instead. `like:` and `not_like:` apply to text fields only
/// (`identifier`, `id`, `status`).
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

/// Whether the service would read this value, sent after `op`, as an operator of its own:
/// there is no way to say "equal to `ne:x`", and sending `ne:x` would mean "not equal to `x`".
/// Leading white space is skipped, in case the service trims values before reading them.
fn reads_as_operator(op: Op, value: &str) -> bool {
    let value = value.trim_start().as_bytes();
    op == Op::Eq
        && PREFIXES.iter().any(|op| {
            let prefix = op.prefix().as_bytes();
            value.len() >= prefix.len() && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        })
}

/// The checks every text value of a filter passes (`identifier`, `id`, `status`).
fn check_text(field: &'static str, op: Op, value: &str) -> Result<(), ManagementError> {
    if value.trim().is_empty() {
        return Err(ManagementError::invalid(field, "must not be empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(ManagementError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    if reads_as_operator(op, value) {
        return Err(ManagementError::invalid(
            field,
            "must not start with an operator prefix such as `ne:` or `like:`, which the \
             service would read as the operator; choose the operator with users::Op \
             (Filter::is_not, Filter::like, ...) instead",
        ));
    }
    Ok(())
}

/// Patterns (`like:`, `not_like:`) are documented for text fields only.
fn check_no_pattern(field: &'static str, op: Op) -> Result<(), ManagementError> {
    if op.is_pattern() {
        return Err(ManagementError::invalid(
            field,
            format!(
                "takes no {}: patterns apply to the text fields identifier, id and status; \
                 {field} takes equality, ne, gt and lt",
                op.prefix()
            ),
        ));
    }
    Ok(())
}

/// A text filter (`identifier`, `id`).
pub(crate) fn check_string(
    field: &'static str,
    filter: &Filter<String>,
) -> Result<(), ManagementError> {
    check_text(field, filter.op, &filter.value)
}

/// The `status` filter: its value is text too, and an open enum can hold anything.
pub(crate) fn check_status(filter: &Filter<UserStatus>) -> Result<(), ManagementError> {
    check_text("status", filter.op, filter.value.as_str())
}

/// The `login_count` filter.
pub(crate) fn check_count(
    field: &'static str,
    filter: &Filter<i64>,
) -> Result<(), ManagementError> {
    check_no_pattern(field, filter.op)
}

/// The years the documented time form (`2006-01-02T15:04:05.000000Z`) can write: four digits.
const YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

/// A time filter (`created_at`, `updated_at`, `last_login_at`).
pub(crate) fn check_time(
    field: &'static str,
    filter: &Filter<DateTime<Utc>>,
) -> Result<(), ManagementError> {
    check_no_pattern(field, filter.op)?;
    let year = filter.value.year();
    if !YEARS.contains(&year) {
        return Err(ManagementError::invalid(
            field,
            format!("the year {year} cannot be written in four digits, as the service requires"),
        ));
    }
    Ok(())
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

/// `2006-01-02T15:04:05.000000Z`, the one form the list endpoint documents for times: UTC,
/// exactly six fractional digits, `Z`, whatever the precision of the value. Passage keeps
/// times to the microsecond; a finer value is cut to the microsecond, except after `lt:`, where
/// it is rounded up so that "earlier than t" still lists everything earlier than t.
pub(crate) fn time(filter: &Filter<DateTime<Utc>>) -> String {
    filter.to_query(|t| {
        let cut = t.trunc_subsecs(6);
        let t = if filter.op == Op::Lt && cut != *t {
            cut.checked_add_signed(TimeDelta::microseconds(1))
                .unwrap_or(cut)
        } else {
            cut
        };
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    })
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

/// A sort order names each field once: the service does not document what a second mention
/// would mean.
pub(crate) fn check_order_by(keys: &[(SortField, SortOrder)]) -> Result<(), ManagementError> {
    for (at, (field, _)) in keys.iter().enumerate() {
        if keys[..at].iter().any(|(earlier, _)| earlier == field) {
            return Err(ManagementError::invalid(
                "order_by",
                format!("{} is named twice", field.as_str()),
            ));
        }
    }
    Ok(())
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
        for value in ["ne:ada@example.com", "LIKE:%", " gt:1", "Not_Like:x", "lt:"] {
            assert!(reads_as_operator(Op::Eq, value), "{value:?}");
        }
        assert!(!reads_as_operator(Op::Like, "ne:x"));
        assert!(!reads_as_operator(Op::Ne, "like:x"));
        assert!(!reads_as_operator(Op::Eq, "ada@example.com"));
        assert!(!reads_as_operator(Op::Eq, "n\u{e9}"));
        assert!(!reads_as_operator(Op::Eq, "gt"));
    }

    #[test]
    fn every_text_field_refuses_a_smuggled_operator() {
        let id: Filter<String> = "ne:u1".into();
        assert!(check_string("id", &id).is_err());
        assert!(check_string("identifier", &Filter::is("like:%".to_owned())).is_err());
        assert!(check_status(&Filter::is(UserStatus::from("ne:active"))).is_err());
        assert!(check_status(&Filter::is(UserStatus::Active)).is_ok());
        assert!(check_status(&Filter::new(Op::Like, UserStatus::from("act%"))).is_ok());
        assert!(check_string("id", &Filter::is_not("u1".to_owned())).is_ok());
    }

    #[test]
    fn blank_and_control_text_values_are_refused() {
        for value in ["", "  ", "a\u{0}b", "a\nb"] {
            assert!(
                check_string("id", &Filter::is(value.to_owned())).is_err(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn patterns_apply_to_text_fields_only() {
        let error = check_count("login_count", &Filter::new(Op::Like, 3)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid login_count: takes no like:: patterns apply to the text fields identifier, \
             id and status; login_count takes equality, ne, gt and lt"
        );
        let t = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
        assert!(check_time("created_at", &Filter::new(Op::NotLike, t)).is_err());
        for op in [Op::Eq, Op::Ne, Op::Gt, Op::Lt] {
            assert!(check_count("login_count", &Filter::new(op, 3)).is_ok());
            assert!(check_time("updated_at", &Filter::new(op, t)).is_ok());
        }
    }

    #[test]
    fn times_beyond_four_digit_years_are_refused() {
        let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        let before = Utc.with_ymd_and_hms(-1, 12, 31, 0, 0, 0).unwrap();
        for t in [far, before] {
            let error = check_time("last_login_at", &Filter::gt(t)).unwrap_err();
            assert!(error.to_string().contains("four digits"), "{error}");
        }
        let last = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        assert!(check_time("last_login_at", &Filter::lt(last)).is_ok());
    }

    #[test]
    fn a_sort_field_named_twice_is_refused() {
        let keys = [
            (SortField::Email, SortOrder::Asc),
            (SortField::Id, SortOrder::Asc),
            (SortField::Email, SortOrder::Desc),
        ];
        let error = check_order_by(&keys).unwrap_err();
        assert_eq!(error.to_string(), "invalid order_by: email is named twice");
        assert!(check_order_by(&keys[..2]).is_ok());
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
    fn times_have_exactly_six_fractional_digits_and_a_z() {
        let t = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(time(&Filter::gt(t)), "gt:2025-01-02T03:04:05.000000Z");
        let millis = t + TimeDelta::milliseconds(7);
        assert_eq!(time(&Filter::is(millis)), "2025-01-02T03:04:05.007000Z");
        let micros = t + TimeDelta::microseconds(123_456);
        assert_eq!(
            time(&Filter::is_not(micros)),
            "ne:2025-01-02T03:04:05.123456Z"
        );
        let early = Utc.with_ymd_and_hms(7, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(time(&Filter::is(early)), "0007-01-01T00:00:00.000000Z");
    }

    #[test]
    fn finer_times_are_cut_to_the_microsecond_but_rounded_up_after_lt() {
        let t = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap()
            + TimeDelta::nanoseconds(1_999_999_001);
        assert_eq!(time(&Filter::gt(t)), "gt:2025-01-02T03:04:06.999999Z");
        assert_eq!(time(&Filter::is(t)), "2025-01-02T03:04:06.999999Z");
        assert_eq!(time(&Filter::lt(t)), "lt:2025-01-02T03:04:07.000000Z");
        let exact = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap() + TimeDelta::microseconds(5);
        assert_eq!(time(&Filter::lt(exact)), "lt:2025-01-02T03:04:05.000005Z");
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
