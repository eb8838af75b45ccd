//! The axum extractors pass the cases every framework passes (their own tests are in the `auth`
//! binary).

use std::future::Future;
use std::pin::Pin;

use axum::Router;
use axum::routing::get;
use passage_identity::Passage;
use passage_identity::axum::PassageUser;

use crate::common::auth::serve;

async fn me(PassageUser(user_id): PassageUser) -> String {
    user_id
}

fn start(passage: Passage) -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(serve(
        Router::new().route("/me", get(me)).with_state(passage),
    ))
}

http_cases!(start);
