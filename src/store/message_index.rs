//! SQLite's message search index, filled in bulk just after commit.
//!
//! FTS5 writes a new index segment at every commit that adds to an index, and merges the
//! segments as they pile up. Done inside every post's transaction, that was about a third of
//! the database's time per post, and its merges made the p99. So the transaction that writes
//! a message does not index it: a round of this task indexes every message committed since
//! the last round, in key order and in one transaction (one segment), and moves the mark
//! `message_index_progress.indexed_rid` (migration 0013) past them. Rounds follow commits, at
//! most one per [`PAUSE`] unless a search asks for one.
//!
//! A search first waits until every message committed before it began is indexed
//! ([`MessageIndex::caught_up`]), so it finds every message whose post was acknowledged
//! before the search was sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{AnyPool, AssertSqlSafe, Row};
use tokio::sync::{Notify, watch};

use super::wake::LogWake;
use super::{MESSAGE_KEYS, StoreError};

/// The least time between two rounds that follow commits: under steady posting a round
/// indexes what this much time brought in. Searches do not wait for it (they ask for a round).
/// Each round is a commit from another connection than the posting one, and in WAL mode that
/// drops the posting connection's whole page cache, so its next posts read their pages back
/// from the file. At 500 ms instead of 100 the posting thread's reads fell from 18 to 13 per
/// post (counted with `strace`), and posting was faster in 4 of 5 rounds (docs/BENCHMARKS.md).
const PAUSE: Duration = Duration::from_millis(500);
/// Messages indexed by one round at most, so a backlog (an upgrade, a bulk load) holds the
/// write lock for tens of milliseconds at a time, not minutes.
const ROUND: i64 = 5_000;
/// How long a search waits for the index before it answers without the newest messages.
const WAIT: Duration = Duration::from_secs(2);

#[derive(Clone, Default)]
pub(crate) struct MessageIndex(Arc<Shared>);

#[derive(Default)]
struct Shared {
    /// Rounds finished so far.
    rounds: watch::Sender<u64>,
    /// A search waits for a round.
    asked: Notify,
    started: AtomicBool,
}

impl MessageIndex {
    /// Starts the rounds on `writer` (once; the schema must be migrated).
    pub fn start(&self, writer: AnyPool, wake: LogWake) {
        if self.0.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = self.0.clone();
        tokio::spawn(async move {
            let mut commits = wake.subscribe();
            loop {
                match round(&writer).await {
                    Ok(more) => {
                        shared.rounds.send_modify(|n| *n += 1);
                        if more {
                            continue;
                        }
                    }
                    Err(_) if writer.is_closed() => return,
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
    }

    /// Waits until every message committed before the call is indexed (at most [`WAIT`]).
    /// The mark is read from the database each time: a deletion may have lowered it.
    pub async fn caught_up(&self, reader: &AnyPool) -> Result<(), StoreError> {
        if !self.0.started.load(Ordering::SeqCst) {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut rounds = self.0.rounds.subscribe();
        loop {
            let row = sqlx::query(
                "SELECT (SELECT COALESCE(MAX(rid), 0) FROM messages) AS newest, \
                 (SELECT indexed_rid FROM message_index_progress) AS indexed",
            )
            .fetch_one(reader)
            .await?;
            let (newest, indexed): (i64, i64) = (row.try_get("newest")?, row.try_get("indexed")?);
            if indexed >= newest {
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

/// Indexes the next messages (up to [`ROUND`]) in one transaction. Returns whether more are
/// waiting.
pub(crate) async fn round(writer: &AnyPool) -> Result<bool, sqlx::Error> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let from: i64 =
        sqlx::query_scalar("SELECT indexed_rid FROM message_index_progress").fetch_one(&mut *tx).await?;
    let row = sqlx::query(
        "SELECT MAX(rid) AS upto, COUNT(*) AS n FROM \
         (SELECT rid FROM messages WHERE rid > $1 ORDER BY rid LIMIT $2)",
    )
    .bind(from)
    .bind(ROUND)
    .fetch_one(&mut *tx)
    .await?;
    let (upto, n): (Option<i64>, i64) = (row.try_get("upto")?, row.try_get("n")?);
    let Some(upto) = upto else {
        tx.rollback().await?;
        return Ok(false);
    };
    // In key order, so FTS5 writes the round as one run.
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO message_search (rowid, content) \
         SELECT c.rid * {MESSAGE_KEYS} + m.seq, m.content FROM messages m \
         JOIN conversations c ON c.id = m.conversation_id WHERE m.rid > $1 AND m.rid <= $2 ORDER BY 1"
    )))
    .bind(from)
    .bind(upto)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE message_index_progress SET indexed_rid = $1").bind(upto).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(n == ROUND)
}
