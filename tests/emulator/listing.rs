//! Listing users: pages, limits, `created_before`, `order_by`, filters and `_links`.

use std::collections::HashSet;

use passage_identity::emulator::Emulator;
use passage_identity::enums::SocialConnectionType;
use passage_identity::raw::types;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::emulator::support::{app_path, call, create_user, emulator};

/// Lists with a raw query string (`limit=5&page=2`...), expecting success.
async fn list(emulator: &Emulator, query: &str) -> types::ListUsersResponse {
    let path = format!("{}/users?{query}", app_path(emulator));
    let reply = call(emulator, Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
    serde_json::from_str(&reply.text).unwrap()
}

/// The emails of a page, in order.
fn emails(page: &types::ListUsersResponse) -> Vec<&str> {
    page.users.iter().map(|u| u.email.as_str()).collect()
}

/// Seeds users `u0@example.com`... directly, in order, and returns their ids.
fn seed(emulator: &Emulator, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            emulator
                .create_user_directly(Some(&format!("u{i}@example.com")), None)
                .unwrap()
                .id
        })
        .collect()
}

#[tokio::test]
async fn a_listing_without_parameters_is_page_1_of_20_newest_first() {
    let emulator = emulator().await;
    seed(&emulator, 25);
    let passage = emulator.passage();
    let page = passage
        .raw()
        .list_paginated_users()
        .app_id(passage.app_id())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page.page, page.limit, page.total_users), (1, 20, 25));
    assert_eq!(page.users.len(), 20);
    let created: Vec<_> = page.users.iter().map(|u| u.created_at).collect();
    let mut newest_first = created.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, newest_first);
}

#[tokio::test]
async fn the_default_anchor_is_just_after_now_and_is_echoed() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    let page = list(&emulator, "").await;
    assert!(page.created_before > user.created_at.timestamp());
    assert!(page.created_before <= chrono::Utc::now().timestamp() + 2);
    let again = list(
        &emulator,
        &format!("created_before={}", page.created_before),
    )
    .await;
    assert_eq!(again.created_before, page.created_before);
}

#[tokio::test]
async fn a_user_created_right_after_a_listing_shows_in_the_next_listing() {
    let emulator = emulator().await;
    create_user(&emulator, "first@example.com").await;
    let before = list(&emulator, "").await;
    create_user(&emulator, "second@example.com").await;
    let after = list(&emulator, "").await;
    assert_eq!(before.total_users, 1);
    assert_eq!(after.total_users, 2);
    assert!(after.created_before >= before.created_before);
}

#[tokio::test]
async fn users_created_after_the_anchor_are_left_out() {
    let emulator = emulator().await;
    create_user(&emulator, "before@example.com").await;
    let anchor = list(&emulator, "").await.created_before;
    create_user(&emulator, "after@example.com").await;
    let anchored = list(&emulator, &format!("created_before={anchor}")).await;
    assert_eq!(emails(&anchored), ["before@example.com"]);
    assert_eq!(anchored.total_users, 1);
    assert_eq!(list(&emulator, "created_before=1").await.total_users, 0);
}

#[tokio::test]
async fn pages_cover_every_user_once() {
    let emulator = emulator().await;
    let ids: HashSet<String> = seed(&emulator, 23).into_iter().collect();
    let mut seen = Vec::new();
    let first = list(&emulator, "limit=5").await;
    let anchor = first.created_before;
    seen.extend(first.users.iter().map(|u| u.id.clone()));
    for page in 2..=5 {
        let next = list(
            &emulator,
            &format!("limit=5&page={page}&created_before={anchor}"),
        )
        .await;
        seen.extend(next.users.iter().map(|u| u.id.clone()));
    }
    assert_eq!(seen.len(), 23);
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), ids);
    assert!(list(&emulator, "limit=5&page=6").await.users.is_empty());
}

#[tokio::test]
async fn pages_stay_stable_while_users_are_created_between_them() {
    let emulator = emulator().await;
    let ids: HashSet<String> = seed(&emulator, 30).into_iter().collect();
    let first = list(&emulator, "limit=7").await;
    let anchor = first.created_before;
    let mut seen: Vec<String> = first.users.iter().map(|u| u.id.clone()).collect();
    let mut page = 2;
    loop {
        // New users arrive between every two pages (most within the anchor's second).
        for i in 0..3 {
            create_user(&emulator, &format!("new{page}_{i}@example.com")).await;
        }
        let next = list(
            &emulator,
            &format!("limit=7&page={page}&created_before={anchor}"),
        )
        .await;
        assert_eq!(next.total_users, 30, "the total is the anchored one");
        seen.extend(next.users.iter().map(|u| u.id.clone()));
        if next.links.next.href.is_empty() {
            break;
        }
        page += 1;
    }
    assert_eq!(seen.len(), 30, "no duplicates");
    assert_eq!(
        seen.into_iter().collect::<HashSet<_>>(),
        ids,
        "none missing"
    );
    assert_eq!(
        list(&emulator, "limit=1").await.total_users,
        30 + 3 * (page - 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_stay_stable_while_users_are_created_concurrently() {
    let emulator = emulator().await;
    let ids: HashSet<String> = seed(&emulator, 40).into_iter().collect();
    let first = list(&emulator, "limit=9").await;
    let anchor = first.created_before;
    let writer = {
        let passage = emulator.passage().clone();
        tokio::spawn(async move {
            for i in 0..40 {
                passage
                    .raw()
                    .create_user()
                    .app_id(passage.app_id())
                    .body_map(|b| b.email(Some(format!("concurrent{i}@example.com"))))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let mut seen: Vec<String> = first.users.iter().map(|u| u.id.clone()).collect();
    for page in 2..=5 {
        let next = list(
            &emulator,
            &format!("limit=9&page={page}&created_before={anchor}"),
        )
        .await;
        assert_eq!(next.total_users, 40);
        seen.extend(next.users.iter().map(|u| u.id.clone()));
    }
    writer.await.unwrap();
    assert_eq!(seen.len(), 40, "no duplicates");
    assert_eq!(
        seen.into_iter().collect::<HashSet<_>>(),
        ids,
        "none missing"
    );
    assert_eq!(list(&emulator, "").await.total_users, 80);
}

#[tokio::test]
async fn links_are_relative_and_carry_the_query() {
    let emulator = emulator().await;
    seed(&emulator, 12);
    let page = list(
        &emulator,
        "limit=5&page=2&identifier=like:%25example%25&order_by=email:ASC",
    )
    .await;
    let anchor = page.created_before;
    let users = format!("{}/users", app_path(&emulator));
    let tail = "&order_by=email%3AASC&identifier=like%3A%25example%25";
    let href = |p: i64| format!("{users}?page={p}&limit=5&created_before={anchor}{tail}");
    assert_eq!(page.links.self_.href, href(2));
    assert_eq!(page.links.first.href, href(1));
    assert_eq!(page.links.previous.href, href(1));
    assert_eq!(page.links.next.href, href(3));
    assert_eq!(page.links.last.href, href(3));
    let followed = list(&emulator, page.links.next.href.split_once('?').unwrap().1).await;
    assert_eq!(followed.page, 3);
    assert_eq!(followed.users.len(), 2);
}

#[tokio::test]
async fn the_first_page_has_no_previous_and_the_last_no_next() {
    let emulator = emulator().await;
    seed(&emulator, 3);
    let only = list(&emulator, "limit=5").await;
    assert_eq!(only.links.previous.href, "");
    assert_eq!(only.links.next.href, "");
    assert_eq!(only.links.first.href, only.links.last.href);
}

#[tokio::test]
async fn a_limit_of_500_is_accepted() {
    let emulator = emulator().await;
    seed(&emulator, 3);
    assert_eq!(list(&emulator, "limit=500").await.limit, 500);
}

#[tokio::test]
async fn order_by_sorts_by_the_fields_given() {
    let emulator = emulator().await;
    let ids = seed(&emulator, 3);
    emulator.record_login(&ids[0]).unwrap();
    emulator.record_login(&ids[0]).unwrap();
    emulator.record_login(&ids[2]).unwrap();
    let by_email = list(&emulator, "order_by=email:ASC").await;
    assert_eq!(
        emails(&by_email),
        ["u0@example.com", "u1@example.com", "u2@example.com"]
    );
    let by_email_desc = list(&emulator, "order_by=email:DESC").await;
    assert_eq!(
        emails(&by_email_desc),
        ["u2@example.com", "u1@example.com", "u0@example.com"]
    );
    let by_logins = list(&emulator, "order_by=login_count:DESC,email:ASC").await;
    assert_eq!(
        emails(&by_logins),
        ["u0@example.com", "u2@example.com", "u1@example.com"]
    );
}

#[tokio::test]
async fn order_by_an_unknown_field_or_direction_is_invalid_request() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    for order in ["identifier:ASC", "email:SIDEWAYS", "email"] {
        let reply = call(
            &emulator,
            Method::GET,
            &format!("{users}?order_by={order}"),
            None,
        )
        .await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn identifier_matches_email_or_phone_case_insensitively() {
    let emulator = emulator().await;
    let by_email = emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    let by_phone = emulator
        .create_user_directly(None, Some("+15551234567"))
        .unwrap();
    emulator
        .create_user_directly(Some("bob@example.org"), None)
        .unwrap();
    let passage = emulator.passage();
    let found = passage
        .raw()
        .list_paginated_users()
        .app_id(passage.app_id())
        .limit(1u64)
        .identifier("ADA@example.com")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.users[0].id, by_email.id);
    let found = passage
        .raw()
        .list_paginated_users()
        .app_id(passage.app_id())
        .identifier("+15551234567")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.users.len(), 1);
    assert_eq!(found.users[0].id, by_phone.id);
}

#[tokio::test]
async fn text_operators_filter_identifiers_and_ids() {
    let emulator = emulator().await;
    emulator
        .create_user_directly(Some("ada@example.com"), None)
        .unwrap();
    emulator
        .create_user_directly(Some("alan@example.com"), None)
        .unwrap();
    let bob = emulator
        .create_user_directly(Some("bob@example.org"), None)
        .unwrap();
    // A phone-only user lists with an empty email, first in email order.
    emulator
        .create_user_directly(None, Some("+15550000000"))
        .unwrap();
    let by_email = |query: &str| {
        let emulator = &emulator;
        let query = format!("{query}&order_by=email:ASC");
        async move {
            let page = list(emulator, &query).await;
            page.users.into_iter().map(|u| u.email).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        by_email("identifier=like:example.com").await,
        ["ada@example.com", "alan@example.com"]
    );
    assert_eq!(
        by_email("identifier=like:a%25@%25").await,
        ["ada@example.com", "alan@example.com"]
    );
    assert_eq!(by_email("identifier=like:%2B1555").await, [""]);
    assert_eq!(
        by_email("identifier=not_like:%25.com").await,
        ["", "bob@example.org"]
    );
    assert_eq!(
        by_email("identifier=ne:ada@example.com").await,
        ["", "alan@example.com", "bob@example.org"]
    );
    assert_eq!(by_email("identifier=gt:b").await, ["bob@example.org"]);
    // '+' sorts before letters, so the phone is "less than" too.
    assert_eq!(
        by_email("identifier=lt:alan@example.com").await,
        ["", "ada@example.com"]
    );
    assert_eq!(
        by_email(&format!("id={}", bob.id)).await,
        ["bob@example.org"]
    );
    assert_eq!(by_email(&format!("id=ne:{}", bob.id)).await.len(), 3);
    let prefix = &bob.id[..12];
    assert_eq!(
        by_email(&format!("id=like:{prefix}%25")).await,
        ["bob@example.org"]
    );
}

#[tokio::test]
async fn status_filters_by_status() {
    let emulator = emulator().await;
    let ids = seed(&emulator, 3);
    let passage = emulator.passage();
    passage
        .raw()
        .deactivate_user()
        .app_id(passage.app_id())
        .user_id(&ids[1])
        .send()
        .await
        .unwrap();
    assert_eq!(
        emails(&list(&emulator, "status=inactive").await),
        ["u1@example.com"]
    );
    assert_eq!(list(&emulator, "status=ne:inactive").await.total_users, 2);
    assert_eq!(list(&emulator, "status=active").await.total_users, 2);
    assert_eq!(list(&emulator, "status=like:act").await.total_users, 3);
}

#[tokio::test]
async fn login_count_filters_with_comparisons() {
    let emulator = emulator().await;
    let ids = seed(&emulator, 3);
    for _ in 0..3 {
        emulator.record_login(&ids[0]).unwrap();
    }
    emulator.record_login(&ids[1]).unwrap();
    assert_eq!(
        emails(&list(&emulator, "login_count=gt:1").await),
        ["u0@example.com"]
    );
    assert_eq!(
        emails(&list(&emulator, "login_count=lt:1").await),
        ["u2@example.com"]
    );
    assert_eq!(
        emails(&list(&emulator, "login_count=1").await),
        ["u1@example.com"]
    );
    assert_eq!(list(&emulator, "login_count=ne:3").await.total_users, 2);
}

#[tokio::test]
async fn timestamps_filter_with_comparisons() {
    let emulator = emulator().await;
    let ids = seed(&emulator, 3);
    let middle = emulator.user(&ids[1]).unwrap();
    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let created = at(middle.created_at);
    let same = list(&emulator, &format!("created_at={created}")).await;
    assert!(emails(&same).contains(&"u1@example.com"));
    assert!(same.users.iter().all(|u| u.created_at == middle.created_at));
    let newer = list(&emulator, &format!("created_at=gt:{created}")).await;
    assert!(newer.users.iter().all(|u| u.created_at > middle.created_at));
    let older = list(&emulator, &format!("created_at=lt:{created}")).await;
    assert!(older.users.iter().all(|u| u.created_at < middle.created_at));
    assert_eq!(same.total_users + newer.total_users + older.total_users, 3);
    let not_same = list(&emulator, &format!("created_at=ne:{created}")).await;
    assert_eq!(not_same.total_users, 3 - same.total_users);

    let newest = emulator.user(&ids[2]).unwrap();
    emulator
        .update_user_directly(&ids[0], Some("renamed@example.com"), None, None)
        .unwrap();
    let since = list(
        &emulator,
        &format!("updated_at=gt:{}", at(newest.updated_at)),
    )
    .await;
    assert_eq!(emails(&since), ["renamed@example.com"]);

    emulator.record_login(&ids[2]).unwrap();
    let logged_in = list(&emulator, "last_login_at=gt:2000-01-01T00:00:00.000000Z").await;
    assert_eq!(emails(&logged_in), ["u2@example.com"]);
}

#[tokio::test]
async fn filters_with_bad_values_are_invalid_request() {
    let emulator = emulator().await;
    let users = format!("{}/users", app_path(&emulator));
    for query in [
        "login_count=many",
        "login_count=like:1",
        "created_at=yesterday",
        "updated_at=like:2024",
        "last_login_at=gt:soon",
        "status=asleep",
    ] {
        let reply = call(&emulator, Method::GET, &format!("{users}?{query}"), None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn list_items_are_the_short_user_form() {
    let emulator = emulator().await;
    let user = create_user(&emulator, "ada@example.com").await;
    emulator
        .set_social_connection(
            &user.id,
            SocialConnectionType::Github,
            "1",
            "ada@example.com",
        )
        .unwrap();
    let reply = call(
        &emulator,
        Method::GET,
        &format!("{}/users", app_path(&emulator)),
        None,
    )
    .await;
    let body: Value = reply.json();
    let item = body["users"][0].as_object().unwrap();
    assert!(!item.contains_key("webauthn_devices"));
    assert!(!item.contains_key("recent_events"));
    assert!(!item.contains_key("social_connections"));
    assert!(item["user_metadata"].is_null());
    assert!(body["_links"]["self"]["href"].is_string());
}
