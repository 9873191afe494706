//! The handoff between the AI and human agents, as a help-desk integration drives it.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::fixtures::{ai_conversation, signed_in};
use crate::helpers::{TestApp, TestResponse};

async fn act(app: &TestApp, key: &str, id: &str, action: &str, body: Value) -> TestResponse {
    app.send(Method::POST, &format!("/v1/conversations/{id}/{action}"), Some(key), Some(&body), &[]).await
}

#[tokio::test]
async fn a_member_takes_over_replies_and_hands_back_and_the_log_tells_it() {
    let app = TestApp::new().await;
    let (ana, token) = signed_in(&app, "Ana", "agent").await;
    let id = ai_conversation(&app).await;
    let key = app.server_key.clone();

    let asked = act(&app, &key, &id, "handoff-request", json!({"reason": "asked for a human"})).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(asked.body["mode"], "handoff_requested");
    assert_eq!(asked.body["handoff"]["requested_by"], "api");
    assert_eq!(asked.body["handoff"]["reason"], "asked for a human");
    // While a human is awaited the AI is silent.
    let silent = json!({"sender_type": "agent", "content": "I can help"});
    app.post(&format!("/v1/conversations/{id}/messages"), silent)
        .await
        .problem(409, "conversation_in_human_mode");

    app.clock.advance_ms(30_000);
    let taken = act(&app, &token, &id, "start-human", json!({})).await;
    assert_eq!(taken.body["mode"], "human");
    assert_eq!(
        (taken.body["assignee_id"].as_str(), taken.body["handoff"]["member_id"].as_str()),
        (Some(ana.as_str()), Some(ana.as_str()))
    );
    assert_eq!(taken.body["human_started_at"], "2026-05-22T14:09:12.120Z");

    let reply = json!({"sender_type": "human", "content": "Hi June, Ana here."});
    let replied = app
        .send(Method::POST, &format!("/v1/conversations/{id}/messages"), Some(&token), Some(&reply), &[])
        .await;
    assert_eq!(
        (replied.status, replied.body["sender_id"].as_str()),
        (StatusCode::CREATED, Some(ana.as_str()))
    );
    let note = json!({"body": "Refund approved"});
    let noted = app
        .send(Method::POST, &format!("/v1/conversations/{id}/notes"), Some(&token), Some(&note), &[])
        .await;
    assert_eq!(noted.status, StatusCode::CREATED);

    let back = act(&app, &token, &id, "stop-human", json!({})).await;
    assert_eq!(back.body["mode"], "ai");
    assert_eq!(back.body["handoff"]["requested_at"], Value::Null);
    assert_eq!(back.body["assignee_id"], ana.as_str(), "the member stays the owner for follow-ups");
    let again = act(&app, &token, &id, "stop-human", json!({})).await;
    assert_eq!(again.body["version"], back.body["version"], "already with the AI: nothing changes");

    let log = app.get(&format!("/v1/conversations/{id}/events")).await;
    let story: Vec<(String, String)> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap().to_owned(), e["actor"]["type"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [
        ("conversation.created", "api_key"),
        ("message.created", "api_key"),
        ("conversation.handoff_requested", "api_key"),
        ("message.created", "api_key"),
        ("conversation.handoff_started", "member"),
        ("message.created", "member"),
        ("message.created", "member"),
        ("note.created", "member"),
        ("conversation.handoff_completed", "member"),
        ("message.created", "member"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(story, expected);
    let thread = app.get(&format!("/v1/conversations/{id}/messages")).await;
    let senders: Vec<&str> =
        thread.body["data"].as_array().unwrap().iter().map(|m| m["sender_type"].as_str().unwrap()).collect();
    assert_eq!(senders, ["contact", "system", "system", "human", "system"]);
}

#[tokio::test]
async fn taking_over_needs_force_and_going_back_needs_an_ai() {
    let app = TestApp::new().await;
    let (_, ana) = signed_in(&app, "Ana", "agent").await;
    let (bo_id, bo) = signed_in(&app, "Bo", "admin").await;
    // Without an AI agent a conversation starts waiting for a human.
    let created = app.post("/v1/conversations", json!({"contact": {"email": "june@example.com"}})).await;
    assert_eq!(created.body["mode"], "handoff_requested");
    let id = created.body["id"].as_str().unwrap();

    act(&app, &ana, id, "stop-human", json!({})).await.problem(409, "no_ai_agent");
    assert_eq!(act(&app, &ana, id, "start-human", json!({})).await.status, StatusCode::OK);
    act(&app, &bo, id, "start-human", json!({})).await.problem(409, "conversation_already_taken");
    act(&app, &ana, id, "handoff-request", json!({})).await.problem(409, "conversation_in_human_mode");
    act(&app, &ana, id, "start-human", json!({"member_id": bo_id})).await.problem(403, "forbidden_for_role");
    let unknown =
        act(&app, &app.server_key, id, "start-human", json!({"member_id": "mem_nobody", "force": true}))
            .await;
    assert_eq!(unknown.error_fields(), ["member_id"]);

    let forced = act(&app, &bo, id, "start-human", json!({"force": true})).await;
    assert_eq!(forced.body["handoff"]["member_id"], bo_id.as_str());
    act(&app, &bo, id, "stop-human", json!({})).await.problem(409, "no_ai_agent");
    app.post(&format!("/v1/conversations/{id}/close"), json!({})).await;
    act(&app, &bo, id, "start-human", json!({"force": true})).await.problem(409, "conversation_closed");
    app.get("/v1/conversations/conv_missing").await.problem(404, "conversation_not_found");
    act(&app, &bo, "conv_missing", "start-human", json!({})).await.problem(404, "conversation_not_found");
}

/// Sends one JSON POST over a real connection and returns its status code.
async fn post_over_http(addr: std::net::SocketAddr, path: &str, token: &str, body: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response[9..12].parse().unwrap()
}

/// Members racing to take one conversation: the database decides, exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_members_racing_to_take_a_conversation_exactly_one_wins() {
    let app = TestApp::new().await;
    let mut tokens = Vec::new();
    for name in ["Ana", "Bo", "Cy", "Di", "Ed", "Flo"] {
        tokens.push(signed_in(&app, name, "agent").await.1);
    }
    let created = app.post("/v1/conversations", json!({"contact": {"email": "june@example.com"}})).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());

    let path = format!("/v1/conversations/{id}/start-human");
    let racers: Vec<_> = tokens
        .iter()
        .map(|token| {
            let (path, token) = (path.clone(), token.clone());
            tokio::spawn(async move { post_over_http(addr, &path, &token, "{}").await })
        })
        .collect();
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.unwrap());
    }
    server.abort();
    statuses.sort();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409]);
    let started =
        app.get(&format!("/v1/events?type=conversation.handoff_started&conversation_id={id}")).await;
    assert_eq!(started.body["data"].as_array().unwrap().len(), 1, "one takeover recorded");
}

#[tokio::test]
async fn conversations_are_assigned_to_members_and_teams() {
    let app = TestApp::new().await;
    let (ana, token) = signed_in(&app, "Ana", "agent").await;
    let team = app.post("/v1/teams", json!({"name": "Billing", "member_ids": [ana]})).await;
    let team = team.body["id"].as_str().unwrap().to_owned();
    let first = app.post("/v1/conversations", json!({"contact": {"email": "june@example.com"}})).await;
    app.post("/v1/conversations", json!({"contact": {"email": "max@example.com"}})).await;
    let id = first.body["id"].as_str().unwrap();
    let path = format!("/v1/conversations/{id}");

    let body = json!({"assignee_id": ana, "team_id": team});
    let assigned = app.send(Method::PATCH, &path, Some(&token), Some(&body), &[]).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    assert_eq!(
        (assigned.body["assignee_id"].as_str(), assigned.body["team_id"].as_str()),
        (Some(ana.as_str()), Some(team.as_str()))
    );
    let event = app.get("/v1/events?type=conversation.assigned").await.body["data"][0].clone();
    assert_eq!(event["data"]["changes"], json!({"assignee_id": [null, ana], "team_id": [null, team]}));
    assert_eq!(event["actor"]["type"], "member");

    let ids = |body: &Value| -> Vec<String> {
        body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&app.get(&format!("/v1/conversations?assignee_id={ana}")).await.body), [id]);
    assert_eq!(ids(&app.get(&format!("/v1/conversations?team_id={team}")).await.body), [id]);
    assert_eq!(ids(&app.get("/v1/conversations?assignee_id=none").await.body).len(), 1);

    let bad = app.patch(&path, json!({"assignee_id": "mem_nobody", "team_id": "team_nobody"})).await;
    assert_eq!(bad.error_fields(), ["assignee_id", "team_id"]);
    let unassigned = app.patch(&path, json!({"assignee_id": null})).await;
    assert_eq!(
        (unassigned.body["assignee_id"].clone(), unassigned.body["team_id"].as_str()),
        (Value::Null, Some(team.as_str()))
    );
    // Deleting the member leaves their conversations unassigned.
    app.patch(&path, json!({"assignee_id": ana})).await;
    app.delete(&format!("/v1/members/{ana}")).await;
    assert_eq!(app.get(&path).await.body["assignee_id"], Value::Null);
}

#[tokio::test]
async fn typing_and_read_are_relayed_live_and_reading_keeps_unread_right() {
    let app = TestApp::new().await;
    let (ana, token) = signed_in(&app, "Ana", "agent").await;
    let created = app
        .post(
            "/v1/conversations",
            json!({"contact": {"email": "june@example.com"}, "message": {"content": "one"}}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let messages = format!("/v1/conversations/{id}/messages");
    let second = app.post(&messages, json!({"sender_type": "contact", "content": "two"})).await;
    app.post(&messages, json!({"sender_type": "contact", "content": "three"})).await;
    assert_eq!(app.get(&format!("/v1/conversations/{id}")).await.body["unread_count"], 3);

    let mut signals = app.live.subscribe();
    let typing = json!({"sender_type": "human", "typing": true});
    let relayed = app
        .send(Method::POST, &format!("/v1/conversations/{id}/typing"), Some(&token), Some(&typing), &[])
        .await;
    assert_eq!(relayed.status, StatusCode::NO_CONTENT);
    let signal = signals.try_recv().expect("a typing signal");
    assert_eq!((signal.kind, signal.conversation_id.as_str()), ("conversation.typing", id.as_str()));
    assert_eq!(signal.data, json!({"sender_type": "human", "typing": true, "member_id": ana}));

    let read = json!({"reader": "member", "up_to_message_id": second.body["id"]});
    let after =
        app.send(Method::POST, &format!("/v1/conversations/{id}/read"), Some(&token), Some(&read), &[]).await;
    assert_eq!(after.body["unread_count"], 1, "only the message after the one read");
    assert_eq!(signals.try_recv().expect("a read signal").kind, "conversation.read");
    let log = app.get(&format!("/v1/events?conversation_id={id}&type=conversation.updated")).await;
    assert_eq!(log.body["data"], json!([]), "stream-only: nothing in the event log");

    let bad = json!({"reader": "member", "up_to_message_id": "msg_missing"});
    let refused =
        app.send(Method::POST, &format!("/v1/conversations/{id}/read"), Some(&token), Some(&bad), &[]).await;
    assert_eq!(refused.error_fields(), ["up_to_message_id"]);
    let nobody = app
        .send(Method::POST, "/v1/conversations/conv_missing/typing", Some(&token), Some(&typing), &[])
        .await;
    nobody.problem(404, "conversation_not_found");
}

#[tokio::test]
async fn handing_back_a_conversation_that_never_had_an_agent_pins_the_workspaces() {
    let app = TestApp::new().await;
    let created = app.post("/v1/conversations", json!({"contact": {"email": "june@example.com"}})).await;
    assert_eq!(created.body["mode"], "handoff_requested", "no AI agent yet");
    let id = created.body["id"].as_str().unwrap();
    act(&app, &app.server_key, id, "start-human", json!({})).await;
    act(&app, &app.server_key, id, "stop-human", json!({})).await.problem(409, "no_ai_agent");
    let agent = app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Help."}})).await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);

    let back = act(&app, &app.server_key, id, "stop-human", json!({})).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert_eq!((back.body["mode"].as_str(), back.body["agent"]["name"].as_str()), (Some("ai"), Some("Ava")));
    let read = app.get(&format!("/v1/conversations/{id}")).await;
    assert_eq!(read.body["agent"]["id"], agent.body["id"], "the agent stays pinned");
    // The AI answers the contact's next message.
    app.post(
        &format!("/v1/conversations/{id}/messages"),
        json!({"sender_type": "contact", "content": "Hello?"}),
    )
    .await;
    assert_eq!(app.answer().await, 1);
}
