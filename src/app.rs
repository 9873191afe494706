//! The server: HTTP with graceful shutdown, beside the background workers and upkeep.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::ai::AiRunner;
use crate::delivery::Deliverer;
use crate::http::AppState;

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
    let stopping = state.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.begin_stopping();
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
