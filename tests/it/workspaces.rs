use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn admin_creates_a_workspace_whose_first_key_works() {
    let app = TestApp::new().await;
    let created = app.admin(Method::POST, "/v1/workspaces", Some(json!({"name": "  Acme Support "}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["object"], "workspace");
    assert_eq!(created.body["name"], "Acme Support");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert!(created.body["id"].as_str().unwrap().starts_with("ws_"));
    let secret = created.body["api_key"]["secret"].as_str().unwrap();
    assert!(secret.starts_with("bt_sk_"));

    let me = app.send(Method::GET, "/v1/me", Some(secret), None, &[]).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["kind"], "server");
    assert_eq!(me.body["workspace"]["id"], created.body["id"]);

    // The secret is never shown again.
    let id = created.body["id"].as_str().unwrap();
    let fetched = app.admin(Method::GET, &format!("/v1/workspaces/{id}"), None).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert!(fetched.body.get("api_key").is_none());
}

#[tokio::test]
async fn workspaces_list_get_patch_and_delete() {
    let app = TestApp::new().await;
    let (id, key) = app.other_workspace().await;

    let list = app.admin(Method::GET, "/v1/workspaces?include_total=true", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["object"], "list");
    assert_eq!(list.body["total"], 2);
    assert_eq!(list.body["data"][0]["id"], id.as_str(), "newest first");

    let path = format!("/v1/workspaces/{id}");
    let stale = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.admin_key),
            Some(&json!({"name": "X"})),
            &[("if-match", "\"7\"")],
        )
        .await;
    stale.problem(412, "precondition_failed");
    let renamed = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.admin_key),
            Some(&json!({"name": "Renamed"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Renamed");
    assert_eq!(renamed.body["version"], 2);
    assert_eq!(renamed.header("etag"), Some("\"2\""));

    // The key is in use (so this node has it at hand) until its workspace goes.
    assert_eq!(app.send(Method::GET, "/v1/me", Some(&key), None, &[]).await.status, StatusCode::OK);
    let deleted = app.admin(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.admin(Method::GET, &path, None).await.problem(404, "workspace_not_found");
    app.admin(Method::DELETE, &path, None).await.problem(404, "workspace_not_found");
    // Its keys went with it.
    app.send(Method::GET, "/v1/me", Some(&key), None, &[]).await.problem(401, "invalid_api_key");
}

#[tokio::test]
async fn only_the_admin_key_manages_workspaces() {
    let app = TestApp::new().await;
    app.send(Method::GET, "/v1/workspaces", None, None, &[]).await.problem(401, "missing_api_key");
    app.get("/v1/workspaces").await.problem(403, "forbidden_for_key");
    let wrong_admin = baton::auth::generate_admin_key();
    app.send(Method::GET, "/v1/workspaces", Some(&wrong_admin), None, &[])
        .await
        .problem(401, "invalid_api_key");
    let me = app.admin(Method::GET, "/v1/me", None).await;
    assert_eq!(me.body["kind"], "admin");
    assert!(me.body["workspace"].is_null());
}

#[tokio::test]
async fn workspace_input_is_validated() {
    let app = TestApp::new().await;
    let empty = app.admin(Method::POST, "/v1/workspaces", Some(json!({"name": " "}))).await;
    empty.problem(422, "validation_failed");
    assert_eq!(empty.error_fields(), ["name"]);
    let missing = app.admin(Method::POST, "/v1/workspaces", Some(json!({}))).await;
    missing.problem(422, "validation_failed");
    assert_eq!(missing.body["errors"][0], json!({"field": "name", "message": "is required"}));
    let list = app.admin(Method::GET, "/v1/workspaces?include_total=true", None).await;
    assert_eq!(list.body["total"], 1, "nothing was created");
}
