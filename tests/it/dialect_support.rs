//! Seed 004, "support conversations": its create response and message list as documented,
//! requester lookup-or-create, limit/offset with `count`, senders by email, resolve.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn a_requester_opens_a_conversation_and_an_agent_answers_by_email() {
    let app = TestApp::new().await;
    let created = app
        .post(
            "/api/v1/conversations/create/",
            json!({"subject": "Help with order #1234", "user_email": "customer@example.com",
                   "user_first_name": "Jane", "user_last_name": "Doe", "description": "I need help with my order",
                   "channel": "web", "metadata": {"callback_time": "afternoon"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let c = &created.body;
    assert_eq!(
        keys(c),
        [
            "channel",
            "created_at",
            "id",
            "metadata",
            "number",
            "priority",
            "requester",
            "status",
            "subject",
            "updated_at"
        ]
    );
    assert_eq!(
        (&c["number"], &c["subject"], &c["status"]),
        (&json!(1), &json!("Help with order #1234"), &json!("open"))
    );
    assert_eq!((&c["priority"], &c["channel"]), (&json!("normal"), &json!("web")));
    assert_eq!(c["metadata"], json!({"callback_time": "afternoon"}));
    assert_eq!(
        c["requester"],
        json!({"email": "customer@example.com", "first_name": "Jane", "last_name": "Doe"})
    );
    let id = c["id"].as_str().unwrap();

    // The same requester again is looked up, not created twice.
    let again = app
        .post(
            "/api/v1/conversations/create",
            json!({"subject": "Another", "user_email": "Customer@example.com"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body["requester"]["first_name"], "Jane");
    let anonymous = app.post("/api/v1/conversations/create/", json!({"subject": "No email"})).await;
    assert_eq!(anonymous.body["requester"], json!({"email": null, "first_name": null, "last_name": null}));
    assert_eq!(app.get("/v1/contacts?include_total=true").await.body["total"], 2);

    app.post("/v1/members", json!({"name": "Ana", "email": "agent@yourcompany.com", "role": "agent"})).await;
    let reply = app
        .post(
            &format!("/api/v1/conversations/{id}/messages/create/"),
            json!({"body": "Sure! Let me look into that.", "user_email": "agent@yourcompany.com"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(keys(&reply.body), ["body", "created_at", "id", "message_type", "sender_email"]);
    assert_eq!(reply.body["sender_email"], "agent@yourcompany.com");

    let listed = app.get(&format!("/api/v1/conversations/{id}/messages/")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let thread: Vec<(&Value, &Value, &Value)> = listed.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (&m["sender_email"], &m["body"], &m["message_type"]))
        .collect();
    assert_eq!(listed.body["count"], 3);
    assert_eq!(
        thread,
        [
            (&json!("customer@example.com"), &json!("I need help with my order"), &json!("reply")),
            (&Value::Null, &json!("A human agent joined the conversation"), &json!("system")),
            (&json!("agent@yourcompany.com"), &json!("Sure! Let me look into that."), &json!("reply")),
        ],
        "oldest first; the takeover marker is Baton's own"
    );
    let stranger = app
        .post(
            &format!("/api/v1/conversations/{id}/messages/create/"),
            json!({"body": "?", "user_email": "who@example.com"}),
        )
        .await;
    assert_eq!(stranger.error_fields(), ["user_email"], "errors use the document's names");

    let resolved = app.post(&format!("/api/v1/conversations/{id}/resolve/"), json!({})).await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(app.get(&format!("/v1/conversations/{id}")).await.body["status"], "resolved");
    assert_eq!(app.get(&format!("/api/v1/conversations/{id}")).await.body["status"], "resolved");
}

#[tokio::test]
async fn lists_page_by_limit_and_offset_and_filter_by_requester_and_status() {
    let app = TestApp::new().await;
    for i in 0..5 {
        let email = if i % 2 == 0 { "even@example.com" } else { "odd@example.com" };
        app.post("/api/v1/conversations/create/", json!({"subject": format!("#{i}"), "user_email": email}))
            .await;
        app.clock.advance_ms(1000);
    }
    let subjects = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = app.get("/api/v1/conversations/?limit=2&offset=1").await.body;
    assert_eq!((page["count"].as_i64(), subjects(&page)), (Some(5), vec!["#3".into(), "#2".into()]));
    let even = app.get("/api/v1/conversations?user_email=even@example.com").await.body;
    assert_eq!(subjects(&even), ["#4", "#2", "#0"]);
    let first =
        app.get("/api/v1/conversations/?limit=1").await.body["results"][0]["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/conversations/{first}/resolve"), json!({})).await;
    assert_eq!(subjects(&app.get("/api/v1/conversations/?status=resolved").await.body), ["#4"]);
    app.get("/api/v1/conversations/?status=done").await.problem(400, "invalid_parameter");
    app.get("/api/v1/conversations/?limit=101").await.problem(400, "invalid_parameter");
    let long = "x".repeat(501);
    let refused = app.post("/api/v1/conversations/create/", json!({"subject": long})).await;
    assert_eq!(refused.error_fields(), ["subject"]);
    let refused =
        app.post("/api/v1/conversations/create/", json!({"subject": "Hi", "priority": "asap"})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(app.get("/api/v1/conversations/").await.body["count"], 5, "refusals created nothing");
}

#[tokio::test]
async fn a_client_key_cannot_read_the_organisations_conversations() {
    let app = TestApp::new().await;
    let client = app.post("/v1/api-keys", json!({"name": "site", "kind": "client"})).await;
    let client = client.body["secret"].as_str().unwrap();
    let listed = app.send(Method::GET, "/api/v1/conversations/", Some(client), None, &[]).await;
    listed.problem(403, "forbidden_for_key");
}
