//! Snoozed conversations wake at their time.

use sqlx::Row;

use crate::domain::conversation::Status;
use crate::store::events::Actor;
use crate::store::{Store, StoreError, WorkspaceId};

impl Store {
    /// Wakes snoozed conversations whose time has come; returns how many woke.
    pub async fn wake_snoozed(&self, now: i64) -> Result<usize, StoreError> {
        let due = sqlx::query(
            "SELECT workspace_id, id FROM conversations WHERE snoozed_until IS NOT NULL AND snoozed_until <= $1 \
             AND status = 'snoozed' LIMIT 500",
        )
        .bind(now)
        .fetch_all(self.reader())
        .await?;
        let mut woken = 0;
        for row in due {
            let ws = WorkspaceId::trusted(row.try_get::<String, _>("workspace_id")?);
            let id: String = row.try_get("id")?;
            let woke = self
                .update_conversation(&ws, &id, None, &Actor::system(), now, |c| {
                    // Re-checked under the lock: a message may have reopened it meanwhile.
                    if c.status != Status::Snoozed || c.snoozed_until.is_none_or(|t| t > now) {
                        return Ok(Vec::new());
                    }
                    c.set_status(Status::Open, None, now)
                        .map(|c| c.into_iter().collect())
                        .map_err(StoreError::Refused)
                })
                .await;
            match woke {
                Ok(_) => woken += 1,
                Err(StoreError::NotFound(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(woken)
    }
}
