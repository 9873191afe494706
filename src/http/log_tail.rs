//! One reader of the event log per workspace and node, shared by every stream following it.
//!
//! Streams that are caught up all want the same few new events after each commit. The
//! first to ask after a commit reads them once and keeps the newest (already serialised);
//! the others take them from memory. A stream further behind than what is kept reads the
//! log itself until it catches up.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::event::EventOut;
use crate::store::{Store, StoreError, WorkspaceId};

/// Events kept per workspace.
const KEPT: usize = 2_000;
/// Events read per query.
const PAGE: u32 = 500;
/// A read this old is repeated even without a wake-up.
const STALE: Duration = Duration::from_millis(500);

/// A log event as streams send it.
#[derive(Debug)]
pub struct Entry {
    pub position: i64,
    pub id: String,
    pub kind: String,
    pub conversation_id: Option<String>,
    /// The event as JSON, as `GET /v1/events` shows it, but for its files' URLs: a stream
    /// signs those as it sends them (`has_files`), so a URL never outlives its signature here.
    pub json: String,
    pub has_files: bool,
}

impl Entry {
    pub fn from_row(row: crate::store::EventRow) -> Self {
        let (position, id, kind, conversation_id) =
            (row.position, row.id.clone(), row.kind.clone(), row.conversation_id.clone());
        let has_files = crate::file_urls::event_has_files(&row.data);
        let json = serde_json::to_string(&EventOut::from(row)).unwrap_or_default();
        Entry { position, id, kind, conversation_id, json, has_files }
    }
}

struct Tail {
    /// Every event after this one (position, id) is in `entries`.
    base: (i64, String),
    entries: VecDeque<Arc<Entry>>,
    /// The wake-up count at the last read, and when it was (`None`: never read).
    read_at: Option<(u64, Instant)>,
}

#[derive(Default)]
pub struct LogTails(Mutex<HashMap<String, Arc<tokio::sync::Mutex<Tail>>>>);

impl LogTails {
    /// The events after `after`, or `None` when `after` is older than what is kept (the
    /// caller reads the log itself). `wakes` is the wake-up count the caller has seen: the
    /// log is read again only if it moved since the last read, or that read is stale.
    pub async fn after(
        &self,
        store: &Store,
        ws: &WorkspaceId,
        after: &(i64, String),
        wakes: u64,
    ) -> Result<Option<Vec<Arc<Entry>>>, StoreError> {
        let tail = {
            let mut tails = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let tail = Tail { base: after.clone(), entries: VecDeque::new(), read_at: None };
            tails
                .entry(ws.as_str().to_owned())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(tail)))
                .clone()
        };
        let mut tail = tail.lock().await;
        // Wake-ups cover this node's commits (and, on PostgreSQL, every node's); a read
        // older than `STALE` is repeated anyway, for other processes on a SQLite file.
        if tail.read_at.is_none_or(|(read, when)| read < wakes || when.elapsed() >= STALE) {
            tail.read_at = Some((wakes, Instant::now()));
            tail.read_new(store, ws).await?;
        }
        if after.0 < tail.base.0 {
            return Ok(None);
        }
        let newer = tail.entries.iter().rev().take_while(|e| e.position > after.0).count();
        Ok(Some(tail.entries.iter().skip(tail.entries.len() - newer).cloned().collect()))
    }
}

impl Tail {
    async fn read_new(&mut self, store: &Store, ws: &WorkspaceId) -> Result<(), StoreError> {
        loop {
            let last = self.entries.back().map_or_else(|| self.base.clone(), |e| (e.position, e.id.clone()));
            let rows = store.events_after(ws, last, PAGE).await?;
            let full = rows.len() == PAGE as usize;
            self.entries.extend(rows.into_iter().map(|row| Arc::new(Entry::from_row(row))));
            while self.entries.len() > KEPT {
                if let Some(dropped) = self.entries.pop_front() {
                    self.base = (dropped.position, dropped.id.clone());
                }
            }
            if !full {
                return Ok(());
            }
        }
    }
}
