use serde_json::{Value, json};

use crate::fixtures::conversation;
use crate::helpers::TestApp;

fn types(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_log_tells_the_story_in_order_with_actors() {
    let app = TestApp::new().await;
    let conv =
        conversation(&app, json!({"contact": {"email": "june@example.com"}, "message": {"content": "Hi"}}))
            .await;
    let id = conv["id"].as_str().unwrap();
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        json!({"sender_type": "human", "content": "Hello!"}),
    )
    .await;
    app.post(&format!("/v1/conversations/{id}/resolve"), json!({})).await;

    let log = app.get("/v1/events").await;
    assert_eq!(
        types(&log.body),
        [
            "contact.created",
            "conversation.created",
            "message.created",
            "conversation.handoff_started",
            "message.created",
            "message.created",
            "conversation.status_changed"
        ]
    );
    assert_eq!(
        log.body["data"][4]["data"]["message"]["sender_type"], "system",
        "the takeover, in the thread"
    );
    let event = &log.body["data"][5];
    assert_eq!(event["object"], "event");
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(event["workspace_id"], app.workspace_id.as_str());
    assert_eq!(event["actor"]["type"], "api_key");
    assert!(event["actor"]["id"].as_str().unwrap().starts_with("key_"));
    assert_eq!(event["data"]["message"]["content"], "Hello!");
    assert_eq!(
        event["data"]["conversation"]["message_count"], 3,
        "the conversation as it was after the change"
    );

    let messages = app.get("/v1/events?type=message.created").await;
    assert_eq!(types(&messages.body), ["message.created", "message.created", "message.created"]);
    let two_types = app.get("/v1/events?type=contact.created,conversation.status_changed").await;
    assert_eq!(types(&two_types.body), ["contact.created", "conversation.status_changed"]);

    // Resume after an event: nothing lost, nothing repeated.
    let second = log.body["data"][1]["id"].as_str().unwrap();
    let after = app.get(&format!("/v1/events?after={second}")).await;
    assert_eq!(types(&after.body).len(), 5);
    assert_eq!(after.body["data"][0]["id"], log.body["data"][2]["id"]);
    let paged = app.collect_ids("/v1/events?limit=2", &app.server_key).await;
    let all: Vec<&str> =
        log.body["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(paged, all);

    app.get("/v1/events?type=message.exploded").await.problem(400, "invalid_parameter");
    app.get("/v1/events?after=evt_missing").await.problem(400, "invalid_parameter");
}

#[tokio::test]
async fn the_transcript_reads_as_plain_text() {
    let app = TestApp::new().await;
    let conv = conversation(
        &app,
        json!({"contact": {"email": "june@example.com", "name": "June Park"}, "title": "Refund", "message": {"content": "Where is my order?"}}),
    )
    .await;
    let id = conv["id"].as_str().unwrap();
    app.clock.advance_ms(60_000);
    let ana =
        app.post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"})).await;
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        json!({"sender_type": "human", "sender_id": ana.body["id"], "content": "On its way."}),
    )
    .await;
    let transcript = app.get(&format!("/v1/conversations/{id}/transcript")).await;
    assert!(transcript.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(
        transcript.body.as_str().unwrap(),
        "Conversation #1 — Refund\n\
         [2026-05-22T14:08:42.120Z] June Park: Where is my order?\n\
         [2026-05-22T14:09:42.120Z] System: A human agent joined the conversation\n\
         [2026-05-22T14:09:42.120Z] Ana: On its way.\n"
    );
}
