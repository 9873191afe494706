use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{ai_mode, june};
use crate::helpers::TestApp;

async fn post(app: &TestApp, conversation: &str, body: Value) -> crate::helpers::TestResponse {
    app.post(&format!("/v1/conversations/{conversation}/messages"), body).await
}

#[tokio::test]
async fn posting_numbers_messages_and_keeps_the_conversation_current() {
    let app = TestApp::new().await;
    let conv = june(&app).await;
    let id = conv["id"].as_str().unwrap();
    let first = post(&app, id, json!({"sender_type": "contact", "content": "Where is my order?", "source": "widget",
        "attachments": [{"url": "https://files.example.com/r.pdf", "mime_type": "application/pdf", "size": 1200, "name": "r.pdf"}],
        "metadata": {"page": "/orders"}}))
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let m = &first.body;
    assert_eq!(m["object"], "message");
    assert_eq!(m["seq"], 1);
    assert_eq!(m["status"], "sent");
    assert_eq!(m["type"], "document", "a message's type follows its first attachment");
    assert_eq!(m["attachments"][0]["size"], 1200);
    assert_eq!(m["metadata"], json!({"page": "/orders"}));

    app.clock.advance_ms(5000);
    let ana =
        app.post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"})).await;
    let ana = ana.body["id"].as_str().unwrap();
    let reply =
        post(&app, id, json!({"sender_type": "human", "sender_id": ana, "content": "Let me check."})).await;
    // The reply takes the conversation over for Ana first, which the thread records.
    assert_eq!(reply.body["seq"], 3);
    let current = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!(current["message_count"], 3);
    assert_eq!(current["unread_count"], 1);
    assert_eq!((current["mode"].as_str(), current["assignee_id"].as_str()), (Some("human"), Some(ana)));
    assert_eq!(current["last_message"]["preview"], "Let me check.");
    // The takeover marker is in the thread but not in the previews.
    assert_eq!(current["previous_message"]["preview"], "Where is my order?");
    let unknown =
        post(&app, id, json!({"sender_type": "human", "sender_id": "mem_nobody", "content": "Hi"})).await;
    assert_eq!(unknown.error_fields(), ["sender_id"]);
    assert_eq!(current["first_response_at"], "2026-05-22T14:08:47.120Z");
    assert_eq!(current["last_message_at"], "2026-05-22T14:08:47.120Z");

    let got = app.get(&format!("/v1/conversations/{id}/messages/{}", m["id"].as_str().unwrap())).await;
    assert_eq!(&got.body, m);
}

#[tokio::test]
async fn messages_list_in_both_orders_with_seq_ranges() {
    let app = TestApp::new().await;
    let id = june(&app).await["id"].as_str().unwrap().to_owned();
    for i in 1..=5 {
        post(&app, &id, json!({"sender_type": "contact", "content": format!("m{i}")})).await;
    }
    let seqs = |body: &Value| -> Vec<i64> {
        body["data"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect()
    };
    let path = format!("/v1/conversations/{id}/messages");
    assert_eq!(seqs(&app.get(&path).await.body), [1, 2, 3, 4, 5]);
    assert_eq!(seqs(&app.get(&format!("{path}?order=desc&limit=2")).await.body), [5, 4]);
    assert_eq!(seqs(&app.get(&format!("{path}?after_seq=2&before_seq=5")).await.body), [3, 4]);
    let ids = app.collect_ids(&format!("{path}?limit=2&order=desc"), &app.server_key).await;
    assert_eq!(ids.len(), 5);
    app.get(&format!("{path}?order=sideways")).await.problem(400, "invalid_parameter");
    app.get("/v1/conversations/conv_missing/messages").await.problem(404, "conversation_not_found");
}

#[tokio::test]
async fn a_repeated_client_message_id_returns_the_stored_message() {
    let app = TestApp::new().await;
    let id = june(&app).await["id"].as_str().unwrap().to_owned();
    let body = json!({"sender_type": "contact", "content": "hello", "client_message_id": "wa-3EB0"});
    let first = post(&app, &id, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = post(&app, &id, body.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);

    // Concurrent repeats store exactly one message.
    let burst = json!({"sender_type": "contact", "content": "burst", "client_message_id": "wa-burst"});
    let responses = futures_util::future::join_all((0..8).map(|_| post(&app, &id, burst.clone()))).await;
    let created = responses.iter().filter(|r| r.status == StatusCode::CREATED).count();
    assert_eq!(created, 1);
    assert!(responses.iter().all(|r| r.body["id"] == responses[0].body["id"]));
    let listed = app.get(&format!("/v1/conversations/{id}/messages")).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_contact_message_reopens_and_rules_refuse_the_rest() {
    let app = TestApp::new().await;
    let conv = june(&app).await;
    let id = conv["id"].as_str().unwrap();
    for status in ["resolved", "pending"] {
        app.patch(&format!("/v1/conversations/{id}"), json!({"status": status})).await;
        post(&app, id, json!({"sender_type": "human", "content": "note"})).await;
        assert_eq!(
            app.get(&format!("/v1/conversations/{id}")).await.body["status"],
            status,
            "others do not reopen"
        );
        post(&app, id, json!({"sender_type": "contact", "content": "still there?"})).await;
        assert_eq!(app.get(&format!("/v1/conversations/{id}")).await.body["status"], "open");
    }
    // The AI may only speak in `ai` mode.
    post(&app, id, json!({"sender_type": "agent", "content": "Hi!"}))
        .await
        .problem(409, "conversation_in_human_mode");
    ai_mode(&app, id).await;
    assert_eq!(
        post(&app, id, json!({"sender_type": "agent", "content": "Hi!"})).await.status,
        StatusCode::CREATED
    );

    let contact = conv["contact"]["id"].as_str().unwrap();
    app.post(&format!("/v1/contacts/{contact}/block"), json!({})).await;
    post(&app, id, json!({"sender_type": "contact", "content": "spam"}))
        .await
        .problem(403, "contact_blocked");

    for (body, field) in [
        (json!({"content": "no sender"}), "sender_type"),
        (json!({"sender_type": "system", "content": "x"}), "sender_type"),
        (json!({"sender_type": "human", "content": ""}), "content"),
        (json!({"sender_type": "human", "content": "x", "type": "system"}), "type"),
        (
            json!({"sender_type": "human", "content": "x", "attachments": [{"url": "nope"}]}),
            "attachments[0].url",
        ),
        (json!({"sender_type": "human", "content": "x", "in_reply_to": "msg_missing"}), "in_reply_to"),
    ] {
        let response = post(&app, id, body.clone()).await;
        response.problem(422, "validation_failed");
        assert_eq!(response.error_fields(), [field], "{body}");
    }
    post(&app, "conv_missing", json!({"sender_type": "human", "content": "x"}))
        .await
        .problem(404, "conversation_not_found");
}

#[tokio::test]
async fn delivery_status_only_moves_forward() {
    let app = TestApp::new().await;
    let id = june(&app).await["id"].as_str().unwrap().to_owned();
    let message =
        post(&app, &id, json!({"sender_type": "human", "content": "Your refund is on its way"})).await.body;
    let path = format!("/v1/conversations/{id}/messages/{}", message["id"].as_str().unwrap());
    assert_eq!(app.patch(&path, json!({"status": "delivered"})).await.body["status"], "delivered");
    assert_eq!(app.patch(&path, json!({"status": "read"})).await.body["status"], "read");
    app.patch(&path, json!({"status": "delivered"})).await.problem(409, "invalid_status_transition");
    let failed = app.patch(&path, json!({"status": "failed", "failure_reason": "number unreachable"})).await;
    assert_eq!(failed.body["status"], "failed");
    assert_eq!(failed.body["failure_reason"], "number unreachable");
    app.patch(&path, json!({"status": "lost"})).await.problem(422, "validation_failed");
    app.patch(&format!("/v1/conversations/{id}/messages/msg_missing"), json!({"status": "read"}))
        .await
        .problem(404, "message_not_found");
}

#[tokio::test]
async fn deleting_keeps_the_row_without_its_content() {
    let app = TestApp::new().await;
    let id = june(&app).await["id"].as_str().unwrap().to_owned();
    let message = post(&app, &id, json!({"sender_type": "contact", "content": "my card is 4242"})).await.body;
    let path = format!("/v1/conversations/{id}/messages/{}", message["id"].as_str().unwrap());
    let deleted = app.delete(&path).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["deleted"], true);
    assert_eq!(deleted.body["content"], "");
    assert_eq!(deleted.body["seq"], 1);
    let list = app.get(&format!("/v1/conversations/{id}/messages")).await;
    assert!(list.body["data"].as_array().unwrap().is_empty());
    let with_deleted = app.get(&format!("/v1/conversations/{id}/messages?include_deleted=true")).await;
    assert_eq!(with_deleted.body["data"][0]["deleted"], true);
    let conversation = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!(conversation["last_message"]["preview"], "Message deleted");
    assert_eq!(conversation["version"], 3, "its representation changed, so its version moved");
    let transcript = app.get(&format!("/v1/conversations/{id}/transcript")).await;
    assert!(!transcript.body.as_str().unwrap().contains("4242"));
}

#[tokio::test]
async fn feedback_is_for_ai_messages() {
    let app = TestApp::new().await;
    let id = june(&app).await["id"].as_str().unwrap().to_owned();
    let human = post(&app, &id, json!({"sender_type": "human", "content": "Hi"})).await.body;
    let human_path = format!("/v1/conversations/{id}/messages/{}/feedback", human["id"].as_str().unwrap());
    let put = |path: String, body: Value| {
        let app = &app;
        async move { app.send(axum::http::Method::PUT, &path, Some(&app.server_key), Some(&body), &[]).await }
    };
    put(human_path, json!({"rating": "positive"})).await.problem(409, "feedback_not_allowed");

    ai_mode(&app, &id).await;
    let ai =
        post(&app, &id, json!({"sender_type": "agent", "content": "Your order ships today."})).await.body;
    let path = format!("/v1/conversations/{id}/messages/{}/feedback", ai["id"].as_str().unwrap());
    let rated = put(path.clone(), json!({"rating": "negative", "comment": "wrong order"})).await;
    assert_eq!(rated.status, StatusCode::OK, "{}", rated.body);
    assert_eq!(rated.body["feedback"], json!({"rating": "negative", "comment": "wrong order"}));
    assert_eq!(app.get("/v1/conversations?has_feedback=true&include_total=true").await.body["total"], 1);
    put(path.clone(), json!({"rating": "meh"})).await.problem(422, "validation_failed");
    let cleared = app.delete(&path).await;
    assert!(cleared.body["feedback"].is_null());
    assert_eq!(app.get("/v1/conversations?has_feedback=true&include_total=true").await.body["total"], 0);
}
