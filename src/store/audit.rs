//! The audit log: security-relevant changes and sign-ins (who, what, when, from where), kept
//! apart from the conversation event log. Written after the change it records; never carries
//! secrets.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Actor, Store, StoreError, WorkspaceId};

/// One entry to write.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// `api_key.created`, `member.role_changed`, `auth.sign_in_failed`, …
    pub action: &'static str,
    pub actor: Actor,
    /// The object acted on: `(type, id)`.
    pub target: Option<(&'static str, String)>,
    pub client_ip: Option<String>,
    /// What changed, without secrets.
    pub details: Value,
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: String,
    pub action: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub client_ip: Option<String>,
    pub details: Value,
    pub created_at: i64,
}

fn map(row: &AnyRow) -> Result<AuditRow, sqlx::Error> {
    let details: String = row.try_get("details")?;
    Ok(AuditRow {
        id: row.try_get("id")?,
        action: row.try_get("action")?,
        actor_type: row.try_get("actor_type")?,
        actor_id: row.try_get("actor_id")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        client_ip: row.try_get("client_ip")?,
        details: serde_json::from_str(&details).unwrap_or_default(),
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    pub async fn record_audit(
        &self,
        ws: &WorkspaceId,
        id: &str,
        entry: &AuditEntry,
        now: i64,
    ) -> Result<(), StoreError> {
        let (target_type, target_id) = entry.target.clone().unzip();
        sqlx::query(
            "INSERT INTO audit_log (id, workspace_id, action, actor_type, actor_id, target_type, target_id, \
             client_ip, details, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_owned())
        .bind(ws.as_str().to_owned())
        .bind(entry.action)
        .bind(entry.actor.kind)
        .bind(entry.actor.id.clone())
        .bind(target_type)
        .bind(target_id)
        .bind(entry.client_ip.clone())
        .bind(entry.details.to_string())
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Deletes entries written before `before`; returns how many.
    pub async fn purge_audit(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM audit_log WHERE created_at < $1")
            .bind(before)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }

    /// The audit log, newest first by default; `action` filters by exact action names.
    pub async fn list_audit(
        &self,
        ws: &WorkspaceId,
        actions: &[String],
        page: &PageRequest,
    ) -> Result<Page<AuditRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned()).any_of("action", actions);
        };
        ListQuery {
            store: self,
            select: "SELECT id, action, actor_type, actor_id, target_type, target_id, client_ip, details, \
                     created_at FROM audit_log",
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |r| (r.created_at, r.id.clone()),
        }
        .fetch(page)
        .await
    }
}
