//! Browser sessions: the inbox's sign-in puts the member token in an `HttpOnly`,
//! `SameSite=Strict` cookie, and changes made with it must come from the server's own pages.

use axum::http::{Method, StatusCode};
use baton::http::Settings;
use serde_json::{Value, json};

use crate::fixtures::signed_in;
use crate::helpers::{TestApp, TestResponse};

const HOST: (&str, &str) = ("host", "inbox.test:8080");
const OWN_ORIGIN: (&str, &str) = ("origin", "http://inbox.test:8080");

/// Signs Ana in through the browser sign-in; the `Set-Cookie` header and the body.
async fn browser_sign_in(app: &TestApp, headers: &[(&str, &str)]) -> TestResponse {
    let body = json!({"email": "ana@example.com", "password": "correct horse"});
    app.send(Method::POST, "/v1/auth/session", None, Some(&body), headers).await
}

/// The `name=value` part of a `Set-Cookie` header.
fn cookie_of(response: &TestResponse) -> String {
    let set = response.header("set-cookie").expect("a Set-Cookie header");
    set.split(';').next().unwrap().to_owned()
}

async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut all = vec![("cookie", cookie)];
    all.extend_from_slice(headers);
    app.send(method, path, None, body, &all).await
}

#[tokio::test]
async fn a_browser_signs_in_with_a_cookie_scripts_cannot_read() {
    let app = TestApp::new().await;
    signed_in(&app, "Ana", "agent").await;
    let session = browser_sign_in(&app, &[HOST, OWN_ORIGIN]).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    assert_eq!(session.body["object"], "session");
    assert_eq!(session.body["member"]["email"], "ana@example.com");
    assert!(session.body.get("token").is_none(), "the token never reaches page scripts");
    let set = session.header("set-cookie").unwrap();
    for part in ["baton_session=bt_mt_", "Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=2592000"] {
        assert!(set.contains(part), "{set} lacks {part}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: a Secure cookie would be dropped");

    let cookie = cookie_of(&session);
    let me = with_cookie(&app, Method::GET, "/v1/me", &cookie, None, &[]).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!((me.body["kind"].as_str(), me.body["member"]["name"].as_str()), (Some("member"), Some("Ana")));

    let wrong = json!({"email": "ana@example.com", "password": "wrong horse"});
    let refused = app.send(Method::POST, "/v1/auth/session", None, Some(&wrong), &[HOST, OWN_ORIGIN]).await;
    refused.problem(401, "invalid_credentials");
    assert!(refused.header("set-cookie").is_none());

    let behind_tls = browser_sign_in(&app, &[HOST, OWN_ORIGIN, ("x-forwarded-proto", "https")]).await;
    assert!(behind_tls.header("set-cookie").unwrap().ends_with("; Secure"));
}

#[tokio::test]
async fn changes_with_the_cookie_must_come_from_the_servers_own_pages() {
    let app = TestApp::new().await;
    signed_in(&app, "Ana", "agent").await;
    let cookie = cookie_of(&browser_sign_in(&app, &[HOST, OWN_ORIGIN]).await);
    let conversation = json!({"contact": {"email": "june@example.com"}});
    let total = || async { app.get("/v1/conversations?include_total=true").await.body["total"].clone() };

    for headers in [
        vec![HOST],
        vec![HOST, ("origin", "https://evil.example")],
        vec![HOST, ("origin", "http://inbox.test:9999")],
        vec![HOST, ("referer", "https://evil.example/inbox.test:8080")],
        vec![HOST, ("origin", "null")],
    ] {
        let sent =
            with_cookie(&app, Method::POST, "/v1/conversations", &cookie, Some(&conversation), &headers)
                .await;
        sent.problem(403, "cross_site_request");
    }
    assert_eq!(total().await, 0, "nothing refused was stored");

    let own = with_cookie(
        &app,
        Method::POST,
        "/v1/conversations",
        &cookie,
        Some(&conversation),
        &[HOST, OWN_ORIGIN],
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    let by_referer = [HOST, ("referer", "http://inbox.test:8080/conversations/1")];
    let own =
        with_cookie(&app, Method::POST, "/v1/conversations", &cookie, Some(&conversation), &by_referer).await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    // Reading needs no origin: the browser only sends a SameSite=Strict cookie to this site.
    let read = with_cookie(&app, Method::GET, "/v1/conversations", &cookie, None, &[HOST]).await;
    assert_eq!(read.status, StatusCode::OK);

    // A bearer key wins over the cookie, and is not bound to an origin.
    let both = [("cookie", cookie.as_str()), ("origin", "https://evil.example")];
    let keyed =
        app.send(Method::POST, "/v1/conversations", Some(&app.server_key), Some(&conversation), &both).await;
    assert_eq!(keyed.status, StatusCode::CREATED, "{}", keyed.body);
    assert_eq!(keyed.body["contact"]["email"], "june@example.com");
}

#[tokio::test]
async fn behind_a_proxy_the_public_url_is_the_only_own_origin() {
    let settings = Settings { public_url: Some("https://support.example.com".into()), ..Default::default() };
    let app = TestApp::with_settings(settings).await;
    signed_in(&app, "Ana", "agent").await;
    let internal = [("host", "10.0.0.5:8080"), ("origin", "http://10.0.0.5:8080")];
    browser_sign_in(&app, &internal).await.problem(403, "cross_site_request");
    let public = [("host", "10.0.0.5:8080"), ("origin", "https://support.example.com")];
    let session = browser_sign_in(&app, &public).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    assert!(session.header("set-cookie").unwrap().ends_with("; Secure"), "the public URL is https");
    let cookie = cookie_of(&session);
    let body = json!({"contact": {"email": "june@example.com"}});
    with_cookie(&app, Method::POST, "/v1/conversations", &cookie, Some(&body), &internal)
        .await
        .problem(403, "cross_site_request");
    let made = with_cookie(&app, Method::POST, "/v1/conversations", &cookie, Some(&body), &public).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let app = TestApp::new().await;
    signed_in(&app, "Ana", "agent").await;
    let cookie = cookie_of(&browser_sign_in(&app, &[HOST, OWN_ORIGIN]).await);
    with_cookie(&app, Method::POST, "/v1/auth/logout", &cookie, None, &[HOST])
        .await
        .problem(403, "cross_site_request");
    let out = with_cookie(&app, Method::POST, "/v1/auth/logout", &cookie, None, &[HOST, OWN_ORIGIN]).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.body);
    let cleared = out.header("set-cookie").unwrap();
    assert!(cleared.starts_with("baton_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    // The signed-out cookie counts for nothing (and the browser is told to drop it).
    with_cookie(&app, Method::GET, "/v1/me", &cookie, None, &[]).await.problem(401, "missing_api_key");
    // Signing in from another site's page is refused before the password is checked.
    browser_sign_in(&app, &[HOST, ("origin", "https://evil.example")])
        .await
        .problem(403, "cross_site_request");
}

/// A setup link for the test workspace, as the first start prints one: its token.
async fn setup_link(app: &TestApp) -> String {
    let (secret, hash) = baton::auth::generate_setup_secret();
    let ws = baton::store::WorkspaceId::trusted(&app.workspace_id);
    let now = app.clock_now();
    app.store
        .create_setup_link(&ws, "setup_test", &hash, now, now + baton::auth::SETUP_LINK_TTL_MS)
        .await
        .unwrap();
    secret
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once_and_signs_them_in() {
    let app = TestApp::new().await;
    let token = setup_link(&app).await;
    let admin = |password: &str| json!({"token": token, "name": "Ada Admin", "email": "Ada@Example.com", "password": password});
    let short =
        app.send(Method::POST, "/v1/auth/setup", None, Some(&admin("short")), &[HOST, OWN_ORIGIN]).await;
    short.problem(422, "validation_failed");
    assert_eq!(short.error_fields(), ["password"]);
    app.send(
        Method::POST,
        "/v1/auth/setup",
        None,
        Some(&admin("correct horse")),
        &[HOST, ("origin", "https://evil.example")],
    )
    .await
    .problem(403, "cross_site_request");

    let created = app
        .send(Method::POST, "/v1/auth/setup", None, Some(&admin("correct horse")), &[HOST, OWN_ORIGIN])
        .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "a refused attempt leaves the link usable: {}",
        created.body
    );
    assert_eq!(created.body["member"]["role"], "admin");
    assert_eq!(created.body["member"]["email"], "ada@example.com");
    assert_eq!(created.body["workspace_id"], app.workspace_id.as_str());
    let me = with_cookie(&app, Method::GET, "/v1/me", &cookie_of(&created), None, &[]).await;
    assert_eq!(me.body["member"]["name"], "Ada Admin");

    let again =
        json!({"token": token, "name": "Eve", "email": "eve@example.com", "password": "correct horse"});
    app.send(Method::POST, "/v1/auth/setup", None, Some(&again), &[])
        .await
        .problem(401, "invalid_setup_link");
    let members = app.get("/v1/members?include_total=true").await;
    assert_eq!(members.body["total"], 1, "the link worked once");
}

#[tokio::test]
async fn a_setup_link_expires_after_a_day() {
    let app = TestApp::new().await;
    let token = setup_link(&app).await;
    app.clock.advance_ms(baton::auth::SETUP_LINK_TTL_MS);
    let body =
        json!({"token": token, "name": "Ada", "email": "ada@example.com", "password": "correct horse"});
    app.send(Method::POST, "/v1/auth/setup", None, Some(&body), &[]).await.problem(401, "invalid_setup_link");
    let unknown = json!({"token": "setup_nothing", "name": "Ada", "email": "ada@example.com", "password": "correct horse"});
    app.send(Method::POST, "/v1/auth/setup", None, Some(&unknown), &[])
        .await
        .problem(401, "invalid_setup_link");
}

#[tokio::test]
async fn the_session_cookie_carries_member_tokens_only() {
    let app = TestApp::new().await;
    let cookie = format!("baton_session={}", app.server_key);
    let refused = with_cookie(&app, Method::GET, "/v1/me", &cookie, None, &[]).await;
    refused.problem(401, "missing_api_key");
    assert!(refused.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")), "the cookie is cleared");
}
