//! Canned responses: a workspace's saved replies, found by shortcode in the inbox's composer.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, UniqueKey, WorkspaceId, conflict_as};

#[derive(Debug, Clone, PartialEq)]
pub struct NewCannedResponse {
    pub shortcode: String,
    pub title: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct CannedResponseRow {
    pub id: String,
    pub fields: NewCannedResponse,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

macro_rules! canned_columns {
    () => {
        "id, shortcode, title, body, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<CannedResponseRow, sqlx::Error> {
    Ok(CannedResponseRow {
        id: row.try_get("id")?,
        fields: NewCannedResponse {
            shortcode: row.try_get("shortcode")?,
            title: row.try_get("title")?,
            body: row.try_get("body")?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

impl Store {
    pub async fn create_canned_response(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &NewCannedResponse,
        now: i64,
    ) -> Result<CannedResponseRow, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO canned_responses (workspace_id, ",
            canned_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $6, 1) RETURNING ",
            canned_columns!()
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(fields.shortcode.clone())
        .bind(fields.title.clone())
        .bind(fields.body.clone())
        .bind(now)
        .fetch_one(self.writer())
        .await
        .map_err(|e| conflict_as(e, UniqueKey::CannedShortcode))?;
        Ok(map(&row)?)
    }

    pub async fn get_canned_response(
        &self,
        ws: &WorkspaceId,
        id: &str,
    ) -> Result<Option<CannedResponseRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            canned_columns!(),
            " FROM canned_responses WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    /// Newest first; `q` keeps those whose shortcode starts with it or whose title holds it.
    pub async fn list_canned_responses(
        &self,
        ws: &WorkspaceId,
        q: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<CannedResponseRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            if let Some(q) = q {
                sql.push(" AND (");
                sql.like_prefix(self, "shortcode", &q.to_lowercase()).push(" OR ");
                sql.like(self, "title", q).push(")");
            }
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", canned_columns!(), " FROM canned_responses"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |c| (c.created_at, c.id.clone()),
        }
        .fetch(page)
        .await
    }

    pub async fn update_canned_response(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &NewCannedResponse,
        expected_version: i64,
        now: i64,
    ) -> Result<CannedResponseRow, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE canned_responses SET shortcode = $1, title = $2, body = $3, updated_at = $4, \
             version = version + 1 WHERE workspace_id = $5 AND id = $6 AND version = $7 RETURNING ",
            canned_columns!()
        ))
        .bind(fields.shortcode.clone())
        .bind(fields.title.clone())
        .bind(fields.body.clone())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .fetch_optional(self.writer())
        .await
        .map_err(|e| conflict_as(e, UniqueKey::CannedShortcode))?;
        row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)
    }

    /// Whether it existed.
    pub async fn delete_canned_response(&self, ws: &WorkspaceId, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM canned_responses WHERE workspace_id = $1 AND id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
