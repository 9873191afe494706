//! The real binary: first start prints a key once; CLI subcommands create keys that work;
//! SIGTERM stops the server cleanly, leaving its data in the database file.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

use crate::helpers::TestDb;
use crate::process::{BIN, Server, key_in};

/// One HTTP/1.1 exchange over a plain socket: the status and the whole response.
fn exchange(addr: SocketAddr, method: &str, path: &str, key: Option<&str>, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let auth = key.map(|key| format!("Authorization: Bearer {key}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    (response[9..12].parse().unwrap(), response)
}

fn get(addr: SocketAddr, path: &str, key: &str) -> u16 {
    exchange(addr, "GET", path, Some(key), "").0
}

/// POSTs JSON without a key; the status and the whole response, headers included.
fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, String) {
    exchange(addr, "POST", path, None, body)
}

/// GETs JSON with a key.
fn get_body(addr: SocketAddr, path: &str, key: &str) -> serde_json::Value {
    let (_, response) = exchange(addr, "GET", path, Some(key), "");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

fn run(args: &[&str], database_url: &str) -> String {
    let output = Command::new(BIN).args(args).args(["--database-url", database_url]).output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn first_start_prints_a_working_key_once() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let server = Server::start(&url);
        let key = server.bootstrap_key();
        assert_eq!(get(server.addr, "/v1/me", &key), 200);
        let rest = server.stop();
        assert!(!rest.contains("bt_sk_"), "the key is printed once: {rest}");

        let again = Server::start(&url);
        assert_eq!(get(again.addr, "/v1/me", &key), 200, "the key survives a restart");
        let printed = again.stop();
        assert!(!printed.contains("bt_sk_"), "never printed again: {printed}");
        if let Some(file) = url.strip_prefix("sqlite://") {
            let wal = std::fs::metadata(format!("{file}-wal")).map_or(0, |m| m.len());
            assert_eq!(wal, 0, "a stopped server copies its WAL back into the database file");
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_creates_workspaces_and_keys() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        assert!(run(&["migrate"], &url).contains("Migrations applied"));
        let created = run(&["workspaces", "create", "Acme"], &url);
        let server_key = key_in(&created, "bt_sk_").expect("server key printed");
        let workspace = key_in(&created, "ws_").expect("workspace id printed");
        let client = run(&["keys", "create", "--workspace", &workspace, "--kind", "client"], &url);
        let client_key = key_in(&client, "bt_pk_").expect("client key printed");

        let server = Server::start(&url);
        assert_eq!(get(server.addr, "/v1/me", &server_key), 200);
        assert_eq!(get(server.addr, "/v1/me", &client_key), 200);
        assert_eq!(get(server.addr, "/v1/contacts", &client_key), 403);
        server.stop();

        let missing = Command::new(BIN)
            .args(["keys", "create", "--workspace", "ws_nope", "--kind", "server", "--database-url", &url])
            .output()
            .unwrap();
        assert!(!missing.status.success());
        assert!(String::from_utf8_lossy(&missing.stderr).contains("no workspace ws_nope"));
        let admin = run(&["admin-key"], &url);
        assert!(admin.starts_with("bt_admin_") && admin.trim().len() >= 9 + 32);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn first_start_prints_a_setup_link_and_the_cli_creates_members() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let server = Server::start(&url);
        let workspace = server.printed("ws_");
        let token = server.printed("setup_");
        let admin = format!(
            r#"{{"token": "{token}", "name": "Ada", "email": "ada@example.com", "password": "correct horse"}}"#
        );
        let (status, response) = post(server.addr, "/v1/auth/setup", &admin);
        assert_eq!(status, 201, "{response}");
        assert!(response.to_ascii_lowercase().contains("set-cookie: baton_session=bt_mt_"), "{response}");
        assert_eq!(post(server.addr, "/v1/auth/setup", &admin).0, 401, "the link works once");

        let mut create = Command::new(BIN)
            .args(["members", "create", "--workspace", &workspace, "--email", "bo@example.com", "--name", "Bo"])
            .args(["--role", "agent", "--password-stdin", "--database-url", &url])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        create.stdin.take().unwrap().write_all(b"another horse\n").unwrap();
        let created = create.wait_with_output().unwrap();
        assert!(created.status.success());
        assert!(String::from_utf8_lossy(&created.stdout).contains("Created agent member Bo"));
        let login = r#"{"email": "bo@example.com", "password": "another horse"}"#;
        let (status, response) = post(server.addr, "/v1/auth/login", login);
        assert_eq!(status, 200, "{response}");
        server.stop();

        let short = Command::new(BIN)
            .args(["members", "create", "--workspace", &workspace, "--email", "cy@example.com", "--name", "Cy"])
            .args(["--password-stdin", "--database-url", &url])
            .stdin(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert!(!short.status.success(), "an empty password is refused");
        assert!(String::from_utf8_lossy(&short.stderr).contains("password must be 8 to 256 characters"));
    })
    .await
    .unwrap();
}

#[test]
fn the_openapi_command_prints_the_spec() {
    let output = Command::new(BIN).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(spec["info"]["title"], "Baton API");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_loads_a_workspace_with_conversations_in_every_view() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    let printed = tokio::task::spawn_blocking(move || run(&["demo"], &url)).await.unwrap();
    let key = key_in(&printed, "bt_sk_").expect("the demo's server key");
    let password = printed
        .lines()
        .find(|l| l.contains("ana@juniper.example"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let server = Server::start(&url);
        for (view, at_least) in [
            ("mode=handoff_requested&status=open,pending", 1),
            ("mode=ai&status=open,pending", 1),
            ("mode=human", 2),
            ("status=resolved", 1),
        ] {
            let body = get_body(server.addr, &format!("/v1/conversations/counts?{view}"), &key);
            let total = body["total"].as_i64().unwrap();
            assert!(total >= at_least, "{view}: {total} conversations");
        }
        let login = format!(r#"{{"email": "ana@juniper.example", "password": "{password}"}}"#);
        assert_eq!(post(server.addr, "/v1/auth/login", &login).0, 200, "the printed credentials sign in");
        let answered = get_body(server.addr, "/v1/conversations?mode=ai", &key);
        let previews: Vec<&str> = answered["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["last_message"]["sender_type"].as_str())
            .collect();
        assert!(previews.contains(&"agent"), "the AI answered for real: {previews:?}");
        server.stop();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_that_never_finish_their_headers_or_sit_idle_are_closed() {
    let db = TestDb::new().await;
    let server = Server::start_with(&db.url, &["--header-read-timeout-secs", "1"]);
    let read_until_closed = |stream: &mut TcpStream| {
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let mut seen = Vec::new();
        let closed = stream.read_to_end(&mut seen).map(|_| String::from_utf8_lossy(&seen).into_owned());
        closed.expect("the server closes the connection (not the 10 s read timeout)")
    };
    // Half a request, never finished.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: baton\r\nX-Slow: ").unwrap();
    let answered = read_until_closed(&mut slow);
    assert!(!answered.contains("200 OK"), "{answered}");
    // A whole request, then silence on the kept-alive connection.
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: baton\r\n\r\n").unwrap();
    assert!(read_until_closed(&mut idle).starts_with("HTTP/1.1 200 OK"));
    server.stop();
}
