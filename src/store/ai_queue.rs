//! Queueing AI jobs in the transaction of the change that calls for them.

use sqlx::AnyConnection;

use crate::model::conversation::ConversationRow;
use crate::store::sql::{Script, bind_row};
use crate::store::{StoreError, WorkspaceId};

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
pub(crate) fn queue(script: &mut Script, answers: &[QueuedAnswer]) {
    if answers.is_empty() {
        return;
    }
    let last_of = |conversation: &str| {
        answers.iter().rev().find(|a| a.conversation_id == conversation).map(|a| a.message_id.clone())
    };
    let cover = script.statement("WITH v (conversation_id, covered_by, now) AS (VALUES ");
    let mut seen = Vec::new();
    for answer in answers.iter().rev() {
        if seen.contains(&&answer.conversation_id) {
            continue;
        }
        if !seen.is_empty() {
            cover.push(", ");
        }
        seen.push(&answer.conversation_id);
        bind_row!(cover, answer.conversation_id.clone(), answer.message_id.clone(), answer.now);
    }
    cover.push(
        ") UPDATE ai_responses SET status = 'skipped', covered_by = v.covered_by, updated_at = v.now \
         FROM v WHERE ai_responses.conversation_id = v.conversation_id AND ai_responses.status = 'queued' \
         AND ai_responses.kind = 'answer'",
    );

    let insert = script.statement(
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
            insert,
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
