//! Stream-only signals (typing, read): published to whoever listens on this node and never
//! stored. The live event stream relays them next to the durable event log.

use serde_json::Value;
use tokio::sync::broadcast;

use crate::store::{Actor, WorkspaceId};

/// Signals a slow listener may miss before it lags (it is told, and the signals are
/// ephemeral anyway).
const CAPACITY: usize = 1_024;

#[derive(Debug, Clone)]
pub struct Signal {
    pub workspace: WorkspaceId,
    /// `conversation.typing` or `conversation.read`.
    pub kind: &'static str,
    pub conversation_id: String,
    pub actor: Actor,
    pub data: Value,
    pub at: i64,
}

#[derive(Clone)]
pub struct Live(broadcast::Sender<Signal>);

impl Default for Live {
    fn default() -> Self {
        Live(broadcast::channel(CAPACITY).0)
    }
}

impl Live {
    /// Publishes to the current listeners; with none, the signal simply goes nowhere.
    pub fn publish(&self, signal: Signal) {
        let _ = self.0.send(signal);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.0.subscribe()
    }
}
