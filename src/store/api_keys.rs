//! API keys: stored as hashes with a short hint, looked up by hash (kept a moment per node),
//! revoked by marking them (`revoked_at`).

use std::time::Instant;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId};

/// A key about to be stored: only its hash and a short hint of the secret are kept.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub secret_hash: String,
    pub secret_hint: String,
    /// The channel a client key speaks for (its widget's allowed origins).
    pub channel_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub kind: String,
    pub secret_hint: String,
    pub channel_id: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What authentication needs to know about a presented key.
#[derive(Debug, Clone)]
pub struct KeyLookup {
    pub key_id: String,
    pub workspace_id: WorkspaceId,
    pub kind: String,
    pub secret_hash: String,
    pub last_used_at: Option<i64>,
}

macro_rules! api_key_columns {
    () => {
        "id, workspace_id, name, kind, secret_hint, channel_id, created_at, last_used_at"
    };
}

fn map(row: &AnyRow) -> Result<ApiKeyRow, sqlx::Error> {
    Ok(ApiKeyRow {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        secret_hint: row.try_get("secret_hint")?,
        channel_id: row.try_get("channel_id")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

pub(super) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ws: &WorkspaceId,
    key: &NewApiKey,
    now: i64,
) -> Result<ApiKeyRow, StoreError> {
    let row = sqlx::query(concat!(
        "INSERT INTO api_keys (id, workspace_id, name, kind, secret_hash, secret_hint, \
             created_at, channel_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
        api_key_columns!()
    ))
    .bind(key.id.clone())
    .bind(ws.as_str().to_owned())
    .bind(key.name.clone())
    .bind(key.kind.clone())
    .bind(key.secret_hash.clone())
    .bind(key.secret_hint.clone())
    .bind(now)
    .bind(key.channel_id.clone())
    .fetch_one(&mut **tx)
    .await?;
    Ok(map(&row)?)
}

impl Store {
    pub async fn create_api_key(
        &self,
        ws: &WorkspaceId,
        key: &NewApiKey,
        now: i64,
    ) -> Result<ApiKeyRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = insert(&mut tx, ws, key, now).await?;
        self.commit(tx).await?;
        Ok(row)
    }

    /// Finds a live key by the hash of its secret. The one lookup not scoped by workspace:
    /// it is how a request learns its workspace. Keys found are kept for a moment
    /// (`key_cache`), so a busy client's requests mostly skip the database.
    pub async fn find_key_by_hash(&self, secret_hash: &str) -> Result<Option<KeyLookup>, StoreError> {
        if let Some(key) = self.keys.get(secret_hash, Instant::now()) {
            return Ok(Some(key));
        }
        let generation = self.keys.generation();
        let read_at = Instant::now();
        let row = sqlx::query(
            "SELECT id, workspace_id, kind, secret_hash, last_used_at FROM api_keys \
             WHERE secret_hash = $1 AND revoked_at IS NULL",
        )
        .bind(secret_hash.to_owned())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let key = KeyLookup {
            key_id: row.try_get("id")?,
            workspace_id: WorkspaceId::trusted(row.try_get::<String, _>("workspace_id")?),
            kind: row.try_get("kind")?,
            secret_hash: row.try_get("secret_hash")?,
            last_used_at: row.try_get("last_used_at")?,
        };
        self.keys.put(generation, key.clone(), read_at);
        Ok(Some(key))
    }

    /// The channel a key speaks for, if it names one.
    pub async fn api_key_channel(
        &self,
        ws: &WorkspaceId,
        key_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let found: Option<Option<String>> =
            sqlx::query_scalar("SELECT channel_id FROM api_keys WHERE workspace_id = $1 AND id = $2")
                .bind(ws.as_str().to_owned())
                .bind(key_id.to_owned())
                .fetch_optional(self.reader())
                .await?;
        Ok(found.flatten())
    }

    /// Shows a key's use at `now` on its kept copy at once, ahead of `touch_api_key`, so the
    /// requests in between do not record the use again.
    pub fn key_used(&self, secret_hash: &str, now: i64) {
        self.keys.used(secret_hash, now);
    }

    pub async fn touch_api_key(&self, ws: &WorkspaceId, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE workspace_id = $2 AND id = $3")
            .bind(now)
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(self.writer())
            .await?;
        Ok(())
    }

    pub async fn get_api_key(&self, ws: &WorkspaceId, id: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            api_key_columns!(),
            " FROM api_keys WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn list_api_keys(
        &self,
        ws: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<ApiKeyRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            sql.push(" AND revoked_at IS NULL");
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", api_key_columns!(), " FROM api_keys"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |k| (k.created_at, k.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Revokes a key; it stops working at once on this node, and within
    /// `key_cache::FRESH` on others. False when there is no such live key.
    pub async fn revoke_api_key(&self, ws: &WorkspaceId, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE workspace_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .execute(self.writer())
        .await?;
        self.keys.forget_all();
        Ok(done.rows_affected() > 0)
    }
}
