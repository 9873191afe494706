//! WAL checkpoints on SQLite, off the commit path.
//!
//! By default SQLite checkpoints inside whichever commit pushes the WAL past 1,000 pages: that
//! commit copies the pages back into the database file and syncs it while every queued post
//! waits. The writer connection turns automatic checkpoints off and this task runs a passive
//! checkpoint (which never blocks the writer or readers) on a reading connection instead.

use std::time::Duration;

use sqlx::AnyPool;

/// How often the WAL is copied back; at peak ingest that is a few thousand pages.
const EVERY: Duration = Duration::from_millis(250);

pub(crate) fn start(read: AnyPool) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if read.is_closed() {
                return;
            }
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&read).await {
                tracing::warn!(%error, "WAL checkpoint failed");
            }
        }
    });
}
