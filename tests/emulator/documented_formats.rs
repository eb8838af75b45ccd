//! The list endpoint's documented formats and limits, over HTTP: each documented form is
//! accepted, every other form is 400 `invalid_request`.

use reqwest::{Method, StatusCode};

use crate::emulator::support::{Reply, app_path, call, emulator};
use passage_identity::emulator::Emulator;

/// A timestamp in the one form the documentation accepts.
const DOCUMENTED_TIME: &str = "2024-01-02T15:04:05.000000Z";
const TIME_FILTERS: [&str; 3] = ["created_at", "updated_at", "last_login_at"];

async fn list(emulator: &Emulator, query: &str) -> Reply {
    let users = format!("{}/users", app_path(emulator));
    call(emulator, Method::GET, &format!("{users}?{query}"), None).await
}

async fn assert_accepted(emulator: &Emulator, query: &str) {
    let reply = list(emulator, query).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
}

async fn assert_rejected(emulator: &Emulator, query: &str) {
    let reply = list(emulator, query).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "{query}: {}",
        reply.text
    );
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

/// `value` with an encoded `+` (a raw one in a query string is a space).
fn encoded(value: &str) -> String {
    value.replace('+', "%2B")
}

#[tokio::test]
async fn timestamp_filters_accept_the_documented_form_with_each_documented_operator() {
    let emulator = emulator().await;
    for field in TIME_FILTERS {
        for op in ["", "ne:", "gt:", "lt:"] {
            assert_accepted(&emulator, &format!("{field}={op}{DOCUMENTED_TIME}")).await;
        }
    }
}

#[tokio::test]
async fn timestamps_in_any_other_form_are_400_invalid_request() {
    let emulator = emulator().await;
    let other_forms = [
        "2024-01-02T15:04:05Z",
        "2024-01-02T15:04:05.000Z",
        "2024-01-02T15:04:05.000000000Z",
        "2024-01-02T15:04:05.000000+00:00",
        "2024-01-02T15:04:05.000000z",
        "2024-01-02 15:04:05.000000Z",
        "2024-01-02",
        "1704207845",
        "2024-02-30T15:04:05.000000Z",
        "2024-01-02T15:04:60.000000Z",
        "yesterday",
    ];
    for field in TIME_FILTERS {
        for form in other_forms {
            for op in ["", "gt:"] {
                assert_rejected(&emulator, &format!("{field}={op}{}", encoded(form))).await;
            }
        }
    }
}

#[tokio::test]
async fn timestamp_filters_take_no_pattern_and_no_undocumented_operator() {
    let emulator = emulator().await;
    for field in TIME_FILTERS {
        for op in ["like:", "not_like:", "eq:", "ge:", "le:"] {
            assert_rejected(&emulator, &format!("{field}={op}{DOCUMENTED_TIME}")).await;
        }
    }
}

#[tokio::test]
async fn text_filters_accept_every_documented_operator() {
    let emulator = emulator().await;
    for (field, value) in [
        ("identifier", "ada%40example.com"),
        ("id", "abc"),
        ("status", "active"),
    ] {
        for op in ["", "ne:", "gt:", "lt:", "like:", "not_like:"] {
            assert_accepted(&emulator, &format!("{field}={op}{value}")).await;
        }
    }
}

#[tokio::test]
async fn status_compares_only_with_the_documented_values() {
    let emulator = emulator().await;
    for value in ["active", "inactive", "pending"] {
        assert_accepted(&emulator, &format!("status={value}")).await;
        assert_accepted(&emulator, &format!("status=ne:{value}")).await;
    }
    for value in [
        "Active",
        "ACTIVE",
        "deleted",
        "ne:asleep",
        "gt:x",
        "%20active",
    ] {
        assert_rejected(&emulator, &format!("status={value}")).await;
    }
    // A pattern is a part of a value, not a value.
    assert_accepted(&emulator, "status=like:act").await;
}

#[tokio::test]
async fn login_count_takes_the_documented_comparisons_despite_the_specs_integer_type() {
    let emulator = emulator().await;
    for op in ["", "ne:", "gt:", "lt:"] {
        assert_accepted(&emulator, &format!("login_count={op}3")).await;
    }
    for value in [
        "like:3",
        "not_like:3",
        "ge:3",
        "eq:3",
        "3.5",
        "three",
        "%203",
        "3%20",
    ] {
        assert_rejected(&emulator, &format!("login_count={value}")).await;
    }
}

#[tokio::test]
async fn order_by_takes_documented_fields_with_asc_or_desc() {
    let emulator = emulator().await;
    for field in [
        "id",
        "email",
        "phone",
        "status",
        "login_count",
        "created_at",
        "updated_at",
        "last_login_at",
    ] {
        for direction in ["ASC", "DESC"] {
            assert_accepted(&emulator, &format!("order_by={field}:{direction}")).await;
        }
    }
    // The documentation's own example.
    assert_accepted(&emulator, "order_by=id:DESC,created_at:ASC").await;
}

#[tokio::test]
async fn order_by_in_any_other_form_is_400_invalid_request() {
    let emulator = emulator().await;
    for value in [
        "identifier:ASC",
        "email:asc",
        "email:Desc",
        "email",
        "email:",
        ":ASC",
        "email:ASC,",
        ",email:ASC",
        "email:ASC,%20id:DESC",
        "email%20:ASC",
        "email:ASC;id:DESC",
        "nickname:ASC",
    ] {
        assert_rejected(&emulator, &format!("order_by={value}")).await;
    }
}

#[tokio::test]
async fn page_is_a_whole_number_from_1() {
    let emulator = emulator().await;
    for page in ["1", "2", "1000"] {
        assert_accepted(&emulator, &format!("page={page}")).await;
    }
    for page in ["0", "-1", "1.5", "one", "%201", "99999999999999999999"] {
        assert_rejected(&emulator, &format!("page={page}")).await;
    }
}

#[tokio::test]
async fn limit_is_a_whole_number_from_1_to_500() {
    let emulator = emulator().await;
    for limit in ["1", "20", "500"] {
        let reply = list(&emulator, &format!("limit={limit}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.json()["limit"].to_string(), limit);
    }
    for limit in ["0", "501", "-5", "10.0", "ten", "1e2"] {
        assert_rejected(&emulator, &format!("limit={limit}")).await;
    }
}

#[tokio::test]
async fn created_before_is_a_unix_time_in_whole_seconds() {
    let emulator = emulator().await;
    let reply = list(&emulator, "created_before=1704207845").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["created_before"], 1_704_207_845);
    for value in ["1704207845.5", DOCUMENTED_TIME, "tomorrow", "%201704207845"] {
        assert_rejected(&emulator, &format!("created_before={value}")).await;
    }
}

#[tokio::test]
async fn a_parameter_sent_empty_counts_as_not_sent() {
    let emulator = emulator().await;
    let reply = list(
        &emulator,
        "page=&limit=&order_by=&created_at=&login_count=&status=&created_before=",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(
        (body["page"].as_i64(), body["limit"].as_i64()),
        (Some(1), Some(20))
    );
}

#[tokio::test]
async fn a_timestamp_in_the_documented_form_filters_to_the_microsecond() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let at = user
        .created_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let same = list(&emulator, &format!("created_at={at}")).await.json();
    assert_eq!(same["total_users"], 1, "{same}");
    assert_eq!(same["users"][0]["id"], user.id.as_str());
    let later = user.created_at + chrono::Duration::microseconds(1);
    let later = later.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let before_later = list(&emulator, &format!("created_at=lt:{later}"))
        .await
        .json();
    assert_eq!(before_later["total_users"], 1, "{before_later}");
    let after = list(&emulator, &format!("created_at=gt:{at}")).await.json();
    assert_eq!(after["total_users"], 0, "{after}");
}
