//! Seed 000's chat and chat message: the conversation and message as its "Chats" group
//! shows them. One mapping for the API and for the `agent.handoff_*` webhooks.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::domain::conversation::{MessageStatus, MessageType, Mode, SenderType, Status};
use crate::model::message::MessageOut;

/// A chat's status: `human` while a human answers, `closed` once resolved or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    Open,
    Human,
    Closed,
}

impl ChatStatus {
    pub fn of(mode: Mode, status: Status) -> Self {
        match (mode, status) {
            (_, Status::Resolved | Status::Closed) => ChatStatus::Closed,
            (Mode::Human, _) => ChatStatus::Human,
            _ => ChatStatus::Open,
        }
    }
}

/// A chat (the conversation, same id).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatOut {
    #[schema(example = "conv_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub status: ChatStatus,
    /// The member answering (in human mode, or last assigned).
    pub assigned_to: Option<String>,
    pub human_started_at: Option<Timestamp>,
    pub channel_id: Option<String>,
    pub contact_id: String,
}

/// The fields of a conversation's wire form (`ConversationOut`, or an event's `conversation`)
/// that make a chat.
#[derive(Debug, Deserialize)]
struct ConversationView {
    id: String,
    mode: Mode,
    status: Status,
    assignee_id: Option<String>,
    human_started_at: Option<Timestamp>,
    channel: Option<IdOnly>,
    contact: IdOnly,
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: String,
}

impl ChatOut {
    /// The chat of a conversation in its wire form; `None` if `conversation` is not one.
    pub fn from_conversation(conversation: &Value) -> Option<ChatOut> {
        let c = ConversationView::deserialize(conversation).ok()?;
        Some(ChatOut {
            id: c.id,
            status: ChatStatus::of(c.mode, c.status),
            assigned_to: c.assignee_id,
            human_started_at: c.human_started_at,
            channel_id: c.channel.map(|ch| ch.id),
            contact_id: c.contact.id,
        })
    }
}

/// Seed 000's message types: a file that is not a picture, sound or film is a `document`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatMessageType {
    Text,
    Image,
    Audio,
    Video,
    Document,
}

impl From<ChatMessageType> for MessageType {
    fn from(t: ChatMessageType) -> Self {
        match t {
            ChatMessageType::Text => MessageType::Text,
            ChatMessageType::Image => MessageType::Image,
            ChatMessageType::Audio => MessageType::Audio,
            ChatMessageType::Video => MessageType::Video,
            ChatMessageType::Document => MessageType::Document,
        }
    }
}

/// A chat message. `sender_type` is `agent` (AI), `human` or `contact`, and `system` for
/// Baton's own markers (takeover, hand-back), which the document does not list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatMessageOut {
    pub id: String,
    pub conversation_id: String,
    pub content: String,
    pub r#type: ChatMessageType,
    pub sender_type: SenderType,
    pub sender_id: Option<String>,
    pub status: MessageStatus,
    pub created_at: Timestamp,
}

impl From<MessageOut> for ChatMessageOut {
    fn from(m: MessageOut) -> Self {
        let r#type = match m.r#type {
            MessageType::Image => ChatMessageType::Image,
            MessageType::Audio => ChatMessageType::Audio,
            MessageType::Video => ChatMessageType::Video,
            MessageType::Document | MessageType::File => ChatMessageType::Document,
            MessageType::Text | MessageType::System => ChatMessageType::Text,
        };
        ChatMessageOut {
            id: m.id,
            conversation_id: m.conversation_id,
            content: m.content,
            r#type,
            sender_type: m.sender_type,
            sender_id: m.sender_id,
            status: m.status,
            created_at: m.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_chat_is_human_while_a_human_answers_and_closed_once_resolved() {
        let chat = |mode: &str, status: &str| {
            let conversation = json!({"id": "conv_1", "mode": mode, "status": status, "assignee_id": null,
                "human_started_at": null, "channel": null, "contact": {"id": "ct_1"}});
            ChatOut::from_conversation(&conversation).unwrap().status
        };
        assert_eq!(chat("ai", "open"), ChatStatus::Open);
        assert_eq!(chat("handoff_requested", "pending"), ChatStatus::Open);
        assert_eq!(chat("human", "snoozed"), ChatStatus::Human);
        assert_eq!(chat("human", "resolved"), ChatStatus::Closed);
        assert_eq!(chat("ai", "closed"), ChatStatus::Closed);
    }
}
