//! The visitor widget: a client key opens a session, the contact token reaches only that
//! visitor's conversations, in the visitor's view.

use axum::http::{Method, StatusCode};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};
use crate::stream::Stream;

async fn client_key(app: &TestApp) -> String {
    let created = app.post("/v1/api-keys", json!({"name": "Website", "kind": "client"})).await;
    created.body["secret"].as_str().unwrap().to_owned()
}

async fn as_key(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> TestResponse {
    app.send(method, path, Some(key), body.as_ref(), &[]).await
}

/// A session for a visitor: `(contact id, contact token)`.
async fn session(app: &TestApp, key: &str, body: Value) -> (String, String) {
    let started = as_key(app, key, Method::POST, "/v1/widget/sessions", Some(body)).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    assert_eq!(started.body["object"], "widget_session");
    let token = started.body["contact_token"].as_str().unwrap();
    assert!(token.starts_with("bt_ct_"));
    (started.body["contact"]["id"].as_str().unwrap().to_owned(), token.to_owned())
}

#[tokio::test]
async fn a_visitor_chats_with_the_ai_rates_it_and_sees_nothing_internal() {
    let app = TestApp::new().await;
    let agent = app.post("/v1/agents", json!({"name": "Ava", "version": {"greeting": "Hi, I'm Ava."}})).await;
    let agent = agent.body["id"].as_str().unwrap().to_owned();
    app.post(
        "/v1/knowledge/articles",
        json!({"title": "Returns", "body": "Return any item within 30 days."}),
    )
    .await;
    let website =
        app.post("/v1/channels", json!({"type": "widget", "name": "Website", "agent_id": agent})).await;
    let key = client_key(&app).await;
    let (contact, token) = session(&app, &key, json!({"name": "June"})).await;

    let started = as_key(
        &app,
        &token,
        Method::POST,
        "/v1/widget/conversations",
        Some(json!({"message": {"content": "Can I return my kettle?"}})),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let id = started.body["id"].as_str().unwrap().to_owned();
    assert_eq!((started.body["status"].as_str(), started.body["mode"].as_str()), (Some("open"), Some("ai")));
    for internal in ["assignee_id", "tags", "handoff", "sentiment_score", "custom_data", "contact", "agent"] {
        assert!(started.body.get(internal).is_none(), "{internal} is internal");
    }
    // Through the API the conversation is the visitor's, on the website's channel.
    let full = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!(
        (full["contact"]["id"].as_str(), full["channel"]["id"].as_str()),
        (Some(contact.as_str()), website.body["id"].as_str())
    );
    app.answer().await;
    app.post(&format!("/v1/conversations/{id}/notes"), json!({"body": "VIP, refund quickly"})).await;

    let path = format!("/v1/widget/conversations/{id}/messages");
    let thread = as_key(&app, &token, Method::GET, &path, None).await;
    let messages = thread.body["data"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{}", thread.body);
    assert_eq!(
        (messages[0]["sender_type"].as_str(), messages[1]["sender_type"].as_str()),
        (Some("contact"), Some("agent"))
    );
    assert!(messages[1]["content"].as_str().unwrap().contains("Return any item within 30 days."));
    assert!(messages.iter().all(|m| m.get("metadata").is_none() && m.get("sender_id").is_none()));
    assert!(!thread.body.to_string().contains("VIP"), "notes never reach the visitor");

    let (posted, _) = tokio::join!(
        as_key(
            &app,
            &token,
            Method::POST,
            &path,
            Some(json!({"content": "And within how many days?", "await_response": true}))
        ),
        async {
            while app.answer().await == 0 {
                tokio::task::yield_now().await;
            }
        }
    );
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);
    assert_eq!(posted.body["response"]["status"], "completed");
    assert_eq!(posted.body["response"]["message"]["sender_type"], "agent");

    let rated = as_key(
        &app,
        &token,
        Method::POST,
        &format!("/v1/widget/conversations/{id}/rating"),
        Some(json!({"rating": 5, "comment": "Quick!"})),
    )
    .await;
    assert_eq!((rated.status, rated.body["rating"].as_i64()), (StatusCode::OK, Some(5)));
    let full = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!((full["rating"].as_i64(), full["rating_comment"].as_str()), (Some(5), Some("Quick!")));
    let bad = as_key(
        &app,
        &token,
        Method::POST,
        &format!("/v1/widget/conversations/{id}/rating"),
        Some(json!({"rating": 6})),
    )
    .await;
    assert_eq!(bad.error_fields(), ["rating"]);

    let mine = as_key(&app, &token, Method::GET, "/v1/widget/conversations", None).await;
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_visitors_conversation_is_not_found_and_tokens_reach_only_the_widget() {
    let app = TestApp::new().await;
    let key = client_key(&app).await;
    let (_, june) = session(&app, &key, json!({"name": "June"})).await;
    let (_, kai) = session(&app, &key, json!({"name": "Kai"})).await;
    let started = as_key(
        &app,
        &june,
        Method::POST,
        "/v1/widget/conversations",
        Some(json!({"message": {"content": "Hi"}})),
    )
    .await;
    let id = started.body["id"].as_str().unwrap();
    // A conversation of June's made through the API is June's too; Kai sees none of them.
    for (method, path, body) in [
        (Method::GET, format!("/v1/widget/conversations/{id}"), None),
        (Method::GET, format!("/v1/widget/conversations/{id}/messages"), None),
        (
            Method::POST,
            format!("/v1/widget/conversations/{id}/messages"),
            Some(json!({"content": "mine now"})),
        ),
        (Method::POST, format!("/v1/widget/conversations/{id}/typing"), Some(json!({"typing": true}))),
        (Method::POST, format!("/v1/widget/conversations/{id}/rating"), Some(json!({"rating": 1}))),
        (Method::GET, format!("/v1/widget/conversations/{id}/stream"), None),
    ] {
        as_key(&app, &kai, method, &path, body).await.problem(404, "conversation_not_found");
    }
    assert!(
        as_key(&app, &kai, Method::GET, "/v1/widget/conversations", None).await.body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let thread = app.get(&format!("/v1/conversations/{id}/messages")).await.body;
    assert_eq!(thread["data"].as_array().unwrap().len(), 1, "Kai's message was not posted");

    as_key(&app, &june, Method::GET, "/v1/conversations", None).await.problem(403, "forbidden_for_key");
    as_key(&app, &june, Method::GET, "/v1/me", None).await.problem(403, "forbidden_for_key");
    as_key(&app, &key, Method::GET, "/v1/widget/conversations", None).await.problem(403, "forbidden_for_key");
    as_key(&app, &key, Method::GET, "/v1/contacts", None).await.problem(403, "forbidden_for_key");
    as_key(&app, "bt_ct_forged", Method::GET, "/v1/widget/conversations", None)
        .await
        .problem(401, "invalid_api_key");
    let (_, other_key) = app.other_workspace().await;
    let theirs = as_key(&app, &other_key, Method::GET, &format!("/v1/conversations/{id}"), None).await;
    theirs.problem(404, "conversation_not_found");
}

pub fn user_hash(secret: &str, external_id: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(external_id.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn with_identity_verification_a_visitor_proves_their_external_id() {
    let app = TestApp::new().await;
    let key = client_key(&app).await;
    // Without verification an external id is only a claim: each gets a contact of its own;
    // an email never finds one either.
    app.post("/v1/contacts", json!({"name": "Real June", "email": "june@example.com"})).await;
    let (first, _) = session(&app, &key, json!({"external_id": "user-42"})).await;
    let (again, _) = session(&app, &key, json!({"external_id": "user-42"})).await;
    assert_ne!(first, again);
    let (claimed, _) = session(&app, &key, json!({"email": "june@example.com"})).await;
    let contact = app.get(&format!("/v1/contacts/{claimed}")).await.body;
    assert_eq!(
        (contact["name"].as_str(), contact["email"].as_str()),
        (None, None),
        "a new contact: {contact}"
    );
    assert_eq!(contact["custom_attributes"]["widget_email"], "june@example.com");

    let secret = app.post("/v1/widget/identity-secret", json!({})).await;
    assert_eq!(secret.status, StatusCode::CREATED, "{}", secret.body);
    let secret = secret.body["identity_secret"].as_str().unwrap().to_owned();
    let sessions = "/v1/widget/sessions";
    as_key(&app, &key, Method::POST, sessions, Some(json!({"external_id": "user-42"})))
        .await
        .problem(403, "identity_not_verified");
    let forged = json!({"external_id": "user-42", "user_hash": user_hash("guess", "user-42")});
    as_key(&app, &key, Method::POST, sessions, Some(forged)).await.problem(403, "identity_not_verified");
    let proven = json!({"external_id": "user-42", "user_hash": user_hash(&secret, "user-42")});
    let (verified, _) = session(&app, &key, proven.clone()).await;
    assert_eq!(session(&app, &key, proven).await.0, verified, "a proven id comes back to its contact");
    assert!(verified != first && verified != again);
    // Anonymous visitors still chat; only claimed identities need proof.
    session(&app, &key, json!({"name": "Guest"})).await;
    let lone_hash = as_key(&app, &key, Method::POST, sessions, Some(json!({"user_hash": "ab"}))).await;
    assert_eq!(lone_hash.error_fields(), ["user_hash"]);

    assert_eq!(app.delete("/v1/widget/identity-secret").await.status, StatusCode::NO_CONTENT);
    session(&app, &key, json!({"external_id": "user-42"})).await;
}

#[tokio::test]
async fn the_visitor_stream_carries_their_conversation_without_internal_fields() {
    let app = TestApp::new().await;
    let key = client_key(&app).await;
    let (_, token) = session(&app, &key, json!({"name": "June"})).await;
    let started = as_key(
        &app,
        &token,
        Method::POST,
        "/v1/widget/conversations",
        Some(json!({"message": {"content": "Hi"}})),
    )
    .await;
    let id = started.body["id"].as_str().unwrap().to_owned();
    let (status, mut stream) =
        Stream::open_as(&app, &format!("/v1/widget/conversations/{id}/stream"), &token, None).await;
    assert_eq!(status, StatusCode::OK);

    app.post(&format!("/v1/conversations/{id}/notes"), json!({"body": "internal"})).await;
    app.patch(&format!("/v1/conversations/{id}"), json!({"priority": "high"})).await;
    let reply = json!({"sender_type": "human", "content": "Hello June, how can I help?"});
    app.post(&format!("/v1/conversations/{id}/messages"), reply).await;

    // The human's reply takes the conversation over first: handoff, then the message.
    let mut seen = Vec::new();
    while !seen.iter().any(|e: &crate::stream::Sse| {
        e.event == "message.created" && e.data["message"]["sender_type"] == "human"
    }) {
        seen.push(stream.next().await);
    }
    assert!(seen.iter().all(|e| e.event != "note.created" && e.event != "conversation.updated"));
    let message = &seen.last().unwrap().data["message"];
    assert_eq!(message["content"], "Hello June, how can I help?");
    assert!(message.get("sender_id").is_none() && message.get("metadata").is_none(), "{message}");
    assert!(seen.iter().all(|e| e.id.is_some() && !e.data.to_string().contains("internal")));
}
