//! Custom conversation states: a workspace's own workflow steps ("Waiting on warehouse").

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId, conflict_as};
use crate::store::UniqueKey;

#[derive(Debug, Clone, PartialEq)]
pub struct NewState {
    pub name: String,
    pub description: Option<String>,
    pub color: String,
    pub persistent: bool,
    /// Where the state sorts; `None` on create puts it last.
    pub position: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct StateRow {
    pub id: String,
    pub fields: NewState,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

macro_rules! state_columns {
    () => {
        "id, name, description, color, persistent, position, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<StateRow, sqlx::Error> {
    Ok(StateRow {
        id: row.try_get("id")?,
        fields: NewState {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            color: row.try_get("color")?,
            persistent: row.try_get::<i64, _>("persistent")? != 0,
            position: Some(row.try_get("position")?),
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

impl Store {
    pub async fn create_state(
        &self,
        ws: &WorkspaceId,
        id: &str,
        state: &NewState,
        now: i64,
    ) -> Result<StateRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let position = match state.position {
            Some(position) => position,
            None => {
                let last: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(position) FROM conversation_states WHERE workspace_id = $1",
                )
                .bind(ws.as_str().to_owned())
                .fetch_one(&mut *tx)
                .await?;
                last.map_or(0, |p| p + 1)
            }
        };
        let row = sqlx::query(concat!(
            "INSERT INTO conversation_states (workspace_id, name_key, ",
            state_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1) RETURNING ",
            state_columns!()
        ))
        .bind(ws.as_str().to_owned())
        .bind(state.name.to_lowercase())
        .bind(id.to_owned())
        .bind(state.name.clone())
        .bind(state.description.clone())
        .bind(state.color.clone())
        .bind(i64::from(state.persistent))
        .bind(position)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_as(e, UniqueKey::StateName))?;
        self.commit(tx).await?;
        Ok(map(&row)?)
    }

    pub async fn get_state(&self, ws: &WorkspaceId, id: &str) -> Result<Option<StateRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            state_columns!(),
            " FROM conversation_states WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    /// States in their `position` order.
    pub async fn list_states(
        &self,
        ws: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<StateRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", state_columns!(), " FROM conversation_states"),
            sort_column: "position",
            id_column: "id",
            filters: &filters,
            map,
            key: |s| (s.fields.position.unwrap_or_default(), s.id.clone()),
        }
        .fetch(page)
        .await
    }

    pub async fn update_state(
        &self,
        ws: &WorkspaceId,
        id: &str,
        state: &NewState,
        expected_version: i64,
        now: i64,
    ) -> Result<StateRow, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE conversation_states SET name = $1, name_key = $2, description = $3, color = $4, persistent = $5, \
             position = $6, updated_at = $7, version = version + 1 \
             WHERE workspace_id = $8 AND id = $9 AND version = $10 RETURNING ",
            state_columns!()
        ))
        .bind(state.name.clone())
        .bind(state.name.to_lowercase())
        .bind(state.description.clone())
        .bind(state.color.clone())
        .bind(i64::from(state.persistent))
        .bind(state.position.unwrap_or_default())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .fetch_optional(self.writer())
        .await
        .map_err(|e| conflict_as(e, UniqueKey::StateName))?;
        row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)
    }

    /// Deletes a state; conversations in it are left without a state.
    pub async fn delete_state(&self, ws: &WorkspaceId, id: &str, now: i64) -> Result<bool, StoreError> {
        self.delete_detaching(ws, "conversation_states", id, &[("conversations", "state_id")], now).await
    }
}
