//! AI response jobs: one row per contact message the AI is to answer, written in the
//! transaction that posts the message; claimed by the AI workers under a lease; finished in
//! the transaction that posts the answer.
//!
//! A burst gets one answer: a new contact message covers the conversation's jobs still queued
//! (`covered_by`), and an answer generated while a newer message arrived is discarded, so the
//! newest job answers with the whole burst in view. An answer is also discarded when the
//! conversation left `ai` mode while it was being generated (a human took over): both checks
//! run in the transaction that would post it, on the locked conversation row.

mod record;

use serde_json::{Map, Value};
use sqlx::Row;

use super::conversations::ConversationRow;
use super::messages::MessageRow;
use super::sql::PageRequest;
use super::{MessageFilter, Store, StoreError, WorkspaceId};

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
        let skip_locked = self.backend().skip_locked();
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
