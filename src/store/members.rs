//! Members: the people who work in the inbox (their sign-in tokens: `member_tokens.rs`).

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::member_tokens::{self, EndSessions};
use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId, conflict_as};
use crate::store::UniqueKey;

#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    pub name: String,
    pub email: String,
    pub role: String,
    /// The KDF hash of the password (PHC string); `None` means the member cannot sign in.
    pub password_hash: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: String,
    pub workspace_id: String,
    pub fields: NewMember,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

macro_rules! member_columns {
    () => {
        "id, workspace_id, name, email, role, password_hash, avatar_url, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<MemberRow, sqlx::Error> {
    Ok(MemberRow {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        fields: NewMember {
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            role: row.try_get("role")?,
            password_hash: row.try_get("password_hash")?,
            avatar_url: row.try_get("avatar_url")?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

impl Store {
    pub async fn create_member(
        &self,
        ws: &WorkspaceId,
        id: &str,
        member: &NewMember,
        now: i64,
    ) -> Result<MemberRow, StoreError> {
        let mut conn = self.writer().acquire().await?;
        insert(&mut conn, ws, id, member, now).await
    }

    pub async fn get_member(&self, ws: &WorkspaceId, id: &str) -> Result<Option<MemberRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            member_columns!(),
            " FROM members WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    /// Members of every workspace with this email (sign-in does not know the workspace).
    pub async fn find_members_by_email(&self, email: &str) -> Result<Vec<MemberRow>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            member_columns!(),
            " FROM members WHERE email_key = $1 ORDER BY id"
        ))
        .bind(email.to_lowercase())
        .fetch_all(self.reader())
        .await?;
        Ok(rows.iter().map(map).collect::<Result<_, _>>()?)
    }

    pub async fn list_members(
        &self,
        ws: &WorkspaceId,
        role: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<MemberRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            if let Some(role) = role {
                sql.push(" AND role = ").bind(role.to_owned());
            }
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", member_columns!(), " FROM members"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |m| (m.created_at, m.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Writes `member` over version `expected_version`, and in the same transaction ends the
    /// sessions `end` names (a new password must not leave the old one's sessions working).
    /// Returns the member and how many sessions ended.
    pub async fn update_member(
        &self,
        ws: &WorkspaceId,
        id: &str,
        member: &NewMember,
        end: EndSessions<'_>,
        expected_version: i64,
        now: i64,
    ) -> Result<(MemberRow, u64), StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "UPDATE members SET name = $1, email = $2, email_key = $3, role = $4, password_hash = $5, \
             avatar_url = $6, updated_at = $7, version = version + 1 \
             WHERE workspace_id = $8 AND id = $9 AND version = $10 RETURNING ",
            member_columns!()
        ))
        .bind(member.name.clone())
        .bind(member.email.clone())
        .bind(member.email.to_lowercase())
        .bind(member.role.clone())
        .bind(member.password_hash.clone())
        .bind(member.avatar_url.clone())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| conflict_as(e, UniqueKey::MemberEmail))?;
        let row = row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)?;
        let ended = match end {
            EndSessions::None => 0,
            EndSessions::AllBut(keep) => member_tokens::end_sessions(&mut tx, ws, id, keep).await?,
        };
        self.commit(tx).await?;
        Ok((row, ended))
    }

    /// Deletes a member: their tokens and team places go with them (foreign keys), and the
    /// conversations and tickets assigned to them become unassigned.
    pub async fn delete_member(&self, ws: &WorkspaceId, id: &str, now: i64) -> Result<bool, StoreError> {
        let referrers = [("conversations", "assignee_id"), ("tickets", "assignee_id")];
        self.delete_detaching(ws, "members", id, &referrers, now).await
    }
}

/// Adds a member, on the caller's connection (or in its transaction).
pub(super) async fn insert(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    id: &str,
    member: &NewMember,
    now: i64,
) -> Result<MemberRow, StoreError> {
    let row = sqlx::query(concat!(
        "INSERT INTO members (email_key, ",
        member_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1) RETURNING ",
        member_columns!()
    ))
    .bind(member.email.to_lowercase())
    .bind(id.to_owned())
    .bind(ws.as_str().to_owned())
    .bind(member.name.clone())
    .bind(member.email.clone())
    .bind(member.role.clone())
    .bind(member.password_hash.clone())
    .bind(member.avatar_url.clone())
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| conflict_as(e, UniqueKey::MemberEmail))?;
    Ok(map(&row)?)
}
