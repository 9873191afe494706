//! Real `baton serve` processes for tests that cross a process boundary.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_baton");

pub fn key_in(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)?;
    Some(text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    lines: mpsc::Receiver<String>,
    reader: Option<JoinHandle<()>>,
    /// Everything the server logged, to explain a failure.
    logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts on a port the system picks, and learns it from the server's own log line, so
    /// no other test can take the port in between.
    pub fn start(database_url: &str) -> Server {
        Self::start_with(database_url, &[])
    }

    /// Starts with extra `serve` flags.
    pub fn start_with(database_url: &str, flags: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--database-url", database_url])
            .args(flags)
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
        let logs = Arc::new(Mutex::new(Vec::new()));
        let kept = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line.clone());
                let log: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                if let Some(addr) = log["addr"].as_str().and_then(|a| a.parse::<SocketAddr>().ok()) {
                    let _ = found.send(addr);
                }
            }
        });
        let addr =
            listening.recv_timeout(Duration::from_secs(30)).expect("the server did not start listening");
        Server { child, addr, lines, reader: Some(reader), logs }
    }

    /// Waits for the first-start banner and returns the key it prints.
    pub fn bootstrap_key(&self) -> String {
        self.printed("bt_sk_")
    }

    /// Waits for a printed line holding a word that starts with `prefix`, and returns that word.
    pub fn printed(&self, prefix: &str) -> String {
        loop {
            let line = self.lines.recv_timeout(Duration::from_secs(30)).expect("not printed in 30 s");
            if let Some(word) = key_in(&line, prefix) {
                return word;
            }
        }
    }

    /// SIGTERM, then everything the server printed that was not read yet.
    pub fn stop(mut self) -> String {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "graceful shutdown exits 0, got {status}");
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.lines.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// SIGKILL: the process dies mid-whatever, as a crashed node does.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

/// A test that fails midway must not leave its servers running.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
