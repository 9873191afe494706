//! The database going away under load, and a full disk: every answer is a success or a 503
//! that says why, every acknowledged write is kept, and everything works again once the
//! database is back or space is freed — with no restart.

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::fixtures::conversation;
use crate::helpers::{TestApp, TestDb, TestResponse};

/// A success, or a 503 with `Retry-After` and one of the outage codes.
fn success_or_outage(response: &TestResponse, what: &str) -> bool {
    if response.status.is_success() {
        return true;
    }
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {}", response.body);
    let code = response.body["code"].as_str().unwrap_or_default();
    assert!(["database_unavailable", "storage_full"].contains(&code), "{what}: {}", response.body);
    assert!(response.header("retry-after").is_some(), "{what}: no Retry-After");
    false
}

async fn contents(app: &TestApp, conversation_id: &str) -> Vec<String> {
    let mut contents = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app.get(&format!("/v1/conversations/{conversation_id}/messages?limit=100{cursor}")).await;
        let data = page.body["data"].as_array().unwrap();
        contents.extend(data.iter().filter_map(|m| m["content"].as_str().map(str::to_owned)));
        match page.body["next_cursor"].as_str() {
            Some(next) if page.body["has_more"] == true => cursor = format!("&cursor={next}"),
            _ => return contents,
        }
    }
}

/// Every acknowledged message is stored, once.
async fn all_kept(app: &TestApp, conversation_id: &str, acknowledged: &[String]) {
    let stored = contents(app, conversation_id).await;
    for content in acknowledged {
        assert_eq!(stored.iter().filter(|c| *c == content).count(), 1, "{content} stored once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_connections_killed_under_load_answer_503_and_lose_nothing() {
    let base = TestDb::new().await;
    if !base.url.starts_with("postgres") {
        return; // SQLite has no connections to lose; the full-disk test is its outage.
    }
    let admin_url = std::env::var("BATON_TEST_POSTGRES_URL").unwrap();
    // Its own application name, so only this test's connections are killed.
    let name = baton::ids::new_id("outage").to_lowercase();
    let app = TestApp::on(TestDb { url: format!("{}&application_name={name}", base.url), _dir: None }).await;
    let id = conversation(&app, json!({"contact": {"email": "kai@example.com"}})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicUsize::new(0));
    let killer = {
        let (done, killed, name) = (done.clone(), killed.clone(), name.clone());
        tokio::spawn(async move {
            let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
            let mut every = tokio::time::interval(std::time::Duration::from_millis(30));
            while !done.load(Ordering::Relaxed) {
                every.tick().await;
                let ended: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                )
                .bind(name.clone())
                .fetch_all(&mut admin)
                .await
                .unwrap();
                killed.fetch_add(ended.into_iter().filter(|&ended| ended).count(), Ordering::Relaxed);
            }
        })
    };
    let posts = (0..300).map(|i| {
        let (app, id) = (&app, &id);
        async move {
            let content = format!("message {i}");
            let body = json!({"sender_type": "contact", "content": content});
            let response = app.post(&format!("/v1/conversations/{id}/messages"), body).await;
            success_or_outage(&response, "post").then_some(content)
        }
    });
    let acknowledged: Vec<String> =
        futures_util::future::join_all(posts).await.into_iter().flatten().collect();
    done.store(true, Ordering::Relaxed);
    killer.await.unwrap();
    assert!(killed.load(Ordering::Relaxed) > 0, "no connection was killed: the test tested nothing");
    // Back without a restart: new connections replace the killed ones.
    let after = app
        .post(
            &format!("/v1/conversations/{id}/messages"),
            json!({"content": "after", "sender_type": "contact"}),
        )
        .await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.body);
    all_kept(&app, &id, &acknowledged).await;
}

/// A small tmpfs mounted for the test, unmounted when it ends.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let size = format!("size={megabytes}m");
        let mounted =
            Command::new("mount").args(["-t", "tmpfs", "-o", &size, "tmpfs"]).arg(dir.path()).status();
        mounted.is_ok_and(|s| s.success()).then_some(SmallDisk(dir))
    }

    /// Fills the disk with a file of its own; returns the file.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 << 10];
        while file.write_all(&chunk).and_then(|()| file.flush()).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_503_and_every_path_recovers_once_space_is_freed() {
    if std::env::var("BATON_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        return; // A SQLite test: the SQLite suite runs it.
    }
    let Some(disk) = SmallDisk::mount(24) else {
        assert!(!is_root(), "running as root, yet a tmpfs could not be mounted");
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let url = format!("sqlite://{}", disk.0.path().join("baton.db").display());
    let app = TestApp::on(TestDb { url, _dir: None }).await;
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let id = conversation(&app, json!({"contact": {"email": "kai@example.com"}})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let post = |content: String| {
        let (app, id) = (&app, &id);
        async move {
            let body = json!({"sender_type": "contact", "content": content});
            app.post(&format!("/v1/conversations/{id}/messages"), body).await
        }
    };

    let filler = disk.fill();
    let mut acknowledged = Vec::new();
    let mut refused = false;
    for i in 0..2_000 {
        // Long messages, so the WAL must grow soon.
        let content = format!("message {i} {}", "lorem ipsum ".repeat(300));
        let response = post(content.clone()).await;
        if success_or_outage(&response, "post") {
            acknowledged.push(content);
        } else {
            assert_eq!(response.body["code"], "storage_full", "{}", response.body);
            refused = true;
            break;
        }
    }
    assert!(refused, "the disk never filled");
    let writes: [(Method, String, Value); 4] = [
        (Method::POST, "/v1/conversations".into(), json!({"contact": {"email": "new@example.com"}})),
        (Method::PATCH, format!("/v1/conversations/{id}"), json!({"priority": "high", "title": "Full"})),
        (Method::POST, format!("/v1/conversations/{id}/notes"), json!({"body": "a note"})),
        (Method::POST, "/v1/contacts".into(), json!({"email": "other@example.com"})),
    ];
    for (method, path, body) in &writes {
        let response = app.send(method.clone(), path, Some(&app.server_key), Some(body), &[]).await;
        success_or_outage(&response, &format!("{method} {path} on a full disk"));
    }
    let ready = app.get("/readyz").await;
    assert_eq!(
        (ready.status, &ready.body["code"]),
        (StatusCode::SERVICE_UNAVAILABLE, &json!("storage_full"))
    );
    // Reads go on.
    assert_eq!(app.get(&format!("/v1/conversations/{id}")).await.status, StatusCode::OK);

    std::fs::remove_file(filler).unwrap();
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let response = post("the zebrafinch arrived".into()).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    acknowledged.push("the zebrafinch arrived".into());
    for (method, path, body) in &writes {
        let body = match path.as_str() {
            "/v1/conversations" => json!({"contact": {"email": "later@example.com"}}),
            "/v1/contacts" => json!({"email": "latest@example.com"}),
            _ => body.clone(),
        };
        let response = app.send(method.clone(), path, Some(&app.server_key), Some(&body), &[]).await;
        assert!(response.status.is_success(), "{method} {path} once space is freed: {}", response.body);
    }
    let found = app.get("/v1/conversations?q=zebrafinch").await;
    let ids: HashSet<&str> =
        found.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(id.as_str()), "search indexes again: {}", found.body);
    all_kept(&app, &id, &acknowledged).await;
    app.store.close().await;
}
