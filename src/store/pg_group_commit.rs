//! Group commit for message posts on PostgreSQL, as `group_commit` does on SQLite.
//!
//! An event-writing transaction holds its workspace's event lock from its first event to the
//! end of its commit (`events::append_to`), and a commit waits for the WAL to reach the disk:
//! one post per transaction made a workspace's posts take turns at the disk's pace. Here posts
//! queue, and each of a few lanes writes whatever has queued in one transaction: the lock and
//! the flush are paid once per batch. A batch decides its posts in memory, one after another
//! (`messages::post`), so a refusal leaves the others. The lanes have connections of their
//! own, so requests waiting on other locks cannot starve them.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::error::{Outage, outage, retrying};
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

/// Connects the lanes to `url` and starts them; they end when every sender is gone.
pub(crate) async fn start(url: &str, wake: LogWake) -> Result<PostQueue, sqlx::Error> {
    let pool = AnyPoolOptions::new()
        .max_connections(LANES as u32)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await?;
    let (sender, receiver) = mpsc::channel(4_096);
    let receiver = Arc::new(Mutex::new(receiver));
    for _ in 0..LANES {
        tokio::spawn(lane(pool.clone(), receiver.clone(), wake.clone()));
    }
    Ok(PostQueue::new(sender))
}

async fn lane(pool: AnyPool, receiver: Arc<Mutex<mpsc::Receiver<Job>>>, wake: LogWake) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if receiver.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        // A request that has gone (its client hung up, or it timed out) is not written: it
        // has answered its client already.
        let (jobs, replies): (Vec<_>, Vec<_>) =
            batch.drain(..).filter(|(_, reply)| !reply.is_closed()).unzip();
        if jobs.is_empty() {
            continue;
        }
        let results = match write_together(&pool, &jobs).await {
            Ok(results) => results,
            Err(error) => written_apart(&pool, &jobs, error).await,
        };
        wake.bump();
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// After a batch failed with `error`: an outage fails every post (one may even have been
/// committed, if the connection dropped during `COMMIT`: writing it again would store it
/// twice); anything else (a deadlock lost, one post's statement failing) rolled the batch back
/// and writes the posts one per transaction, so only a failing post fails.
async fn written_apart(
    pool: &AnyPool,
    jobs: &[PostJob],
    error: StoreError,
) -> Vec<Result<Posted, StoreError>> {
    let kind = match &error {
        StoreError::Database(database) => outage(database),
        _ => None,
    };
    if let Some(kind @ (Outage::Unavailable | Outage::StorageFull)) = kind {
        tracing::warn!(%error, posts = jobs.len(), "a batch of posts failed");
        return jobs.iter().map(|_| Err(StoreError::Outage(kind))).collect();
    }
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let one = std::slice::from_ref(job);
        let written = retrying(|| write_together(pool, one)).await;
        results.push(written.and_then(|mut one| one.pop().expect("one result per post")));
    }
    results
}

/// Writes `jobs` in order in one transaction: the outer error is a database failure that
/// aborted it; the inner ones are each post's own refusals.
async fn write_together(
    pool: &AnyPool,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    let mut tx = pool.begin().await?;
    let conversations = lock_conversations(&mut *tx, Backend::Postgres, jobs).await?;
    // The conversations' update may take the workspaces' event locks (the tallies' trigger)
    // in the order it meets their rows: a batch spanning workspaces takes them here first, in
    // order, so two lanes never wait on each other's.
    let workspaces: BTreeSet<&str> = jobs.iter().map(|job| job.ws.as_str()).collect();
    if workspaces.len() > 1 {
        for ws in workspaces {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(ws.to_owned())
                .execute(&mut *tx)
                .await?;
        }
    }
    let results = post(&mut *tx, conversations, jobs).await?;
    tx.commit().await?;
    Ok(results)
}
