//! Members, sign-in, member tokens and their roles, teams.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};

async fn member(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v1/members", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

/// Signs in and returns the member token.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let response = login(app, json!({"email": email, "password": password})).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.body["token"].as_str().unwrap().to_owned()
}

async fn login(app: &TestApp, body: Value) -> TestResponse {
    app.send(Method::POST, "/v1/auth/login", None, Some(&body), &[]).await
}

async fn as_token(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    app.send(method, path, Some(token), body.as_ref(), &[]).await
}

#[tokio::test]
async fn members_are_managed_with_unique_emails_and_hidden_passwords() {
    let app = TestApp::new().await;
    let ana = member(
        &app,
        json!({"name": "Ana Lima", "email": "Ana@Example.com", "role": "admin", "password": "correct horse"}),
    )
    .await;
    assert_eq!(ana["object"], "member");
    assert!(ana["id"].as_str().unwrap().starts_with("mem_"));
    assert_eq!((ana["role"].as_str(), ana["has_password"].as_bool()), (Some("admin"), Some(true)));
    assert!(!ana.to_string().contains("correct horse") && !ana.to_string().contains("argon2"));

    app.post("/v1/members", json!({"name": "Other Ana", "email": "ana@example.com", "role": "agent"}))
        .await
        .problem(409, "member_email_taken");
    let bad = app
        .post("/v1/members", json!({"name": "", "email": "nope", "role": "boss", "password": "short"}))
        .await;
    bad.problem(422, "validation_failed");
    let bad = app
        .post("/v1/members", json!({"name": "", "email": "nope", "role": "agent", "password": "short"}))
        .await;
    assert_eq!(bad.error_fields(), ["name", "email", "password"]);

    let id = ana["id"].as_str().unwrap();
    let path = format!("/v1/members/{id}");
    let renamed = app.patch(&path, json!({"name": "Ana L.", "role": "agent"})).await;
    assert_eq!((renamed.body["name"].as_str(), renamed.body["version"].as_i64()), (Some("Ana L."), Some(2)));
    assert_eq!(renamed.body["role"], "agent");
    let list = app.get("/v1/members?role=agent").await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/v1/members?role=admin").await.body["data"], json!([]));

    let (_, other_key) = app.other_workspace().await;
    as_token(&app, &other_key, Method::GET, &path, None).await.problem(404, "member_not_found");
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    app.get(&path).await.problem(404, "member_not_found");
}

#[tokio::test]
async fn members_sign_in_act_as_themselves_and_sign_out() {
    let app = TestApp::new().await;
    let ana = member(
        &app,
        json!({"name": "Ana", "email": "ana@example.com", "role": "agent", "password": "correct horse"}),
    )
    .await;
    login(&app, json!({"email": "ana@example.com", "password": "wrong horse"}))
        .await
        .problem(401, "invalid_credentials");
    login(&app, json!({"email": "nobody@example.com", "password": "correct horse"}))
        .await
        .problem(401, "invalid_credentials");

    let signed_in = login(&app, json!({"email": "ANA@example.com", "password": "correct horse"})).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert_eq!(signed_in.body["member"]["id"], ana["id"]);
    assert_eq!(signed_in.body["workspace_id"], app.workspace_id.as_str());
    let token = signed_in.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("bt_mt_"));

    let me = as_token(&app, &token, Method::GET, "/v1/me", None).await;
    assert_eq!(me.body["kind"], "member");
    assert_eq!(me.body["member"]["id"], ana["id"]);

    // What the member does is recorded as theirs.
    let conversation = app.post("/v1/conversations", json!({"contact": {"email": "june@example.com"}})).await;
    let notes = format!("/v1/conversations/{}/notes", conversation.body["id"].as_str().unwrap());
    let note = as_token(&app, &token, Method::POST, &notes, Some(json!({"body": "Called her back"}))).await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    let log = app.get("/v1/events?type=note.created").await;
    assert_eq!(log.body["data"][0]["actor"], json!({"type": "member", "id": ana["id"]}));

    assert_eq!(
        as_token(&app, &token, Method::POST, "/v1/auth/logout", None).await.status,
        StatusCode::NO_CONTENT
    );
    as_token(&app, &token, Method::GET, "/v1/me", None).await.problem(401, "invalid_api_key");
    app.send(Method::POST, "/v1/auth/logout", Some(&app.server_key), None, &[])
        .await
        .problem(403, "forbidden_for_key");
}

#[tokio::test]
async fn an_agent_works_conversations_and_only_reads_the_rest() {
    let app = TestApp::new().await;
    member(
        &app,
        json!({"name": "Ana", "email": "ana@example.com", "role": "agent", "password": "correct horse"}),
    )
    .await;
    member(
        &app,
        json!({"name": "Bo", "email": "bo@example.com", "role": "admin", "password": "correct horse"}),
    )
    .await;
    let agent = sign_in(&app, "ana@example.com", "correct horse").await;
    let admin = sign_in(&app, "bo@example.com", "correct horse").await;

    let created = as_token(
        &app,
        &agent,
        Method::POST,
        "/v1/conversations",
        Some(json!({"contact": {"email": "june@example.com"}})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(as_token(&app, &agent, Method::GET, "/v1/contacts", None).await.status, StatusCode::OK);
    assert_eq!(as_token(&app, &agent, Method::GET, "/v1/members", None).await.status, StatusCode::OK);
    for (path, body) in [
        ("/v1/api-keys", json!({"name": "k", "kind": "server"})),
        ("/v1/members", json!({"name": "Cy", "email": "cy@example.com", "role": "admin"})),
        ("/v1/contacts", json!({"name": "June"})),
        ("/v1/teams", json!({"name": "Billing"})),
        ("/v1/channels", json!({"type": "api", "name": "API"})),
    ] {
        as_token(&app, &agent, Method::POST, path, Some(body.clone()))
            .await
            .problem(403, "forbidden_for_role");
        let by_admin = as_token(&app, &admin, Method::POST, path, Some(body)).await;
        assert_eq!(by_admin.status, StatusCode::CREATED, "{path}: {}", by_admin.body);
    }
    as_token(&app, &agent, Method::GET, "/v1/api-keys", None).await.problem(403, "forbidden_for_role");
}

#[tokio::test]
async fn teams_hold_members_of_their_workspace() {
    let app = TestApp::new().await;
    let ana = member(&app, json!({"name": "Ana", "email": "ana@example.com", "role": "agent"})).await;
    let bo = member(&app, json!({"name": "Bo", "email": "bo@example.com", "role": "agent"})).await;
    let (ana, bo) = (ana["id"].as_str().unwrap(), bo["id"].as_str().unwrap());

    let team = app.post("/v1/teams", json!({"name": "Billing", "member_ids": [bo, ana, ana]})).await;
    assert_eq!(team.status, StatusCode::CREATED, "{}", team.body);
    let mut expected = vec![ana, bo];
    expected.sort();
    assert_eq!(team.body["member_ids"], json!(expected));
    app.post("/v1/teams", json!({"name": "billing"})).await.problem(409, "team_name_taken");
    let unknown = app.post("/v1/teams", json!({"name": "Sales", "member_ids": ["mem_nobody"]})).await;
    assert_eq!(unknown.error_fields(), ["member_ids"]);

    let path = format!("/v1/teams/{}", team.body["id"].as_str().unwrap());
    let patched = app.patch(&path, json!({"member_ids": [ana]})).await;
    assert_eq!(patched.body["member_ids"], json!([ana]));
    // A deleted member leaves their teams.
    app.delete(&format!("/v1/members/{ana}")).await;
    assert_eq!(app.get(&path).await.body["member_ids"], json!([]));
    assert_eq!(app.get("/v1/teams").await.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    app.get(&path).await.problem(404, "team_not_found");
}

#[tokio::test]
async fn member_tokens_expire_after_thirty_days() {
    let app = TestApp::new().await;
    member(
        &app,
        json!({"name": "Ana", "email": "ana@example.com", "role": "agent", "password": "correct horse"}),
    )
    .await;
    let token = sign_in(&app, "ana@example.com", "correct horse").await;
    app.clock.advance_ms(30 * 24 * 60 * 60 * 1000 - 1);
    assert_eq!(as_token(&app, &token, Method::GET, "/v1/me", None).await.status, StatusCode::OK);
    app.clock.advance_ms(1);
    as_token(&app, &token, Method::GET, "/v1/me", None).await.problem(401, "invalid_api_key");
    assert_eq!(app.store.purge_member_tokens(app.clock_now()).await.unwrap(), 1);
}

#[tokio::test]
async fn guessing_a_password_is_paused_after_ten_misses() {
    let app = TestApp::new().await;
    member(
        &app,
        json!({"name": "Ana", "email": "ana@example.com", "role": "agent", "password": "correct horse"}),
    )
    .await;
    for _ in 0..10 {
        login(&app, json!({"email": "ana@example.com", "password": "guess"}))
            .await
            .problem(401, "invalid_credentials");
    }
    let paused = login(&app, json!({"email": "Ana@example.com", "password": "correct horse"})).await;
    paused.problem(429, "rate_limited");
    assert_eq!(paused.header("retry-after"), Some("900"));
    app.clock.advance_ms(15 * 60 * 1000);
    assert_eq!(sign_in(&app, "ana@example.com", "correct horse").await.len(), 6 + 43);
}
