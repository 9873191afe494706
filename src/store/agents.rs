//! AI agents and their versions. A version's settings are stored as written and never
//! change; publishing a version makes it the one new conversations pin.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId};
use crate::store::Entity;

#[derive(Debug, Clone, PartialEq)]
pub struct AgentFields {
    pub name: String,
    pub picture_url: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AgentRow {
    pub id: String,
    pub fields: AgentFields,
    pub current_version_id: String,
    pub current_version_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct AgentVersionRow {
    pub id: String,
    pub agent_id: String,
    pub number: i64,
    /// The version's settings, as validated by the API.
    pub settings: Value,
    pub created_at: i64,
}

macro_rules! agent_columns {
    () => {
        "id, name, picture_url, description, current_version_id, current_version_number, created_at, \
         updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<AgentRow, sqlx::Error> {
    Ok(AgentRow {
        id: row.try_get("id")?,
        fields: AgentFields {
            name: row.try_get("name")?,
            picture_url: row.try_get("picture_url")?,
            description: row.try_get("description")?,
        },
        current_version_id: row.try_get("current_version_id")?,
        current_version_number: row.try_get("current_version_number")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn map_version(row: &AnyRow) -> Result<AgentVersionRow, sqlx::Error> {
    let settings: String = row.try_get("settings")?;
    Ok(AgentVersionRow {
        id: row.try_get("id")?,
        agent_id: row.try_get("agent_id")?,
        number: row.try_get("number")?,
        settings: serde_json::from_str(&settings).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        created_at: row.try_get("created_at")?,
    })
}

async fn insert_version(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    agent_id: &str,
    id: &str,
    number: i64,
    settings: &Value,
    now: i64,
) -> Result<AgentVersionRow, StoreError> {
    let row = sqlx::query(
        "INSERT INTO agent_versions (id, workspace_id, agent_id, number, settings, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, agent_id, number, settings, created_at",
    )
    .bind(id.to_owned())
    .bind(ws.as_str().to_owned())
    .bind(agent_id.to_owned())
    .bind(number)
    .bind(settings.to_string())
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(map_version(&row)?)
}

/// The agent that answers a new conversation: the one asked for, else the channel's, else
/// the workspace's first agent. `(agent id, its current version id)`.
pub(crate) async fn resolve_answering_agent(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    asked: Option<&str>,
    channel_id: Option<&str>,
) -> Result<Option<(String, String)>, StoreError> {
    let mut sql = Sql::new("SELECT a.id, a.current_version_id FROM agents a WHERE a.workspace_id = ");
    sql.bind(ws.as_str().to_owned());
    if let Some(agent_id) = asked {
        sql.push(" AND a.id = ").bind(agent_id.to_owned());
    } else if let Some(channel_id) = channel_id {
        // The channel's agent first, then the workspace's first agent.
        sql.push(" ORDER BY CASE WHEN a.id = (SELECT agent_id FROM channels WHERE id = ")
            .bind(channel_id.to_owned())
            .push(") THEN 0 ELSE 1 END, a.created_at, a.id");
    } else {
        sql.push(" ORDER BY a.created_at, a.id");
    }
    sql.push(" LIMIT 1");
    let row = sql.query()?.fetch_optional(conn).await?;
    let found = row
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("current_version_id")?)))
        .transpose()?;
    if asked.is_some() && found.is_none() {
        return Err(StoreError::InvalidReference("agent_id"));
    }
    Ok(found)
}

impl Store {
    /// Creates an agent with its first version.
    pub async fn create_agent(
        &self,
        ws: &WorkspaceId,
        id: &str,
        version_id: &str,
        fields: &AgentFields,
        settings: &Value,
        now: i64,
    ) -> Result<AgentRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "INSERT INTO agents (workspace_id, ",
            agent_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, 1) RETURNING ",
            agent_columns!()
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(fields.name.clone())
        .bind(fields.picture_url.clone())
        .bind(fields.description.clone())
        .bind(version_id.to_owned())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_version(&mut tx, ws, id, version_id, 1, settings, now).await?;
        self.commit(tx).await?;
        Ok(map(&row)?)
    }

    pub async fn get_agent(&self, ws: &WorkspaceId, id: &str) -> Result<Option<AgentRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn list_agents(
        &self,
        ws: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<AgentRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", agent_columns!(), " FROM agents"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |a| (a.created_at, a.id.clone()),
        }
        .fetch(page)
        .await
    }

    pub async fn update_agent(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &AgentFields,
        expected_version: i64,
        now: i64,
    ) -> Result<AgentRow, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE agents SET name = $1, picture_url = $2, description = $3, updated_at = $4, \
             version = version + 1 WHERE workspace_id = $5 AND id = $6 AND version = $7 RETURNING ",
            agent_columns!()
        ))
        .bind(fields.name.clone())
        .bind(fields.picture_url.clone())
        .bind(fields.description.clone())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .fetch_optional(self.writer())
        .await?;
        row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)
    }

    /// Deletes an agent; channels and conversations it answered are left without one, and its
    /// knowledge articles become the workspace's shared ones.
    pub async fn delete_agent(&self, ws: &WorkspaceId, id: &str, now: i64) -> Result<bool, StoreError> {
        let referrers =
            [("channels", "agent_id"), ("conversations", "agent_id"), ("knowledge_articles", "agent_id")];
        self.delete_detaching(ws, "agents", id, &referrers, now).await
    }

    /// Adds the agent's next version; `publish` makes it current.
    pub async fn create_agent_version(
        &self,
        ws: &WorkspaceId,
        agent_id: &str,
        id: &str,
        settings: &Value,
        publish: bool,
        now: i64,
    ) -> Result<AgentVersionRow, StoreError> {
        let mut tx = self.begin_write().await?;
        // Taking the row first serialises concurrent versions of one agent.
        let taken = sqlx::query("UPDATE agents SET updated_at = $1 WHERE workspace_id = $2 AND id = $3")
            .bind(now)
            .bind(ws.as_str().to_owned())
            .bind(agent_id.to_owned())
            .execute(&mut *tx)
            .await?;
        if taken.rows_affected() == 0 {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let last: i64 = sqlx::query_scalar("SELECT MAX(number) FROM agent_versions WHERE agent_id = $1")
            .bind(agent_id.to_owned())
            .fetch_one(&mut *tx)
            .await?;
        let version = insert_version(&mut tx, ws, agent_id, id, last + 1, settings, now).await?;
        if publish {
            sqlx::query(
                "UPDATE agents SET current_version_id = $1, current_version_number = $2, version = version + 1 \
                 WHERE id = $3",
            )
            .bind(version.id.clone())
            .bind(version.number)
            .bind(agent_id.to_owned())
            .execute(&mut *tx)
            .await?;
        }
        self.commit(tx).await?;
        Ok(version)
    }

    pub async fn list_agent_versions(
        &self,
        ws: &WorkspaceId,
        agent_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AgentVersionRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            sql.push(" AND agent_id = ").bind(agent_id.to_owned());
        };
        ListQuery {
            store: self,
            select: "SELECT id, agent_id, number, settings, created_at FROM agent_versions",
            sort_column: "number",
            id_column: "id",
            filters: &filters,
            map: map_version,
            key: |v| (v.number, v.id.clone()),
        }
        .fetch(page)
        .await
    }
}

impl Store {
    /// The name and greeting of the agent that answers a channel's new conversations (the
    /// channel's agent, else the workspace's first), for the widget to show.
    pub async fn greeting_agent(
        &self,
        ws: &WorkspaceId,
        channel_id: Option<&str>,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let row = sqlx::query(
            "SELECT a.name, v.settings FROM agents a JOIN agent_versions v ON v.id = a.current_version_id \
             WHERE a.workspace_id = $1 \
             ORDER BY CASE WHEN a.id = (SELECT agent_id FROM channels WHERE workspace_id = $1 AND id = $2) \
             THEN 0 ELSE 1 END, a.created_at, a.id LIMIT 1",
        )
        .bind(ws.as_str().to_owned())
        .bind(channel_id.unwrap_or_default().to_owned())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let settings: Value =
            serde_json::from_str(&row.try_get::<String, _>("settings")?).unwrap_or_default();
        let greeting = settings["greeting"].as_str().map(str::to_owned);
        Ok(Some((row.try_get("name")?, greeting)))
    }
}
