//! Group commit for message posts on SQLite.
//!
//! SQLite has one writer, and what a write transaction costs is mostly its commit: every page
//! it touched (the message, its search index rows, the conversation's index entries, the
//! event) is appended to the WAL. Posting is the hottest write, so posts queue here and one
//! task writes whatever has queued up in a single transaction: under load many posts share one
//! commit; alone, a post is written at once. Each post's reply is sent only after the commit,
//! so a 2xx still means stored.
//!
//! The writing task runs on a thread of its own and writes through a SQLite connection of its
//! own, calling SQLite directly with statements prepared once (`post_writer`). While it writes
//! it holds the write pool's only connection, so SQLite never sees two writers at once.
//!
//! A post's refusals (closed conversation, unknown reply target, …) happen before it writes,
//! so they leave the batch untouched. A database error aborts the whole transaction; its
//! posts are then retried one per transaction, so only the failing post fails.

use std::path::Path;

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use super::conn::Conn;
use super::messages::{PostJob, Posted, load_conversations, post_into};
use super::post_writer::PostWriter;
use super::wake::LogWake;
use super::{Dialect, StoreError};

/// Posts written together at most; bounds the latency a batch adds to its first post.
const MAX_BATCH: usize = 128;
/// Posts waiting at most before senders wait for room (back-pressure).
const QUEUE: usize = 4_096;

type Reply = oneshot::Sender<Result<Posted, StoreError>>;

/// The sending side; the writing task ends when every sender is gone.
#[derive(Clone)]
pub(crate) struct PostQueue(mpsc::Sender<(PostJob, Reply)>);

impl PostQueue {
    /// Starts the writing task, on a thread of its own, writing to the database `file`;
    /// `gate` is the store's single-connection write pool.
    pub fn start(gate: AnyPool, file: &Path, wake: LogWake) -> Result<Self, sqlx::Error> {
        let writer = PostWriter::open(file)?;
        let (sender, receiver) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::Builder::new()
            .name("baton-posts".into())
            .spawn(move || runtime.block_on(run(gate, writer, wake, receiver)))?;
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
    wake: LogWake,
    mut receiver: mpsc::Receiver<(PostJob, Reply)>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (jobs, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let written = write_together(&gate, &mut writer, &jobs).await;
        wake.bump();
        match written {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(error) if jobs.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(error));
                }
            }
            Err(_) => {
                for (job, reply) in jobs.iter().zip(replies) {
                    let result = write_together(&gate, &mut writer, std::slice::from_ref(job)).await;
                    wake.bump();
                    let _ = reply.send(result.and_then(|mut one| one.pop().expect("one result per post")));
                }
            }
        }
    }
}

/// Writes `jobs` in order in one transaction: the outer error is a database failure that
/// aborted it; the inner ones are each post's own refusals.
async fn write_together(
    gate: &AnyPool,
    writer: &mut PostWriter,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    // Every other write goes through the pool's one connection: holding it is the write lock.
    let _gate = gate.acquire().await?;
    let written = write_in(writer, jobs).await;
    if written.is_err() {
        // A failed statement or COMMIT leaves the transaction open. (If the failure was
        // `BEGIN` itself, there is nothing to roll back and this fails harmlessly.)
        let _ = writer.execute("ROLLBACK");
    }
    written
}

async fn write_in(
    writer: &mut PostWriter,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    // The write lock is taken up front, as `Store::begin_write` does.
    writer.execute("BEGIN IMMEDIATE")?;
    let loaded = load_conversations(writer, Dialect::Sqlite, jobs).await?;
    let mut script = writer.script();
    let results = post_into(writer, &mut script, loaded, jobs).await?;
    writer.run(script).await?;
    writer.execute("COMMIT")?;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::super::{
        Actor, ContactSpec, NewApiKey, NewContact, NewConversation, NewMessage, Store, WorkspaceId,
    };
    use super::*;
    use crate::domain::conversation::{MessageType, Priority, SenderType};

    async fn store_with_conversation() -> (tempfile::TempDir, Store, WorkspaceId, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        store.migrate().await.unwrap();
        let key = NewApiKey {
            id: "key_1".into(),
            name: "k".into(),
            kind: "server".into(),
            secret_hash: "h".into(),
            secret_hint: "k".into(),
        };
        store.create_workspace("ws_1", "W", &key, 0).await.unwrap();
        let ws = WorkspaceId::trusted("ws_1");
        let contact = NewContact { email: Some("ada@example.com".into()), ..NewContact::default() };
        let input = NewConversation {
            contact: ContactSpec::Lookup(contact),
            channel_id: None,
            title: None,
            context: None,
            priority: Priority::Normal,
            custom_data: Default::default(),
            state_id: None,
            agent_id: None,
            first_message: None,
        };
        let conversation =
            store.create_conversation(&ws, "conv_1", &input, &Actor::system(), 0).await.unwrap();
        (dir, store, ws, conversation.id)
    }

    fn message(content: &str) -> NewMessage {
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
}
