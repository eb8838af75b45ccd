//! Many clients at once.

use std::collections::HashSet;

use crate::emulator::support::emulator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_parallel_creates_all_succeed_with_unique_ids() {
    let emulator = emulator().await;
    let creates = (0..200).map(|i| {
        let passage = emulator.passage().clone();
        tokio::spawn(async move {
            passage
                .raw()
                .create_user()
                .app_id(passage.app_id())
                .body_map(|b| b.email(Some(format!("user{i}@example.com"))))
                .send()
                .await
                .map(|r| r.into_inner().user.id)
        })
    });
    let mut ids = HashSet::new();
    for create in creates.collect::<Vec<_>>() {
        let id = create.await.unwrap().expect("every create succeeds");
        assert!(ids.insert(id), "ids are unique");
    }
    assert_eq!(ids.len(), 200);
    let passage = emulator.passage();
    let listed = passage
        .raw()
        .list_paginated_users()
        .app_id(passage.app_id())
        .limit(500u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_users, 200);
    let listed_ids: HashSet<String> = listed.users.into_iter().map(|u| u.id).collect();
    assert_eq!(listed_ids, ids);
}
