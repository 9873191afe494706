//! A fresh database and app per test, requests through the real router.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use baton::auth;
use baton::clock::ManualClock;
use baton::http::{AppState, Settings};
use baton::store::Store;
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::{Connection, Executor};
use tower::ServiceExt;

/// 2026-05-22T14:08:42.120Z
pub const START_MS: i64 = 1_779_458_922_120;

/// A database nobody else uses: a SQLite file in a temporary folder, or, when
/// `BATON_TEST_POSTGRES_URL` is set, a new schema in that PostgreSQL database.
pub struct TestDb {
    pub url: String,
    pub _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new() -> Self {
        match std::env::var("BATON_TEST_POSTGRES_URL") {
            Ok(base) if !base.is_empty() => {
                sqlx::any::install_default_drivers();
                let schema = baton::ids::new_id("t").to_lowercase();
                let mut conn = sqlx::AnyConnection::connect(&base).await.expect("connect to PostgreSQL");
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .await
                    .expect("create schema");
                let separator = if base.contains('?') { '&' } else { '?' };
                TestDb { url: format!("{base}{separator}options[search_path]={schema}"), _dir: None }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("baton.db").display());
                TestDb { url, _dir: Some(dir) }
            }
        }
    }
}

pub struct TestApp {
    pub router: Router,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub admin_key: String,
    /// The bootstrap workspace and its server key.
    pub workspace_id: String,
    pub server_key: String,
    pub db: TestDb,
    /// The app's stream-only signals (typing, read).
    pub live: baton::live::Live,
    /// The delivery worker, driven by the test: `deliver()` runs one round.
    pub deliverer: baton::delivery::Deliverer,
    /// The AI worker, driven by the test: `answer()` runs one round.
    pub ai: baton::ai::AiRunner,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with `code`, returning the body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["type"], format!("https://baton.dev/errors/{code}"));
        assert!(self.body["request_id"].as_str().is_some_and(|id| !id.is_empty()));
        assert_eq!(self.header("x-request-id"), self.body["request_id"].as_str());
        &self.body
    }

    /// The `field` names of a 422's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(Settings::default()).await
    }

    pub async fn with_settings(settings: Settings) -> Self {
        Self::build(settings, None, TestDb::new().await).await
    }

    /// On a database the test chose (a file on a small disk, a PostgreSQL schema whose
    /// connections the test can tell apart).
    pub async fn on(db: TestDb) -> Self {
        Self::build(Settings::default(), None, db).await
    }

    /// With the thresholds that choose how a conversation search is answered replaced.
    pub async fn with_search_plans(plans: baton::store::SearchPlans) -> Self {
        Self::build(Settings::default(), Some(plans), TestDb::new().await).await
    }

    async fn build(mut settings: Settings, plans: Option<baton::store::SearchPlans>, db: TestDb) -> Self {
        let mut store = Store::connect(&db.url).await.expect("connect");
        if let Some(plans) = plans {
            store = store.with_search_plans(plans);
        }
        store.migrate().await.expect("migrate");
        let clock = Arc::new(ManualClock::new(START_MS));
        let admin_key = auth::generate_admin_key();
        settings.admin_key_hash = Some(auth::hash_secret(&admin_key));
        let key = auth::generate_key(auth::KeyKind::Server, "Default server key");
        let (workspace, _) = store
            .bootstrap(&baton::ids::new_id("ws"), &key.record, START_MS)
            .await
            .expect("bootstrap")
            .expect("fresh database");
        let files = baton::file_urls::FileUrls::new(store.clone(), settings.public_url.clone());
        let deliverer =
            baton::delivery::Deliverer::new(store.clone(), clock.clone(), settings.delivery.clone(), files);
        let semantic =
            baton::ai::semantic::Semantic::load(settings.ai.embedding_model.as_deref()).expect("model");
        let ai = baton::ai::AiRunner::new(store.clone(), clock.clone(), &settings.ai, semantic.clone());
        let state = AppState::new(store.clone(), clock.clone(), settings).with_semantic(semantic);
        let live = state.live.clone();
        TestApp {
            router: baton::app::router(state),
            store,
            clock,
            admin_key,
            workspace_id: workspace.id,
            server_key: key.secret,
            db,
            live,
            deliverer,
            ai,
        }
    }

    /// One round of the AI worker: answers what is queued; returns how many jobs it took.
    pub async fn answer(&self) -> usize {
        self.ai.answer_due().await.expect("answer")
    }

    /// One round of the delivery worker: sends what is due now; returns how many.
    pub async fn deliver(&self) -> usize {
        self.deliverer.deliver_due().await.expect("deliver")
    }

    /// Sends a request with `key` (if any) and optional JSON body and extra headers.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        self.send_request(Self::request(method, path, key, body, headers)).await
    }

    /// The same, as if over a connection from `address` (the server's view of the client).
    pub async fn send_from(
        &self,
        address: &str,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> TestResponse {
        let mut request = Self::request(method, path, key, body, &[]);
        let peer = std::net::SocketAddr::new(address.parse().expect("an IP address"), 40_000);
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        self.send_request(request).await
    }

    fn request(
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Request<Body> {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        request.body(body).expect("request")
    }

    pub async fn send_request(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        TestResponse { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Method::GET, path, Some(&self.server_key), None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.send(Method::POST, path, Some(&self.server_key), Some(&body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> TestResponse {
        self.send(Method::PATCH, path, Some(&self.server_key), Some(&body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(Method::DELETE, path, Some(&self.server_key), None, &[]).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> TestResponse {
        self.send(method, path, Some(&self.admin_key), body.as_ref(), &[]).await
    }

    /// Creates another workspace through the admin API; returns (id, server key).
    pub async fn other_workspace(&self) -> (String, String) {
        let created =
            self.admin(Method::POST, "/v1/workspaces", Some(serde_json::json!({"name": "Other"}))).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        let key = created.body["api_key"]["secret"].as_str().unwrap().to_owned();
        (id, key)
    }

    /// Reads every page of a list, following `next_cursor`.
    pub async fn collect_ids(&self, path: &str, key: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let separator = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{separator}cursor={c}"),
                None => path.to_owned(),
            };
            let page = self.send(Method::GET, &url, Some(key), None, &[]).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            for item in page.body["data"].as_array().unwrap() {
                ids.push(item["id"].as_str().unwrap().to_owned());
            }
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return ids,
            }
        }
    }
}

impl TestApp {
    pub fn clock_now(&self) -> i64 {
        use baton::clock::Clock;
        self.clock.now_ms()
    }
}
