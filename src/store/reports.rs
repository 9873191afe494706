//! The summary report, computed in SQL over the conversations created in a period.

use sqlx::Row;

use super::sql::Sql;
use super::{Store, StoreError, WorkspaceId};

/// Which conversations a report covers: created in `[from, to)`, optionally on one channel or
/// answered by one agent; removed ones are left out.
#[derive(Debug, Clone)]
pub struct ReportScope {
    pub from: i64,
    pub to: i64,
    pub channel_id: Option<String>,
    pub agent_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub conversations: i64,
    pub resolved: i64,
    /// Resolved without a human ever joining.
    pub ai_resolved: i64,
    /// A human was asked for or joined.
    pub handed_off: i64,
    /// Messages of the covered conversations by sender type.
    pub messages: Vec<(String, i64)>,
    pub median_first_response_ms: Option<f64>,
    pub median_resolution_ms: Option<f64>,
    pub csat_average: Option<f64>,
    pub csat_responses: i64,
}

impl ReportScope {
    fn apply(&self, ws: &WorkspaceId, sql: &mut Sql) {
        sql.push(" WHERE c.workspace_id = ").bind(ws.as_str().to_owned());
        sql.push(" AND c.removed = 0 AND c.created_at >= ").bind(self.from);
        sql.push(" AND c.created_at < ").bind(self.to);
        if let Some(channel) = &self.channel_id {
            sql.push(" AND c.channel_id = ").bind(channel.clone());
        }
        if let Some(agent) = &self.agent_id {
            sql.push(" AND c.agent_id = ").bind(agent.clone());
        }
    }
}

impl Store {
    pub async fn summary_report(&self, ws: &WorkspaceId, scope: &ReportScope) -> Result<Summary, StoreError> {
        let mut totals = Sql::new(
            "SELECT COUNT(*) AS conversations, \
             COALESCE(SUM(CASE WHEN c.resolved_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS resolved, \
             COALESCE(SUM(CASE WHEN c.resolved_at IS NOT NULL AND c.human_started_at IS NULL THEN 1 ELSE 0 END), 0) AS ai_resolved, \
             COALESCE(SUM(CASE WHEN c.handoff_requested_at IS NOT NULL OR c.human_started_at IS NOT NULL \
               THEN 1 ELSE 0 END), 0) AS handed_off, \
             COUNT(c.rating) AS csat_responses, AVG(CAST(c.rating AS DOUBLE PRECISION)) AS csat_average \
             FROM conversations c",
        );
        scope.apply(ws, &mut totals);
        let row = totals.query()?.fetch_one(self.reader()).await?;

        let mut by_sender = Sql::new(
            "SELECT m.sender_type, COUNT(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id",
        );
        scope.apply(ws, &mut by_sender);
        by_sender.push(" GROUP BY m.sender_type ORDER BY m.sender_type");
        let messages = by_sender
            .query()?
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("sender_type")?, r.try_get("n")?)))
            .collect::<Result<_, sqlx::Error>>()?;

        Ok(Summary {
            conversations: row.try_get("conversations")?,
            resolved: row.try_get("resolved")?,
            ai_resolved: row.try_get("ai_resolved")?,
            handed_off: row.try_get("handed_off")?,
            messages,
            median_first_response_ms: self.median(ws, scope, "c.first_response_at").await?,
            median_resolution_ms: self.median(ws, scope, "c.resolved_at").await?,
            csat_average: row.try_get("csat_average")?,
            csat_responses: row.try_get("csat_responses")?,
        })
    }

    /// The median of `until - created_at` over the covered conversations where `until` is set:
    /// the middle one or two values, found by the database (neither SQLite nor the portable
    /// subset has a median function).
    async fn median(
        &self,
        ws: &WorkspaceId,
        scope: &ReportScope,
        until: &'static str,
    ) -> Result<Option<f64>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) FROM conversations c");
        scope.apply(ws, &mut count);
        count.push(&format!(" AND {until} IS NOT NULL"));
        let n: i64 = count.query()?.fetch_one(self.reader()).await?.try_get(0)?;
        if n == 0 {
            return Ok(None);
        }
        let mut middle = Sql::new(&format!("SELECT {until} - c.created_at AS took FROM conversations c"));
        scope.apply(ws, &mut middle);
        middle.push(&format!(" AND {until} IS NOT NULL ORDER BY took LIMIT "));
        middle.bind(2 - n % 2).push(" OFFSET ").bind((n - 1) / 2);
        let values: Vec<i64> = middle
            .query()?
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| r.try_get("took"))
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Some(values.iter().sum::<i64>() as f64 / values.len().max(1) as f64))
    }
}
