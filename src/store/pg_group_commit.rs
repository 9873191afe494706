//! Group commit for message posts on PostgreSQL, as `group_commit` does on SQLite.
//!
//! An event-writing transaction holds its workspace's event lock from its first event to the
//! end of its commit (`events::append_to`), and a commit waits for the WAL to reach the disk:
//! one post per transaction made a workspace's posts take turns at the disk's pace. Here posts
//! queue, and each of a few lanes writes whatever has queued in one transaction: the lock and
//! the flush are paid once per batch. A batch decides its posts in memory, one after another
//! (`messages::post`), so a refusal leaves the others; a database error aborts the batch and
//! its posts are then written one per transaction, so only a failing post fails.

use std::sync::Arc;

use sqlx::AnyPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::group_commit::PostQueue;
use super::messages::{PostJob, Posted, lock_conversations, post};
use super::wake::LogWake;
use super::{Backend, StoreError};

/// Posts written together at most.
const MAX_BATCH: usize = 128;
/// Batches written at once: while one waits for the event lock or its flush, the next reads
/// its conversations and decides its posts.
const LANES: usize = 2;

type Job = (PostJob, oneshot::Sender<Result<Posted, StoreError>>);

/// Starts the lanes writing through `pool`; they end when every sender is gone.
pub(crate) fn start(pool: AnyPool, wake: LogWake) -> PostQueue {
    let (sender, receiver) = mpsc::channel(4_096);
    let receiver = Arc::new(Mutex::new(receiver));
    for _ in 0..LANES {
        tokio::spawn(lane(pool.clone(), receiver.clone(), wake.clone()));
    }
    PostQueue::new(sender)
}

async fn lane(pool: AnyPool, receiver: Arc<Mutex<mpsc::Receiver<Job>>>, wake: LogWake) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if receiver.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let (jobs, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let results = match write_together(&pool, &jobs).await {
            Ok(results) => results,
            Err(error) if jobs.len() == 1 => vec![Err(error)],
            Err(_) => {
                let mut results = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    let written = write_together(&pool, std::slice::from_ref(job)).await;
                    results.push(written.and_then(|mut one| one.pop().expect("one result per post")));
                }
                results
            }
        };
        wake.bump();
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// Writes `jobs` in order in one transaction: the outer error is a database failure that
/// aborted it; the inner ones are each post's own refusals.
async fn write_together(
    pool: &AnyPool,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    let mut tx = pool.begin().await?;
    let conversations = lock_conversations(&mut *tx, Backend::Postgres, jobs).await?;
    let results = post(&mut *tx, conversations, jobs).await?;
    tx.commit().await?;
    Ok(results)
}
