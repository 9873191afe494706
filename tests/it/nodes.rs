//! Several `baton serve` processes on one database (PostgreSQL in production; the same
//! holds on one SQLite file): a change made through one node reaches streams on the other,
//! each delivery is sent by one node, a node killed mid-delivery leaves it to another, and a
//! key revoked through one node stops working on the other.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::TestDb;
use crate::process::Server;
use crate::receiver::{Receiver, Reply};

/// Short attempts (so leases, twice the timeout, run out quickly) and private targets.
const FLAGS: &[&str] =
    &["--webhook-allow-private", "--webhook-timeout", "1s", "--webhook-retry-schedule", "1s,1s"];

struct Api {
    http: reqwest::Client,
    key: String,
}

impl Api {
    fn new(key: &str) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api { http: reqwest::Client::new(), key: key.to_owned() }
    }

    async fn post(&self, node: &Server, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", node.url()))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}: {}\n{}", response.status(), node.logs());
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
    }

    async fn get(&self, node: &Server, path: &str) -> Value {
        let response =
            self.http.get(format!("{}{path}", node.url())).bearer_auth(&self.key).send().await.unwrap();
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
    }
}

/// Polls `check` until it holds (or fails after `within`): a wait on an outcome, not a sleep.
async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn two_nodes(db: &TestDb) -> (Server, Server, String) {
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let a = Server::start_with(&url, FLAGS);
        let key = a.bootstrap_key();
        let b = Server::start_with(&url, FLAGS);
        (a, b, key)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_through_one_node_streams_from_the_other_and_is_delivered_once() {
    let db = TestDb::new().await;
    let (a, b, key) = two_nodes(&db).await;
    let api = Api::new(&key);
    let receiver = Receiver::start().await;
    let endpoint =
        api.post(&a, "/v1/webhooks", json!({"url": receiver.url(), "events": ["message.created"]})).await;

    let mut stream = api
        .http
        .get(format!("{}/v1/events/stream?type=conversation.created", b.url()))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let made = Instant::now();
    let conversation =
        api.post(&a, "/v1/conversations", json!({"contact": {"email": "ada@example.com"}})).await;
    let id = conversation["id"].as_str().unwrap();
    let mut seen = String::new();
    while !seen.contains(id) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk()).await;
        seen.push_str(&String::from_utf8_lossy(
            &chunk.expect("the stream on B stays silent").unwrap().unwrap(),
        ));
    }
    let latency = made.elapsed();
    assert!(seen.contains("event: conversation.created"), "{seen}");
    if db.url.starts_with("postgres") {
        // LISTEN/NOTIFY carries it (milliseconds); without it the once-a-second poll would.
        assert!(latency < Duration::from_secs(1), "A → B took {latency:?}");

        // Typing is never stored; NOTIFY carries it to the other node's streams too.
        let mut typing = api
            .http
            .get(format!("{}/v1/events/stream?type=conversation.typing", b.url()))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let path = format!("/v1/conversations/{id}/typing");
        let response = api
            .http
            .post(format!("{}{path}", a.url()))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(json!({"sender_type": "contact", "typing": true}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let chunk = tokio::time::timeout(Duration::from_secs(10), typing.chunk()).await;
        let text = String::from_utf8_lossy(&chunk.expect("no typing on B").unwrap().unwrap()).into_owned();
        assert!(text.contains("event: conversation.typing") && text.contains(id), "{text}");
    }

    // Thirty messages through both nodes; both nodes' workers deliver; each goes out once.
    let mut conversations = vec![id.to_owned()];
    for n in 0..2 {
        let node = if n % 2 == 0 { &b } else { &a };
        let c = api
            .post(node, "/v1/conversations", json!({"contact": {"email": format!("c{n}@example.com")}}))
            .await;
        conversations.push(c["id"].as_str().unwrap().to_owned());
    }
    for n in 0..30 {
        let node = if n % 2 == 0 { &a } else { &b };
        let conversation = &conversations[n % conversations.len()];
        let path = format!("/v1/conversations/{conversation}/messages");
        api.post(node, &path, json!({"sender_type": "contact", "content": format!("message {n}")})).await;
    }
    let deliveries =
        format!("/v1/webhooks/{}/deliveries?status=succeeded&limit=100", endpoint["id"].as_str().unwrap());
    eventually(Duration::from_secs(20), "all 30 delivered", || async {
        api.get(&a, &deliveries).await["data"].as_array().unwrap().len() == 30
    })
    .await;
    let mut ids: Vec<String> = receiver.hits().iter().map(|h| h.header("webhook-id").to_owned()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((receiver.hits().len(), ids.len()), (30, 30), "each delivery sent once");
    let log = api.get(&b, &deliveries).await;
    assert!(log["data"].as_array().unwrap().iter().all(|d| d["attempt_count"] == 1));
    tokio::task::spawn_blocking(move || {
        a.stop();
        b.stop();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_mid_delivery_leaves_it_to_another() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    let (a, key) = tokio::task::spawn_blocking(move || {
        let a = Server::start_with(&url, FLAGS);
        let key = a.bootstrap_key();
        (a, key)
    })
    .await
    .unwrap();
    let api = Api::new(&key);
    let receiver = Receiver::start().await;
    // The first request hangs: node A is mid-delivery when it dies.
    receiver.script([Reply { status: 200, delay: Some(Duration::from_secs(60)), ..Reply::default() }]);
    let endpoint = api
        .post(&a, "/v1/webhooks", json!({"url": receiver.url(), "events": ["conversation.created"]}))
        .await;
    api.post(&a, "/v1/conversations", json!({"contact": {"email": "ada@example.com"}})).await;
    eventually(Duration::from_secs(10), "A sends", || async { !receiver.hits().is_empty() }).await;
    tokio::task::spawn_blocking(move || a.kill()).await.unwrap();

    let url = db.url.clone();
    let b = tokio::task::spawn_blocking(move || Server::start_with(&url, FLAGS)).await.unwrap();
    let deliveries = format!("/v1/webhooks/{}/deliveries", endpoint["id"].as_str().unwrap());
    eventually(Duration::from_secs(20), "B finishes the delivery", || async {
        api.get(&b, &deliveries).await["data"][0]["status"] == "succeeded"
    })
    .await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].header("webhook-id"), hits[1].header("webhook-id"), "the same delivery, resent");
    let log = api.get(&b, &deliveries).await;
    assert_eq!(log["data"][0]["attempt_count"], 1, "A died before recording its attempt");
    tokio::task::spawn_blocking(move || b.stop()).await.unwrap();
}

/// Each node keeps the keys it has just read for a moment (`key_cache`): a key revoked
/// through one node must stop working on the other within that moment.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_revoked_through_one_node_stops_working_on_the_other() {
    let db = TestDb::new().await;
    let (a, b, key) = two_nodes(&db).await;
    let admin = Api::new(&key);
    let created = admin.post(&a, "/v1/api-keys", json!({"name": "Help desk", "kind": "server"})).await;
    let revoked = Api::new(created["secret"].as_str().unwrap());
    assert_eq!(revoked.get(&b, "/v1/me").await["api_key_id"], created["id"], "node b has the key at hand");

    let path = format!("{}/v1/api-keys/{}", a.url(), created["id"].as_str().unwrap());
    let response = admin.http.delete(path).bearer_auth(&admin.key).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NO_CONTENT);
    assert_eq!(revoked.get(&a, "/v1/me").await["code"], "invalid_api_key", "at once on the revoking node");
    eventually(Duration::from_secs(5), "the revoked key refused by node b", || async {
        revoked.get(&b, "/v1/me").await["code"] == "invalid_api_key"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_attempts_are_counted_across_nodes() {
    let db = TestDb::new().await;
    let (a, b, key) = two_nodes(&db).await;
    let api = Api::new(&key);
    let member =
        json!({"name": "Ana", "email": "ana@example.com", "role": "agent", "password": "correct horse"});
    api.post(&a, "/v1/members", member).await;
    let login = |node: &Server, password: &str| {
        let (url, body) = (
            format!("{}/v1/auth/login", node.url()),
            json!({"email": "ana@example.com", "password": password}),
        );
        let http = api.http.clone();
        async move {
            let sent =
                http.post(url).header("content-type", "application/json").body(body.to_string()).send();
            sent.await.unwrap().status().as_u16()
        }
    };
    // Ten wrong passwords from this address, split between the nodes, sent at once.
    let guesses = (0..10).map(|n| login(if n % 2 == 0 { &a } else { &b }, "wrong horse"));
    let statuses = futures_util::future::join_all(guesses).await;
    assert!(statuses.iter().all(|&s| s == 401), "{statuses:?}");
    assert_eq!(login(&a, "correct horse").await, 429, "the eleventh, on either node, waits");
    assert_eq!(login(&b, "correct horse").await, 429);
}
