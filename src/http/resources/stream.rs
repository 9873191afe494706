//! `GET /v1/events/stream`: the event log as Server-Sent Events, live.
//!
//! Each client follows the log from its own position (the event after `Last-Event-ID`, or
//! the newest at connection), reading the next events only as it takes them, so a slow
//! client holds back nobody but itself. Stream-only signals (typing, read) are relayed as
//! they happen, without an `id:` (they cannot be resumed). A client reads the log again when
//! a commit wakes it — on PostgreSQL, a commit through any node (`store::wake`) — and at
//! least once a second.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::json;
use tokio::sync::{broadcast, watch};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::{SharedClock, Timestamp};
use crate::domain::event_kind::EventKind;
use crate::error::{ApiError, ApiResult};
use crate::file_urls::FileUrls;
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::client_ip::ClientIp;
use crate::http::docs::E;
use crate::http::extract::{FromQuery, Query, QueryMap, bad_param};
use crate::http::log_tail::{Entry, LogTails};
use crate::http::stream_slots::StreamSlot;
use crate::live::Signal;
use crate::store::{Store, StoreError, WorkspaceId};

/// Commits wake followers at once (on PostgreSQL, any node's); this is the floor if a
/// wake-up is ever lost.
const FALLBACK_POLL: Duration = Duration::from_secs(1);
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Events read from the log at a time.
const BATCH: u32 = 100;

/// Stream filters.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Event types (repeat the key or use a comma list); typing and read signals are
    /// `conversation.typing` and `conversation.read`.
    pub r#type: Option<Vec<String>>,
    pub conversation_id: Option<String>,
    /// Resume after this event (the `Last-Event-ID` header does the same).
    pub last_event_id: Option<String>,
}

const SIGNAL_TYPES: &[&str] = &["conversation.typing", "conversation.read"];

impl FromQuery for StreamQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        let known: Vec<&str> = EventKind::NAMES.iter().chain(SIGNAL_TYPES).copied().collect();
        Ok(StreamQuery {
            r#type: Some(q.enum_list("type", &known)?),
            conversation_id: q.string("conversation_id")?,
            last_event_id: q.string("last_event_id")?,
        })
    }
}

/// One client's place in the log, and what it wants.
struct Follower {
    store: Store,
    workspace: WorkspaceId,
    tails: Arc<LogTails>,
    conversation_id: Option<String>,
    /// False when only stream-only signals are wanted: the log is then not read at all.
    reads_log: bool,
    /// Wanted types (empty: all), signals included.
    kinds: Vec<String>,
    after: Option<(i64, String)>,
    pending: VecDeque<Event>,
    signals: broadcast::Receiver<Signal>,
    /// Changes when the log may have grown.
    changes: watch::Receiver<u64>,
    /// True once the server shuts down: the stream ends (clients reconnect elsewhere).
    stopping: watch::Receiver<bool>,
    /// Shows each event (or signal) to a narrower audience, or not at all: the widget's
    /// visitors see theirs this way. `None`: events as logged.
    view: Option<View>,
    files: FileUrls,
    clock: SharedClock,
    /// This stream's place among the open ones, given back when it ends.
    _slot: StreamSlot,
}

/// An event's type and logged JSON → what this stream shows of it, if anything.
pub(crate) type View = fn(&str, &serde_json::Value) -> Option<serde_json::Value>;

impl Follower {
    async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.stopping.borrow() {
                return None;
            }
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            // Marked seen before reading, so a commit during the read wakes the next wait.
            let wakes = *self.changes.borrow_and_update();
            if self.reads_log {
                match self.read_log(wakes).await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(error) => tracing::warn!(?error, "the event stream could not read the log; retrying"),
                }
            }
            tokio::select! {
                signal = self.signals.recv() => {
                    if let Ok(signal) = signal
                        && let Some(event) = self.relay(signal)
                    {
                        return Some(event);
                    }
                }
                changed = self.changes.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(FALLBACK_POLL).await;
                    }
                }
                _ = tokio::time::sleep(FALLBACK_POLL) => {}
                _ = self.stopping.changed() => {}
            }
        }
    }

    /// Queues what is new in the log for this client: from the node's shared tail, or read
    /// here while too far behind for it. True when it moved.
    async fn read_log(&mut self, wakes: u64) -> Result<bool, StoreError> {
        let after = self.after.clone().unwrap_or_default();
        let entries = match self.tails.after(&self.store, &self.workspace, &after, wakes).await? {
            Some(entries) => entries,
            None => {
                let rows = self.store.events_after(&self.workspace, after, BATCH).await?;
                rows.into_iter().map(|row| Arc::new(Entry::from_row(row))).collect()
            }
        };
        let moved = !entries.is_empty();
        for entry in entries {
            self.after = Some((entry.position, entry.id.clone()));
            let wanted = (self.kinds.is_empty() || self.kinds.contains(&entry.kind))
                && self.conversation_id.as_ref().is_none_or(|c| entry.conversation_id.as_ref() == Some(c));
            if !wanted {
                continue;
            }
            if !entry.has_files && self.view.is_none() {
                self.pending.push_back(Event::default().id(&entry.id).event(&entry.kind).data(&entry.json));
                continue;
            }
            let mut event: serde_json::Value = serde_json::from_str(&entry.json).unwrap_or_default();
            if entry.has_files {
                self.files.signer().await?.sign_event_data(&mut event["data"], self.clock.now_ms());
            }
            let seen = match self.view {
                Some(view) => view(&entry.kind, &event),
                None => Some(event),
            };
            if let Some(seen) = seen {
                self.pending
                    .push_back(Event::default().id(&entry.id).event(&entry.kind).data(seen.to_string()));
            }
        }
        Ok(moved)
    }

    /// A typing or read signal as an event, if this client wants it.
    fn relay(&self, signal: Signal) -> Option<Event> {
        let wanted = signal.workspace == self.workspace
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == signal.kind))
            && self.conversation_id.as_ref().is_none_or(|c| *c == signal.conversation_id);
        if !wanted {
            return None;
        }
        if let Some(view) = self.view {
            let event = json!({"created_at": Timestamp(signal.at), "conversation_id": signal.conversation_id,
                "data": signal.data});
            let seen = view(signal.kind, &event)?;
            return Some(Event::default().event(signal.kind).data(seen.to_string()));
        }
        let data = json!({"object": "signal", "type": signal.kind, "conversation_id": signal.conversation_id,
            "created_at": Timestamp(signal.at), "workspace_id": signal.workspace.as_str(),
            "actor": {"type": signal.actor.kind, "id": signal.actor.id}, "data": signal.data});
        Some(Event::default().event(signal.kind).data(data.to_string()))
    }
}

/// The event log live, as Server-Sent Events: `id:` is the event id, `event:` its type.
/// Resumes after `Last-Event-ID` (or `last_event_id`) with nothing lost or repeated; a
/// heartbeat comment every 15 s.
#[utoipa::path(get, path = "/v1/events/stream", tag = "events", params(StreamQuery),
    responses((status = 200, description = "A stream of events (`text/event-stream`)", content_type = "text/event-stream", body = String),
        E<400>, E<401>, E<403>, E<429>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn stream(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let slot = state.streams.open(&caller.credential, &ip.key())?;
    let kinds = query.r#type.unwrap_or_default();
    let resume = query.last_event_id;
    follow(&state, slot, caller.workspace, &headers, resume, query.conversation_id, kinds, None).await
}

/// Follows the log (and signals) of one workspace as SSE, from the resume point in
/// `Last-Event-ID` or `last_event_id`, else from now, holding its `slot` while open.
#[expect(clippy::too_many_arguments, reason = "one call per kind of stream, each naming every part")]
pub(crate) async fn follow(
    state: &AppState,
    slot: StreamSlot,
    ws: WorkspaceId,
    headers: &HeaderMap,
    last_event_id: Option<String>,
    conversation_id: Option<String>,
    kinds: Vec<String>,
    view: Option<View>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>> {
    let resume =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned).or(last_event_id);
    let after = match resume {
        Some(id) => {
            let position = state.store.event_position(&ws, &id).await?;
            let position =
                position.ok_or_else(|| bad_param("last_event_id", "names no event in this workspace"))?;
            Some((position, id))
        }
        None => state.store.last_event(&ws).await?,
    };
    let reads_log = kinds.is_empty() || kinds.iter().any(|k| EventKind::parse(k).is_some());
    let follower = Follower {
        store: state.store.clone(),
        workspace: ws,
        tails: state.tails.clone(),
        conversation_id,
        reads_log,
        kinds,
        after,
        pending: VecDeque::new(),
        signals: state.live.subscribe(),
        changes: state.store.log_changes(),
        stopping: state.stopping.clone(),
        view,
        files: state.file_urls.clone(),
        clock: state.clock.clone(),
        _slot: slot,
    };
    let events = futures_util::stream::unfold(follower, |mut follower| async move {
        let event = follower.next().await?;
        Some((Ok(event), follower))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream))
}
