//! Listing and counting conversations: every filter and sort of the API.

use sqlx::Row;

use super::ConversationRow;
use crate::store::conversation_rows::{map, select_conversation};
use crate::store::sql::{ListQuery, Page, PageRequest, Sql};
use crate::store::{Backend, Store, StoreError, WorkspaceId};

impl Store {
    pub async fn list_conversations(
        &self,
        ws: &WorkspaceId,
        filter: &ConversationFilter,
        page: &PageRequest,
    ) -> Result<Page<ConversationRow>, StoreError> {
        let plan = match filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
            Some(q) => {
                self.message_index_caught_up().await?;
                self.search_plan(q).await?
            }
            None => SearchPlan::LookUpMatches,
        };
        if plan == SearchPlan::Walk
            && page.offset.is_none()
            && !page.include_total
            && let Some(found) = self.search_in_order(ws, filter, page).await?
        {
            return Ok(found);
        }
        let look_up = plan == SearchPlan::LookUpMatches;
        let filters = |sql: &mut Sql| filter.apply_searching(ws, self.backend(), sql, look_up);
        ListQuery {
            store: self,
            select: select_conversation!(),
            sort_column: filter.sort.column(),
            id_column: "c.id",
            filters: &filters,
            map,
            key: filter.sort.key(),
        }
        .fetch(page)
        .await
    }
}

impl Store {
    /// How to answer a search. PostgreSQL probes a conversation's messages through an
    /// index, cheaply: it walks. On SQLite a probe costs a lookup in the full-text index per
    /// conversation, which pays only when matches are common enough for the walk to fill a
    /// page soon; and reading every match pays only when they are few. A count of the matches
    /// in each index, stopped at the threshold, tells which.
    async fn search_plan(&self, q: &str) -> Result<SearchPlan, StoreError> {
        let plans = self.search_plans();
        if plans.common_matches == 0 {
            return Ok(SearchPlan::Walk);
        }
        if self.backend() == Backend::Postgres {
            return Ok(SearchPlan::ScanForMatches);
        }
        // Messages first: a common word reaches the threshold there and nothing more is read.
        let matches: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM message_search WHERE message_search MATCH $1 \
             UNION ALL SELECT 1 FROM conversation_fts WHERE conversation_fts MATCH $1 \
             UNION ALL SELECT 1 FROM contact_fts WHERE contact_fts MATCH $1 LIMIT $2)",
        )
        .bind(crate::store::fts5_query(q))
        .bind(plans.common_matches)
        .fetch_one(self.reader())
        .await?;
        Ok(if matches >= plans.common_matches {
            SearchPlan::Walk
        } else if matches < plans.few_matches {
            SearchPlan::LookUpMatches
        } else {
            SearchPlan::ScanForMatches
        })
    }

    /// Search for common words: walk the next conversations (a window) in list order and
    /// test each against the index, stopping once the page is full. When that fills the page,
    /// it is exactly the page the set plan would give (the window is a prefix of the same
    /// order); so it is when the window reaches the end of the list. Otherwise `None`.
    async fn search_in_order(
        &self,
        ws: &WorkspaceId,
        filter: &ConversationFilter,
        page: &PageRequest,
    ) -> Result<Option<Page<ConversationRow>>, StoreError> {
        let q = filter.q.clone().unwrap_or_default();
        let without_q = ConversationFilter { q: None, ..filter.clone() };
        let column = filter.sort.column();
        let (cmp, dir) = if page.descending { ("<", "DESC") } else { (">", "ASC") };
        // The rows of the list from the cursor on, in order; `bound` keeps them to the window.
        let in_order = |sql: &mut Sql, bound: Option<&(i64, String)>| {
            without_q.apply(ws, self.backend(), sql);
            for (position, cmp) in
                [(page.after.as_ref(), cmp), (bound, if page.descending { ">=" } else { "<=" })]
            {
                if let Some((key, id)) = position {
                    sql.push(&format!(" AND ({column}, c.id) {cmp} ("))
                        .bind(*key)
                        .push(", ")
                        .bind(id.clone())
                        .push(")");
                }
            }
        };
        let mut last = Sql::new(&format!("SELECT {column} AS k, c.id AS id FROM {}", from_clause()));
        in_order(&mut last, None);
        last.push(&format!(" ORDER BY {column} {dir}, c.id {dir} LIMIT 1 OFFSET "))
            .bind(self.search_plans().window - 1);
        let bound = match last.query()?.fetch_optional(self.reader()).await? {
            Some(row) => Some((row.try_get::<i64, _>("k")?, row.try_get::<String, _>("id")?)),
            None => None,
        };
        let mut sql = Sql::new(select_conversation!());
        in_order(&mut sql, bound.as_ref());
        self.backend().conversation_matches(&mut sql, &q);
        sql.push(&format!(" ORDER BY {column} {dir}, c.id {dir} LIMIT ")).bind(i64::from(page.limit) + 1);
        let rows = sql.query()?.fetch_all(self.reader()).await?;
        let has_more = rows.len() > page.limit as usize;
        if !has_more && bound.is_some() {
            return Ok(None);
        }
        let mut items = rows.iter().map(map).collect::<Result<Vec<_>, _>>()?;
        items.truncate(page.limit as usize);
        let next = if has_more { items.last().map(filter.sort.key()) } else { None };
        Ok(Some(Page { items, has_more, next, total: None }))
    }
}

/// How a search is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchPlan {
    /// Walk the list in order, probing each conversation (common words).
    Walk,
    /// Read the list in order, keeping the conversations in the set of matches.
    ScanForMatches,
    /// Read the set of matches, then sort it (rare words).
    LookUpMatches,
}

/// The `FROM … JOIN …` of a conversation row, for queries that select less than a row.
pub(super) fn from_clause() -> &'static str {
    select_conversation!().rsplit(" FROM ").next().unwrap_or_default()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConversationSort {
    #[default]
    LastMessageAt,
    CreatedAt,
    UpdatedAt,
    Priority,
}

impl ConversationSort {
    /// The keyset position of a row in this order.
    fn key(self) -> fn(&ConversationRow) -> (i64, String) {
        match self {
            ConversationSort::LastMessageAt => |c| (c.last_message_at, c.id.clone()),
            ConversationSort::CreatedAt => |c| (c.created_at, c.id.clone()),
            ConversationSort::UpdatedAt => |c| (c.updated_at, c.id.clone()),
            ConversationSort::Priority => |c| (c.priority.rank(), c.id.clone()),
        }
    }

    fn column(self) -> &'static str {
        match self {
            ConversationSort::LastMessageAt => "c.last_message_at",
            ConversationSort::CreatedAt => "c.created_at",
            ConversationSort::UpdatedAt => "c.updated_at",
            ConversationSort::Priority => "c.priority_rank",
        }
    }
}

/// `(after, before)` bounds on a timestamp column, in epoch ms.
pub type Range = (Option<i64>, Option<i64>);

#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub statuses: Vec<String>,
    pub modes: Vec<String>,
    pub priorities: Vec<String>,
    pub channel_ids: Vec<String>,
    pub channel_types: Vec<String>,
    pub contact_ids: Vec<String>,
    pub agent_ids: Vec<String>,
    pub agent_version_ids: Vec<String>,
    /// Who answers: an AI agent's id, or a team's for conversations no agent answers.
    pub responder_ids: Vec<String>,
    pub contact_email: Option<String>,
    /// Whether any AI message in the conversation has feedback.
    pub has_feedback: Option<bool>,
    /// Tag names (case-insensitive) or tag ids: conversations with any of them.
    pub tags: Vec<String>,
    /// Full-text search over title, summary, contact name, email, phone and messages.
    pub q: Option<String>,
    /// `Some(None)` asks for unassigned conversations.
    pub assignee_id: Option<Option<String>>,
    pub team_id: Option<String>,
    pub state_id: Option<String>,
    pub include_removed: bool,
    pub created: Range,
    pub updated: Range,
    pub last_message: Range,
    pub sort: ConversationSort,
}

impl ConversationFilter {
    pub(super) fn apply(&self, ws: &WorkspaceId, backend: Backend, sql: &mut Sql) {
        self.apply_searching(ws, backend, sql, true);
    }

    /// `look_up`: a search reads its set of matches first (see [`SearchPlan`]).
    fn apply_searching(&self, ws: &WorkspaceId, backend: Backend, sql: &mut Sql, look_up: bool) {
        sql.push(" WHERE c.workspace_id = ").bind(ws.as_str().to_owned());
        if let Some(q) = self.q.as_deref().filter(|q| !q.trim().is_empty()) {
            backend.conversation_search(sql, q, look_up);
        }
        if !self.include_removed {
            sql.push(" AND c.removed = 0");
        }
        sql.any_of("c.status", &self.statuses);
        sql.any_of("c.mode", &self.modes);
        sql.any_of("c.priority", &self.priorities);
        sql.any_of("c.channel_id", &self.channel_ids);
        sql.any_of("ch.type", &self.channel_types);
        sql.any_of("c.contact_id", &self.contact_ids);
        sql.any_of("c.agent_id", &self.agent_ids);
        sql.any_of("c.agent_version_id", &self.agent_version_ids);
        if !self.responder_ids.is_empty() {
            sql.push(" AND (c.agent_id IN (").list(&self.responder_ids);
            sql.push(") OR (c.agent_id IS NULL AND c.team_id IN (").list(&self.responder_ids).push(")))");
        }
        if !self.tags.is_empty() {
            let keys: Vec<String> = self.tags.iter().map(|t| t.to_lowercase()).collect();
            sql.push(
                " AND EXISTS (SELECT 1 FROM conversation_tags x JOIN tags t ON t.id = x.tag_id \
                       WHERE x.conversation_id = c.id AND (t.name_key IN (",
            );
            sql.list(&keys).push(")").any_of_or("t.id", &self.tags).push("))");
        }
        if let Some(has) = self.has_feedback {
            sql.push(if has { " AND EXISTS" } else { " AND NOT EXISTS" });
            sql.push(" (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.feedback_rating IS NOT NULL)");
        }
        if let Some(email) = &self.contact_email {
            // Through the contacts' unique email index, not a scan of conversations.
            sql.push(" AND c.contact_id IN (SELECT id FROM contacts WHERE workspace_id = ")
                .bind(ws.as_str().to_owned())
                .push(" AND email = ")
                .bind(email.clone())
                .push(")");
        }
        match &self.assignee_id {
            Some(Some(id)) => {
                sql.push(" AND c.assignee_id = ").bind(id.clone());
            }
            Some(None) => {
                sql.push(" AND c.assignee_id IS NULL");
            }
            None => {}
        }
        if let Some(team_id) = &self.team_id {
            sql.push(" AND c.team_id = ").bind(team_id.clone());
        }
        if let Some(state_id) = &self.state_id {
            sql.push(" AND c.state_id = ").bind(state_id.clone());
        }
        for (column, (after, before)) in [
            ("c.created_at", self.created),
            ("c.updated_at", self.updated),
            ("c.last_message_at", self.last_message),
        ] {
            if let Some(after) = after {
                sql.push(&format!(" AND {column} > ")).bind(after);
            }
            if let Some(before) = before {
                sql.push(&format!(" AND {column} < ")).bind(before);
            }
        }
        // `last_message_at` holds the creation time until a first message (so sorting by
        // activity places the conversation), but a range over it means "had a message".
        if self.last_message != (None, None) {
            sql.push(" AND c.last_message_id IS NOT NULL");
        }
    }
}
