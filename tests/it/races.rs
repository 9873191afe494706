//! Requests that arrive together for the same things — the same new contact from two
//! channels, a double-clicked form, writes to one conversation from several agents — all
//! succeed, as they would one after another: no 409 for a contact that another request was
//! creating, no deadlock surfacing as an error, on SQLite and on PostgreSQL alike.

use std::collections::{HashMap, HashSet};

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::conversation;
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conversations_created_at_once_for_the_same_contacts_share_one_contact_each() {
    let app = TestApp::new().await;
    // Half the contacts exist already, half are new: creates that find a contact and creates
    // that make one take their locks in the same order.
    for i in 0..5 {
        conversation(&app, json!({"contact": {"email": format!("c{i}@example.com")}})).await;
    }
    let creates = (0..160).map(|i| {
        let body = json!({
            "contact": {"email": format!("c{}@example.com", i % 10)},
            "message": {"sender_type": "contact", "content": format!("Order question {i}")},
        });
        app.post("/v1/conversations", body)
    });
    let responses = futures_util::future::join_all(creates).await;
    let mut contact_of: HashMap<String, HashSet<String>> = HashMap::new();
    for response in &responses {
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        let contact = &response.body["contact"];
        let email = contact["email"].as_str().unwrap().to_owned();
        contact_of.entry(email).or_default().insert(contact["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(contact_of.len(), 10);
    assert!(contact_of.values().all(|ids| ids.len() == 1), "{contact_of:?}");
    assert_eq!(app.get("/v1/contacts?include_total=true").await.body["total"], 10);
    let mut numbers: Vec<i64> = responses.iter().map(|r| r.body["number"].as_i64().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (6..=165).collect::<Vec<_>>(), "numbers without gaps or duplicates");
    // Each new contact was announced once.
    let events = app.get("/v1/events?type=contact.created&limit=100&include_total=true").await;
    assert_eq!(events.body["total"], 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_racing_on_the_same_conversations_all_succeed() {
    let app = TestApp::new().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let created = conversation(&app, json!({"contact": {"email": format!("r{i}@example.com")}})).await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let tags = ["refund", "vip", "late"];
    let mut tag_ids = Vec::new();
    for name in tags {
        tag_ids
            .push(app.post("/v1/tags", json!({"name": name})).await.body["id"].as_str().unwrap().to_owned());
    }
    let mut writes = Vec::new();
    for round in 0..12 {
        for (i, id) in ids.iter().enumerate() {
            let other = &ids[(i + 1) % ids.len()];
            let message = json!({"sender_type": "contact", "content": format!("message {round}")});
            writes.push((Method::POST, format!("/v1/conversations/{id}/messages"), message));
            let priority = ["low", "high", "urgent"][round % 3];
            writes.push((Method::PATCH, format!("/v1/conversations/{id}"), json!({"priority": priority})));
            let tag = tags[(round + i) % tags.len()];
            writes.push((Method::PUT, format!("/v1/conversations/{other}/tags"), json!({"tags": [tag]})));
            writes.push((Method::POST, format!("/v1/conversations/{id}/notes"), json!({"body": "note"})));
        }
        // A tag renamed while conversations carrying it change.
        let renamed = json!({"name": format!("{}-{round}", tags[round % 3])});
        writes.push((Method::PATCH, format!("/v1/tags/{}", tag_ids[round % 3]), renamed));
    }
    let app = &app;
    let sends = writes.iter().map(|(method, path, body)| async move {
        let response = app.send(method.clone(), path, Some(&app.server_key), Some(body), &[]).await;
        (method, path, response)
    });
    for (method, path, response) in futures_util::future::join_all(sends).await {
        assert!(response.status.is_success(), "{method} {path}: {} {}", response.status, response.body);
    }
    for id in &ids {
        let messages = app.get(&format!("/v1/conversations/{id}/messages?limit=100")).await;
        let from_contact = messages.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["sender_type"] == "contact")
            .count();
        assert_eq!(from_contact, 12, "every acknowledged message is stored once");
    }
}
