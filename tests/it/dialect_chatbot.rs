//! Seed 002, "chatbot conversations": the conversation object as documented, PATCH of
//! status, priority, title, assignee and contact fields, agent replies, notes and tags.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn a_visitors_conversation_reads_updates_and_is_answered_by_an_agent() {
    let app = TestApp::new().await;
    let agent =
        app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Help."}})).await.body;
    let created = app
        .post(
            "/v1/conversations",
            json!({"contact": {"email": "june@example.com", "name": "June Park"}, "title": "Refund request — order 4421",
                   "custom_data": {"qr_code_id": "qr-7"}, "message": {"content": "I'd like to send it back, please."}}),
        )
        .await
        .body;
    let id = created["id"].as_str().unwrap();
    let path = format!("/chatbot/v1/conversations/{id}");

    let c = app.get(&path).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(
        keys(&c.body),
        [
            "assigned_to",
            "chatbot_id",
            "closed_at",
            "contact_email",
            "contact_name",
            "contact_phone",
            "created_at",
            "id",
            "last_message_at",
            "last_message_preview",
            "object",
            "object_id",
            "priority",
            "product_id",
            "qr_code_id",
            "resolved_at",
            "sentiment_score",
            "status",
            "summary",
            "title"
        ]
    );
    assert_eq!(
        (&c.body["object"], &c.body["chatbot_id"], &c.body["status"]),
        (&json!("conversation"), &agent["id"], &json!("open"))
    );
    assert_eq!(c.body["last_message_preview"], "I'd like to send it back, please.");
    assert_eq!(
        (&c.body["contact_name"], &c.body["qr_code_id"], &c.body["product_id"]),
        (&json!("June Park"), &json!("qr-7"), &Value::Null)
    );

    // The visitor asks for a person: agent_requested, and the list filters by it.
    let asked = app.patch(&path, json!({"status": "agent_requested", "priority": "high"})).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!((&asked.body["status"], &asked.body["priority"]), (&json!("agent_requested"), &json!("high")));
    let waiting = app.get("/chatbot/v1/conversations?status=agent_requested").await.body;
    assert_eq!(waiting["data"][0]["id"], id);
    assert!(
        app.get("/chatbot/v1/conversations?status=open").await.body["data"].as_array().unwrap().is_empty()
    );

    let ana = app
        .post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"}))
        .await
        .body;
    let changed = app
        .patch(
            &path,
            json!({"assigned_to": ana["id"], "title": "Refund — 4421", "contact_phone": "+34600000002"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        (&changed.body["assigned_to"], &changed.body["contact_phone"]),
        (&ana["id"], &json!("+34600000002"))
    );
    let contact = app.get(&format!("/v1/contacts/{}", created["contact"]["id"].as_str().unwrap())).await.body;
    assert_eq!(contact["phone"], "+34600000002", "the contact itself changed");

    // An agent's reply takes the conversation over; the thread shows the marker.
    let reply = app
        .post(
            &format!("{path}/messages"),
            json!({"content": "I've started your refund.", "sender_id": ana["id"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["sender_type"], "human");
    let thread = app.get(&format!("{path}/messages")).await.body;
    let senders: Vec<&Value> = thread["data"].as_array().unwrap().iter().map(|m| &m["sender_type"]).collect();
    assert_eq!((senders.first(), senders.last()), (Some(&&json!("contact")), Some(&&json!("human"))));
    assert!(senders.contains(&&json!("system")), "the full thread, markers included: {senders:?}");
    assert_eq!(app.get(&path).await.body["status"], "open");

    // Notes and tags.
    let note =
        app.post(&format!("{path}/notes"), json!({"body": "Damaged in transit", "pinned": true})).await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    assert_eq!(app.get(&format!("{path}/notes")).await.body["data"][0]["body"], "Damaged in transit");
    let palette = app.post("/chatbot/v1/conversation-tags", json!({"name": "refund"})).await;
    assert_eq!(palette.status, StatusCode::CREATED, "{}", palette.body);
    let tagged = app
        .send(
            Method::PUT,
            &format!("{path}/tags"),
            Some(&app.server_key),
            Some(&json!({"tags": ["refund", "damaged"]})),
            &[],
        )
        .await;
    assert_eq!(tagged.status, StatusCode::OK, "{}", tagged.body);
    assert_eq!(tagged.body["data"][1]["id"], palette.body["id"], "by name: damaged, refund");
    assert_eq!(app.get("/chatbot/v1/conversation-tags").await.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.get(&format!("/v1/conversations/{id}")).await.body["tags"], json!(["damaged", "refund"]));

    let resolved = app.patch(&path, json!({"status": "resolved"})).await;
    assert!(resolved.body["resolved_at"].is_string());
}

#[tokio::test]
async fn conversations_are_never_created_here_and_bad_patches_change_nothing() {
    let app = TestApp::new().await;
    let created = app.post("/v1/conversations", json!({"contact": {"email": "june@example.com"}})).await.body;
    let path = format!("/chatbot/v1/conversations/{}", created["id"].as_str().unwrap());
    app.post("/chatbot/v1/conversations", json!({})).await.problem(405, "method_not_allowed");
    let bad = app.patch(&path, json!({"status": "waiting"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let bad = app.patch(&path, json!({"title": "New", "contact_email": "not an email"})).await;
    assert_eq!(bad.error_fields(), ["contact_email"], "{}", bad.body);
    assert_eq!(app.get(&path).await.body["title"], Value::Null, "a refused patch changes nothing");
    app.get("/chatbot/v1/conversations?chatbot_id=bot").await.problem(422, "validation_failed");
}
