//! What many tests need, made through the API as a client would: conversations, messages, the
//! AI answering.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Creates a conversation from `body`; its JSON.
pub async fn conversation(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v1/conversations", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

/// June Park's refund conversation.
pub async fn june(app: &TestApp) -> Value {
    conversation(
        app,
        json!({"contact": {"email": "june@example.com", "name": "June Park"}, "title": "Refund"}),
    )
    .await
}

/// A conversation with a new contact of `email`; its id.
pub async fn conversation_id(app: &TestApp, email: &str) -> String {
    let created = app.post("/v1/conversations", json!({"contact": {"email": email}})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["id"].as_str().unwrap().to_owned()
}

/// Posts a message as `sender`; its JSON.
pub async fn say(app: &TestApp, conversation: &str, sender: &str, content: &str) -> Value {
    let posted = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({"sender_type": sender, "content": content}),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);
    posted.body
}

/// Puts a conversation in `ai` mode, as the AI agent runtime will.
pub async fn ai_mode(app: &TestApp, id: &str) {
    let ws = baton::store::WorkspaceId::trusted(&app.workspace_id);
    app.store
        .update_conversation(&ws, id, None, &baton::store::Actor::system(), app.clock_now(), |c| {
            c.mode = baton::domain::conversation::Mode::Ai;
            Ok::<_, baton::store::StoreError>(vec![(
                baton::domain::event_kind::EventKind::ConversationUpdated,
                json!({"mode": ["handoff_requested", "ai"]}),
            )])
        })
        .await
        .unwrap();
}

/// A conversation the workspace's AI agent answers.
pub async fn ai_conversation(app: &TestApp) -> String {
    let agent = app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Be kind."}})).await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let created = app
        .post(
            "/v1/conversations",
            json!({"contact": {"email": "june@example.com"}, "message": {"content": "Hi"}}),
        )
        .await;
    assert_eq!(created.body["mode"], "ai");
    created.body["id"].as_str().unwrap().to_owned()
}

/// A member with a password, signed in: `(member id, member token)`.
pub async fn signed_in(app: &TestApp, name: &str, role: &str) -> (String, String) {
    let email = format!("{}@example.com", name.to_lowercase());
    let created = app
        .post("/v1/members", json!({"name": name, "email": email, "role": role, "password": "correct horse"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let login = json!({"email": email, "password": "correct horse"});
    let signed = app.send(Method::POST, "/v1/auth/login", None, Some(&login), &[]).await;
    (created.body["id"].as_str().unwrap().to_owned(), signed.body["token"].as_str().unwrap().to_owned())
}
