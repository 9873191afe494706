//! What a stranger reaches with only what a website exposes — the widget's public client key,
//! a visitor's own token — and what it costs the server: files, identities, quotas, streams.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use baton::http::{Limit, Settings, StreamLimits, VisitorQuotas};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};
use crate::receiver::Receiver;
use crate::stream::Stream;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";
const EVIL: (&str, &str) = ("origin", "https://evil.example");

async fn client_key(app: &TestApp) -> String {
    let created = app.post("/v1/api-keys", json!({"name": "Website", "kind": "client"})).await;
    created.body["secret"].as_str().unwrap().to_owned()
}

/// A visitor's session: the whole response.
async fn session_from(app: &TestApp, address: &str, key: &str, body: Value) -> TestResponse {
    app.send_from(address, Method::POST, "/v1/widget/sessions", Some(key), Some(&body)).await
}

/// A visitor: `(contact id, contact token)`.
async fn visitor(app: &TestApp, key: &str, body: Value) -> (String, String) {
    let started = session_from(app, "198.51.100.1", key, body).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    (text(&started.body["contact"]["id"]), text(&started.body["contact_token"]))
}

async fn upload_from(app: &TestApp, address: &str, token: &str, bytes: &[u8]) -> TestResponse {
    let mut request = Request::post("/v1/uploads?name=photo.png")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "image/png")
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    let peer = std::net::SocketAddr::new(address.parse().unwrap(), 40_000);
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    app.send_request(request).await
}

#[tokio::test]
async fn a_public_key_reads_no_file_and_every_outbound_copy_of_a_file_is_signed() {
    let delivery = baton::delivery::Policy { allow_private: true, ..Default::default() };
    let app =
        TestApp::with_settings(Settings { webhook_allow_private: true, delivery, ..Settings::default() })
            .await;
    let receiver = Receiver::start().await;
    let hook = app.post("/v1/webhooks", json!({"url": receiver.url(), "events": ["message.created"]})).await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    let key = client_key(&app).await;
    let (_, june) = visitor(&app, &key, json!({"name": "June"})).await;
    let photo = upload_from(&app, "198.51.100.1", &june, PNG).await;
    let file = photo.body["id"].as_str().unwrap().to_owned();
    let started = app
        .send(
            Method::POST,
            "/v1/widget/conversations",
            Some(&june),
            Some(&json!({"message": {"content": "my passport", "attachments": [{"upload_id": file}]}})),
            &[],
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);

    // The page's public key, from any site: refused, and no CORS header to read the refusal by.
    let plain = format!("/v1/files/{file}");
    let by_key = app.send(Method::GET, &plain, Some(&key), None, &[EVIL]).await;
    by_key.problem(403, "forbidden_for_key");
    assert_eq!(by_key.header("access-control-allow-origin"), None);
    let (_, kai) = visitor(&app, &key, json!({"name": "Kai"})).await;
    app.send(Method::GET, &plain, Some(&kai), None, &[]).await.problem(404, "file_not_found");
    // The server key still reads it; a page of another site only through the signed URL.
    assert_eq!(app.send(Method::GET, &plain, Some(&app.server_key), None, &[]).await.status, StatusCode::OK);
    // Half a signature is no signature, whoever asks.
    for half in [format!("{plain}?signature=x"), format!("{plain}?expires=99999999999")] {
        for key in [Some(kai.as_str()), Some(key.as_str()), None] {
            app.send(Method::GET, &half, key, None, &[]).await.problem(403, "file_link_invalid");
        }
    }

    // The event log, the stream and the webhook carry signed URLs that work alone.
    let events = app.get("/v1/events?type=message.created").await.body;
    let url = events["data"][0]["data"]["message"]["attachments"][0]["url"].as_str().unwrap().to_owned();
    assert!(url.contains("signature="), "{url}");
    let signed = app.send(Method::GET, &url, None, None, &[EVIL]).await;
    assert_eq!(signed.status, StatusCode::OK);
    assert_eq!(signed.header("access-control-allow-origin"), Some("https://evil.example"));
    let (status, mut stream) = Stream::open_as(
        &app,
        "/v1/events/stream?type=message.created",
        &app.server_key,
        Some(events["data"][0]["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.send(Method::POST, &format!("/v1/widget/conversations/{}/messages", started.body["id"].as_str().unwrap()),
        Some(&june), Some(&json!({"attachments": [{"upload_id": upload_from(&app, "198.51.100.1", &june, PNG).await.body["id"]}]})), &[])
        .await;
    let live = stream.next().await;
    assert!(live.data["data"]["message"]["attachments"][0]["url"].as_str().unwrap().contains("signature="));
    while app.deliver().await > 0 {}
    let delivered = receiver.hits()[0].json();
    let sent = delivered["data"]["message"]["attachments"][0]["url"].as_str().unwrap();
    assert!(sent.contains("signature="), "{sent}");
}

#[tokio::test]
async fn an_unproven_external_id_never_reaches_that_contacts_conversations() {
    let app = TestApp::new().await;
    let key = client_key(&app).await;
    let real = app
        .post(
            "/v1/conversations",
            json!({"contact": {"external_id": "user-42", "name": "Real June"},
            "message": {"content": "my card ends in 4242"}}),
        )
        .await;
    assert_eq!(real.status, StatusCode::CREATED, "{}", real.body);
    let real_contact = real.body["contact"]["id"].as_str().unwrap().to_owned();

    // Verification is off (the default): the claim gets a contact of its own, marked unverified.
    let config = app.send(Method::GET, "/v1/widget/config", Some(&key), None, &[]).await;
    assert_eq!(config.body["identity_verification"], false);
    let claimed = session_from(&app, "203.0.113.5", &key, json!({"external_id": "user-42"})).await;
    assert_eq!(claimed.status, StatusCode::CREATED, "{}", claimed.body);
    let contact = &claimed.body["contact"];
    assert_ne!(contact["id"], real_contact.as_str());
    assert_eq!(
        (contact["external_id"].as_str(), contact["identity_verified"].as_bool()),
        (Some("user-42"), Some(false))
    );
    let token = claimed.body["contact_token"].as_str().unwrap();
    let listed = app.send(Method::GET, "/v1/widget/conversations", Some(token), None, &[]).await;
    assert_eq!(listed.body["data"], json!([]), "nothing of user-42's");
    let stored = app.get(&format!("/v1/contacts/{}", contact["id"].as_str().unwrap())).await.body;
    assert_eq!(
        (stored["external_id"].as_str(), stored["custom_attributes"]["unverified_external_id"].as_str()),
        (None, Some("user-42"))
    );
    let real_now = app.get(&format!("/v1/contacts/{real_contact}")).await.body;
    assert_eq!(real_now["external_id"], "user-42", "the real contact is untouched");

    // An email typed into the widget is a claim too: an integration writing to that customer
    // by email never lands in the typist's contact.
    let typed = session_from(&app, "203.0.113.5", &key, json!({"email": "victim@example.com"})).await;
    let typist = typed.body["contact_token"].as_str().unwrap().to_owned();
    let to_victim = app
        .post("/v1/conversations", json!({"contact": {"email": "victim@example.com"}, "message": {"content": "Your card ending 4242"}}))
        .await;
    assert_ne!(to_victim.body["contact"]["id"], typed.body["contact"]["id"]);
    let seen = app.send(Method::GET, "/v1/widget/conversations", Some(&typist), None, &[]).await;
    assert_eq!(seen.body["data"], json!([]));

    // Idempotency keys are the caller's own: a visitor repeating the backend's key and body
    // gets a session of their own, never the backend's stored answer.
    let backend_body = json!({"external_id": "user-42"});
    let reused = [("idempotency-key", "session-user-42")];
    let first = app
        .send(Method::POST, "/v1/widget/sessions", Some(&app.server_key), Some(&backend_body), &reused)
        .await;
    let copied =
        app.send(Method::POST, "/v1/widget/sessions", Some(&key), Some(&backend_body), &reused).await;
    assert_eq!(copied.status, StatusCode::CREATED);
    assert_eq!(copied.header("idempotent-replayed"), None);
    assert_ne!(copied.body["contact_token"], first.body["contact_token"]);
    assert_eq!(copied.body["contact"]["identity_verified"], false);

    // The site's backend (a server key) names its signed-in user: that is proof.
    let backend = session_from(&app, "10.0.0.2", &app.server_key, json!({"external_id": "user-42"})).await;
    assert_eq!(
        (backend.body["contact"]["id"].as_str(), backend.body["contact"]["identity_verified"].as_bool()),
        (Some(real_contact.as_str()), Some(true))
    );

    // With a secret, a valid user_hash is the only way in for a client key.
    let secret = app.post("/v1/widget/identity-secret", json!({})).await.body["identity_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    session_from(&app, "203.0.113.5", &key, json!({"external_id": "user-42"}))
        .await
        .problem(403, "identity_not_verified");
    let proven = json!({"external_id": "user-42", "user_hash": crate::widget::user_hash(&secret, "user-42")});
    let verified = session_from(&app, "203.0.113.5", &key, proven).await;
    assert_eq!(verified.body["contact"]["id"].as_str(), Some(real_contact.as_str()));
}

fn quotas(adjust: impl FnOnce(&mut VisitorQuotas)) -> Settings {
    let mut visitor_quotas = VisitorQuotas::default();
    adjust(&mut visitor_quotas);
    Settings { visitor_quotas, ..Settings::default() }
}

#[tokio::test]
async fn a_visitors_messages_over_quota_are_refused_and_nothing_is_stored() {
    let app = TestApp::with_settings(quotas(|q| {
        q.messages = Limit::per_minute(3);
        q.signals = Limit::per_minute(2);
    }))
    .await;
    let agent = app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Be kind."}})).await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let key = client_key(&app).await;
    let (_, token) = visitor(&app, &key, json!({})).await;
    let started =
        app.send(Method::POST, "/v1/widget/conversations", Some(&token), Some(&json!({})), &[]).await;
    let id = started.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/widget/conversations/{id}/messages");
    for n in 0..3 {
        let sent = app
            .send_from(
                "198.51.100.1",
                Method::POST,
                &path,
                Some(&token),
                Some(&json!({"content": format!("hi {n}")})),
            )
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    }
    let refused = app
        .send_from("198.51.100.1", Method::POST, &path, Some(&token), Some(&json!({"content": "spam"})))
        .await;
    refused.problem(429, "rate_limited");
    assert!(refused.header("retry-after").is_some_and(|s| (1..=60).contains(&s.parse::<u64>().unwrap())));
    let thread = app.get(&format!("/v1/conversations/{id}/messages")).await.body;
    let contents: Vec<&str> = thread["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender_type"] == "contact")
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["hi 0", "hi 1", "hi 2"]);
    // Nothing was stored for the refused message, so no AI answer was queued for it either.
    app.clock.advance_ms(60_000);
    let later = app
        .send_from("198.51.100.1", Method::POST, &path, Some(&token), Some(&json!({"content": "later"})))
        .await;
    assert_eq!(later.status, StatusCode::CREATED);
    // Typing is relayed to every inbox: it has a quota of its own.
    let typing = format!("/v1/widget/conversations/{id}/typing");
    for expected in [204, 204, 429] {
        let body = json!({"typing": true});
        let sent = app.send_from("198.51.100.1", Method::POST, &typing, Some(&token), Some(&body)).await;
        assert_eq!(sent.status.as_u16(), expected, "{}", sent.body);
    }
    let metrics = app.send(Method::GET, "/metrics", None, None, &[]).await;
    assert!(metrics.body.as_str().unwrap().contains("baton_rate_limited_total{limit=\"messages\"} 1"));
}

#[tokio::test]
async fn an_address_has_its_own_quota_so_new_tokens_do_not_escape_it() {
    let app = TestApp::with_settings(quotas(|q| {
        q.conversations = Limit::per_minute(1);
        q.address_factor = 2;
        q.uploads = Limit::per_hour(1);
        q.upload_bytes = Limit::per_hour(PNG.len() as u64 * 10);
    }))
    .await;
    let key = client_key(&app).await;
    let mut started = Vec::new();
    for _ in 0..3 {
        let (_, token) = visitor(&app, &key, json!({})).await;
        let made = app
            .send_from(
                "203.0.113.9",
                Method::POST,
                "/v1/widget/conversations",
                Some(&token),
                Some(&json!({})),
            )
            .await;
        started.push(made.status.as_u16());
        let uploaded = upload_from(&app, "203.0.113.9", &token, PNG).await;
        started.push(uploaded.status.as_u16());
    }
    assert_eq!(started, [201, 201, 201, 201, 429, 429], "two per address: the third token is refused both");
    let (_, elsewhere) = visitor(&app, &key, json!({})).await;
    let made = app
        .send_from(
            "203.0.113.10",
            Method::POST,
            "/v1/widget/conversations",
            Some(&elsewhere),
            Some(&json!({})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "another address is not held back");
}

#[tokio::test]
async fn one_address_using_up_its_sessions_leaves_other_visitors_theirs() {
    let app = TestApp::with_settings(quotas(|q| q.sessions_per_address = Limit::per_minute(3))).await;
    let key = client_key(&app).await;
    for _ in 0..3 {
        assert_eq!(session_from(&app, "203.0.113.66", &key, json!({})).await.status, StatusCode::CREATED);
    }
    let refused = session_from(&app, "203.0.113.66", &key, json!({})).await;
    refused.problem(429, "rate_limited");
    assert!(refused.header("retry-after").is_some());
    assert_eq!(session_from(&app, "198.51.100.20", &key, json!({})).await.status, StatusCode::CREATED);
    app.clock.advance_ms(60_000);
    assert_eq!(session_from(&app, "203.0.113.66", &key, json!({})).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_token_holds_only_so_many_streams_open() {
    let limits = StreamLimits { per_credential: 2, ..StreamLimits::default() };
    let app = TestApp::with_settings(Settings { streams: limits, ..Settings::default() }).await;
    let key = client_key(&app).await;
    let (_, token) = visitor(&app, &key, json!({})).await;
    let started =
        app.send(Method::POST, "/v1/widget/conversations", Some(&token), Some(&json!({})), &[]).await;
    let path = format!("/v1/widget/conversations/{}/stream", started.body["id"].as_str().unwrap());
    let (first, one) = Stream::open_as(&app, &path, &token, None).await;
    let (second, _two) = Stream::open_as(&app, &path, &token, None).await;
    assert_eq!((first, second), (StatusCode::OK, StatusCode::OK));
    let third = app.send(Method::GET, &path, Some(&token), None, &[]).await;
    third.problem(429, "rate_limited");
    drop(one);
    let (again, _three) = Stream::open_as(&app, &path, &token, None).await;
    assert_eq!(again, StatusCode::OK, "a closed stream gives its place back");
    let (_, neighbour) = visitor(&app, &key, json!({})).await;
    let theirs =
        app.send(Method::POST, "/v1/widget/conversations", Some(&neighbour), Some(&json!({})), &[]).await;
    let path = format!("/v1/widget/conversations/{}/stream", theirs.body["id"].as_str().unwrap());
    let (other, _four) = Stream::open_as(&app, &path, &neighbour, None).await;
    assert_eq!(other, StatusCode::OK, "per token: a visitor at the same address has places of their own");
}

#[tokio::test]
async fn responses_are_nosniff_docs_is_locked_down_and_shown_text_is_safe() {
    let settings = Settings { public_url: Some("https://support.example.com".into()), ..Settings::default() };
    let app = TestApp::with_settings(settings).await;
    let me = app.get("/v1/me").await;
    assert_eq!(me.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(me.header("strict-transport-security"), Some("max-age=31536000"));
    let docs = app.send(Method::GET, "/docs/", None, None, &[]).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert_eq!(docs.header("x-frame-options"), Some("DENY"));
    assert!(docs.header("content-security-policy").is_some_and(|p| p.contains("frame-ancestors 'none'")));

    // "Try it out" on /docs acts with a key, never with the inbox's session cookie.
    let (_, token) = crate::fixtures::signed_in(&app, "Ana", "admin").await;
    let cookie = format!("baton_session={token}");
    let from_inbox = app.send(Method::GET, "/v1/me", None, None, &[("cookie", &cookie)]).await;
    assert_eq!(from_inbox.status, StatusCode::OK);
    let from_docs = app
        .send(
            Method::GET,
            "/v1/me",
            None,
            None,
            &[("cookie", &cookie), ("referer", "https://support.example.com/docs/")],
        )
        .await;
    from_docs.problem(401, "missing_api_key");

    // Links shown in the inbox are web addresses; names lose bidirectional overrides.
    let conversation = app.post("/v1/conversations", json!({"contact": {"name": "June \u{202E}kraP"}})).await;
    assert_eq!(conversation.body["contact"]["name"], "June kraP");
    let id = conversation.body["id"].as_str().unwrap();
    let linked = json!({"sender_type": "contact",
        "attachments": [{"url": "https://files.example.com/x", "name": "invoice\u{202E}fdp.exe"}]});
    let posted = app.post(&format!("/v1/conversations/{id}/messages"), linked).await;
    assert_eq!(posted.body["attachments"][0]["name"], "invoicefdp.exe", "{}", posted.body);
    let sneaky = json!({"sender_type": "agent", "content": "See the guide",
        "metadata": {"sources": [{"title": "Guide", "url": "javascript:alert(document.cookie)"}]}});
    let refused = app.post(&format!("/v1/conversations/{id}/messages"), sneaky).await;
    assert_eq!(refused.problem(422, "validation_failed")["errors"][0]["field"], "metadata.sources[0].url");
}
