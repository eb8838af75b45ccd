//! The actix-web extractors and middleware on a real actix-web server on 127.0.0.1.

use std::future::Future;
use std::pin::Pin;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpServer, web};
use passage_identity::Passage;
use passage_identity::actix::{
    AuthRejection, OptionalPassageClaims, OptionalPassageUser, PassageClaims, PassageUser,
    authenticate, authenticate_optional,
};
use reqwest::StatusCode;

use crate::common::auth::*;
use crate::frameworks::cases::assert_rejected;

async fn me(PassageUser(user_id): PassageUser) -> String {
    user_id
}

async fn maybe(OptionalPassageUser(user): OptionalPassageUser) -> String {
    user.map_or("anonymous".to_owned(), |PassageUser(id)| id)
}

async fn maybe_claims(OptionalPassageClaims(claims): OptionalPassageClaims) -> String {
    claims.map_or("anonymous".to_owned(), |PassageClaims(c)| c.sub)
}

async fn claims(PassageClaims(claims): PassageClaims) -> String {
    claims.aud.iter().collect::<Vec<_>>().join(",")
}

async fn custom(user: Result<PassageUser, actix_web::Error>) -> String {
    match user {
        Ok(PassageUser(id)) => id,
        Err(error) => match error.as_error::<AuthRejection>() {
            Some(rejection) => format!("handled {}", rejection.error().code()),
            None => format!("other error: {error}"),
        },
    }
}

async fn by_hand(request: HttpRequest) -> Result<String, actix_web::Error> {
    let passage = request.app_data::<Passage>().expect("configured").clone();
    Ok(passage.authenticate_request(&request).await?)
}

async fn from_middleware(user: web::ReqData<PassageUser>) -> String {
    user.into_inner().0
}

async fn from_optional_middleware(user: Option<web::ReqData<PassageUser>>) -> String {
    user.map_or("anonymous".to_owned(), |user| user.into_inner().0)
}

/// Serves the test app (with the `Passage` in the app data unless `None`) on 127.0.0.1.
async fn serve_actix(passage: Option<Passage>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let app = App::new();
        let app = match &passage {
            Some(passage) => app.app_data(passage.clone()),
            None => app,
        };
        app.route("/me", web::get().to(me))
            .route("/maybe", web::get().to(maybe))
            .route("/maybe-claims", web::get().to(maybe_claims))
            .route("/claims", web::get().to(claims))
            .route("/custom", web::get().to(custom))
            .route("/by-hand", web::get().to(by_hand))
            .service(
                web::scope("/required")
                    .wrap(from_fn(authenticate))
                    .route("/me", web::get().to(from_middleware)),
            )
            .service(
                web::scope("/optional")
                    .wrap(from_fn(authenticate_optional))
                    .route("/me", web::get().to(from_optional_middleware)),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    format!("http://{addr}")
}

fn start(passage: Passage) -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(serve_actix(Some(passage)))
}

http_cases!(start);

async fn app() -> (JwksServer, String) {
    let server = JwksServer::start(&[key_a()]).await;
    let url = serve_actix(Some(server.passage().build().unwrap())).await;
    (server, url)
}

async fn get(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = client().get(url);
    if let Some(token) = token {
        request = request.header("cookie", format!("psg_auth_token={token}"));
    }
    request.send().await.unwrap()
}

async fn text(url: &str, token: Option<&str>) -> (StatusCode, String) {
    let response = get(url, token).await;
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn an_optional_user_is_none_only_without_a_token() {
    let (server, url) = app().await;
    let token = server.token(key_a());
    for path in ["/maybe", "/maybe-claims"] {
        let url = format!("{url}{path}");
        assert_eq!(text(&url, None).await, (StatusCode::OK, "anonymous".into()));
        assert_eq!(
            text(&url, Some(&token)).await,
            (StatusCode::OK, USER_ID.into())
        );
        let bad = get(&url, Some("garbage")).await;
        assert_rejected(
            bad,
            StatusCode::UNAUTHORIZED,
            Some(r#"Bearer realm="passage", error="invalid_token""#),
            "malformed_token",
        )
        .await;
    }
}

#[tokio::test]
async fn the_claims_extractor_gives_all_claims() {
    let (server, url) = app().await;
    let (status, body) = text(&format!("{url}/claims"), Some(&server.token(key_a()))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("{AUTH_ORIGIN},{APP_ID}"));
}

#[tokio::test]
async fn a_handler_can_take_the_rejection_itself() {
    let (_server, url) = app().await;
    let answer = text(&format!("{url}/custom"), None).await;
    assert_eq!(
        answer,
        (StatusCode::OK, "handled missing_credentials".into())
    );
}

#[tokio::test]
async fn authenticate_request_takes_the_actix_request_and_its_error_answers() {
    let (server, url) = app().await;
    let url = format!("{url}/by-hand");
    let token = server.token(key_a());
    assert_eq!(
        text(&url, Some(&token)).await,
        (StatusCode::OK, USER_ID.into())
    );
    let rejected = get(&url, None).await;
    assert_rejected(
        rejected,
        StatusCode::UNAUTHORIZED,
        Some(r#"Bearer realm="passage""#),
        "missing_credentials",
    )
    .await;
}

#[tokio::test]
async fn the_middleware_rejects_or_hands_the_user_to_the_handler() {
    let (server, url) = app().await;
    let url = format!("{url}/required/me");
    let token = server.token(key_a());
    assert_eq!(
        text(&url, Some(&token)).await,
        (StatusCode::OK, USER_ID.into())
    );
    let expired = server.token_with(key_a(), |c| c["exp"] = serde_json::json!(now() - 60));
    assert_rejected(
        get(&url, Some(&expired)).await,
        StatusCode::UNAUTHORIZED,
        Some(r#"Bearer realm="passage", error="invalid_token""#),
        "token_expired",
    )
    .await;
}

#[tokio::test]
async fn the_optional_middleware_lets_everyone_through_and_annotates_the_signed_in() {
    let (server, url) = app().await;
    let url = format!("{url}/optional/me");
    let token = server.token(key_a());
    assert_eq!(
        text(&url, Some(&token)).await,
        (StatusCode::OK, USER_ID.into())
    );
    assert_eq!(
        text(&url, Some("garbage")).await,
        (StatusCode::OK, "anonymous".into())
    );
    assert_eq!(text(&url, None).await, (StatusCode::OK, "anonymous".into()));
}

#[tokio::test]
async fn a_missing_passage_in_the_app_data_is_a_500_not_a_pass() {
    let server = JwksServer::start(&[key_a()]).await;
    let url = serve_actix(None).await;
    let response = get(&format!("{url}/me"), Some(&server.token(key_a()))).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
