//! One conversation walked through every seed's API and the native one: each change made
//! through one reads the same through all the others.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn native(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/conversations/{id}")).await.body
}

#[tokio::test]
async fn a_conversation_changed_through_each_dialect_reads_the_same_through_all() {
    let app = TestApp::new().await;
    let agent =
        app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Help."}})).await.body;
    let ana = app
        .post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"}))
        .await
        .body;

    // Seed 004 creates it, with the requester's first message.
    let created = app
        .post(
            "/api/v1/conversations/create/",
            json!({"subject": "Broken kettle", "user_email": "june@example.com", "description": "It leaks."}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let conv = native(&app, &id).await;
    assert_eq!(
        (&conv["title"], &conv["contact"]["email"]),
        (&json!("Broken kettle"), &json!("june@example.com"))
    );
    assert_eq!(conv["number"], created.body["number"]);

    // Seed 003 asks the AI (no knowledge: it answers or hands off, either way a response).
    let asked =
        app.post(&format!("/agent/v1/conversations/{id}/messages/async"), json!({"message": "Help?"})).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    app.answer().await;
    assert!(native(&app, &id).await["message_count"].as_i64().unwrap() >= 2, "the question was posted");

    // Seed 000: a human takes over.
    let started = app.post(&format!("/v1/chats/{id}/start-human"), json!({"member_id": ana["id"]})).await;
    assert_eq!(started.body["status"], "human", "{}", started.body);
    assert_eq!(native(&app, &id).await["mode"], "human");
    assert_eq!(app.get(&format!("/agent/v1/conversations/{id}")).await.body["mode"], "manual");
    assert_eq!(app.get(&format!("/chatbot/v1/conversations/{id}")).await.body["assigned_to"], ana["id"]);
    assert_eq!(app.get(&format!("/api/v1/chats/{id}")).await.body["currentResponderId"], ana["id"]);

    // Seed 002 tags it and retitles it; seed 001 and 004 see the title.
    let tags = json!({"tags": ["warranty"]});
    app.send(
        Method::PUT,
        &format!("/chatbot/v1/conversations/{id}/tags"),
        Some(&app.server_key),
        Some(&tags),
        &[],
    )
    .await;
    app.patch(&format!("/chatbot/v1/conversations/{id}"), json!({"title": "Kettle leaks"})).await;
    assert_eq!(native(&app, &id).await["tags"], json!(["warranty"]));
    assert_eq!(app.get(&format!("/api/v1/chats/{id}/details")).await.body["title"], "Kettle leaks");
    assert_eq!(app.get(&format!("/api/v1/conversations/{id}/")).await.body["subject"], "Kettle leaks");

    // Seed 004's agent reply by email; seed 001's details show it last.
    let reply = json!({"body": "A new one is on its way.", "user_email": "ana@example.com"});
    app.post(&format!("/api/v1/conversations/{id}/messages/create/"), reply).await;
    let details = app.get(&format!("/api/v1/chats/{id}/details")).await.body;
    assert_eq!(
        (&details["lastMessageContent"], &details["lastMessageRole"]),
        (&json!("A new one is on its way."), &json!("human"))
    );
    assert_eq!(
        app.get(&format!("/chatbot/v1/conversations/{id}")).await.body["last_message_preview"],
        "A new one is on its way."
    );

    // Seed 000 hands back to the AI; seed 004 resolves; everyone agrees.
    app.post(&format!("/v1/chats/{id}/stop-human"), json!({})).await;
    assert_eq!(app.get(&format!("/agent/v1/conversations/{id}")).await.body["mode"], "ai");
    app.post(&format!("/api/v1/conversations/{id}/resolve/"), json!({})).await;
    let statuses: Vec<Value> = vec![
        native(&app, &id).await["status"].clone(),
        app.get(&format!("/v1/chats/{id}")).await.body["status"].clone(),
        app.get(&format!("/chatbot/v1/conversations/{id}")).await.body["status"].clone(),
        app.get(&format!("/agent/v1/conversations/{id}")).await.body["status"].clone(),
        app.get(&format!("/api/v1/conversations/{id}/")).await.body["status"].clone(),
    ];
    assert_eq!(
        statuses,
        [json!("resolved"), json!("closed"), json!("resolved"), json!("resolved"), json!("resolved")]
    );
    assert_eq!(app.get(&format!("/api/v1/chats/{id}")).await.body["responderId"], agent["id"]);

    // Seed 001 removes it: gone from every list, still readable by id.
    app.send(Method::DELETE, &format!("/api/v1/chats/{id}"), Some(&app.server_key), None, &[]).await;
    assert_eq!(native(&app, &id).await["removed"], true);
    assert_eq!(app.get("/api/v1/conversations/").await.body["count"], 0);
    assert!(app.get("/chatbot/v1/conversations").await.body["data"].as_array().unwrap().is_empty());
    assert_eq!(app.get("/agent/v1/conversations").await.body["totalItems"], 0);
}
