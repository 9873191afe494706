//! Knowledge articles and searching them.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn article(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v1/knowledge/articles", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

fn titles(found: &Value) -> Vec<String> {
    found["data"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn articles_are_searched_by_meaning_of_their_words_and_ranked_with_scores() {
    let app = TestApp::new().await;
    let returns = article(&app, json!({"title": "Returning an item", "url": "https://help.example.com/returns",
        "body": "You can return most items within 30 days of delivery.\n\nPrint the prepaid label and drop the parcel at a post office."})).await;
    assert_eq!(
        (returns["object"].as_str(), returns["version"].as_i64()),
        (Some("knowledge_article"), Some(1))
    );
    assert!(returns["id"].as_str().unwrap().starts_with("kb_"));
    article(&app, json!({"title": "Shipping times", "body": "Standard delivery takes 3 to 5 working days."}))
        .await;
    article(
        &app,
        json!({"title": "Refunds", "body": "We refund your card within 5 days of receiving the return."}),
    )
    .await;

    let found = app.get("/v1/knowledge/search?q=How%20do%20I%20send%20it%20back%3F").await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(titles(&found.body)[0], "Returning an item");
    let best = &found.body["data"][0];
    assert_eq!(
        (best["object"].as_str(), best["url"].as_str()),
        (Some("knowledge_passage"), Some("https://help.example.com/returns"))
    );
    assert_eq!(best["article_id"], returns["id"]);
    let scores: Vec<f64> =
        found.body["data"].as_array().unwrap().iter().map(|p| p["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]) && scores[0] <= 1.0, "{scores:?}");

    // Stemming: "refunded" finds "refund".
    assert_eq!(titles(&app.get("/v1/knowledge/search?q=refunded").await.body)[0], "Refunds");
    // Nothing shared, nothing found; a question of only filler words finds nothing either.
    assert_eq!(titles(&app.get("/v1/knowledge/search?q=parrots").await.body), Vec::<String>::new());
    assert_eq!(titles(&app.get("/v1/knowledge/search?q=how%20do%20I").await.body), Vec::<String>::new());
    // Customer text is never query syntax, on either database.
    for q in ["%22NEAR(refund", "refund%20OR%20*", "refund%20%26%20!%3A*%20%7C", "%27%3B%20DROP%20TABLE%20x"]
    {
        let response = app.get(&format!("/v1/knowledge/search?q={q}")).await;
        assert_eq!(response.status, StatusCode::OK, "{q}: {}", response.body);
    }
    app.get("/v1/knowledge/search").await.problem(400, "invalid_parameter");
    app.get("/v1/knowledge/search?q=refund&limit=0").await.problem(400, "invalid_parameter");
    let one = app.get("/v1/knowledge/search?q=delivery%20refund&limit=1").await;
    assert_eq!(titles(&one.body).len(), 1);
}

#[tokio::test]
async fn an_edited_article_is_searched_as_it_now_reads() {
    let app = TestApp::new().await;
    let created =
        article(&app, json!({"title": "Gift cards", "body": "Gift cards are valid for two years."})).await;
    let path = format!("/v1/knowledge/articles/{}", created["id"].as_str().unwrap());
    let edited = app
        .patch(&path, json!({"body": "Vouchers never expire.", "url": "https://help.example.com/v"}))
        .await;
    assert_eq!(
        (edited.body["version"].as_i64(), edited.body["title"].as_str()),
        (Some(2), Some("Gift cards"))
    );
    assert_eq!(edited.header("etag"), Some("\"2\""));
    assert_eq!(titles(&app.get("/v1/knowledge/search?q=expire").await.body), ["Gift cards"]);
    assert!(app.get("/v1/knowledge/search?q=years").await.body["data"].as_array().unwrap().is_empty());

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
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    app.get(&path).await.problem(404, "article_not_found");
    assert!(app.get("/v1/knowledge/search?q=expire").await.body["data"].as_array().unwrap().is_empty());
    app.delete(&path).await.problem(404, "article_not_found");
}

#[tokio::test]
async fn an_agent_searches_its_own_and_the_shared_articles_only() {
    let app = TestApp::new().await;
    let ava = app.post("/v1/agents", json!({"name": "Ava"})).await.body["id"].as_str().unwrap().to_owned();
    let bo = app.post("/v1/agents", json!({"name": "Bo"})).await.body["id"].as_str().unwrap().to_owned();
    article(&app, json!({"agent_id": ava, "title": "Ava's warranty", "body": "Warranty lasts five years."}))
        .await;
    article(&app, json!({"agent_id": bo, "title": "Bo's warranty", "body": "Warranty lasts two years."}))
        .await;
    article(&app, json!({"title": "Shared warranty", "body": "Warranty claims go to the maker."})).await;

    let for_ava = titles(&app.get(&format!("/v1/knowledge/search?q=warranty&agent_id={ava}")).await.body);
    assert_eq!(for_ava.len(), 2);
    assert!(
        for_ava.contains(&"Ava's warranty".to_owned()) && for_ava.contains(&"Shared warranty".to_owned())
    );
    assert_eq!(titles(&app.get("/v1/knowledge/search?q=warranty").await.body).len(), 3);
    let listed = app.get(&format!("/v1/knowledge/articles?agent_id={bo}")).await.body;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);

    let bad = app
        .post(
            "/v1/knowledge/articles",
            json!({"agent_id": "agent_nope", "title": " ", "body": "x", "url": "ftp:x"}),
        )
        .await;
    assert_eq!(bad.error_fields(), ["title", "url"]);
    let unknown = app
        .post("/v1/knowledge/articles", json!({"agent_id": "agent_nope", "title": "T", "body": "x"}))
        .await;
    assert_eq!(unknown.error_fields(), ["agent_id"]);

    // Deleting an agent leaves its articles to the whole workspace.
    assert_eq!(app.delete(&format!("/v1/agents/{bo}")).await.status, StatusCode::NO_CONTENT);
    let shared = app.get("/v1/knowledge/articles").await.body;
    assert!(shared["data"].as_array().unwrap().iter().all(|a| a["agent_id"] != json!(bo)));

    let (_, other_key) = app.other_workspace().await;
    let theirs = app.send(Method::GET, "/v1/knowledge/search?q=warranty", Some(&other_key), None, &[]).await;
    assert!(
        theirs.body["data"].as_array().unwrap().is_empty(),
        "another workspace's articles are not searched"
    );
}
