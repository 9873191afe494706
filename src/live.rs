//! Stream-only signals (typing, read): published to whoever listens on this node, shared
//! with the other nodes (PostgreSQL `NOTIFY`), never stored. The live event stream relays
//! them next to the durable event log.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::store::{Actor, Store, WorkspaceId};

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
pub struct Live {
    local: broadcast::Sender<Signal>,
    /// This node, so it ignores its own signals coming back from the others.
    node: Arc<str>,
}

impl Default for Live {
    fn default() -> Self {
        Live { local: broadcast::channel(CAPACITY).0, node: crate::ids::new_id("node").into() }
    }
}

impl Live {
    /// Publishes to this node's listeners and hands the signal to the other nodes.
    pub async fn publish(&self, store: &Store, signal: Signal) {
        let shared = json!({"node": &*self.node, "workspace": signal.workspace.as_str(), "kind": signal.kind,
            "conversation_id": signal.conversation_id, "actor_type": signal.actor.kind, "actor_id": signal.actor.id,
            "data": signal.data, "at": signal.at});
        let _ = self.local.send(signal);
        if let Err(error) = store.share_signal(&shared.to_string()).await {
            tracing::warn!(?error, "could not share a signal with the other nodes");
        }
    }

    /// Relays the other nodes' signals to this node's listeners, until the runtime ends.
    pub fn relay_from_other_nodes(&self, store: &Store) {
        let (live, mut remote) = (self.clone(), store.remote_signals());
        tokio::spawn(async move {
            loop {
                match remote.recv().await {
                    Ok(payload) => {
                        if let Some(signal) = live.decode(&payload) {
                            let _ = live.local.send(signal);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Another node's signal (`None`: this node's own, or not a signal).
    fn decode(&self, payload: &str) -> Option<Signal> {
        let v: Value = serde_json::from_str(payload).ok()?;
        if v["node"].as_str()? == &*self.node {
            return None;
        }
        let kind = ["conversation.typing", "conversation.read"].into_iter().find(|k| v["kind"] == *k)?;
        let actor_kind = ["member", "api_key", "contact", "agent", "system"]
            .into_iter()
            .find(|k| v["actor_type"] == *k)?;
        Some(Signal {
            workspace: WorkspaceId::trusted(v["workspace"].as_str()?),
            kind,
            conversation_id: v["conversation_id"].as_str()?.to_owned(),
            actor: Actor { kind: actor_kind, id: v["actor_id"].as_str().map(str::to_owned) },
            data: v["data"].clone(),
            at: v["at"].as_i64()?,
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.local.subscribe()
    }
}
