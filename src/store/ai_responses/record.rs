//! Recording what the AI decided, in one transaction with posting it — or dropping it when
//! the conversation moved on or another node took the job over.

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use super::{Answer, ClaimedAnswer, Recorded};
use crate::domain::conversation::{MessageType, Mode, SenderType, Status};
use crate::domain::event_kind::EventKind;
use crate::ids;
use crate::model::conversation::ConversationRow;
use crate::store::Entity;
use crate::store::conversation_rows::{append_changes, load_for_update, snapshot, write};
use crate::store::conversations::{ControlRequest, change_control_in};
use crate::store::events::{self, Actor, Subject};
use crate::store::messages::{NewMessage, PostJob, Posted, post};
use crate::store::{Backend, Store, StoreError};

impl Store {
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
                    events::append(&mut tx, ws, EventKind::AiResponseFailed, subject, &actor, data, now)
                        .await?;
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
                    vec![(EventKind::ConversationUpdated, change)],
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
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
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
        match load_for_update(tx, self.backend(), &job.workspace_id, &job.conversation_id).await {
            Err(StoreError::NotFound(_)) => Ok(None),
            loaded => loaded.map(Some),
        }
    }

    /// Ends a job that has nothing to answer with (its conversation or agent version is gone).
    pub async fn skip_answer(&self, job: &ClaimedAnswer, why: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let end = Finished { status: "skipped", error: Some(why), ..Finished::default() };
        finish(&mut tx, job, end, now).await?;
        self.commit(tx).await?;
        Ok(())
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
    let posted = post(&mut *tx, loaded, std::slice::from_ref(&job)).await?;
    match posted.into_iter().next().transpose()? {
        Some(Posted::Created { conversation, message }) => Ok((*conversation, Some(message.id))),
        _ => Err(StoreError::NotFound(Entity::Conversation)),
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
