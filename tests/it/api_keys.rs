use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::{Connection, Row};

use crate::helpers::TestApp;

#[tokio::test]
async fn keys_are_shown_once_listed_redacted_and_revocable() {
    let app = TestApp::new().await;
    let created = app.post("/v1/api-keys", json!({"name": "Help desk", "kind": "server"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("bt_sk_") && secret.len() >= 6 + 43);
    assert_eq!(created.body["redacted"], format!("bt_sk_…{}", &secret[secret.len() - 4..]));

    let list = app.get("/v1/api-keys").await;
    assert_eq!(list.status, StatusCode::OK);
    let listed = list.body["data"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|k| k.get("secret").is_none()));
    assert!(!list.body.to_string().contains(&secret[6..]));

    let me = app.send(Method::GET, "/v1/me", Some(&secret), None, &[]).await;
    assert_eq!(me.body["api_key_id"], id.as_str());

    assert_eq!(app.delete(&format!("/v1/api-keys/{id}")).await.status, StatusCode::NO_CONTENT);
    app.send(Method::GET, "/v1/me", Some(&secret), None, &[]).await.problem(401, "invalid_api_key");
    app.delete(&format!("/v1/api-keys/{id}")).await.problem(404, "api_key_not_found");
}

#[tokio::test]
async fn only_a_hash_of_the_secret_is_stored() {
    let app = TestApp::new().await;
    let created = app.post("/v1/api-keys", json!({"name": "k", "kind": "client"})).await;
    let secret = created.body["secret"].as_str().unwrap();
    let mut conn = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    let rows = sqlx::query("SELECT secret_hash, secret_hint, name FROM api_keys")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let hashes: Vec<String> = rows.iter().map(|r| r.get::<String, _>("secret_hash")).collect();
    assert!(hashes.contains(&baton::auth::hash_secret(secret)));
    for row in &rows {
        for column in ["secret_hash", "secret_hint", "name"] {
            assert!(!row.get::<String, _>(column).contains(&secret[6..]));
        }
    }
}

#[tokio::test]
async fn client_keys_reach_only_the_widget() {
    let app = TestApp::new().await;
    let created = app.post("/v1/api-keys", json!({"name": "Website", "kind": "client"})).await;
    let secret = created.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("bt_pk_"));
    let me = app.send(Method::GET, "/v1/me", Some(secret), None, &[]).await;
    assert_eq!(me.body["kind"], "client");
    for path in ["/v1/contacts", "/v1/channels", "/v1/api-keys"] {
        app.send(Method::GET, path, Some(secret), None, &[]).await.problem(403, "forbidden_for_key");
    }
    app.admin(Method::GET, "/v1/contacts", None).await.problem(403, "forbidden_for_key");
}

#[tokio::test]
async fn another_workspace_cannot_see_or_revoke_my_keys() {
    let app = TestApp::new().await;
    let (_, other_key) = app.other_workspace().await;
    let mine = app.post("/v1/api-keys", json!({"name": "mine", "kind": "server"})).await;
    let id = mine.body["id"].as_str().unwrap();
    let theirs = app.send(Method::GET, "/v1/api-keys", Some(&other_key), None, &[]).await;
    assert!(!theirs.body.to_string().contains(id));
    app.send(Method::DELETE, &format!("/v1/api-keys/{id}"), Some(&other_key), None, &[])
        .await
        .problem(404, "api_key_not_found");
    let secret = mine.body["secret"].as_str().unwrap();
    assert_eq!(app.send(Method::GET, "/v1/me", Some(secret), None, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn key_input_is_validated() {
    let app = TestApp::new().await;
    let bad = app.post("/v1/api-keys", json!({"name": "", "kind": "root"})).await;
    bad.problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), ["kind"]);
    let empty_name = app.post("/v1/api-keys", json!({"name": "", "kind": "server"})).await;
    assert_eq!(empty_name.error_fields(), ["name"]);
}
