//! AI response jobs: one row per contact message the AI is to answer, written in the
//! transaction that posts the message; claimed by the AI workers under a lease; finished in
//! the transaction that posts the answer.
//!
//! A burst gets one answer: a new contact message covers the conversation's jobs still queued
//! (`covered_by`), and an answer generated while a newer message arrived is discarded, so the
//! newest job answers with the whole burst in view. An answer is also discarded when the
//! conversation left `ai` mode while it was being generated (a human took over): both checks
//! run in the transaction that would post it, on the locked conversation row.

use serde_json::{Map, Value, json};
use sqlx::{AnyConnection, Row};

use super::conversations::{
    ControlRequest, ConversationRow, append_changes, change_control_in, load_for_update, snapshot, write,
};
use super::events::{self, Actor, Subject};
use super::messages::{MessageRow, NewMessage, PostJob, Posted, post_loaded};
use super::sql::{PageRequest, Sql, bind_row};
use super::{Dialect, MessageFilter, Store, StoreError, WorkspaceId};
use crate::domain::conversation::{MessageType, Mode, SenderType, Status};
use crate::ids;

/// A contact message to answer, queued by the post that stored it.
#[derive(Debug, Clone)]
pub(crate) struct QueuedAnswer {
    pub ws: WorkspaceId,
    pub conversation_id: String,
    pub message_id: String,
    pub now: i64,
}

/// Writes the jobs of a batch of posts: the last per conversation is queued and covers that
/// conversation's earlier ones, queued before or in this batch.
pub(crate) async fn queue(conn: &mut AnyConnection, answers: &[QueuedAnswer]) -> Result<(), StoreError> {
    if answers.is_empty() {
        return Ok(());
    }
    let last_of = |conversation: &str| {
        answers.iter().rev().find(|a| a.conversation_id == conversation).map(|a| a.message_id.clone())
    };
    let mut cover = Sql::new("WITH v (conversation_id, covered_by, now) AS (VALUES ");
    let mut seen = Vec::new();
    for answer in answers.iter().rev() {
        if seen.contains(&&answer.conversation_id) {
            continue;
        }
        if !seen.is_empty() {
            cover.push(", ");
        }
        seen.push(&answer.conversation_id);
        bind_row!(&mut cover, answer.conversation_id.clone(), answer.message_id.clone(), answer.now);
    }
    cover.push(
        ") UPDATE ai_responses SET status = 'skipped', covered_by = v.covered_by, updated_at = v.now \
         FROM v WHERE ai_responses.conversation_id = v.conversation_id AND ai_responses.status = 'queued' \
         AND ai_responses.kind = 'answer'",
    );
    cover.query()?.execute(&mut *conn).await?;

    let mut insert = Sql::new(
        "INSERT INTO ai_responses (workspace_id, conversation_id, message_id, status, covered_by, run_after, \
         created_at, updated_at) VALUES ",
    );
    for (i, answer) in answers.iter().enumerate() {
        if i > 0 {
            insert.push(", ");
        }
        let last = last_of(&answer.conversation_id).filter(|last| *last != answer.message_id);
        let status = if last.is_some() { "skipped" } else { "queued" };
        bind_row!(
            &mut insert,
            answer.ws.as_str().to_owned(),
            answer.conversation_id.clone(),
            answer.message_id.clone(),
            status.to_owned(),
            last,
            answer.now,
            answer.now,
            answer.now,
        );
    }
    insert.query()?.execute(conn).await?;
    Ok(())
}

/// Queues a summary of a conversation just resolved, unless one was asked for at the same
/// last message already.
pub(crate) async fn queue_summary(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    row: &ConversationRow,
    now: i64,
) -> Result<(), StoreError> {
    let Some(last) = &row.last_message else { return Ok(()) };
    sqlx::query(
        "INSERT INTO ai_responses (workspace_id, conversation_id, kind, message_id, status, run_after, created_at, \
         updated_at) VALUES ($1, $2, 'summary', $3, 'queued', $4, $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(ws.as_str().to_owned())
    .bind(row.id.clone())
    .bind(last.id.clone())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a job asks of the AI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Answer the contact message `message_id`.
    Answer,
    /// Summarize the conversation, just resolved.
    Summary,
}

/// A job this node now holds. `attempts` fences it: a node whose lease ran out and was
/// claimed again by another finds a different count and records nothing.
#[derive(Debug, Clone)]
pub struct ClaimedAnswer {
    pub kind: JobKind,
    pub rid: i64,
    pub workspace_id: WorkspaceId,
    pub conversation_id: String,
    pub message_id: String,
    pub attempts: i64,
}

/// What the AI needs to answer: the conversation, its pinned agent version, the thread.
#[derive(Debug, Clone)]
pub struct AnswerContext {
    pub conversation: ConversationRow,
    pub agent_id: String,
    /// The pinned version's settings, as written.
    pub settings: Value,
    /// The latest messages, oldest first.
    pub thread: Vec<MessageRow>,
    /// Answers the AI gave since it last took the conversation (since the last human or
    /// system message).
    pub ai_turns: i64,
}

/// What the AI decided: an answer to post (if any) and whether to hand off, with the reason.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub content: Option<String>,
    pub metadata: Map<String, Value>,
    pub handoff: Option<String>,
}

/// How an answer was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Completed {
        reply_id: Option<String>,
        handed_off: bool,
    },
    Failed,
    /// Discarded: a human took over, the conversation left `ai` mode or a newer message
    /// will be answered instead.
    Skipped(String),
    /// Another node holds the job now.
    Lost,
}

/// The AI response to a contact message, as `GET …/messages/{id}/response` shows it.
#[derive(Debug, Clone)]
pub struct ResponseRow {
    pub status: String,
    pub reply: Option<MessageRow>,
    pub error: Option<String>,
    pub handed_off: bool,
}

/// Messages of the thread the AI reads.
const THREAD: u32 = 20;

impl Store {
    /// Leases up to `limit` due jobs until `lease_until`, at most one per conversation.
    pub async fn claim_answers(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedAnswer>, StoreError> {
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM ai_responses WHERE status IN ('queued', 'running') AND run_after <= $1 \
             AND (status = 'queued' OR lease_until <= $1) LIMIT 1",
        )
        .bind(now)
        .fetch_optional(self.reader())
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let skip_locked = match self.dialect() {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE ai_responses SET status = 'running', lease_until = $1, attempts = attempts + 1, \
             updated_at = $2 WHERE rid IN (SELECT r.rid FROM ai_responses r WHERE r.run_after <= $2 \
             AND (r.status = 'queued' OR (r.status = 'running' AND r.lease_until <= $2)) \
             AND NOT EXISTS (SELECT 1 FROM ai_responses o WHERE o.conversation_id = r.conversation_id \
               AND o.status = 'running' AND o.lease_until > $2 AND o.rid <> r.rid) \
             ORDER BY r.rid LIMIT $3{skip_locked}) \
             RETURNING rid, kind, workspace_id, conversation_id, message_id, attempts"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .fetch_all(self.writer())
            .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(ClaimedAnswer {
                    kind: if kind == "summary" { JobKind::Summary } else { JobKind::Answer },
                    rid: row.try_get("rid")?,
                    workspace_id: WorkspaceId::trusted(row.try_get::<String, _>("workspace_id")?),
                    conversation_id: row.try_get("conversation_id")?,
                    message_id: row.try_get("message_id")?,
                    attempts: row.try_get("attempts")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The context to answer a claimed job in (`None`: the conversation or its agent version
    /// is gone).
    pub async fn answer_context(&self, job: &ClaimedAnswer) -> Result<Option<AnswerContext>, StoreError> {
        let ws = &job.workspace_id;
        let Some(conversation) = self.get_conversation(ws, &job.conversation_id).await? else {
            return Ok(None);
        };
        let (Some(agent_id), Some(version_id)) =
            (conversation.agent_id.clone(), conversation.agent_version_id.clone())
        else {
            return Ok(None);
        };
        let settings: Option<String> =
            sqlx::query_scalar("SELECT settings FROM agent_versions WHERE workspace_id = $1 AND id = $2")
                .bind(ws.as_str().to_owned())
                .bind(version_id)
                .fetch_optional(self.reader())
                .await?;
        let Some(settings) = settings else { return Ok(None) };
        let settings = serde_json::from_str(&settings).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let page =
            PageRequest { limit: THREAD, after: None, offset: None, include_total: false, descending: true };
        let mut thread =
            self.list_messages(ws, &job.conversation_id, &MessageFilter::default(), &page).await?.items;
        thread.reverse();
        let ai_turns: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND conversation_id = $2 \
             AND sender_type = 'agent' AND seq > COALESCE((SELECT MAX(seq) FROM messages \
             WHERE workspace_id = $1 AND conversation_id = $2 AND sender_type IN ('human', 'system')), 0)",
        )
        .bind(ws.as_str().to_owned())
        .bind(job.conversation_id.clone())
        .fetch_one(self.reader())
        .await?;
        Ok(Some(AnswerContext { conversation, agent_id, settings, thread, ai_turns }))
    }

    /// Records what the AI decided for a job, in one transaction with posting the answer and
    /// handing off, unless the conversation moved on meanwhile. `Err` in `result` is a
    /// failure to answer: the conversation goes to a human and `ai_response.failed` fires.
    pub async fn record_answer(
        &self,
        job: &ClaimedAnswer,
        agent_id: &str,
        result: Result<Answer, String>,
        now: i64,
    ) -> Result<Recorded, StoreError> {
        let ws = &job.workspace_id;
        let mut tx = self.begin_write().await?;
        let Some(row) = self.hold(&mut tx, job).await? else { return Ok(Recorded::Lost) };
        let newer: Option<String> = sqlx::query_scalar(
            "SELECT message_id FROM ai_responses WHERE conversation_id = $1 AND rid > $2 \
             AND status IN ('queued', 'running') AND kind = 'answer' ORDER BY rid LIMIT 1",
        )
        .bind(job.conversation_id.clone())
        .bind(job.rid)
        .fetch_optional(&mut *tx)
        .await?;
        let actor = Actor::agent(agent_id);
        let recorded = if row.mode != Mode::Ai || row.status == Status::Closed {
            let why =
                format!("the conversation is in {} mode now; the answer was discarded", row.mode.as_str());
            finish(
                &mut tx,
                job,
                Finished { status: "skipped", error: Some(&why), ..Finished::default() },
                now,
            )
            .await?;
            Recorded::Skipped(why)
        } else if let Some(newer) = newer {
            let end = Finished { status: "skipped", covered_by: Some(&newer), ..Finished::default() };
            finish(&mut tx, job, end, now).await?;
            Recorded::Skipped(format!("covered by the answer to {newer}"))
        } else {
            match result {
                Ok(answer) => {
                    let (row, reply_id) = match &answer.content {
                        Some(content) => {
                            let reply = reply(job, agent_id, content, answer.metadata.clone(), now);
                            post_reply(&mut tx, row, reply).await?
                        }
                        None => (row, None),
                    };
                    let handed_off = answer.handoff.is_some();
                    if let Some(reason) = answer.handoff {
                        let request =
                            ControlRequest::RequestHuman { by: "agent".into(), reason: Some(reason) };
                        change_control_in(&mut tx, ws, row, request, &actor, now).await?;
                    }
                    let end = Finished {
                        status: "completed",
                        reply_id: reply_id.as_deref(),
                        handed_off,
                        ..Finished::default()
                    };
                    finish(&mut tx, job, end, now).await?;
                    Recorded::Completed { reply_id, handed_off }
                }
                Err(error) => {
                    let data =
                        json!({"conversation": snapshot(&row), "message_id": job.message_id, "error": error});
                    let subject = Subject::conversation(&row);
                    events::append(&mut tx, ws, "ai_response.failed", subject, &actor, data, now).await?;
                    let request = ControlRequest::RequestHuman {
                        by: "agent".into(),
                        reason: Some("The AI could not answer".into()),
                    };
                    change_control_in(&mut tx, ws, row, request, &actor, now).await?;
                    let end = Finished {
                        status: "failed",
                        error: Some(&error),
                        handed_off: true,
                        ..Finished::default()
                    };
                    finish(&mut tx, job, end, now).await?;
                    Recorded::Failed
                }
            }
        };
        self.commit(tx).await?;
        Ok(recorded)
    }

    /// Records a summary of a resolved conversation: it becomes the conversation's `summary`
    /// unless someone wrote one meanwhile. `Err` in `result` only ends the job.
    pub async fn record_summary(
        &self,
        job: &ClaimedAnswer,
        agent_id: &str,
        result: Result<String, String>,
        now: i64,
    ) -> Result<Recorded, StoreError> {
        let ws = &job.workspace_id;
        let mut tx = self.begin_write().await?;
        let Some(mut row) = self.hold(&mut tx, job).await? else { return Ok(Recorded::Lost) };
        let recorded = match result {
            Ok(summary) if row.summary.is_none() => {
                row.summary = Some(summary.clone());
                row.version += 1;
                row.updated_at = now;
                write(&mut tx, ws, &row).await?;
                let change = json!({"summary": [Value::Null, summary]});
                append_changes(
                    &mut tx,
                    ws,
                    &row,
                    &Actor::agent(agent_id),
                    vec![("conversation.updated", change)],
                    now,
                )
                .await?;
                finish(&mut tx, job, Finished { status: "completed", ..Finished::default() }, now).await?;
                Recorded::Completed { reply_id: None, handed_off: false }
            }
            Ok(_) => {
                let why = "the conversation has a summary already";
                finish(
                    &mut tx,
                    job,
                    Finished { status: "skipped", error: Some(why), ..Finished::default() },
                    now,
                )
                .await?;
                Recorded::Skipped(why.into())
            }
            Err(error) => {
                finish(
                    &mut tx,
                    job,
                    Finished { status: "failed", error: Some(&error), ..Finished::default() },
                    now,
                )
                .await?;
                Recorded::Failed
            }
        };
        self.commit(tx).await?;
        Ok(recorded)
    }

    /// Whether this node still holds `job` (its attempt count unchanged: no other node took it
    /// over after the lease), and then its conversation, loaded for update.
    async fn hold(
        &self,
        tx: &mut AnyConnection,
        job: &ClaimedAnswer,
    ) -> Result<Option<ConversationRow>, StoreError> {
        let lock = match self.dialect() {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        };
        let held: Option<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT status, attempts FROM ai_responses WHERE rid = $1{lock}"
        )))
        .bind(job.rid)
        .fetch_optional(&mut *tx)
        .await?;
        if held != Some(("running".into(), job.attempts)) {
            return Ok(None);
        }
        match load_for_update(tx, self.dialect(), &job.workspace_id, &job.conversation_id).await {
            Err(StoreError::NotFound(_)) => Ok(None),
            loaded => loaded.map(Some),
        }
    }

    /// Deletes finished jobs last changed before `before`; returns how many.
    pub async fn purge_ai_responses(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM ai_responses WHERE status IN ('completed', 'failed', 'skipped') AND updated_at < $1",
        )
        .bind(before)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected())
    }

    /// Ends a job that has nothing to answer with (its conversation or agent version is gone).
    pub async fn skip_answer(&self, job: &ClaimedAnswer, why: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let end = Finished { status: "skipped", error: Some(why), ..Finished::default() };
        finish(&mut tx, job, end, now).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// The AI response to a contact message (`None`: none was queued for it). A response a
    /// later message covered is shown as that message's.
    pub async fn get_response(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        message_id: &str,
    ) -> Result<Option<ResponseRow>, StoreError> {
        let mut message_id = message_id.to_owned();
        // A burst is a short chain; the bound only guards against a cycle that cannot happen.
        for _ in 0..100 {
            let row = sqlx::query(
                "SELECT status, covered_by, reply_message_id, handed_off, error FROM ai_responses \
                 WHERE workspace_id = $1 AND conversation_id = $2 AND message_id = $3 AND kind = 'answer'",
            )
            .bind(ws.as_str().to_owned())
            .bind(conversation_id.to_owned())
            .bind(message_id.clone())
            .fetch_optional(self.reader())
            .await?;
            let Some(row) = row else { return Ok(None) };
            if let Some(covered_by) = row.try_get::<Option<String>, _>("covered_by")? {
                message_id = covered_by;
                continue;
            }
            let reply = match row.try_get::<Option<String>, _>("reply_message_id")? {
                Some(id) => self.get_message(ws, conversation_id, &id).await?,
                None => None,
            };
            return Ok(Some(ResponseRow {
                status: row.try_get("status")?,
                reply,
                error: row.try_get("error")?,
                handed_off: row.try_get::<i64, _>("handed_off")? != 0,
            }));
        }
        Ok(None)
    }
}

fn reply(
    job: &ClaimedAnswer,
    agent_id: &str,
    content: &str,
    metadata: Map<String, Value>,
    now: i64,
) -> PostJob {
    PostJob {
        ws: job.workspace_id.clone(),
        conversation_id: job.conversation_id.clone(),
        id: ids::new_id("msg"),
        input: NewMessage {
            sender_type: SenderType::Agent,
            sender_id: Some(agent_id.to_owned()),
            kind: MessageType::Text,
            content: content.to_owned(),
            attachments: vec![],
            client_message_id: None,
            in_reply_to: Some(job.message_id.clone()),
            source: None,
            metadata,
        },
        actor: Actor::agent(agent_id),
        now,
    }
}

async fn post_reply(
    tx: &mut AnyConnection,
    row: ConversationRow,
    job: PostJob,
) -> Result<(ConversationRow, Option<String>), StoreError> {
    let loaded = [((job.ws.clone(), row.id.clone()), row)].into();
    let posted = post_loaded(tx, loaded, std::slice::from_ref(&job)).await?;
    match posted.into_iter().next().transpose()? {
        Some(Posted::Created { conversation, message }) => Ok((*conversation, Some(message.id))),
        _ => Err(StoreError::NotFound("conversation")),
    }
}

/// How a job ended.
#[derive(Default)]
struct Finished<'a> {
    status: &'static str,
    covered_by: Option<&'a str>,
    reply_id: Option<&'a str>,
    error: Option<&'a str>,
    handed_off: bool,
}

async fn finish(
    tx: &mut AnyConnection,
    job: &ClaimedAnswer,
    end: Finished<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let Finished { status, covered_by, reply_id, error, handed_off } = end;
    sqlx::query(
        "UPDATE ai_responses SET status = $1, covered_by = $2, reply_message_id = $3, error = $4, \
         handed_off = $5, lease_until = NULL, updated_at = $6 WHERE rid = $7 AND attempts = $8",
    )
    .bind(status.to_owned())
    .bind(covered_by.map(str::to_owned))
    .bind(reply_id.map(str::to_owned))
    .bind(error.map(str::to_owned))
    .bind(i64::from(handed_off))
    .bind(now)
    .bind(job.rid)
    .bind(job.attempts)
    .execute(tx)
    .await?;
    Ok(())
}
