//! The live event stream (Server-Sent Events): resume without loss or repeats, filters,
//! stream-only signals.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::TestApp;

/// An open stream, read event by event.
pub struct Stream {
    body: Body,
    buffer: String,
}

/// One SSE event: its `id` (log events only), `event` and parsed `data`.
#[derive(Debug)]
pub struct Sse {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

impl Stream {
    async fn open(app: &TestApp, query: &str, last_event_id: Option<&str>) -> (StatusCode, Stream) {
        Stream::open_as(app, &format!("/v1/events/stream{query}"), &app.server_key, last_event_id).await
    }

    /// Opens the stream at `path` with `key`.
    pub async fn open_as(
        app: &TestApp,
        path: &str,
        key: &str,
        last_event_id: Option<&str>,
    ) -> (StatusCode, Stream) {
        let mut request = Request::get(path).header("authorization", format!("Bearer {key}"));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = app.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        (response.status(), Stream { body: response.into_body(), buffer: String::new() })
    }

    /// The next event, skipping heartbeat comments; fails after 10 s without one.
    pub async fn next(&mut self) -> Sse {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(|v| v.trim().to_owned()))
                };
                if let Some(event) = field("event") {
                    let data = serde_json::from_str(&field("data").unwrap_or_default()).unwrap();
                    return Sse { id: field("id"), event, data };
                }
                continue;
            }
            let frame = tokio::time::timeout(Duration::from_secs(10), self.body.frame())
                .await
                .expect("no event within 10 s")
                .expect("the stream ended")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }
}

#[tokio::test]
async fn the_stream_follows_the_log_and_resumes_without_loss_or_repeats() {
    let app = TestApp::new().await;
    let created = app
        .post(
            "/v1/conversations",
            json!({"contact": {"email": "june@example.com"}, "message": {"content": "one"}}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let messages = format!("/v1/conversations/{id}/messages");

    // A new connection starts after the newest event.
    let (status, mut live) = Stream::open(&app, "", None).await;
    assert_eq!(status, StatusCode::OK);
    app.post(&messages, json!({"sender_type": "contact", "content": "two"})).await;
    let next = live.next().await;
    assert_eq!(next.event, "message.created");
    assert_eq!(next.data["data"]["message"]["content"], "two");
    assert_eq!(next.id.as_deref(), next.data["id"].as_str());

    // Stream-only signals arrive too, without an id.
    let typing = json!({"sender_type": "contact", "typing": true});
    app.post(&format!("/v1/conversations/{id}/typing"), typing).await;
    let signal = live.next().await;
    assert_eq!((signal.event.as_str(), signal.id), ("conversation.typing", None));
    assert_eq!(signal.data["conversation_id"], id.as_str());

    // Resuming after the first event replays everything since, in log order, once.
    let log = app.get("/v1/events").await.body;
    let ids: Vec<&str> = log["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    let (_, mut resumed) = Stream::open(&app, "", Some(ids[0])).await;
    for expected in &ids[1..] {
        assert_eq!(resumed.next().await.id.as_deref(), Some(*expected));
    }
    app.post(&messages, json!({"sender_type": "contact", "content": "three"})).await;
    assert_eq!(resumed.next().await.data["data"]["message"]["content"], "three");

    // Filters apply; an unknown resume point is refused.
    let (_, mut filtered) =
        Stream::open(&app, &format!("?type=conversation.status_changed&last_event_id={}", ids[0]), None)
            .await;
    app.post(&format!("/v1/conversations/{id}/resolve"), json!({})).await;
    assert_eq!(filtered.next().await.event, "conversation.status_changed");
    let (status, _) = Stream::open(&app, "?last_event_id=evt_missing", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
