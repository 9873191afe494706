//! Members' sign-in tokens: one per session (the inbox's cookie, an API client's login),
//! listed and ended by their member.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError, WorkspaceId};

/// Which of a member's sessions a change to the member ends.
#[derive(Debug, Clone, Copy)]
pub enum EndSessions<'a> {
    None,
    /// Every one but this (the session making the change, when it is the member's own).
    AllBut(Option<&'a str>),
}

/// Ends a member's sessions but `keep`, on the caller's connection (or in its transaction).
pub(super) async fn end_sessions(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    member_id: &str,
    keep: Option<&str>,
) -> Result<u64, StoreError> {
    let done =
        sqlx::query("DELETE FROM member_tokens WHERE workspace_id = $1 AND member_id = $2 AND id <> $3")
            .bind(ws.as_str().to_owned())
            .bind(member_id.to_owned())
            .bind(keep.unwrap_or("").to_owned())
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}

/// What a presented member token stands for.
#[derive(Debug, Clone)]
pub struct TokenLookup {
    pub token_id: String,
    pub workspace_id: WorkspaceId,
    pub member_id: String,
    pub role: String,
    pub secret_hash: String,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

/// A token to store: its hash only, and where the session began.
pub struct NewMemberToken<'a> {
    pub id: &'a str,
    pub member_id: &'a str,
    pub secret_hash: &'a str,
    pub expires_at: i64,
    pub client_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// A member's session as they see it in their list.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Store {
    pub async fn create_member_token(
        &self,
        ws: &WorkspaceId,
        token: &NewMemberToken<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO member_tokens (id, workspace_id, member_id, secret_hash, created_at, expires_at, \
             client_ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token.id.to_owned())
        .bind(ws.as_str().to_owned())
        .bind(token.member_id.to_owned())
        .bind(token.secret_hash.to_owned())
        .bind(now)
        .bind(token.expires_at)
        .bind(token.client_ip.map(str::to_owned))
        .bind(token.user_agent.map(|ua| ua.chars().take(255).collect::<String>()))
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// A member's unexpired sessions (their tokens), newest first.
    pub async fn list_member_sessions(
        &self,
        ws: &WorkspaceId,
        member_id: &str,
        now: i64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, created_at, expires_at, last_used_at, client_ip, user_agent FROM member_tokens \
             WHERE workspace_id = $1 AND member_id = $2 AND expires_at > $3 ORDER BY created_at DESC, id DESC",
        )
        .bind(ws.as_str().to_owned())
        .bind(member_id.to_owned())
        .bind(now)
        .fetch_all(self.reader())
        .await?;
        let map = |row: &AnyRow| -> Result<SessionRow, sqlx::Error> {
            Ok(SessionRow {
                id: row.try_get("id")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                last_used_at: row.try_get("last_used_at")?,
                client_ip: row.try_get("client_ip")?,
                user_agent: row.try_get("user_agent")?,
            })
        };
        Ok(rows.iter().map(map).collect::<Result<_, _>>()?)
    }

    /// Ends a member's sessions but `keep` (the one asking, if any); returns how many ended.
    pub async fn end_member_sessions(
        &self,
        ws: &WorkspaceId,
        member_id: &str,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut conn = self.writer().acquire().await?;
        end_sessions(&mut conn, ws, member_id, keep).await
    }

    /// Ends one of a member's sessions; false when they have no such session.
    pub async fn end_member_session(
        &self,
        ws: &WorkspaceId,
        member_id: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM member_tokens WHERE workspace_id = $1 AND member_id = $2 AND id = $3")
                .bind(ws.as_str().to_owned())
                .bind(member_id.to_owned())
                .bind(id.to_owned())
                .execute(self.writer())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn find_member_token(&self, secret_hash: &str) -> Result<Option<TokenLookup>, StoreError> {
        let row = sqlx::query(
            "SELECT t.id, t.workspace_id, t.member_id, m.role, t.secret_hash, t.expires_at, t.last_used_at \
             FROM member_tokens t JOIN members m ON m.id = t.member_id WHERE t.secret_hash = $1",
        )
        .bind(secret_hash.to_owned())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TokenLookup {
            token_id: row.try_get("id")?,
            workspace_id: WorkspaceId::trusted(row.try_get::<String, _>("workspace_id")?),
            member_id: row.try_get("member_id")?,
            role: row.try_get("role")?,
            secret_hash: row.try_get("secret_hash")?,
            expires_at: row.try_get("expires_at")?,
            last_used_at: row.try_get("last_used_at")?,
        }))
    }

    pub async fn touch_member_token(&self, ws: &WorkspaceId, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE member_tokens SET last_used_at = $1 WHERE workspace_id = $2 AND id = $3")
            .bind(now)
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Deletes tokens past their expiry (they are refused anyway); returns how many.
    pub async fn purge_member_tokens(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM member_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }

    /// Signs a token out; expired tokens are purged by the upkeep loop.
    pub async fn delete_member_token(&self, ws: &WorkspaceId, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM member_tokens WHERE workspace_id = $1 AND id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
