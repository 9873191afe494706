//! Seed 003, "agent conversations": a question answered synchronously and asynchronously
//! (its response fetched by the question's id), manual mode, a message to the user, the
//! page envelope, states, and a user's conversations erased.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn agent_that_knows_the_warranty(app: &TestApp) {
    let agent = app.post("/v1/agents", json!({"name": "Ava", "version": {"instructions": "Help."}})).await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let article = json!({"agent_id": agent.body["id"], "title": "Warranty",
        "body": "Every appliance comes with a two-year warranty.", "url": "https://help.example.com/warranty"});
    app.post("/v1/knowledge/articles", article).await;
}

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn questions_are_answered_then_a_human_writes_in_manual_mode() {
    let app = TestApp::new().await;
    agent_that_knows_the_warranty(&app).await;
    let user = app.post("/v1/contacts", json!({"email": "june@example.com", "name": "June"})).await.body;
    let created = app
        .post(
            "/agent/v1/conversations",
            json!({"userId": user["id"], "title": "New Conversation Title", "context": "New conversation context",
                   "customData": {"key1": "value1"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        keys(&created.body),
        [
            "aiCallId",
            "aiConversationId",
            "context",
            "createdAt",
            "id",
            "metadata",
            "mode",
            "score",
            "stateId",
            "status",
            "summary",
            "title",
            "updatedAt",
            "userId"
        ]
    );
    assert_eq!((&created.body["userId"], &created.body["mode"]), (&user["id"], &json!("ai")));
    assert_eq!(created.body["metadata"], json!({"customData": {"key1": "value1"}}));
    let id = created.body["id"].as_str().unwrap();
    let base = format!("/agent/v1/conversations/{id}");

    // Synchronously: the answer comes back with the request.
    let question = json!({"message": "What is the warranty?", "context": "User asks about a kettle."});
    let sync = format!("{base}/messages/sync");
    let (answered, _) = tokio::join!(app.post(&sync, question), async {
        while app.answer().await == 0 {
            tokio::task::yield_now().await;
        }
    });
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert_eq!(answered.body["status"], "completed");
    assert_eq!(answered.body["message"]["role"], "agent");
    assert!(answered.body["message"]["content"].as_str().unwrap().contains("two-year warranty"));
    assert_eq!(answered.body["message"]["questionMessageId"], answered.body["questionMessageId"]);

    // Asynchronously: the question's id fetches the response once it is done.
    let sent =
        app.post(&format!("{base}/messages/async"), json!({"message": "Is the warranty two years?"})).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.body);
    assert_eq!((&sent.body["role"], &sent.body["source"]), (&json!("conversation_user"), &json!("api")));
    let response_path = format!("{base}/messages/{}/response", sent.body["id"].as_str().unwrap());
    assert_eq!(app.get(&response_path).await.body["status"], "queued");
    app.answer().await;
    let response = app.get(&response_path).await;
    assert_eq!(response.body["status"], "completed", "{}", response.body);

    // A message to the user needs manual mode.
    let to_user = json!({"message": "Your appointment has been confirmed for tomorrow at 2pm."});
    app.post(&format!("{base}/user-messages"), to_user.clone())
        .await
        .problem(409, "conversation_not_in_manual_mode");
    let manual = app
        .send(
            Method::PATCH,
            &format!("{base}/mode"),
            Some(&app.server_key),
            Some(&json!({"mode": "manual"})),
            &[],
        )
        .await;
    assert_eq!((manual.status, &manual.body["mode"]), (StatusCode::OK, &json!("manual")), "{}", manual.body);
    assert_eq!(app.get(&format!("/v1/conversations/{id}")).await.body["mode"], "human");
    let silent = app.post(&format!("{base}/messages/sync"), json!({"message": "Hello?"})).await;
    assert_eq!(silent.body["status"], "skipped", "the AI does not answer in manual mode: {}", silent.body);
    let sent = app.post(&format!("{base}/user-messages"), to_user).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    assert_eq!(sent.body["role"], "platform_user");

    let thread = app.get(&format!("{base}/messages?orderDirection=DESC")).await.body;
    assert_eq!(thread[0]["content"], "Your appointment has been confirmed for tomorrow at 2pm.");
    let back = app
        .send(
            Method::PATCH,
            &format!("{base}/mode"),
            Some(&app.server_key),
            Some(&json!({"mode": "ai"})),
            &[],
        )
        .await;
    assert_eq!(back.body["mode"], "ai");
}

#[tokio::test]
async fn pages_states_updates_and_erasing_a_users_conversations() {
    let app = TestApp::new().await;
    let june = app.post("/v1/contacts", json!({"email": "june@example.com"})).await.body;
    let ada = app.post("/v1/contacts", json!({"email": "ada@example.com"})).await.body;
    for (i, user) in [&june, &june, &ada].iter().enumerate() {
        app.post("/agent/v1/conversations", json!({"userId": user["id"], "title": format!("Talk {i}")}))
            .await;
        app.clock.advance_ms(1000);
    }
    let page =
        app.get("/agent/v1/conversations?pageNumber=2&pageSize=2&orderBy=createdAt&orderDirection=ASC").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        (
            &page.body["currentPage"],
            &page.body["pageSize"],
            &page.body["totalItems"],
            &page.body["totalPages"]
        ),
        (&json!(2), &json!(2), &json!(3), &json!(2))
    );
    assert_eq!((&page.body["hasNextPage"], &page.body["hasPreviousPage"]), (&json!(false), &json!(true)));
    assert_eq!(page.body["data"][0]["title"], "Talk 2");
    let junes =
        app.get(&format!("/agent/v1/conversations?userId={}", june["id"].as_str().unwrap())).await.body;
    assert_eq!(junes["totalItems"], 2);
    assert_eq!(app.get("/agent/v1/conversations?search=talk").await.body["totalItems"], 3);
    app.get("/agent/v1/conversations?pageSize=0").await.problem(400, "invalid_parameter");
    app.get("/agent/v1/conversations?userId=june").await.problem(422, "validation_failed");
    let unknown =
        app.post("/agent/v1/conversations", json!({"userId": "ct_01JX3Q8ZK4V1M2N3P4Q5R6S7T8"})).await;
    assert_eq!(unknown.error_fields(), ["userId"], "errors use the document's names");

    let state = app
        .post("/v1/conversation-states", json!({"name": "Waiting on parts", "color": "#f59e0b"}))
        .await
        .body;
    let states = app.get("/agent/v1/conversation-states").await.body;
    assert_eq!(
        keys(&states[0]),
        ["color", "createdAt", "description", "id", "isPersistent", "name", "updatedAt"]
    );
    let id = junes["data"][0]["id"].as_str().unwrap();
    let patched = app
        .patch(
            &format!("/agent/v1/conversations/{id}"),
            json!({"title": "Updated", "status": "resolved", "stateId": state["id"]}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!((&patched.body["status"], &patched.body["stateId"]), (&json!("resolved"), &state["id"]));

    let erase = format!("/agent/v1/conversations?userId={}", june["id"].as_str().unwrap());
    let erased = app.send(Method::DELETE, &erase, Some(&app.server_key), None, &[]).await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT, "{}", erased.body);
    assert_eq!(app.get("/agent/v1/conversations").await.body["totalItems"], 1);
    assert_eq!(
        app.get(&format!("/v1/contacts/{}", june["id"].as_str().unwrap())).await.status,
        StatusCode::OK,
        "the user stays"
    );
}
