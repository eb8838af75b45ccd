//! The list endpoint's documented wire formats, checked on what reaches a recording server over
//! HTTP: times in exactly one form, the operators each field takes, `order_by`, page and limit.

use chrono::{DateTime, TimeZone, Utc};
use http::Method;
use passage_identity::enums::UserStatus;
use passage_identity::users::{Filter, ListUsers, Op, SortField, SortOrder};
use passage_identity::{ManagementError, Passage, RetryPolicy};

use crate::common::fixtures;
use crate::common::recorder::Recorder;
use crate::common::users::{invalid_field, query_value};

const USERS: &str = "/v1/apps/app/users";

/// A recorder answering every listing with one page.
async fn recorder() -> Recorder {
    let server = Recorder::start().await;
    server.reply(Method::GET, USERS, 200, fixtures::list_response());
    server
}

fn client(server: &Recorder) -> Passage {
    Passage::builder("app")
        .api_key("key")
        .api_base_url(format!("{}/v1", server.base_url()))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// Sends the listing `build` makes and returns the query parameter `name` of what was sent,
/// percent-decoded.
async fn sent_param(
    build: impl FnOnce(ListUsers<'_>) -> ListUsers<'_>,
    name: &str,
) -> Option<String> {
    let server = recorder().await;
    let passage = client(&server);
    build(passage.user().list()).send().await.unwrap();
    query_value(server.only().query.as_deref(), name)
}

fn at(seconds: i64, nanos: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, nanos).unwrap()
}

/// `2006-01-02T15:04:05.000000Z`, as the list endpoint's documentation requires, for every
/// precision a `DateTime` can have and on every time field.
#[tokio::test]
async fn every_time_filter_is_sent_with_six_fractional_digits_and_a_z() {
    let base = 1_735_787_045; // 2025-01-02T03:04:05Z
    let cases = [
        (at(base, 0), "2025-01-02T03:04:05.000000Z"),
        (at(base, 120_000_000), "2025-01-02T03:04:05.120000Z"),
        (at(base, 123_456_000), "2025-01-02T03:04:05.123456Z"),
        (at(base, 123_456_789), "2025-01-02T03:04:05.123456Z"),
        (at(base, 999_999_999), "2025-01-02T03:04:05.999999Z"),
        (at(0, 1), "1970-01-01T00:00:00.000000Z"),
    ];
    for (time, expected) in cases {
        for field in ["created_at", "updated_at", "last_login_at"] {
            let sent = sent_param(
                |list| match field {
                    "created_at" => list.created_at(Filter::gt(time)),
                    "updated_at" => list.updated_at(Filter::gt(time)),
                    _ => list.last_login_at(Filter::gt(time)),
                },
                field,
            )
            .await;
            assert_eq!(sent, Some(format!("gt:{expected}")), "{field} {time:?}");
        }
    }
}

/// Cutting to the microsecond keeps `gt:` and equality exact against the service's microsecond
/// times; `lt:` rounds up, so that "before t" still lists a user created at t's microsecond.
#[tokio::test]
async fn a_finer_time_after_lt_is_rounded_up_to_the_next_microsecond() {
    let time = at(1_735_787_045, 123_456_001);
    for (filter, expected) in [
        (Filter::lt(time), "lt:2025-01-02T03:04:05.123457Z"),
        (Filter::is_not(time), "ne:2025-01-02T03:04:05.123456Z"),
        (Filter::is(time), "2025-01-02T03:04:05.123456Z"),
    ] {
        let sent = sent_param(|list| list.created_at(filter), "created_at").await;
        assert_eq!(sent.as_deref(), Some(expected));
    }
    let end_of_second = at(1_735_787_045, 999_999_500);
    let sent = sent_param(
        |list| list.updated_at(Filter::lt(end_of_second)),
        "updated_at",
    )
    .await;
    assert_eq!(sent.as_deref(), Some("lt:2025-01-02T03:04:06.000000Z"));
}

#[tokio::test]
async fn the_text_fields_take_every_documented_operator() {
    for (op, prefix) in [
        (Op::Eq, ""),
        (Op::Ne, "ne:"),
        (Op::Gt, "gt:"),
        (Op::Lt, "lt:"),
        (Op::Like, "like:"),
        (Op::NotLike, "not_like:"),
    ] {
        let id = sent_param(|l| l.id(Filter::new(op, "u1".to_owned())), "id").await;
        assert_eq!(id, Some(format!("{prefix}u1")));
        let identifier = sent_param(
            |l| l.identifier(Filter::new(op, "%@example.com".to_owned())),
            "identifier",
        )
        .await;
        assert_eq!(identifier, Some(format!("{prefix}%@example.com")));
        let status = sent_param(
            |l| l.status(Filter::new(op, UserStatus::Inactive)),
            "status",
        )
        .await;
        assert_eq!(status, Some(format!("{prefix}inactive")));
    }
}

#[tokio::test]
async fn login_count_takes_equality_ne_gt_and_lt() {
    for (op, expected) in [
        (Op::Eq, "3"),
        (Op::Ne, "ne:3"),
        (Op::Gt, "gt:3"),
        (Op::Lt, "lt:3"),
    ] {
        let sent = sent_param(|l| l.login_count(Filter::new(op, 3)), "login_count").await;
        assert_eq!(sent.as_deref(), Some(expected));
    }
}

/// The documentation lists no pattern operator for numbers and times; nothing is sent.
#[tokio::test]
async fn patterns_on_login_count_and_times_are_refused_before_sending() {
    let server = recorder().await;
    let passage = client(&server);
    let users = passage.user();
    let t = at(1_735_787_045, 0);
    for (result, field) in [
        (
            users
                .list()
                .login_count(Filter::new(Op::Like, 1))
                .send()
                .await,
            "login_count",
        ),
        (
            users
                .list()
                .created_at(Filter::new(Op::NotLike, t))
                .send()
                .await,
            "created_at",
        ),
        (
            users
                .list()
                .last_login_at(Filter::new(Op::Like, t))
                .send()
                .await,
            "last_login_at",
        ),
    ] {
        assert_eq!(invalid_field(result.unwrap_err()), field);
    }
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn order_by_is_field_colon_direction_in_capitals_joined_by_commas() {
    let every_field = [
        SortField::Id,
        SortField::Email,
        SortField::Phone,
        SortField::Status,
        SortField::CreatedAt,
        SortField::UpdatedAt,
        SortField::LastLoginAt,
        SortField::LoginCount,
    ];
    let sent = sent_param(
        |mut list| {
            for (i, field) in every_field.into_iter().enumerate() {
                let order = if i % 2 == 0 {
                    SortOrder::Asc
                } else {
                    SortOrder::Desc
                };
                list = list.order_by(field, order);
            }
            list
        },
        "order_by",
    )
    .await;
    assert_eq!(
        sent.as_deref(),
        Some(
            "id:ASC,email:DESC,phone:ASC,status:DESC,created_at:ASC,updated_at:DESC,\
             last_login_at:ASC,login_count:DESC"
        )
    );
}

#[tokio::test]
async fn page_and_limit_are_sent_at_their_bounds_and_refused_beyond() {
    let sent = sent_param(|l| l.limit(500).page(i64::MAX as u64), "page").await;
    assert_eq!(sent, Some(i64::MAX.to_string()));
    assert_eq!(
        sent_param(|l| l.limit(1), "limit").await.as_deref(),
        Some("1")
    );
    let server = recorder().await;
    let passage = client(&server);
    let refused: [(Result<_, ManagementError>, &str); 3] = [
        (passage.user().list().limit(501).send().await, "limit"),
        (passage.user().list().page(0).send().await, "page"),
        (
            passage.user().list().page(i64::MAX as u64 + 1).send().await,
            "page",
        ),
    ];
    for (result, field) in refused {
        assert_eq!(invalid_field(result.unwrap_err()), field);
    }
    assert!(server.seen().is_empty());
}

/// The listing's page anchor goes out as the Unix seconds it is.
#[tokio::test]
async fn created_before_is_sent_as_unix_seconds() {
    let sent = sent_param(|l| l.created_before(1_735_689_600), "created_before").await;
    assert_eq!(sent.as_deref(), Some("1735689600"));
}
