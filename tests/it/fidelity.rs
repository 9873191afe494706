//! The native API's fidelity points: behaviours the seed documents promise that a client
//! of the native API relies on too.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn create(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v1/conversations", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

#[tokio::test]
async fn a_conversation_without_a_known_contact_gets_a_new_one() {
    let app = TestApp::new().await;
    let anonymous = create(&app, json!({})).await;
    let contact = &anonymous["contact"];
    assert!(contact["id"].as_str().unwrap().starts_with("ct_"));
    assert_eq!((&contact["email"], &contact["name"]), (&Value::Null, &Value::Null));
    let named = create(&app, json!({"contact": {"name": "Walk-in", "phone": "+34600000000"}})).await;
    let again = create(&app, json!({"contact": {"name": "Walk-in", "phone": "+34600000000"}})).await;
    assert_eq!(named["contact"]["name"], "Walk-in");
    assert_ne!(named["contact"]["id"], again["contact"]["id"], "without a key there is nothing to look up");
    assert_eq!(app.get("/v1/contacts?include_total=true").await.body["total"], 3);
}

#[tokio::test]
async fn previews_and_activity_skip_system_markers() {
    let app = TestApp::new().await;
    let conv = create(&app, json!({"contact": {"email": "june@example.com"}})).await;
    let id = conv["id"].as_str().unwrap();
    assert_eq!((&conv["last_message"], &conv["last_message_at"]), (&Value::Null, &Value::Null));
    let since = |after: bool| {
        format!("/v1/conversations?last_message_{}=2000-01-01T00:00:00Z", ["before", "after"][after as usize])
    };
    assert!(app.get(&since(true)).await.body["data"].as_array().unwrap().is_empty(), "no message, no match");

    app.post(&format!("/v1/conversations/{id}/messages"), json!({"sender_type": "contact", "content": "Hi"}))
        .await;
    app.clock.advance_ms(1000);
    let ana =
        app.post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"})).await;
    let taken =
        app.post(&format!("/v1/conversations/{id}/start-human"), json!({"member_id": ana.body["id"]})).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    let current = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!(current["message_count"], 2, "the takeover marker is in the thread");
    assert_eq!(current["last_message"]["preview"], "Hi", "but not in the preview");
    assert_eq!(current["previous_message"], Value::Null);
    assert_eq!(current["last_message_at"], current["last_message"]["created_at"]);
}

#[tokio::test]
async fn a_newer_handoff_reason_is_recorded() {
    let app = TestApp::new().await;
    let conv = create(&app, json!({"contact": {"email": "june@example.com"}})).await;
    let id = conv["id"].as_str().unwrap();
    assert_eq!(conv["mode"], "handoff_requested", "no AI agent yet");
    app.clock.advance_ms(1000);
    let asked = app
        .post(&format!("/v1/conversations/{id}/handoff-request"), json!({"reason": "Wants a refund"}))
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(asked.body["handoff"]["reason"], "Wants a refund");
    assert_eq!(
        asked.body["handoff"]["requested_at"], conv["handoff"]["requested_at"],
        "still the first request"
    );
    assert_eq!(asked.body["version"], conv["version"].as_i64().unwrap() + 1);
    let events = app.get(&format!("/v1/events?conversation_id={id}&type=conversation.updated")).await;
    assert_eq!(
        events.body["data"][0]["data"]["changes"]["handoff.reason"],
        json!([conv["handoff"]["reason"], "Wants a refund"])
    );
}

#[tokio::test]
async fn search_matches_the_answering_agents_name() {
    let app = TestApp::new().await;
    let agent =
        app.post("/v1/agents", json!({"name": "Ava Sales", "version": {"instructions": "Help."}})).await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let answered =
        create(&app, json!({"contact": {"email": "a@example.com"}, "agent_id": agent.body["id"]})).await;
    let found = app.get("/v1/conversations?q=sales").await.body;
    let ids: Vec<&Value> = found["data"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, [&answered["id"]]);
}

#[tokio::test]
async fn a_message_can_name_its_sender_by_email() {
    let app = TestApp::new().await;
    let conv = create(&app, json!({"contact": {"email": "june@example.com"}})).await;
    let path = format!("/v1/conversations/{}/messages", conv["id"].as_str().unwrap());
    let ana =
        app.post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"})).await;
    let from_june = app.post(&path, json!({"sender_email": "June@example.com", "content": "Hello"})).await;
    assert_eq!(from_june.status, StatusCode::CREATED, "{}", from_june.body);
    assert_eq!(from_june.body["sender_type"], "contact");
    let from_ana = app.post(&path, json!({"sender_email": "ana@example.com", "content": "Hi June"})).await;
    assert_eq!(
        (&from_ana.body["sender_type"], &from_ana.body["sender_id"]),
        (&json!("human"), &ana.body["id"])
    );
    app.post(&path, json!({"sender_email": "stranger@example.com", "content": "?"}))
        .await
        .problem(422, "validation_failed");
    let both = app
        .post(&path, json!({"sender_email": "ana@example.com", "sender_type": "human", "content": "?"}))
        .await;
    both.problem(422, "validation_failed");
    assert_eq!(
        app.get(&format!("/v1/conversations/{}", conv["id"].as_str().unwrap())).await.body["message_count"],
        3,
        "two messages and the takeover marker; the refused ones changed nothing"
    );
}

#[tokio::test]
async fn a_key_is_accepted_in_each_documented_header() {
    let app = TestApp::new().await;
    let key = app.server_key.clone();
    for headers in [[("authorization", key.as_str())], [("x-api-key", key.as_str())]] {
        let response = app.send(Method::GET, "/v1/conversations", None, None, &headers).await;
        assert_eq!(response.status, StatusCode::OK, "{headers:?}: {}", response.body);
    }
    let wrong = app.send(Method::GET, "/v1/conversations", None, None, &[("x-api-key", "bk_wrong")]).await;
    wrong.problem(401, "invalid_api_key");
}

#[tokio::test]
async fn waha_is_a_channel_type() {
    let app = TestApp::new().await;
    let channel = app.post("/v1/channels", json!({"type": "waha", "name": "WhatsApp (WAHA)"})).await;
    assert_eq!(channel.status, StatusCode::CREATED, "{}", channel.body);
    create(&app, json!({"contact": {"phone": "+34600000000"}, "channel_id": channel.body["id"]})).await;
    let listed = app.get("/v1/conversations?channel_type=waha&include_total=true").await;
    assert_eq!(listed.body["total"], 1, "{}", listed.body);
}
