//! Messages: posted in one transaction with the conversation's summary and the events.

use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::AnyConnection;

use super::conversation_rows::{self, load_for_update};
use super::events::{self, Actor, Subject};
use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId};
use crate::domain::conversation::{self as rules, MessageStatus, MessageType, Refusal, SenderType};
use crate::domain::event_kind::EventKind;
use crate::model::conversation::ConversationOut;
use crate::model::conversation::ConversationRow;
use crate::model::message::{Attachment, Feedback, MessageOut, Rating};
use crate::store::Entity;

pub use crate::model::message::MessageRow;

macro_rules! message_columns {
    () => {
        "id, conversation_id, seq, sender_type, sender_id, type, content, attachments, status, failure_reason, \
         client_message_id, in_reply_to, source, metadata, feedback_rating, feedback_comment, deleted, \
         created_at, updated_at"
    };
}

mod post;
mod write;

pub(crate) use post::{PostJob, lock_conversations, post, system_message};

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender_type: SenderType,
    pub sender_id: Option<String>,
    pub kind: MessageType,
    pub content: String,
    pub attachments: Vec<Attachment>,
    pub client_message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub source: Option<String>,
    pub metadata: Map<String, Value>,
}

/// The outcome of posting: a new message, or the one already stored under the same
/// `client_message_id`.
#[derive(Debug)]
pub enum Posted {
    Created { conversation: Box<ConversationRow>, message: MessageRow },
    Existing(MessageRow),
}

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub after_seq: Option<i64>,
    pub before_seq: Option<i64>,
    pub include_deleted: bool,
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn enum_value<T>(
    row: &impl super::conn::Columns,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    parse(&text).ok_or_else(|| sqlx::Error::Decode(format!("unexpected {column} {text:?}").into()))
}

fn map(row: &impl super::conn::Columns) -> Result<MessageRow, sqlx::Error> {
    let rating: Option<String> = row.try_get("feedback_rating")?;
    Ok(MessageRow {
        id: row.try_get("id")?,
        conversation_id: row.try_get("conversation_id")?,
        seq: row.try_get("seq")?,
        sender_type: enum_value(row, "sender_type", SenderType::parse)?,
        sender_id: row.try_get("sender_id")?,
        kind: enum_value(row, "type", MessageType::parse)?,
        content: row.try_get("content")?,
        attachments: decode(&row.try_get::<String, _>("attachments")?)?,
        status: enum_value(row, "status", MessageStatus::parse)?,
        failure_reason: row.try_get("failure_reason")?,
        client_message_id: row.try_get("client_message_id")?,
        in_reply_to: row.try_get("in_reply_to")?,
        source: row.try_get("source")?,
        metadata: decode(&row.try_get::<String, _>("metadata")?)?,
        feedback: rating.map(|r| Feedback {
            rating: if r == "positive" { Rating::Positive } else { Rating::Negative },
            comment: row.try_get("feedback_comment").ok().flatten(),
        }),
        deleted: row.try_get::<i64, _>("deleted")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn find(
    conn: &mut AnyConnection,
    conversation_id: &str,
    id: &str,
) -> Result<Option<MessageRow>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE conversation_id = $1 AND id = $2"
    ))
    .bind(conversation_id.to_owned())
    .bind(id.to_owned())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(map).transpose()?)
}

/// Writes the message's mutable columns.
async fn write(conn: &mut AnyConnection, message: &MessageRow) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE messages SET content = $1, attachments = $2, status = $3, failure_reason = $4, \
         feedback_rating = $5, feedback_comment = $6, deleted = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(message.content.clone())
    .bind(serde_json::to_string(&message.attachments).unwrap_or_else(|_| "[]".into()))
    .bind(message.status.as_str())
    .bind(message.failure_reason.clone())
    .bind(
        message.feedback.as_ref().map(|f| if f.rating == Rating::Positive { "positive" } else { "negative" }),
    )
    .bind(message.feedback.as_ref().and_then(|f| f.comment.clone()))
    .bind(i64::from(message.deleted))
    .bind(message.updated_at)
    .bind(message.id.clone())
    .execute(&mut *conn)
    .await?;
    if message.deleted {
        super::files::delete_message_files(conn, &message.id).await?;
    }
    Ok(())
}

/// A `message.*` event's data: the conversation as the message left it, and the message.
#[derive(Serialize)]
struct MessageEvent {
    conversation: ConversationOut,
    message: MessageOut,
}

fn message_event(conversation: &ConversationRow, message: &MessageRow) -> MessageEvent {
    MessageEvent {
        conversation: conversation_rows::snapshot(conversation),
        message: MessageOut::from(message),
    }
}

impl Store {
    /// Posts a message: the next `seq`, the conversation's summary and status, and the
    /// events, in one transaction shared with the posts that arrived with it
    /// (`group_commit` on SQLite, `pg_group_commit` on PostgreSQL).
    /// A repeated `client_message_id` returns the stored message.
    pub async fn post_message(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        id: &str,
        input: &NewMessage,
        actor: &Actor,
        now: i64,
    ) -> Result<Posted, StoreError> {
        let job = PostJob {
            ws: ws.clone(),
            conversation_id: conversation_id.to_owned(),
            id: id.to_owned(),
            input: input.clone(),
            actor: actor.clone(),
            now,
        };
        self.post_queue().post(job).await
    }

    pub async fn get_message(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        id: &str,
    ) -> Result<Option<MessageRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND conversation_id = $2 AND id = $3"
        ))
        .bind(ws.as_str().to_owned())
        .bind(conversation_id.to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn list_messages(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> Result<Page<MessageRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            sql.push(" AND conversation_id = ").bind(conversation_id.to_owned());
            if !filter.include_deleted {
                sql.push(" AND deleted = 0");
            }
            if let Some(after) = filter.after_seq {
                sql.push(" AND seq > ").bind(after);
            }
            if let Some(before) = filter.before_seq {
                sql.push(" AND seq < ").bind(before);
            }
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", message_columns!(), " FROM messages"),
            sort_column: "seq",
            id_column: "id",
            filters: &filters,
            map,
            key: |m| (m.seq, m.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Changes a message under the conversation's lock; `change` returns the event type to
    /// append (`None`: nothing changed, nothing written).
    pub async fn update_message(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        id: &str,
        actor: &Actor,
        now: i64,
        change: impl FnOnce(&mut MessageRow) -> Result<Option<EventKind>, Refusal>,
    ) -> Result<MessageRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut conversation = load_for_update(&mut tx, self.backend(), ws, conversation_id).await?;
        let mut message =
            find(&mut tx, conversation_id, id).await?.ok_or(StoreError::NotFound(Entity::Message))?;
        let Some(kind) = change(&mut message).map_err(StoreError::Refused)? else {
            return Ok(message);
        };
        message.updated_at = now;
        write(&mut tx, &message).await?;
        if message.deleted {
            // The thread's summaries must not keep showing deleted text.
            let mut shown = false;
            for summary in
                [&mut conversation.last_message, &mut conversation.previous_message].into_iter().flatten()
            {
                if summary.id == message.id {
                    summary.preview = "Message deleted".into();
                    shown = true;
                }
            }
            if shown {
                conversation.version += 1;
                conversation.updated_at = now;
                conversation_rows::write(&mut tx, ws, &conversation).await?;
            }
        }
        events::append(
            &mut tx,
            ws,
            kind,
            Subject::conversation(&conversation),
            actor,
            message_event(&conversation, &message),
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(message)
    }
}

impl MessageRow {
    /// Status moves for `PATCH …/messages/{id}`.
    pub fn set_status(
        &mut self,
        to: MessageStatus,
        reason: Option<String>,
    ) -> Result<Option<EventKind>, Refusal> {
        if self.status == to {
            return Ok(None);
        }
        if !rules::message_status_moves(self.status, to) {
            return Err(Refusal::StatusBackwards);
        }
        self.status = to;
        self.failure_reason = if to == MessageStatus::Failed { reason } else { None };
        Ok(Some(EventKind::MessageUpdated))
    }

    /// Soft delete: the row stays in the thread without its content.
    pub fn delete(&mut self) -> Result<Option<EventKind>, Refusal> {
        if self.deleted {
            return Ok(None);
        }
        self.deleted = true;
        self.content.clear();
        self.attachments.clear();
        Ok(Some(EventKind::MessageDeleted))
    }

    pub fn set_feedback(&mut self, feedback: Option<Feedback>) -> Result<Option<EventKind>, Refusal> {
        if self.sender_type != SenderType::Agent {
            return Err(Refusal::FeedbackNotOnAgentMessage);
        }
        if self.deleted {
            return Err(Refusal::MessageDeleted);
        }
        if self.feedback == feedback {
            return Ok(None);
        }
        self.feedback = feedback;
        Ok(Some(EventKind::MessageUpdated))
    }
}
