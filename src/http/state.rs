//! What every handler reaches: the store, the clock, the server's settings and this node's
//! shared pieces (metrics, throttles, the event log's tail, stream-only signals).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::log_tail::LogTails;
use super::metrics::Metrics;
use super::quotas::{VisitorLimits, VisitorQuotas};
use super::stream_slots::{StreamLimits, StreamSlots};
use crate::clock::SharedClock;
use crate::file_urls::{FileSigner, FileUrls};
use crate::store::Store;

pub struct Settings {
    /// SHA-256 of the configured admin key, if any.
    pub admin_key_hash: Option<String>,
    pub request_timeout: Duration,
    /// How long a connection may take to send a request's headers, or sit idle between
    /// requests, before it is closed.
    pub header_read_timeout: Duration,
    pub body_limit: usize,
    /// Whether webhook targets may be on loopback or private networks.
    pub webhook_allow_private: bool,
    /// Retries, timeouts and target rules of outbound deliveries.
    pub delivery: crate::delivery::Policy,
    /// How the AI reaches model servers.
    pub ai: crate::ai::AiSettings,
    /// What one visitor (a contact, a client address) may do, per node.
    pub visitor_quotas: VisitorQuotas,
    /// Event streams open at once, per node.
    pub streams: StreamLimits,
    /// Whether the client's address is the last `X-Forwarded-For` entry (behind a proxy).
    pub trust_forwarded_for: bool,
    /// Where browsers reach this server (`https://support.example.com`), when a proxy stands
    /// in front of it: the origin the session cookie's changes must come from.
    pub public_url: Option<String>,
    /// The largest file `/v1/uploads` takes.
    pub upload_limit: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            admin_key_hash: None,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(20),
            body_limit: 1024 * 1024,
            webhook_allow_private: false,
            delivery: crate::delivery::Policy::default(),
            ai: crate::ai::AiSettings::default(),
            visitor_quotas: VisitorQuotas::default(),
            streams: StreamLimits::default(),
            trust_forwarded_for: false,
            public_url: None,
            upload_limit: 10 * 1024 * 1024,
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
    /// Visitors' quotas on this node.
    pub visitors: Arc<VisitorLimits>,
    /// Event streams open on this node.
    pub streams: Arc<StreamSlots>,
    /// The event log's newest entries per workspace, shared by this node's streams.
    pub tails: Arc<LogTails>,
    /// Turns true when the server starts shutting down: long-lived responses (event
    /// streams) end then, so in-flight requests can finish.
    pub stopping: watch::Receiver<bool>,
    stop: Arc<watch::Sender<bool>>,
    /// The semantic tier of the AI (off unless the embedding model is installed).
    pub semantic: crate::ai::semantic::Semantic,
    /// Signs file URLs; its key is read from the database on first use.
    pub file_urls: FileUrls,
}

impl AppState {
    pub fn new(store: Store, clock: SharedClock, settings: Settings) -> Self {
        let metrics = Arc::<Metrics>::default();
        let visitors = Arc::new(VisitorLimits::new(settings.visitor_quotas, metrics.clone()));
        let streams = Arc::new(StreamSlots::new(settings.streams, metrics.clone()));
        let (stop, stopping) = watch::channel(false);
        let file_urls = FileUrls::new(store.clone(), settings.public_url.clone());
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            metrics,
            live: Default::default(),
            visitors,
            streams,
            tails: Arc::default(),
            stopping,
            stop: Arc::new(stop),
            semantic: Default::default(),
            file_urls,
        }
    }

    /// What signs and checks file URLs (the key all nodes share).
    pub async fn file_signer(&self) -> Result<&FileSigner, crate::store::StoreError> {
        self.file_urls.signer().await
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

    /// Ends long-lived responses (event streams) so in-flight requests can finish.
    pub(crate) fn begin_stopping(&self) {
        self.stop.send_replace(true);
    }

    /// With the semantic tier `semantic` (loaded by the caller: it reads files).
    pub fn with_semantic(mut self, semantic: crate::ai::semantic::Semantic) -> Self {
        self.semantic = semantic;
        self
    }
}
