//! The only place with SQL. Every function that touches workspace data takes the
//! [`WorkspaceId`] first, so a query without tenant scoping does not compile.

pub(crate) mod agents;
mod ai_responses;
mod api_keys;
mod channels;
mod checkpoint;
mod conn;
mod contacts;
mod conversations;
mod deliveries;
mod events;
mod group_commit;
mod idempotency;
mod key_cache;
mod knowledge;
mod members;
mod message_index;
mod messages;
mod migrate;
mod notes;
mod post_writer;
mod reports;
mod seed;
mod sql;
mod states;
mod tags;
mod teams;
mod tickets;
mod wake;
mod webhooks;
mod widget;
mod workspaces;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Executor};

pub use agents::{AgentFields, AgentRow, AgentVersionRow};
pub use ai_responses::{Answer, AnswerContext, ClaimedAnswer, JobKind, Recorded, ResponseRow};
pub use api_keys::{ApiKeyRow, KeyLookup, NewApiKey};
pub use channels::{ChannelFilter, ChannelRow, NewChannel};
pub use contacts::{ContactFilter, ContactRow, NewContact};
pub use conversations::{
    Change, ChannelRef, ContactRef, ContactSpec, ControlRequest, ConversationCounts, ConversationFilter,
    ConversationRow, ConversationSort, Handoff, MessageSummary, NewConversation,
};
pub use deliveries::{
    AfterAttempt, Attempt, AttemptRow, Claimed, DeliveryFilter, DeliveryRow, Outcome, Retry, Target,
};
pub use events::{Actor, EventFilter, EventRow};
pub use idempotency::{IdempotencyBegin, StoredResponse};
pub use knowledge::{ArticleRow, FoundPassage, NewArticle};
pub use members::{MemberRow, NewMember, TokenLookup};
pub use messages::{MessageFilter, MessageRow, NewMessage, Posted};
pub use notes::{NewNote, NoteRow};
pub use reports::{ReportScope, Summary};
pub use seed::{SeedContact, SeedConversation, SeedMessage};
pub use sql::{Page, PageRequest};
pub use states::{NewState, StateRow};
pub use tags::{DEFAULT_COLOR as DEFAULT_TAG_COLOR, NewTag, TagRow};
pub use teams::TeamRow;
pub use tickets::{TicketFields, TicketFilter, TicketRow};
pub use webhooks::{WebhookFields, WebhookRow};
pub use workspaces::WorkspaceRow;

/// A workspace id that came from an authenticated caller or the store itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkspaceId(String);

impl WorkspaceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Trusted construction: only for ids read back from the database or the admin API,
    /// which addresses workspaces by id by design.
    pub fn trusted(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl std::fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// ` AND (…)` for one conversation row `c` (with its contact `ct`): whether its title,
    /// summary, contact or any message matches `q`, looked up through that row's own keys so
    /// the cost does not grow with how common the words are.
    pub(crate) fn conversation_matches(self, sql: &mut sql::Sql, q: &str) {
        match self {
            Dialect::Sqlite => {
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
                    .push(" AND contact_fts.rowid = ct.rid))");
            }
            Dialect::Postgres => {
                sql.push(" AND (c.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(") OR ct.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(") OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(")))");
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
            Dialect::Sqlite => {
                let query = fts5_query(q);
                // A unary `+` keeps the set from being used as the index to read by.
                sql.push(if look_up { " AND c.rid IN (" } else { " AND +c.rid IN (" })
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
            }
            Dialect::Postgres => {
                sql.push(" AND (c.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(") OR ct.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(") OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.search @@ plainto_tsquery('simple', ")
                    .bind(q.to_owned())
                    .push(")))");
            }
        }
    }

    /// Case-insensitive LIKE.
    pub fn ilike(self) -> &'static str {
        match self {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }

    /// Appended to a claim's row lock so concurrent claimers pass over each other's rows
    /// (SQLite has one writer, so nothing to add).
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// Database handles. On SQLite all writes go through one connection (SQLite has one writer
/// anyway; queuing in the pool beats spinning on `SQLITE_BUSY`) and reads use a pool.
#[derive(Clone)]
pub struct Store {
    write: AnyPool,
    read: AnyPool,
    dialect: Dialect,
    /// SQLite only: message posts share commits (PostgreSQL runs them side by side).
    posts: Option<group_commit::PostQueue>,
    wake: wake::LogWake,
    /// PostgreSQL: where to listen for other nodes' changes.
    listen_url: Option<String>,
    search: SearchPlans,
    /// SQLite only: fills the message search index after commit.
    message_index: Option<message_index::MessageIndex>,
    keys: Arc<key_cache::KeyCache>,
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
    fn for_dialect(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Sqlite => SearchPlans { common_matches: 100_000, few_matches: 500, window: 1_000 },
            Dialect::Postgres => SearchPlans { common_matches: 0, few_matches: 0, window: 2_000 },
        }
    }
}

#[derive(Debug)]
pub enum StoreError {
    Database(sqlx::Error),
    /// A unique constraint failed; the string names the column, e.g. `email`.
    Conflict(&'static str),
    /// An optimistic update found another version than expected.
    VersionMismatch,
    /// No such object (named) in this workspace.
    NotFound(&'static str),
    /// A field of the request names an object that does not exist in this workspace.
    InvalidReference(&'static str),
    /// A rule of the domain refuses the change.
    Refused(crate::domain::conversation::Refusal),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Database(error) => write!(f, "database: {error}"),
            StoreError::Conflict(column) => write!(f, "another row has this {column}"),
            StoreError::VersionMismatch => write!(f, "the row changed meanwhile"),
            StoreError::NotFound(what) => write!(f, "no such {what}"),
            StoreError::InvalidReference(field) => write!(f, "{field} names nothing in this workspace"),
            StoreError::Refused(refusal) => write!(f, "refused: {refusal:?}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error)
    }
}

/// Maps a unique-constraint failure to the column it guards, given the columns that may clash.
pub(crate) fn unique_violation(error: sqlx::Error, columns: &[&'static str]) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && db.is_unique_violation()
    {
        // PostgreSQL names the index; SQLite lists "table.column" in the message.
        let haystack = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
        if let Some(column) = columns.iter().find(|c| haystack.contains(*c)) {
            return StoreError::Conflict(column);
        }
    }
    StoreError::Database(error)
}

/// Maps any unique-constraint failure of a statement to `Conflict(label)`, for tables whose
/// only unique key besides the id is one column.
pub(crate) fn conflict_as(error: sqlx::Error, label: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(label),
        _ => StoreError::Database(error),
    }
}

impl Store {
    /// Connects to `sqlite:…` or `postgres://…`. SQLite files are created when missing.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        Self::open(url, true).await
    }

    /// Connects from a process beside a running server (the load driver), leaving the
    /// SQLite WAL's checkpoints to the server: a second checkpointer copies the same pages
    /// again, and its restarts take the write lock from under the server's writer, which then
    /// polls for it.
    pub async fn connect_beside_server(url: &str) -> Result<Self, sqlx::Error> {
        Self::open(url, false).await
    }

    /// `checkpoints`: whether this process copies the SQLite WAL back (`checkpoint`).
    async fn open(url: &str, checkpoints: bool) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                "the database URL must start with sqlite: or postgres://".into(),
            ));
        };
        match dialect {
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await?;
                let wake = wake::LogWake::default();
                Ok(Self {
                    write: pool.clone(),
                    read: pool,
                    dialect,
                    posts: None,
                    wake,
                    listen_url: Some(url.into()),
                    search: SearchPlans::for_dialect(dialect),
                    message_index: None,
                    keys: Arc::default(),
                })
            }
            Dialect::Sqlite => {
                let url = sqlite_url(url);
                let options = AnyConnectOptions::from_str(&url)?;
                let file = SqliteConnectOptions::from_str(&url)?.get_filename().to_owned();
                // The writers do not attach the search index: `BEGIN IMMEDIATE` would take its
                // write lock too (see `message_index`).
                let write = sqlite_pool(1, WRITER_PRAGMAS.into()).connect_with(options.clone()).await?;
                let message_index = message_index::MessageIndex::open(&file).await?;
                let read =
                    sqlite_pool(8, message_index::attach_for_reading(&file)).connect_with(options).await?;
                if checkpoints {
                    checkpoint::start(read.clone(), write.clone(), file.clone());
                }
                let wake = wake::LogWake::default();
                let posts = Some(group_commit::PostQueue::start(write.clone(), &file, wake.clone())?);
                let search = SearchPlans::for_dialect(dialect);
                let message_index = Some(message_index);
                let keys = Arc::default();
                Ok(Self { write, read, dialect, posts, wake, listen_url: None, search, message_index, keys })
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Replaces the search plans' thresholds (tests use small ones to drive every plan).
    pub fn with_search_plans(mut self, plans: SearchPlans) -> Self {
        self.search = plans;
        self
    }

    pub fn search_plans(&self) -> SearchPlans {
        self.search
    }

    /// A write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`):
    /// a deferred one that reads first could not upgrade once another process (another
    /// node on the same file) has committed, and would fail instead of waiting its turn.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.write.begin().await,
        }
    }

    /// Commits, then wakes this node's readers of the log.
    pub(crate) async fn commit(&self, tx: sqlx::Transaction<'_, sqlx::Any>) -> Result<(), sqlx::Error> {
        tx.commit().await?;
        self.wake.bump();
        Ok(())
    }

    /// Changes whenever the log may have grown: after this node's commits, and on
    /// PostgreSQL (once `listen_to_other_nodes` runs) after any node's.
    pub fn log_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// PostgreSQL: hands a stream-only signal to every node (their `remote_signals`); on
    /// SQLite there is one node and nothing to do.
    pub async fn share_signal(&self, payload: &str) -> Result<(), StoreError> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(wake::SIGNALS)
                .bind(payload.to_owned())
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    /// Signals other nodes shared, once `listen_to_other_nodes` runs.
    pub fn remote_signals(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.wake.remote_signals()
    }

    /// PostgreSQL: relays other nodes' commits to `log_changes` (no-op on SQLite).
    pub fn listen_to_other_nodes(&self) {
        if let Some(url) = &self.listen_url {
            self.wake.listen(url.clone());
        }
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.write
    }

    pub(crate) fn post_queue(&self) -> Option<&group_commit::PostQueue> {
        self.posts.as_ref()
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Applies pending migrations (safe to run from several nodes at once on PostgreSQL:
    /// the migrator takes an advisory lock).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        migrate::migrator(self.dialect).run(&self.write).await?;
        if let Some(index) = &self.message_index {
            index.start(self.write.clone(), self.wake.clone()).await?;
        }
        Ok(())
    }

    /// Waits until a search sees every message committed before the call (SQLite indexes
    /// messages just after commit: see `message_index`).
    pub(crate) async fn message_index_caught_up(&self) -> Result<(), StoreError> {
        match &self.message_index {
            Some(index) => index.caught_up(&self.read).await,
            None => Ok(()),
        }
    }

    /// Indexes every message not yet in the search index, now (after a bulk load).
    pub async fn index_all_messages(&self) -> Result<(), StoreError> {
        if let Some(index) = &self.message_index {
            index.catch_up(&self.write).await?;
        }
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.read.execute("SELECT 1").await.map(|_| ())
    }

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

    /// Closes the pools; on SQLite, after copying the WAL back into the database file.
    pub async fn close(&self) {
        // Readers go first: one still reading, or the background task's passive checkpoint
        // running on a reading connection, would make the last checkpoint give up.
        self.read.close().await;
        if let Some(index) = &self.message_index {
            index.close().await;
        }
        if self.dialect == Dialect::Sqlite {
            match checkpoint::last(&self.write).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!("another process held the WAL at shutdown; it stays"),
                Err(error) => tracing::warn!(%error, "the WAL could not be copied back at shutdown"),
            }
        }
        self.write.close().await;
    }
}

/// SQLite's message index keys a message as `conversation rid × MESSAGE_KEYS + seq`
/// (migration 0012), so one conversation's messages are one range of keys.
const MESSAGE_KEYS: i64 = 1 << 24;

/// Customer text as an FTS5 query: every word quoted (so operators and syntax are inert),
/// all words required.
pub(crate) fn fts5_query(q: &str) -> String {
    q.split_whitespace()
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

/// How long every SQLite connection waits for a lock (`SQLITE_PRAGMAS`); `checkpoint`
/// shortens it for a restart and puts it back.
macro_rules! busy_timeout {
    () => {
        "PRAGMA busy_timeout = 5000;"
    };
}
use busy_timeout;

/// Every SQLite connection: 32 MiB of page cache per connection, since the full-text probes of
/// a search read many index pages (one-word search p99 48 → 26 ms at 1M). No memory map:
/// SQLite unmaps a connection's whole map whenever another connection committed since its
/// last transaction (pager.c, pagerBeginReadTransaction), and under posting that is nearly
/// every read (a post's key lookup, say); each unmap interrupts the other core to flush its
/// TLB, the core the posting thread runs on (posts/s at 16 clients faster without it in
/// seven rounds of seven, +26% on one run's means; docs/BENCHMARKS.md, tenth session).
/// Temporary tables and statement journals stay in memory.
///
/// New databases get 2 KiB pages (`page_size` only takes effect before the first write, so it
/// comes first; an existing file keeps its size). A post changes ~15 pages all over the file
/// (its conversation's row and list-index entries, its message's and event's index entries),
/// and each is written whole to the WAL and again to the file at checkpoint: with 2 KiB pages
/// that is half the bytes (+8% posts/s at 16 clients, three rounds of three; lists on 1M
/// unchanged, one-word search ~5% slower; docs/BENCHMARKS.md, eleventh session).
const SQLITE_PRAGMAS: &str = concat!(
    "PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; ",
    busy_timeout!(),
    " PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0; PRAGMA cache_size = -32768;"
);

/// The writers leave checkpoints to `checkpoint`, so no commit pays for one. They keep up to
/// 256 MiB of pages each (filled only as pages are read): posts go to recent conversations all
/// over the file, and with 32 MiB the writers read most of their pages again from the OS for
/// each batch (+5% posts/s at 16 clients, in six rounds out of six; docs/BENCHMARKS.md, ninth
/// session).
const WRITER_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -262144;";

/// `extra`: statements each connection runs after [`SQLITE_PRAGMAS`].
fn sqlite_pool(size: u32, extra: String) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(10))
        // A file has no network link to go stale: pinging it would cost a round trip to the
        // connection's thread on every acquire.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            let extra = extra.clone();
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                conn.execute(sqlx::AssertSqlSafe(extra)).await?;
                Ok(())
            })
        })
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

#[cfg(test)]
mod sqlite_tests {
    use super::Store;

    #[tokio::test]
    async fn a_new_sqlite_database_runs_in_wal_with_full_sync_foreign_keys_and_2_kib_pages() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        for pool in [store.writer(), store.reader()] {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await.unwrap();
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(pool).await.unwrap();
            let page: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(pool).await.unwrap();
            assert_eq!((mode.as_str(), sync, fk, page), ("wal", 2, 1, 2048));
        }
    }

    /// A stopped store leaves its data in the database file and an empty WAL.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_copies_the_wal_back_and_empties_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE kept (x TEXT)").execute(store.writer()).await.unwrap();
        sqlx::query("INSERT INTO kept (x) VALUES ('a')").execute(store.writer()).await.unwrap();
        let wal = dir.path().join("t.db-wal");
        let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert!(wal_size() > 0);
        // The background task's passive checkpoints run on reading connections; one running
        // while the store closes held the checkpoint lock, and the WAL was left behind.
        let checkpointing: Vec<_> = (0..4)
            .map(|_| {
                let reader = store.reader().clone();
                tokio::spawn(async move {
                    while sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&reader).await.is_ok() {}
                })
            })
            .collect();
        store.close().await;
        assert_eq!(wal_size(), 0);
        for task in checkpointing {
            task.await.unwrap();
        }
        let reopened = Store::connect(&url).await.unwrap();
        let kept: String =
            sqlx::query_scalar("SELECT x FROM kept").fetch_one(reopened.reader()).await.unwrap();
        assert_eq!(kept, "a");
    }

    /// Commits never checkpoint; the background task copies the WAL back instead.
    #[tokio::test]
    async fn the_wal_is_checkpointed_off_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        let auto: i64 =
            sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(store.writer()).await.unwrap();
        assert_eq!(auto, 0);
        store.migrate().await.unwrap();
        // The database file's header counts its pages; it grows only when a checkpoint
        // copies the migrated schema out of the WAL.
        let pages_in_file = || {
            let header = std::fs::read(&path).unwrap_or_default();
            header.get(28..32).map_or(0, |n| u32::from_be_bytes(n.try_into().unwrap()))
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while pages_in_file() < 10 {
            assert!(std::time::Instant::now() < deadline, "no checkpoint within 10 s");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
