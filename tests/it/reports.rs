//! The summary report over a day of conversations with known timings.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn start(app: &TestApp, email: &str) -> String {
    let created = app
        .post("/v1/conversations", json!({"contact": {"email": email}, "message": {"content": "Hello?"}}))
        .await;
    created.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_summary_counts_resolutions_handoffs_timings_and_ratings() {
    let app = TestApp::new().await;
    let agent = app.post("/v1/agents", json!({"name": "Ava"})).await.body["id"].as_str().unwrap().to_owned();
    let t0 = app.clock_now();
    let (a, b) = (start(&app, "a@example.com").await, start(&app, "b@example.com").await);
    start(&app, "c@example.com").await;
    app.post(&format!("/v1/conversations/{b}/handoff-request"), json!({})).await;
    app.clock.advance_ms(2_000);
    app.answer().await; // A and C answered after 2 s; B waits for a human.
    app.clock.advance_ms(8_000);
    app.post(&format!("/v1/conversations/{b}/start-human"), json!({})).await;
    app.post(
        &format!("/v1/conversations/{b}/messages"),
        json!({"sender_type": "human", "content": "Hi, I'm Sam"}),
    )
    .await;
    app.clock.advance_ms(50_000);
    app.post(&format!("/v1/conversations/{a}/resolve"), json!({})).await;
    app.clock.advance_ms(60_000);
    app.post(&format!("/v1/conversations/{b}/resolve"), json!({})).await;

    // D comes through the widget, answered at once and rated 4.
    let website =
        app.post("/v1/channels", json!({"type": "widget", "name": "Website"})).await.body["id"].clone();
    let client =
        app.post("/v1/api-keys", json!({"name": "site", "kind": "client"})).await.body["secret"].clone();
    let client = client.as_str().unwrap();
    let session = app.send(Method::POST, "/v1/widget/sessions", Some(client), Some(&json!({})), &[]).await;
    let token = session.body["contact_token"].as_str().unwrap().to_owned();
    let d = app
        .send(
            Method::POST,
            "/v1/widget/conversations",
            Some(&token),
            Some(&json!({"message": {"content": "Hi"}})),
            &[],
        )
        .await;
    let d = d.body["id"].as_str().unwrap().to_owned();
    app.answer().await;
    let rating = json!({"rating": 4});
    app.send(Method::POST, &format!("/v1/widget/conversations/{d}/rating"), Some(&token), Some(&rating), &[])
        .await;

    let report = app.get("/v1/reports/summary").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let r = &report.body;
    assert_eq!(r["object"], "report");
    assert_eq!(
        (r["conversations"].as_i64(), r["resolved"].as_i64(), r["ai_resolved"].as_i64()),
        (Some(4), Some(2), Some(1))
    );
    assert_eq!(
        (r["ai_resolved_rate"].as_f64(), r["handed_off"].as_i64(), r["handoff_rate"].as_f64()),
        (Some(0.5), Some(1), Some(0.25))
    );
    // First responses 2, 10, 2 and 0 s: the median is 2 s; resolutions 60 and 120 s: 90 s.
    assert_eq!(r["median_first_response_seconds"].as_f64(), Some(2.0));
    assert_eq!(r["median_resolution_seconds"].as_f64(), Some(90.0));
    assert_eq!((r["csat_average"].as_f64(), r["csat_responses"].as_i64()), (Some(4.0), Some(1)));
    let messages = &r["messages"];
    assert_eq!(
        (messages["contact"].as_i64(), messages["agent"].as_i64(), messages["human"].as_i64()),
        (Some(4), Some(3), Some(1))
    );

    let on_website =
        app.get(&format!("/v1/reports/summary?channel_id={}", website.as_str().unwrap())).await.body;
    assert_eq!(on_website["conversations"], 1);
    assert_eq!(app.get(&format!("/v1/reports/summary?agent_id={agent}")).await.body["conversations"], 4);
    let later = baton::clock::Timestamp(t0 + 1).to_rfc3339();
    let since = app.get(&format!("/v1/reports/summary?from={later}")).await.body;
    assert_eq!(
        (since["conversations"].as_i64(), since["median_resolution_seconds"].clone()),
        (Some(1), Value::Null)
    );

    app.get("/v1/reports/summary?from=yesterday").await.problem(400, "invalid_parameter");
    let early = baton::clock::Timestamp(t0).to_rfc3339();
    app.get(&format!("/v1/reports/summary?from={later}&to={early}")).await.problem(400, "invalid_parameter");
    let (_, other_key) = app.other_workspace().await;
    let theirs = app.send(Method::GET, "/v1/reports/summary", Some(&other_key), None, &[]).await;
    assert_eq!(theirs.body["conversations"], 0, "another workspace's conversations are not counted");
}
