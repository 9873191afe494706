//! SQLite connections: the URL, the pragmas every connection runs and the pools' settings.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Connection, Executor};

pub(super) fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

/// How long every SQLite connection waits for a lock (`SQLITE_PRAGMAS`); `checkpoint`
/// shortens it for a restart and puts it back.
macro_rules! busy_timeout {
    () => {
        "PRAGMA busy_timeout = 5000;"
    };
}
pub(super) use busy_timeout;

/// Every SQLite connection: 32 MiB of page cache per connection, since the full-text probes of
/// a search read many index pages (one-word search p99 48 → 26 ms at 1M). No memory map:
/// SQLite unmaps a connection's whole map whenever another connection committed since its
/// last transaction (pager.c, pagerBeginReadTransaction), and under posting that is nearly
/// every read (a post's key lookup, say); each unmap interrupts the other core to flush its
/// TLB, the core the posting thread runs on (posts/s at 16 clients faster without it in
/// seven rounds of seven, +26% on one run's means; docs/BENCHMARKS.md).
/// Temporary tables and statement journals stay in memory.
///
/// New databases get 2 KiB pages (`page_size` only takes effect before the first write, so it
/// comes first; an existing file keeps its size). A post changes ~15 pages all over the file
/// (its conversation's row and list-index entries, its message's and event's index entries),
/// and each is written whole to the WAL and again to the file at checkpoint: with 2 KiB pages
/// that is half the bytes (+8% posts/s at 16 clients, three rounds of three; lists on 1M
/// unchanged, one-word search ~5% slower; docs/BENCHMARKS.md).
///
/// The WAL grows until `checkpoint` wraps it (at `RESTART_AFTER_PAGES`), and SQLite keeps the
/// file at its largest size for reuse; `journal_size_limit` cuts it back to 64 MiB each time
/// it wraps, so a burst does not hold its disk space for good.
pub(super) const SQLITE_PRAGMAS: &str = concat!(
    "PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; ",
    busy_timeout!(),
    " PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0; PRAGMA cache_size = -32768;",
    " PRAGMA journal_size_limit = 67108864;"
);

/// The writers leave checkpoints to `checkpoint`, so no commit pays for one. They keep up to
/// 256 MiB of pages each (filled only as pages are read): posts go to recent conversations all
/// over the file, and with 32 MiB the writers read most of their pages again from the OS for
/// each batch (+5% posts/s at 16 clients, in six rounds out of six; docs/BENCHMARKS.md).
pub(super) const WRITER_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -262144;";

/// `extra`: statements each connection runs after [`SQLITE_PRAGMAS`].
pub(super) fn sqlite_pool(size: u32, extra: String) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(10))
        // A file has no network link to go stale: pinging it would cost a round trip to the
        // connection's thread on every acquire.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            let extra = extra.clone();
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                conn.execute(sqlx::AssertSqlSafe(extra)).await?;
                Ok(())
            })
        })
}

/// A pool of one connection that writes (the store's writer, the search index's). A
/// transaction SQLite rolled back by itself (a full disk, an I/O error) leaves sqlx counting it
/// as open, so every later `BEGIN` on that connection would fail until a restart: such a
/// connection is closed and the pool opens a fresh one. The ping first runs the rollback a
/// dropped transaction queued. (Readers run no transactions, so their releases skip this.)
pub(super) fn sqlite_writer_pool(extra: String) -> AnyPoolOptions {
    sqlite_pool(1, extra).after_release(|conn, _meta| {
        Box::pin(async move {
            conn.ping().await?;
            Ok(!conn.is_in_transaction())
        })
    })
}

#[cfg(test)]
mod sqlite_tests {
    use crate::store::Store;

    #[tokio::test]
    async fn a_new_sqlite_database_runs_in_wal_with_full_sync_foreign_keys_and_2_kib_pages() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        for pool in [store.writer(), store.reader()] {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await.unwrap();
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(pool).await.unwrap();
            let page: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(pool).await.unwrap();
            assert_eq!((mode.as_str(), sync, fk, page), ("wal", 2, 1, 2048));
        }
    }

    /// A stopped store leaves its data in the database file and an empty WAL.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_copies_the_wal_back_and_empties_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE kept (x TEXT)").execute(store.writer()).await.unwrap();
        sqlx::query("INSERT INTO kept (x) VALUES ('a')").execute(store.writer()).await.unwrap();
        let wal = dir.path().join("t.db-wal");
        let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert!(wal_size() > 0);
        // The background task's passive checkpoints run on reading connections; one running
        // while the store closes held the checkpoint lock, and the WAL was left behind.
        let checkpointing: Vec<_> = (0..4)
            .map(|_| {
                let reader = store.reader().clone();
                tokio::spawn(async move {
                    while sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&reader).await.is_ok() {}
                })
            })
            .collect();
        store.close().await;
        assert_eq!(wal_size(), 0);
        for task in checkpointing {
            task.await.unwrap();
        }
        let reopened = Store::connect(&url).await.unwrap();
        let kept: String =
            sqlx::query_scalar("SELECT x FROM kept").fetch_one(reopened.reader()).await.unwrap();
        assert_eq!(kept, "a");
    }

    /// Commits never checkpoint; the background task copies the WAL back instead.
    #[tokio::test]
    async fn the_wal_is_checkpointed_off_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        let auto: i64 =
            sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(store.writer()).await.unwrap();
        assert_eq!(auto, 0);
        store.migrate().await.unwrap();
        // The database file's header counts its pages; it grows only when a checkpoint
        // copies the migrated schema out of the WAL.
        let pages_in_file = || {
            let header = std::fs::read(&path).unwrap_or_default();
            header.get(28..32).map_or(0, |n| u32::from_be_bytes(n.try_into().unwrap()))
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while pages_in_file() < 10 {
            assert!(std::time::Instant::now() < deadline, "no checkpoint within 10 s");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
