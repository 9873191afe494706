//! A conversation as stored (`ConversationRow`) and as the API shows it (`ConversationOut`),
//! with the channel, contact, agent and message summaries it carries.

use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::domain::conversation::{Mode, Priority, SenderType, Status};

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRef {
    pub id: String,
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactRef {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub blocked: bool,
}

/// The AI agent answering, with the version pinned for this conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRef {
    pub name: String,
    pub picture_url: Option<String>,
    pub version_number: Option<i64>,
}

/// The conversation's ticket, if one was opened.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRef {
    pub id: String,
    pub number: i64,
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Handoff {
    pub requested_at: Option<i64>,
    pub requested_by: Option<String>,
    pub reason: Option<String>,
    pub started_at: Option<i64>,
    pub member_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageSummary {
    pub id: String,
    pub preview: String,
    pub sender_type: SenderType,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRow {
    pub id: String,
    pub number: i64,
    pub title: Option<String>,
    pub status: Status,
    pub mode: Mode,
    pub priority: Priority,
    pub channel: Option<ChannelRef>,
    pub contact: ContactRef,
    pub agent_id: Option<String>,
    pub agent_version_id: Option<String>,
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    pub state_id: Option<String>,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub context: Option<String>,
    pub sentiment_score: Option<i64>,
    pub rating: Option<i64>,
    /// What the contact wrote with their rating.
    pub rating_comment: Option<String>,
    pub custom_data: Map<String, Value>,
    pub handoff: Handoff,
    pub last_message: Option<MessageSummary>,
    pub previous_message: Option<MessageSummary>,
    pub last_message_at: i64,
    pub message_count: i64,
    pub unread_count: i64,
    pub first_response_at: Option<i64>,
    pub human_started_at: Option<i64>,
    pub snoozed_until: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub removed: bool,
    pub ticket: Option<TicketRef>,
    /// Name and pinned version of `agent_id`'s agent.
    pub agent: Option<AgentRef>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelSummary {
    pub id: String,
    #[schema(example = "widget")]
    pub r#type: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactSummary {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffOut {
    pub requested_at: Option<Timestamp>,
    /// `contact`, `agent`, `member`, `api_key` or `system`.
    pub requested_by: Option<String>,
    pub reason: Option<String>,
    pub started_at: Option<Timestamp>,
    pub member_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageSummaryOut {
    pub id: String,
    pub preview: String,
    pub sender_type: SenderType,
    pub created_at: Timestamp,
}

impl MessageSummaryOut {
    fn from(summary: &MessageSummary) -> Self {
        MessageSummaryOut {
            id: summary.id.clone(),
            preview: summary.preview.clone(),
            sender_type: summary.sender_type,
            created_at: Timestamp(summary.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationOut {
    #[schema(value_type = String, example = "conversation")]
    pub object: &'static str,
    #[schema(example = "conv_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    /// Per-workspace number, without gaps.
    pub number: i64,
    pub title: Option<String>,
    pub status: Status,
    pub mode: Mode,
    pub priority: Priority,
    pub channel: Option<ChannelSummary>,
    pub contact: ContactSummary,
    /// The AI agent that answers and the version pinned for this conversation.
    #[schema(value_type = Option<Object>)]
    pub agent: Option<Value>,
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    pub state_id: Option<String>,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub context: Option<String>,
    pub sentiment_score: Option<i64>,
    /// The contact's rating of the conversation, 1–5.
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    pub custom_data: Map<String, Value>,
    pub handoff: HandoffOut,
    pub last_message: Option<MessageSummaryOut>,
    pub previous_message: Option<MessageSummaryOut>,
    pub message_count: i64,
    pub unread_count: i64,
    #[schema(value_type = Option<Object>)]
    pub ticket: Option<Value>,
    pub first_response_at: Option<Timestamp>,
    pub human_started_at: Option<Timestamp>,
    pub snoozed_until: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub removed: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the last message (not a system marker) was sent; null before any.
    pub last_message_at: Option<Timestamp>,
    pub version: i64,
}

impl From<&ConversationRow> for ConversationOut {
    fn from(row: &ConversationRow) -> Self {
        let ts = |t: Option<i64>| t.map(Timestamp);
        ConversationOut {
            object: "conversation",
            id: row.id.clone(),
            number: row.number,
            title: row.title.clone(),
            status: row.status,
            mode: row.mode,
            priority: row.priority,
            channel: row.channel.as_ref().map(|c| ChannelSummary {
                id: c.id.clone(),
                r#type: c.kind.clone(),
                name: c.name.clone(),
            }),
            contact: ContactSummary {
                id: row.contact.id.clone(),
                name: row.contact.name.clone(),
                email: row.contact.email.clone(),
                phone: row.contact.phone.clone(),
                external_id: row.contact.external_id.clone(),
            },
            agent: row.agent.as_ref().map(|a| {
                json!({"id": row.agent_id, "name": a.name, "picture_url": a.picture_url,
                    "version_id": row.agent_version_id, "version_number": a.version_number})
            }),
            assignee_id: row.assignee_id.clone(),
            team_id: row.team_id.clone(),
            state_id: row.state_id.clone(),
            tags: row.tags.clone(),
            summary: row.summary.clone(),
            context: row.context.clone(),
            sentiment_score: row.sentiment_score,
            rating: row.rating,
            rating_comment: row.rating_comment.clone(),
            custom_data: row.custom_data.clone(),
            handoff: HandoffOut {
                requested_at: ts(row.handoff.requested_at),
                requested_by: row.handoff.requested_by.clone(),
                reason: row.handoff.reason.clone(),
                started_at: ts(row.handoff.started_at),
                member_id: row.handoff.member_id.clone(),
            },
            last_message: row.last_message.as_ref().map(MessageSummaryOut::from),
            previous_message: row.previous_message.as_ref().map(MessageSummaryOut::from),
            message_count: row.message_count,
            unread_count: row.unread_count,
            ticket: row.ticket.as_ref().map(|t| json!({"id": t.id, "number": t.number, "status": t.status})),
            first_response_at: ts(row.first_response_at),
            human_started_at: ts(row.human_started_at),
            snoozed_until: ts(row.snoozed_until),
            resolved_at: ts(row.resolved_at),
            closed_at: ts(row.closed_at),
            removed: row.removed,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            last_message_at: row.last_message.as_ref().map(|m| Timestamp(m.created_at)),
            version: row.version,
        }
    }
}
