//! Helpers for the user-management tests: emulators, clients with chosen retry policies, and
//! questions about the emulator's request log.

use std::time::Duration;

use http::Method;
use passage_identity::emulator::{Emulator, RecordedRequest};
use passage_identity::{ManagementError, Passage, RetryPolicy};

pub use super::emulator;

/// A client for `emulator` that never retries.
pub fn without_retries(emulator: &Emulator) -> Passage {
    emulator
        .passage_builder()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// A client for `emulator` that retries with tiny waits, so tests stay fast.
pub fn with_quick_retries(emulator: &Emulator, retries: u32) -> Passage {
    emulator
        .passage_builder()
        .retry(quick_retries(retries))
        .build()
        .unwrap()
}

/// Up to `retries` retries with tiny waits, so tests stay fast.
pub fn quick_retries(retries: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(retries)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

/// `/v1/apps/{app_id}` plus `rest`.
pub fn app_path(emulator: &Emulator, rest: &str) -> String {
    format!("/v1/apps/{}{rest}", emulator.app_id())
}

/// The requests with this method and exact path.
pub fn requests_to(emulator: &Emulator, method: Method, path: &str) -> Vec<RecordedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// A query parameter of a recorded request, percent-decoded.
pub fn query_param(request: &RecordedRequest, name: &str) -> Option<String> {
    query_value(request.query.as_deref(), name)
}

/// The parameter `name` of a query string, percent-decoded.
pub fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    let url =
        reqwest::Url::parse(&format!("http://127.0.0.1/?{}", query.unwrap_or_default())).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The field an input error names; panics on any other error.
pub fn invalid_field(error: ManagementError) -> &'static str {
    match error {
        ManagementError::InvalidInput { field, .. } => field,
        other => panic!("expected an input error, got {other:?}"),
    }
}

/// A list endpoint on 127.0.0.1 that answers each page as `answer(page)` says (`page` is the
/// query parameter, 1 when absent), for listings the emulator is too well-behaved to produce.
/// Counts the requests it served; dropping it stops it.
pub struct PagedServer {
    base: String,
    served: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl PagedServer {
    pub async fn start(answer: impl Fn(u64) -> serde_json::Value + Send + Sync + 'static) -> Self {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let served = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(answer);
        let app = {
            let served = served.clone();
            axum::Router::new().fallback(
                move |query: axum::extract::Query<std::collections::HashMap<String, String>>| {
                    let page = query.get("page").map_or(1, |p| p.parse().unwrap());
                    served.fetch_add(1, Ordering::SeqCst);
                    let body = answer(page);
                    async move { axum::Json(body) }
                },
            )
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    rx.await.ok();
                })
                .await
                .unwrap();
        });
        PagedServer {
            base,
            served,
            _shutdown: tx,
        }
    }

    /// A client of this server that never retries.
    pub fn passage(&self) -> Passage {
        Passage::builder("app")
            .api_key("key")
            .api_base_url(&self.base)
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap()
    }

    /// How many requests it answered.
    pub fn served(&self) -> usize {
        self.served.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A list answer: `ids` on page `page` of `limit` users each, `total` in all, with a `next`
/// link or without.
pub fn list_page(ids: &[&str], page: u64, limit: u64, total: u64, next: bool) -> serde_json::Value {
    let users: Vec<_> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id, "email": format!("{id}@example.com"), "email_verified": false,
                "phone": "", "phone_verified": false, "status": "active",
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                "last_login_at": "2024-01-01T00:00:00Z", "login_count": 0,
                "user_metadata": null, "external_id": "",
            })
        })
        .collect();
    let link = |page: u64| serde_json::json!({ "href": format!("/v1/apps/app/users?page={page}") });
    serde_json::json!({
        "users": users,
        "total_users": total,
        "page": page,
        "limit": limit,
        "created_before": 1_700_000_000,
        "_links": {
            "first": link(1),
            "last": link(total.div_ceil(limit.max(1)).max(1)),
            "next": if next { link(page + 1) } else { serde_json::json!({ "href": "" }) },
            "previous": link(page.saturating_sub(1).max(1)),
            "self": link(page),
        },
    })
}
