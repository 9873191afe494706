//! What a visitor sees: their conversations and messages without anything internal — no
//! notes, assignees, tags, handoff reasons, sentiment, custom data, member ids or message
//! metadata. Built from the same rows (and, for the stream, the same events) as the API's
//! objects, by choosing fields, never by hiding them later.

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::domain::conversation::{MessageStatus, MessageType, Mode, SenderType, Status};
use crate::domain::event_kind::EventKind;
use crate::model::message::Attachment;
use crate::store::{ConversationRow, MessageRow};

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorConversation {
    #[schema(value_type = String, example = "conversation")]
    pub object: &'static str,
    pub id: String,
    pub title: Option<String>,
    pub status: Status,
    /// Who answers: the AI, or (`handoff_requested`, `human`) a person.
    pub mode: Mode,
    pub last_message: Option<VisitorMessageSummary>,
    /// The person answering, once one has taken over (`mode: human`).
    pub assignee_name: Option<String>,
    /// The visitor's rating, 1–5.
    pub rating: Option<i64>,
    pub created_at: Timestamp,
    pub last_message_at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorMessageSummary {
    pub id: String,
    pub preview: String,
    pub sender_type: SenderType,
    pub created_at: Timestamp,
}

impl From<&ConversationRow> for VisitorConversation {
    fn from(row: &ConversationRow) -> Self {
        VisitorConversation {
            object: "conversation",
            id: row.id.clone(),
            title: row.title.clone(),
            status: row.status,
            mode: row.mode,
            last_message: row.last_message.as_ref().map(|m| VisitorMessageSummary {
                id: m.id.clone(),
                preview: m.preview.clone(),
                sender_type: m.sender_type,
                created_at: Timestamp(m.created_at),
            }),
            assignee_name: None,
            rating: row.rating,
            created_at: Timestamp(row.created_at),
            last_message_at: Timestamp(row.last_message_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorMessage {
    #[schema(value_type = String, example = "message")]
    pub object: &'static str,
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub sender_type: SenderType,
    pub r#type: MessageType,
    pub content: String,
    pub attachments: Vec<Attachment>,
    pub status: MessageStatus,
    pub client_message_id: Option<String>,
    pub deleted: bool,
    /// The person's or the AI agent's name, for `human` and `agent` messages.
    pub sender_name: Option<String>,
    pub created_at: Timestamp,
}

impl From<&MessageRow> for VisitorMessage {
    fn from(m: &MessageRow) -> Self {
        VisitorMessage {
            object: "message",
            id: m.id.clone(),
            conversation_id: m.conversation_id.clone(),
            seq: m.seq,
            sender_type: m.sender_type,
            r#type: m.kind,
            content: m.content.clone(),
            attachments: m.attachments.clone(),
            status: m.status,
            client_message_id: m.client_message_id.clone(),
            deleted: m.deleted,
            sender_name: None,
            created_at: Timestamp(m.created_at),
        }
    }
}

/// Event types a visitor's stream carries: these log events, and the typing and read signals.
pub const VISITOR_EVENTS: &[&str] = &[
    EventKind::MessageCreated.as_str(),
    EventKind::MessageUpdated.as_str(),
    EventKind::MessageDeleted.as_str(),
    EventKind::ConversationStatusChanged.as_str(),
    EventKind::HandoffRequested.as_str(),
    EventKind::HandoffStarted.as_str(),
    EventKind::HandoffCompleted.as_str(),
    "conversation.typing",
    "conversation.read",
];

/// An event of the log as a visitor sees it: `{type, created_at, conversation_id, message}` or
/// `{…, conversation}` with only the visitor's fields; `None` for anything else.
pub fn visitor_event(kind: &str, event: &Value) -> Option<Value> {
    if !VISITOR_EVENTS.contains(&kind) {
        return None;
    }
    let data = &event["data"];
    let mut out =
        json!({"type": kind, "created_at": event["created_at"], "conversation_id": event["conversation_id"]});
    if let Some(message) = data.get("message") {
        let keep = [
            "id",
            "conversation_id",
            "seq",
            "sender_type",
            "type",
            "content",
            "attachments",
            "status",
            "client_message_id",
            "deleted",
            "created_at",
        ];
        out["message"] = pick(message, &keep);
        out["conversation_id"] = message["conversation_id"].clone();
    } else if let Some(conversation) = data.get("conversation") {
        out["conversation"] =
            pick(conversation, &["id", "title", "status", "mode", "rating", "last_message_at"]);
        out["conversation_id"] = conversation["id"].clone();
    } else {
        // Typing and read signals: who (by kind only) and what.
        out["data"] = pick(data, &["sender_type", "typing", "reader", "up_to_message_id"]);
    }
    Some(out)
}

fn pick(object: &Value, keys: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for key in keys {
        if let Some(value) = object.get(*key) {
            out.insert((*key).to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_event_keeps_only_the_visitor_fields() {
        let event = json!({"type": "message.created", "created_at": "t", "data": {
            "conversation": {"id": "conv_1", "assignee_id": "mem_1", "sentiment_score": 10},
            "message": {"id": "msg_1", "conversation_id": "conv_1", "content": "hi", "sender_id": "mem_1",
                "metadata": {"confidence": 0.2}}}});
        let seen = visitor_event("message.created", &event).unwrap();
        assert_eq!(seen["message"], json!({"id": "msg_1", "conversation_id": "conv_1", "content": "hi"}));
        assert_eq!(seen["conversation_id"], "conv_1");
        assert!(seen.get("conversation").is_none());
        assert_eq!(visitor_event("note.created", &event), None);
        assert_eq!(visitor_event("conversation.assigned", &event), None);
    }
}
