//! Webhook endpoints: secrets shown once, event filters, private targets refused.

use axum::http::{Method, StatusCode};
use baton::http::Settings;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn endpoints_show_their_secret_once_and_rotate_it() {
    let app = TestApp::new().await;
    let created = app
        .post("/v1/webhooks", json!({"url": "https://example.com/hooks", "events": ["message.created", "conversation.created", "message.created"]}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let endpoint = &created.body;
    assert_eq!(endpoint["object"], "webhook_endpoint");
    assert!(endpoint["id"].as_str().unwrap().starts_with("wh_"));
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    assert_eq!(endpoint["events"], json!(["conversation.created", "message.created"]));
    assert_eq!(endpoint["enabled"], true);

    let path = format!("/v1/webhooks/{}", endpoint["id"].as_str().unwrap());
    let read = app.get(&path).await.body;
    assert_eq!(read.get("secret"), None, "the secret is not shown again");
    assert_eq!(app.get("/v1/webhooks").await.body["data"][0].get("secret"), None);

    let rotated = app.post(&format!("{path}/rotate-secret"), json!({})).await;
    let new_secret = rotated.body["secret"].as_str().unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);

    let disabled = app.patch(&path, json!({"enabled": false, "events": []})).await;
    assert_eq!(
        (disabled.body["enabled"].as_bool(), disabled.body["events"].clone()),
        (Some(false), json!([]))
    );
    let bad = app.patch(&path, json!({"url": "ftp://example.com", "events": ["message.exploded"]})).await;
    assert_eq!(bad.error_fields(), ["url", "events"]);

    let (_, other_key) = app.other_workspace().await;
    app.send(Method::GET, &path, Some(&other_key), None, &[]).await.problem(404, "webhook_not_found");
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    app.get(&path).await.problem(404, "webhook_not_found");
}

#[tokio::test]
async fn private_targets_are_refused_unless_the_server_allows_them() {
    let app = TestApp::new().await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://169.254.169.254/latest",
        "http://localhost/hook",
        "http://[::1]/",
    ] {
        let refused = app.post("/v1/webhooks", json!({"url": url})).await;
        assert_eq!(refused.error_fields(), ["url"], "{url}");
    }
    assert_eq!(app.get("/v1/webhooks").await.body["data"], Value::Array(vec![]));

    let allowing =
        TestApp::with_settings(Settings { webhook_allow_private: true, ..Settings::default() }).await;
    let local = allowing.post("/v1/webhooks", json!({"url": "http://127.0.0.1:9000/hook"})).await;
    assert_eq!(local.status, StatusCode::CREATED, "{}", local.body);
}
