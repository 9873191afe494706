//! Workspaces (tenants): creation with their first key, and the first start's bootstrap.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::api_keys::{self, ApiKeyRow, NewApiKey};
use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId};

#[derive(Debug, Clone)]
pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

macro_rules! workspace_columns {
    () => {
        "id, name, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<WorkspaceRow, sqlx::Error> {
    Ok(WorkspaceRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

impl Store {
    /// Creates a workspace and its first server key in one transaction.
    pub async fn create_workspace(
        &self,
        id: &str,
        name: &str,
        key: &NewApiKey,
        now: i64,
    ) -> Result<(WorkspaceRow, ApiKeyRow), StoreError> {
        let mut tx = self.begin_write().await?;
        let workspace = insert_workspace(&mut tx, id, name, now).await?;
        let ws = WorkspaceId::trusted(id);
        let key = api_keys::insert(&mut tx, &ws, key, now).await?;
        self.commit(tx).await?;
        Ok((workspace, key))
    }

    /// On a database that has never been bootstrapped, creates the "Default" workspace and
    /// its first server key. Exactly one caller ever gets `Some`, even with several nodes
    /// starting at once, so the key is printed once.
    pub async fn bootstrap(
        &self,
        id: &str,
        key: &NewApiKey,
        now: i64,
    ) -> Result<Option<(WorkspaceRow, ApiKeyRow)>, StoreError> {
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('bootstrapped', '1') ON CONFLICT DO NOTHING",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(None);
        }
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces").fetch_one(&mut *tx).await?;
        if existing > 0 {
            self.commit(tx).await?;
            return Ok(None);
        }
        let workspace = insert_workspace(&mut tx, id, "Default", now).await?;
        let key = api_keys::insert(&mut tx, &WorkspaceId::trusted(id), key, now).await?;
        self.commit(tx).await?;
        Ok(Some((workspace, key)))
    }

    pub async fn get_workspace(&self, ws: &WorkspaceId) -> Result<Option<WorkspaceRow>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", workspace_columns!(), " FROM workspaces WHERE id = $1"))
            .bind(ws.as_str().to_owned())
            .fetch_optional(self.reader())
            .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn list_workspaces(&self, page: &PageRequest) -> Result<Page<WorkspaceRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE 1 = 1");
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", workspace_columns!(), " FROM workspaces"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |w| (w.created_at, w.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Renames a workspace if it is still at `expected_version`.
    pub async fn update_workspace(
        &self,
        ws: &WorkspaceId,
        name: &str,
        expected_version: i64,
        now: i64,
    ) -> Result<WorkspaceRow, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE workspaces SET name = $1, updated_at = $2, version = version + 1 WHERE id = $3 \
             AND version = $4 RETURNING ",
            workspace_columns!()
        ))
        .bind(name.to_owned())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(expected_version)
        .fetch_optional(self.writer())
        .await?;
        row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)
    }

    /// Deletes a workspace and, by cascade, everything in it.
    pub async fn delete_workspace(&self, ws: &WorkspaceId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM workspaces WHERE id = $1")
            .bind(ws.as_str().to_owned())
            .execute(self.writer())
            .await?;
        // Its keys went with it.
        self.keys.forget_all();
        Ok(done.rows_affected() > 0)
    }
}

async fn insert_workspace(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    name: &str,
    now: i64,
) -> Result<WorkspaceRow, StoreError> {
    let row = sqlx::query(concat!(
        "INSERT INTO workspaces (",
        workspace_columns!(),
        ") VALUES ($1, $2, $3, $3, 1) RETURNING ",
        workspace_columns!()
    ))
    .bind(id.to_owned())
    .bind(name.to_owned())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(map(&row)?)
}
