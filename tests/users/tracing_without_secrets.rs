//! What calls write to `tracing`: a span per call with its operation, status, attempts and
//! duration, and never the API key or a magic link's secret, at any level, from any crate.

use std::io::Write;
use std::sync::{Arc, Mutex};

use http::{Method, StatusCode};
use passage_identity::emulator::Fault;
use passage_identity::{CreateMagicLink, CreateUser};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::common::users::{app_path, emulator, with_quick_retries};

/// Everything written by the subscriber, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Calls of every kind: a success after a retry, creations, a 404, a listing, a magic link.
/// Returns the secrets that must not be logged: the API key and the magic link's secret.
async fn make_calls() -> [String; 2] {
    let emulator = emulator().await;
    let api_key = emulator.api_key().to_owned();
    let passage = with_quick_retries(&emulator, 3);
    emulator.inject_fault(
        Fault::on(Method::GET, &app_path(&emulator, "")).status(StatusCode::SERVICE_UNAVAILABLE),
    );
    passage.app().get().await.unwrap();
    let user = passage
        .user()
        .create(CreateUser::email("ada@example.com"))
        .await
        .unwrap();
    passage.user().get("nobody").await.unwrap_err();
    passage.user().list().limit(5).send().await.unwrap();
    let link = passage
        .create_magic_link(CreateMagicLink::user_id(
            &user.id,
            passage_identity::raw::types::MagicLinkChannel::Email,
        ))
        .await
        .unwrap();
    [api_key, link.secret().to_owned()]
}

/// Runs on one thread (the default test runtime), so the thread's default subscriber sees the
/// client, the HTTP stack and the emulator alike.
#[tokio::test]
async fn calls_are_traced_with_their_outcome_and_never_with_the_api_key() {
    // tracing caches per call site whether anyone listens. While a single dispatcher is
    // registered, the first thread to reach a call site decides for every thread: another
    // test's thread, which has no subscriber, would switch our spans off for good. With a
    // second (silent) dispatcher registered, each thread's own default decides on every call.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let [api_key, link_secret] = make_calls().await;

    let text = captured.text();
    assert!(!text.contains(&api_key), "the API key was logged:\n{text}");
    assert!(
        !text.contains(&link_secret),
        "the magic link's secret was logged:\n{text}"
    );
    // The spans are there, with what happened.
    for expected in [
        "passage.call",
        "operation=\"get_app\"",
        "operation=\"create_user\"",
        "operation=\"get_user\"",
        "operation=\"list_paginated_users\"",
        "operation=\"create_magic_link\"",
        "attempt=2",
        "status=404",
        "status=201",
        "duration_ms=",
        "request_id=",
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
}
