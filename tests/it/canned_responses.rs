//! Canned responses: saved replies with shortcodes, read by agents, managed by admins.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::signed_in;
use crate::helpers::TestApp;

async fn canned(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v1/canned-responses", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

fn shortcodes(list: &Value) -> Vec<&str> {
    list["data"].as_array().unwrap().iter().map(|c| c["shortcode"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn canned_responses_are_created_found_by_shortcode_or_title_and_changed() {
    let app = TestApp::new().await;
    let refund = canned(
        &app,
        json!({"shortcode": "refund", "title": "Refund policy",
               "body": "Hi {{contact.first_name}}, refunds reach your card within 5 days. {{member.name}}"}),
    )
    .await;
    assert_eq!(refund["object"], "canned_response");
    assert!(refund["id"].as_str().unwrap().starts_with("cr_"));
    assert_eq!(refund["version"], 1);
    canned(&app, json!({"shortcode": "refund_late", "title": "Late refunds", "body": "Sorry for the wait."}))
        .await;
    canned(
        &app,
        json!({"shortcode": "shipping", "title": "Where is my parcel", "body": "It is on its way."}),
    )
    .await;

    let all = app.get("/v1/canned-responses?include_total=true").await;
    assert_eq!(shortcodes(&all.body), ["shipping", "refund_late", "refund"], "newest first");
    assert_eq!(all.body["total"], 3);
    let by_prefix = app.get("/v1/canned-responses?q=REF").await;
    assert_eq!(shortcodes(&by_prefix.body), ["refund_late", "refund"]);
    let by_title = app.get("/v1/canned-responses?q=parcel").await;
    assert_eq!(shortcodes(&by_title.body), ["shipping"]);
    let underscore_is_literal = app.get("/v1/canned-responses?q=refund_").await;
    assert_eq!(shortcodes(&underscore_is_literal.body), ["refund_late"]);
    assert_eq!(shortcodes(&app.get("/v1/canned-responses?q=").await.body).len(), 3);

    let id = refund["id"].as_str().unwrap();
    let path = format!("/v1/canned-responses/{id}");
    let got = app.get(&path).await;
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.body["body"], refund["body"]);

    let changed = app.patch(&path, json!({"shortcode": "refunds", "title": null})).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!((changed.body["shortcode"].as_str(), &changed.body["title"]), (Some("refunds"), &Value::Null));
    assert_eq!(changed.body["version"], 2);
    app.patch(&path, json!({"shortcode": "shipping"})).await.problem(409, "shortcode_taken");
    let stale = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.server_key),
            Some(&json!({"body": "x"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    stale.problem(412, "precondition_failed");
    assert_eq!(app.get(&path).await.body["body"], refund["body"], "a refused change changes nothing");

    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    app.get(&path).await.problem(404, "canned_response_not_found");
    app.delete(&path).await.problem(404, "canned_response_not_found");
}

#[tokio::test]
async fn bad_canned_responses_are_refused_naming_each_field() {
    let app = TestApp::new().await;
    canned(&app, json!({"shortcode": "hello", "body": "Hello!"})).await;
    app.post("/v1/canned-responses", json!({"shortcode": "hello", "body": "Again"}))
        .await
        .problem(409, "shortcode_taken");
    let bad =
        app.post("/v1/canned-responses", json!({"shortcode": "Hello There", "title": " ", "body": ""})).await;
    bad.problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), ["shortcode", "title", "body"]);
    let unknown = app
        .post("/v1/canned-responses", json!({"shortcode": "nick", "body": "Hey {{contact.nickname}}"}))
        .await;
    unknown.problem(422, "validation_failed");
    assert_eq!(unknown.error_fields(), ["body"]);
    assert!(unknown.body["errors"][0]["message"].as_str().unwrap().contains("{{contact.first_name}}"));
    let extra = app.post("/v1/canned-responses", json!({"shortcode": "x", "body": "y", "tags": []})).await;
    assert_eq!(extra.error_fields(), ["tags"]);
    let total = app.get("/v1/canned-responses?include_total=true").await.body["total"].clone();
    assert_eq!(total, 1, "nothing refused was stored");
}

#[tokio::test]
async fn agents_read_canned_responses_and_only_admins_manage_them() {
    let app = TestApp::new().await;
    let (_, agent) = signed_in(&app, "Ana", "agent").await;
    let (_, admin) = signed_in(&app, "Bo", "admin").await;
    let body = json!({"shortcode": "hi", "body": "Hi {{contact.name}}"});
    let as_admin = app.send(Method::POST, "/v1/canned-responses", Some(&admin), Some(&body), &[]).await;
    assert_eq!(as_admin.status, StatusCode::CREATED, "{}", as_admin.body);
    let path = format!("/v1/canned-responses/{}", as_admin.body["id"].as_str().unwrap());

    let listed = app.send(Method::GET, "/v1/canned-responses", Some(&agent), None, &[]).await;
    assert_eq!(shortcodes(&listed.body), ["hi"]);
    assert_eq!(app.send(Method::GET, &path, Some(&agent), None, &[]).await.status, StatusCode::OK);
    let other = json!({"shortcode": "bye", "body": "Bye"});
    app.send(Method::POST, "/v1/canned-responses", Some(&agent), Some(&other), &[])
        .await
        .problem(403, "forbidden_for_role");
    app.send(Method::PATCH, &path, Some(&agent), Some(&json!({"body": "Yo"})), &[])
        .await
        .problem(403, "forbidden_for_role");
    app.send(Method::DELETE, &path, Some(&agent), None, &[]).await.problem(403, "forbidden_for_role");

    let (_, other_key) = app.other_workspace().await;
    app.send(Method::GET, &path, Some(&other_key), None, &[]).await.problem(404, "canned_response_not_found");
    let theirs = app.send(Method::GET, "/v1/canned-responses", Some(&other_key), None, &[]).await;
    assert!(shortcodes(&theirs.body).is_empty(), "another workspace sees none of them");
}
