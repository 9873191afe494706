//! Deleting a row together with every reference to it, for objects others point at (members,
//! teams, agents, states).

use super::{Store, StoreError, WorkspaceId};

impl Store {
    /// Deletes row `id` of `table` in one transaction with clearing every reference to it
    /// (`(table, column)` pairs); each row that referred to it gets a new version, so stale
    /// ETags are refused. Whether the row existed.
    pub(crate) async fn delete_detaching(
        &self,
        ws: &WorkspaceId,
        table: &'static str,
        id: &str,
        referrers: &[(&'static str, &'static str)],
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        for (referrer, column) in referrers {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {referrer} SET {column} = NULL, updated_at = $1, version = version + 1 \
                 WHERE workspace_id = $2 AND {column} = $3"
            )))
            .bind(now)
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(done.rows_affected() > 0)
    }
}
