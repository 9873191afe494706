//! SQLite's message search index, in a file of its own, filled in bulk just after commit.
//!
//! FTS5 writes a new index segment at every commit that adds to an index, and merges the
//! segments as they pile up. Done inside every post's transaction, that was about a third of
//! the database's time per post, and its merges made the p99. So the transaction that writes
//! a message does not index it: a round of this task indexes every message committed since
//! the last round, in key order and in one transaction (one segment), and moves the mark
//! `message_index_progress.indexed_rid` past them. Rounds follow commits, at most one per
//! [`PAUSE`] unless a search asks for one.
//!
//! The index has a file of its own beside the database ([`file_beside`]): SQLite has one
//! writer per file, and a round in the database's file held its write lock for tens of
//! milliseconds twice a second, every post waiting behind it (a tenth of the posting thread's
//! time, and the posts' p99). From its own file a round only reads the database, on the other
//! core, while posts go on. The reading connections attach the file as `search`. It holds
//! nothing but the index and its mark: a missing file is made again from every message.
//!
//! The database's triggers (migration 0014) record the key of every message deleted or
//! edited in `message_search_changes`; a round drops those keys, indexes again the messages
//! that now hold their rids, and then clears the changes it applied.
//!
//! A search first waits until every message committed before it began is indexed and every
//! change applied ([`MessageIndex::caught_up`]), so it finds every message whose post was
//! acknowledged before the search was sent, and none deleted before.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions, Executor, Row};
use tokio::sync::{Notify, watch};

mod round;

use super::StoreError;
use super::wake::LogWake;
pub(crate) use round::round;

/// The least time between two rounds that follow commits: under steady posting a round
/// indexes what this much time brought in. Fewer, larger rounds write fewer segments for
/// FTS5 to merge. Searches do not wait for it (they ask for a round).
const PAUSE: Duration = Duration::from_millis(500);
/// How long a search waits for the index before it answers without the newest messages.
const WAIT: Duration = Duration::from_secs(2);

/// The index's file: the database's path with `-search` appended, as SQLite names its own
/// `-wal` and `-shm` companions.
pub(crate) fn file_beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-search");
    PathBuf::from(name)
}

/// The index file's schema, made when missing: a contentless FTS5 table keyed by
/// `conversation rid × MESSAGE_KEYS + seq` (migration 0012), and how far it has got.
const SCHEMA: &str = "CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5 \
     (content, content = '', contentless_delete = 1); \
     CREATE TABLE IF NOT EXISTS message_index_progress \
     (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_rid INTEGER NOT NULL); \
     INSERT OR IGNORE INTO message_index_progress (id, indexed_rid) VALUES (1, 0);";

/// What a reading connection runs to see the index as `search`, with a page cache as large
/// as its own: a search reads many index pages.
pub(crate) fn attach_for_reading(database: &Path) -> String {
    let file = sql_literal(&file_beside(database).to_string_lossy());
    format!("ATTACH DATABASE {file} AS search; PRAGMA search.cache_size = {CACHE};")
}

/// Page cache of an attached file (KiB, negated), as `SQLITE_PRAGMAS` gives a connection's own.
const CACHE: i64 = -32_768;

fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The database as a read-only URI: the index's own connection reads it attached, so its
/// `BEGIN IMMEDIATE` takes the index file's write lock and never the database's.
fn read_only_uri(database: &Path) -> String {
    let mut uri = String::from("file:");
    for c in database.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri + "?mode=ro"
}

#[derive(Clone)]
pub(crate) struct MessageIndex(Arc<Shared>);

struct Shared {
    /// One connection to the index file, with the database attached (read-only) as `data`.
    pool: AnyPool,
    /// Rounds finished so far.
    rounds: watch::Sender<u64>,
    /// A search waits for a round.
    asked: Notify,
    started: AtomicBool,
}

impl MessageIndex {
    /// Opens (and makes, if missing) the index file beside `database`.
    pub async fn open(database: &Path) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::new().filename(file_beside(database)).create_if_missing(true);
        let options = AnyConnectOptions::from_url(&options.to_url_lossy())?;
        let database = sql_literal(&read_only_uri(database));
        let attach = format!("ATTACH DATABASE {database} AS data; PRAGMA data.cache_size = {CACHE};");
        let pool = super::sqlite_writer_pool(attach).connect_with(options).await?;
        pool.execute(SCHEMA).await?;
        let shared = Shared {
            pool,
            rounds: watch::Sender::default(),
            asked: Notify::new(),
            started: AtomicBool::new(false),
        };
        Ok(MessageIndex(Arc::new(shared)))
    }

    /// Starts the rounds (once; the schema must be migrated); `writer` clears the changes a
    /// round has applied.
    pub async fn start(&self, writer: AnyPool, wake: LogWake) -> Result<(), sqlx::Error> {
        if self.0.started.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        start_over_if_ahead(&self.0.pool).await?;
        let shared = self.0.clone();
        tokio::spawn(async move {
            let mut commits = wake.subscribe();
            loop {
                match round(&shared.pool, &writer).await {
                    Ok(more) => {
                        shared.rounds.send_modify(|n| *n += 1);
                        if more {
                            continue;
                        }
                    }
                    Err(_) if shared.pool.is_closed() || writer.is_closed() => return,
                    Err(error) => tracing::warn!(%error, "indexing messages for search failed"),
                }
                tokio::select! {
                    _ = shared.asked.notified() => {}
                    changed = commits.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(PAUSE) => {}
                            _ = shared.asked.notified() => {}
                        }
                    }
                }
            }
        });
        Ok(())
    }

    /// Indexes everything not yet indexed, now (after a bulk load).
    pub async fn catch_up(&self, writer: &AnyPool) -> Result<(), sqlx::Error> {
        while round(&self.0.pool, writer).await? {}
        Ok(())
    }

    pub async fn close(&self) {
        self.0.pool.close().await;
    }

    /// Waits until every message committed before the call is indexed and every change
    /// applied (at most [`WAIT`]). `reader` is a reading pool (it has the index attached).
    pub async fn caught_up(&self, reader: &AnyPool) -> Result<(), StoreError> {
        if !self.0.started.load(Ordering::SeqCst) {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut rounds = self.0.rounds.subscribe();
        loop {
            let row = sqlx::query(
                "SELECT (SELECT COALESCE(MAX(rid), 0) FROM messages) AS newest, \
                 (SELECT indexed_rid FROM search.message_index_progress) AS indexed, \
                 EXISTS (SELECT 1 FROM message_search_changes) AS changed",
            )
            .fetch_one(reader)
            .await?;
            let (newest, indexed): (i64, i64) = (row.try_get("newest")?, row.try_get("indexed")?);
            if indexed >= newest && row.try_get::<i64, _>("changed")? == 0 {
                return Ok(());
            }
            rounds.borrow_and_update();
            self.0.asked.notify_one();
            if tokio::time::timeout_at(deadline, rounds.changed()).await.is_err() {
                tracing::warn!("the message index is behind: searching without the newest messages");
                return Ok(());
            }
        }
    }
}

/// An index whose mark is past the database's newest message was left by another database
/// (one deleted and made again, or restored from a backup): it starts over.
async fn start_over_if_ahead(index: &AnyPool) -> Result<(), sqlx::Error> {
    let mut tx = index.begin_with("BEGIN IMMEDIATE").await?;
    let ahead: i64 = sqlx::query_scalar(
        "SELECT indexed_rid > (SELECT COALESCE(MAX(rid), 0) FROM messages) FROM message_index_progress",
    )
    .fetch_one(&mut *tx)
    .await?;
    if ahead == 1 {
        tracing::warn!("the message index is ahead of the database: it is made again");
        sqlx::query("INSERT INTO message_search (message_search) VALUES ('delete-all')")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE message_index_progress SET indexed_rid = 0").execute(&mut *tx).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::super::group_commit::tests::{message, store_with_conversation, store_with_conversation_in};
    use super::super::{Actor, Store};
    use super::*;

    /// How many messages a search finds with `word`, once the index has caught up.
    async fn found(store: &Store, word: &str) -> i64 {
        store.message_index_caught_up().await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM message_search WHERE message_search MATCH $1")
            .bind(word.to_owned())
            .fetch_one(store.reader())
            .await
            .unwrap()
    }

    /// Filling the index never holds up a post: with the index file's write lock taken by
    /// another connection, a post is still written and answered; it is found once the lock
    /// is let go.
    #[tokio::test]
    async fn posts_are_written_while_the_index_is_locked() {
        let (dir, store, ws, conv) = store_with_conversation().await;
        let holder = rusqlite::Connection::open(file_beside(&dir.path().join("t.db"))).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let (text, actor) = (message("tulips"), Actor::system());
        let post = store.post_message(&ws, &conv, "msg_1", &text, &actor, 1);
        tokio::time::timeout(Duration::from_secs(3), post)
            .await
            .expect("the post waited for the index")
            .unwrap();
        holder.execute_batch("ROLLBACK").unwrap();
        assert_eq!(found(&store, "tulips").await, 1);
    }

    /// Edited messages are found as they now read, deleted ones not at all, and a message
    /// that takes the rid of a deleted one is found too.
    #[tokio::test]
    async fn edits_and_deletions_reach_the_index() {
        let (_dir, store, ws, conv) = store_with_conversation().await;
        let post = |id: &'static str, text: &'static str| {
            let (store, ws, conv) = (store.clone(), ws.clone(), conv.clone());
            async move { store.post_message(&ws, &conv, id, &message(text), &Actor::system(), 1).await.unwrap() }
        };
        post("msg_1", "tulips").await;
        post("msg_2", "lilies").await;
        assert_eq!((found(&store, "tulips").await, found(&store, "lilies").await), (1, 1));

        let writer = store.writer().clone();
        let write = |sql: &'static str| {
            let writer = writer.clone();
            async move { sqlx::query(sql).execute(&writer).await.unwrap() }
        };
        write("UPDATE messages SET content = 'roses' WHERE id = 'msg_1'").await;
        assert_eq!((found(&store, "tulips").await, found(&store, "roses").await), (0, 1));
        // The newest message goes, and the next post takes its rid again.
        write("DELETE FROM messages WHERE id = 'msg_2'").await;
        assert_eq!(found(&store, "lilies").await, 0);
        post("msg_3", "daisies").await;
        assert_eq!((found(&store, "daisies").await, found(&store, "lilies").await), (1, 0));
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM message_search_changes")
            .fetch_one(store.reader())
            .await
            .unwrap();
        assert_eq!(left, 0, "applied changes are cleared");
    }

    /// The index file holds nothing that is not in the database: deleted, it is made again
    /// from every message.
    #[tokio::test]
    async fn a_missing_index_file_is_made_again() {
        let (dir, store, ws, conv) = store_with_conversation().await;
        store.post_message(&ws, &conv, "msg_1", &message("tulips"), &Actor::system(), 1).await.unwrap();
        assert_eq!(found(&store, "tulips").await, 1);
        store.close().await;
        let file = dir.path().join("t.db");
        std::fs::remove_file(file_beside(&file)).unwrap();

        let store = Store::connect(&format!("sqlite://{}", file.display())).await.unwrap();
        store.migrate().await.unwrap();
        assert_eq!(found(&store, "tulips").await, 1);
    }

    /// An index left beside a database made again (or restored from a backup) is ahead of
    /// it; it starts over rather than answer with the old database's messages.
    #[tokio::test]
    async fn an_index_ahead_of_its_database_starts_over() {
        let (dir, store, ws, conv) = store_with_conversation().await;
        for (id, text) in [("msg_1", "tulips"), ("msg_2", "roses")] {
            store.post_message(&ws, &conv, id, &message(text), &Actor::system(), 1).await.unwrap();
        }
        assert_eq!(found(&store, "tulips").await, 1);
        store.close().await;
        let file = dir.path().join("t.db");
        std::fs::remove_file(&file).unwrap();

        let (_dir, store, ws, conv) = store_with_conversation_in(dir).await;
        assert_eq!(found(&store, "tulips").await, 0);
        store.post_message(&ws, &conv, "msg_1", &message("daisies"), &Actor::system(), 1).await.unwrap();
        assert_eq!((found(&store, "daisies").await, found(&store, "roses").await), (1, 0));
    }
}
