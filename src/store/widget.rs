//! The visitor widget's storage: contact tokens and the workspace's identity secret.

use sqlx::Row;

use super::{Store, StoreError, WorkspaceId};

/// A contact token found by its hash.
#[derive(Debug, Clone)]
pub struct ContactTokenLookup {
    pub workspace_id: WorkspaceId,
    pub contact_id: String,
    /// The channel of the key that opened the session.
    pub channel_id: Option<String>,
    pub secret_hash: String,
    pub expires_at: i64,
}

/// A visitor's session about to be stored (only the token's hash is kept).
pub struct NewContactToken<'a> {
    pub id: &'a str,
    pub contact_id: &'a str,
    /// The channel of the key that opened the session.
    pub channel_id: Option<&'a str>,
    pub secret_hash: &'a str,
    pub expires_at: i64,
}

impl Store {
    pub async fn create_contact_token(
        &self,
        ws: &WorkspaceId,
        token: &NewContactToken<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        let NewContactToken { id, contact_id, channel_id, secret_hash, expires_at } = *token;
        sqlx::query(
            "INSERT INTO contact_tokens (id, workspace_id, contact_id, secret_hash, created_at, expires_at, \
             channel_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_owned())
        .bind(ws.as_str().to_owned())
        .bind(contact_id.to_owned())
        .bind(secret_hash.to_owned())
        .bind(now)
        .bind(expires_at)
        .bind(channel_id.map(str::to_owned))
        .execute(self.writer())
        .await?;
        Ok(())
    }

    pub async fn find_contact_token(
        &self,
        secret_hash: &str,
    ) -> Result<Option<ContactTokenLookup>, StoreError> {
        let row = sqlx::query(
            "SELECT workspace_id, contact_id, channel_id, secret_hash, expires_at FROM contact_tokens \
             WHERE secret_hash = $1",
        )
        .bind(secret_hash.to_owned())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ContactTokenLookup {
            workspace_id: WorkspaceId::trusted(row.try_get::<String, _>("workspace_id")?),
            contact_id: row.try_get("contact_id")?,
            channel_id: row.try_get("channel_id")?,
            secret_hash: row.try_get("secret_hash")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    /// Deletes contact tokens past their expiry; returns how many.
    pub async fn purge_contact_tokens(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM contact_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }

    /// The workspace's identity-verification secret (`None`: verification is off).
    pub async fn identity_secret(&self, ws: &WorkspaceId) -> Result<Option<String>, StoreError> {
        let secret: Option<Option<String>> =
            sqlx::query_scalar("SELECT identity_secret FROM workspaces WHERE id = $1")
                .bind(ws.as_str().to_owned())
                .fetch_optional(self.reader())
                .await?;
        Ok(secret.flatten())
    }

    /// Sets (or, with `None`, clears) the identity-verification secret.
    pub async fn set_identity_secret(
        &self,
        ws: &WorkspaceId,
        secret: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET identity_secret = $1, updated_at = $2 WHERE id = $3")
            .bind(secret.map(str::to_owned))
            .bind(now)
            .bind(ws.as_str().to_owned())
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
