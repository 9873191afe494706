//! A conversation's row as the store reads and writes it: the one SELECT, decoding, locking
//! for update, writing back, its snapshot for events and the lifecycle changes made to it in
//! memory. The operations on conversations (`conversations`) and posting (`messages`) share
//! these, so neither imports the other's.

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::AnyConnection;

use super::events::{self, Actor, Subject};
use super::sql::{Sql, Value as SqlValue};
use super::{Backend, StoreError, WorkspaceId};
use crate::domain::control::Transition;
use crate::domain::conversation::{Mode, Priority, SenderType, Status};
use crate::domain::event_kind::EventKind;
use crate::model::conversation::{
    AgentRef, ChannelRef, ContactRef, ConversationOut, ConversationRow, Handoff, MessageSummary, TicketRef,
};
use crate::store::Entity;

/// The SELECT every conversation read uses (as a macro so `concat!` keeps SQL static).
macro_rules! select_conversation {
    () => {
        "SELECT c.id, c.number, c.title, c.status, c.mode, c.priority, c.channel_id, \
         ch.type AS channel_type, ch.name AS channel_name, c.contact_id, ct.name AS contact_name, \
         ct.email AS contact_email, ct.phone AS contact_phone, ct.external_id AS contact_external_id, \
         ct.blocked AS contact_blocked, c.agent_id, c.agent_version_id, c.assignee_id, c.team_id, \
         c.state_id, c.summary, c.context, c.sentiment_score, c.rating, c.rating_comment, c.custom_data, \
         c.handoff_requested_at, c.handoff_requested_by, c.handoff_reason, c.handoff_started_at, \
         c.handoff_member_id, c.last_message_id, c.last_message_preview, c.last_message_sender_type, \
         c.last_message_at, c.prev_message_id, c.prev_message_preview, c.prev_message_sender_type, \
         c.prev_message_at, c.message_count, c.unread_count, c.first_response_at, c.human_started_at, \
         c.snoozed_until, c.resolved_at, c.closed_at, c.removed, c.created_at, c.updated_at, c.version, c.tags, \
         c.priority_rank, t.id AS ticket_id, t.number AS ticket_number, t.status AS ticket_status, \
         ag.name AS agent_name, ag.picture_url AS agent_picture_url, agv.number AS agent_version_number \
         FROM conversations c JOIN contacts ct ON ct.id = c.contact_id \
         LEFT JOIN channels ch ON ch.id = c.channel_id LEFT JOIN tickets t ON t.conversation_id = c.id \
         LEFT JOIN agents ag ON ag.id = c.agent_id LEFT JOIN agent_versions agv ON agv.id = c.agent_version_id"
    };
}
pub(crate) use select_conversation;

/// A change a mutation made, for the event log: `(event type, changes)`.
pub type Change = (EventKind, Value);

fn parse<T>(text: String, parse: fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
    parse(&text).ok_or_else(|| sqlx::Error::Decode(format!("unexpected value {text:?}").into()))
}

fn summary(
    row: &impl super::conn::Columns,
    prefix: &str,
    at: &str,
) -> Result<Option<MessageSummary>, sqlx::Error> {
    let id: Option<String> = row.try_get(format!("{prefix}_message_id").as_str())?;
    let Some(id) = id else { return Ok(None) };
    Ok(Some(MessageSummary {
        id,
        preview: row
            .try_get::<Option<String>, _>(format!("{prefix}_message_preview").as_str())?
            .unwrap_or_default(),
        sender_type: parse(
            row.try_get(format!("{prefix}_message_sender_type").as_str())?,
            SenderType::parse,
        )?,
        created_at: row.try_get::<Option<i64>, _>(at)?.unwrap_or_default(),
    }))
}

pub(crate) fn map(row: &impl super::conn::Columns) -> Result<ConversationRow, sqlx::Error> {
    let custom_data: String = row.try_get("custom_data")?;
    let channel_id: Option<String> = row.try_get("channel_id")?;
    let channel_type: Option<String> = row.try_get("channel_type")?;
    let channel = match (channel_id, channel_type) {
        (Some(id), Some(kind)) => Some(ChannelRef { id, kind, name: row.try_get("channel_name")? }),
        _ => None,
    };
    Ok(ConversationRow {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        title: row.try_get("title")?,
        status: parse(row.try_get("status")?, Status::parse)?,
        mode: parse(row.try_get("mode")?, Mode::parse)?,
        priority: parse(row.try_get("priority")?, Priority::parse)?,
        channel,
        contact: ContactRef {
            id: row.try_get("contact_id")?,
            name: row.try_get("contact_name")?,
            email: row.try_get("contact_email")?,
            phone: row.try_get("contact_phone")?,
            external_id: row.try_get("contact_external_id")?,
            blocked: row.try_get::<i64, _>("contact_blocked")? != 0,
        },
        agent_id: row.try_get("agent_id")?,
        agent_version_id: row.try_get("agent_version_id")?,
        assignee_id: row.try_get("assignee_id")?,
        team_id: row.try_get("team_id")?,
        state_id: row.try_get("state_id")?,
        tags: serde_json::from_str(&row.try_get::<String, _>("tags")?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        summary: row.try_get("summary")?,
        context: row.try_get("context")?,
        sentiment_score: row.try_get("sentiment_score")?,
        rating: row.try_get("rating")?,
        rating_comment: row.try_get("rating_comment")?,
        custom_data: serde_json::from_str(&custom_data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        handoff: Handoff {
            requested_at: row.try_get("handoff_requested_at")?,
            requested_by: row.try_get("handoff_requested_by")?,
            reason: row.try_get("handoff_reason")?,
            started_at: row.try_get("handoff_started_at")?,
            member_id: row.try_get("handoff_member_id")?,
        },
        last_message: summary(row, "last", "last_message_at")?,
        previous_message: summary(row, "prev", "prev_message_at")?,
        last_message_at: row.try_get("last_message_at")?,
        message_count: row.try_get("message_count")?,
        unread_count: row.try_get("unread_count")?,
        first_response_at: row.try_get("first_response_at")?,
        human_started_at: row.try_get("human_started_at")?,
        snoozed_until: row.try_get("snoozed_until")?,
        resolved_at: row.try_get("resolved_at")?,
        closed_at: row.try_get("closed_at")?,
        removed: row.try_get::<i64, _>("removed")? != 0,
        agent: match row.try_get::<Option<String>, _>("agent_name")? {
            Some(name) => Some(AgentRef {
                name,
                picture_url: row.try_get("agent_picture_url")?,
                version_number: row.try_get("agent_version_number")?,
            }),
            None => None,
        },
        ticket: match row.try_get::<Option<String>, _>("ticket_id")? {
            Some(id) => Some(TicketRef {
                id,
                number: row.try_get("ticket_number")?,
                status: row.try_get("ticket_status")?,
            }),
            None => None,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

/// The conversation as events carry it.
pub(crate) fn snapshot(row: &ConversationRow) -> ConversationOut {
    ConversationOut::from(row)
}

/// A `conversation.*` event's data: the conversation as it now is, and what changed
/// (`{"field": [before, after]}`).
#[derive(Serialize)]
pub(crate) struct Changed<T: Serialize> {
    pub conversation: ConversationOut,
    pub changes: T,
}

impl<T: Serialize> Changed<T> {
    pub fn new(row: &ConversationRow, changes: T) -> Self {
        Changed { conversation: snapshot(row), changes }
    }
}

/// The changes of a hand-off: the mode before and after.
#[derive(Serialize)]
pub(crate) struct ModeChange {
    pub mode: [Mode; 2],
}

/// Reads a conversation inside a transaction, locking its row on PostgreSQL (SQLite has one
/// writer, so the transaction already excludes other writers).
pub(crate) async fn load_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    ws: &WorkspaceId,
    id: &str,
) -> Result<ConversationRow, StoreError> {
    let sql = match backend {
        Backend::Postgres => {
            concat!(select_conversation!(), " WHERE c.workspace_id = $1 AND c.id = $2 FOR UPDATE OF c")
        }
        Backend::Sqlite => concat!(select_conversation!(), " WHERE c.workspace_id = $1 AND c.id = $2"),
    };
    let row = sqlx::query(sql).bind(ws.as_str().to_owned()).bind(id.to_owned()).fetch_optional(conn).await?;
    row.as_ref().map(map).transpose()?.ok_or(StoreError::NotFound(Entity::Conversation))
}

/// Reads several conversations of one workspace inside a transaction, locking their rows on
/// PostgreSQL (in id order, so two transactions never wait on each other crosswise).
pub(crate) async fn load_many_for_update(
    conn: &mut impl super::conn::Conn,
    backend: Backend,
    ws: &WorkspaceId,
    ids: &[String],
) -> Result<Vec<ConversationRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new()); // `IN ()` is not SQL
    }
    let mut sql = super::sql::Sql::new(select_conversation!());
    match backend {
        // One text for any number of ids, prepared once by the post writer; and no term whose
        // plan could depend on its value (with STAT4 statistics SQLite re-plans such a
        // statement whenever it is bound again): the `+` and the JSON array leave the ids'
        // unique index as the only way in.
        Backend::Sqlite => {
            sql.push(" WHERE +c.workspace_id = ").bind(ws.as_str().to_owned());
            let ids = serde_json::to_string(ids).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            sql.push(" AND c.id IN (SELECT value FROM json_each(").bind(ids).push("))");
        }
        Backend::Postgres => {
            sql.push(" WHERE c.workspace_id = ").bind(ws.as_str().to_owned()).push(" AND c.id IN (");
            sql.list(ids).push(") ORDER BY c.id FOR UPDATE OF c");
        }
    }
    let rows = conn.fetch_all(sql).await?;
    Ok(rows.iter().map(map).collect::<Result<_, _>>()?)
}

/// Every column `write()` stores, and its value in `row`: a new mutable column is one line
/// here (and one in `select_conversation!` and `map`).
fn stored_columns(row: &ConversationRow) -> Vec<(&'static str, SqlValue)> {
    let summary = |m: &Option<MessageSummary>| {
        let m = m.as_ref();
        (
            m.map(|m| m.id.clone()),
            m.map(|m| m.preview.clone()),
            m.map(|m| m.sender_type.as_str().to_owned()),
            m.map(|m| m.created_at),
        )
    };
    let (last_id, last_preview, last_sender, _) = summary(&row.last_message);
    let (prev_id, prev_preview, prev_sender, prev_at) = summary(&row.previous_message);
    let text = |s: &str| SqlValue::from(s.to_owned());
    vec![
        ("title", row.title.clone().into()),
        ("status", text(row.status.as_str())),
        ("mode", text(row.mode.as_str())),
        ("priority", text(row.priority.as_str())),
        ("priority_rank", row.priority.rank().into()),
        ("assignee_id", row.assignee_id.clone().into()),
        ("team_id", row.team_id.clone().into()),
        ("state_id", row.state_id.clone().into()),
        ("summary", row.summary.clone().into()),
        ("context", row.context.clone().into()),
        ("sentiment_score", row.sentiment_score.into()),
        ("rating", row.rating.into()),
        ("rating_comment", row.rating_comment.clone().into()),
        ("custom_data", Value::Object(row.custom_data.clone()).to_string().into()),
        ("tags", serde_json::to_string(&row.tags).unwrap_or_else(|_| "[]".into()).into()),
        ("handoff_requested_at", row.handoff.requested_at.into()),
        ("handoff_requested_by", row.handoff.requested_by.clone().into()),
        ("handoff_reason", row.handoff.reason.clone().into()),
        ("handoff_started_at", row.handoff.started_at.into()),
        ("handoff_member_id", row.handoff.member_id.clone().into()),
        ("last_message_id", last_id.into()),
        ("last_message_preview", last_preview.into()),
        ("last_message_sender_type", last_sender.into()),
        ("last_message_at", row.last_message_at.into()),
        ("prev_message_id", prev_id.into()),
        ("prev_message_preview", prev_preview.into()),
        ("prev_message_sender_type", prev_sender.into()),
        ("prev_message_at", prev_at.into()),
        ("message_count", row.message_count.into()),
        ("unread_count", row.unread_count.into()),
        ("first_response_at", row.first_response_at.into()),
        ("human_started_at", row.human_started_at.into()),
        ("snoozed_until", row.snoozed_until.into()),
        ("resolved_at", row.resolved_at.into()),
        ("closed_at", row.closed_at.into()),
        ("removed", i64::from(row.removed).into()),
        ("agent_id", row.agent_id.clone().into()),
        ("agent_version_id", row.agent_version_id.clone().into()),
        ("updated_at", row.updated_at.into()),
        ("version", row.version.into()),
    ]
}

/// Writes every mutable column of `row` (the caller has bumped `version` and `updated_at`).
pub(crate) async fn write(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    row: &ConversationRow,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE conversations SET ");
    for (i, (column, value)) in stored_columns(row).into_iter().enumerate() {
        sql.push(if i == 0 { "" } else { ", " }).push(column).push(" = ").bind(value);
    }
    sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned()).push(" AND id = ").bind(row.id.clone());
    sql.query()?.execute(conn).await?;
    Ok(())
}

/// Appends `conversation.*` events with the conversation as it is now.
pub(crate) async fn append_changes(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    row: &ConversationRow,
    actor: &Actor,
    changes: Vec<Change>,
    now: i64,
) -> Result<(), StoreError> {
    for (kind, change) in changes {
        events::append(conn, ws, kind, Subject::conversation(row), actor, Changed::new(row, change), now)
            .await?;
    }
    Ok(())
}

impl ConversationRow {
    /// Moves to status `to`, keeping the lifecycle timestamps right. `None` when nothing changes.
    pub fn set_status(
        &mut self,
        to: Status,
        snoozed_until: Option<i64>,
        now: i64,
    ) -> Result<Option<Change>, crate::domain::conversation::Refusal> {
        let snooze = if to == Status::Snoozed { snoozed_until } else { None };
        if self.status == to && self.snoozed_until == snooze {
            return Ok(None);
        }
        let (before, snoozed_before) = (self.status, self.snoozed_until);
        crate::domain::conversation::change_status(before, to, snooze, now)?;
        self.status = to;
        self.snoozed_until = snooze;
        match to {
            Status::Resolved => self.resolved_at = Some(now),
            Status::Closed => self.closed_at = Some(now),
            Status::Open | Status::Pending | Status::Snoozed => self.resolved_at = None,
        }
        if before == to {
            return Ok(Some((
                EventKind::ConversationUpdated,
                json!({"snoozed_until": [snoozed_before, snooze]}),
            )));
        }
        Ok(Some((EventKind::ConversationStatusChanged, json!({"status": [before, to]}))))
    }

    /// Soft removal (hidden from lists) and its undo.
    pub fn set_removed(&mut self, removed: bool) -> Option<Change> {
        if self.removed == removed {
            return None;
        }
        self.removed = removed;
        let kind = if removed { EventKind::ConversationRemoved } else { EventKind::ConversationRestored };
        Some((kind, json!({"removed": [!removed, removed]})))
    }
}

/// Applies `transition` to the row in memory: mode, handoff fields, assignee, timestamps.
/// Returns the text of the `system` message that records it in the thread.
pub(crate) fn apply_transition(
    row: &mut ConversationRow,
    transition: Transition,
    member: Option<String>,
    requested: Option<(String, Option<String>)>,
    now: i64,
) -> &'static str {
    row.mode = transition.to;
    row.version += 1;
    row.updated_at = now;
    match transition.to {
        Mode::HandoffRequested => {
            let (by, reason) = requested.unwrap_or_else(|| ("api".into(), None));
            row.handoff = Handoff {
                requested_at: Some(now),
                requested_by: Some(by),
                reason,
                started_at: None,
                member_id: None,
            };
            "A human agent was asked to join the conversation"
        }
        Mode::Human => {
            row.handoff.started_at = Some(now);
            if member.is_some() {
                row.assignee_id.clone_from(&member);
            }
            row.handoff.member_id = member;
            row.human_started_at.get_or_insert(now);
            "A human agent joined the conversation"
        }
        Mode::Ai => {
            row.handoff = Handoff::default();
            "The AI assistant is answering again"
        }
    }
}
