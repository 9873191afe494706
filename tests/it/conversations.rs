use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{conversation, june};
use crate::helpers::TestApp;
fn ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn create_looks_up_or_creates_the_contact_and_posts_the_first_message() {
    let app = TestApp::new().await;
    let first = conversation(
        &app,
        json!({"contact": {"email": "June@Example.com", "name": "June"}, "title": "Refund request", "priority": "high",
               "custom_data": {"order": 4421}, "message": {"content": "Where is my order?"}}),
    )
    .await;
    assert_eq!(first["object"], "conversation");
    assert_eq!(first["number"], 1);
    assert_eq!(first["status"], "open");
    assert_eq!(first["mode"], "handoff_requested", "no AI agent exists to answer");
    assert_eq!(first["handoff"]["requested_by"], "system");
    assert_eq!(first["priority"], "high");
    assert_eq!(first["contact"]["email"], "june@example.com");
    assert_eq!(first["message_count"], 1);
    assert_eq!(first["unread_count"], 1);
    assert_eq!(first["last_message"]["preview"], "Where is my order?");
    assert_eq!(first["last_message"]["sender_type"], "contact");
    assert_eq!(first["custom_data"], json!({"order": 4421}));

    // The same email finds the same contact.
    let second = conversation(&app, json!({"contact": {"email": "june@example.com"}})).await;
    assert_eq!(second["contact"]["id"], first["contact"]["id"]);
    assert_eq!(second["number"], 2);
    let by_id = conversation(&app, json!({"contact_id": first["contact"]["id"]})).await;
    assert_eq!(by_id["contact"]["name"], "June");
    assert_eq!(app.get("/v1/contacts?include_total=true").await.body["total"], 1);

    let channel = app.post("/v1/channels", json!({"type": "whatsapp", "name": "WhatsApp"})).await.body;
    let on_channel =
        conversation(&app, json!({"contact": {"external_id": "wa-1"}, "channel_id": channel["id"]})).await;
    assert_eq!(on_channel["channel"], json!({"id": channel["id"], "type": "whatsapp", "name": "WhatsApp"}));
}

#[tokio::test]
async fn bad_conversations_are_refused_and_nothing_is_created() {
    let app = TestApp::new().await;
    let cases = [
        (json!({"contact_id": "ct_x", "contact": {"email": "a@b.co"}}), "contact"),
        (json!({"contact": {"email": "nope"}}), "contact.email"),
        (json!({"contact_id": "ct_missing"}), "contact_id"),
        (json!({"contact": {"email": "a@b.co"}, "channel_id": "ch_missing"}), "channel_id"),
        (json!({"contact": {"email": "a@b.co"}, "priority": "asap"}), "priority"),
        (json!({"contact": {"email": "a@b.co"}, "message": {"content": " "}}), "message.content"),
        (json!({"contact": {"email": "a@b.co"}, "agent_id": "agent_x"}), "agent_id"),
    ];
    for (body, field) in cases {
        let response = app.post("/v1/conversations", body.clone()).await;
        response.problem(422, "validation_failed");
        assert_eq!(response.error_fields(), [field], "{body}");
    }
    assert_eq!(app.get("/v1/conversations?include_total=true").await.body["total"], 0);
    assert_eq!(
        app.get("/v1/contacts?include_total=true").await.body["total"],
        0,
        "no contact was left behind"
    );
}

#[tokio::test]
async fn numbers_have_no_gaps_or_duplicates_under_concurrency() {
    let app = TestApp::new().await;
    let creates = (0..12)
        .map(|i| app.post("/v1/conversations", json!({"contact": {"email": format!("c{i}@example.com")}})));
    let mut numbers: Vec<i64> = futures_util::future::join_all(creates)
        .await
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["number"].as_i64().unwrap()
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>());
    // Another workspace counts on its own.
    let (_, other) = app.other_workspace().await;
    let theirs = app
        .send(
            Method::POST,
            "/v1/conversations",
            Some(&other),
            Some(&json!({"contact": {"email": "x@example.com"}})),
            &[],
        )
        .await;
    assert_eq!(theirs.body["number"], 1);
}

#[tokio::test]
async fn list_filters_and_sorts() {
    let app = TestApp::new().await;
    let web = app.post("/v1/channels", json!({"type": "widget", "name": "Web"})).await.body;
    let mail = app.post("/v1/channels", json!({"type": "email", "name": "Mail"})).await.body;
    let a = conversation(
        &app,
        json!({"contact": {"email": "a@example.com"}, "channel_id": web["id"], "priority": "low"}),
    )
    .await;
    app.clock.advance_ms(10);
    let b = conversation(
        &app,
        json!({"contact": {"email": "b@example.com"}, "channel_id": mail["id"], "priority": "urgent"}),
    )
    .await;
    app.clock.advance_ms(10);
    let c = conversation(&app, json!({"contact": {"email": "c@example.com"}, "priority": "high"})).await;
    app.clock.advance_ms(10);
    // A new message moves `a` to the top of the default order.
    app.post(
        &format!("/v1/conversations/{}/messages", a["id"].as_str().unwrap()),
        json!({"sender_type": "contact", "content": "hi"}),
    )
    .await;
    app.post(&format!("/v1/conversations/{}/resolve", b["id"].as_str().unwrap()), json!({})).await;

    let (a, b, c) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap(), c["id"].as_str().unwrap());
    let list = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move {
            let response = app.get(&format!("/v1/conversations?{query}")).await;
            assert_eq!(response.status, StatusCode::OK, "{query}: {}", response.body);
            ids(&response.body)
        }
    };
    assert_eq!(list("").await, [a, c, b], "by last message, newest first");
    assert_eq!(list("sort=created_at").await, [c, b, a]);
    assert_eq!(list("sort=created_at&order=asc").await, [a, b, c]);
    assert_eq!(list("sort=priority").await, [b, c, a]);
    assert_eq!(list("status=resolved").await, [b]);
    assert_eq!(list("status=open,pending").await, [a, c]);
    assert_eq!(list("status=open&status=resolved").await, [a, c, b]);
    assert_eq!(list("priority=urgent,low").await, [a, b]);
    assert_eq!(list("mode=handoff_requested").await.len(), 3);
    assert_eq!(list("mode=ai").await.len(), 0);
    assert_eq!(list(&format!("channel_id={}", web["id"].as_str().unwrap())).await, [a]);
    assert_eq!(list("channel_type=email").await, [b]);
    assert_eq!(list("contact_email=C%40example.com").await, [c]);
    assert_eq!(list("assignee_id=none").await.len(), 3);
    assert_eq!(list("created_after=2026-05-22T14:08:42.125Z").await, [c, b]);
    assert_eq!(list("created_before=2026-05-22T14:08:42.125Z").await, [a]);
    assert_eq!(list("has_feedback=true").await.len(), 0);
    let total = app.get("/v1/conversations?limit=1&include_total=true").await;
    assert_eq!(total.body["total"], 3);
    assert_eq!(app.collect_ids("/v1/conversations?limit=1", &app.server_key).await, [a, c, b]);
    assert_eq!(
        app.collect_ids("/v1/conversations?limit=2&sort=priority&order=asc", &app.server_key).await,
        [a, c, b]
    );

    for bad in [
        "status=stuck",
        "sort=size",
        "order=up",
        "created_after=yesterday",
        "tag_x=1",
        "include_removed=maybe",
    ] {
        app.get(&format!("/v1/conversations?{bad}")).await.problem(400, "invalid_parameter");
    }
}

#[tokio::test]
async fn patch_changes_fields_and_logs_what_changed() {
    let app = TestApp::new().await;
    let conv = june(&app).await;
    let path = format!("/v1/conversations/{}", conv["id"].as_str().unwrap());
    app.clock.advance_ms(1000);
    let patched = app
        .patch(
            &path,
            json!({"title": "Refund — order 4421", "priority": "urgent", "summary": "Wants a refund",
                             "custom_data": {"order": 4421}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["title"], "Refund — order 4421");
    assert_eq!(patched.body["priority"], "urgent");
    assert_eq!(patched.body["version"], 2);
    assert_eq!(patched.header("etag"), Some("\"2\""));

    let stale = app
        .send(
            Method::PATCH,
            &path,
            Some(&app.server_key),
            Some(&json!({"title": "x"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    stale.problem(412, "precondition_failed");
    let cleared = app.patch(&path, json!({"summary": null, "custom_data": {"order": null}})).await;
    assert!(cleared.body["summary"].is_null());
    assert_eq!(cleared.body["custom_data"], json!({}));
    let unchanged = app.patch(&path, json!({"priority": "urgent"})).await;
    assert_eq!(unchanged.body["version"], 3, "a patch that changes nothing writes nothing");

    app.patch(&path, json!({"assignee_id": "mem_nobody"})).await.problem(422, "validation_failed");
    app.patch(&path, json!({"status": "snoozed"})).await.problem(422, "validation_failed");
    app.patch(&path, json!({"status": "archived"})).await.problem(422, "validation_failed");

    let events = app.get(&format!("{path}/events")).await;
    let updates: Vec<&Value> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "conversation.updated")
        .collect();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0]["data"]["changes"]["priority"], json!(["normal", "urgent"]));
    assert_eq!(updates[0]["data"]["conversation"]["version"], 2);
    assert_eq!(updates[0]["actor"]["type"], "api_key");
}

#[tokio::test]
async fn statuses_move_and_closed_is_final() {
    let app = TestApp::new().await;
    let conv = june(&app).await;
    let path = format!("/v1/conversations/{}", conv["id"].as_str().unwrap());
    let resolved = app.post(&format!("{path}/resolve"), json!({})).await;
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(resolved.body["resolved_at"], "2026-05-22T14:08:42.120Z");
    let pending = app.patch(&path, json!({"status": "pending"})).await;
    assert_eq!(pending.body["status"], "pending");
    assert!(pending.body["resolved_at"].is_null());
    let reopened = app.post(&format!("{path}/reopen"), json!({})).await;
    assert_eq!(reopened.body["status"], "open");
    let closed = app.post(&format!("{path}/close"), json!({})).await;
    assert_eq!(closed.body["status"], "closed");
    assert!(closed.body["closed_at"].is_string());
    app.post(&format!("{path}/reopen"), json!({})).await.problem(409, "conversation_closed");
    app.patch(&path, json!({"status": "open"})).await.problem(409, "conversation_closed");
    app.post(&format!("{path}/messages"), json!({"sender_type": "contact", "content": "hello?"}))
        .await
        .problem(409, "conversation_closed");
    let events = app
        .get(&format!(
            "/v1/events?conversation_id={}&type=conversation.status_changed",
            conv["id"].as_str().unwrap()
        ))
        .await;
    let changes: Vec<&Value> =
        events.body["data"].as_array().unwrap().iter().map(|e| &e["data"]["changes"]["status"]).collect();
    assert_eq!(
        changes,
        [
            &json!(["open", "resolved"]),
            &json!(["resolved", "pending"]),
            &json!(["pending", "open"]),
            &json!(["open", "closed"])
        ]
    );
}

#[tokio::test]
async fn snoozed_conversations_wake_up_at_their_time() {
    let app = TestApp::new().await;
    let conv = june(&app).await;
    let path = format!("/v1/conversations/{}", conv["id"].as_str().unwrap());
    let snoozed =
        app.patch(&path, json!({"status": "snoozed", "snoozed_until": "2026-05-22T15:00:00Z"})).await;
    assert_eq!(snoozed.status, StatusCode::OK, "{}", snoozed.body);
    assert_eq!(snoozed.body["snoozed_until"], "2026-05-22T15:00:00.000Z");
    assert_eq!(app.store.wake_snoozed(app.clock_now()).await.unwrap(), 0, "not yet");
    app.clock.advance_ms(60 * 60 * 1000);
    assert_eq!(app.store.wake_snoozed(app.clock_now()).await.unwrap(), 1);
    let woke = app.get(&path).await;
    assert_eq!(woke.body["status"], "open");
    assert!(woke.body["snoozed_until"].is_null());
    let events = app.get(&format!("{path}/events")).await;
    let last = events.body["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "conversation.status_changed");
    assert_eq!(last["actor"]["type"], "system");
}

#[tokio::test]
async fn removed_conversations_hide_until_restored() {
    let app = TestApp::new().await;
    let conv = june(&app).await;
    let id = conv["id"].as_str().unwrap();
    let removed = app.delete(&format!("/v1/conversations/{id}")).await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(removed.body["removed"], true);
    assert!(ids(&app.get("/v1/conversations").await.body).is_empty());
    assert_eq!(ids(&app.get("/v1/conversations?include_removed=true").await.body), [id]);
    assert_eq!(
        app.get(&format!("/v1/conversations/{id}")).await.status,
        StatusCode::OK,
        "still readable by id"
    );
    let restored = app.post(&format!("/v1/conversations/{id}/restore"), json!({})).await;
    assert_eq!(restored.body["removed"], false);
    assert_eq!(ids(&app.get("/v1/conversations").await.body), [id]);
    let kinds: Vec<String> = app.get(&format!("/v1/conversations/{id}/events")).await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["conversation.created", "conversation.removed", "conversation.restored"]);
}

#[tokio::test]
async fn another_workspace_gets_404_for_my_conversations() {
    let app = TestApp::new().await;
    let (_, other) = app.other_workspace().await;
    let conv = june(&app).await;
    let id = conv["id"].as_str().unwrap();
    let message = json!({"sender_type": "contact", "content": "hi"});
    for (method, path, body) in [
        (Method::GET, format!("/v1/conversations/{id}"), None),
        (Method::PATCH, format!("/v1/conversations/{id}"), Some(json!({"title": "x"}))),
        (Method::DELETE, format!("/v1/conversations/{id}"), None),
        (Method::POST, format!("/v1/conversations/{id}/resolve"), None),
        (Method::GET, format!("/v1/conversations/{id}/messages"), None),
        (Method::POST, format!("/v1/conversations/{id}/messages"), Some(message)),
        (Method::GET, format!("/v1/conversations/{id}/events"), None),
        (Method::GET, format!("/v1/conversations/{id}/transcript"), None),
    ] {
        app.send(method, &path, Some(&other), body.as_ref(), &[])
            .await
            .problem(404, "conversation_not_found");
    }
    let contact_of_mine = json!({"contact_id": conv["contact"]["id"]});
    let borrowed =
        app.send(Method::POST, "/v1/conversations", Some(&other), Some(&contact_of_mine), &[]).await;
    assert_eq!(borrowed.error_fields(), ["contact_id"]);
    let theirs = app.send(Method::GET, "/v1/events", Some(&other), None, &[]).await;
    assert!(!theirs.body.to_string().contains(id));
    assert_eq!(app.get(&format!("/v1/conversations/{id}")).await.body["version"], 1, "untouched");
}

#[tokio::test]
async fn erasing_a_contact_erases_their_conversations() {
    let app = TestApp::new().await;
    let conv = conversation(
        &app,
        json!({"contact": {"email": "june@example.com"}, "message": {"content": "secret order 4421"}}),
    )
    .await;
    let id = conv["id"].as_str().unwrap();
    let contact = conv["contact"]["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/contacts/{contact}")).await.status, StatusCode::NO_CONTENT);
    app.get(&format!("/v1/conversations/{id}")).await.problem(404, "conversation_not_found");
    let events = app.get("/v1/events").await;
    assert!(!events.body.to_string().contains("secret order 4421"), "no message text survives in the log");
}

#[tokio::test]
async fn a_contacts_conversations_can_be_erased_keeping_the_contact() {
    let app = TestApp::new().await;
    let first =
        conversation(&app, json!({"contact": {"email": "june@example.com"}, "message": {"content": "one"}}))
            .await;
    conversation(&app, json!({"contact": {"email": "june@example.com"}, "message": {"content": "two"}}))
        .await;
    let other = conversation(&app, json!({"contact": {"email": "max@example.com"}})).await;
    let contact = first["contact"]["id"].as_str().unwrap();
    let erased = app.delete(&format!("/v1/contacts/{contact}/conversations")).await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/v1/contacts/{contact}")).await.status, StatusCode::OK);
    assert_eq!(
        ids(&app.get("/v1/conversations?include_removed=true").await.body),
        [other["id"].as_str().unwrap()]
    );
    let erased_events =
        app.get(&format!("/v1/events?conversation_id={}", first["id"].as_str().unwrap())).await;
    assert_eq!(erased_events.body["data"], json!([]), "the conversations' events go with them");
    let kept = app.get("/v1/events?type=contact.created").await.body;
    assert_eq!(kept["data"].as_array().unwrap().len(), 2, "events about the contacts themselves stay");
    app.delete("/v1/contacts/ct_missing/conversations").await.problem(404, "contact_not_found");
}

#[tokio::test]
async fn full_text_search_covers_titles_contacts_and_messages() {
    let app = TestApp::new().await;
    let refund = conversation(
        &app,
        json!({"contact": {"email": "june@example.com", "name": "June Park", "phone": "+14155550100"},
               "title": "Refund request", "message": {"content": "The blender arrived broken"}}),
    )
    .await;
    let shipping = conversation(
        &app,
        json!({"contact": {"email": "max@acme.io", "name": "Max Moreau"}, "message": {"content": "Where is my parcel?"}}),
    )
    .await;
    let (refund, shipping) = (refund["id"].as_str().unwrap(), shipping["id"].as_str().unwrap());
    app.patch(&format!("/v1/conversations/{shipping}"), json!({"summary": "Courier lost the parcel"})).await;

    let search = |q: &str| {
        let (app, q) = (&app, q.to_owned());
        async move {
            let response = app.get(&format!("/v1/conversations?q={q}")).await;
            assert_eq!(response.status, StatusCode::OK, "{q}: {}", response.body);
            ids(&response.body)
        }
    };
    assert_eq!(search("refund").await, [refund], "title");
    assert_eq!(search("courier").await, [shipping], "summary");
    assert_eq!(search("moreau").await, [shipping], "contact name");
    assert_eq!(search("june%40example.com").await, [refund], "contact email");
    assert_eq!(search("%2B14155550100").await, [refund], "contact phone");
    assert_eq!(search("BLENDER").await, [refund], "message content, any case");
    assert_eq!(search("parcel").await, [shipping]);
    assert_eq!(search("blender%20broken").await, [refund], "every word must match");
    assert!(search("blender%20parcel").await.is_empty());
    assert!(search("nothing").await.is_empty());
    for syntax in ["%22", "NEAR(a", "*", "a%20OR%20b", "-x", "%27%3B%20DROP%20TABLE%20messages"] {
        assert!(search(syntax).await.is_empty(), "{syntax} is plain text, not query syntax");
    }
    app.get(&format!("/v1/conversations?q={}", "a".repeat(201))).await.problem(400, "invalid_parameter");

    // Deleted text is no longer found; new text is found at once.
    let message =
        app.get(&format!("/v1/conversations/{refund}/messages")).await.body["data"][0]["id"].clone();
    app.delete(&format!("/v1/conversations/{refund}/messages/{}", message.as_str().unwrap())).await;
    assert!(search("blender").await.is_empty());
    app.post(
        &format!("/v1/conversations/{refund}/messages"),
        json!({"sender_type": "contact", "content": "kettle too"}),
    )
    .await;
    assert_eq!(search("kettle").await, [refund]);
    assert_eq!(search("refund&status=resolved").await.len(), 0, "search combines with filters");
}

/// Erasing a contact takes their words out of the search index too, so nothing of theirs is
/// found again — also not through a conversation created after it (SQLite may reuse the key).
#[tokio::test]
async fn an_erased_contacts_messages_are_never_found_again() {
    let app = TestApp::new().await;
    let erased = conversation(
        &app,
        json!({"contact": {"email": "june@example.com"}, "message": {"content": "my zebrafish tank leaks"}}),
    )
    .await;
    assert_eq!(ids(&app.get("/v1/conversations?q=zebrafish").await.body), [erased["id"].as_str().unwrap()]);
    let contact = erased["contact"]["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/contacts/{contact}")).await.status, StatusCode::NO_CONTENT);
    assert!(ids(&app.get("/v1/conversations?q=zebrafish").await.body).is_empty());

    let next = conversation(
        &app,
        json!({"contact": {"email": "max@example.com"}, "message": {"content": "hello there"}}),
    )
    .await;
    assert!(ids(&app.get("/v1/conversations?q=zebrafish").await.body).is_empty());
    assert_eq!(ids(&app.get("/v1/conversations?q=hello").await.body), [next["id"].as_str().unwrap()]);
}

#[tokio::test]
async fn counts_by_status_and_mode_follow_the_filters() {
    let app = TestApp::new().await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(conversation(&app, json!({"contact": {"email": format!("c{i}@example.com")}, "priority": if i < 2 { "high" } else { "low" }})).await);
    }
    app.post(&format!("/v1/conversations/{}/resolve", made[0]["id"].as_str().unwrap()), json!({})).await;
    app.post(&format!("/v1/conversations/{}/close", made[1]["id"].as_str().unwrap()), json!({})).await;
    app.delete(&format!("/v1/conversations/{}", made[4]["id"].as_str().unwrap())).await;

    let counts = app.get("/v1/conversations/counts").await;
    assert_eq!(counts.status, StatusCode::OK, "{}", counts.body);
    assert_eq!(
        counts.body,
        json!({"object": "conversation_counts", "total": 4,
               "status": {"open": 2, "pending": 0, "snoozed": 0, "resolved": 1, "closed": 1},
               "mode": {"ai": 0, "handoff_requested": 4, "human": 0}})
    );
    let high = app.get("/v1/conversations/counts?priority=high").await;
    assert_eq!(high.body["total"], 2);
    assert_eq!(high.body["status"]["open"], 0);
    let with_removed = app.get("/v1/conversations/counts?include_removed=true").await;
    assert_eq!(with_removed.body["total"], 5);
    app.get("/v1/conversations/counts?status=nope").await.problem(400, "invalid_parameter");
}

#[tokio::test]
async fn a_conversation_cursor_stays_valid_while_conversations_arrive() {
    let app = TestApp::new().await;
    let mut original = Vec::new();
    for i in 0..7 {
        if i % 2 == 0 {
            app.clock.advance_ms(1);
        }
        original.push(
            conversation(&app, json!({"contact": {"email": format!("c{i}@example.com")}})).await["id"]
                .clone(),
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/conversations?limit=2&cursor={c}"),
            None => "/v1/conversations?limit=2".to_owned(),
        };
        let page = app.get(&path).await.body;
        seen.extend(page["data"].as_array().unwrap().iter().map(|c| c["id"].clone()));
        // Newer conversations sort before the cursor: they neither shift nor repeat the rest.
        app.clock.advance_ms(1);
        conversation(&app, json!({"contact": {"email": "newcomer@example.com"}})).await;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    original.reverse();
    assert_eq!(seen, original);
}

/// Every plan gives the same pages: the set of matches, the walk in list order that fills
/// its page within the window, and the walk that runs out of window and gives way.
#[tokio::test]
async fn search_pages_agree_whichever_plan_answers() {
    use baton::store::SearchPlans;
    let plans = [
        ("set, looked up", SearchPlans { common_matches: i64::MAX, few_matches: i64::MAX, window: 1_000 }),
        ("set, scanned", SearchPlans { common_matches: i64::MAX, few_matches: 0, window: 1_000 }),
        ("walk", SearchPlans { common_matches: 0, few_matches: 0, window: 1_000 }),
        ("short walk", SearchPlans { common_matches: 0, few_matches: 0, window: 3 }),
        ("counted", SearchPlans { common_matches: 5, few_matches: 2, window: 1_000 }),
    ];
    let mut answers = Vec::new();
    for (plan, plans) in plans {
        let app = TestApp::with_search_plans(plans).await;
        for i in 0..9 {
            app.clock.advance_ms(1);
            let content = if i % 3 == 0 { "nothing to see" } else { "my refund is late" };
            let priority = ["low", "normal", "high", "urgent"][i % 4];
            conversation(&app, json!({"contact": {"email": format!("c{i}@example.com")}, "priority": priority, "message": {"content": content}}))
                .await;
        }
        for sort in ["", "&sort=created_at&order=asc", "&sort=priority"] {
            for (q, matches) in [("refund", 6), ("late%20refund", 6), ("nothing", 3), ("zebra", 0)] {
                let numbers = |ids: Vec<String>| {
                    let app = &app;
                    async move {
                        let mut numbers = Vec::new();
                        for id in ids {
                            numbers.push(
                                app.get(&format!("/v1/conversations/{id}")).await.body["number"].clone(),
                            );
                        }
                        numbers
                    }
                };
                for limit in [2, 100] {
                    let path = format!("/v1/conversations?q={q}&limit={limit}{sort}");
                    let found = numbers(app.collect_ids(&path, &app.server_key).await).await;
                    assert_eq!(found.len(), matches, "{plan}: {path}");
                    answers.push(((sort, q, limit), plan, found));
                }
            }
        }
    }
    // The same conversations (by number: each plan ran on its own database) in the same order.
    for (query, plan, found) in &answers {
        let (_, first_plan, expected) = answers.iter().find(|(q, _, _)| q == query).unwrap();
        assert_eq!(found, expected, "{plan} vs {first_plan}: {query:?}");
    }
}

#[tokio::test]
async fn the_remaining_filters_and_sorts() {
    let app = TestApp::new().await;
    let a = conversation(&app, json!({"contact": {"email": "a@example.com"}})).await;
    app.clock.advance_ms(1000);
    let b = conversation(&app, json!({"contact": {"email": "b@example.com"}})).await;
    app.clock.advance_ms(1000);
    // Touch `a` last: it becomes the most recently updated and messaged.
    app.post(
        &format!("/v1/conversations/{}/messages", a["id"].as_str().unwrap()),
        json!({"sender_type": "contact", "content": "hi"}),
    )
    .await;
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let list = |query: String| {
        let app = &app;
        async move {
            let response = app.get(&format!("/v1/conversations?{query}")).await;
            assert_eq!(response.status, StatusCode::OK, "{query}: {}", response.body);
            ids(&response.body)
        }
    };
    assert_eq!(list(format!("contact_id={}", a["contact"]["id"].as_str().unwrap())).await, [a_id]);
    assert_eq!(
        list(format!(
            "contact_id={},{}",
            a["contact"]["id"].as_str().unwrap(),
            b["contact"]["id"].as_str().unwrap()
        ))
        .await,
        [a_id, b_id]
    );
    assert_eq!(list("sort=updated_at".into()).await, [a_id, b_id]);
    assert_eq!(list("sort=updated_at&order=asc".into()).await, [b_id, a_id]);
    assert_eq!(list("updated_after=2026-05-22T14:08:43.500Z".into()).await, [a_id]);
    assert_eq!(list("updated_before=2026-05-22T14:08:43.500Z".into()).await, [b_id]);
    assert_eq!(list("last_message_after=2026-05-22T14:08:43.500Z".into()).await, [a_id]);
    assert!(
        list("last_message_before=2026-05-22T14:08:43.500Z".into()).await.is_empty(),
        "`b` has no message, so no last message before anything"
    );
    // Members, teams and agents do not exist yet: filtering by one matches nothing.
    let missing = "01JX3Q8ZK4V1M2N3P4Q5R6S7T8";
    for param in
        ["agent_id=agent", "agent_version_id=agv", "team_id=team", "assignee_id=mem", "state_id=state"]
    {
        assert!(list(format!("{param}_{missing}")).await.is_empty(), "{param}");
    }
    // A malformed id is a mistake the caller should hear about, not an empty inbox.
    for (query, field) in [
        ("agent_id=agent_x", "agent_id"),
        ("contact_id=conv_01JX3Q8ZK4V1M2N3P4Q5R6S7T8", "contact_id"),
        ("channel_id=ch_1,nope", "channel_id"),
        ("assignee_id=ana", "assignee_id"),
        ("state_id=state_", "state_id"),
    ] {
        let response = app.get(&format!("/v1/conversations?{query}")).await;
        response.problem(422, "validation_failed");
        assert_eq!(response.error_fields(), [field], "{query}");
    }
    assert!(list("assignee_id=none".into()).await.len() == 2, "`none` still means unassigned");
}

/// Every field PATCH takes is stored: a fresh read (not the PATCH's own answer, built from
/// the row in memory) shows each, so a column left out of the store's writes fails here.
#[tokio::test]
async fn every_patchable_field_is_stored() {
    let app = TestApp::new().await;
    let id = june(&app).await["id"].as_str().unwrap().to_owned();
    let member =
        app.post("/v1/members", json!({"name": "Ana", "email": "ana@example.com", "role": "agent"})).await;
    let team = app.post("/v1/teams", json!({"name": "Billing"})).await;
    let state =
        app.post("/v1/conversation-states", json!({"name": "Waiting on parts", "color": "#f59e0b"})).await;
    let snoozed_until = "2026-06-01T09:00:00.000Z";
    let patch = json!({
        "title": "Blender arrived broken",
        "summary": "Wants a replacement",
        "context": "Order 4421",
        "status": "snoozed",
        "snoozed_until": snoozed_until,
        "priority": "urgent",
        "assignee_id": member.body["id"],
        "team_id": team.body["id"],
        "state_id": state.body["id"],
        "custom_data": {"order": "4421", "plan": "pro"},
    });
    let patched = app.patch(&format!("/v1/conversations/{id}"), patch.clone()).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let stored = app.get(&format!("/v1/conversations/{id}")).await.body;
    for (field, value) in patch.as_object().unwrap() {
        assert_eq!(&stored[field], value, "{field} was not stored: {stored}");
    }
    assert_eq!(stored["version"], patched.body["version"]);
}
