//! What differs between SQLite and PostgreSQL beyond plain SQL: full-text search, case-insensitive
//! matching, claiming rows, and the thresholds that pick a search plan.

use super::sql;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// ` AND (…)` for one conversation row `c` (with its contact `ct`): whether its title,
    /// summary, contact or any message matches `q`, looked up through that row's own keys so
    /// the cost does not grow with how common the words are.
    pub(crate) fn conversation_matches(self, sql: &mut sql::Sql, q: &str) {
        match self {
            Backend::Sqlite => {
                // Messages first: most conversations that match, match there.
                let query = fts5_query(q);
                sql.push(" AND (EXISTS (SELECT 1 FROM message_search WHERE message_search MATCH ")
                    .bind(query.clone())
                    .push(&format!(
                        " AND message_search.rowid BETWEEN c.rid * {MESSAGE_KEYS} AND c.rid * {MESSAGE_KEYS} + {})",
                        MESSAGE_KEYS - 1
                    ))
                    .push(" OR EXISTS (SELECT 1 FROM conversation_fts WHERE conversation_fts MATCH ")
                    .bind(query.clone())
                    .push(" AND conversation_fts.rowid = c.rid) OR EXISTS (SELECT 1 FROM contact_fts WHERE contact_fts MATCH ")
                    .bind(query)
                    .push(" AND contact_fts.rowid = ct.rid)");
                self.agent_named(sql, q);
                sql.push(")");
            }
            Backend::Postgres => {
                sql.push(" AND (c.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(") OR ct.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(") OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push("))");
                self.agent_named(sql, q);
                sql.push(")");
            }
        }
    }

    /// `AND (…)`: conversations (aliases `c` and contact `ct`) whose title, summary, contact
    /// name, email or phone, or any message, has every word of `q`. The text only ever reaches
    /// the database as a bound parameter, and for FTS5 as quoted tokens. `look_up`: the set
    /// of matches drives the query (few matches); otherwise the list is read in its order and
    /// each row kept if it is in the set.
    pub(crate) fn conversation_search(self, sql: &mut sql::Sql, q: &str, look_up: bool) {
        match self {
            Backend::Sqlite => {
                let query = fts5_query(q);
                // A unary `+` keeps the set from being used as the index to read by.
                sql.push(if look_up { " AND (c.rid IN (" } else { " AND (+c.rid IN (" })
                    .push("SELECT rowid FROM conversation_fts WHERE conversation_fts MATCH ")
                    .bind(query.clone())
                    .push(
                        " UNION SELECT x.rid FROM contact_fts f JOIN contacts k ON k.rid = f.rowid \
                           JOIN conversations x ON x.contact_id = k.id WHERE contact_fts MATCH ",
                    )
                    .bind(query.clone())
                    .push(&format!(
                        " UNION SELECT rowid / {MESSAGE_KEYS} FROM message_search WHERE message_search MATCH "
                    ))
                    .bind(query)
                    .push(")");
                self.agent_named(sql, q);
                sql.push(")");
            }
            Backend::Postgres => {
                sql.push(" AND (c.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(") OR ct.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(") OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push("))");
                self.agent_named(sql, q);
                sql.push(")");
            }
        }
    }

    /// ` OR` the answering agent's name contains `q` (agents are few: a plain scan of them).
    fn agent_named(self, sql: &mut sql::Sql, q: &str) {
        sql.push(
            " OR c.agent_id IN (SELECT a.id FROM agents a WHERE a.workspace_id = c.workspace_id AND a.name ",
        )
        .push(self.ilike())
        .push(" ")
        .bind(format!("%{}%", sql::like_escaped(q.trim())))
        .push(" ESCAPE '\\')");
    }

    /// Case-insensitive LIKE.
    pub fn ilike(self) -> &'static str {
        match self {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }

    /// Appended to a claim's row lock so concurrent claimers pass over each other's rows
    /// (SQLite has one writer, so nothing to add).
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// The thresholds that choose how a conversation search is answered: walking the list in
/// order, or reading the set of matches (see `list_conversations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchPlans {
    /// A search walks when it has at least this many matches (on SQLite, counted in the
    /// full-text indexes up to this many). 0: every search walks (PostgreSQL's default); on
    /// PostgreSQL any other value means the set plan.
    pub common_matches: i64,
    /// SQLite: a search with fewer matches than this reads them all, then sorts them; with
    /// more, it reads the list in order and keeps the matching rows.
    pub few_matches: i64,
    /// How many conversations the walk visits before giving way to the set plan: a miss
    /// costs this many probes of the index.
    pub window: i64,
}

impl SearchPlans {
    pub(super) fn for_backend(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => SearchPlans { common_matches: 100_000, few_matches: 500, window: 1_000 },
            Backend::Postgres => SearchPlans { common_matches: 0, few_matches: 0, window: 2_000 },
        }
    }
}

/// SQLite's message index keys a message as `conversation rid × MESSAGE_KEYS + seq`
/// (migration 0012), so one conversation's messages are one range of keys.
pub(super) const MESSAGE_KEYS: i64 = 1 << 24;

/// Customer text as an FTS5 query: every word quoted (so operators and syntax are inert),
/// all words required.
pub(crate) fn fts5_query(q: &str) -> String {
    q.split_whitespace()
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn fts5_queries_quote_every_word() {
        assert_eq!(fts5_query("refund  order"), r#""refund" "order""#);
        assert_eq!(fts5_query(r#"NEAR("a" b) OR x*"#), r#""NEAR(""a""" "b)" "OR" "x*""#);
        assert_eq!(fts5_query("  "), "");
    }
}
