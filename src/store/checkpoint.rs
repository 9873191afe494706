//! WAL checkpoints on SQLite, off the commit path.
//!
//! By default SQLite checkpoints inside whichever commit pushes the WAL past 1,000 pages: that
//! commit copies the pages back into the database file and syncs it while every queued post
//! waits. The writer connection turns automatic checkpoints off and this task runs a passive
//! checkpoint (which never blocks the writer or readers) on a reading connection instead.
//!
//! A passive checkpoint copies pages back but cannot wrap the WAL to its start: only a write
//! that begins while every page is copied back can, and under steady writes a new commit always
//! lands first, so the WAL would grow without end (gigabytes in a bulk load). Once it passes
//! [`RESTART_AFTER_PAGES`] a restart checkpoint finishes the copy with writers held off for a
//! moment and the WAL starts over. Before it takes the write lock, passive copies catch up
//! with what arrived meanwhile and the database file is synced, so the restart has only the
//! tail that arrived during that sync to copy and sync (it held writes ~140 ms at 256 MiB;
//! now 40–50 ms). The restart runs on the write pool's one connection: it takes its turn
//! among the writes, as they do, instead of polling for SQLite's write lock against a writer
//! that keeps retaking it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::{AnyPool, Executor};

/// How often the WAL is copied back; at peak ingest that is a few thousand pages.
const EVERY: Duration = Duration::from_millis(250);

/// The WAL's size in pages (512 MiB at 2 KiB pages, 1 GiB in older files of 4 KiB) at
/// which it is wrapped to its start. Each restart holds writes for 40–50 ms (the tail it
/// copies, then syncs); under peak ingest (~15 pages per post) that is one pause every four
/// seconds or so. At a quarter of this it was one a second: +6% posts/s at 16 clients and p99
/// 16 → 11 ms, three rounds of three (docs/BENCHMARKS.md). Readers do not
/// pay for a longer WAL: they look up only the frames not yet copied back.
pub(crate) const RESTART_AFTER_PAGES: i64 = 262_144;

pub(crate) fn start(read: AnyPool, write: AnyPool, file: PathBuf) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if read.is_closed() {
                return;
            }
            if let Err(error) = once(&read, &write, &file, RESTART_AFTER_PAGES).await {
                tracing::warn!(%error, "WAL checkpoint failed");
            }
        }
    });
}

/// How long a restart (or the last checkpoint) may wait for readers to leave the WAL. It holds
/// the write lock while it waits, so every write waits with it. When the readers have not left
/// by then it gives up: a restart is tried again at a later tick.
const RESTART_WAIT: &str = "PRAGMA busy_timeout = 10";
/// Pages a restart may have left to copy back (2–4 MiB: a few milliseconds with the lock held).
const TAIL_PAGES: i64 = 1_024;
/// Passive copies tried at most before a restart: each copies what arrived during the last.
const TAIL_ROUNDS: usize = 4;
/// Every connection's own busy timeout, restored after a restart.
const BUSY_TIMEOUT: &str = super::sqlite::busy_timeout!();

/// Copies the WAL back, and wraps it to its start when it holds `restart_after` pages or
/// more. Returns the pages the WAL held.
pub(crate) async fn once(
    read: &AnyPool,
    write: &AnyPool,
    file: &Path,
    restart_after: i64,
) -> Result<i64, sqlx::Error> {
    let (pages, mut left) = passive(read).await?;
    if pages >= restart_after {
        // Writes went on while that copy ran; copy their frames back too, still without the
        // write lock, so the restart that holds it has only a short tail left to copy.
        for _ in 0..TAIL_ROUNDS {
            if left <= TAIL_PAGES {
                break;
            }
            left = passive(read).await?.1;
        }
        // A passive copy leaves the database file unsynced; the restart syncs it, and that
        // sync, with up to the whole WAL's worth of pages to write (~140 ms measured), would
        // hold every write. Synced here first, the restart's own sync finds little to do. If
        // this fails, the restart still syncs, only with the lock held.
        let file = file.to_owned();
        let synced = tokio::task::spawn_blocking(move || sync_database_file(&file)).await;
        if let Err(error) = synced.map_err(std::io::Error::other).and_then(|synced| synced) {
            tracing::warn!(%error, "syncing the database file before a WAL restart failed");
        }
        restart(write, "PRAGMA wal_checkpoint(RESTART)").await?;
    }
    Ok(pages)
}

/// Runs a checkpoint that must wait for readers to leave the WAL (`RESTART`, `TRUNCATE`) on
/// the write pool's connection, waiting only [`RESTART_WAIT`]. Returns whether it completed.
async fn restart(write: &AnyPool, checkpoint: &'static str) -> Result<bool, sqlx::Error> {
    let mut conn = write.acquire().await?;
    conn.execute(RESTART_WAIT).await?;
    let done: Result<(i64, i64, i64), _> = sqlx::query_as(checkpoint).fetch_one(&mut *conn).await;
    conn.execute(BUSY_TIMEOUT).await?;
    Ok(done?.0 == 0)
}

/// Copies the whole WAL back and empties it, for a server that stops: it leaves one
/// self-contained database file, and the next start has no WAL to read through (after a busy
/// server, up to 128–256 MiB that its first minutes of writes would otherwise copy back).
/// Returns whether the WAL was emptied; it is not when a reader in another process held it.
pub(crate) async fn last(write: &AnyPool) -> Result<bool, sqlx::Error> {
    restart(write, "PRAGMA wal_checkpoint(TRUNCATE)").await
}

/// Flushes the database file to disk. The descriptor is opened once per file and never
/// closed: closing any descriptor of a file drops every POSIX lock this process holds on it,
/// SQLite's included, and another process could then take the file from under them.
fn sync_database_file(file: &Path) -> std::io::Result<()> {
    static OPEN: Mutex<Vec<(PathBuf, Arc<File>)>> = Mutex::new(Vec::new());
    let handle = {
        let mut open = OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match open.iter().find(|(path, _)| path == file) {
            Some((_, handle)) => handle.clone(),
            None => {
                let handle = Arc::new(File::open(file)?);
                open.push((file.to_owned(), handle.clone()));
                handle
            }
        }
    };
    handle.sync_data()
}

/// A passive checkpoint: the WAL's pages, and how many of them are not yet copied back.
async fn passive(read: &AnyPool) -> Result<(i64, i64), sqlx::Error> {
    let (_, pages, copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA main.wal_checkpoint(PASSIVE)").fetch_one(read).await?;
    Ok((pages, pages - copied))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// Under writes that never pause, the WAL still starts over once it passes the limit.
    #[tokio::test]
    async fn a_wal_under_steady_writes_is_wrapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        sqlx::query("CREATE TABLE filler (x TEXT)").execute(store.writer()).await.unwrap();
        let writer = store.writer().clone();
        let writing = tokio::spawn(async move {
            loop {
                let row = "x".repeat(2_000);
                sqlx::query("INSERT INTO filler (x) VALUES ($1)").bind(row).execute(&writer).await.unwrap();
            }
        });
        // The WAL header's first salt changes each time the WAL starts over.
        let wal = path.with_extension("db-wal");
        let salt = || std::fs::read(&wal).ok().and_then(|h| h.get(16..20).map(<[u8]>::to_vec));
        let pages = || async {
            let row: (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(store.reader()).await.unwrap();
            row.1
        };
        while pages().await < 400 {
            tokio::task::yield_now().await;
        }
        let before = salt();
        assert!(once(store.reader(), store.writer(), &path, 300).await.unwrap() >= 300);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while salt() == before {
            assert!(std::time::Instant::now() < deadline, "the WAL never started over");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        writing.abort();
    }
}
