//! Outbound deliveries: rows derived from the event log (`derive`), claimed under a lease by
//! one node's worker (`claim`), and the log of their attempts.

mod claim;
mod derive;

use sqlx::Row;
use sqlx::any::AnyRow;

pub use claim::{AfterAttempt, Attempt, Claimed, Outcome, Target};
pub(crate) use derive::derive;

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId};
use crate::ids;
use crate::store::Entity;

#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub number: i64,
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_body: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: String,
    pub target_id: String,
    pub event_id: String,
    pub event_type: String,
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub attempt_count: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub attempts: Vec<AttemptRow>,
}

macro_rules! delivery_columns {
    () => {
        "id, target_id, event_id, event_type, conversation_id, message_id, status, attempt_count, \
         next_attempt_at, last_status_code, last_error, created_at, updated_at"
    };
}

fn map(row: &AnyRow) -> Result<DeliveryRow, sqlx::Error> {
    Ok(DeliveryRow {
        id: row.try_get("id")?,
        target_id: row.try_get("target_id")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        conversation_id: row.try_get("conversation_id")?,
        message_id: row.try_get("message_id")?,
        status: row.try_get("status")?,
        attempt_count: row.try_get("attempt_count")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_status_code: row.try_get("last_status_code")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        attempts: Vec::new(),
    })
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub statuses: Vec<String>,
    pub event_types: Vec<String>,
}

/// What a manual retry found.
#[derive(Debug)]
pub enum Retry {
    Queued(Box<DeliveryRow>),
    /// A node is sending it right now.
    InFlight,
}

impl Store {
    /// A webhook endpoint's deliveries, newest first, each with its attempts.
    pub async fn list_deliveries(
        &self,
        ws: &WorkspaceId,
        webhook_id: &str,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<DeliveryRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ")
                .bind(ws.as_str().to_owned())
                .push(" AND target_id = ")
                .bind(webhook_id.to_owned());
            sql.any_of("status", &filter.statuses);
            sql.any_of("event_type", &filter.event_types);
        };
        let mut page = ListQuery {
            store: self,
            select: concat!("SELECT ", delivery_columns!(), " FROM deliveries"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |d| (d.created_at, d.id.clone()),
        }
        .fetch(page)
        .await?;
        self.attach_attempts(&mut page.items).await?;
        Ok(page)
    }

    pub async fn get_delivery(
        &self,
        ws: &WorkspaceId,
        webhook_id: &str,
        id: &str,
    ) -> Result<Option<DeliveryRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE workspace_id = $1 AND target_id = $2 AND id = $3"
        ))
        .bind(ws.as_str().to_owned())
        .bind(webhook_id.to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.writer())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut rows = vec![map(&row)?];
        self.attach_attempts(&mut rows).await?;
        Ok(rows.pop())
    }

    async fn attach_attempts(&self, deliveries: &mut [DeliveryRow]) -> Result<(), StoreError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = deliveries.iter().map(|d| d.id.clone()).collect();
        let mut sql = Sql::new(
            "SELECT delivery_id, number, attempted_at, status_code, latency_ms, error, response_body \
             FROM delivery_attempts WHERE 1 = 1",
        );
        sql.any_of("delivery_id", &ids);
        sql.push(" ORDER BY delivery_id, number");
        for row in sql.query()?.fetch_all(self.writer()).await? {
            let delivery_id: String = row.try_get("delivery_id")?;
            if let Some(delivery) = deliveries.iter_mut().find(|d| d.id == delivery_id) {
                delivery.attempts.push(AttemptRow {
                    number: row.try_get("number")?,
                    attempted_at: row.try_get("attempted_at")?,
                    status_code: row.try_get("status_code")?,
                    latency_ms: row.try_get("latency_ms")?,
                    error: row.try_get("error")?,
                    response_body: row.try_get("response_body")?,
                });
            }
        }
        Ok(())
    }

    /// Sends a delivery again now, whatever its status; a failed one gets a fresh schedule.
    pub async fn retry_delivery(
        &self,
        ws: &WorkspaceId,
        webhook_id: &str,
        id: &str,
        now: i64,
    ) -> Result<Option<Retry>, StoreError> {
        let updated = sqlx::query(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $1, updated_at = $1, \
             attempt_count = CASE WHEN status = 'pending' THEN attempt_count ELSE 0 END \
             WHERE workspace_id = $2 AND target_id = $3 AND id = $4 \
             AND (lease_until IS NULL OR lease_until <= $1)",
        )
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(webhook_id.to_owned())
        .bind(id.to_owned())
        .execute(self.writer())
        .await?;
        let found = self.get_delivery(ws, webhook_id, id).await?;
        self.wake.bump();
        Ok(match found {
            None => None,
            Some(_) if updated.rows_affected() == 0 => Some(Retry::InFlight),
            Some(row) => Some(Retry::Queued(Box::new(row))),
        })
    }

    /// Queues a `webhook.test` ping to one endpoint, outside the event log.
    pub async fn queue_test_delivery(
        &self,
        ws: &WorkspaceId,
        webhook_id: &str,
        payload: &serde_json::Value,
        now: i64,
    ) -> Result<DeliveryRow, StoreError> {
        let id = ids::new_id("dlv");
        let event_id = payload["id"].as_str().unwrap_or_default().to_owned();
        sqlx::query(
            "INSERT INTO deliveries (id, workspace_id, target_type, target_id, event_id, event_type, payload, \
             next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, 'webhook', $3, $4, 'webhook.test', $5, $6, $6, $6)",
        )
        .bind(id.clone())
        .bind(ws.as_str().to_owned())
        .bind(webhook_id.to_owned())
        .bind(event_id)
        .bind(payload.to_string())
        .bind(now)
        .execute(self.writer())
        .await?;
        self.wake.bump();
        self.get_delivery(ws, webhook_id, &id).await?.ok_or(StoreError::NotFound(Entity::Delivery))
    }

    /// Forgets finished deliveries (and their attempts) older than `before`.
    pub async fn purge_deliveries(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM deliveries WHERE status <> 'pending' AND updated_at < $1")
            .bind(before)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}
