//! The `openai` provider against a scripted OpenAI-compatible server (exact protocol cases),
//! and against a real model server when `BATON_TEST_OPENAI_URL` names one (CI runs
//! llama.cpp's server with SmolLM2-135M; see `.ci/model-server`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use baton::http::Settings;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// An answer of the fake model server: a status and a body (SSE for 200s).
type Scripted = (u16, String);

#[derive(Clone, Default)]
struct Fake {
    requests: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    script: Arc<Mutex<VecDeque<Scripted>>>,
}

async fn complete(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    fake.requests.lock().unwrap().push((headers, json));
    let (status, body) = fake.script.lock().unwrap().pop_front().unwrap_or((500, "unscripted".into()));
    let content_type = if status == 200 { "text/event-stream" } else { "application/json" };
    (StatusCode::from_u16(status).unwrap(), [("content-type", content_type)], body).into_response()
}

async fn fake_model(script: impl IntoIterator<Item = Scripted>) -> (SocketAddr, Fake) {
    let fake = Fake::default();
    fake.script.lock().unwrap().extend(script);
    let app =
        Router::new().route("/v1/chat/completions", axum::routing::post(complete)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, fake)
}

fn sse(chunks: &[Value]) -> String {
    let mut body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    body
}

fn text(parts: &[&str]) -> Scripted {
    let chunks: Vec<Value> = parts.iter().map(|p| json!({"choices": [{"delta": {"content": p}}]})).collect();
    (200, sse(&chunks))
}

fn tool_call(reason: &str) -> Scripted {
    let arguments = json!({"reason": reason}).to_string();
    let (a, b) = arguments.split_at(arguments.len() / 2);
    let call = |name: Option<&str>, args: &str| json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"name": name, "arguments": args}}]}}]});
    (200, sse(&[call(Some("handoff_to_human"), a), call(None, b)]))
}

/// An app allowed to reach a model on loopback, an `openai` agent on `base_url` with an
/// article, and a conversation whose first message is queued: `(app, conversation id, message id)`.
async fn setup(base_url: &str, model: &str, allow_private: bool) -> (TestApp, String, String) {
    let mut settings = Settings::default();
    settings.ai.allow_private = allow_private;
    let app = TestApp::with_settings(settings).await;
    // Cargo sets CARGO_PKG_NAME for the test process: a variable certain to exist.
    let version = json!({"provider": "openai", "model": model, "base_url": base_url, "api_key_env": "CARGO_PKG_NAME",
        "instructions": "You are Ava from Northwind.", "temperature": 0.2});
    let agent = app.post("/v1/agents", json!({"name": "Ava", "version": version})).await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let article = json!({"title": "Returns", "body": "You can return any item within 30 days.", "url": "https://help.example.com/r"});
    app.post("/v1/knowledge/articles", article).await;
    let created = app
        .post("/v1/conversations", json!({"contact": {"email": "june@example.com"}, "message": {"content": "Can I return my kettle?"}}))
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let message = created.body["last_message"]["id"].as_str().unwrap().to_owned();
    (app, id, message)
}

async fn response(app: &TestApp, id: &str, message: &str) -> Value {
    app.get(&format!("/v1/conversations/{id}/messages/{message}/response")).await.body
}

#[tokio::test]
async fn the_model_is_asked_with_instructions_passages_and_thread_and_its_streamed_answer_is_posted() {
    let (addr, fake) = fake_model([text(&["Yes, within ", "30 days."])]).await;
    let (app, id, message) = setup(&format!("http://{addr}/v1"), "smol", true).await;
    assert_eq!(app.answer().await, 1);

    let done = response(&app, &id, &message).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["message"]["content"], "Yes, within 30 days.");
    assert_eq!(done["message"]["metadata"]["model"], "smol");
    assert_eq!(done["message"]["metadata"]["sources"][0]["title"], "Returns");

    // Resolved, it is summarized by the model.
    fake.script.lock().unwrap().push_back((
        200,
        json!({"choices": [{"message": {"content": "Asked about returns; told 30 days."}}]}).to_string(),
    ));
    app.post(&format!("/v1/conversations/{id}/resolve"), json!({})).await;
    app.answer().await;
    assert_eq!(
        app.get(&format!("/v1/conversations/{id}")).await.body["summary"],
        "Asked about returns; told 30 days."
    );

    let requests = fake.requests.lock().unwrap();
    assert_eq!(requests[1].1["stream"], false);
    assert!(requests[1].1["messages"][0]["content"].as_str().unwrap().starts_with("Summarize"));
    let (headers, body) = &requests[0];
    assert_eq!(headers.get("authorization").unwrap(), "Bearer baton");
    assert_eq!((body["model"].as_str(), body["stream"].as_bool()), (Some("smol"), Some(true)));
    assert_eq!(body["temperature"], 0.2);
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.starts_with("You are Ava from Northwind."), "{system}");
    assert!(system.contains("You can return any item within 30 days."), "the passage is in the prompt");
    assert_eq!(body["messages"][1], json!({"role": "user", "content": "Can I return my kettle?"}));
    assert_eq!(body["tools"][0]["function"]["name"], "handoff_to_human");
}

#[tokio::test]
async fn the_model_hands_off_by_tool_call_or_by_the_plain_text_fallback() {
    let (addr, _) = fake_model([tool_call("the customer wants a refund decision")]).await;
    let (app, id, message) = setup(&format!("http://{addr}/v1"), "smol", true).await;
    app.answer().await;
    let conversation = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!(conversation["mode"], "handoff_requested");
    assert_eq!(conversation["handoff"]["reason"], "the customer wants a refund decision");
    assert_eq!(response(&app, &id, &message).await["handed_off"], true);

    // A server without tools refuses them; the question is asked again without.
    let refusal = (400, json!({"error": {"message": "tools are not supported by this model"}}).to_string());
    let (addr, fake) = fake_model([refusal, text(&["HANDOFF: ", "needs a manager"])]).await;
    let (app, id, _) = setup(&format!("http://{addr}/v1"), "smol", true).await;
    app.answer().await;
    let conversation = app.get(&format!("/v1/conversations/{id}")).await.body;
    assert_eq!(
        (conversation["mode"].as_str(), conversation["handoff"]["reason"].as_str()),
        (Some("handoff_requested"), Some("needs a manager"))
    );
    let requests = fake.requests.lock().unwrap();
    assert!(requests[0].1.get("tools").is_some() && requests[1].1.get("tools").is_none());
}

/// llama.cpp's Python server streams nothing when tools are offered: Baton asks again
/// without streaming and reads the whole completion.
#[tokio::test]
async fn an_empty_stream_is_asked_again_without_streaming() {
    let whole = json!({"choices": [{"message": {"role": "assistant", "content": "Within 30 days."}}]});
    let (addr, fake) = fake_model([(200, String::new()), (200, whole.to_string())]).await;
    let (app, id, message) = setup(&format!("http://{addr}/v1"), "smol", true).await;
    app.answer().await;
    assert_eq!(response(&app, &id, &message).await["message"]["content"], "Within 30 days.");
    let requests = fake.requests.lock().unwrap();
    assert_eq!(
        (requests[0].1["stream"].as_bool(), requests[1].1["stream"].as_bool()),
        (Some(true), Some(false))
    );
}

#[tokio::test]
async fn a_failing_or_unreachable_model_server_hands_off_instead_of_leaving_the_customer() {
    let failures = (0..3).map(|_| (503, "overloaded".to_owned()));
    let (addr, fake) = fake_model(failures).await;
    let (app, id, message) = setup(&format!("http://{addr}/v1"), "smol", true).await;
    app.answer().await;
    assert_eq!(fake.requests.lock().unwrap().len(), 3, "the first try and two retries");
    let failed = response(&app, &id, &message).await;
    assert_eq!((failed["status"].as_str(), failed["handed_off"].as_bool()), (Some("failed"), Some(true)));
    assert!(failed["error"].as_str().unwrap().contains("503"), "{failed}");
    assert_eq!(app.get(&format!("/v1/conversations/{id}")).await.body["mode"], "handoff_requested");
    assert_eq!(app.get("/v1/events?type=ai_response.failed").await.body["data"].as_array().unwrap().len(), 1);

    // Nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let (app, id, message) = setup(&format!("http://{closed}/v1"), "smol", true).await;
    app.answer().await;
    let failed = response(&app, &id, &message).await;
    assert!(failed["error"].as_str().unwrap().contains("could not connect"), "{failed}");

    // A model server on loopback needs --ai-allow-private.
    let (addr, fake) = fake_model([text(&["hi"])]).await;
    let (app, id, message) = setup(&format!("http://{addr}/v1"), "smol", false).await;
    app.answer().await;
    let refused = response(&app, &id, &message).await;
    assert!(refused["error"].as_str().unwrap().contains("--ai-allow-private"), "{refused}");
    assert!(fake.requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_openai_version_needs_a_model() {
    let app = TestApp::new().await;
    let bad = app.post("/v1/agents", json!({"name": "Ava", "version": {"provider": "openai"}})).await;
    assert_eq!(bad.error_fields(), ["version.model"]);
}

/// A real OpenAI-compatible server running a real (small) model. Its answers are poor; this
/// proves the protocol: a streamed reply is stored, a forced tool call comes back as a
/// handoff, and a server that dies hands the conversation off.
#[tokio::test]
async fn a_real_model_server_answers_and_hands_off() {
    let (Ok(base_url), Ok(model)) =
        (std::env::var("BATON_TEST_OPENAI_URL"), std::env::var("BATON_TEST_OPENAI_MODEL"))
    else {
        eprintln!(
            "BATON_TEST_OPENAI_URL and BATON_TEST_OPENAI_MODEL are not set: no real model server to test against"
        );
        return;
    };
    let (app, id, message) = setup(&base_url, &model, true).await;
    assert_eq!(app.answer().await, 1);
    let done = response(&app, &id, &message).await;
    assert_eq!(done["status"], "completed", "{done}");
    let posted = done["message"]["content"].as_str().unwrap_or_default();
    assert!(!posted.trim().is_empty(), "{done}");
    let events = app.get(&format!("/v1/conversations/{id}/events")).await.body;
    let by_agent =
        events["data"].as_array().unwrap().iter().filter(|e| e["actor"]["type"] == "agent").count();
    assert!(by_agent >= 1, "the answer is in the event log: {events}");

    let check = baton::ai::openai::check(&base_url, &model, None, std::time::Duration::from_secs(120)).await;
    assert!(check.answered.is_ok(), "{check:?}");
    assert!(check.hands_off.is_ok(), "{check:?}");
}
