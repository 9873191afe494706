//! Seed 000, "Chats": the handoff flow its document walks through, with its shapes and its
//! `agent.handoff_*` webhooks.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use baton::delivery::Policy;
use baton::delivery::policy::parse_schedule;
use baton::http::Settings;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::receiver::Receiver;

async fn app() -> TestApp {
    let delivery = Policy {
        schedule: parse_schedule("10s").unwrap(),
        timeout: Duration::from_millis(500),
        allow_private: true,
        ..Policy::default()
    };
    TestApp::with_settings(Settings { webhook_allow_private: true, delivery, ..Settings::default() }).await
}

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn a_human_takes_over_replies_and_hands_back_with_the_chat_webhooks() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let hook = app.post("/v1/webhooks", json!({"url": receiver.url(), "event_names": "chats"})).await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    assert_eq!(hook.body["event_names"], "chats");
    let secret = hook.body["secret"].as_str().unwrap().to_owned();
    let agent = app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Help."}})).await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let ana =
        app.post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"})).await;
    let ana = ana.body["id"].as_str().unwrap().to_owned();
    let channel = app.post("/v1/channels", json!({"type": "whatsapp", "name": "WhatsApp"})).await.body;
    let conv = app
        .post(
            "/v1/conversations",
            json!({"contact": {"phone": "+34600000001"}, "channel_id": channel["id"],
                   "message": {"content": "Where is my order?"}}),
        )
        .await
        .body;
    let id = conv["id"].as_str().unwrap();
    app.answer().await;

    let chat = app.get(&format!("/v1/chats/{id}")).await;
    assert_eq!(chat.status, StatusCode::OK, "{}", chat.body);
    assert_eq!(
        chat.body,
        json!({"id": id, "status": "open", "assigned_to": null, "human_started_at": null,
               "channel_id": channel["id"], "contact_id": conv["contact"]["id"]})
    );

    // 1. start-human: status "human", the AI stops answering, agent.handoff_started.
    app.clock.advance_ms(1000);
    let started = app.post(&format!("/v1/chats/{id}/start-human"), json!({"member_id": ana})).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    assert_eq!((&started.body["status"], &started.body["assigned_to"]), (&json!("human"), &json!(ana)));
    assert!(started.body["human_started_at"].is_string());
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        json!({"sender_type": "contact", "content": "Hello?"}),
    )
    .await;
    assert_eq!(app.answer().await, 0, "the AI is silent while a human answers");

    // 2. The human replies.
    let reply = app
        .post(&format!("/v1/chats/{id}/messages"), json!({"content": "Let me check.", "sender_id": ana}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(
        keys(&reply.body),
        ["content", "conversation_id", "created_at", "id", "sender_id", "sender_type", "status", "type"]
    );
    assert_eq!(
        (&reply.body["sender_type"], &reply.body["sender_id"], &reply.body["type"], &reply.body["status"]),
        (&json!("human"), &json!(ana), &json!("text"), &json!("sent"))
    );

    // Deleting a message keeps it in the thread without its content.
    let message_id = reply.body["id"].as_str().unwrap();
    let deleted = app
        .send(
            Method::DELETE,
            &format!("/v1/chats/{id}/messages/{message_id}"),
            Some(&app.server_key),
            None,
            &[],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!((&deleted.body["id"], &deleted.body["content"]), (&json!(message_id), &json!("")));

    // 3. stop-human: back to "open", agent.handoff_completed.
    let stopped = app.post(&format!("/v1/chats/{id}/stop-human"), json!({})).await;
    assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.body);
    assert_eq!(stopped.body["status"], "open");
    let native = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!(native["mode"], "ai", "the native API sees the same conversation");

    while app.deliver().await > 0 {}
    assert_eq!(receiver.types(), ["agent.handoff_started", "agent.handoff_completed"]);
    let hits = receiver.hits();
    let first = hits[0].json();
    assert_eq!(keys(&first), ["created_at", "data", "id", "type", "workspace_id"]);
    assert_eq!((&first["data"]["id"], &first["data"]["status"]), (&json!(id), &json!("human")));
    assert_eq!(hits[1].json()["data"]["status"], "open");
    for hit in &hits {
        let headers: axum::http::HeaderMap = ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .map(|n| (n.parse().unwrap(), hit.header(n).parse().unwrap()))
            .collect();
        standardwebhooks::Webhook::new(&secret).unwrap().verify(&hit.body, &headers).expect("signed");
    }
}

#[tokio::test]
async fn chat_requests_are_checked_like_the_native_ones() {
    let app = app().await;
    let conv = app.post("/v1/conversations", json!({"contact": {"email": "june@example.com"}})).await.body;
    let id = conv["id"].as_str().unwrap();
    app.get("/v1/chats/conv_01JX3Q8ZK4V1M2N3P4Q5R6S7T8").await.problem(404, "conversation_not_found");
    app.post(&format!("/v1/chats/{id}/messages"), json!({"content": "Hi", "type": "sticker"}))
        .await
        .problem(422, "validation_failed");
    app.post(&format!("/v1/chats/{id}/stop-human"), json!({})).await.problem(409, "no_ai_agent");
    let hook = app
        .post(
            "/v1/webhooks",
            json!({"url": "https://example.com/h", "event_names": "chats",
        "events": ["conversation.created"]}),
        )
        .await;
    assert_eq!(hook.error_fields(), ["events"], "{}", hook.body);
}
