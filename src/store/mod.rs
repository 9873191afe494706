//! The only place with SQL. Every function that touches workspace data takes the
//! [`WorkspaceId`] first, so a query without tenant scoping does not compile.
//!
//! This file holds the [`Store`] handle (connecting, write transactions, wake-ups, closing)
//! and what the store exports; each table or job has a file of its own.
//!
//! Lock order, one for every write path, so no two transactions wait on each other in turn:
//! the workspace's counter row (`next_number`), then tags (`tags.rs`), then conversations (in
//! id order), then contacts' unique keys (a contact looked up or created), then messages; the
//! workspace's event lock (`events::append_to`, and on PostgreSQL the tallies' trigger) comes
//! last, and nothing is locked after it. The hot transactions (creating a conversation, a
//! batch of posts) run again when they lose a deadlock or serialization check anyway
//! (`retrying`); any other answers 503 `database_unavailable`, having stored nothing.

pub(crate) mod agents;
mod ai_queue;
mod ai_responses;
mod api_keys;
mod audit;
mod backend;
mod canned_responses;
mod channels;
mod checkpoint;
mod conn;
mod contacts;
mod conversation_rows;
mod conversations;
mod deletes;
mod deliveries;
mod error;
mod events;
mod files;
mod group_commit;
mod idempotency;
mod key_cache;
mod knowledge;
mod member_tokens;
mod members;
mod message_index;
mod messages;
mod migrate;
mod notes;
mod pg_group_commit;
mod post_writer;
mod reports;
mod seed;
mod server_secrets;
mod setup_links;
mod sql;
mod sqlite;
mod states;
mod tags;
mod teams;
mod throttles;
mod tickets;
mod wake;
mod webhooks;
mod widget;
mod workspace_id;
mod workspaces;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Executor};

use sqlite::{WRITER_PRAGMAS, sqlite_pool, sqlite_url, sqlite_writer_pool};

pub use agents::{AgentFields, AgentRow, AgentVersionRow};
pub use ai_responses::{Answer, AnswerContext, ClaimedAnswer, JobKind, Recorded, ResponseRow};
pub use api_keys::{ApiKeyRow, KeyLookup, NewApiKey};
pub use audit::{AuditEntry, AuditRow};
pub(crate) use backend::fts5_query;
pub use backend::{Backend, SearchPlans};
pub use canned_responses::{CannedResponseRow, NewCannedResponse};
pub use channels::{ChannelFilter, ChannelRow, NewChannel};
pub use contacts::{ContactFilter, ContactRow, NewContact};
pub use conversations::{
    Change, ChannelRef, ContactRef, ContactSpec, ControlRequest, ConversationCounts, ConversationFilter,
    ConversationRow, ConversationSort, Handoff, MessageSummary, NewConversation,
};
pub use deliveries::{
    AfterAttempt, Attempt, AttemptRow, Claimed, DeliveryFilter, DeliveryRow, Outcome, Retry, Target,
};
pub use error::{Entity, Outage, StoreError, UniqueKey, outage};
pub(crate) use error::{conflict_as, retrying, unique_violation};
pub use events::{Actor, EventFilter, EventRow};
pub use files::{FileRow, NewFile};
pub use idempotency::{IdempotencyBegin, StoredResponse};
pub use knowledge::{ArticleRow, FoundPassage, NewArticle};
pub use member_tokens::{EndSessions, NewMemberToken, SessionRow, TokenLookup};
pub use members::{MemberRow, NewMember};
pub use messages::{MessageFilter, MessageRow, NewMessage, Posted};
pub use notes::{NewNote, NoteRow};
pub use reports::{ReportScope, Summary};
pub use seed::{SeedContact, SeedConversation, SeedMessage};
pub use sql::{Page, PageRequest};
pub use states::{NewState, StateRow};
pub use tags::{DEFAULT_COLOR as DEFAULT_TAG_COLOR, NewTag, TagRow};
pub use teams::TeamRow;
pub use tickets::{TicketFields, TicketFilter, TicketRow};
pub use webhooks::{EventNames, WebhookFields, WebhookRow};
pub use widget::NewContactToken;
pub use workspace_id::WorkspaceId;
pub use workspaces::WorkspaceRow;

/// Database handles. On SQLite all writes go through one connection (SQLite has one writer
/// anyway; queuing in the pool beats spinning on `SQLITE_BUSY`) and reads use a pool.
#[derive(Clone)]
pub struct Store {
    write: AnyPool,
    read: AnyPool,
    backend: Backend,
    /// Message posts share commits (`group_commit` on SQLite, `pg_group_commit`).
    posts: group_commit::PostQueue,
    wake: wake::LogWake,
    /// PostgreSQL: where to listen for other nodes' changes.
    listen_url: Option<String>,
    search: SearchPlans,
    /// SQLite only: fills the message search index after commit.
    message_index: Option<message_index::MessageIndex>,
    keys: Arc<key_cache::KeyCache>,
    /// SQLite: the database file, whose disk `free_disk` reads.
    file: Option<std::path::PathBuf>,
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
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                "the database URL must start with sqlite: or postgres://".into(),
            ));
        };
        match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await?;
                let wake = wake::LogWake::default();
                let posts = pg_group_commit::start(url, wake.clone()).await?;
                Ok(Self {
                    write: pool.clone(),
                    read: pool,
                    backend,
                    posts,
                    wake,
                    listen_url: Some(url.into()),
                    search: SearchPlans::for_backend(backend),
                    message_index: None,
                    keys: Arc::default(),
                    file: None,
                })
            }
            Backend::Sqlite => {
                let url = sqlite_url(url);
                let options = AnyConnectOptions::from_str(&url)?;
                let file = SqliteConnectOptions::from_str(&url)?.get_filename().to_owned();
                // The writers do not attach the search index: `BEGIN IMMEDIATE` would take its
                // write lock too (see `message_index`).
                let write = sqlite_writer_pool(WRITER_PRAGMAS.into()).connect_with(options.clone()).await?;
                let message_index = message_index::MessageIndex::open(&file).await?;
                let read =
                    sqlite_pool(8, message_index::attach_for_reading(&file)).connect_with(options).await?;
                if checkpoints {
                    checkpoint::start(read.clone(), write.clone(), file.clone());
                }
                let wake = wake::LogWake::default();
                let posts = group_commit::PostQueue::start(write.clone(), &file, wake.clone())?;
                let search = SearchPlans::for_backend(backend);
                let message_index = Some(message_index);
                let keys = Arc::default();
                let file = Some(file);
                Ok(Self {
                    write,
                    read,
                    backend,
                    posts,
                    wake,
                    listen_url: None,
                    search,
                    message_index,
                    keys,
                    file,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
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
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.write.begin().await,
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
        if self.backend == Backend::Postgres {
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

    pub(crate) fn post_queue(&self) -> &group_commit::PostQueue {
        &self.posts
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Applies pending migrations (safe to run from several nodes at once on PostgreSQL:
    /// the migrator takes an advisory lock).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        migrate::migrator(self.backend).run(&self.write).await?;
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

    /// SQLite: the bytes this process may still write on the disk that holds the database;
    /// `None` on PostgreSQL, whose disk is the database server's (it reports a full one as an
    /// error, `Outage::StorageFull`).
    pub fn free_disk(&self) -> Option<u64> {
        let dir = self.file.as_deref()?.parent()?;
        let dir = if dir.as_os_str().is_empty() { std::path::Path::new(".") } else { dir };
        let stat = rustix::fs::statvfs(dir).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    /// Closes the pools; on SQLite, after copying the WAL back into the database file.
    pub async fn close(&self) {
        // Readers go first: one still reading, or the background task's passive checkpoint
        // running on a reading connection, would make the last checkpoint give up.
        self.read.close().await;
        if let Some(index) = &self.message_index {
            index.close().await;
        }
        if self.backend == Backend::Sqlite {
            match checkpoint::last(&self.write).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!("another process held the WAL at shutdown; it stays"),
                Err(error) => tracing::warn!(%error, "the WAL could not be copied back at shutdown"),
            }
        }
        self.write.close().await;
    }
}
