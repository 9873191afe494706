//! Tickets: a conversation escalated into tracked work, numbered per workspace.

use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::conversation_rows::{load_for_update, snapshot};
use super::conversations::next_number;
use super::events::{self, Actor, Subject};
use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId, conflict_as};
use crate::domain::event_kind::EventKind;
use crate::store::UniqueKey;

/// The fields of a ticket a caller sets.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TicketFields {
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TicketRow {
    pub id: String,
    pub number: i64,
    pub conversation_id: String,
    pub fields: TicketFields,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<String>,
    pub assignee_id: Option<String>,
    pub conversation_id: Option<String>,
}

macro_rules! ticket_columns {
    () => {
        "id, number, conversation_id, subject, status, priority, assignee_id, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<TicketRow, sqlx::Error> {
    Ok(TicketRow {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        conversation_id: row.try_get("conversation_id")?,
        fields: TicketFields {
            subject: row.try_get("subject")?,
            status: row.try_get("status")?,
            priority: row.try_get("priority")?,
            assignee_id: row.try_get("assignee_id")?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

/// The ticket as events carry it.
fn ticket_data(ticket: &TicketRow) -> Value {
    json!({"id": ticket.id, "number": ticket.number, "conversation_id": ticket.conversation_id,
        "subject": ticket.fields.subject, "status": ticket.fields.status,
        "priority": ticket.fields.priority, "assignee_id": ticket.fields.assignee_id})
}

impl Store {
    /// Opens the conversation's ticket (one per conversation: a second is a conflict).
    pub async fn create_ticket(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        id: &str,
        fields: &TicketFields,
        actor: &Actor,
        now: i64,
    ) -> Result<TicketRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut conversation = load_for_update(&mut tx, self.backend(), ws, conversation_id).await?;
        let number = next_number(&mut tx, ws, "ticket").await?;
        let row = sqlx::query(concat!(
            "INSERT INTO tickets (workspace_id, ",
            ticket_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1) RETURNING ",
            ticket_columns!()
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(number)
        .bind(conversation_id.to_owned())
        .bind(fields.subject.clone())
        .bind(fields.status.clone())
        .bind(fields.priority.clone())
        .bind(fields.assignee_id.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_as(e, UniqueKey::ConversationTicket))?;
        let ticket = map(&row)?;
        conversation.ticket = Some(crate::model::conversation::TicketRef {
            id: ticket.id.clone(),
            number,
            status: ticket.fields.status.clone(),
        });
        let data = json!({"ticket": ticket_data(&ticket), "conversation": snapshot(&conversation)});
        events::append(
            &mut tx,
            ws,
            EventKind::TicketCreated,
            Subject::conversation(&conversation),
            actor,
            data,
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(ticket)
    }

    pub async fn get_ticket(&self, ws: &WorkspaceId, id: &str) -> Result<Option<TicketRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    /// Tickets, newest first unless asked otherwise.
    pub async fn list_tickets(
        &self,
        ws: &WorkspaceId,
        filter: &TicketFilter,
        page: &PageRequest,
    ) -> Result<Page<TicketRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            sql.any_of("status", &filter.statuses);
            match filter.assignee_id.as_deref() {
                Some("none") => {
                    sql.push(" AND assignee_id IS NULL");
                }
                Some(member) => {
                    sql.push(" AND assignee_id = ").bind(member.to_owned());
                }
                None => {}
            }
            if let Some(conversation_id) = &filter.conversation_id {
                sql.push(" AND conversation_id = ").bind(conversation_id.clone());
            }
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", ticket_columns!(), " FROM tickets"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |t| (t.created_at, t.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Writes `fields` if the ticket is still at `expected_version`, with `ticket.updated`
    /// carrying what changed. Unchanged fields write nothing.
    pub async fn update_ticket(
        &self,
        ws: &WorkspaceId,
        current: &TicketRow,
        fields: &TicketFields,
        actor: &Actor,
        now: i64,
    ) -> Result<TicketRow, StoreError> {
        let before = serde_json::to_value(&current.fields).unwrap_or_default();
        let after = serde_json::to_value(fields).unwrap_or_default();
        let changes: serde_json::Map<String, Value> = after
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, value)| before.get(key.as_str()) != Some(*value))
            .map(|(key, value)| (key.clone(), json!([before.get(key.as_str()), value])))
            .collect();
        if changes.is_empty() {
            return Ok(current.clone());
        }
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "UPDATE tickets SET subject = $1, status = $2, priority = $3, assignee_id = $4, updated_at = $5, \
             version = version + 1 WHERE workspace_id = $6 AND id = $7 AND version = $8 RETURNING ",
            ticket_columns!()
        ))
        .bind(fields.subject.clone())
        .bind(fields.status.clone())
        .bind(fields.priority.clone())
        .bind(fields.assignee_id.clone())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(current.id.clone())
        .bind(current.version)
        .fetch_optional(&mut *tx)
        .await?;
        let ticket = row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)?;
        let conversation = load_for_update(&mut tx, self.backend(), ws, &ticket.conversation_id).await?;
        let data = json!({"ticket": ticket_data(&ticket), "conversation": snapshot(&conversation), "changes": changes});
        events::append(
            &mut tx,
            ws,
            EventKind::TicketUpdated,
            Subject::conversation(&conversation),
            actor,
            data,
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(ticket)
    }
}
