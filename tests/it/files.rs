//! Files: uploads checked on their bytes, attached to messages by id, served by signed
//! expiring URLs with headers that never let a browser run them, erased with their owners.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";

/// Uploads `bytes` as a raw body.
async fn upload(app: &TestApp, key: &str, bytes: &[u8], content_type: &str, name: &str) -> TestResponse {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/v1/uploads?name={name}"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", content_type)
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    app.send_request(request).await
}

/// GETs `path` (with `key`, if any), returning the status, headers and raw bytes.
async fn fetch(app: &TestApp, path: &str, key: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::builder().uri(path);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let response = app.router.clone().oneshot_request(request.body(Body::empty()).unwrap()).await;
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

trait Oneshot {
    async fn oneshot_request(self, request: Request<Body>) -> axum::response::Response;
}

impl Oneshot for axum::Router {
    async fn oneshot_request(self, request: Request<Body>) -> axum::response::Response {
        tower::ServiceExt::oneshot(self, request).await.unwrap()
    }
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

/// A visitor: `(contact id, contact token)`.
async fn visitor(app: &TestApp, name: &str) -> (String, String) {
    let key = app.post("/v1/api-keys", json!({"name": "Website", "kind": "client"})).await.body;
    let session = app
        .send(Method::POST, "/v1/widget/sessions", key["secret"].as_str(), Some(&json!({"name": name})), &[])
        .await;
    assert_eq!(session.status, StatusCode::CREATED, "{}", session.body);
    (str_of(&session.body["contact"], "id").to_owned(), str_of(&session.body, "contact_token").to_owned())
}

#[tokio::test]
async fn an_upload_is_typed_by_its_bytes_and_served_by_its_signed_url() {
    let app = TestApp::new().await;
    // Declared as jpeg, named .jpg: the bytes are a PNG, and that is what it is.
    let uploaded = upload(&app, &app.server_key, PNG, "image/jpeg", "photo.jpg").await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let body = &uploaded.body;
    assert_eq!((str_of(body, "object"), str_of(body, "mime_type")), ("upload", "image/png"));
    assert_eq!((str_of(body, "name"), body["size"].as_i64()), ("photo.jpg", Some(PNG.len() as i64)));
    assert!(str_of(body, "id").starts_with("file_"));
    assert_eq!(str_of(body, "sha256").len(), 64);

    let url = str_of(body, "url");
    assert!(url.contains("expires=") && url.contains("signature="), "{url}");
    let (status, headers, bytes) = fetch(&app, url, None).await;
    assert_eq!(status, StatusCode::OK, "a signed URL needs no key");
    assert_eq!(bytes, PNG);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("inline"));
    assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));

    // Without the signature, a key of the workspace reaches it; nothing else does.
    let plain = format!("/v1/files/{}", str_of(body, "id"));
    assert_eq!(fetch(&app, &plain, Some(&app.server_key)).await.0, StatusCode::OK);
    assert_eq!(fetch(&app, &plain, None).await.0, StatusCode::UNAUTHORIZED);
    let (_, other_key) = app.other_workspace().await;
    assert_eq!(
        fetch(&app, &plain, Some(&other_key)).await.0,
        StatusCode::NOT_FOUND,
        "another workspace's key"
    );
}

#[tokio::test]
async fn a_form_upload_of_a_pdf_downloads_as_an_attachment() {
    let app = TestApp::new().await;
    let form = b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"label.pdf\"\r\n\
Content-Type: application/pdf\r\n\r\n%PDF-1.7\n1 0 obj\r\n--b0undary--\r\n";
    let uploaded =
        upload(&app, &app.server_key, form, "multipart/form-data; boundary=b0undary", "ignored").await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    assert_eq!(
        (str_of(&uploaded.body, "name"), str_of(&uploaded.body, "mime_type")),
        ("label.pdf", "application/pdf")
    );
    let (status, headers, bytes) = fetch(&app, str_of(&uploaded.body, "url"), None).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, &b"%PDF-1.7\n1 0 obj"[..]));
    assert_eq!(headers["content-disposition"], "attachment; filename*=UTF-8''label.pdf");
}

#[tokio::test]
async fn refused_uploads_change_nothing() {
    let app = TestApp::with_settings(baton::http::Settings { upload_limit: 64, ..Default::default() }).await;
    let too_big = upload(&app, &app.server_key, &[b'a'; 65], "text/plain", "big.txt").await;
    too_big.problem(413, "payload_too_large");
    let html =
        upload(&app, &app.server_key, b"<html><script>alert(1)</script></html>", "image/png", "x.png").await;
    let problem = html.problem(422, "unsupported_file_type");
    assert_eq!(problem["errors"][0]["field"], "file");
    let svg = upload(
        &app,
        &app.server_key,
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        "image/svg+xml",
        "a.svg",
    )
    .await;
    svg.problem(422, "unsupported_file_type");
    let exe = upload(&app, &app.server_key, b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf", "a.pdf").await;
    exe.problem(422, "unsupported_file_type");
    upload(&app, &app.server_key, b"", "text/plain", "empty.txt").await.problem(422, "validation_failed");
    let (_, token) = visitor(&app, "June").await;
    let client = app.post("/v1/api-keys", json!({"name": "Web", "kind": "client"})).await.body;
    upload(&app, str_of(&client, "secret"), b"hello", "text/plain", "a.txt")
        .await
        .problem(403, "forbidden_for_key");
    assert_eq!(upload(&app, &token, b"hello", "text/plain", "a.txt").await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_visitor_attaches_a_photo_the_agent_sees_and_another_visitor_cannot_reach() {
    let app = TestApp::new().await;
    let (june, token) = visitor(&app, "June").await;
    let (_, other_token) = visitor(&app, "Kai").await;
    let photo = upload(&app, &token, PNG, "image/png", "blender.png").await.body;
    let file_id = str_of(&photo, "id").to_owned();

    // Kai cannot attach June's upload.
    let stolen = app
        .send(
            Method::POST,
            "/v1/widget/conversations",
            Some(&other_token),
            Some(&json!({"message": {"attachments": [{"upload_id": file_id}]}})),
            &[],
        )
        .await;
    let problem = stolen.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "message.attachments[0].upload_id");

    let started = app
        .send(
            Method::POST,
            "/v1/widget/conversations",
            Some(&token),
            Some(&json!({"message": {"content": "It arrived broken", "attachments": [{"upload_id": file_id}]}})),
            &[],
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let id = str_of(&started.body, "id").to_owned();

    let thread = app.get(&format!("/v1/conversations/{id}/messages")).await.body;
    let message = &thread["data"][0];
    assert_eq!(
        (str_of(message, "type"), str_of(&thread_owner(&app, &id).await, "id")),
        ("image", june.as_str())
    );
    let attachment = &message["attachments"][0];
    assert_eq!((str_of(attachment, "id"), str_of(attachment, "name")), (file_id.as_str(), "blender.png"));
    assert_eq!(
        (str_of(attachment, "mime_type"), attachment["size"].as_i64()),
        ("image/png", Some(PNG.len() as i64))
    );
    assert_eq!(fetch(&app, str_of(attachment, "url"), None).await.2, PNG);

    // An upload attaches once.
    let again = app
        .post(
            &format!("/v1/conversations/{id}/messages"),
            json!({"sender_type": "contact", "attachments": [{"upload_id": file_id}]}),
        )
        .await;
    again.problem(422, "validation_failed");

    // By token: June reaches her file, Kai gets a 404 as if it did not exist.
    let plain = format!("/v1/files/{file_id}");
    assert_eq!(fetch(&app, &plain, Some(&token)).await.0, StatusCode::OK);
    assert_eq!(fetch(&app, &plain, Some(&other_token)).await.0, StatusCode::NOT_FOUND);
    // The visitor's own thread shows it with a signed URL too.
    let seen = app
        .send(Method::GET, &format!("/v1/widget/conversations/{id}/messages"), Some(&token), None, &[])
        .await;
    assert!(str_of(&seen.body["data"][0]["attachments"][0], "url").contains("signature="));
}

async fn thread_owner(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/conversations/{id}")).await.body["contact"].clone()
}

#[tokio::test]
async fn an_altered_or_expired_link_is_refused() {
    let app = TestApp::new().await;
    let uploaded = upload(&app, &app.server_key, PNG, "image/png", "a.png").await.body;
    let url = str_of(&uploaded, "url").to_owned();
    // The signature's last hex digit, changed.
    let last = if url.ends_with('0') { "1" } else { "0" };
    let altered = format!("{}{last}", &url[..url.len() - 1]);
    let (status, _, body) = fetch(&app, &altered, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("file_link_invalid"));
    let other_file = url.replace(str_of(&uploaded, "id"), "file_01JX3Q8ZK4V1M2N3P4Q5R6S7T8");
    assert_eq!(fetch(&app, &other_file, None).await.0, StatusCode::FORBIDDEN, "a signature is for one file");
    app.clock.advance_ms(2 * 3_600_000 + 1);
    assert_eq!(fetch(&app, &url, None).await.0, StatusCode::FORBIDDEN, "expired");
}

#[tokio::test]
async fn files_go_with_their_message_conversation_or_contact() {
    let app = TestApp::new().await;
    let (contact, token) = visitor(&app, "June").await;
    let mut urls = Vec::new();
    for name in ["one.png", "two.png", "three.png"] {
        urls.push(upload(&app, &token, PNG, "image/png", name).await.body);
    }
    let post = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let body = json!({"message": body});
            app.send(Method::POST, "/v1/widget/conversations", Some(token), Some(&body), &[]).await
        }
    };
    let first = post(json!({"attachments": [{"upload_id": urls[0]["id"]}]})).await.body;
    post(json!({"attachments": [{"upload_id": urls[1]["id"]}]})).await;
    let reachable = |i: usize| {
        let url = str_of(&urls[i], "url").to_owned();
        let app = &app;
        async move { fetch(app, &url, None).await.0 }
    };
    assert_eq!(reachable(0).await, StatusCode::OK);

    // Deleting a message erases its file.
    let thread = app.get(&format!("/v1/conversations/{}/messages", str_of(&first, "id"))).await.body;
    let message = str_of(&thread["data"][0], "id");
    let deleted = app.delete(&format!("/v1/conversations/{}/messages/{message}", str_of(&first, "id"))).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(reachable(0).await, StatusCode::NOT_FOUND);

    // Erasing the contact's conversations erases theirs; erasing the contact, the rest.
    assert_eq!(reachable(1).await, StatusCode::OK);
    let erased = app.delete(&format!("/v1/contacts/{contact}/conversations")).await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT);
    assert_eq!(reachable(1).await, StatusCode::NOT_FOUND);
    assert_eq!(reachable(2).await, StatusCode::OK, "an unattached upload is the contact's");
    assert_eq!(app.delete(&format!("/v1/contacts/{contact}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(reachable(2).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn other_sites_reach_the_widget_only_from_the_origins_its_channel_allows() {
    let app = TestApp::new().await;
    let preflight = |path: &str| {
        let request = Request::builder()
            .method(Method::OPTIONS)
            .uri(path)
            .header("origin", "https://shop.example.com")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .body(Body::empty())
            .unwrap();
        app.send_request(request)
    };
    let allowed = preflight("/v1/widget/sessions").await;
    assert_eq!(allowed.status, StatusCode::NO_CONTENT);
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://shop.example.com"));
    assert!(allowed.header("access-control-allow-headers").unwrap().contains("authorization"));
    assert!(allowed.header("access-control-allow-credentials").is_none(), "never with cookies");
    assert_eq!(preflight("/v1/uploads").await.status, StatusCode::NO_CONTENT);
    let closed = preflight("/v1/conversations").await;
    assert!(closed.header("access-control-allow-origin").is_none(), "the rest of the API is closed to sites");

    let channel = app
        .post(
            "/v1/channels",
            json!({"type": "widget", "name": "Shop", "allowed_origins": ["https://shop.example.com"]}),
        )
        .await;
    assert_eq!(channel.body["allowed_origins"], json!(["https://shop.example.com"]));
    let bad = app
        .post(
            "/v1/channels",
            json!({"type": "widget", "name": "X", "allowed_origins": ["https://a.example/path"]}),
        )
        .await;
    assert_eq!(bad.problem(422, "validation_failed")["errors"][0]["field"], "allowed_origins[0]");
    let key = app
        .post("/v1/api-keys", json!({"name": "Shop", "kind": "client", "channel_id": channel.body["id"]}))
        .await
        .body;
    let key = str_of(&key, "secret");
    let open = |origin: &'static str| {
        let app = &app;
        async move {
            app.send(Method::POST, "/v1/widget/sessions", Some(key), Some(&json!({})), &[("origin", origin)])
                .await
        }
    };
    let from_shop = open("https://shop.example.com").await;
    assert_eq!(from_shop.status, StatusCode::CREATED, "{}", from_shop.body);
    assert_eq!(from_shop.header("access-control-allow-origin"), Some("https://shop.example.com"));
    open("https://evil.example").await.problem(403, "origin_not_allowed");
    // The visitor's token is held to the same pages as the key that opened its session.
    let token = str_of(&from_shop.body, "contact_token");
    let as_visitor = |origin: &'static str| {
        let app = &app;
        async move {
            app.send(Method::GET, "/v1/widget/conversations", Some(token), None, &[("origin", origin)]).await
        }
    };
    assert_eq!(as_visitor("https://shop.example.com").await.status, StatusCode::OK);
    as_visitor("https://evil.example").await.problem(403, "origin_not_allowed");
    // A server key with a channel makes no sense: refused.
    let server = app
        .post("/v1/api-keys", json!({"name": "S", "kind": "server", "channel_id": channel.body["id"]}))
        .await;
    server.problem(422, "validation_failed");
}
