//! Webhook endpoints: where a workspace's events are delivered, and the secret that signs them.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId};
use crate::domain::event_kind::EventKind;

/// The names an endpoint's events carry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventNames {
    /// Baton's own: `conversation.handoff_started`, `message.created`, …
    #[default]
    Native,
    /// Seed 000's: `agent.handoff_started` and `agent.handoff_completed`, with the chat.
    Chats,
}

impl EventNames {
    pub fn as_str(self) -> &'static str {
        match self {
            EventNames::Native => "native",
            EventNames::Chats => "chats",
        }
    }

    pub fn parse(text: &str) -> Self {
        if text == "chats" { EventNames::Chats } else { EventNames::Native }
    }

    /// The name this endpoint knows native event `kind` by, if it receives it at all.
    pub fn name_of(self, kind: EventKind) -> Option<&'static str> {
        match (self, kind) {
            (EventNames::Native, kind) => Some(kind.as_str()),
            (EventNames::Chats, EventKind::HandoffStarted) => Some("agent.handoff_started"),
            (EventNames::Chats, EventKind::HandoffCompleted) => Some("agent.handoff_completed"),
            (EventNames::Chats, _) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookFields {
    pub url: String,
    pub description: Option<String>,
    /// Event types delivered; empty: all.
    pub events: Vec<String>,
    pub event_names: EventNames,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub id: String,
    pub fields: WebhookFields,
    pub secret: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

macro_rules! webhook_columns {
    () => {
        "id, url, description, events, event_names, enabled, disabled_reason, secret, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<WebhookRow, sqlx::Error> {
    let events: String = row.try_get("events")?;
    Ok(WebhookRow {
        id: row.try_get("id")?,
        fields: WebhookFields {
            url: row.try_get("url")?,
            description: row.try_get("description")?,
            events: serde_json::from_str(&events).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            event_names: EventNames::parse(&row.try_get::<String, _>("event_names")?),
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            disabled_reason: row.try_get("disabled_reason")?,
        },
        secret: row.try_get("secret")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn events_json(events: &[String]) -> String {
    serde_json::to_string(events).unwrap_or_else(|_| "[]".into())
}

impl Store {
    pub async fn create_webhook(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &WebhookFields,
        secret: &str,
        now: i64,
    ) -> Result<WebhookRow, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO webhook_endpoints (workspace_id, ",
            webhook_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $10, $6, $7, $8, $9, $9, 1) RETURNING ",
            webhook_columns!()
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(fields.url.clone())
        .bind(fields.description.clone())
        .bind(events_json(&fields.events))
        .bind(i64::from(fields.enabled))
        .bind(fields.disabled_reason.clone())
        .bind(secret.to_owned())
        .bind(now)
        .bind(fields.event_names.as_str())
        .fetch_one(self.writer())
        .await?;
        Ok(map(&row)?)
    }

    pub async fn get_webhook(&self, ws: &WorkspaceId, id: &str) -> Result<Option<WebhookRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            webhook_columns!(),
            " FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn list_webhooks(
        &self,
        ws: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<WebhookRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", webhook_columns!(), " FROM webhook_endpoints"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |w| (w.created_at, w.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Writes `fields` (and a new `secret`, if given) if the endpoint is still at `expected_version`.
    pub async fn update_webhook(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &WebhookFields,
        secret: Option<&str>,
        expected_version: i64,
        now: i64,
    ) -> Result<WebhookRow, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE webhook_endpoints SET url = $1, description = $2, events = $3, enabled = $4, \
             disabled_reason = $5, secret = COALESCE($6, secret), updated_at = $7, version = version + 1, \
             event_names = $11, \
             failing_since = CASE WHEN $4 = 1 AND enabled = 0 THEN NULL ELSE failing_since END \
             WHERE workspace_id = $8 AND id = $9 AND version = $10 RETURNING ",
            webhook_columns!()
        ))
        .bind(fields.url.clone())
        .bind(fields.description.clone())
        .bind(events_json(&fields.events))
        .bind(i64::from(fields.enabled))
        .bind(fields.disabled_reason.clone())
        .bind(secret.map(str::to_owned))
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .bind(fields.event_names.as_str())
        .fetch_optional(self.writer())
        .await?;
        row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)
    }

    /// Deletes the endpoint with its deliveries and their attempts.
    pub async fn delete_webhook(&self, ws: &WorkspaceId, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM deliveries WHERE workspace_id = $1 AND target_id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(done.rows_affected() > 0)
    }
}
