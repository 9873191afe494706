//! Seed 001, "Chats": camelCase chats, created with 200, paged by number, filtered by array
//! or single values, details with the responder, soft removal.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn chats_are_created_listed_detailed_and_removed() {
    let app = TestApp::new().await;
    let agent =
        app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Help."}})).await.body;
    let channel = app.post("/v1/channels", json!({"type": "waha", "name": "WAHA"})).await.body;
    let owner = app
        .post("/v1/contacts", json!({"email": "june@example.com", "name": "June", "external_id": "u-1"}))
        .await
        .body;
    let created = app
        .post("/api/v1/chats", json!({"channelId": channel["id"], "ownerId": owner["id"], "title": "Order"}))
        .await;
    assert_eq!(created.status, StatusCode::OK, "the document answers a create with 200: {}", created.body);
    assert_eq!(
        keys(&created.body),
        [
            "channelId",
            "createdAt",
            "currentResponderId",
            "id",
            "isRemoved",
            "lastChatMessageCreatedAt",
            "ownerId",
            "responderId",
            "title",
            "updatedAt",
            "workspaceId"
        ]
    );
    assert_eq!(
        (&created.body["responderId"], &created.body["currentResponderId"]),
        (&agent["id"], &agent["id"])
    );
    assert_eq!(
        (&created.body["isRemoved"], &created.body["lastChatMessageCreatedAt"]),
        (&json!(false), &Value::Null)
    );
    let id = created.body["id"].as_str().unwrap();
    let other = app
        .post("/api/v1/chats", json!({"channelId": null, "ownerId": owner["id"], "title": null}))
        .await
        .body;
    app.clock.advance_ms(1000);
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        json!({"sender_type": "contact", "content": "Where is it?"}),
    )
    .await;
    app.answer().await;
    let page = app.get("/api/v1/chats?pageSize=1").await.body;
    assert_eq!(ids(&page), [id], "a plain array, most recent activity first");
    let second = app.get("/api/v1/chats?pageSize=1&pageNumber=2").await.body;
    assert_eq!(ids(&second), [other["id"].as_str().unwrap()]);
    let by_channel = format!("/api/v1/chats?channelIds={}", channel["id"].as_str().unwrap());
    assert_eq!(ids(&app.get(&by_channel).await.body), [id], "a single value");
    let by_owner = format!("/api/v1/chats?ownerIds[]={0}&ownerIds[]={0}", owner["id"].as_str().unwrap());
    assert_eq!(app.get(&by_owner).await.body.as_array().unwrap().len(), 2, "an array");
    assert_eq!(ids(&app.get("/api/v1/chats?channelTypes=waha").await.body), [id]);
    let by_responder = format!("/api/v1/chats?responderIds={}", agent["id"].as_str().unwrap());
    assert_eq!(app.get(&by_responder).await.body.as_array().unwrap().len(), 2);
    app.get("/api/v1/chats?responderIds=ava").await.problem(422, "validation_failed");
    app.get("/api/v1/chats?pageSize=101").await.problem(400, "invalid_parameter");

    let details = app.get(&format!("/api/v1/chats/{id}/details")).await;
    assert_eq!(details.status, StatusCode::OK, "{}", details.body);
    let d = &details.body;
    assert_eq!((&d["channelName"], &d["channelType"]), (&json!("WAHA"), &json!("waha")));
    assert_eq!(
        (&d["ownerEmail"], &d["ownerIdentifier"], &d["ownerName"]),
        (&json!("june@example.com"), &json!("u-1"), &json!("June"))
    );
    assert_eq!(
        (&d["responderEntity"], &d["responderName"], &d["responderVersionNumber"]),
        (&json!("agent"), &json!("Ava"), &json!(1))
    );
    assert_eq!((&d["lastMessageRole"], &d["penultimateMessageRole"]), (&json!("agent"), &json!("contact")));
    assert_eq!(d["penultimateMessageContent"], "Where is it?");
    assert_eq!((&d["isOwnerBlocked"], &d["ticketId"]), (&json!(false), &Value::Null));
    let listed = app.get("/api/v1/chats/details?pageSize=10").await.body;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let wrong_version =
        format!("/api/v1/chats/{id}/details?responderVersionId=agv_01JX3Q8ZK4V1M2N3P4Q5R6S7T8");
    app.get(&wrong_version).await.problem(404, "conversation_not_found");

    let patched = app.patch(&format!("/api/v1/chats/{id}"), json!({"title": "Order 4421"})).await;
    assert_eq!((patched.status, &patched.body["title"]), (StatusCode::OK, &json!("Order 4421")));
    let refused = app
        .patch(&format!("/api/v1/chats/{id}"), json!({"lastChatMessageCreatedAt": "2020-01-01T00:00:00Z"}))
        .await;
    assert_eq!(refused.error_fields(), ["lastChatMessageCreatedAt"]);
    // Not a date-time at all: refused too, though this chat has no message yet to compare.
    for malformed in [json!("2024-01-01T12:99:00Z"), json!(7)] {
        let refused =
            app.patch(&format!("/api/v1/chats/{id}"), json!({"lastChatMessageCreatedAt": malformed})).await;
        assert_eq!(
            refused.problem(422, "validation_failed")["errors"][0]["field"],
            "lastChatMessageCreatedAt"
        );
    }

    let removed =
        app.send(Method::DELETE, &format!("/api/v1/chats/{id}"), Some(&app.server_key), None, &[]).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(removed.body["message"].is_string());
    assert_eq!(app.get(&format!("/api/v1/chats/{id}")).await.body["isRemoved"], true);
    assert_eq!(
        app.get("/api/v1/chats").await.body.as_array().unwrap().len(),
        1,
        "removed chats leave the list"
    );
}

#[tokio::test]
async fn a_chat_no_agent_answers_is_the_teams() {
    let app = TestApp::new().await;
    let team = app.post("/v1/teams", json!({"name": "Billing"})).await.body;
    let owner = app.post("/v1/contacts", json!({"email": "june@example.com"})).await.body;
    let chat = app
        .post("/api/v1/chats", json!({"channelId": null, "ownerId": owner["id"], "title": null}))
        .await
        .body;
    let id = chat["id"].as_str().unwrap();
    assert_eq!(chat["responderId"], Value::Null);
    app.patch(&format!("/v1/conversations/{id}"), json!({"team_id": team["id"]})).await;
    let details = app.get(&format!("/api/v1/chats/{id}/details")).await.body;
    assert_eq!((&details["responderEntity"], &details["responderName"]), (&json!("team"), &json!("Billing")));
    let by_team = format!("/api/v1/chats?responderIds={}", team["id"].as_str().unwrap());
    assert_eq!(ids(&app.get(&by_team).await.body), [id]);
    let refused = app.post("/api/v1/chats", json!({"channelId": null, "title": "No owner"})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let unknown = app
        .post(
            "/api/v1/chats",
            json!({"channelId": "ch_01JX3Q8ZK4V1M2N3P4Q5R6S7T8", "ownerId": owner["id"], "title": null}),
        )
        .await;
    assert_eq!(unknown.error_fields(), ["channelId"], "errors use the document's names");
}
