//! A message as stored (`MessageRow`) and as the API shows it, with its attachments.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::domain::conversation::{MessageStatus, MessageType, SenderType};

#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub sender_type: SenderType,
    pub sender_id: Option<String>,
    pub kind: MessageType,
    pub content: String,
    pub attachments: Vec<Attachment>,
    pub status: MessageStatus,
    pub failure_reason: Option<String>,
    pub client_message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub source: Option<String>,
    pub metadata: Map<String, Value>,
    pub feedback: Option<Feedback>,
    pub deleted: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A file attached to a message: an upload kept by Baton (with its `id`, and a signed `url`
/// that expires), or a file that lives elsewhere (its `url` only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The upload (`file_…`), for files kept by Baton.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[schema(example = "https://files.example.com/receipt.pdf")]
    pub url: String,
    #[schema(example = "application/pdf")]
    pub mime_type: Option<String>,
    /// Bytes.
    pub size: Option<i64>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Positive,
    Negative,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    pub rating: Rating,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    #[schema(value_type = String, example = "message")]
    pub object: &'static str,
    #[schema(example = "msg_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub conversation_id: String,
    /// 1, 2, 3… within the conversation.
    pub seq: i64,
    pub sender_type: SenderType,
    pub sender_id: Option<String>,
    pub r#type: MessageType,
    pub content: String,
    pub attachments: Vec<Attachment>,
    pub status: MessageStatus,
    pub failure_reason: Option<String>,
    pub client_message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub source: Option<String>,
    pub metadata: Map<String, Value>,
    pub feedback: Option<Feedback>,
    pub deleted: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<&MessageRow> for MessageOut {
    fn from(row: &MessageRow) -> Self {
        MessageOut {
            object: "message",
            id: row.id.clone(),
            conversation_id: row.conversation_id.clone(),
            seq: row.seq,
            sender_type: row.sender_type,
            sender_id: row.sender_id.clone(),
            r#type: row.kind,
            content: row.content.clone(),
            attachments: row.attachments.clone(),
            status: row.status,
            failure_reason: row.failure_reason.clone(),
            client_message_id: row.client_message_id.clone(),
            in_reply_to: row.in_reply_to.clone(),
            source: row.source.clone(),
            metadata: row.metadata.clone(),
            feedback: row.feedback.clone(),
            deleted: row.deleted,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        }
    }
}
