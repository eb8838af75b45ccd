//! `passage.user().list()`: one page, filters and order, and the stream across all pages.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use http::{Method, StatusCode};
use passage_identity::emulator::{Emulator, Fault};
use passage_identity::enums::UserStatus;
use passage_identity::{
    CreateUser, ManagementError,
    users::{Filter, SortField, SortOrder},
};

use crate::common::users::{
    PagedServer, app_path, emulator, list_page, query_param, requests_to, without_retries,
};

/// Creates `n` users `user{i}@example.com` without HTTP; returns their ids.
fn seed(emulator: &Emulator, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            emulator
                .create_user_directly(Some(&format!("user{i}@example.com")), None)
                .unwrap()
                .id
        })
        .collect()
}

fn list_requests(emulator: &Emulator) -> Vec<passage_identity::emulator::RecordedRequest> {
    requests_to(emulator, Method::GET, &app_path(emulator, "/users"))
}

#[tokio::test]
async fn send_returns_one_page_and_the_anchor_it_used() {
    let emulator = emulator().await;
    seed(&emulator, 5);
    let page = emulator
        .passage()
        .user()
        .list()
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.users.len(), 2);
    assert_eq!(page.total_users, 5);
    assert_eq!(page.page, 1);
    assert!(page.created_before > 0);
}

#[tokio::test]
async fn page_fetches_the_page_asked_for() {
    let emulator = emulator().await;
    seed(&emulator, 5);
    let users = emulator.passage().user();
    let first = users.list().limit(2).send().await.unwrap();
    let third = users
        .list()
        .limit(2)
        .page(3)
        .created_before(first.created_before)
        .send()
        .await
        .unwrap();
    assert_eq!(third.page, 3);
    assert_eq!(third.users.len(), 1);
    assert!(!first.users.iter().any(|u| u.id == third.users[0].id));
}

#[tokio::test]
async fn filters_and_order_are_sent_with_their_operators() {
    let emulator = emulator().await;
    let since = chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
        .unwrap()
        .to_utc();
    emulator
        .passage()
        .user()
        .list()
        .identifier(Filter::not_like("%@spam.example"))
        .id(Filter::is_not("u0"))
        .status(Filter::is_not(UserStatus::Pending))
        .login_count(Filter::gt(2))
        .created_at(Filter::gt(since))
        .updated_at(Filter::lt(since))
        .last_login_at(Filter::is(since))
        .order_by(SortField::Email, SortOrder::Asc)
        .order_by(SortField::CreatedAt, SortOrder::Desc)
        .send()
        .await
        .unwrap();
    let sent = &list_requests(&emulator)[0];
    let param = |name| query_param(sent, name);
    assert_eq!(
        param("identifier").as_deref(),
        Some("not_like:%@spam.example")
    );
    assert_eq!(param("id").as_deref(), Some("ne:u0"));
    assert_eq!(param("status").as_deref(), Some("ne:pending"));
    assert_eq!(param("login_count").as_deref(), Some("gt:2"));
    assert_eq!(
        param("created_at").as_deref(),
        Some("gt:2024-01-02T03:04:05.000000Z")
    );
    assert_eq!(
        param("updated_at").as_deref(),
        Some("lt:2024-01-02T03:04:05.000000Z")
    );
    assert_eq!(
        param("last_login_at").as_deref(),
        Some("2024-01-02T03:04:05.000000Z")
    );
    assert_eq!(
        param("order_by").as_deref(),
        Some("email:ASC,created_at:DESC")
    );
}

#[tokio::test]
async fn a_status_filter_lists_only_matching_users() {
    let emulator = emulator().await;
    let ids = seed(&emulator, 4);
    let users = emulator.passage().user();
    users.deactivate(&ids[1]).await.unwrap();
    let page = users
        .list()
        .status(UserStatus::Inactive)
        .send()
        .await
        .unwrap();
    let found: Vec<_> = page.users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(found, [ids[1].as_str()]);
}

#[tokio::test]
async fn a_login_count_filter_compares_numbers() {
    let emulator = emulator().await;
    let ids = seed(&emulator, 3);
    emulator.record_login(&ids[2]).unwrap();
    emulator.record_login(&ids[2]).unwrap();
    let page = emulator
        .passage()
        .user()
        .list()
        .login_count(Filter::gt(1))
        .send()
        .await
        .unwrap();
    assert_eq!(page.users.len(), 1);
    assert_eq!(page.users[0].id, ids[2]);
}

#[tokio::test]
async fn an_identifier_pattern_matches_emails() {
    let emulator = emulator().await;
    seed(&emulator, 3);
    emulator
        .create_user_directly(Some("staff@corp.example"), None)
        .unwrap();
    let page = emulator
        .passage()
        .user()
        .list()
        .identifier(Filter::like("%@corp.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.users.len(), 1);
    assert_eq!(page.users[0].email, "staff@corp.example");
}

#[tokio::test]
async fn order_by_sorts_the_page() {
    let emulator = emulator().await;
    for email in ["c@example.com", "a@example.com", "b@example.com"] {
        emulator.create_user_directly(Some(email), None).unwrap();
    }
    let page = emulator
        .passage()
        .user()
        .list()
        .order_by(SortField::Email, SortOrder::Asc)
        .send()
        .await
        .unwrap();
    let emails: Vec<_> = page.users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["a@example.com", "b@example.com", "c@example.com"]);
}

#[tokio::test]
async fn the_stream_of_an_app_without_users_is_empty() {
    let emulator = emulator().await;
    let users: Vec<_> = emulator
        .passage()
        .user()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(users.is_empty());
    assert_eq!(list_requests(&emulator).len(), 1);
}

#[tokio::test]
async fn the_stream_sends_the_first_pages_anchor_with_every_later_page() {
    let emulator = emulator().await;
    seed(&emulator, 25);
    let users: Vec<_> = emulator
        .passage()
        .user()
        .list()
        .limit(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 25);
    let sent = list_requests(&emulator);
    assert_eq!(sent.len(), 3);
    assert_eq!(query_param(&sent[0], "created_before"), None);
    let anchor = query_param(&sent[1], "created_before").expect("page 2 is anchored");
    assert_eq!(query_param(&sent[2], "created_before"), Some(anchor));
    let pages: Vec<_> = sent.iter().map(|r| query_param(r, "page")).collect();
    assert_eq!(pages, [None, Some("2".into()), Some("3".into())]);
}

#[tokio::test]
async fn the_stream_fetches_a_page_only_when_it_is_needed() {
    let emulator = emulator().await;
    seed(&emulator, 30);
    let first_15: Vec<_> = emulator
        .passage()
        .user()
        .list()
        .limit(10)
        .stream()
        .take(15)
        .collect()
        .await;
    assert_eq!(first_15.len(), 15);
    assert_eq!(list_requests(&emulator).len(), 2);
}

#[tokio::test]
async fn the_stream_ends_after_yielding_an_error() {
    let emulator = emulator().await;
    seed(&emulator, 15);
    let passage = without_retries(&emulator);
    let mut stream = passage.user().list().limit(10).stream();
    assert!(stream.next().await.unwrap().is_ok());
    // Page 1 is in memory; page 2 will fail.
    emulator.inject_fault(
        Fault::on(Method::GET, &app_path(&emulator, "/users"))
            .status(StatusCode::SERVICE_UNAVAILABLE),
    );
    for _ in 1..10 {
        assert!(stream.next().await.unwrap().is_ok());
    }
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(stream.next().await.is_none());
}

/// 1,050 users across 11 pages while another task keeps creating users through the API: every
/// user that existed before the stream is listed exactly once, and none created during it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_lists_every_existing_user_once_while_users_are_being_created() {
    const EXISTING: usize = 1_050;
    const PAGE: u32 = 100;
    let emulator = emulator().await;
    let existing: HashSet<String> = seed(&emulator, EXISTING).into_iter().collect();

    // Once the first page is in (its anchor fixed), the inserter creates users until told to
    // stop, publishing how many it made.
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let (made_tx, mut made_rx) = tokio::sync::watch::channel(0usize);
    let stop = Arc::new(AtomicBool::new(false));
    let inserter = {
        let passage = emulator.passage().clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut made = Vec::new();
            if go_rx.await.is_err() {
                return Ok(made);
            }
            while !stop.load(Ordering::Relaxed) && made.len() < 1_000 {
                let email = format!("new{}@example.com", made.len());
                let user = passage.user().create(CreateUser::email(email)).await?;
                made.push(user.id);
                made_tx.send_replace(made.len());
            }
            Ok::<_, passage_identity::ManagementError>(made)
        })
    };

    let mut seen = HashSet::new();
    let mut duplicates = Vec::new();
    let mut stream = emulator.passage().user().list().limit(PAGE).stream();
    let mut index = 0usize;
    let mut go = Some(go_tx);
    while let Some(user) = stream.next().await {
        let user = user.unwrap();
        if !seen.insert(user.id.clone()) {
            duplicates.push(user.id);
        }
        if let Some(go) = go.take() {
            go.send(()).unwrap();
        }
        index += 1;
        if index % PAGE as usize == PAGE as usize / 2 {
            // Mid-page: make sure more users were created before the next page is fetched.
            let target = *made_rx.borrow() + 2;
            tokio::time::timeout(Duration::from_secs(30), made_rx.wait_for(|n| *n >= target))
                .await
                .expect("the inserter makes progress")
                .expect("the inserter is alive");
        }
    }
    stop.store(true, Ordering::Relaxed);
    let created_during = inserter.await.unwrap().unwrap();

    assert!(duplicates.is_empty(), "listed twice: {duplicates:?}");
    let missing: Vec<_> = existing.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "{} existing users missing",
        missing.len()
    );
    assert!(
        created_during.len() >= 20,
        "only {} created",
        created_during.len()
    );
    let listed_new: Vec<_> = created_during
        .iter()
        .filter(|id| seen.contains(*id))
        .collect();
    assert!(
        listed_new.is_empty(),
        "users created after the anchor were listed: {listed_new:?}"
    );
    assert_eq!(seen.len(), EXISTING);
    assert_eq!(list_requests(&emulator).len(), 11);
}

/// A server that answers page 1 to every request, full and with a `next` link, would keep the
/// stream yielding the same users forever.
#[tokio::test]
async fn the_stream_ends_with_an_error_when_the_server_answers_another_page_than_asked() {
    let server = PagedServer::start(|_| list_page(&["u1", "u2"], 1, 2, 10, true)).await;
    let passage = server.passage();
    let items: Vec<_> = passage.user().list().stream().take(20).collect().await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items[..2].iter().all(Result::is_ok));
    let error = items[2].as_ref().unwrap_err();
    assert!(
        matches!(error, ManagementError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert_eq!(server.served(), 2);
}

/// Only the `next` link (or an empty page) ends the listing: a page shorter than the limit
/// that still links to a next one is followed, not taken as the last.
#[tokio::test]
async fn a_short_page_with_a_next_link_does_not_end_the_stream() {
    let server = PagedServer::start(|page| match page {
        1 => list_page(&["u1", "u2"], 1, 3, 4, true),
        _ => list_page(&["u3", "u4"], 2, 3, 4, false),
    })
    .await;
    let passage = server.passage();
    let ids: Vec<String> = passage
        .user()
        .list()
        .stream()
        .map_ok(|u| u.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["u1", "u2", "u3", "u4"]);
}

#[tokio::test]
async fn an_empty_page_ends_the_stream_even_with_a_next_link() {
    let server = PagedServer::start(|page| match page {
        1 => list_page(&["u1"], 1, 1, 2, true),
        _ => list_page(&[], page, 1, 2, true),
    })
    .await;
    let passage = server.passage();
    let users: Vec<_> = passage.user().list().stream().try_collect().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(server.served(), 2);
}
