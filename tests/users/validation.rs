//! Arguments checked before anything is sent: each rejection names its field, and the emulator
//! sees no request.

use futures_util::StreamExt;
use passage_identity::emulator::Emulator;
use passage_identity::enums::UserStatus;
use passage_identity::raw::types::MagicLinkChannel;
use passage_identity::{
    CreateMagicLink, CreateUser, ManagementError, Passage, UpdateUser,
    users::{Filter, ListUsers, SortField, SortOrder},
};

use crate::common::users::{emulator, invalid_field};

/// Asserts `result` is an input error naming `field`, and that nothing reached the emulator.
fn rejected_locally<T: std::fmt::Debug>(
    emulator: &Emulator,
    result: Result<T, ManagementError>,
    field: &str,
) {
    let error = result.expect_err("expected a local rejection");
    let message = error.to_string();
    assert_eq!(invalid_field(error), field, "{message}");
    assert!(
        message.contains(field),
        "the message names the field: {message}"
    );
    assert!(
        emulator.requests().is_empty(),
        "a request was sent: {:?}",
        emulator.requests()
    );
}

/// Asserts the listing `build` makes is rejected locally, naming `field`.
async fn listing_rejected(
    emulator: &Emulator,
    build: impl FnOnce(ListUsers<'_>) -> ListUsers<'_>,
    field: &str,
) {
    let result = build(emulator.passage().user().list()).send().await;
    rejected_locally(emulator, result, field);
}

#[tokio::test]
async fn blank_user_ids_are_rejected_by_every_method() {
    let emulator = emulator().await;
    let users = emulator.passage().user();
    for id in ["", "  "] {
        rejected_locally(&emulator, users.get(id).await, "user_id");
        rejected_locally(
            &emulator,
            users.update(id, UpdateUser::new().email("a@b.c")).await,
            "user_id",
        );
        rejected_locally(&emulator, users.activate(id).await, "user_id");
        rejected_locally(&emulator, users.deactivate(id).await, "user_id");
        rejected_locally(&emulator, users.delete(id).await, "user_id");
        rejected_locally(&emulator, users.list_devices(id).await, "user_id");
        rejected_locally(&emulator, users.revoke_device(id, "dev").await, "user_id");
        rejected_locally(&emulator, users.revoke_refresh_tokens(id).await, "user_id");
    }
}

#[tokio::test]
async fn user_ids_with_white_space_are_rejected() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator.passage().user().get("abc def").await,
        "user_id",
    );
}

#[tokio::test]
async fn a_blank_device_id_is_rejected() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator.passage().user().revoke_device("user", "").await,
        "device_id",
    );
}

/// URL parsing resolves `.` and `..` segments and reads `\` as `/`: the device id
/// `..\..\{user id}` would turn `revoke_device` into `DELETE /users/{user id}`.
#[tokio::test]
async fn ids_that_would_leave_their_path_segment_are_rejected_and_nothing_is_deleted() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let users = emulator.passage().user();
    let escape = format!("..\\..\\{}", user.id);
    for device_id in ["..", ".", escape.as_str()] {
        rejected_locally(
            &emulator,
            users.revoke_device(&user.id, device_id).await,
            "device_id",
        );
    }
    for user_id in ["..", ".", "x\\.."] {
        rejected_locally(&emulator, users.delete(user_id).await, "user_id");
    }
    assert!(emulator.user(&user.id).is_ok(), "the user was deleted");
}

/// Ids are checked against what Passage's ids are made of, not against a list of known tricks:
/// a proxy that decodes `%2F` before routing would turn `x%2F..` into another path.
#[tokio::test]
async fn ids_outside_letters_digits_dash_and_underscore_are_rejected_everywhere() {
    let emulator = emulator().await;
    let user = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let passage = emulator.passage();
    let users = passage.user();
    let too_long = "a".repeat(65);
    for bad in [
        "a/b",
        "a%2Fb",
        "%2e%2e",
        "a;b",
        "caf\u{e9}",
        "a\u{ff0f}b",
        "a.b",
        "a:b",
        "a?b",
        &too_long,
    ] {
        let says_why = |result: Result<(), ManagementError>, field: &str| {
            let message = result.as_ref().unwrap_err().to_string();
            assert!(
                message.contains("letters, digits") || message.contains("at most 64"),
                "{message}"
            );
            rejected_locally(&emulator, result, field);
        };
        says_why(users.get(bad).await.map(drop), "user_id");
        says_why(
            users
                .update(bad, UpdateUser::new().email("a@b.c"))
                .await
                .map(drop),
            "user_id",
        );
        says_why(users.activate(bad).await.map(drop), "user_id");
        says_why(users.deactivate(bad).await.map(drop), "user_id");
        says_why(users.delete(bad).await, "user_id");
        says_why(users.list_devices(bad).await.map(drop), "user_id");
        says_why(users.revoke_device(bad, "dev1").await, "user_id");
        says_why(users.revoke_device(&user.id, bad).await, "device_id");
        says_why(users.revoke_refresh_tokens(bad).await, "user_id");
        says_why(
            passage
                .create_magic_link(CreateMagicLink::user_id(bad, MagicLinkChannel::Email))
                .await
                .map(drop),
            "user_id",
        );
    }
    assert!(emulator.user(&user.id).is_ok());
}

#[tokio::test]
async fn ids_of_passages_shape_and_up_to_64_characters_pass() {
    let emulator = emulator().await;
    let users = emulator.passage().user();
    for id in ["2ubD84sL3kKHNd0dmYKAWmDn", "a-b_c", &"Z".repeat(64)] {
        let error = users.get(id).await.unwrap_err();
        assert_eq!(error.code(), Some("user_not_found"), "{id}");
    }
}

/// An open enum can hold any text: a status that reads as an operator is refused like any
/// other text filter.
#[tokio::test]
async fn a_status_filter_that_reads_as_an_operator_is_rejected() {
    let emulator = emulator().await;
    for sneaky in ["ne:active", "LIKE:%", " gt:a"] {
        listing_rejected(&emulator, |l| l.status(UserStatus::from(sneaky)), "status").await;
    }
}

#[tokio::test]
async fn empty_text_filters_are_rejected_on_every_text_field() {
    let emulator = emulator().await;
    listing_rejected(&emulator, |l| l.id(" "), "id").await;
    listing_rejected(&emulator, |l| l.identifier(Filter::like("")), "identifier").await;
    listing_rejected(
        &emulator,
        |l| l.status(Filter::is_not(UserStatus::from(""))),
        "status",
    )
    .await;
}

#[tokio::test]
async fn a_sort_field_named_twice_is_rejected() {
    let emulator = emulator().await;
    listing_rejected(
        &emulator,
        |l| {
            l.order_by(SortField::Email, SortOrder::Asc)
                .order_by(SortField::Email, SortOrder::Desc)
        },
        "order_by",
    )
    .await;
}

#[tokio::test]
async fn a_time_filter_beyond_four_digit_years_is_rejected() {
    let emulator = emulator().await;
    let far = chrono::DateTime::parse_from_rfc3339("+10000-01-01T00:00:00Z")
        .map(|t| t.to_utc())
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    listing_rejected(&emulator, |l| l.created_at(Filter::lt(far)), "created_at").await;
}

#[tokio::test]
async fn create_rejects_an_email_without_an_at_sign() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator
            .passage()
            .user()
            .create(CreateUser::email("ada.example.com"))
            .await,
        "email",
    );
}

#[tokio::test]
async fn create_rejects_a_phone_number_that_is_not_e164_and_says_why() {
    let emulator = emulator().await;
    let result = emulator
        .passage()
        .user()
        .create(CreateUser::phone("+1 555 123 4567"))
        .await;
    let message = result.as_ref().unwrap_err().to_string();
    assert!(message.contains("only digits"), "{message}");
    rejected_locally(&emulator, result, "phone");
}

#[tokio::test]
async fn create_rejects_a_phone_number_with_a_leading_zero() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator
            .passage()
            .user()
            .create(CreateUser::email("ada@example.com").with_phone("+0155512345"))
            .await,
        "phone",
    );
}

#[tokio::test]
async fn create_rejects_metadata_that_is_not_an_object() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator
            .passage()
            .user()
            .create(CreateUser::email("ada@example.com").metadata(vec![1, 2, 3]))
            .await,
        "user_metadata",
    );
}

#[tokio::test]
async fn update_with_nothing_to_change_is_rejected() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator
            .passage()
            .user()
            .update("user", UpdateUser::new())
            .await,
        "update",
    );
}

#[tokio::test]
async fn update_rejects_a_bad_phone_and_a_bad_email() {
    let emulator = emulator().await;
    let users = emulator.passage().user();
    rejected_locally(
        &emulator,
        users
            .update("user", UpdateUser::new().phone("5551234"))
            .await,
        "phone",
    );
    rejected_locally(
        &emulator,
        users
            .update("user", UpdateUser::new().email("@example.com"))
            .await,
        "email",
    );
}

#[tokio::test]
async fn get_by_identifier_rejects_what_is_neither_email_nor_phone() {
    let emulator = emulator().await;
    let users = emulator.passage().user();
    rejected_locally(&emulator, users.get_by_identifier("").await, "identifier");
    rejected_locally(
        &emulator,
        users.get_by_identifier("ada").await,
        "identifier",
    );
    rejected_locally(
        &emulator,
        users.get_by_identifier("ada@").await,
        "identifier",
    );
}

/// The service reads a leading `ne:`, `like:` ... as an operator: `ne:ada@example.com` would
/// list the first user who is *not* Ada, and `get_by_identifier` would return them.
#[tokio::test]
async fn get_by_identifier_rejects_an_identifier_that_starts_with_an_operator() {
    let emulator = emulator().await;
    emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    emulator
        .create_user_directly(Some("grace@example.com"), None)
        .unwrap();
    let users = emulator.passage().user();
    for sneaky in ["ne:ada@example.com", "LIKE:%@example.com", "not_like:x@y"] {
        rejected_locally(
            &emulator,
            users.get_by_identifier(sneaky).await,
            "identifier",
        );
    }
}

#[tokio::test]
async fn an_equality_filter_whose_value_reads_as_an_operator_is_rejected() {
    let emulator = emulator().await;
    let users = emulator.passage().user();
    rejected_locally(
        &emulator,
        users.list().identifier("gt:a@b").send().await,
        "identifier",
    );
    rejected_locally(
        &emulator,
        users.list().id(Filter::is("ne:u1")).send().await,
        "id",
    );
}

#[tokio::test]
async fn list_rejects_page_sizes_outside_1_to_500() {
    let emulator = emulator().await;
    let users = emulator.passage().user();
    rejected_locally(&emulator, users.list().limit(0).send().await, "limit");
    rejected_locally(&emulator, users.list().limit(501).send().await, "limit");
}

#[tokio::test]
async fn list_rejects_page_zero() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator.passage().user().list().page(0).send().await,
        "page",
    );
}

#[tokio::test]
async fn a_stream_with_a_bad_page_size_yields_the_error_once_then_ends() {
    let emulator = emulator().await;
    let mut stream = emulator.passage().user().list().limit(0).stream();
    let first = stream.next().await.expect("one item");
    rejected_locally(&emulator, first, "limit");
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn magic_links_reject_bad_identifiers() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    rejected_locally(
        &emulator,
        passage
            .create_magic_link(CreateMagicLink::email("nope"))
            .await,
        "email",
    );
    rejected_locally(
        &emulator,
        passage
            .create_magic_link(CreateMagicLink::phone("555"))
            .await,
        "phone",
    );
    rejected_locally(
        &emulator,
        passage
            .create_magic_link(CreateMagicLink::user_id("", MagicLinkChannel::Email))
            .await,
        "user_id",
    );
}

#[tokio::test]
async fn magic_links_live_at_least_one_minute() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator
            .passage()
            .create_magic_link(CreateMagicLink::email("ada@example.com").ttl_minutes(0))
            .await,
        "ttl",
    );
}

#[tokio::test]
async fn magic_link_paths_must_be_relative() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    for path in ["https://evil.example/login", "//evil.example/login", ""] {
        rejected_locally(
            &emulator,
            passage
                .create_magic_link(CreateMagicLink::email("ada@example.com").magic_link_path(path))
                .await,
            "magic_link_path",
        );
    }
}

/// Browsers read `\` in a URL as `/`: resolved against the app's origin, `/\evil.example`
/// is `//evil.example`, another host.
#[tokio::test]
async fn magic_link_paths_with_a_backslash_are_rejected() {
    let emulator = emulator().await;
    let passage = emulator.passage();
    for path in ["/\\evil.example/login", "\\/evil.example", "/a\\b"] {
        rejected_locally(
            &emulator,
            passage
                .create_magic_link(CreateMagicLink::email("ada@example.com").magic_link_path(path))
                .await,
            "magic_link_path",
        );
    }
}

#[tokio::test]
async fn an_empty_redirect_url_is_rejected() {
    let emulator = emulator().await;
    rejected_locally(
        &emulator,
        emulator
            .passage()
            .create_magic_link(CreateMagicLink::email("ada@example.com").redirect_url(""))
            .await,
        "redirect_url",
    );
}

#[tokio::test]
async fn without_an_api_key_every_call_fails_before_sending() {
    let emulator = emulator().await;
    let passage = Passage::builder(emulator.app_id())
        .api_base_url(emulator.api_base_url())
        .build()
        .unwrap();
    let users = passage.user();
    let missing = |result: Result<(), ManagementError>| {
        assert!(
            matches!(result, Err(ManagementError::MissingApiKey)),
            "{result:?}"
        );
    };
    missing(users.get("user").await.map(drop));
    missing(users.get_by_identifier("ada@example.com").await.map(drop));
    missing(
        users
            .create(CreateUser::email("ada@example.com"))
            .await
            .map(drop),
    );
    missing(
        users
            .update("user", UpdateUser::new().email("ada@example.com"))
            .await
            .map(drop),
    );
    missing(users.activate("user").await.map(drop));
    missing(users.deactivate("user").await.map(drop));
    missing(users.delete("user").await);
    missing(users.list_devices("user").await.map(drop));
    missing(users.revoke_device("user", "dev").await);
    missing(users.revoke_refresh_tokens("user").await);
    missing(users.list().send().await.map(drop));
    missing(
        users
            .list()
            .stream()
            .next()
            .await
            .expect("the error is yielded")
            .map(drop),
    );
    missing(passage.app().get().await.map(drop));
    missing(
        passage
            .create_magic_link(CreateMagicLink::email("ada@example.com"))
            .await
            .map(drop),
    );
    assert!(emulator.requests().is_empty());
}
