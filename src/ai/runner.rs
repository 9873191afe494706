//! The AI worker: claims response jobs, answers them outside any transaction, and records each
//! answer in a transaction of its own (which discards it if a human took over meanwhile).
//!
//! Every node runs one; jobs are leased like deliveries, so a node that dies mid-answer leaves
//! its job to another when the lease runs out.

use std::sync::Arc;
use std::time::Duration;

use super::builtin::Builtin;
use super::openai::OpenAi;
use super::semantic::Semantic;
use super::{AiSettings, Responder, Turn};
use crate::clock::SharedClock;
use crate::jobs::{self, LeasedJobs};
use crate::model::agent::{AgentSettings, Provider};
use crate::store::{ClaimedAnswer, FoundPassage, JobKind, Recorded, Store, StoreError};

/// Answers being worked on at once per node.
const CONCURRENCY: usize = 8;
/// A job is tried this many times (each a claim whose node may have died) before it fails.
const MAX_ATTEMPTS: i64 = 3;
/// How long a node holds a job beyond the slowest answer its model server may give (three
/// tries of `--ai-timeout` and the waits between them); past it, another node answers.
const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// Knowledge passages a responder is given.
const PASSAGES: usize = 3;

pub struct AiRunner {
    store: Store,
    clock: SharedClock,
    builtin: Builtin,
    openai: OpenAi,
    semantic: Semantic,
    /// Answers every provider's jobs when set: for tests that need a slow or failing AI.
    instead: Option<Arc<dyn Responder>>,
    lease: Duration,
}

impl AiRunner {
    pub fn new(store: Store, clock: SharedClock, settings: &AiSettings, semantic: Semantic) -> Self {
        let openai = OpenAi::new(settings.timeout, settings.allow_private);
        let lease = settings.timeout * 3 + LEASE_MARGIN;
        AiRunner { store, clock, builtin: Builtin, openai, semantic, instead: None, lease }
    }

    /// A runner whose every answer comes from `responder`.
    pub fn with_responder(store: Store, clock: SharedClock, responder: Arc<dyn Responder>) -> Self {
        let settings = AiSettings::default();
        AiRunner { instead: Some(responder), ..AiRunner::new(store, clock, &settings, Semantic::default()) }
    }

    /// One round, for tests and tools: claims what is due now and answers it all. Returns
    /// how many jobs it claimed.
    pub async fn answer_due(&self) -> Result<usize, StoreError> {
        jobs::run_due(self).await
    }

    /// Runs until dropped, woken by every commit (a contact message may have queued a job).
    pub async fn run(self: Arc<Self>) {
        jobs::run(self).await
    }

    /// Answers one job; a failure to record leaves it to the lease.
    async fn answer(&self, job: ClaimedAnswer) {
        match self.try_answer(&job).await {
            Ok(recorded) => {
                tracing::debug!(conversation.id = %job.conversation_id, ?recorded, "AI response recorded")
            }
            Err(error) => {
                tracing::warn!(?error, conversation.id = %job.conversation_id, "could not answer; the job will be retried")
            }
        }
    }

    async fn try_answer(&self, job: &ClaimedAnswer) -> Result<Recorded, StoreError> {
        let Some(context) = self.store.answer_context(job).await? else {
            let why = "the conversation or its agent version no longer exists";
            self.store.skip_answer(job, why, self.clock.now_ms()).await?;
            return Ok(Recorded::Skipped(why.into()));
        };
        let settings = serde_json::from_value::<AgentSettings>(context.settings.clone())
            .map_err(|error| format!("the agent version's settings could not be read: {error}"));
        if job.kind == JobKind::Summary {
            let summary = match &settings {
                Ok(settings) => {
                    let turn = Turn::new(settings, &context.thread, &[], context.ai_turns);
                    self.responder(settings).summarize(&turn).await
                }
                Err(error) => Err(error.clone()),
            };
            return self.store.record_summary(job, &context.agent_id, summary, self.clock.now_ms()).await;
        }
        let result = match &settings {
            _ if job.attempts > MAX_ATTEMPTS => Err(format!("no answer after {MAX_ATTEMPTS} attempts")),
            Ok(settings) => {
                let unread = Turn::new(settings, &context.thread, &[], context.ai_turns);
                let pending = self.semantic.vector(&unread.pending).await;
                let passages = self.retrieve(job, &context.agent_id, &unread, pending.as_deref()).await?;
                let mut turn = Turn::new(settings, &context.thread, &passages, context.ai_turns);
                turn.sounds_like_asking_for_a_person = self.semantic.asks_for_person(pending.as_deref());
                self.responder(settings).respond(&turn).await
            }
            Err(error) => Err(error.clone()),
        };
        self.store.record_answer(job, &context.agent_id, result, self.clock.now_ms()).await
    }

    /// Passages for the contact's last message; where they answer it poorly and the contact
    /// wrote several messages, the best for all of them together (`pending`: their vector).
    async fn retrieve(
        &self,
        job: &ClaimedAnswer,
        agent_id: &str,
        turn: &Turn<'_>,
        pending: Option<&[f32]>,
    ) -> Result<Vec<FoundPassage>, StoreError> {
        let (ws, agent) = (&job.workspace_id, Some(agent_id));
        let one_message = turn.pending == turn.last;
        let vector =
            if one_message { pending.map(<[f32]>::to_vec) } else { self.semantic.vector(turn.last).await };
        let last = self.store.search_knowledge(ws, agent, turn.last, vector.as_deref(), PASSAGES).await?;
        let confident = turn.settings.handoff.rules().min_confidence;
        if one_message || last.first().is_some_and(|p| p.score >= confident) {
            return Ok(last);
        }
        let all = self.store.search_knowledge(ws, agent, &turn.pending, pending, PASSAGES).await?;
        let best = |found: &[FoundPassage]| found.first().map_or(0.0, |p| p.score);
        Ok(if best(&all) > best(&last) { all } else { last })
    }

    fn responder(&self, settings: &AgentSettings) -> &dyn Responder {
        if let Some(responder) = &self.instead {
            return responder.as_ref();
        }
        match settings.provider {
            Provider::Builtin => &self.builtin,
            Provider::Openai => &self.openai,
        }
    }
}

impl LeasedJobs for AiRunner {
    type Job = ClaimedAnswer;
    /// Each answer is recorded by its own transaction (`answer`), so nothing is left over.
    type Done = ();
    const CONCURRENCY: usize = CONCURRENCY;
    const NAME: &'static str = "AI responses";

    fn store(&self) -> &Store {
        &self.store
    }

    fn clock(&self) -> &SharedClock {
        &self.clock
    }

    fn lease(&self) -> Duration {
        self.lease
    }

    async fn claim(&self, now: i64, until: i64, limit: i64) -> Result<Vec<ClaimedAnswer>, StoreError> {
        self.store.claim_answers(now, until, limit).await
    }

    async fn work(&self, job: ClaimedAnswer) -> Option<()> {
        self.answer(job).await;
        None
    }

    async fn record(&self, _: Vec<()>) {}

    /// New or rewritten articles get their vectors before the next questions.
    async fn prepare(&self) -> Result<(), StoreError> {
        self.semantic.embed_passages(&self.store).await.map(|_| ())
    }
}
