//! Signing in when someone else is trying too: throttles counted before the password check,
//! per account and address; stale cookies; sessions a member can see and end; the audit log.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::signed_in;
use crate::helpers::{TestApp, TestResponse};

const HOST: (&str, &str) = ("host", "inbox.test:8080");
const OWN_ORIGIN: (&str, &str) = ("origin", "http://inbox.test:8080");

async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> TestResponse {
    let body = json!({"email": email, "password": password});
    app.send_from(address, Method::POST, "/v1/auth/login", None, Some(&body)).await
}

async fn audit(app: &TestApp, action: &str) -> Vec<Value> {
    let page = app.get(&format!("/v1/audit-log?action={action}&limit=100")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn fifty_guesses_at_once_are_counted_before_checking_and_lock_out_only_the_guesser() {
    let app = TestApp::new().await;
    signed_in(&app, "Ana", "admin").await;
    let guesses: Vec<String> = (0..50).map(|n| format!("guess {n}")).collect();
    let answers = futures_util::future::join_all(
        guesses.iter().map(|guess| login_from(&app, "203.0.113.7", "ana@example.com", guess)),
    )
    .await;
    let status = |code: u16| answers.iter().filter(|a| a.status.as_u16() == code).count();
    assert_eq!((status(401), status(429)), (10, 40), "ten checked, the rest refused unchecked");
    assert!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
            .all(|a| a.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() <= 900))
    );

    // The member, from their own address, is not locked out; the guesser still is, even with
    // the right password.
    assert_eq!(
        login_from(&app, "198.51.100.4", "ana@example.com", "correct horse").await.status,
        StatusCode::OK
    );
    login_from(&app, "203.0.113.7", "ana@example.com", "correct horse").await.problem(429, "rate_limited");

    let failed = audit(&app, "auth.sign_in_failed").await;
    assert_eq!(failed.len(), 10);
    assert_eq!(
        (failed[0]["client_ip"].as_str(), failed[0]["target"]["type"].as_str()),
        (Some("203.0.113.7"), Some("member"))
    );
    assert_eq!(audit(&app, "auth.locked_out").await.len(), 1, "recorded once, when it began");
    let signed = audit(&app, "auth.signed_in").await;
    assert_eq!(signed[0]["client_ip"], "198.51.100.4");
    let metrics = app.send(Method::GET, "/metrics", None, None, &[]).await.body;
    let metrics = metrics.as_str().unwrap();
    for line in
        ["baton_sign_ins_total{outcome=\"failed\"} 10", "baton_sign_ins_total{outcome=\"throttled\"} 41"]
    {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

#[tokio::test]
async fn guessing_setup_links_is_counted_per_address() {
    let app = TestApp::new().await;
    let guess = |n: usize| {
        let body = json!({"token": format!("setup_guess{n}"), "name": "Eve", "email": "eve@example.com", "password": "password1"});
        let app = &app;
        async move { app.send_from("203.0.113.30", Method::POST, "/v1/auth/setup", None, Some(&body)).await }
    };
    for n in 0..60 {
        guess(n).await.problem(401, "invalid_setup_link");
    }
    guess(60).await.problem(429, "rate_limited");
    let elsewhere =
        json!({"token": "setup_guess", "name": "Ada", "email": "ada@example.com", "password": "password1"});
    let other = app.send_from("198.51.100.31", Method::POST, "/v1/auth/setup", None, Some(&elsewhere)).await;
    other.problem(401, "invalid_setup_link");
}

#[tokio::test]
async fn one_address_trying_many_emails_is_paused() {
    let app = TestApp::new().await;
    for n in 0..60 {
        login_from(&app, "203.0.113.8", &format!("user{n}@example.com"), "password1")
            .await
            .problem(401, "invalid_credentials");
    }
    login_from(&app, "203.0.113.8", "user60@example.com", "password1").await.problem(429, "rate_limited");
    login_from(&app, "198.51.100.9", "user60@example.com", "password1")
        .await
        .problem(401, "invalid_credentials");
}

#[tokio::test]
async fn a_stale_or_forged_cookie_never_blocks_signing_in_and_is_cleared() {
    let app = TestApp::new().await;
    let (_, token) = signed_in(&app, "Ana", "agent").await;
    app.send(Method::POST, "/v1/auth/logout", Some(&token), None, &[]).await;
    let body = json!({"email": "ana@example.com", "password": "correct horse"});
    let stale = format!("baton_session={token}");
    for cookie in [stale.as_str(), "baton_session=forged-by-a-sibling-subdomain"] {
        let signed = app
            .send(
                Method::POST,
                "/v1/auth/session",
                None,
                Some(&body),
                &[HOST, OWN_ORIGIN, ("cookie", cookie)],
            )
            .await;
        assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
        let set = signed.header("set-cookie").unwrap();
        assert!(
            set.starts_with("baton_session=bt_mt_") && !set.contains("Max-Age=0"),
            "a new session: {set}"
        );
        let me = app.send(Method::GET, "/v1/me", None, None, &[HOST, ("cookie", cookie)]).await;
        me.problem(401, "missing_api_key");
        assert!(
            me.header("set-cookie")
                .is_some_and(|s| s.starts_with("baton_session=;") && s.contains("Max-Age=0"))
        );
        // An API client sends no Origin: a stale cookie still does not stand in its way.
        let bare =
            app.send(Method::POST, "/v1/auth/session", None, Some(&body), &[HOST, ("cookie", cookie)]).await;
        assert_eq!(bare.status, StatusCode::OK, "{}", bare.body);
    }
}

#[tokio::test]
async fn a_new_password_or_removal_ends_the_members_other_sessions() {
    let app = TestApp::new().await;
    let (ana, first) = signed_in(&app, "Ana", "admin").await;
    let second = login_from(&app, "198.51.100.4", "ana@example.com", "correct horse").await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let app = &app;
    let me = |token: String| async move { app.send(Method::GET, "/v1/me", Some(&token), None, &[]).await };
    // Ana changes her own password with her first session: it stays, the other ends.
    let changed = app
        .send(
            Method::PATCH,
            &format!("/v1/members/{ana}"),
            Some(&first),
            Some(&json!({"password": "a new horse"})),
            &[],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(me(first.clone()).await.status, StatusCode::OK);
    me(second.clone()).await.problem(401, "invalid_api_key");
    // An admin's (here: the server key's) change ends them all.
    app.patch(&format!("/v1/members/{ana}"), json!({"password": "another horse"})).await;
    me(first.clone()).await.problem(401, "invalid_api_key");
    let entries = audit(app, "member.password_changed").await;
    assert_eq!((entries.len(), entries[0]["details"]["sessions_ended"].as_i64()), (2, Some(1)));

    let (bo, token) = signed_in(app, "Bo", "agent").await;
    app.delete(&format!("/v1/members/{bo}")).await;
    me(token.clone()).await.problem(401, "invalid_api_key");
}

#[tokio::test]
async fn a_member_lists_and_ends_their_own_sessions() {
    let app = TestApp::new().await;
    let (_, laptop) = signed_in(&app, "Ana", "agent").await;
    let phone = login_from(&app, "198.51.100.4", "ana@example.com", "correct horse").await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, other_member) = signed_in(&app, "Bo", "agent").await;
    let list = app.send(Method::GET, "/v1/auth/sessions", Some(&laptop), None, &[]).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let sessions = list.body["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "only Ana's: {}", list.body);
    assert_eq!(
        (sessions[0]["client_ip"].as_str(), sessions[0]["current"].as_bool()),
        (Some("198.51.100.4"), Some(false))
    );
    assert_eq!(sessions[1]["current"], true);
    let phone_session = sessions[0]["id"].as_str().unwrap().to_owned();
    // Bo cannot end Ana's session.
    let theirs = app
        .send(Method::DELETE, &format!("/v1/auth/sessions/{phone_session}"), Some(&other_member), None, &[])
        .await;
    theirs.problem(404, "session_not_found");
    let ended = app
        .send(Method::DELETE, &format!("/v1/auth/sessions/{phone_session}"), Some(&laptop), None, &[])
        .await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    app.send(Method::GET, "/v1/me", Some(&phone), None, &[]).await.problem(401, "invalid_api_key");

    assert_eq!(
        login_from(&app, "198.51.100.5", "ana@example.com", "correct horse").await.status,
        StatusCode::OK
    );
    let everywhere = app.send(Method::DELETE, "/v1/auth/sessions", Some(&laptop), None, &[]).await;
    assert_eq!(everywhere.status, StatusCode::NO_CONTENT);
    let left = app.send(Method::GET, "/v1/auth/sessions", Some(&laptop), None, &[]).await.body;
    assert_eq!(left["data"].as_array().unwrap().len(), 1, "only the one that asked: {left}");
    assert_eq!(app.send(Method::GET, "/v1/me", Some(&other_member), None, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_audit_log_records_security_changes_for_admins_only() {
    let app = TestApp::new().await;
    let (_, admin) = signed_in(&app, "Ana", "admin").await;
    let (bo, agent) = signed_in(&app, "Bo", "agent").await;
    let as_admin = |method: Method, path: &str, body: Option<Value>| {
        let (path, admin) = (path.to_owned(), admin.clone());
        let app = &app;
        async move { app.send_from("198.51.100.4", method, &path, Some(&admin), body.as_ref()).await }
    };
    let key = as_admin(Method::POST, "/v1/api-keys", Some(json!({"name": "CRM", "kind": "server"}))).await;
    as_admin(Method::PATCH, &format!("/v1/members/{bo}"), Some(json!({"role": "admin"}))).await;
    as_admin(Method::POST, "/v1/widget/identity-secret", None).await;
    as_admin(Method::DELETE, &format!("/v1/api-keys/{}", key.body["id"].as_str().unwrap()), None).await;

    let log = app.send(Method::GET, "/v1/audit-log?limit=100", Some(&admin), None, &[]).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let actions: Vec<&str> =
        log.body["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        &actions[..4],
        ["api_key.revoked", "identity_secret.set", "member.role_changed", "api_key.created"]
    );
    let role = &log.body["data"][2];
    assert_eq!(role["details"]["role"], json!(["agent", "admin"]));
    assert_eq!(
        (role["actor"]["type"].as_str(), role["client_ip"].as_str()),
        (Some("member"), Some("198.51.100.4"))
    );
    assert!(!log.body.to_string().contains("bt_sk_"), "no secrets in the log");
    // Bo was an agent when he signed in, but roles are read on every request.
    let demoted = app.patch(&format!("/v1/members/{bo}"), json!({"role": "agent"})).await;
    assert_eq!(demoted.status, StatusCode::OK);
    app.send(Method::GET, "/v1/audit-log", Some(&agent), None, &[]).await.problem(403, "forbidden_for_role");
    let events = app.get("/v1/events?limit=100").await.body.to_string();
    assert!(
        !events.contains("api_key.created") && !events.contains("role_changed"),
        "kept apart from the event log"
    );
}

#[tokio::test]
async fn sessions_and_the_audit_log_refuse_keys_visitors_and_agents() {
    let app = TestApp::new().await;
    let client = app.post("/v1/api-keys", json!({"name": "Website", "kind": "client"})).await.body;
    let client = client["secret"].as_str().unwrap().to_owned();
    let session = app.send(Method::POST, "/v1/widget/sessions", Some(&client), Some(&json!({})), &[]).await;
    let visitor = session.body["contact_token"].as_str().unwrap().to_owned();
    let (_, agent) = signed_in(&app, "Bo", "agent").await;
    let (_, admin) = signed_in(&app, "Ana", "admin").await;
    let admins_session =
        app.send(Method::GET, "/v1/auth/sessions", Some(&admin), None, &[]).await.body["data"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let end_admins = format!("/v1/auth/sessions/{admins_session}");
    for key in [client.as_str(), visitor.as_str()] {
        for (method, path) in [
            (Method::GET, "/v1/audit-log"),
            (Method::GET, "/v1/auth/sessions"),
            (Method::DELETE, "/v1/auth/sessions"),
            (Method::DELETE, end_admins.as_str()),
        ] {
            app.send(method, path, Some(key), None, &[]).await.problem(403, "forbidden_for_key");
        }
    }
    // A server key is no member: it has no sessions of its own to list or end.
    app.send(Method::GET, "/v1/auth/sessions", Some(&app.server_key), None, &[])
        .await
        .problem(403, "forbidden_for_key");
    app.send(Method::GET, "/v1/audit-log", None, None, &[]).await.problem(401, "missing_api_key");
    app.send(Method::GET, "/v1/audit-log", Some(&agent), None, &[]).await.problem(403, "forbidden_for_role");
    // An agent ends only their own sessions: the admin's is not theirs to find.
    app.send(Method::DELETE, &end_admins, Some(&agent), None, &[]).await.problem(404, "session_not_found");
    assert_eq!(app.send(Method::GET, "/v1/me", Some(&admin), None, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn with_the_database_gone_sign_in_and_the_audit_log_answer_503() {
    let app = TestApp::new().await;
    signed_in(&app, "Ana", "admin").await;
    app.store.close().await;
    let body = json!({"email": "ana@example.com", "password": "correct horse"});
    let login = app.send_from("198.51.100.4", Method::POST, "/v1/auth/login", None, Some(&body)).await;
    login.problem(503, "database_unavailable");
    app.get("/v1/audit-log").await.problem(503, "database_unavailable");
}
