use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

async fn post_with_key(app: &TestApp, key: &str, body: serde_json::Value) -> crate::helpers::TestResponse {
    app.send(Method::POST, "/v1/contacts", Some(&app.server_key), Some(&body), &[("idempotency-key", key)])
        .await
}

async fn contact_count(app: &TestApp) -> i64 {
    app.get("/v1/contacts?include_total=true").await.body["total"].as_i64().unwrap()
}

#[tokio::test]
async fn a_retry_replays_the_first_response() {
    let app = TestApp::new().await;
    let first = post_with_key(&app, "retry-1", json!({"name": "June"})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.header("idempotent-replayed").is_none());
    let second = post_with_key(&app, "retry-1", json!({"name": "June"})).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(second.body, first.body);
    assert_eq!(contact_count(&app).await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let app = TestApp::new().await;
    post_with_key(&app, "k", json!({"name": "June"})).await;
    post_with_key(&app, "k", json!({"name": "Max"})).await.problem(422, "idempotency_key_reused");
    assert_eq!(contact_count(&app).await, 1);
}

#[tokio::test]
async fn a_retry_while_the_first_runs_gets_409() {
    let app = TestApp::new().await;
    let body = json!({"name": "June"});
    let fingerprint =
        baton::http::idempotency::fingerprint("POST", "/v1/contacts", body.to_string().as_bytes());
    // The first request has claimed the key and not finished (keys are the credential's own).
    let key_id = app.get("/v1/me").await.body["api_key_id"].as_str().unwrap().to_owned();
    let scope = format!("{}/{key_id}", app.workspace_id);
    let claim = app.store.begin_idempotent(&scope, "slow", &fingerprint, app.clock_now(), 60_000).await;
    assert_eq!(claim.unwrap(), baton::store::IdempotencyBegin::Proceed);
    post_with_key(&app, "slow", body.clone()).await.problem(409, "idempotency_key_in_use");
    assert_eq!(contact_count(&app).await, 0);
    // A claim whose request died (older than the request timeout) is taken over.
    app.clock.advance_ms(5 * 60_000);
    assert_eq!(post_with_key(&app, "slow", body).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn concurrent_retries_create_one_contact() {
    let app = TestApp::new().await;
    let attempts = (0..6).map(|_| post_with_key(&app, "burst", json!({"name": "June"})));
    let responses = futures_util::future::join_all(attempts).await;
    let created: Vec<_> = responses.iter().filter(|r| r.status == StatusCode::CREATED).collect();
    assert!(!created.is_empty());
    for response in &responses {
        assert!(
            response.status == StatusCode::CREATED || response.status == StatusCode::CONFLICT,
            "{}: {}",
            response.status,
            response.body
        );
    }
    let ids: std::collections::HashSet<_> = created.iter().map(|r| r.body["id"].clone()).collect();
    assert_eq!(ids.len(), 1, "every success is the same contact");
    assert_eq!(contact_count(&app).await, 1);
}

#[tokio::test]
async fn keys_are_per_credential_and_expire_after_24_hours() {
    let app = TestApp::new().await;
    let (_, other) = app.other_workspace().await;
    post_with_key(&app, "shared", json!({"name": "June"})).await;
    // Another key of the same workspace never receives this key's stored answers.
    let second = app.post("/v1/api-keys", json!({"name": "CRM", "kind": "server"})).await.body;
    let second = second["secret"].as_str().unwrap();
    let same_body = json!({"name": "June"});
    let mine = app
        .send(Method::POST, "/v1/contacts", Some(second), Some(&same_body), &[("idempotency-key", "shared")])
        .await;
    assert_eq!((mine.status, mine.header("idempotent-replayed")), (StatusCode::CREATED, None));
    let theirs = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(&other),
            Some(&json!({"name": "Max"})),
            &[("idempotency-key", "shared")],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "another workspace's key space is its own");

    app.clock.advance_ms(24 * 60 * 60 * 1000 + 1);
    let later = post_with_key(&app, "shared", json!({"name": "Ana"})).await;
    assert_eq!(later.status, StatusCode::CREATED);
    assert!(later.header("idempotent-replayed").is_none());
    assert_eq!(contact_count(&app).await, 3);
    // The other workspace's and the second key's records are past 24 hours now; ours was
    // renewed by the reuse.
    assert_eq!(app.store.purge_idempotency_keys(app.clock_now()).await.unwrap(), 2);
}

#[tokio::test]
async fn errors_are_replayed_and_server_failures_are_not_kept() {
    let app = TestApp::new().await;
    let invalid = post_with_key(&app, "bad", json!({"email": "nope"})).await;
    invalid.problem(422, "validation_failed");
    let again = post_with_key(&app, "bad", json!({"email": "nope"})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    // The replayed body is the first response, word for word (its request_id included).
    assert_eq!(again.body, invalid.body);
    let too_long = "k".repeat(256);
    post_with_key(&app, &too_long, json!({"name": "A"})).await.problem(400, "invalid_header");
    assert_eq!(contact_count(&app).await, 0);
}
