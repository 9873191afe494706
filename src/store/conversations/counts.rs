//! Counting conversations by status and mode. The inbox's badges ask on every change, by
//! assignee, status and mode only, and those counts are read from `conversation_tallies`
//! (kept by triggers, migration 0016); any other filter counts the matching conversations.

use std::collections::BTreeMap;

use sqlx::Row;

use super::list::{ConversationFilter, from_clause};
use crate::domain::conversation::{Mode, Status};
use crate::store::sql::Sql;
use crate::store::{Store, StoreError, WorkspaceId};

/// How many conversations match, in all and by status and mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationCounts {
    pub total: i64,
    pub by_status: Vec<(Status, i64)>,
    pub by_mode: Vec<(Mode, i64)>,
}

impl Store {
    /// Counts by status and mode for the same filters as the list, in one query: from the
    /// tallies when the filters are ones they keep (the inbox's views), else by counting.
    pub async fn count_conversations(
        &self,
        ws: &WorkspaceId,
        filter: &ConversationFilter,
    ) -> Result<ConversationCounts, StoreError> {
        if filter.tallied() {
            return self.count_from_tallies(ws, filter).await;
        }
        let mut select = String::from("SELECT COUNT(*) AS total");
        for status in Status::ALL {
            select.push_str(&format!(
                ", COALESCE(SUM(CASE WHEN c.status = '{status}' THEN 1 ELSE 0 END), 0) AS s_{status}"
            ));
        }
        for mode in Mode::ALL {
            select.push_str(&format!(
                ", COALESCE(SUM(CASE WHEN c.mode = '{mode}' THEN 1 ELSE 0 END), 0) AS m_{mode}"
            ));
        }
        if filter.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
            self.message_index_caught_up().await?;
        }
        // The statuses and modes are our own constants, never input.
        let mut sql = Sql::new(&format!("{select} FROM {}", from_clause()));
        filter.apply(ws, self.backend(), &mut sql);
        let row = sql.query()?.fetch_one(self.reader()).await?;
        let count = |column: String| row.try_get::<i64, _>(column.as_str());
        Ok(ConversationCounts {
            total: row.try_get("total")?,
            by_status: Status::ALL
                .iter()
                .map(|s| Ok((Status::parse(s).unwrap_or(Status::Open), count(format!("s_{s}"))?)))
                .collect::<Result<_, sqlx::Error>>()?,
            by_mode: Mode::ALL
                .iter()
                .map(|m| Ok((Mode::parse(m).unwrap_or(Mode::Ai), count(format!("m_{m}"))?)))
                .collect::<Result<_, sqlx::Error>>()?,
        })
    }
}

impl ConversationFilter {
    /// Whether every filter set is one the tallies keep: status, mode, assignee, removal.
    fn tallied(&self) -> bool {
        let ConversationFilter {
            statuses: _,
            modes: _,
            assignee_id: _,
            include_removed: _,
            sort: _,
            priorities,
            channel_ids,
            channel_types,
            contact_ids,
            agent_ids,
            agent_version_ids,
            responder_ids,
            contact_email,
            has_feedback,
            tags,
            q,
            team_id,
            state_id,
            created,
            updated,
            last_message,
        } = self;
        [
            priorities,
            channel_ids,
            channel_types,
            contact_ids,
            agent_ids,
            agent_version_ids,
            responder_ids,
            tags,
        ]
        .iter()
        .all(|list| list.is_empty())
            && contact_email.is_none()
            && has_feedback.is_none()
            && q.as_deref().is_none_or(|q| q.trim().is_empty())
            && team_id.is_none()
            && state_id.is_none()
            && [created, updated, last_message]
                .iter()
                .all(|(after, before)| after.is_none() && before.is_none())
    }
}

impl Store {
    async fn count_from_tallies(
        &self,
        ws: &WorkspaceId,
        filter: &ConversationFilter,
    ) -> Result<ConversationCounts, StoreError> {
        let mut sql = Sql::new(
            "SELECT status, mode, CAST(SUM(n) AS BIGINT) AS n FROM conversation_tallies WHERE workspace_id = ",
        );
        sql.bind(ws.as_str().to_owned());
        if !filter.include_removed {
            sql.push(" AND removed = 0");
        }
        sql.any_of("status", &filter.statuses);
        sql.any_of("mode", &filter.modes);
        match &filter.assignee_id {
            Some(Some(id)) => {
                sql.push(" AND assignee_id = ").bind(id.clone());
            }
            Some(None) => {
                sql.push(" AND assignee_id = ''");
            }
            None => {}
        }
        sql.push(" GROUP BY status, mode");
        let mut by_status: BTreeMap<&str, i64> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        let mut by_mode: BTreeMap<&str, i64> = Mode::ALL.iter().map(|m| (*m, 0)).collect();
        let mut total = 0;
        for row in sql.query()?.fetch_all(self.reader()).await? {
            let (status, mode, n): (String, String, i64) =
                (row.try_get("status")?, row.try_get("mode")?, row.try_get("n")?);
            total += n;
            if let Some(count) = by_status.get_mut(status.as_str()) {
                *count += n;
            }
            if let Some(count) = by_mode.get_mut(mode.as_str()) {
                *count += n;
            }
        }
        Ok(ConversationCounts {
            total,
            by_status: Status::ALL
                .iter()
                .map(|s| (Status::parse(s).unwrap_or(Status::Open), by_status[s]))
                .collect(),
            by_mode: Mode::ALL.iter().map(|m| (Mode::parse(m).unwrap_or(Mode::Ai), by_mode[m])).collect(),
        })
    }
}
