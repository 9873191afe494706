//! The loop both background workers run (AI answers, webhook and channel deliveries): claim
//! due jobs under a lease, work on each outside any transaction, record what came of them.
//!
//! Durable work is a row; this only decides when to look for it. A worker claims as many jobs
//! as it has free slots whenever a commit may have queued one (on PostgreSQL, any node's) and
//! at least every [`POLL`]. A node that dies mid-job leaves it to the others when its lease
//! runs out.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

use crate::clock::SharedClock;
use crate::store::{Store, StoreError};

/// With nothing woken, workers still look for due retries and expired leases this often.
const POLL: Duration = Duration::from_secs(1);

/// A kind of leased job and how a worker handles it.
pub trait LeasedJobs: Send + Sync + Sized + 'static {
    type Job: Send + 'static;
    /// What working on a job leaves to record (recorded many at a time, in one transaction).
    type Done: Send + 'static;
    /// Jobs worked on at once per node.
    const CONCURRENCY: usize;
    /// For the log: "AI responses", "deliveries".
    const NAME: &'static str;

    fn store(&self) -> &Store;
    fn clock(&self) -> &SharedClock;
    /// How long a claim holds a job before another node may take it.
    fn lease(&self) -> Duration;
    /// Claims up to `limit` jobs due at `now`, leased until `until`.
    fn claim(
        &self,
        now: i64,
        until: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Self::Job>, StoreError>> + Send;
    /// Works on one job; `None` when there is nothing to record (its lease runs out and it is
    /// tried again, or the work recorded itself).
    fn work(&self, job: Self::Job) -> impl Future<Output = Option<Self::Done>> + Send;
    /// Records what came of finished jobs.
    fn record(&self, done: Vec<Self::Done>) -> impl Future<Output = ()> + Send;
    /// Runs before each look for jobs.
    fn prepare(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }
}

/// Claims up to `limit` jobs with the worker's lease.
async fn claim<W: LeasedJobs>(worker: &W, limit: usize) -> Result<Vec<W::Job>, StoreError> {
    let now = worker.clock().now_ms();
    let lease = i64::try_from(worker.lease().as_millis()).unwrap_or(i64::MAX);
    worker.claim(now, now.saturating_add(lease), i64::try_from(limit).unwrap_or(1)).await
}

/// One round, for tests and tools: claims what is due now, works on all of it at once and
/// records the results. Returns how many jobs it claimed.
pub async fn run_due<W: LeasedJobs>(worker: &W) -> Result<usize, StoreError> {
    worker.prepare().await?;
    let claimed = claim(worker, W::CONCURRENCY).await?;
    let count = claimed.len();
    let done = futures_util::future::join_all(claimed.into_iter().map(|job| worker.work(job))).await;
    worker.record(done.into_iter().flatten().collect()).await;
    Ok(count)
}

/// Runs until dropped, with at most `W::CONCURRENCY` jobs in flight; results are recorded
/// together by a task of their own, as many as have finished.
pub async fn run<W: LeasedJobs>(worker: Arc<W>) {
    let slots = Arc::new(Semaphore::new(W::CONCURRENCY));
    let (finished, mut to_record) = mpsc::channel::<W::Done>(W::CONCURRENCY * 4);
    let recorder = worker.clone();
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(W::CONCURRENCY);
        while to_record.recv_many(&mut batch, W::CONCURRENCY).await > 0 {
            recorder.record(std::mem::take(&mut batch)).await;
        }
    });
    let mut changes = worker.store().log_changes();
    loop {
        if let Err(error) = worker.prepare().await {
            tracing::warn!(?error, jobs = W::NAME, "could not prepare to claim jobs");
        }
        let free = slots.available_permits();
        if free > 0 {
            match claim(&*worker, free).await {
                Ok(claimed) => {
                    let full = claimed.len() == free;
                    for job in claimed {
                        let Ok(slot) = slots.clone().acquire_owned().await else { return };
                        let (worker, finished) = (worker.clone(), finished.clone());
                        tokio::spawn(async move {
                            if let Some(done) = worker.work(job).await {
                                let _ = finished.send(done).await;
                            }
                            drop(slot);
                        });
                    }
                    if full {
                        continue;
                    }
                }
                Err(error) => tracing::warn!(?error, jobs = W::NAME, "could not claim jobs"),
            }
        }
        // Recording commits, which wakes this loop for the next in line.
        tokio::select! {
            _ = changes.changed() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}
