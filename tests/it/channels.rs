use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn channels_crud() {
    let app = TestApp::new().await;
    let created = app
        .post("/v1/channels", json!({"type": "whatsapp", "name": "WhatsApp EU", "outbound_url": "https://bridge.example.com/out"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let channel = created.body.clone();
    assert_eq!(channel["object"], "channel");
    assert_eq!(channel["type"], "whatsapp");
    assert!(channel["agent_id"].is_null());
    assert!(channel["id"].as_str().unwrap().starts_with("ch_"));
    let path = format!("/v1/channels/{}", channel["id"].as_str().unwrap());
    // The outbound signing secret is shown on create (and rotation) only.
    let secret = channel["outbound_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let mut without_secret = channel.clone();
    without_secret.as_object_mut().unwrap().remove("outbound_secret");
    assert_eq!(app.get(&path).await.body, without_secret);
    let rotated = app.post(&format!("{path}/rotate-secret"), json!({})).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_secret = rotated.body["outbound_secret"].as_str().unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    assert_eq!(rotated.body["version"], 2);
    let patched = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.server_key),
            Some(&json!({"name": "WhatsApp", "outbound_url": null})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["name"], "WhatsApp");
    assert!(patched.body["outbound_url"].is_null());
    assert_eq!(patched.body["version"], 3);
    app.send(
        Method::PATCH,
        &path,
        Some(&app.server_key),
        Some(&json!({"name": "Y"})),
        &[("if-match", "\"1\"")],
    )
    .await
    .problem(412, "precondition_failed");

    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    app.get(&path).await.problem(404, "channel_not_found");
}

#[tokio::test]
async fn channels_filter_by_type() {
    let app = TestApp::new().await;
    for (kind, name) in
        [("widget", "Website"), ("email", "Support inbox"), ("sms", "SMS"), ("email", "Billing")]
    {
        let created = app.post("/v1/channels", json!({"type": kind, "name": name})).await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    let names = |body: &serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> =
            body["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&app.get("/v1/channels?type=email").await.body), ["Billing", "Support inbox"]);
    assert_eq!(
        names(&app.get("/v1/channels?type=email,sms").await.body),
        ["Billing", "SMS", "Support inbox"]
    );
    assert_eq!(names(&app.get("/v1/channels?type=widget&type=sms").await.body), ["SMS", "Website"]);
    let bad = app.get("/v1/channels?type=pigeon").await;
    bad.problem(400, "invalid_parameter");
    assert_eq!(bad.error_fields(), ["type"]);
}

#[tokio::test]
async fn channel_input_is_validated() {
    let app = TestApp::new().await;
    let bad_type = app.post("/v1/channels", json!({"type": "pigeon", "name": "Coop"})).await;
    bad_type.problem(422, "validation_failed");
    assert_eq!(bad_type.error_fields(), ["type"]);
    let bad = app.post("/v1/channels", json!({"type": "api", "name": "", "outbound_url": "not a url"})).await;
    assert_eq!(bad.error_fields(), ["name", "outbound_url"]);
    let agent = app.post("/v1/channels", json!({"type": "api", "name": "A", "agent_id": "agent_x"})).await;
    assert_eq!(agent.error_fields(), ["agent_id"]);
    let missing = app.post("/v1/channels", json!({"name": "A"})).await;
    assert_eq!(missing.body["errors"][0], json!({"field": "type", "message": "is required"}));
    assert_eq!(app.get("/v1/channels?include_total=true").await.body["total"], 0);
}

#[tokio::test]
async fn another_workspace_gets_404_for_my_channels() {
    let app = TestApp::new().await;
    let (_, other) = app.other_workspace().await;
    let created = app.post("/v1/channels", json!({"type": "widget", "name": "Website"})).await;
    let path = format!("/v1/channels/{}", created.body["id"].as_str().unwrap());
    app.send(Method::GET, &path, Some(&other), None, &[]).await.problem(404, "channel_not_found");
    app.send(Method::PATCH, &path, Some(&other), Some(&json!({"name": "Mine"})), &[])
        .await
        .problem(404, "channel_not_found");
    app.send(Method::DELETE, &path, Some(&other), None, &[]).await.problem(404, "channel_not_found");
    let theirs = app.send(Method::GET, "/v1/channels", Some(&other), None, &[]).await;
    assert_eq!(theirs.body["data"], json!([]));
    assert_eq!(app.get(&path).await.body["name"], "Website");
}
