//! Claiming due deliveries under a lease, and recording what an attempt got.
//!
//! A claim sets `lease_until`: until then no other node takes the row (on PostgreSQL, rows
//! being claimed by another transaction are skipped with `SKIP LOCKED`); if the node dies
//! mid-delivery the lease runs out and another node sends it. Only the oldest pending
//! delivery of a conversation to a target is claimable, so a target gets a conversation's
//! events in order and a stuck one holds back only that conversation.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::super::webhooks::EventNames;
use super::super::{Store, StoreError, WorkspaceId};
use crate::store::EventRow;

/// Where a claimed delivery goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Webhook,
    Channel,
}

/// A delivery this node now holds, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub workspace_id: String,
    pub target: Target,
    pub target_id: String,
    pub event_id: String,
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
    /// Test pings carry their payload; other deliveries read the event.
    pub payload: Option<String>,
    pub attempt_count: i64,
}

/// What one attempt got.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_body: Option<String>,
}

/// An attempt made, to record.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub claimed: Claimed,
    pub attempt: Attempt,
    pub after: AfterAttempt,
    pub at: i64,
}

/// What happens after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterAttempt {
    Succeeded,
    RetryAt(i64),
    /// No more attempts; `disable` turns the webhook endpoint off with this reason.
    Failed {
        disable: Option<String>,
    },
}

impl Store {
    /// Leases up to `limit` due deliveries until `lease_until`.
    pub async fn claim_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError> {
        // Most wake-ups find nothing due: a read says so without taking the write lock,
        // which on SQLite every post is waiting for.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 LIMIT 1",
        )
        .bind(now)
        .fetch_optional(self.reader())
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let skip_locked = self.backend().skip_locked();
        let sql = format!(
            "UPDATE deliveries SET lease_until = $1 WHERE rid IN (\
             SELECT d.rid FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= $2 \
             AND (d.lease_until IS NULL OR d.lease_until <= $2) \
             AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.status = 'pending' \
               AND p.target_id = d.target_id AND p.conversation_id = d.conversation_id AND p.rid < d.rid) \
             AND (d.target_type = 'channel' OR d.event_type = 'webhook.test' OR EXISTS (SELECT 1 \
               FROM webhook_endpoints w WHERE w.id = d.target_id AND w.enabled = 1)) \
             ORDER BY d.next_attempt_at, d.rid LIMIT $3{skip_locked}) \
             RETURNING id, workspace_id, target_type, target_id, event_id, conversation_id, message_id, \
             payload, attempt_count"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .fetch_all(self.writer())
            .await?;
        rows.iter()
            .map(|row| {
                let target: String = row.try_get("target_type")?;
                Ok(Claimed {
                    id: row.try_get("id")?,
                    workspace_id: row.try_get("workspace_id")?,
                    target: if target == "channel" { Target::Channel } else { Target::Webhook },
                    target_id: row.try_get("target_id")?,
                    event_id: row.try_get("event_id")?,
                    conversation_id: row.try_get("conversation_id")?,
                    message_id: row.try_get("message_id")?,
                    payload: row.try_get("payload")?,
                    attempt_count: row.try_get("attempt_count")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The URL and signing secret of a delivery's target (`None`: deleted, or a channel
    /// without an `outbound_url`).
    /// Where a delivery goes: the URL, the signing secret, and the names its events carry.
    pub async fn delivery_target(
        &self,
        claimed: &Claimed,
    ) -> Result<Option<(String, String, EventNames)>, StoreError> {
        let sql = match claimed.target {
            Target::Webhook => {
                "SELECT url, secret, event_names FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2"
            }
            Target::Channel => {
                "SELECT outbound_url AS url, outbound_secret AS secret, 'native' AS event_names FROM channels \
                 WHERE workspace_id = $1 AND id = $2 AND outbound_url IS NOT NULL"
            }
        };
        let row = sqlx::query(sql)
            .bind(claimed.workspace_id.clone())
            .bind(claimed.target_id.clone())
            .fetch_optional(self.reader())
            .await?;
        let target = |r: AnyRow| -> Result<_, sqlx::Error> {
            let names = EventNames::parse(&r.try_get::<String, _>("event_names")?);
            Ok((r.try_get("url")?, r.try_get("secret")?, names))
        };
        Ok(row.map(target).transpose()?)
    }

    /// The event a delivery carries (`None`: erased since).
    pub async fn delivery_event(&self, claimed: &Claimed) -> Result<Option<EventRow>, StoreError> {
        let ws = WorkspaceId::trusted(&claimed.workspace_id);
        self.get_event(&ws, &claimed.event_id).await
    }

    /// Records attempts and what follows each, ending their leases, in one transaction (one
    /// commit for many deliveries). A failure starts (or continues) the endpoint's run of
    /// failures; one lasting `disable_after_ms` disables it.
    pub async fn record_attempts(
        &self,
        outcomes: &[Outcome],
        disable_after_ms: i64,
    ) -> Result<(), StoreError> {
        match self.record_together(outcomes, disable_after_ms).await {
            Err(_) if outcomes.len() > 1 => {
                // One bad row must not lose the others: record them one by one.
                for outcome in outcomes {
                    self.record_together(std::slice::from_ref(outcome), disable_after_ms).await?;
                }
                Ok(())
            }
            done => done,
        }
    }

    async fn record_together(&self, outcomes: &[Outcome], disable_after_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for outcome in outcomes {
            record(&mut tx, outcome, disable_after_ms).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }
}

async fn record(
    conn: &mut AnyConnection,
    outcome: &Outcome,
    disable_after_ms: i64,
) -> Result<(), StoreError> {
    let Outcome { claimed, attempt, after, at: now } = outcome;
    let now = *now;
    // `attempt_count` counts this run of the schedule (a manual retry starts another);
    // attempts are numbered across all runs.
    let number = claimed.attempt_count + 1;
    sqlx::query(
        "INSERT INTO delivery_attempts (delivery_id, number, attempted_at, status_code, latency_ms, error, \
         response_body) SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3, $4, $5, $6 \
         FROM delivery_attempts WHERE delivery_id = $1",
    )
    .bind(claimed.id.clone())
    .bind(now)
    .bind(attempt.status_code.map(i64::from))
    .bind(attempt.latency_ms)
    .bind(attempt.error.clone())
    .bind(attempt.response_body.clone())
    .execute(&mut *conn)
    .await?;
    let (status, next) = match after {
        AfterAttempt::Succeeded => ("succeeded", None),
        AfterAttempt::RetryAt(at) => ("pending", Some(*at)),
        AfterAttempt::Failed { .. } => ("failed", None),
    };
    sqlx::query(
        "UPDATE deliveries SET status = $1, next_attempt_at = $2, lease_until = NULL, attempt_count = $3, \
             last_status_code = $4, last_error = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(status.to_owned())
    .bind(next)
    .bind(number)
    .bind(attempt.status_code.map(i64::from))
    .bind(attempt.error.clone())
    .bind(now)
    .bind(claimed.id.clone())
    .execute(&mut *conn)
    .await?;
    if claimed.target == Target::Webhook {
        let disable = match after {
            AfterAttempt::Succeeded => {
                sqlx::query(
                    "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
                )
                    .bind(claimed.target_id.clone())
                    .execute(&mut *conn)
                    .await?;
                None
            }
            AfterAttempt::Failed { disable: Some(reason) } => Some(reason.clone()),
            _ => {
                let since: Option<i64> = sqlx::query_scalar(
                    "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $1) \
                         WHERE id = $2 RETURNING failing_since",
                )
                .bind(now)
                .bind(claimed.target_id.clone())
                .fetch_optional(&mut *conn)
                .await?
                .flatten();
                since
                    .filter(|since| now - since >= disable_after_ms)
                    .map(|since| format!("every delivery failed for {} hours", (now - since) / 3_600_000))
            }
        };
        if let Some(reason) = disable {
            sqlx::query(
                "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1, updated_at = $2, \
                     version = version + 1 WHERE id = $3 AND enabled = 1",
            )
            .bind(reason)
            .bind(now)
            .bind(claimed.target_id.clone())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
