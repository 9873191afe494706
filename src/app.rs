//! Application state, the server loop with graceful shutdown, and background upkeep.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::ai::AiRunner;
use crate::clock::SharedClock;
use crate::delivery::Deliverer;
use crate::http::metrics::Metrics;
use crate::store::Store;

pub struct Settings {
    /// SHA-256 of the configured admin key, if any.
    pub admin_key_hash: Option<String>,
    pub request_timeout: Duration,
    pub body_limit: usize,
    /// Whether webhook targets may be on loopback or private networks.
    pub webhook_allow_private: bool,
    /// Retries, timeouts and target rules of outbound deliveries.
    pub delivery: crate::delivery::Policy,
    /// How the AI reaches model servers.
    pub ai: crate::ai::AiSettings,
    /// Widget sessions a key may open per minute (per node).
    pub widget_sessions_per_minute: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            admin_key_hash: None,
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            webhook_allow_private: false,
            delivery: crate::delivery::Policy::default(),
            ai: crate::ai::AiSettings::default(),
            widget_sessions_per_minute: 120,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub live: crate::live::Live,
    pub sign_in: Arc<crate::http::throttle::SignInThrottle>,
    pub widget_sessions: Arc<crate::http::throttle::SessionThrottle>,
    /// The event log's newest entries per workspace, shared by this node's streams.
    pub tails: Arc<crate::http::log_tail::LogTails>,
    /// Turns true when the server starts shutting down: long-lived responses (event
    /// streams) end then, so in-flight requests can finish.
    pub stopping: watch::Receiver<bool>,
    stop: Arc<watch::Sender<bool>>,
    /// The semantic tier of the AI (off unless the embedding model is installed).
    pub semantic: crate::ai::semantic::Semantic,
}

impl AppState {
    pub fn new(store: Store, clock: SharedClock, settings: Settings) -> Self {
        let sessions_per_minute = settings.widget_sessions_per_minute;
        let (stop, stopping) = watch::channel(false);
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            metrics: Arc::default(),
            live: Default::default(),
            sign_in: Arc::default(),
            widget_sessions: Arc::new(crate::http::throttle::SessionThrottle::new(sessions_per_minute)),
            tails: Arc::default(),
            stopping,
            stop: Arc::new(stop),
            semantic: Default::default(),
        }
    }

    /// Relays a stream-only signal (typing, read) about a conversation to every node's streams.
    pub async fn signal(
        &self,
        workspace: &crate::store::WorkspaceId,
        kind: &'static str,
        conversation_id: &str,
        actor: crate::store::Actor,
        data: serde_json::Value,
    ) {
        let signal = crate::live::Signal {
            workspace: workspace.clone(),
            kind,
            conversation_id: conversation_id.to_owned(),
            actor,
            data,
            at: self.clock.now_ms(),
        };
        self.live.publish(&self.store, signal).await;
    }

    /// With the semantic tier `semantic` (loaded by the caller: it reads files).
    pub fn with_semantic(mut self, semantic: crate::ai::semantic::Semantic) -> Self {
        self.semantic = semantic;
        self
    }
}

/// Serves HTTP until `shutdown` resolves, then finishes in-flight requests and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let upkeep = tokio::spawn(upkeep(state.clone()));
    state.store.listen_to_other_nodes();
    state.live.relay_from_other_nodes(&state.store);
    let deliverer = Deliverer::new(state.store.clone(), state.clock.clone(), state.settings.delivery.clone());
    let deliveries = tokio::spawn(Arc::new(deliverer).run());
    let runner =
        AiRunner::new(state.store.clone(), state.clock.clone(), &state.settings.ai, state.semantic.clone());
    let answers = tokio::spawn(Arc::new(runner).run());
    let stop = state.stop.clone();
    let shutdown = async move {
        shutdown.await;
        stop.send_replace(true);
    };
    let result =
        axum::serve(listener, crate::http::router(state.clone())).with_graceful_shutdown(shutdown).await;
    upkeep.abort();
    deliveries.abort();
    answers.abort();
    state.store.close().await;
    result
}

/// Finished deliveries (with their attempts) and AI responses are kept this long (30 days).
const DELIVERY_LOG_KEPT_MS: i64 = 30 * 24 * 3_600_000;

/// Background upkeep: snoozed conversations wake at their time (checked every second);
/// idempotency records past their 24 hours, expired member and contact tokens, and deliveries
/// and AI responses finished over 30 days ago are purged hourly.
async fn upkeep(state: AppState) {
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = every_second.tick() => {
                if let Err(error) = state.store.wake_snoozed(state.clock.now_ms()).await {
                    tracing::warn!(?error, "could not wake snoozed conversations");
                }
            }
            _ = every_hour.tick() => {
                match state.store.purge_idempotency_keys(state.clock.now_ms()).await {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "purged expired idempotency keys"),
                    Err(error) => tracing::warn!(?error, "could not purge idempotency keys"),
                }
                if let Err(error) = state.store.purge_member_tokens(state.clock.now_ms()).await {
                    tracing::warn!(?error, "could not purge expired member tokens");
                }
                if let Err(error) = state.store.purge_contact_tokens(state.clock.now_ms()).await {
                    tracing::warn!(?error, "could not purge expired contact tokens");
                }
                if let Err(error) = state.store.purge_ai_responses(state.clock.now_ms() - DELIVERY_LOG_KEPT_MS).await {
                    tracing::warn!(?error, "could not purge old AI responses");
                }
                if let Err(error) = state.store.purge_deliveries(state.clock.now_ms() - DELIVERY_LOG_KEPT_MS).await {
                    tracing::warn!(?error, "could not purge old deliveries");
                }
            }
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
