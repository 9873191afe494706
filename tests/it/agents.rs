//! AI agents, their versions, and which agent answers a new conversation.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn agent(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v1/agents", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

#[tokio::test]
async fn agents_have_immutable_numbered_versions() {
    let app = TestApp::new().await;
    let ava = agent(&app, json!({"name": "Ava", "description": "Front desk", "version": {"instructions": "Be kind.",
        "provider": "openai", "model": "gpt-4o-mini", "api_key_env": "OPENAI_API_KEY", "temperature": 0.3,
        "handoff": {"keywords": ["human", "agent"], "max_ai_turns": 6, "message": "Connecting you to a person"}}})).await;
    assert_eq!(ava["object"], "agent");
    assert_eq!(ava["current_version"]["number"], 1);
    let id = ava["id"].as_str().unwrap();
    let versions = format!("/v1/agents/{id}/versions");

    let draft = app.post(&versions, json!({"instructions": "Be brief.", "publish": false})).await;
    assert_eq!((draft.status, draft.body["number"].as_i64()), (StatusCode::CREATED, Some(2)));
    assert_eq!(
        app.get(&format!("/v1/agents/{id}")).await.body["current_version"]["number"],
        1,
        "a draft is not current"
    );
    let published = app.post(&versions, json!({"instructions": "Be brief and kind."})).await;
    assert_eq!(
        app.get(&format!("/v1/agents/{id}")).await.body["current_version"]["id"],
        published.body["id"]
    );

    let list = app.get(&versions).await.body;
    let numbers: Vec<i64> =
        list["data"].as_array().unwrap().iter().map(|v| v["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1, 2, 3]);
    let first = &list["data"][0];
    assert_eq!((first["provider"].as_str(), first["model"].as_str()), (Some("openai"), Some("gpt-4o-mini")));
    assert_eq!(first["handoff"]["keywords"], json!(["human", "agent"]));

    let bad = app
        .post(
            &versions,
            json!({"temperature": 3, "api_key_env": "sk-live-123", "handoff": {"min_confidence": 2}}),
        )
        .await;
    assert_eq!(bad.error_fields(), ["api_key_env", "temperature", "handoff.min_confidence"]);
    app.post(&versions, json!({"secret": "x"})).await.problem(422, "validation_failed");
    app.post("/v1/agents/agent_missing/versions", json!({})).await.problem(404, "agent_not_found");

    let renamed = app.patch(&format!("/v1/agents/{id}"), json!({"name": "Ava 2"})).await;
    assert_eq!(renamed.body["name"], "Ava 2");
    let (_, other_key) = app.other_workspace().await;
    let theirs = app.send(Method::GET, &format!("/v1/agents/{id}"), Some(&other_key), None, &[]).await;
    theirs.problem(404, "agent_not_found");
}

#[tokio::test]
async fn the_asked_then_the_channels_then_the_first_agent_answers() {
    let app = TestApp::new().await;
    let first = agent(&app, json!({"name": "Ava"})).await;
    let sales = agent(&app, json!({"name": "Sam"})).await;
    let (first, sales) = (first["id"].as_str().unwrap(), sales["id"].as_str().unwrap());
    let channel =
        app.post("/v1/channels", json!({"type": "whatsapp", "name": "WhatsApp", "agent_id": sales})).await;
    let channel = channel.body["id"].as_str().unwrap();
    app.post("/v1/channels", json!({"type": "api", "name": "x", "agent_id": "agent_nobody"}))
        .await
        .problem(422, "validation_failed");

    let answered_by = |body: &Value| body["agent"]["id"].as_str().map(str::to_owned);
    let plain = app.post("/v1/conversations", json!({"contact": {"email": "a@example.com"}})).await.body;
    assert_eq!((plain["mode"].as_str(), answered_by(&plain).as_deref()), (Some("ai"), Some(first)));
    assert_eq!(plain["agent"]["name"], "Ava");
    assert_eq!(plain["agent"]["version_number"], 1);
    assert_eq!(plain["handoff"]["requested_at"], Value::Null);
    let on_channel = app
        .post("/v1/conversations", json!({"contact": {"email": "b@example.com"}, "channel_id": channel}))
        .await;
    assert_eq!(answered_by(&on_channel.body).as_deref(), Some(sales));
    let asked = app
        .post(
            "/v1/conversations",
            json!({"contact": {"email": "c@example.com"}, "channel_id": channel, "agent_id": first}),
        )
        .await;
    assert_eq!(answered_by(&asked.body).as_deref(), Some(first));
    let unknown = app
        .post("/v1/conversations", json!({"contact": {"email": "d@example.com"}, "agent_id": "agent_nobody"}))
        .await;
    assert_eq!(unknown.error_fields(), ["agent_id"]);

    // A new version is pinned only by conversations created after it.
    app.post(&format!("/v1/agents/{first}/versions"), json!({"instructions": "v2"})).await;
    let later = app.post("/v1/conversations", json!({"contact": {"email": "e@example.com"}})).await.body;
    assert_eq!(later["agent"]["version_number"], 2);
    let pinned = app.get(&format!("/v1/conversations/{}", plain["id"].as_str().unwrap())).await.body;
    assert_eq!(pinned["agent"]["version_number"], 1);

    // Deleting an agent leaves its conversations and channels without one.
    assert_eq!(app.delete(&format!("/v1/agents/{sales}")).await.status, StatusCode::NO_CONTENT);
    let orphan =
        app.get(&format!("/v1/conversations/{}", on_channel.body["id"].as_str().unwrap())).await.body;
    assert_eq!(orphan["agent"], Value::Null);
    assert_eq!(orphan["version"], on_channel.body["version"].as_i64().unwrap() + 1, "as a new version");
    assert_eq!(app.get(&format!("/v1/channels/{channel}")).await.body["agent_id"], Value::Null);
}
