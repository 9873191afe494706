//! `/v1/conversations/counts` answers the inbox's views from tallies kept by triggers; every
//! other filter counts the conversations. Both must say the same after every kind of change.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{say, signed_in};
use crate::helpers::TestApp;

/// Filters the tallies answer, as the inbox's views use them.
const VIEWS: &[&str] = &[
    "",
    "status=open",
    "status=resolved,closed",
    "mode=ai",
    "mode=handoff_requested&assignee_id=none",
    "assignee_id=none",
    "include_removed=true",
    "status=open,pending,snoozed&mode=human",
];

/// The counts for `filter` from the tallies, checked against counting the same conversations
/// (a filter on every priority matches them all, and the tallies do not keep priority).
async fn counts(app: &TestApp, filter: &str) -> Value {
    let tallied = app.get(&format!("/v1/conversations/counts?{filter}")).await;
    assert_eq!(tallied.status, StatusCode::OK, "{}", tallied.body);
    let counted =
        app.get(&format!("/v1/conversations/counts?{filter}&priority=low,normal,high,urgent")).await;
    assert_eq!(tallied.body, counted.body, "tallies and counting disagree for {filter:?}");
    tallied.body
}

async fn all_agree(app: &TestApp, member: &str) {
    for view in VIEWS {
        counts(app, view).await;
    }
    counts(app, &format!("assignee_id={member}")).await;
}

#[tokio::test]
async fn tallied_counts_follow_every_change_a_conversation_goes_through() {
    let app = TestApp::new().await;
    let (member, token) = signed_in(&app, "Ana", "agent").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        if i == 3 {
            // From here on an AI agent answers new conversations.
            let agent =
                app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Help."}})).await;
            assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
        }
        let body =
            json!({"contact": {"email": format!("c{i}@example.com")}, "message": {"content": "Hello"}});
        let created = app.post("/v1/conversations", body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    all_agree(&app, &member).await;
    let before = counts(&app, "").await;
    assert_eq!(before["total"], 6);
    assert_eq!(before["mode"], json!({"ai": 3, "handoff_requested": 3, "human": 0}));

    // A member takes one over and replies; another is resolved, then the contact writes again.
    let take = app
        .send(
            Method::POST,
            &format!("/v1/conversations/{}/start-human", ids[0]),
            Some(&token),
            Some(&json!({})),
            &[],
        )
        .await;
    assert_eq!(take.status, StatusCode::OK, "{}", take.body);
    app.post(&format!("/v1/conversations/{}/resolve", ids[1]), json!({})).await;
    all_agree(&app, &member).await;
    say(&app, &ids[1], "contact", "Actually, one more thing").await;
    say(&app, &ids[3], "human", "A person here").await;
    all_agree(&app, &member).await;

    // Assigned, unassigned, snoozed, closed, removed and restored.
    app.patch(&format!("/v1/conversations/{}", ids[4]), json!({"assignee_id": member})).await;
    app.patch(&format!("/v1/conversations/{}", ids[0]), json!({"assignee_id": null})).await;
    app.patch(
        &format!("/v1/conversations/{}", ids[2]),
        json!({"status": "snoozed", "snoozed_until": "2099-01-01T00:00:00.000Z"}),
    )
    .await;
    app.post(&format!("/v1/conversations/{}/close", ids[5]), json!({})).await;
    app.delete(&format!("/v1/conversations/{}", ids[4])).await;
    app.delete(&format!("/v1/conversations/{}", ids[3])).await;
    app.post(&format!("/v1/conversations/{}/restore", ids[3]), json!({})).await;
    all_agree(&app, &member).await;
    let after = counts(&app, "").await;
    assert_eq!(after["total"], 5, "one removed");
    assert_eq!(counts(&app, "include_removed=true").await["total"], 6);
    assert_eq!(counts(&app, "status=snoozed").await["total"], 1);

    // Deleting the member unassigns their conversations.
    let deleted = app.delete(&format!("/v1/members/{member}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    all_agree(&app, &member).await;
    assert_eq!(counts(&app, &format!("assignee_id={member}&include_removed=true")).await["total"], 0);
}
