//! Counted attempts in fixed windows, in the database: every node counts in the same row,
//! and an attempt is counted (atomically, in one statement) before the work it guards, so
//! concurrent attempts cannot slip past a limit.

use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// Counts one hit on `bucket`; returns the hits in its window (this one included) and when
    /// the window started. A window older than `window_ms` starts again with this hit.
    pub async fn hit_throttle(
        &self,
        bucket: &str,
        window_ms: i64,
        now: i64,
    ) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "INSERT INTO throttles (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
               hits = CASE WHEN throttles.window_start <= $3 THEN 1 ELSE throttles.hits + 1 END, \
               window_start = CASE WHEN throttles.window_start <= $3 THEN $2 ELSE throttles.window_start END \
             RETURNING hits, window_start",
        )
        .bind(bucket.to_owned())
        .bind(now)
        .bind(now - window_ms)
        .fetch_one(self.writer())
        .await?;
        Ok((row.try_get("hits")?, row.try_get("window_start")?))
    }

    /// Takes back one hit on `bucket` (an attempt the server turned away before checking it).
    pub async fn refund_throttle(&self, bucket: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE throttles SET hits = hits - 1 WHERE bucket = $1 AND hits > 0")
            .bind(bucket.to_owned())
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Forgets `bucket`'s hits (a sign-in that succeeded).
    pub async fn clear_throttle(&self, bucket: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM throttles WHERE bucket = $1")
            .bind(bucket.to_owned())
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Deletes windows that started before `before`; returns how many.
    pub async fn purge_throttles(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM throttles WHERE window_start < $1")
            .bind(before)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}
