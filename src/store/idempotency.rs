//! Idempotency records: the first response to a POST with an `Idempotency-Key`, replayed
//! to retries for 24 hours.

use sqlx::Row;

use super::{Store, StoreError};

pub const RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// `[(name, value)]` of the headers worth replaying, as JSON.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// This request owns the key: run it, then `complete` or `abandon`.
    Proceed,
    Replay(StoredResponse),
    /// The first request with this key is still running.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

impl Store {
    /// Claims `key` for a request with `fingerprint`. A claim older than `stale_after_ms`
    /// without a response belongs to a request that died; it is taken over.
    pub async fn begin_idempotent(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: i64,
        stale_after_ms: i64,
    ) -> Result<IdempotencyBegin, StoreError> {
        for _ in 0..3 {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(scope.to_owned())
            .bind(key.to_owned())
            .bind(fingerprint.to_owned())
            .bind(now)
            .execute(self.writer())
            .await?
            .rows_affected();
            if inserted == 1 {
                return Ok(IdempotencyBegin::Proceed);
            }
            let Some(row) = sqlx::query(
                "SELECT fingerprint, created_at, status, headers, body FROM idempotency_keys \
                 WHERE scope = $1 AND key = $2",
            )
            .bind(scope.to_owned())
            .bind(key.to_owned())
            .fetch_optional(self.writer())
            .await?
            else {
                continue;
            };
            let created_at: i64 = row.try_get("created_at")?;
            let status: Option<i64> = row.try_get("status")?;
            if created_at <= now - RETENTION_MS {
                self.delete_idempotency_key(scope, key, created_at).await?;
                continue;
            }
            if row.try_get::<String, _>("fingerprint")? != fingerprint {
                return Ok(IdempotencyBegin::Mismatch);
            }
            if let Some(status) = status {
                let headers: String = row.try_get("headers")?;
                return Ok(IdempotencyBegin::Replay(StoredResponse {
                    status: status as u16,
                    headers: serde_json::from_str(&headers).unwrap_or_default(),
                    body: row.try_get("body")?,
                }));
            }
            if created_at <= now - stale_after_ms {
                let taken = sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $1 \
                     WHERE scope = $2 AND key = $3 AND created_at = $4 AND status IS NULL",
                )
                .bind(now)
                .bind(scope.to_owned())
                .bind(key.to_owned())
                .bind(created_at)
                .execute(self.writer())
                .await?
                .rows_affected();
                if taken == 1 {
                    return Ok(IdempotencyBegin::Proceed);
                }
                continue;
            }
            return Ok(IdempotencyBegin::InProgress);
        }
        Ok(IdempotencyBegin::InProgress)
    }

    pub async fn complete_idempotent(
        &self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let headers = serde_json::to_string(&response.headers).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, headers = $2, body = $3 WHERE scope = $4 AND key = $5",
        )
        .bind(i64::from(response.status))
        .bind(headers)
        .bind(response.body.clone())
        .bind(scope.to_owned())
        .bind(key.to_owned())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Releases a claim whose request failed on the server, so a retry runs again.
    pub async fn abandon_idempotent(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status IS NULL")
            .bind(scope.to_owned())
            .bind(key.to_owned())
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn delete_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        created_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at = $3")
            .bind(scope.to_owned())
            .bind(key.to_owned())
            .bind(created_at)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Removes records past their 24 hours; returns how many.
    pub async fn purge_idempotency_keys(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1")
            .bind(now - RETENTION_MS)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}
