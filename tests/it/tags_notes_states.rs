use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::june;
use crate::helpers::TestApp;

async fn put_tags(app: &TestApp, conversation: &str, tags: Value) -> crate::helpers::TestResponse {
    let path = format!("/v1/conversations/{conversation}/tags");
    app.send(Method::PUT, &path, Some(&app.server_key), Some(&json!({"tags": tags})), &[]).await
}

#[tokio::test]
async fn the_tag_palette_has_unique_names() {
    let app = TestApp::new().await;
    let created = app
        .post("/v1/tags", json!({"name": "Refund", "color": "#E3342F", "description": "Money back"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["object"], "tag");
    assert_eq!(created.body["color"], "#e3342f");
    app.post("/v1/tags", json!({"name": "refund"})).await.problem(409, "tag_name_taken");
    let bad = app.post("/v1/tags", json!({"name": "", "color": "red"})).await;
    assert_eq!(bad.error_fields(), ["name", "color"]);
    let grey = app.post("/v1/tags", json!({"name": "vip"})).await;
    assert_eq!(grey.body["color"], "#6b7280");

    let id = created.body["id"].as_str().unwrap();
    let renamed = app.patch(&format!("/v1/tags/{id}"), json!({"name": "Refunds"})).await;
    assert_eq!(renamed.body["name"], "Refunds");
    assert_eq!(renamed.body["version"], 2);
    app.patch(&format!("/v1/tags/{id}"), json!({"name": "VIP"})).await.problem(409, "tag_name_taken");
    let list = app.get("/v1/tags").await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.delete(&format!("/v1/tags/{id}")).await.status, StatusCode::NO_CONTENT);
    app.delete(&format!("/v1/tags/{id}")).await.problem(404, "tag_not_found");
    let (_, other) = app.other_workspace().await;
    let grey_id = grey.body["id"].as_str().unwrap();
    app.send(Method::DELETE, &format!("/v1/tags/{grey_id}"), Some(&other), None, &[])
        .await
        .problem(404, "tag_not_found");
}

#[tokio::test]
async fn conversation_tags_replace_as_a_set_and_follow_the_palette() {
    let app = TestApp::new().await;
    let conv = june(&app).await;
    let id = conv["id"].as_str().unwrap();
    let vip = app.post("/v1/tags", json!({"name": "VIP"})).await.body;
    let tagged = put_tags(&app, id, json!(["refund", vip["id"], "Refund"])).await;
    assert_eq!(tagged.status, StatusCode::OK, "{}", tagged.body);
    let names = |list: &Value| -> Vec<String> {
        list["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(tagged.body["object"], "list");
    assert_eq!(names(&tagged.body), ["refund", "VIP"], "names are unique case-insensitively");
    assert_eq!(tagged.body["data"][1]["id"], vip["id"], "tags are the palette's objects");
    assert_eq!(app.get("/v1/tags?include_total=true").await.body["total"], 2, "new names join the palette");
    let listed = app.get(&format!("/v1/conversations/{id}/tags")).await;
    assert_eq!(listed.body, tagged.body);

    let other = june(&app).await;
    put_tags(&app, other["id"].as_str().unwrap(), json!(["billing"])).await;
    let by_tag = |q: &str| {
        let (app, q) = (&app, q.to_owned());
        async move {
            app.get(&format!("/v1/conversations?{q}&include_total=true")).await.body["total"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(by_tag("tag=vip").await, 1);
    assert_eq!(by_tag(&format!("tag={}", vip["id"].as_str().unwrap())).await, 1);
    assert_eq!(by_tag("tag=vip,billing").await, 2);
    assert_eq!(by_tag("tag=nothing").await, 0);

    // A rename shows on the conversation; a delete removes the tag from it. Each is a change
    // of the conversation: its version (and ETag) moves, and an event tells open inboxes.
    let vip_id = vip["id"].as_str().unwrap();
    let version = |conversation: &Value| conversation["version"].as_i64().unwrap();
    let before = app.get(&format!("/v1/conversations/{id}")).await.body;
    app.patch(&format!("/v1/tags/{vip_id}"), json!({"name": "Gold"})).await;
    let renamed = app.get(&format!("/v1/conversations/{id}")).await;
    assert_eq!(renamed.body["tags"], json!(["Gold", "refund"]));
    assert_eq!(version(&renamed.body), version(&before) + 1);
    assert_eq!(renamed.header("etag"), Some(format!("\"{}\"", version(&before) + 1).as_str()));
    app.delete(&format!("/v1/tags/{vip_id}")).await;
    let deleted = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!(deleted["tags"], json!(["refund"]));
    assert_eq!(version(&deleted), version(&before) + 2);

    let cleared = put_tags(&app, id, json!([])).await;
    assert_eq!(cleared.body["data"], json!([]));
    put_tags(&app, id, json!(["tag_01JX3Q8ZK4V1M2N3P4Q5R6S7T8"])).await.problem(422, "validation_failed");
    let events = app.get(&format!("/v1/events?conversation_id={id}&type=conversation.tags_changed")).await;
    let changes: Vec<&Value> =
        events.body["data"].as_array().unwrap().iter().map(|e| &e["data"]["changes"]["tags"]).collect();
    assert_eq!(
        changes,
        [
            &json!([[], ["refund", "VIP"]]),
            &json!([["refund", "VIP"], ["Gold", "refund"]]),
            &json!([["Gold", "refund"], ["refund"]]),
            &json!([["refund"], []])
        ]
    );
}

#[tokio::test]
async fn notes_are_internal_and_logged() {
    let app = TestApp::new().await;
    let conv = june(&app).await;
    let id = conv["id"].as_str().unwrap();
    let path = format!("/v1/conversations/{id}/notes");
    let note = app.post(&path, json!({"body": "Reseller — check wholesale order", "pinned": true})).await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    assert_eq!(note.body["object"], "note");
    assert_eq!(note.body["pinned"], true);
    let note_path = format!("{path}/{}", note.body["id"].as_str().unwrap());
    let edited = app.patch(&note_path, json!({"body": "Reseller", "pinned": false})).await;
    assert_eq!(edited.body["body"], "Reseller");
    assert_eq!(edited.body["version"], 2);
    app.send(
        Method::PATCH,
        &note_path,
        Some(&app.server_key),
        Some(&json!({"body": "x"})),
        &[("if-match", "\"1\"")],
    )
    .await
    .problem(412, "precondition_failed");
    assert_eq!(app.get(&path).await.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.delete(&note_path).await.status, StatusCode::NO_CONTENT);
    app.delete(&note_path).await.problem(404, "note_not_found");
    app.post(&path, json!({"body": " "})).await.problem(422, "validation_failed");
    app.post("/v1/conversations/conv_missing/notes", json!({"body": "x"}))
        .await
        .problem(404, "conversation_not_found");

    let events = app
        .get(&format!("/v1/events?conversation_id={id}&type=note.created,note.updated,note.deleted"))
        .await;
    let kinds: Vec<&str> =
        events.body["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["note.created", "note.updated", "note.deleted"]);
    let transcript = app.get(&format!("/v1/conversations/{id}/transcript")).await;
    assert!(
        !transcript.body.as_str().unwrap().contains("Reseller"),
        "notes never reach the contact's transcript"
    );
}

#[tokio::test]
async fn conversation_states_order_and_apply() {
    let app = TestApp::new().await;
    let waiting = app
        .post("/v1/conversation-states", json!({"name": "Waiting on warehouse", "color": "#f6993f"}))
        .await;
    assert_eq!(waiting.status, StatusCode::CREATED, "{}", waiting.body);
    assert_eq!(waiting.body["object"], "conversation_state");
    assert_eq!(waiting.body["position"], 0);
    let review = app
        .post(
            "/v1/conversation-states",
            json!({"name": "Needs review", "color": "#3490dc", "persistent": true}),
        )
        .await;
    assert_eq!(review.body["position"], 1);
    app.post("/v1/conversation-states", json!({"name": "needs REVIEW", "color": "#000000"}))
        .await
        .problem(409, "state_name_taken");
    let first = app
        .post("/v1/conversation-states", json!({"name": "Triage", "color": "#38c172", "position": -1}))
        .await;
    assert_eq!(first.error_fields(), ["position"]);
    let review_id = review.body["id"].as_str().unwrap();
    app.patch(&format!("/v1/conversation-states/{review_id}"), json!({"position": 0})).await;
    let names: Vec<String> = app.get("/v1/conversation-states").await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Waiting on warehouse", "Needs review"], "ties in position break by id");

    let conv = june(&app).await;
    let path = format!("/v1/conversations/{}", conv["id"].as_str().unwrap());
    let set = app.patch(&path, json!({"state_id": review_id})).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["state_id"], review_id);
    assert_eq!(
        app.get(&format!("/v1/conversations?state_id={review_id}&include_total=true")).await.body["total"],
        1
    );
    app.patch(&path, json!({"state_id": "state_missing"})).await.problem(422, "validation_failed");
    assert_eq!(
        app.delete(&format!("/v1/conversation-states/{review_id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let cleared = app.get(&path).await.body;
    assert!(cleared["state_id"].is_null(), "deleting a state clears it from conversations");
    assert_eq!(cleared["version"], set.body["version"].as_i64().unwrap() + 1, "as a new version");
}

/// Renaming a tag while its conversation's tags are being replaced: both touch the same
/// conversation (the rename rewrites it), so they must serialise, never deadlock or lose a
/// change, and the conversation ends in a state one of the orders would give.
#[tokio::test]
async fn a_tag_rename_racing_a_tag_change_on_the_same_conversation_loses_nothing() {
    let app = TestApp::new().await;
    let id = june(&app).await["id"].as_str().unwrap().to_owned();
    let vip = app.post("/v1/tags", json!({"name": "VIP"})).await.body;
    let vip_id = vip["id"].as_str().unwrap().to_owned();
    put_tags(&app, &id, json!(["VIP"])).await;
    for round in 0..5 {
        let name = format!("VIP {round}");
        let tag_path = format!("/v1/tags/{vip_id}");
        let (renamed, retagged) = tokio::join!(
            app.patch(&tag_path, json!({"name": name})),
            put_tags(&app, &id, json!([vip_id, format!("extra {round}")])),
        );
        assert_eq!(
            (renamed.status, retagged.status),
            (StatusCode::OK, StatusCode::OK),
            "{} {}",
            renamed.body,
            retagged.body
        );
        let stored = app.get(&format!("/v1/conversations/{id}")).await.body;
        let mut expected = vec![name.clone(), format!("extra {round}")];
        expected.sort_by_key(|n| n.to_lowercase());
        assert_eq!(stored["tags"], json!(expected), "round {round}");
    }
}
