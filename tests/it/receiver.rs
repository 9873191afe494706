//! A real HTTP receiver for deliveries: records every request and answers as scripted.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One answer: a status, optional `Retry-After` seconds or `Location`, and an optional delay.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub location: Option<String>,
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply { status, ..Reply::default() }
    }
}

#[derive(Clone, Debug)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

type Decide = dyn Fn(&Value) -> Option<Reply> + Send + Sync;

#[derive(Clone, Default)]
struct Shared {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    /// Answers by payload, consulted before the script (e.g. fail one conversation only).
    rule: Arc<Mutex<Option<Box<Decide>>>>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
}

impl Receiver {
    /// Listens on loopback; answers 200 unless scripted otherwise.
    pub async fn start() -> Receiver {
        let shared = Shared::default();
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    /// The next requests get these answers, in order; then 200 again.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// Answers by payload; `None` falls through to the script.
    pub fn rule(&self, rule: impl Fn(&Value) -> Option<Reply> + Send + Sync + 'static) {
        *self.shared.rule.lock().unwrap() = Some(Box::new(rule));
    }

    pub fn clear_rule(&self) {
        *self.shared.rule.lock().unwrap() = None;
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }

    /// The `type` of every payload received, in order.
    pub fn types(&self) -> Vec<String> {
        self.hits().iter().map(|h| h.json()["type"].as_str().unwrap_or_default().to_owned()).collect()
    }
}

async fn answer(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let payload: Value = serde_json::from_slice(&body).unwrap_or_default();
    shared.hits.lock().unwrap().push(Hit { headers, body });
    let by_rule = shared.rule.lock().unwrap().as_ref().and_then(|rule| rule(&payload));
    let reply = by_rule.or_else(|| shared.script.lock().unwrap().pop_front()).unwrap_or(Reply::status(200));
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), "receiver says hi").into_response();
    if let Some(seconds) = reply.retry_after {
        response.headers_mut().insert("retry-after", seconds.to_string().parse().unwrap());
    }
    if let Some(location) = reply.location {
        response.headers_mut().insert("location", location.parse().unwrap());
    }
    response
}
