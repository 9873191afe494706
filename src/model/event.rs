//! An event of the log as stored (`EventRow`) and as the API, streams and webhooks show it
//! (`EventOut`).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::domain::event_kind::EventKind;

#[derive(Debug, Clone)]
pub struct EventRow {
    pub position: i64,
    pub id: String,
    pub workspace_id: String,
    pub kind: String,
    pub conversation_id: Option<String>,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub data: Value,
    pub created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorOut {
    /// `member`, `api_key`, `contact`, `agent` or `system`.
    pub r#type: String,
    pub id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    #[schema(value_type = String, example = "event")]
    pub object: &'static str,
    #[schema(example = "evt_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    #[schema(value_type = EventKind)]
    pub r#type: String,
    pub created_at: Timestamp,
    pub workspace_id: String,
    pub actor: ActorOut,
    /// The objects as they were after the change (`conversation`, `message`, …) and, for
    /// updates, `changes`: `{field: [before, after]}`.
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<EventRow> for EventOut {
    fn from(row: EventRow) -> Self {
        EventOut {
            object: "event",
            id: row.id,
            r#type: row.kind,
            created_at: Timestamp(row.created_at),
            workspace_id: row.workspace_id,
            actor: ActorOut { r#type: row.actor_type, id: row.actor_id },
            data: row.data,
        }
    }
}
