//! The delivery worker: sends what the event log queued for webhook endpoints and channel
//! `outbound_url`s, signed, with retries, and records every attempt.
//!
//! Every node runs one. Each claims due deliveries under a lease (see
//! `store::deliveries`), so each delivery is sent by one node at a time, and one that dies
//! mid-delivery leaves it to the others when the lease runs out.

pub mod client;
pub mod policy;
pub mod sign;

use std::sync::Arc;
use std::time::Duration;

pub use policy::Policy;

use crate::clock::SharedClock;
use crate::domain::conversation::MessageStatus;
use crate::domain::event_kind::EventKind;
use crate::file_urls::FileUrls;
use crate::ids;
use crate::jobs::{self, LeasedJobs};
use crate::model::chat::ChatOut;
use crate::model::event::EventOut;
use crate::store::{
    Actor, AfterAttempt, Attempt, Claimed, EventNames, Outcome, Store, StoreError, Target, WorkspaceId,
};

/// Deliveries in flight at once per node.
const CONCURRENCY: usize = 32;

pub struct Deliverer {
    store: Store,
    clock: SharedClock,
    policy: Policy,
    client: client::Client,
    /// Signs the URLs of files in the events sent (absolute with `--public-url`).
    files: FileUrls,
}

impl Deliverer {
    pub fn new(store: Store, clock: SharedClock, policy: Policy, files: FileUrls) -> Self {
        let client = client::Client::new(policy.timeout, policy.allow_private);
        Deliverer { store, clock, policy, client, files }
    }

    /// One round, for tests and tools: claims what is due now, sends it all, records each
    /// attempt. Returns how many were sent.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        jobs::run_due(self).await
    }

    /// Runs until dropped. Attempts are recorded together, many per transaction.
    pub async fn run(self: Arc<Self>) {
        jobs::run(self).await
    }

    /// Sends one delivery (`None`: it could not be prepared; its lease runs out and it is
    /// tried again).
    async fn attempt(&self, claimed: Claimed) -> Option<Outcome> {
        let (attempt, after) = match self.prepare(&claimed).await {
            Ok(Ok((url, secret, body))) => {
                // The receiver compares it with its own clock to refuse replays: wall time.
                let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
                let signature = sign::signature(&secret, &claimed.event_id, timestamp, &body);
                let sent = self.client.post(&url, &claimed.event_id, timestamp, &signature, body).await;
                let number = claimed.attempt_count + 1;
                let now = self.clock.now_ms();
                let after =
                    self.policy.after(number, sent.attempt.status_code, sent.retry_after, now, jitter_unit());
                (sent.attempt, after)
            }
            Ok(Err(reason)) => (
                Attempt { error: Some(reason), ..Attempt::default() },
                AfterAttempt::Failed { disable: None },
            ),
            Err(error) => {
                tracing::warn!(?error, delivery = %claimed.id, "could not prepare a delivery");
                return None;
            }
        };
        tracing::debug!(delivery = %claimed.id, status = ?attempt.status_code, ?after, "delivery attempted");
        Some(Outcome { claimed, attempt, after, at: self.clock.now_ms() })
    }

    /// Records attempts in one transaction; replies a channel never took become `failed`.
    async fn record_outcomes(&self, outcomes: Vec<Outcome>) {
        if outcomes.is_empty() {
            return;
        }
        let disable_after = i64::try_from(self.policy.disable_after.as_millis()).unwrap_or(i64::MAX);
        if let Err(error) = self.store.record_attempts(&outcomes, disable_after).await {
            // Their leases run out and they are sent again.
            tracing::warn!(?error, count = outcomes.len(), "could not record delivery attempts");
            return;
        }
        for outcome in &outcomes {
            if outcome.claimed.target == Target::Channel
                && matches!(outcome.after, AfterAttempt::Failed { .. })
                && let Err(error) =
                    self.mark_reply_failed(&outcome.claimed, &outcome.attempt, outcome.at).await
            {
                tracing::warn!(?error, delivery = %outcome.claimed.id, "could not mark an undelivered reply failed");
            }
        }
    }

    /// The URL, secret and body to send, or why there is nothing to send any more.
    async fn prepare(
        &self,
        claimed: &Claimed,
    ) -> Result<Result<(String, String, Vec<u8>), String>, StoreError> {
        let Some((url, secret, names)) = self.store.delivery_target(claimed).await? else {
            return Ok(Err(match claimed.target {
                Target::Webhook => "the webhook endpoint no longer exists".into(),
                Target::Channel => "the channel no longer exists or has no outbound_url".into(),
            }));
        };
        let body = match &claimed.payload {
            Some(payload) => payload.clone().into_bytes(),
            None => match self.store.delivery_event(claimed).await? {
                Some(event) => body(self.files.signer().await?.event(event, self.clock.now_ms()), names),
                None => return Ok(Err("the event was erased before it could be delivered".into())),
            },
        };
        Ok(Ok((url, secret, body)))
    }

    /// A reply the channel never took is `failed`, with the reason, for the inbox to show.
    async fn mark_reply_failed(
        &self,
        claimed: &Claimed,
        attempt: &Attempt,
        now: i64,
    ) -> Result<(), StoreError> {
        let (Some(conversation), Some(message)) = (&claimed.conversation_id, &claimed.message_id) else {
            return Ok(());
        };
        let reason = format!(
            "the channel's outbound_url did not take it: {}",
            attempt.error.as_deref().unwrap_or("no response")
        );
        let ws = WorkspaceId::trusted(&claimed.workspace_id);
        let changed = self
            .store
            .update_message(&ws, conversation, message, &Actor::system(), now, |m| {
                m.set_status(MessageStatus::Failed, Some(reason))
            })
            .await;
        match changed {
            Ok(_) | Err(StoreError::Refused(_)) | Err(StoreError::NotFound(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// A uniform number in [0, 1) to place a retry's jitter.
impl LeasedJobs for Deliverer {
    type Job = Claimed;
    type Done = Outcome;
    const CONCURRENCY: usize = CONCURRENCY;
    const NAME: &'static str = "deliveries";

    fn store(&self) -> &Store {
        &self.store
    }

    fn clock(&self) -> &SharedClock {
        &self.clock
    }

    fn lease(&self) -> Duration {
        self.policy.lease()
    }

    async fn claim(&self, now: i64, until: i64, limit: i64) -> Result<Vec<Claimed>, StoreError> {
        self.store.claim_deliveries(now, until, limit).await
    }

    async fn work(&self, claimed: Claimed) -> Option<Outcome> {
        self.attempt(claimed).await
    }

    async fn record(&self, outcomes: Vec<Outcome>) {
        self.record_outcomes(outcomes).await
    }
}

/// The body an endpoint receives for `event`: the event as the API shows it, or under seed
/// 000's names `{id, type: "agent.handoff_…", created_at, workspace_id, data: chat}`.
fn body(event: EventOut, names: EventNames) -> Vec<u8> {
    match (names, EventKind::parse(&event.r#type).and_then(|kind| names.name_of(kind))) {
        (EventNames::Chats, Some(name)) => {
            let chat = ChatOut::from_conversation(&event.data["conversation"]);
            let body = serde_json::json!({"id": event.id, "type": name, "created_at": event.created_at,
                "workspace_id": event.workspace_id, "data": chat});
            serde_json::to_vec(&body).unwrap_or_default()
        }
        _ => serde_json::to_vec(&event).unwrap_or_default(),
    }
}

fn jitter_unit() -> f64 {
    (u64::from_le_bytes(ids::random_bytes::<8>()) >> 11) as f64 / (1u64 << 53) as f64
}
