use std::sync::Arc;

use axum::http::{Method, StatusCode};
use baton::app;
use baton::http::{AppState, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let health = app.send(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(app.send(Method::GET, "/readyz", None, None, &[]).await.status, StatusCode::OK);
    app.store.close().await;
    app.send(Method::GET, "/readyz", None, None, &[]).await.problem(503, "database_unavailable");
    assert_eq!(app.send(Method::GET, "/healthz", None, None, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::new().await;
    app.get("/v1/contacts").await;
    app.get("/v1/contacts/ct_missing").await;
    app.get("/v1/contacts/ct_missing_too").await;
    app.get("/nowhere").await;
    let metrics = app.send(Method::GET, "/metrics", None, None, &[]).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains("baton_http_requests_total{method=\"GET\",route=\"/v1/contacts\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "baton_http_requests_total{method=\"GET\",route=\"/v1/contacts/{id}\",status=\"404\"} 2"
        )
    );
    assert!(text.contains("route=\"unmatched\",status=\"404\"} 1"));
    assert!(text.contains("baton_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/contacts\",status=\"200\",le=\"+Inf\"} 1"));
}

#[tokio::test]
async fn openapi_and_docs_are_served() {
    let app = TestApp::new().await;
    let spec = app.send(Method::GET, "/openapi.json", None, None, &[]).await;
    assert_eq!(spec.status, StatusCode::OK);
    assert_eq!(spec.body["openapi"], "3.1.0");
    assert!(spec.body["paths"]["/v1/contacts"].is_object());
    let docs = app.send(Method::GET, "/docs/", None, None, &[]).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.body.as_str().unwrap().contains("swagger-ui"));
    // The page's assets are in the binary: nothing is fetched from elsewhere.
    let html = docs.body.as_str().unwrap();
    assert!(!html.contains("https://"), "the docs page must work offline");
    let bundle = app.send(Method::GET, "/docs/swagger-ui-bundle.js", None, None, &[]).await;
    assert_eq!(bundle.status, StatusCode::OK);
}

async fn raw_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes())
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}

#[tokio::test]
async fn the_server_shuts_down_gracefully() {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(app.store.clone(), Arc::new(baton::clock::SystemClock), Settings::default());
    let server = tokio::spawn(app::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let response = raw_get(addr, "/healthz").await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(raw_get(addr, "/healthz").await.is_err(), "no longer listening");
}
