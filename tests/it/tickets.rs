//! Tickets opened from conversations.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn a_conversation_opens_one_numbered_ticket_that_is_tracked() {
    let app = TestApp::new().await;
    let conv = app
        .post(
            "/v1/conversations",
            json!({"contact": {"email": "june@example.com"}, "title": "Broken blender", "priority": "high"}),
        )
        .await;
    let id = conv.body["id"].as_str().unwrap();
    let other = app.post("/v1/conversations", json!({"contact": {"email": "max@example.com"}})).await;
    let other = other.body["id"].as_str().unwrap();

    // No body: the subject and priority come from the conversation.
    let opened = app
        .send(Method::POST, &format!("/v1/conversations/{id}/ticket"), Some(&app.server_key), None, &[])
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let ticket = &opened.body;
    assert!(ticket["id"].as_str().unwrap().starts_with("tkt_"));
    assert_eq!((ticket["number"].as_i64(), ticket["subject"].as_str()), (Some(1), Some("Broken blender")));
    assert_eq!((ticket["status"].as_str(), ticket["priority"].as_str()), (Some("open"), Some("high")));
    let second =
        app.post(&format!("/v1/conversations/{other}/ticket"), json!({"subject": "Where is my order"})).await;
    assert_eq!(second.body["number"], 2, "numbers count per workspace");
    app.post(&format!("/v1/conversations/{id}/ticket"), json!({})).await.problem(409, "ticket_exists");
    app.post("/v1/conversations/conv_missing/ticket", json!({})).await.problem(404, "conversation_not_found");

    let embedded = app.get(&format!("/v1/conversations/{id}")).await.body["ticket"].clone();
    assert_eq!(embedded, json!({"id": ticket["id"], "number": 1, "status": "open"}));

    let ana =
        app.post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"})).await;
    let ana = ana.body["id"].as_str().unwrap();
    let path = format!("/v1/tickets/{}", ticket["id"].as_str().unwrap());
    let solved = app.patch(&path, json!({"status": "solved", "assignee_id": ana})).await;
    assert_eq!((solved.body["status"].as_str(), solved.body["version"].as_i64()), (Some("solved"), Some(2)));
    let stale = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.server_key),
            Some(&json!({"status": "closed"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    stale.problem(412, "precondition_failed");
    let bad = app.patch(&path, json!({"status": "done", "subject": ""})).await;
    bad.problem(422, "validation_failed");
    assert_eq!(app.patch(&path, json!({"assignee_id": "mem_nobody"})).await.error_fields(), ["assignee_id"]);

    let ids = |body: &Value| -> Vec<i64> {
        body["data"].as_array().unwrap().iter().map(|t| t["number"].as_i64().unwrap()).collect()
    };
    assert_eq!(ids(&app.get("/v1/tickets").await.body), [2, 1]);
    assert_eq!(ids(&app.get("/v1/tickets?status=solved").await.body), [1]);
    assert_eq!(ids(&app.get(&format!("/v1/tickets?assignee_id={ana}")).await.body), [1]);
    assert_eq!(ids(&app.get("/v1/tickets?assignee_id=none").await.body), [2]);
    assert_eq!(ids(&app.get(&format!("/v1/tickets?conversation_id={other}")).await.body), [2]);
    app.get("/v1/tickets?status=done").await.problem(400, "invalid_parameter");

    let log = app.get("/v1/events?type=ticket.created,ticket.updated").await;
    let kinds: Vec<&str> =
        log.body["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ticket.created", "ticket.created", "ticket.updated"]);
    assert_eq!(log.body["data"][2]["data"]["changes"]["status"], json!(["open", "solved"]));

    let (_, other_key) = app.other_workspace().await;
    let theirs = app.send(Method::GET, &path, Some(&other_key), None, &[]).await;
    theirs.problem(404, "ticket_not_found");
}
