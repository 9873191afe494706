//! The cross-cutting contract: every rejection is problem+json with a stable code.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = TestApp::new().await;
    app.get("/v1/nothing-here").await.problem(404, "route_not_found");
    app.send(Method::PUT, "/v1/contacts", Some(&app.server_key), None, &[])
        .await
        .problem(405, "method_not_allowed");
}

#[tokio::test]
async fn body_errors() {
    let app = TestApp::new().await;
    let raw = |content_type: &str, body: &str| {
        Request::post("/v1/contacts")
            .header("authorization", format!("Bearer {}", app.server_key))
            .header("content-type", content_type)
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    app.send_request(raw("application/json", "{\"name\": ")).await.problem(400, "invalid_json");
    app.send_request(raw("application/json", "")).await.problem(400, "invalid_json");
    app.send_request(raw("text/plain", "{}")).await.problem(415, "unsupported_media_type");
    let ok = app.send_request(raw("application/json; charset=utf-8", "{\"name\": \"A\"}")).await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    app.send_request(raw("application/json", &huge)).await.problem(413, "payload_too_large");
    let not_object = app.send_request(raw("application/json", "[1, 2]")).await;
    not_object.problem(422, "validation_failed");
    assert_eq!(not_object.error_fields(), ["body"]);
}

/// serde reads a struct from an array of its fields too; the contract says object, so an
/// array in an object's place is a 422 at any depth, before any precondition is checked.
#[tokio::test]
async fn arrays_in_place_of_objects_are_refused() {
    let app = TestApp::new().await;
    let contact = app.post("/v1/contacts", json!({"name": "Ada"})).await;
    let path = format!("/v1/contacts/{}", contact.body["id"].as_str().unwrap());
    let stale = [("if-match", "\"58\"")];
    let patched = app.send(Method::PATCH, &path, Some(&app.server_key), Some(&json!([null])), &stale).await;
    patched.problem(422, "validation_failed");
    assert_eq!(patched.error_fields(), ["body"]);

    let nested = app.post("/v1/conversations", json!({"contact": [null, null, null, null]})).await;
    nested.problem(422, "validation_failed");
    assert_eq!(nested.error_fields(), ["contact"]);
    assert_eq!(app.get("/v1/conversations").await.body["data"], json!([]));
    assert_eq!(app.get(&path).await.body["name"], "Ada");
}

/// A value of the wrong format is the caller's mistake whatever version it names: 422, not 412.
#[tokio::test]
async fn malformed_fields_are_refused_before_the_precondition() {
    let app = TestApp::new().await;
    let created = app.post("/v1/conversations", json!({"contact": {"email": "ada@example.com"}})).await;
    let path = format!("/v1/conversations/{}", created.body["id"].as_str().unwrap());
    let body = json!({"status": "snoozed", "snoozed_until": "tomorrow"});
    let patched =
        app.send(Method::PATCH, &path, Some(&app.server_key), Some(&body), &[("if-match", "\"58\"")]).await;
    patched.problem(422, "validation_failed");
    assert_eq!(patched.error_fields(), ["snoozed_until"]);
    assert_eq!(app.get(&path).await.body["status"], "open");
}

#[tokio::test]
async fn query_errors_name_the_parameter() {
    let app = TestApp::new().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=garbage", "cursor"),
        ("cursor=abc&offset=2", "offset"),
        ("include_total=yes", "include_total"),
        ("emial=x", "emial"),
        ("email=a&email=b", "email"),
    ] {
        let response = app.get(&format!("/v1/contacts?{query}")).await;
        response.problem(400, "invalid_parameter");
        assert_eq!(response.error_fields(), [field], "{query}");
    }
}

#[tokio::test]
async fn authorization_errors() {
    let app = TestApp::new().await;
    app.send(Method::GET, "/v1/me", None, None, &[]).await.problem(401, "missing_api_key");
    app.send(Method::GET, "/v1/me", Some("bt_sk_not-a-real-key"), None, &[])
        .await
        .problem(401, "invalid_api_key");
    app.send(Method::GET, "/v1/me", Some("hello"), None, &[]).await.problem(401, "invalid_api_key");
    let basic =
        Request::get("/v1/me").header("authorization", "Basic dXNlcjpwYXNz").body(Body::empty()).unwrap();
    app.send_request(basic).await.problem(401, "invalid_api_key");
    let lowercase = Request::get("/v1/me")
        .header("authorization", format!("bearer {}", app.server_key))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send_request(lowercase).await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::new().await;
    let ok = app.get("/v1/me").await;
    assert!(ok.header("x-request-id").unwrap().starts_with("req_"));
    let mine = app.send(Method::GET, "/healthz", None, None, &[("x-request-id", "proxy-123")]).await;
    assert_eq!(mine.header("x-request-id"), Some("proxy-123"));
    let junk = app.send(Method::GET, "/healthz", None, None, &[("x-request-id", "no spaces allowed")]).await;
    assert!(junk.header("x-request-id").unwrap().starts_with("req_"));
    let problem = app.post("/v1/contacts", json!({"name": ""})).await;
    assert_eq!(problem.header("x-request-id"), problem.body["request_id"].as_str());
}

#[tokio::test]
async fn typed_parameters_and_headers_must_be_well_formed() {
    let app = TestApp::new().await;
    for query in ["limit=", "include_total=", "offset="] {
        app.get(&format!("/v1/contacts?{query}")).await.problem(400, "invalid_parameter");
    }
    // Empty text filters mean "no filter", as HTML forms send them.
    assert_eq!(app.get("/v1/contacts?q=&email=").await.status, StatusCode::OK);
    let created = app.post("/v1/contacts", json!({"name": "A"})).await;
    let path = format!("/v1/contacts/{}", created.body["id"].as_str().unwrap());
    for etag in ["1", "\"1", "W/1", "\"one\""] {
        app.send(Method::PATCH, &path, Some(&app.server_key), Some(&json!({})), &[("if-match", etag)])
            .await
            .problem(400, "invalid_header");
    }
}

#[tokio::test]
async fn empty_typed_filters_are_refused() {
    let app = TestApp::new().await;
    for query in ["updated_before=", "sort=", "order=", "status=", "status=open,", "channel_type="] {
        app.get(&format!("/v1/conversations?{query}")).await.problem(400, "invalid_parameter");
    }
    app.get("/v1/channels?type=").await.problem(400, "invalid_parameter");
}
