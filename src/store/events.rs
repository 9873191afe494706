//! The append-only event log, written in the same transaction as the change it describes.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::conn::Conn;
use super::sql::{ListQuery, Page, PageRequest, Script, Sql, bind_row};
use super::{Backend, Store, StoreError, WorkspaceId};
use crate::domain::event_kind::EventKind;
use crate::ids;

pub use crate::model::event::EventRow;

/// Who caused a change: `member|api_key|contact|agent|system` and their id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: &'static str,
    pub id: Option<String>,
}

impl Actor {
    pub fn api_key(id: &str) -> Self {
        Actor { kind: "api_key", id: Some(id.to_owned()) }
    }
    pub fn member(id: &str) -> Self {
        Actor { kind: "member", id: Some(id.to_owned()) }
    }
    pub fn system() -> Self {
        Actor { kind: "system", id: None }
    }
    /// A contact, through the widget.
    pub fn contact(id: &str) -> Self {
        Actor { kind: "contact", id: Some(id.to_owned()) }
    }
    /// The AI agent answering.
    pub fn agent(id: &str) -> Self {
        Actor { kind: "agent", id: Some(id.to_owned()) }
    }
}

/// What an event is about: its conversation and the contact whose data it carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    pub conversation_id: Option<&'a str>,
    pub contact_id: Option<&'a str>,
}

impl<'a> Subject<'a> {
    pub fn conversation(row: &'a crate::model::conversation::ConversationRow) -> Self {
        Subject { conversation_id: Some(&row.id), contact_id: Some(&row.contact.id) }
    }
    pub fn contact(id: &'a str) -> Self {
        Subject { conversation_id: None, contact_id: Some(id) }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub kinds: Vec<String>,
    pub conversation_id: Option<String>,
}

fn map(row: &AnyRow) -> Result<EventRow, sqlx::Error> {
    let data: String = row.try_get("data")?;
    Ok(EventRow {
        position: row.try_get("position")?,
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        kind: row.try_get("type")?,
        conversation_id: row.try_get("conversation_id")?,
        actor_type: row.try_get("actor_type")?,
        actor_id: row.try_get("actor_id")?,
        data: serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        created_at: row.try_get("created_at")?,
    })
}

/// An event about to be appended.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub ws: WorkspaceId,
    pub kind: EventKind,
    pub conversation_id: Option<String>,
    pub contact_id: Option<String>,
    pub actor: Actor,
    /// The event's data as JSON text: serialized once, straight from what it describes.
    pub data: String,
    /// A reply to deliver to the conversation's channel: `(channel id, message id)`.
    pub reply: Option<(String, String)>,
    pub created_at: i64,
}

impl NewEvent {
    /// An event about a conversation (and so about its contact).
    pub fn about(
        ws: &WorkspaceId,
        kind: EventKind,
        conversation: &crate::model::conversation::ConversationRow,
        actor: &Actor,
        data: impl Serialize,
        now: i64,
    ) -> Self {
        NewEvent {
            ws: ws.clone(),
            kind,
            conversation_id: Some(conversation.id.clone()),
            contact_id: Some(conversation.contact.id.clone()),
            actor: actor.clone(),
            data: to_text(data),
            reply: None,
            created_at: now,
        }
    }
}

/// JSON text of an event's data (every type given here serializes infallibly).
fn to_text(data: impl Serialize) -> String {
    serde_json::to_string(&data).unwrap_or_else(|_| "null".into())
}

/// Appends one event inside the caller's transaction.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    kind: EventKind,
    subject: Subject<'_>,
    actor: &Actor,
    data: impl Serialize,
    now: i64,
) -> Result<(), StoreError> {
    let event = NewEvent {
        ws: ws.clone(),
        kind,
        conversation_id: subject.conversation_id.map(str::to_owned),
        contact_id: subject.contact_id.map(str::to_owned),
        actor: actor.clone(),
        data: to_text(data),
        reply: None,
        created_at: now,
    };
    append_all(conn, std::slice::from_ref(&event)).await
}

/// Appends events, in order, with one statement.
pub(crate) async fn append_all(conn: &mut AnyConnection, events: &[NewEvent]) -> Result<(), StoreError> {
    let mut script = conn.script();
    append_to(conn, &mut script, events).await?;
    conn.run(script).await
}

/// Adds the statements that append `events` to `script`; what they need to read (the
/// deliveries' targets) is read on `conn` now.
///
/// Readers resume the log by position, so within a workspace positions must become visible
/// in order. SQLite has one writer, so they do. On PostgreSQL a position is taken at insert
/// but seen at commit, so an event-writing transaction first takes its workspace's
/// transaction lock: positions are then taken in commit order.
pub(crate) async fn append_to(
    conn: &mut impl Conn,
    script: &mut Script,
    events: &[NewEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    if script.backend() == Backend::Postgres {
        let mut workspaces: Vec<&str> = events.iter().map(|e| e.ws.as_str()).collect();
        workspaces.sort_unstable();
        workspaces.dedup();
        // One round trip for both: the lock is held until the end of the commit, so every
        // statement after it is time other writers of the workspace wait. The notification
        // is sent at commit, to every node listening: their streams and deliveries wake.
        for ws in workspaces {
            script
                .statement("SELECT pg_advisory_xact_lock(hashtext(")
                .bind(ws.to_owned())
                .push(")), pg_notify(")
                .bind(super::wake::CHANNEL.to_owned())
                .push(", ")
                .bind(ws.to_owned())
                .push(")");
        }
    }
    let events: Vec<(String, &NewEvent)> = events.iter().map(|e| (ids::new_id("evt"), e)).collect();
    let sql = script.statement(
        "INSERT INTO events (id, workspace_id, type, conversation_id, contact_id, actor_type, actor_id, data, \
         created_at) VALUES ",
    );
    for (i, (id, event)) in events.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        bind_row!(
            sql,
            id.clone(),
            event.ws.as_str().to_owned(),
            event.kind.as_str().to_owned(),
            event.conversation_id.clone(),
            event.contact_id.clone(),
            event.actor.kind.to_owned(),
            event.actor.id.clone(),
            event.data.clone(),
            event.created_at,
        );
    }
    super::deliveries::derive(conn, script, &events).await
}

impl Store {
    /// The newest event of a workspace as `(position, id)`: where a live reader starts.
    pub async fn last_event(&self, ws: &WorkspaceId) -> Result<Option<(i64, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT position, id FROM events WHERE workspace_id = $1 ORDER BY position DESC LIMIT 1",
        )
        .bind(ws.as_str().to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.map(|r| Ok::<_, sqlx::Error>((r.try_get("position")?, r.try_get("id")?))).transpose()?)
    }

    /// The position of an event, to read the log after it.
    pub async fn event_position(&self, ws: &WorkspaceId, id: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT position FROM events WHERE workspace_id = $1 AND id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.try_get("position")).transpose()?)
    }

    pub async fn get_event(&self, ws: &WorkspaceId, id: &str) -> Result<Option<EventRow>, StoreError> {
        let row = sqlx::query(
            "SELECT position, id, workspace_id, type, conversation_id, actor_type, actor_id, data, created_at \
             FROM events WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    /// Up to `limit` events written after `after` (position, id), in order: how live
    /// readers follow the log.
    pub async fn events_after(
        &self,
        ws: &WorkspaceId,
        after: (i64, String),
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        let page =
            PageRequest { limit, after: Some(after), offset: None, include_total: false, descending: false };
        Ok(self.list_events(ws, &EventFilter::default(), &page).await?.items)
    }

    /// Events in the order they were written.
    pub async fn list_events(
        &self,
        ws: &WorkspaceId,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> Result<Page<EventRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            if let Some(conversation_id) = &filter.conversation_id {
                sql.push(" AND conversation_id = ").bind(conversation_id.clone());
            }
            sql.any_of("type", &filter.kinds);
        };
        ListQuery {
            store: self,
            select: "SELECT position, id, workspace_id, type, conversation_id, actor_type, actor_id, data, created_at FROM events",
            sort_column: "position",
            id_column: "id",
            filters: &filters,
            map,
            key: |e| (e.position, e.id.clone()),
        }
        .fetch(page)
        .await
    }
}
