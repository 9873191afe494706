//! Creating a conversation: its contact (looked up or created), its number, its first message.

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use super::ConversationRow;
use crate::domain::conversation::{Mode, Priority};
use crate::domain::event_kind::EventKind;
use crate::store::agents::resolve_answering_agent;
use crate::store::contacts::NewContact;
use crate::store::conversation_rows::{load_for_update, snapshot};
use crate::store::events::{self, Actor, Subject};
use crate::store::messages::{PostJob, Posted, post};
use crate::store::sql::{Sql, Value as SqlValue};
use crate::store::{Store, StoreError, UniqueKey, WorkspaceId};

/// How a new conversation names its contact.
#[derive(Debug, Clone)]
pub enum ContactSpec {
    Id(String),
    /// Looked up by email, then external id; created when neither matches (always created
    /// when it has neither: a contact known only by name or phone, or an anonymous one).
    Lookup(NewContact),
}

#[derive(Debug, Clone)]
pub struct NewConversation {
    pub contact: ContactSpec,
    pub channel_id: Option<String>,
    pub title: Option<String>,
    pub context: Option<String>,
    pub priority: Priority,
    pub custom_data: Map<String, Value>,
    pub state_id: Option<String>,
    /// The AI agent to answer; by default the channel's, else the workspace's first.
    pub agent_id: Option<String>,
    /// A first message `(id, message)`, posted in the same transaction.
    pub first_message: Option<(String, crate::store::messages::NewMessage)>,
}

impl NewConversation {
    /// A conversation with `contact` and nothing else said: normal priority, no title, no
    /// first message, the default agent. Set what differs with struct update syntax.
    pub fn for_contact(contact: ContactSpec) -> Self {
        NewConversation {
            contact,
            channel_id: None,
            title: None,
            context: None,
            priority: Priority::Normal,
            custom_data: Map::new(),
            state_id: None,
            agent_id: None,
            first_message: None,
        }
    }
}

/// The workspace's next number on `counter` (`conversation`, `ticket`): taken inside the
/// writing transaction, so numbers have no gaps and no duplicates.
pub(crate) async fn next_number(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    counter: &str,
) -> Result<i64, StoreError> {
    let value: i64 = sqlx::query_scalar(
        "INSERT INTO workspace_counters (workspace_id, name, value) VALUES ($1, $2, 1) \
         ON CONFLICT (workspace_id, name) DO UPDATE SET value = workspace_counters.value + 1 RETURNING value",
    )
    .bind(ws.as_str().to_owned())
    .bind(counter.to_owned())
    .fetch_one(conn)
    .await?;
    Ok(value)
}

/// Finds or creates the contact a new conversation names; appends `contact.created`.
async fn resolve_contact(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    spec: &ContactSpec,
    actor: &Actor,
    now: i64,
) -> Result<String, StoreError> {
    let fields = match spec {
        ContactSpec::Id(id) => {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM contacts WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.as_str().to_owned())
                    .bind(id.clone())
                    .fetch_optional(&mut *conn)
                    .await?;
            return found.ok_or(StoreError::InvalidReference("contact_id"));
        }
        ContactSpec::Lookup(fields) => fields,
    };
    if let Some(id) = find_contact(conn, ws, fields).await? {
        return Ok(id);
    }
    let id = crate::ids::new_id("ct");
    match crate::store::contacts::insert_if_absent(conn, ws, &id, fields, now).await? {
        Some(row) => {
            let data = json!({"contact": crate::model::contact::ContactOut::from_row(row)});
            events::append(conn, ws, EventKind::ContactCreated, Subject::contact(&id), actor, data, now)
                .await?;
            Ok(id)
        }
        // Another request created it since the lookup above (and has committed by now).
        None => find_contact(conn, ws, fields).await?.ok_or(StoreError::Conflict(match fields.email {
            Some(_) => UniqueKey::ContactEmail,
            None => UniqueKey::ContactExternalId,
        })),
    }
}

/// The contact with `fields`' email, or else with its `external_id`.
async fn find_contact(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    fields: &NewContact,
) -> Result<Option<String>, StoreError> {
    let keys = [("email", &fields.email), ("external_id", &fields.external_id)];
    for (column, value) in keys {
        let Some(value) = value else { continue };
        let sql = match column {
            "email" => "SELECT id FROM contacts WHERE workspace_id = $1 AND email = $2",
            _ => "SELECT id FROM contacts WHERE workspace_id = $1 AND external_id = $2",
        };
        let found: Option<String> = sqlx::query_scalar(sql)
            .bind(ws.as_str().to_owned())
            .bind(value.clone())
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

impl Store {
    /// Creates a conversation (and its contact, when looked up and missing). Without an AI
    /// agent to answer, it starts waiting for a human.
    pub async fn create_conversation(
        &self,
        ws: &WorkspaceId,
        id: &str,
        input: &NewConversation,
        actor: &Actor,
        now: i64,
    ) -> Result<ConversationRow, StoreError> {
        crate::store::retrying(|| self.create_conversation_once(ws, id, input, actor, now)).await
    }

    async fn create_conversation_once(
        &self,
        ws: &WorkspaceId,
        id: &str,
        input: &NewConversation,
        actor: &Actor,
        now: i64,
    ) -> Result<ConversationRow, StoreError> {
        let mut tx = self.begin_write().await?;
        // The workspace's counter row first: every write path takes its locks in the order
        // store/mod.rs gives, and the counter comes before the contacts' keys and the events.
        let number = next_number(&mut tx, ws, "conversation").await?;
        let contact_id = resolve_contact(&mut tx, ws, &input.contact, actor, now).await?;
        if let Some(channel_id) = &input.channel_id {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM channels WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.as_str().to_owned())
                    .bind(channel_id.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
            found.ok_or(StoreError::InvalidReference("channel_id"))?;
        }
        let agent =
            resolve_answering_agent(&mut tx, ws, input.agent_id.as_deref(), input.channel_id.as_deref())
                .await?;
        // With an AI agent it answers; without one the conversation waits for a human.
        let (mode, requested_at, requested_by, reason) = match &agent {
            Some(_) => (Mode::Ai, None, None, None),
            None => (
                Mode::HandoffRequested,
                Some(now),
                Some("system"),
                Some("No AI agent is configured to answer"),
            ),
        };
        let text = |s: &str| SqlValue::from(s.to_owned());
        let columns: Vec<(&str, SqlValue)> = vec![
            ("id", text(id)),
            ("workspace_id", text(ws.as_str())),
            ("number", number.into()),
            ("title", input.title.clone().into()),
            ("status", text("open")),
            ("mode", text(mode.as_str())),
            ("priority", text(input.priority.as_str())),
            ("priority_rank", input.priority.rank().into()),
            ("channel_id", input.channel_id.clone().into()),
            ("contact_id", text(&contact_id)),
            ("context", input.context.clone().into()),
            ("custom_data", Value::Object(input.custom_data.clone()).to_string().into()),
            ("state_id", input.state_id.clone().into()),
            ("handoff_requested_at", requested_at.into()),
            ("handoff_requested_by", requested_by.map(str::to_owned).into()),
            ("handoff_reason", reason.map(str::to_owned).into()),
            ("agent_id", agent.as_ref().map(|a| a.0.clone()).into()),
            ("agent_version_id", agent.map(|a| a.1).into()),
            ("last_message_at", now.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
            ("version", 1.into()),
        ];
        let mut sql = Sql::new("INSERT INTO conversations (");
        sql.push(&columns.iter().map(|(column, _)| *column).collect::<Vec<_>>().join(", "))
            .push(") VALUES (");
        for (i, (_, value)) in columns.into_iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind(value);
        }
        sql.push(")");
        sql.query()?.execute(&mut *tx).await?;
        let mut row = load_for_update(&mut tx, self.backend(), ws, id).await?;
        let data = json!({"conversation": snapshot(&row)});
        events::append(
            &mut tx,
            ws,
            EventKind::ConversationCreated,
            Subject::conversation(&row),
            actor,
            data,
            now,
        )
        .await?;
        if let Some((message_id, message)) = &input.first_message {
            let job = PostJob {
                ws: ws.clone(),
                conversation_id: row.id.clone(),
                id: message_id.clone(),
                input: message.clone(),
                actor: actor.clone(),
                now,
            };
            let loaded = [((ws.clone(), row.id.clone()), row.clone())].into();
            let posted = post(&mut *tx, loaded, std::slice::from_ref(&job)).await?;
            if let Some(Posted::Created { conversation, .. }) = posted.into_iter().next().transpose()? {
                row = *conversation;
            }
        }
        self.commit(tx).await?;
        Ok(row)
    }
}
