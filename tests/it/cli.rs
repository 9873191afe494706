//! The real binary: first start prints a key once; CLI subcommands create keys that work;
//! SIGTERM stops the server cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::helpers::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_baton");

fn get(addr: SocketAddr, path: &str, key: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
}

fn key_in(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)?;
    Some(text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
}

struct Server {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
    reader: JoinHandle<()>,
}

impl Server {
    /// Starts on a port the system picks, and learns it from the server's own log line, so
    /// no other test can take the port in between.
    fn start(database_url: &str) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--database-url", database_url])
            .env_remove("BATON_ADMIN_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let (found, listening) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let log: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                if let Some(addr) = log["addr"].as_str().and_then(|a| a.parse::<SocketAddr>().ok()) {
                    let _ = found.send(addr);
                }
            }
        });
        let addr =
            listening.recv_timeout(Duration::from_secs(30)).expect("the server did not start listening");
        Server { child, addr, lines, reader }
    }

    /// Waits for the first-start banner and returns the key it prints.
    fn bootstrap_key(&self) -> String {
        loop {
            let line = self.lines.recv_timeout(Duration::from_secs(30)).expect("no bootstrap banner");
            if let Some(key) = key_in(&line, "bt_sk_") {
                return key;
            }
        }
    }

    /// SIGTERM, then everything the server printed that was not read yet.
    fn stop(mut self) -> String {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "graceful shutdown exits 0, got {status}");
        self.reader.join().unwrap();
        self.lines.try_iter().collect::<Vec<_>>().join("\n")
    }
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
