//! Wake-ups for readers of the event log (live streams, the delivery worker).
//!
//! The log is the truth; a wake-up only says "read it again". Each commit on this node wakes
//! them at once, and on PostgreSQL every transaction that appends events sends a `NOTIFY` at
//! commit, which a listener on each node turns into the same wake-up: a change made through
//! one node reaches the streams of all. A lost notification costs only latency, since
//! readers also look at the log on a timer.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

/// The `LISTEN`/`NOTIFY` channel; the payload is the workspace id.
pub(crate) const CHANNEL: &str = "baton_log";
/// Stream-only signals (typing, read) shared between nodes; the payload is the signal.
pub(crate) const SIGNALS: &str = "baton_signals";

#[derive(Clone)]
pub struct LogWake(Arc<watch::Sender<u64>>, broadcast::Sender<String>);

impl Default for LogWake {
    fn default() -> Self {
        LogWake(Arc::new(watch::channel(0).0), broadcast::channel(1_024).0)
    }
}

impl LogWake {
    pub(crate) fn bump(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees a change after every commit (coalesced: a slow reader sees one).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }

    /// Signals other nodes shared (see `Store::share_signal`), as they sent them.
    pub fn remote_signals(&self) -> broadcast::Receiver<String> {
        self.1.subscribe()
    }

    /// PostgreSQL: relays notifications from every node for as long as the runtime runs.
    pub(crate) fn listen(&self, url: String) {
        let wake = self.clone();
        tokio::spawn(async move {
            loop {
                let Err(error) = relay(&url, &wake).await;
                tracing::warn!(%error, "lost the event notification listener; reconnecting");
                // Readers still poll meanwhile; something may have been missed.
                wake.bump();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

async fn relay(url: &str, wake: &LogWake) -> Result<std::convert::Infallible, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen_all([CHANNEL, SIGNALS]).await?;
    loop {
        // `None`: the connection dropped and will be re-established by the next call.
        match listener.try_recv().await? {
            Some(note) if note.channel() == SIGNALS => {
                let _ = wake.1.send(note.payload().to_owned());
            }
            _ => wake.bump(),
        }
    }
}
