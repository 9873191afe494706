//! Channels: where conversations come from (widget, email, WhatsApp, …), their agent,
//! outbound URL and allowed origins.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId};

#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    pub kind: String,
    pub name: String,
    pub agent_id: Option<String>,
    pub outbound_url: Option<String>,
    /// Origins whose pages may carry this channel's widget; empty: any.
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ChannelRow {
    pub id: String,
    pub fields: NewChannel,
    /// Signs what is sent to `outbound_url`.
    pub outbound_secret: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ChannelFilter {
    pub kinds: Vec<String>,
}

macro_rules! channel_columns {
    () => {
        "id, type, name, agent_id, outbound_url, allowed_origins, outbound_secret, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<ChannelRow, sqlx::Error> {
    Ok(ChannelRow {
        id: row.try_get("id")?,
        fields: NewChannel {
            kind: row.try_get("type")?,
            name: row.try_get("name")?,
            agent_id: row.try_get("agent_id")?,
            outbound_url: row.try_get("outbound_url")?,
            allowed_origins: origins(&row.try_get::<String, _>("allowed_origins")?),
        },
        outbound_secret: row.try_get("outbound_secret")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn origins(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn origins_json(origins: &[String]) -> String {
    serde_json::to_string(origins).unwrap_or_else(|_| "[]".into())
}

impl Store {
    pub async fn create_channel(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &NewChannel,
        outbound_secret: &str,
        now: i64,
    ) -> Result<ChannelRow, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO channels (id, workspace_id, type, name, agent_id, outbound_url, created_at, \
             updated_at, version, outbound_secret, allowed_origins) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1, $8, $9) \
             RETURNING ",
            channel_columns!()
        ))
        .bind(id.to_owned())
        .bind(ws.as_str().to_owned())
        .bind(fields.kind.clone())
        .bind(fields.name.clone())
        .bind(fields.agent_id.clone())
        .bind(fields.outbound_url.clone())
        .bind(now)
        .bind(outbound_secret.to_owned())
        .bind(origins_json(&fields.allowed_origins))
        .fetch_one(self.writer())
        .await?;
        Ok(map(&row)?)
    }

    /// Replaces the signing secret of `outbound_url` deliveries.
    pub async fn rotate_channel_secret(
        &self,
        ws: &WorkspaceId,
        id: &str,
        outbound_secret: &str,
        now: i64,
    ) -> Result<Option<ChannelRow>, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE channels SET outbound_secret = $1, updated_at = $2, version = version + 1 \
             WHERE workspace_id = $3 AND id = $4 RETURNING ",
            channel_columns!()
        ))
        .bind(outbound_secret.to_owned())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.writer())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn get_channel(&self, ws: &WorkspaceId, id: &str) -> Result<Option<ChannelRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn list_channels(
        &self,
        ws: &WorkspaceId,
        filter: &ChannelFilter,
        page: &PageRequest,
    ) -> Result<Page<ChannelRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            sql.any_of("type", &filter.kinds);
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", channel_columns!(), " FROM channels"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |c| (c.created_at, c.id.clone()),
        }
        .fetch(page)
        .await
    }

    pub async fn update_channel(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &NewChannel,
        expected_version: i64,
        now: i64,
    ) -> Result<ChannelRow, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE channels SET type = $1, name = $2, agent_id = $3, outbound_url = $4, updated_at = \
             $5, version = version + 1, allowed_origins = $9 WHERE workspace_id = $6 AND id = $7 AND version = $8 \
             RETURNING ",
            channel_columns!()
        ))
        .bind(fields.kind.clone())
        .bind(fields.name.clone())
        .bind(fields.agent_id.clone())
        .bind(fields.outbound_url.clone())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .bind(origins_json(&fields.allowed_origins))
        .fetch_optional(self.writer())
        .await?;
        row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)
    }

    pub async fn delete_channel(&self, ws: &WorkspaceId, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM channels WHERE workspace_id = $1 AND id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The id of the workspace's oldest channel of `kind`, if it has one.
    pub async fn first_channel_of_type(
        &self,
        ws: &WorkspaceId,
        kind: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM channels WHERE workspace_id = $1 AND type = $2 ORDER BY created_at, id LIMIT 1",
        )
        .bind(ws.as_str().to_owned())
        .bind(kind.to_owned())
        .fetch_optional(self.reader())
        .await?)
    }
}

impl Store {
    /// The origins a client key's channel allows its widget on (`None`: any, as for a key
    /// without a channel or a channel without a list).
    pub async fn client_key_origins(
        &self,
        ws: &WorkspaceId,
        key_id: &str,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let sql = "SELECT c.allowed_origins FROM api_keys k JOIN channels c ON c.id = k.channel_id \
                   WHERE k.workspace_id = $1 AND k.id = $2";
        self.allowed_origins(sql, ws, key_id).await
    }

    /// The `allowed_origins` of a channel (the one a contact token's session opened on).
    pub async fn channel_origins(
        &self,
        ws: &WorkspaceId,
        channel_id: &str,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let sql = "SELECT allowed_origins FROM channels WHERE workspace_id = $1 AND id = $2";
        self.allowed_origins(sql, ws, channel_id).await
    }

    /// The list `sql` (one `allowed_origins` column, for a workspace and an id) finds, when it
    /// names any origin.
    async fn allowed_origins(
        &self,
        sql: &'static str,
        ws: &WorkspaceId,
        id: &str,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let found: Option<String> = sqlx::query_scalar(sql)
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .fetch_optional(self.reader())
            .await?;
        Ok(found.map(|json| origins(&json)).filter(|o| !o.is_empty()))
    }
}
