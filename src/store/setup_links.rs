//! One-time setup links: the first start prints one, and using it creates the workspace's first
//! admin member. A link is used at most once: the member is created in the transaction that
//! deletes it.

use super::members::{self, MemberRow, NewMember};
use super::{Store, StoreError, WorkspaceId};

impl Store {
    pub async fn create_setup_link(
        &self,
        ws: &WorkspaceId,
        id: &str,
        secret_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO setup_links (id, workspace_id, secret_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_owned())
        .bind(ws.as_str().to_owned())
        .bind(secret_hash.to_owned())
        .bind(expires_at)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Whether a link with this secret exists and has not expired (checked before the new
    /// admin's password is hashed, so a guess costs no hashing).
    pub async fn setup_link_open(&self, secret_hash: &str, now: i64) -> Result<bool, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM setup_links WHERE secret_hash = $1 AND expires_at > $2")
                .bind(secret_hash.to_owned())
                .bind(now)
                .fetch_optional(self.reader())
                .await?;
        Ok(found.is_some())
    }

    /// Uses the link whose secret hashes to `secret_hash`: creates `member` in its workspace
    /// and deletes the link. `None` when there is no such link or it expired.
    pub async fn use_setup_link(
        &self,
        secret_hash: &str,
        member_id: &str,
        member: &NewMember,
        now: i64,
    ) -> Result<Option<MemberRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let workspace: Option<String> = sqlx::query_scalar(
            "DELETE FROM setup_links WHERE secret_hash = $1 AND expires_at > $2 RETURNING workspace_id",
        )
        .bind(secret_hash.to_owned())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(workspace) = workspace else { return Ok(None) };
        let ws = WorkspaceId::trusted(workspace);
        let created = members::insert(&mut tx, &ws, member_id, member, now).await?;
        self.commit(tx).await?;
        Ok(Some(created))
    }
}
