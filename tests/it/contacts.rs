use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn create(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v1/contacts", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

#[tokio::test]
async fn create_and_get_a_contact() {
    let app = TestApp::new().await;
    let body = json!({"name": "June Park", "email": "June@Example.com", "phone": "+1 415 555 0100",
        "external_id": "crm-42", "avatar_url": "https://example.com/june.png",
        "custom_attributes": {"plan": "pro", "seats": 5}});
    let created = app.post("/v1/contacts", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let contact = &created.body;
    assert_eq!(contact["object"], "contact");
    assert!(contact["id"].as_str().unwrap().starts_with("ct_"));
    assert_eq!(contact["email"], "june@example.com");
    assert_eq!(contact["blocked"], false);
    assert_eq!(contact["custom_attributes"], json!({"plan": "pro", "seats": 5}));
    assert_eq!(contact["created_at"], "2026-05-22T14:08:42.120Z");

    let fetched = app.get(&format!("/v1/contacts/{}", contact["id"].as_str().unwrap())).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(&fetched.body, contact);
    app.get("/v1/contacts/ct_01JX3Q8ZK4V1M2N3P4Q5R6S7T8").await.problem(404, "contact_not_found");
}

#[tokio::test]
async fn email_and_external_id_are_unique_per_workspace() {
    let app = TestApp::new().await;
    create(&app, json!({"email": "june@example.com", "external_id": "crm-1"})).await;
    app.post("/v1/contacts", json!({"email": "JUNE@example.com"})).await.problem(409, "contact_email_taken");
    app.post("/v1/contacts", json!({"external_id": "crm-1"})).await.problem(409, "contact_external_id_taken");
    // Anonymous contacts (no email, no external id) never clash.
    create(&app, json!({"name": "Visitor"})).await;
    create(&app, json!({"name": "Visitor"})).await;
    // Another workspace may have the same email.
    let (_, other) = app.other_workspace().await;
    let theirs = app
        .send(Method::POST, "/v1/contacts", Some(&other), Some(&json!({"email": "june@example.com"})), &[])
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED);
}

#[tokio::test]
async fn bad_contacts_are_refused_naming_every_field_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let bad = app
        .post(
            "/v1/contacts",
            json!({"name": "", "email": "nope", "phone": "call me", "avatar_url": "ftp://x"}),
        )
        .await;
    bad.problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), ["name", "email", "phone", "avatar_url"]);

    let unknown = app.post("/v1/contacts", json!({"name": "A", "nickname": "B"})).await;
    unknown.problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0], json!({"field": "nickname", "message": "is not a known field"}));

    let wrong_type = app.post("/v1/contacts", json!({"name": 5})).await;
    assert_eq!(wrong_type.error_fields(), ["name"]);
    let nested = app.post("/v1/contacts", json!({"custom_attributes": [1]})).await;
    assert_eq!(nested.error_fields(), ["custom_attributes"]);

    let too_many: serde_json::Map<String, Value> = (0..101).map(|i| (format!("k{i}"), json!(i))).collect();
    let big = app.post("/v1/contacts", json!({"custom_attributes": too_many})).await;
    assert_eq!(big.error_fields(), ["custom_attributes"]);

    let list = app.get("/v1/contacts?include_total=true").await;
    assert_eq!(list.body["total"], 0);
}

#[tokio::test]
async fn contacts_filter_by_email_external_id_and_text() {
    let app = TestApp::new().await;
    let june =
        create(&app, json!({"name": "June Park", "email": "june@example.com", "phone": "+14155550100"}))
            .await;
    let max =
        create(&app, json!({"name": "Max 100% Real", "email": "max@acme.io", "external_id": "crm-7"})).await;
    create(&app, json!({"name": "Ana", "email": "ana@example.org"})).await;

    let ids = |body: &Value| -> Vec<String> {
        body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    let by_email = app.get("/v1/contacts?email=JUNE%40example.com").await;
    assert_eq!(ids(&by_email.body), [june["id"].as_str().unwrap()]);
    let by_external = app.get("/v1/contacts?external_id=crm-7").await;
    assert_eq!(ids(&by_external.body), [max["id"].as_str().unwrap()]);
    let by_name = app.get("/v1/contacts?q=park").await;
    assert_eq!(ids(&by_name.body), [june["id"].as_str().unwrap()]);
    let by_phone = app.get("/v1/contacts?q=555").await;
    assert_eq!(ids(&by_phone.body), [june["id"].as_str().unwrap()]);
    let by_domain = app.get("/v1/contacts?q=example&include_total=true").await;
    assert_eq!(by_domain.body["total"], 2);
    // LIKE wildcards in the query are literal.
    let percent = app.get("/v1/contacts?q=100%25").await;
    assert_eq!(ids(&percent.body), [max["id"].as_str().unwrap()]);
    let underscore = app.get("/v1/contacts?q=_").await;
    assert!(ids(&underscore.body).is_empty());
}

#[tokio::test]
async fn contacts_page_by_cursor_and_offset_with_ties_broken_by_id() {
    let app = TestApp::new().await;
    let mut created = Vec::new();
    for i in 0..7 {
        // Pairs share a timestamp, so the id must break ties.
        if i % 2 == 0 {
            app.clock.advance_ms(1);
        }
        created.push(create(&app, json!({"name": format!("C{i}")})).await["id"].as_str().unwrap().to_owned());
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(app.collect_ids("/v1/contacts?limit=2", &app.server_key).await, newest_first);

    let page = app.get("/v1/contacts?limit=3&offset=3&include_total=true").await;
    assert_eq!(page.body["total"], 7);
    assert_eq!(page.body["has_more"], true);
    let ids: Vec<&str> =
        page.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, &newest_first[3..6]);
    let last = app.get("/v1/contacts?limit=3&offset=6").await;
    assert_eq!(last.body["has_more"], false);
    assert!(last.body["next_cursor"].is_null());
}

#[tokio::test]
async fn a_cursor_stays_valid_while_rows_are_inserted() {
    let app = TestApp::new().await;
    let mut original = Vec::new();
    for i in 0..6 {
        app.clock.advance_ms(1);
        original
            .push(create(&app, json!({"name": format!("C{i}")})).await["id"].as_str().unwrap().to_owned());
    }
    let first = app.get("/v1/contacts?limit=2").await;
    let mut seen: Vec<String> =
        first.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    let mut cursor = first.body["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        // New contacts arrive between pages; they sort before the cursor and must not
        // shift or repeat what the reader has not seen yet.
        app.clock.advance_ms(1);
        create(&app, json!({"name": "newcomer"})).await;
        let page = app.get(&format!("/v1/contacts?limit=2&cursor={c}")).await;
        seen.extend(
            page.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
    }
    original.reverse();
    assert_eq!(seen, original);
}

#[tokio::test]
async fn patch_sets_clears_and_merges() {
    let app = TestApp::new().await;
    let contact = create(
        &app,
        json!({"name": "June", "phone": "+14155550100", "custom_attributes": {"plan": "pro", "seats": 5}}),
    )
    .await;
    let path = format!("/v1/contacts/{}", contact["id"].as_str().unwrap());
    app.clock.advance_ms(1000);
    let patched = app
        .patch(
            &path,
            json!({"name": "June Park", "phone": null, "email": "june@example.com",
            "custom_attributes": {"seats": null, "region": "eu"}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let body = &patched.body;
    assert_eq!(body["name"], "June Park");
    assert!(body["phone"].is_null());
    assert_eq!(body["email"], "june@example.com");
    assert_eq!(body["custom_attributes"], json!({"plan": "pro", "region": "eu"}));
    assert_eq!(body["version"], 2);
    assert_eq!(body["updated_at"], "2026-05-22T14:08:43.120Z");
    assert_eq!(body["created_at"], contact["created_at"]);
    assert_eq!(patched.header("etag"), Some("\"2\""));

    let bad = app.patch(&path, json!({"email": "broken", "blocked": true})).await;
    bad.problem(422, "validation_failed");
    assert_eq!(app.get(&path).await.body["version"], 2, "a refused patch changes nothing");
}

#[tokio::test]
async fn patch_honours_if_match() {
    let app = TestApp::new().await;
    let contact = create(&app, json!({"name": "June"})).await;
    let path = format!("/v1/contacts/{}", contact["id"].as_str().unwrap());
    let key = app.server_key.clone();
    let send = |etag: &'static str| {
        let (app, path, key) = (&app, path.clone(), key.clone());
        async move {
            app.send(Method::PATCH, &path, Some(&key), Some(&json!({"name": "X"})), &[("if-match", etag)])
                .await
        }
    };
    assert_eq!(send("\"1\"").await.status, StatusCode::OK);
    send("\"1\"").await.problem(412, "precondition_failed");
    assert_eq!(send("W/\"2\"").await.status, StatusCode::OK);
    assert_eq!(send("*").await.status, StatusCode::OK);
    send("version-three").await.problem(400, "invalid_header");
    assert_eq!(app.get(&path).await.body["version"], 4);
}

#[tokio::test]
async fn concurrent_patches_without_if_match_all_apply() {
    let app = TestApp::new().await;
    let contact = create(&app, json!({"name": "June"})).await;
    let path = format!("/v1/contacts/{}", contact["id"].as_str().unwrap());
    let patches = (0..8).map(|i| app.patch(&path, json!({"custom_attributes": {format!("k{i}"): i}})));
    for response in futures_util::future::join_all(patches).await {
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    }
    let merged = app.get(&path).await;
    assert_eq!(merged.body["custom_attributes"].as_object().unwrap().len(), 8, "no update was lost");
    assert_eq!(merged.body["version"], 9);
}

#[tokio::test]
async fn block_and_unblock() {
    let app = TestApp::new().await;
    let contact = create(&app, json!({"name": "June"})).await;
    let id = contact["id"].as_str().unwrap();
    let blocked = app.post(&format!("/v1/contacts/{id}/block"), json!({})).await;
    assert_eq!(blocked.status, StatusCode::OK);
    assert_eq!(blocked.body["blocked"], true);
    assert_eq!(blocked.body["version"], 2);
    let again =
        app.send(Method::POST, &format!("/v1/contacts/{id}/block"), Some(&app.server_key), None, &[]).await;
    assert_eq!(again.body["version"], 2, "blocking twice changes nothing");
    let unblocked =
        app.send(Method::POST, &format!("/v1/contacts/{id}/unblock"), Some(&app.server_key), None, &[]).await;
    assert_eq!(unblocked.body["blocked"], false);
    assert_eq!(unblocked.body["version"], 3);
    app.send(Method::POST, "/v1/contacts/ct_missing/block", Some(&app.server_key), None, &[])
        .await
        .problem(404, "contact_not_found");
}

#[tokio::test]
async fn delete_erases_the_contact() {
    let app = TestApp::new().await;
    let contact = create(&app, json!({"email": "june@example.com"})).await;
    let path = format!("/v1/contacts/{}", contact["id"].as_str().unwrap());
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    app.get(&path).await.problem(404, "contact_not_found");
    app.delete(&path).await.problem(404, "contact_not_found");
    // The email is free again.
    create(&app, json!({"email": "june@example.com"})).await;
}

#[tokio::test]
async fn another_workspace_gets_404_for_my_contacts() {
    let app = TestApp::new().await;
    let (_, other) = app.other_workspace().await;
    let contact = create(&app, json!({"name": "June", "email": "june@example.com"})).await;
    let id = contact["id"].as_str().unwrap();
    let path = format!("/v1/contacts/{id}");
    let send = |method: Method, path: String, body: Option<Value>| {
        let other = other.clone();
        let app = &app;
        async move { app.send(method, &path, Some(&other), body.as_ref(), &[]).await }
    };
    send(Method::GET, path.clone(), None).await.problem(404, "contact_not_found");
    send(Method::PATCH, path.clone(), Some(json!({"name": "Stolen"})))
        .await
        .problem(404, "contact_not_found");
    send(Method::POST, format!("{path}/block"), None).await.problem(404, "contact_not_found");
    send(Method::DELETE, path.clone(), None).await.problem(404, "contact_not_found");
    let list = send(Method::GET, "/v1/contacts?email=june%40example.com".into(), None).await;
    assert_eq!(list.body["data"], json!([]));
    assert_eq!(app.get(&path).await.body, contact, "untouched");
}

#[tokio::test]
async fn contact_changes_are_logged_and_erasure_leaves_no_personal_data() {
    let app = TestApp::new().await;
    let contact = create(&app, json!({"name": "June Park", "email": "june@example.com"})).await;
    let id = contact["id"].as_str().unwrap();
    app.patch(&format!("/v1/contacts/{id}"), json!({"phone": "+14155550100"})).await;
    app.post(&format!("/v1/contacts/{id}/block"), json!({})).await;
    let log = app.get("/v1/events?type=contact.created,contact.updated,contact.deleted").await;
    let kinds: Vec<&str> =
        log.body["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["contact.created", "contact.updated", "contact.updated"]);
    assert_eq!(log.body["data"][2]["data"]["contact"]["blocked"], true);
    assert_eq!(log.body["data"][0]["actor"]["type"], "api_key");

    app.delete(&format!("/v1/contacts/{id}")).await;
    let after = app.get("/v1/events").await;
    let kinds: Vec<&str> =
        after.body["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["contact.deleted"]);
    assert_eq!(after.body["data"][0]["data"], json!({"contact": {"object": "contact", "id": id}}));
    assert!(!after.body.to_string().contains("june"), "no personal data survives erasure");
}
