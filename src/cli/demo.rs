//! `baton demo`: a demo workspace for a first look at the inbox — a fictional home-goods
//! shop's help centre, its builtin AI agent, two members, and conversations in every view.
//! It is made through the public API (in process, with the workspace's server key) and the
//! AI worker answers for real, so what it shows is what the product does.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::ai::AiRunner;
use crate::ai::semantic::Semantic;
use crate::auth::{self, KeyKind};
use crate::clock::{Clock, SystemClock};
use crate::http::{AppState, Settings};
use crate::ids;
use crate::store::Store;

const ARTICLES: &[(&str, &str)] = &[
    (
        "Returns and refunds",
        "You can return any item within 30 days of delivery for a full refund. Start a return from \
         your order page; we email a prepaid label within a day.\n\nRefunds reach your card within 5 \
         working days of the parcel arriving at our warehouse.",
    ),
    (
        "Delivery times",
        "Orders leave our warehouse within one working day. Standard delivery takes 2 to 4 working \
         days; express arrives the next working day when ordered before 2 pm.\n\nEvery order has a \
         tracking link in its confirmation email.",
    ),
    (
        "The Juniper blender: care and warranty",
        "The Juniper blender jar and blades are dishwasher safe; wipe the base with a damp cloth. \
         The motor is covered by a two-year warranty: if it stops working, we replace the blender.",
    ),
    (
        "Changing or cancelling an order",
        "You can change the address or cancel an order until it leaves the warehouse, from your \
         order page. After that, refuse the delivery or return it for a refund.",
    ),
];

/// In-process calls to the API with one key.
struct Client {
    router: Router,
    key: String,
}

impl Client {
    async fn call(&self, method: Method, path: &str, body: Value) -> Result<Value, String> {
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .map_err(|e| e.to_string())?;
        let response = self.router.clone().oneshot(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes =
            axum::body::to_bytes(response.into_body(), usize::MAX).await.map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {value}"));
        }
        Ok(value)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.call(Method::POST, path, body).await
    }
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_owned()
}

/// A password for a demo member: printed with the email, random so no two demos share one.
fn demo_password() -> String {
    format!("demo-{}", &auth::hash_secret(&ids::new_id("pw"))[..12])
}

pub async fn load(store: Store) -> Result<(), String> {
    let now = SystemClock.now_ms();
    let key = auth::generate_key(KeyKind::Server, "Demo server key");
    let (workspace, _) = store
        .create_workspace(&ids::new_id("ws"), "Juniper Home (demo)", &key.record, now)
        .await
        .map_err(|e| format!("cannot create the demo workspace: {e:?}"))?;
    let clock = Arc::new(SystemClock);
    let state = AppState::new(store.clone(), clock.clone(), Settings::default());
    let api = Client { router: crate::app::router(state), key: key.secret.clone() };
    let ai = AiRunner::new(store.clone(), clock, &Default::default(), Semantic::default());

    for (title, body) in ARTICLES {
        api.post("/v1/knowledge/articles", json!({"title": title, "body": body})).await?;
    }
    api.post(
        "/v1/agents",
        json!({"name": "Juni", "description": "Juniper Home's assistant",
               "version": {"instructions": "Answer from the help centre, kindly and briefly.",
                           "greeting": "Hi! I'm Juni, Juniper Home's assistant. How can I help?"}}),
    )
    .await?;
    let web = api.post("/v1/channels", json!({"type": "widget", "name": "Website"})).await?;
    let mail = api.post("/v1/channels", json!({"type": "email", "name": "Support email"})).await?;
    // The /demo storefront carries the widget with this key.
    let client = api
        .post("/v1/api-keys", json!({"name": "Demo page", "kind": "client", "channel_id": id(&web)}))
        .await?;
    let client = client["secret"].as_str().unwrap_or_default();
    store.set_demo_client_key(client).await.map_err(|e| format!("cannot keep the demo page's key: {e:?}"))?;
    let (ana_password, bo_password) = (demo_password(), demo_password());
    let ana = api
        .post("/v1/members", json!({"name": "Ana Lima", "email": "ana@juniper.example", "role": "admin", "password": ana_password}))
        .await?;
    let bo = api
        .post("/v1/members", json!({"name": "Bo Berg", "email": "bo@juniper.example", "role": "agent", "password": bo_password}))
        .await?;
    api.post("/v1/canned-responses", json!({"shortcode": "refund", "title": "Refund timing",
        "body": "Hi {{contact.first_name}}, your refund reaches your card within 5 working days of the parcel arriving with us. {{member.name}}"})).await?;
    api.post(
        "/v1/canned-responses",
        json!({"shortcode": "thanks", "title": "Thanks and goodbye",
        "body": "Thanks for your patience, {{contact.first_name}}! Anything else, just write here."}),
    )
    .await?;

    // Customers write in; the AI answers what the help centre covers and hands over the rest.
    let conversation = |name: &str, email: &str, channel: &str, text: &str| json!({"contact": {"name": name, "email": email}, "channel_id": channel, "message": {"content": text}});
    let (web, mail) = (id(&web), id(&mail));
    let asked = [
        ("June Park", "june@example.com", &web, "How long does delivery take?"),
        ("Kai Moreno", "kai@example.com", &web, "Is the blender jar dishwasher safe?"),
        (
            "Lee Chen",
            "lee@example.com",
            &mail,
            "My blender arrived broken and I want to talk to a person please",
        ),
        ("Max Ito", "max@example.com", &web, "I was charged twice for order 48213, I need a human"),
        ("Rae Quinn", "rae@example.com", &mail, "Can I change the address on my order?"),
        (
            "Sam Okafor",
            "sam@example.com",
            &web,
            "Where is my refund? It has been two weeks. Let me speak to an agent.",
        ),
        ("Tess Varga", "tess@example.com", &web, "Do you ship to Norway?"),
    ];
    let mut ids = Vec::new();
    for (name, email, channel, text) in asked {
        ids.push(id(&api.post("/v1/conversations", conversation(name, email, channel, text)).await?));
    }
    while ai.answer_due().await.map_err(|e| format!("the AI could not answer: {e:?}"))? > 0 {}

    // Ana took Lee's conversation over and replied; Bo is on Max's; Tess waits on her.
    let (ana_id, bo_id) = (id(&ana), id(&bo));
    let lee = &ids[2];
    api.post(&format!("/v1/conversations/{lee}/start-human"), json!({"member_id": ana_id})).await?;
    api.post(&format!("/v1/conversations/{lee}/messages"), json!({"sender_type": "human", "sender_id": ana_id,
        "content": "I'm so sorry, Lee. I'm sending a new blender today; you'll get a return label for the broken one."})).await?;
    api.post(
        &format!("/v1/conversations/{lee}/notes"),
        json!({"body": "Replacement ordered (#48990). Check the carrier's damage claim."}),
    )
    .await?;
    api.call(Method::PUT, &format!("/v1/conversations/{lee}/tags"), json!({"tags": ["damaged", "blender"]}))
        .await?;
    let max = &ids[3];
    api.post(&format!("/v1/conversations/{max}/start-human"), json!({"member_id": bo_id})).await?;
    api.call(Method::PATCH, &format!("/v1/conversations/{max}"), json!({"priority": "urgent"})).await?;
    api.call(Method::PUT, &format!("/v1/conversations/{max}/tags"), json!({"tags": ["billing"]})).await?;
    let tess = &ids[6];
    api.post(
        &format!("/v1/conversations/{tess}/handoff-request"),
        json!({"reason": "shipping abroad is not in the help centre"}),
    )
    .await?;
    // June's question was answered: resolved.
    api.post(&format!("/v1/conversations/{}/resolve", ids[0]), json!({})).await?;

    println!("Loaded the demo workspace \"{}\" ({}).", workspace.name, workspace.id);
    println!("Its server key, shown only this once:\n\n    {}\n", key.secret);
    println!("Sign in to the inbox (http://127.0.0.1:8080/ with `baton serve`) as:\n");
    println!("    Ana Lima (admin)   ana@juniper.example   {ana_password}");
    println!("    Bo Berg (agent)    bo@juniper.example    {bo_password}\n");
    println!("Chat as a visitor of the shop at http://127.0.0.1:8080/demo, and answer in the inbox.\n");
    Ok(())
}
