//! Teams: named groups of members that conversations can be assigned to.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId, conflict_as};
use crate::store::{Entity, UniqueKey};

#[derive(Debug, Clone)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    /// In member id order.
    pub member_ids: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// Team columns plus its members as one ordered, comma-joined list (member ids never
/// contain commas), so a page of teams is one query.
macro_rules! select_team {
    () => {
        "SELECT id, name, created_at, updated_at, version, \
         (SELECT COALESCE(STRING_AGG(member_id, ',' ORDER BY member_id), '') FROM team_members tm \
          WHERE tm.team_id = teams.id) AS member_list FROM teams"
    };
}

fn map(row: &AnyRow) -> Result<TeamRow, sqlx::Error> {
    let list: String = row.try_get("member_list")?;
    Ok(TeamRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        member_ids: list.split(',').filter(|id| !id.is_empty()).map(str::to_owned).collect(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

/// Replaces a team's members; every id must be a member of the workspace.
async fn set_members(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    team_id: &str,
    member_ids: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM team_members WHERE team_id = $1")
        .bind(team_id.to_owned())
        .execute(&mut *conn)
        .await?;
    for member_id in member_ids {
        let added = sqlx::query(
            "INSERT INTO team_members (team_id, member_id) SELECT $1, id FROM members \
             WHERE workspace_id = $2 AND id = $3",
        )
        .bind(team_id.to_owned())
        .bind(ws.as_str().to_owned())
        .bind(member_id.clone())
        .execute(&mut *conn)
        .await?;
        if added.rows_affected() == 0 {
            return Err(StoreError::InvalidReference("member_ids"));
        }
    }
    Ok(())
}

async fn fetch(conn: &mut AnyConnection, ws: &WorkspaceId, id: &str) -> Result<Option<TeamRow>, StoreError> {
    let row = sqlx::query(concat!(select_team!(), " WHERE workspace_id = $1 AND id = $2"))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(map).transpose()?)
}

impl Store {
    pub async fn create_team(
        &self,
        ws: &WorkspaceId,
        id: &str,
        name: &str,
        member_ids: &[String],
        now: i64,
    ) -> Result<TeamRow, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO teams (id, workspace_id, name, name_key, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $5, 1)",
        )
        .bind(id.to_owned())
        .bind(ws.as_str().to_owned())
        .bind(name.to_owned())
        .bind(name.to_lowercase())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_as(e, UniqueKey::TeamName))?;
        set_members(&mut tx, ws, id, member_ids).await?;
        let team = fetch(&mut tx, ws, id).await?.ok_or(StoreError::NotFound(Entity::Team))?;
        self.commit(tx).await?;
        Ok(team)
    }

    pub async fn get_team(&self, ws: &WorkspaceId, id: &str) -> Result<Option<TeamRow>, StoreError> {
        let mut conn = self.reader().acquire().await?;
        fetch(&mut conn, ws, id).await
    }

    pub async fn list_teams(
        &self,
        ws: &WorkspaceId,
        page: &PageRequest,
    ) -> Result<Page<TeamRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
        };
        ListQuery {
            store: self,
            select: select_team!(),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |t| (t.created_at, t.id.clone()),
        }
        .fetch(page)
        .await
    }

    pub async fn update_team(
        &self,
        ws: &WorkspaceId,
        id: &str,
        name: &str,
        member_ids: &[String],
        expected_version: i64,
        now: i64,
    ) -> Result<TeamRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE teams SET name = $1, name_key = $2, updated_at = $3, version = version + 1 \
             WHERE workspace_id = $4 AND id = $5 AND version = $6",
        )
        .bind(name.to_owned())
        .bind(name.to_lowercase())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_as(e, UniqueKey::TeamName))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::VersionMismatch);
        }
        set_members(&mut tx, ws, id, member_ids).await?;
        let team = fetch(&mut tx, ws, id).await?.ok_or(StoreError::NotFound(Entity::Team))?;
        self.commit(tx).await?;
        Ok(team)
    }

    /// Deletes a team; conversations assigned to it become unassigned from it.
    pub async fn delete_team(&self, ws: &WorkspaceId, id: &str, now: i64) -> Result<bool, StoreError> {
        self.delete_detaching(ws, "teams", id, &[("conversations", "team_id")], now).await
    }
}
