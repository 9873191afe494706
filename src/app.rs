//! The server: HTTP with graceful shutdown, beside the background workers and upkeep.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::net::TcpListener;

use crate::ai::AiRunner;
use crate::delivery::Deliverer;
use crate::http::AppState;
use crate::store::{Store, StoreError};

/// The HTTP service: the native API with the seeds' dialects beside it.
pub fn router(state: AppState) -> axum::Router {
    crate::http::router(state, crate::dialects::router())
}

/// The OpenAPI document of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    crate::http::openapi(crate::dialects::router())
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
    let delivery = state.settings.delivery.clone();
    let deliverer =
        Deliverer::new(state.store.clone(), state.clock.clone(), delivery, state.file_urls.clone());
    let deliveries = tokio::spawn(Arc::new(deliverer).run());
    let runner =
        AiRunner::new(state.store.clone(), state.clock.clone(), &state.settings.ai, state.semantic.clone());
    let answers = tokio::spawn(Arc::new(runner).run());
    let stopping = state.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.begin_stopping();
    };
    let timeout = state.settings.header_read_timeout;
    let result = crate::server::serve(listener, router(state.clone()), timeout, shutdown).await;
    upkeep.abort();
    deliveries.abort();
    answers.abort();
    state.store.close().await;
    result
}

/// Finished deliveries (with their attempts) and AI responses are kept this long (30 days).
const DELIVERY_LOG_KEPT_MS: i64 = 30 * 24 * 3_600_000;

/// One hourly purge: what it removes (for the log), how long after it expired or finished a
/// row is kept, and the store call that removes rows from before a time.
struct Purge {
    what: &'static str,
    kept_ms: i64,
    purge: for<'a> fn(&'a Store, i64) -> BoxFuture<'a, Result<u64, StoreError>>,
}

const PURGES: &[Purge] = &[
    Purge {
        what: "expired idempotency keys",
        kept_ms: 0,
        purge: |store, before| Box::pin(store.purge_idempotency_keys(before)),
    },
    Purge {
        what: "expired member tokens",
        kept_ms: 0,
        purge: |store, before| Box::pin(store.purge_member_tokens(before)),
    },
    Purge {
        what: "expired contact tokens",
        kept_ms: 0,
        purge: |store, before| Box::pin(store.purge_contact_tokens(before)),
    },
    Purge {
        what: "audit log entries older than a year",
        kept_ms: 365 * 24 * 3_600_000,
        purge: |store, before| Box::pin(store.purge_audit(before)),
    },
    Purge {
        what: "finished sign-in throttle windows",
        // The longest window is 15 minutes.
        kept_ms: 3_600_000,
        purge: |store, before| Box::pin(store.purge_throttles(before)),
    },
    Purge {
        what: "uploads never attached to a message",
        kept_ms: 24 * 3_600_000,
        purge: |store, before| Box::pin(store.purge_unattached_files(before)),
    },
    Purge {
        what: "old AI responses",
        kept_ms: DELIVERY_LOG_KEPT_MS,
        purge: |store, before| Box::pin(store.purge_ai_responses(before)),
    },
    Purge {
        what: "old deliveries",
        kept_ms: DELIVERY_LOG_KEPT_MS,
        purge: |store, before| Box::pin(store.purge_deliveries(before)),
    },
];

/// Background upkeep: snoozed conversations wake at their time (checked every second); the
/// [`PURGES`] run hourly.
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
                for Purge { what, kept_ms, purge } in PURGES {
                    match purge(&state.store, state.clock.now_ms() - kept_ms).await {
                        Ok(0) => {}
                        Ok(purged) => tracing::info!(purged, "purged {what}"),
                        Err(error) => tracing::warn!(?error, "could not purge {what}"),
                    }
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
