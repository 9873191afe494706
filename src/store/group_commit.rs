//! Group commit for message posts on SQLite.
//!
//! SQLite has one writer, and what a write transaction costs is mostly its commit: every page
//! it touched (the message, its search index rows, the conversation's index entries, the
//! event) is appended to the WAL. Posting is the hottest write, so posts queue here and one
//! task writes whatever has queued up in a single transaction: under load many posts share one
//! commit; alone, a post is written at once.
//!
//! The writing task runs on a thread of its own and writes through a SQLite connection of its
//! own, calling SQLite directly with statements prepared once (`post_writer`). While it writes
//! it holds the write pool's only connection, so SQLite never sees two writers at once.
//!
//! Its commits do not wait for the disk. A second thread flushes the WAL (`fdatasync`) and
//! only then answers the posts committed before the flush began, so a 2xx still means on
//! disk; meanwhile the writing thread is already writing the next batch. (Other readers may
//! see a batch for the millisecond before its flush ends; its posters have no answer yet.)
//!
//! A post's refusals (closed conversation, unknown reply target, …) happen before it writes,
//! so they leave the batch untouched. A database error aborts the whole transaction; its
//! posts are then retried one per transaction, so only the failing post fails.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
use tokio::sync::{mpsc, oneshot};

use super::messages::{PostJob, Posted, lock_conversations, post};
use super::post_writer::PostWriter;
use super::wake::LogWake;
use super::{Backend, StoreError};

/// Posts written together at most; bounds the latency a batch adds to its first post.
const MAX_BATCH: usize = 128;
/// How long a run of batches keeps the write lock while other writers may be waiting.
const HOLD: Duration = Duration::from_millis(10);
/// Posts waiting at most before senders wait for room (back-pressure).
const QUEUE: usize = 4_096;

type Reply = oneshot::Sender<Result<Posted, StoreError>>;

/// A batch's replies, committed and waiting for the WAL to reach the disk.
type Committed = Vec<(Reply, Result<Posted, StoreError>)>;

/// The sending side; the writing task ends when every sender is gone.
#[derive(Clone)]
pub(crate) struct PostQueue(mpsc::Sender<(PostJob, Reply)>);

impl PostQueue {
    /// A queue whose jobs `receiver`'s owner writes (`pg_group_commit`).
    pub(super) fn new(sender: mpsc::Sender<(PostJob, Reply)>) -> Self {
        PostQueue(sender)
    }

    /// Starts the writing task, on a thread of its own, writing to the database `file`;
    /// `gate` is the store's single-connection write pool.
    pub fn start(gate: AnyPool, file: &Path, wake: LogWake) -> Result<Self, sqlx::Error> {
        let writer = PostWriter::open(file)?;
        let (sender, receiver) = mpsc::channel(QUEUE);
        let (committed, to_sync) = std::sync::mpsc::channel();
        let wal = wal_of(file);
        std::thread::Builder::new()
            .name("baton-wal-sync".into())
            .spawn(move || sync_then_reply(&wal, &to_sync, &wake))?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::Builder::new()
            .name("baton-posts".into())
            .spawn(move || runtime.block_on(run(gate, writer, committed, receiver)))?;
        Ok(PostQueue(sender))
    }

    pub async fn post(&self, job: PostJob) -> Result<Posted, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Database(sqlx::Error::PoolClosed);
        self.0.send((job, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(
    gate: AnyPool,
    mut writer: PostWriter,
    committed: std::sync::mpsc::Sender<Committed>,
    mut receiver: mpsc::Receiver<(PostJob, Reply)>,
) {
    let mut lock = WriteLock { pool: gate, held: None };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (jobs, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let results = match write_together(&mut lock, &mut writer, &jobs).await {
            Ok(results) => results,
            Err(error) if jobs.len() == 1 => vec![Err(error)],
            Err(_) => {
                let mut results = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    let written = write_together(&mut lock, &mut writer, std::slice::from_ref(job)).await;
                    results.push(written.and_then(|mut one| one.pop().expect("one result per post")));
                }
                results
            }
        };
        lock.pass(!receiver.is_empty());
        if committed.send(replies.into_iter().zip(results).collect()).is_err() {
            return;
        }
    }
}

/// Makes committed batches durable, then answers them: one `fdatasync` of the WAL covers
/// every batch committed before it began, and while it waits on the disk the posting
/// thread is already writing the next batch.
fn sync_then_reply(wal: &Path, to_sync: &std::sync::mpsc::Receiver<Committed>, wake: &LogWake) {
    while let Ok(first) = to_sync.recv() {
        let mut batches = vec![first];
        batches.extend(to_sync.try_iter());
        let synced = sync_data(wal);
        if let Err(error) = &synced {
            tracing::error!(%error, "could not flush the WAL to disk; the posts waiting on it fail");
        }
        wake.bump();
        for (reply, result) in batches.into_iter().flatten() {
            let _ = reply.send(match &synced {
                Ok(()) => result,
                // Committed but perhaps not on disk: the poster must not take it as stored.
                Err(error) => Err(StoreError::Database(sqlx::Error::Io(error.kind().into()))),
            });
        }
    }
}

/// Flushes the WAL's data to disk. No WAL file means it was copied into the database file,
/// which a checkpoint syncs before it empties or removes the WAL.
fn sync_data(wal: &Path) -> std::io::Result<()> {
    match std::fs::File::open(wal) {
        Ok(file) => file.sync_data(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

fn wal_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Writes `jobs` in order in one transaction: the outer error is a database failure that
/// aborted it; the inner ones are each post's own refusals.
async fn write_together(
    lock: &mut WriteLock,
    writer: &mut PostWriter,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    lock.take().await?;
    let written = write_in(writer, jobs).await;
    if written.is_err() {
        // A failed statement or COMMIT leaves the transaction open. (If the failure was
        // `BEGIN` itself, there is nothing to roll back and this fails harmlessly.)
        let _ = writer.execute("ROLLBACK");
    }
    written
}

/// The write lock: the write pool's one connection, through which every other write goes.
/// Handing it back costs a round trip to that connection's thread (sqlx pings a connection
/// as it returns to the pool), which the next batch would wait for; so it is kept from batch
/// to batch while posts keep coming, for at most [`HOLD`], then handed to whoever waits.
struct WriteLock {
    pool: AnyPool,
    held: Option<(PoolConnection<Any>, Instant)>,
}

impl WriteLock {
    async fn take(&mut self) -> Result<(), sqlx::Error> {
        if self.held.is_none() {
            self.held = Some((self.pool.acquire().await?, Instant::now()));
        }
        Ok(())
    }

    /// After a batch: keeps the lock for the next one if `more` posts wait and it has not
    /// been held for [`HOLD`] yet.
    fn pass(&mut self, more: bool) {
        if !more || self.held.as_ref().is_some_and(|(_, since)| since.elapsed() >= HOLD) {
            self.held = None;
        }
    }
}

async fn write_in(
    writer: &mut PostWriter,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    // The write lock is taken up front, as `Store::begin_write` does.
    writer.execute("BEGIN IMMEDIATE")?;
    let conversations = lock_conversations(writer, Backend::Sqlite, jobs).await?;
    let results = post(writer, conversations, jobs).await?;
    writer.execute("COMMIT")?;
    Ok(results)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{
        Actor, ContactSpec, NewApiKey, NewContact, NewConversation, NewMessage, Store, WorkspaceId,
    };
    use super::*;
    use crate::domain::conversation::{MessageType, SenderType};

    /// A migrated store in a temporary directory (as `t.db`), with one open conversation.
    pub(crate) async fn store_with_conversation() -> (tempfile::TempDir, Store, WorkspaceId, String) {
        store_with_conversation_in(tempfile::tempdir().unwrap()).await
    }

    /// The same, in `dir`.
    pub(crate) async fn store_with_conversation_in(
        dir: tempfile::TempDir,
    ) -> (tempfile::TempDir, Store, WorkspaceId, String) {
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        store.migrate().await.unwrap();
        let key = NewApiKey {
            id: "key_1".into(),
            name: "k".into(),
            kind: "server".into(),
            secret_hash: "h".into(),
            secret_hint: "k".into(),
            channel_id: None,
        };
        store.create_workspace("ws_1", "W", &key, 0).await.unwrap();
        let ws = WorkspaceId::trusted("ws_1");
        let contact = NewContact { email: Some("ada@example.com".into()), ..NewContact::default() };
        let input = NewConversation::for_contact(ContactSpec::Lookup(contact));
        let conversation =
            store.create_conversation(&ws, "conv_1", &input, &Actor::system(), 0).await.unwrap();
        (dir, store, ws, conversation.id)
    }

    /// A contact's text message.
    pub(crate) fn message(content: &str) -> NewMessage {
        NewMessage {
            sender_type: SenderType::Contact,
            sender_id: None,
            kind: MessageType::Text,
            content: content.into(),
            attachments: vec![],
            client_message_id: None,
            in_reply_to: None,
            source: None,
            metadata: Default::default(),
        }
    }

    /// Posts queued together share a transaction; one that fails in the database must not
    /// take the others down with it.
    #[tokio::test]
    async fn a_failing_post_fails_alone_and_its_batch_is_stored() {
        let (_dir, store, ws, conv) = store_with_conversation().await;
        sqlx::query(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON messages WHEN NEW.content = 'boom' \
             BEGIN SELECT RAISE(ABORT, 'boom refused'); END",
        )
        .execute(store.writer())
        .await
        .unwrap();
        let post = |id: &'static str, content: &'static str| {
            let (store, ws, conv) = (store.clone(), ws.clone(), conv.clone());
            async move { store.post_message(&ws, &conv, id, &message(content), &Actor::system(), 1).await }
        };
        // One task enqueues all three before the writer runs, so they form one batch.
        let (a, boom, b) = tokio::join!(post("msg_a", "a"), post("msg_boom", "boom"), post("msg_b", "b"));
        let seq = |posted: Result<Posted, StoreError>| match posted.unwrap() {
            Posted::Created { message, .. } => message.seq,
            Posted::Existing(_) => panic!("a new message was expected"),
        };
        assert_eq!((seq(a), seq(b)), (1, 2));
        assert!(matches!(boom, Err(StoreError::Database(_))));
        let stored: Vec<String> = sqlx::query_scalar("SELECT content FROM messages ORDER BY seq")
            .fetch_all(store.reader())
            .await
            .unwrap();
        assert_eq!(stored, ["a", "b"]);
    }

    /// The flush syncs the WAL beside the database (a WAL already copied back and removed
    /// leaves nothing to flush), and concurrent posts, handed from the writing thread to the
    /// flushing one in several batches, are all answered and stored.
    #[tokio::test]
    async fn the_wal_is_flushed_beside_the_database_and_every_post_is_answered() {
        let (dir, store, ws, conv) = store_with_conversation().await;
        let wal = wal_of(&dir.path().join("t.db"));
        assert_eq!(wal, dir.path().join("t.db-wal"));
        assert!(wal.exists());
        sync_data(&wal).unwrap();
        sync_data(&dir.path().join("absent.db-wal")).unwrap();

        let posts = (0..50).map(|i| {
            let (store, ws, conv) = (store.clone(), ws.clone(), conv.clone());
            tokio::spawn(async move {
                store.post_message(&ws, &conv, &format!("msg_{i}"), &message("hi"), &Actor::system(), 1).await
            })
        });
        for post in futures_util::future::join_all(posts).await {
            assert!(matches!(post.unwrap(), Ok(Posted::Created { .. })));
        }
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages").fetch_one(store.reader()).await.unwrap();
        assert_eq!(stored, 50);
    }
}
