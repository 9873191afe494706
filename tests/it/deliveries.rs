//! Webhook and channel deliveries against real HTTP receivers: signatures checked with the
//! `standardwebhooks` crate, retries, `Retry-After`, 410, redirects, timeouts, ordering per
//! conversation, disabling, the deliveries log, manual retries and test pings.

use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use baton::delivery::Policy;
use baton::delivery::policy::parse_schedule;
use baton::http::Settings;
use serde_json::{Value, json};

use crate::fixtures::{conversation_id, say};
use crate::helpers::TestApp;
use crate::receiver::{Receiver, Reply};

/// Private targets allowed (the receivers are on loopback); retries after ~10 s, then ~60 s.
async fn app() -> TestApp {
    app_with(|_| {}).await
}

async fn app_with(adjust: impl FnOnce(&mut Policy)) -> TestApp {
    let mut delivery = Policy {
        schedule: parse_schedule("10s,60s").unwrap(),
        timeout: Duration::from_millis(500),
        allow_private: true,
        ..Policy::default()
    };
    adjust(&mut delivery);
    TestApp::with_settings(Settings { webhook_allow_private: true, delivery, ..Settings::default() }).await
}

/// Creates an endpoint for `events`; returns (id, secret).
async fn endpoint(app: &TestApp, receiver: &Receiver, events: Value) -> (String, String) {
    let created = app.post("/v1/webhooks", json!({"url": receiver.url(), "events": events})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    (created.body["id"].as_str().unwrap().to_owned(), created.body["secret"].as_str().unwrap().to_owned())
}
async fn deliveries(app: &TestApp, webhook: &str) -> Vec<Value> {
    let listed = app.get(&format!("/v1/webhooks/{webhook}/deliveries?limit=100")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.body["data"].as_array().unwrap().clone()
}

/// The three Standard Webhooks headers of a received request.
fn signature_headers(hit: &crate::receiver::Hit) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        headers.insert(name, hit.header(name).parse().unwrap());
    }
    headers
}

fn verify(secret: &str, hit: &crate::receiver::Hit) {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&hit.body, &signature_headers(hit))
        .unwrap_or_else(|e| panic!("the signature does not verify: {e:?}"));
}

#[tokio::test]
async fn events_are_delivered_signed_in_order_and_logged() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (webhook, secret) =
        endpoint(&app, &receiver, json!(["conversation.created", "message.created"])).await;
    let conv = conversation_id(&app, "ada@example.com").await;
    say(&app, &conv, "contact", "Where is my order?").await;
    app.post(&format!("/v1/conversations/{conv}/notes"), json!({"body": "not subscribed"})).await;

    assert_eq!(app.deliver().await, 1, "one conversation's events go one at a time");
    while app.deliver().await > 0 {}
    assert_eq!(receiver.types(), ["conversation.created", "message.created"]);

    let log = app.get(&format!("/v1/events?conversation_id={conv}")).await.body;
    let logged: Vec<&Value> =
        log["data"].as_array().unwrap().iter().filter(|e| e["type"] != "note.created").collect();
    for (hit, event) in receiver.hits().iter().zip(logged) {
        verify(&secret, hit);
        let payload = hit.json();
        assert_eq!(hit.header("webhook-id"), event["id"].as_str().unwrap());
        assert_eq!(hit.header("content-type"), "application/json");
        assert_eq!(payload, *event, "the payload is the logged event");
        let keys: Vec<&String> = payload.as_object().unwrap().keys().collect();
        for key in ["id", "type", "created_at", "workspace_id", "actor", "data"] {
            assert!(keys.iter().any(|k| *k == key), "{key} in {keys:?}");
        }
    }
    // A wrong secret does not verify: the check above can fail.
    let other = baton::delivery::sign::new_secret();
    let hit = &receiver.hits()[0];
    assert!(
        standardwebhooks::Webhook::new(&other).unwrap().verify(&hit.body, &signature_headers(hit)).is_err()
    );

    let log = deliveries(&app, &webhook).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["event_type"], "message.created", "newest first");
    for delivery in &log {
        assert_eq!(delivery["object"], "webhook_delivery");
        assert!(delivery["id"].as_str().unwrap().starts_with("dlv_"));
        assert_eq!(
            (delivery["status"].as_str(), delivery["attempt_count"].as_i64()),
            (Some("succeeded"), Some(1))
        );
        assert_eq!(delivery["attempts"][0]["status_code"], 200);
        assert_eq!(delivery["attempts"][0]["response_body"], "receiver says hi");
        assert!(delivery["next_attempt_at"].is_null());
    }
    let filtered =
        app.get(&format!("/v1/webhooks/{webhook}/deliveries?event_type=conversation.created")).await;
    assert_eq!(filtered.body["data"].as_array().unwrap().len(), 1);
    app.get(&format!("/v1/webhooks/{webhook}/deliveries?status=lost"))
        .await
        .problem(400, "invalid_parameter");
    let (_, other_key) = app.other_workspace().await;
    app.send(Method::GET, &format!("/v1/webhooks/{webhook}/deliveries"), Some(&other_key), None, &[])
        .await
        .problem(404, "webhook_not_found");
}

#[tokio::test]
async fn failures_are_retried_on_schedule_honouring_retry_after_then_given_up() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (webhook, _) = endpoint(&app, &receiver, json!(["conversation.created"])).await;
    receiver.script([Reply::status(500), Reply { status: 503, retry_after: Some(30), ..Reply::default() }]);
    conversation_id(&app, "ada@example.com").await;

    assert_eq!(app.deliver().await, 1);
    let pending = &deliveries(&app, &webhook).await[0];
    assert_eq!(
        (pending["status"].as_str(), pending["last_status_code"].as_i64()),
        (Some("pending"), Some(500))
    );
    assert_eq!(app.deliver().await, 0, "not due before its wait");
    app.clock.advance_ms(12_001); // 10 s + 20% jitter at most
    assert_eq!(app.deliver().await, 1);
    let waiting = &deliveries(&app, &webhook).await[0];
    let expected = baton::clock::Timestamp(app.clock_now() + 30_000).to_rfc3339();
    assert_eq!(waiting["next_attempt_at"], expected.as_str(), "Retry-After replaces the schedule");
    app.clock.advance_ms(29_000);
    assert_eq!(app.deliver().await, 0);
    app.clock.advance_ms(1_000);
    assert_eq!(app.deliver().await, 1);
    let done = &deliveries(&app, &webhook).await[0];
    assert_eq!(done["status"], "succeeded");
    let codes: Vec<i64> =
        done["attempts"].as_array().unwrap().iter().map(|a| a["status_code"].as_i64().unwrap()).collect();
    assert_eq!(codes, [500, 503, 200]);
    let ids: Vec<String> = receiver.hits().iter().map(|h| h.header("webhook-id").to_owned()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "the same webhook-id on every attempt");

    // Every attempt failing: three attempts, then `failed`.
    receiver.script([Reply::status(500), Reply::status(502), Reply::status(500)]);
    conversation_id(&app, "bob@example.com").await;
    for _ in 0..3 {
        assert_eq!(app.deliver().await, 1);
        app.clock.advance_ms(72_001);
    }
    assert_eq!(app.deliver().await, 0);
    let failed = &deliveries(&app, &webhook).await[0];
    assert_eq!((failed["status"].as_str(), failed["attempt_count"].as_i64()), (Some("failed"), Some(3)));
    assert_eq!(failed["last_error"], "answered 500");
}

#[tokio::test]
async fn gone_disables_the_endpoint_and_redirects_and_timeouts_are_failures() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (webhook, _) = endpoint(&app, &receiver, json!(["conversation.created"])).await;
    let elsewhere = Receiver::start().await;
    receiver.script([
        Reply { status: 302, location: Some(elsewhere.url()), ..Reply::default() },
        Reply { status: 200, delay: Some(Duration::from_secs(3)), ..Reply::default() },
        Reply::status(410),
    ]);
    conversation_id(&app, "ada@example.com").await;
    app.deliver().await;
    let redirected = &deliveries(&app, &webhook).await[0];
    assert_eq!(redirected["attempts"][0]["status_code"], 302);
    assert_eq!(redirected["attempts"][0]["error"], "answered 302: redirects are not followed");
    assert!(elsewhere.hits().is_empty(), "the redirect is not followed");

    app.clock.advance_ms(12_001);
    app.deliver().await;
    let timed_out = &deliveries(&app, &webhook).await[0]["attempts"][1];
    assert!(timed_out["status_code"].is_null());
    assert!(timed_out["error"].as_str().unwrap().starts_with("timed out"), "{timed_out}");

    app.clock.advance_ms(72_001);
    app.deliver().await;
    assert_eq!(deliveries(&app, &webhook).await[0]["status"], "failed");
    let endpoint = app.get(&format!("/v1/webhooks/{webhook}")).await.body;
    assert_eq!(endpoint["enabled"], false);
    assert_eq!(endpoint["disabled_reason"], "the endpoint answered 410 Gone");
    conversation_id(&app, "bob@example.com").await;
    assert_eq!(deliveries(&app, &webhook).await.len(), 1, "a disabled endpoint gets no new deliveries");
}

#[tokio::test]
async fn a_stuck_conversation_holds_back_only_its_own_events() {
    let app = app().await;
    let receiver = Receiver::start().await;
    endpoint(&app, &receiver, json!(["message.created"])).await;
    let stuck = conversation_id(&app, "stuck@example.com").await;
    let flowing = conversation_id(&app, "flowing@example.com").await;
    let stuck_id = stuck.clone();
    receiver.rule(move |payload| {
        (payload["data"]["conversation"]["id"] == stuck_id.as_str()).then(|| Reply::status(503))
    });
    for n in 1..=3 {
        say(&app, &stuck, "contact", &format!("stuck {n}")).await;
        say(&app, &flowing, "contact", &format!("flowing {n}")).await;
    }
    while app.deliver().await > 0 {}
    // What each conversation's messages got, in the order they arrived.
    let arrived = |prefix: &str| -> Vec<String> {
        receiver
            .hits()
            .iter()
            .map(|h| h.json()["data"]["message"]["content"].as_str().unwrap().to_owned())
            .filter(|c| c.starts_with(prefix))
            .collect()
    };
    assert_eq!(arrived("stuck"), ["stuck 1"], "the stuck conversation waits for its first event");
    assert_eq!(arrived("flowing"), ["flowing 1", "flowing 2", "flowing 3"]);

    receiver.clear_rule();
    app.clock.advance_ms(12_001);
    while app.deliver().await > 0 {}
    assert_eq!(arrived("stuck"), ["stuck 1", "stuck 1", "stuck 2", "stuck 3"]);
}

#[tokio::test]
async fn an_endpoint_failing_for_the_configured_time_is_disabled() {
    let app = app_with(|p| {
        p.schedule = parse_schedule("1m,1m,1m").unwrap();
        p.disable_after = Duration::from_secs(120);
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.rule(|_| Some(Reply::status(500)));
    let (webhook, _) = endpoint(&app, &receiver, json!(["conversation.created"])).await;
    conversation_id(&app, "ada@example.com").await;
    for _ in 0..2 {
        app.deliver().await;
        app.clock.advance_ms(72_001);
    }
    assert_eq!(app.get(&format!("/v1/webhooks/{webhook}")).await.body["enabled"], true);
    app.deliver().await;
    let endpoint = app.get(&format!("/v1/webhooks/{webhook}")).await.body;
    assert_eq!(endpoint["enabled"], false, "failing since more than 120 s");
    assert!(endpoint["disabled_reason"].as_str().unwrap().contains("failed"), "{endpoint}");
    app.clock.advance_ms(72_001);
    assert_eq!(app.deliver().await, 0, "a disabled endpoint's deliveries wait");

    // Enabling it again starts a fresh run: the pending delivery goes out.
    receiver.clear_rule();
    let enabled = app.patch(&format!("/v1/webhooks/{webhook}"), json!({"enabled": true})).await;
    assert!(enabled.body["disabled_reason"].is_null());
    assert_eq!(app.deliver().await, 1);
    assert_eq!(deliveries(&app, &webhook).await[0]["status"], "succeeded");
}

#[tokio::test]
async fn deliveries_can_be_retried_by_hand_and_endpoints_pinged() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (webhook, secret) = endpoint(&app, &receiver, json!(["conversation.created"])).await;
    conversation_id(&app, "ada@example.com").await;
    app.deliver().await;
    let delivery = deliveries(&app, &webhook).await[0]["id"].as_str().unwrap().to_owned();

    let retried = app.post(&format!("/v1/webhooks/{webhook}/deliveries/{delivery}/retry"), json!({})).await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{}", retried.body);
    assert_eq!(
        (retried.body["status"].as_str(), retried.body["attempt_count"].as_i64()),
        (Some("pending"), Some(0))
    );
    assert_eq!(app.deliver().await, 1);
    let hits = receiver.hits();
    assert_eq!(hits[1].header("webhook-id"), hits[0].header("webhook-id"));
    let resent = &deliveries(&app, &webhook).await[0];
    assert_eq!((resent["status"].as_str(), resent["attempt_count"].as_i64()), (Some("succeeded"), Some(1)));
    let numbers: Vec<i64> =
        resent["attempts"].as_array().unwrap().iter().map(|a| a["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1, 2], "attempts are numbered across runs");
    app.post(&format!("/v1/webhooks/{webhook}/deliveries/dlv_nothing/retry"), json!({}))
        .await
        .problem(404, "delivery_not_found");

    let ping = app.post(&format!("/v1/webhooks/{webhook}/test"), json!({})).await;
    assert_eq!(ping.status, StatusCode::ACCEPTED, "{}", ping.body);
    assert_eq!(ping.body["event_type"], "webhook.test");
    assert_eq!(app.deliver().await, 1);
    let hit = receiver.hits().pop().unwrap();
    verify(&secret, &hit);
    assert_eq!(hit.json()["type"], "webhook.test");
    assert_eq!(hit.json()["data"]["webhook_id"], webhook.as_str());
    app.post("/v1/webhooks/wh_nothing/test", json!({})).await.problem(404, "webhook_not_found");
}

#[tokio::test]
async fn replies_go_to_the_channels_outbound_url_and_undelivered_ones_fail() {
    let app = app_with(|p| p.schedule = parse_schedule("10s").unwrap()).await;
    let bridge = Receiver::start().await;
    let channel = app
        .post("/v1/channels", json!({"type": "whatsapp", "name": "WhatsApp", "outbound_url": bridge.url()}))
        .await
        .body;
    let secret = channel["outbound_secret"].as_str().unwrap().to_owned();
    let conv = app
        .post(
            "/v1/conversations",
            json!({"contact": {"email": "ada@example.com"}, "channel_id": channel["id"]}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    say(&app, &conv, "contact", "Hello?").await;
    let reply = say(&app, &conv, "human", "Hi Ada, how can I help?").await;
    while app.deliver().await > 0 {}
    let hits = bridge.hits();
    assert_eq!(hits.len(), 1, "only the reply goes out, not the contact's message");
    verify(&secret, &hits[0]);
    assert_eq!(hits[0].json()["type"], "message.created");
    assert_eq!(hits[0].json()["data"]["message"]["id"], reply["id"]);
    // The bridge reports back.
    let reported = app
        .patch(
            &format!("/v1/conversations/{conv}/messages/{}", reply["id"].as_str().unwrap()),
            json!({"status": "delivered"}),
        )
        .await;
    assert_eq!(reported.body["status"], "delivered");

    bridge.rule(|_| Some(Reply::status(500)));
    let lost = say(&app, &conv, "human", "Are you there?").await;
    app.deliver().await;
    app.clock.advance_ms(12_001);
    app.deliver().await;
    let message =
        app.get(&format!("/v1/conversations/{conv}/messages/{}", lost["id"].as_str().unwrap())).await.body;
    assert_eq!(message["status"], "failed");
    assert!(message["failure_reason"].as_str().unwrap().contains("answered 500"), "{message}");
}

#[tokio::test]
async fn a_burst_of_posts_is_delivered_once_each() {
    let app = app().await;
    let receiver = Receiver::start().await;
    endpoint(&app, &receiver, json!(["message.created"])).await;
    let conv = conversation_id(&app, "ada@example.com").await;
    let posts = (0..20).map(|n| {
        let (app, conv) = (&app, &conv);
        async move { say(app, conv, "contact", &format!("message {n}")).await }
    });
    futures_util::future::join_all(posts).await;
    while app.deliver().await > 0 {}
    let seqs: Vec<i64> =
        receiver.hits().iter().map(|h| h.json()["data"]["message"]["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>(), "each once, in the conversation's order");
}
