//! The real binary: first start prints a key once; CLI subcommands create keys that work;
//! SIGTERM stops the server cleanly, leaving its data in the database file.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

use crate::helpers::TestDb;
use crate::process::{BIN, Server, key_in};

fn get(addr: SocketAddr, path: &str, key: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
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

#[test]
fn the_openapi_command_prints_the_spec() {
    let output = Command::new(BIN).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(spec["info"]["title"], "Baton API");
}
