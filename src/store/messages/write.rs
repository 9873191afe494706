//! The statements a batch of posts adds to its script: one multi-row INSERT for the messages
//! and one UPDATE for the conversations they touched, however many posts the batch holds.

use crate::model::conversation::ConversationRow;
use crate::model::message::MessageRow;
use crate::store::WorkspaceId;
use crate::store::sql::{Script, bind_row};

pub(super) fn insert_messages(script: &mut Script, messages: &[(WorkspaceId, MessageRow)]) {
    let sql =
        script.statement(concat!("INSERT INTO messages (workspace_id, ", message_columns!(), ") VALUES "));
    for (i, (ws, m)) in messages.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        bind_row!(
            sql,
            ws.as_str().to_owned(),
            m.id.clone(),
            m.conversation_id.clone(),
            m.seq,
            m.sender_type.as_str().to_owned(),
            m.sender_id.clone(),
            m.kind.as_str().to_owned(),
            m.content.clone(),
            serde_json::to_string(&m.attachments).unwrap_or_else(|_| "[]".into()),
            m.status.as_str().to_owned(),
            m.failure_reason.clone(),
            m.client_message_id.clone(),
            m.in_reply_to.clone(),
            m.source.clone(),
            serde_json::Value::Object(m.metadata.clone()).to_string(),
            None::<String>,
            None::<String>,
            i64::from(m.deleted),
            m.created_at,
            m.updated_at,
        );
    }
}

/// Writes the columns a post changes, for every touched conversation in one statement, so
/// the indexes over other columns (priority, assignee, title search, …) are left alone.
pub(super) fn update_conversations(script: &mut Script, rows: &[&ConversationRow]) {
    let sql = script.statement(
        "WITH v (id, status, snoozed_until, resolved_at, last_message_id, last_message_preview, \
         last_message_sender_type, last_message_at, prev_message_id, prev_message_preview, \
         prev_message_sender_type, prev_message_at, message_count, unread_count, first_response_at, \
         updated_at, version, mode, assignee_id, handoff_requested_at, handoff_requested_by, handoff_reason, \
         handoff_started_at, handoff_member_id, human_started_at, sentiment_score) AS (VALUES ",
    );
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let (last, prev) = (row.last_message.as_ref(), row.previous_message.as_ref());
        let handoff = &row.handoff;
        bind_row!(
            sql,
            row.id.clone(),
            row.status.as_str().to_owned(),
            row.snoozed_until,
            row.resolved_at,
            last.map(|m| m.id.clone()),
            last.map(|m| m.preview.clone()),
            last.map(|m| m.sender_type.as_str().to_owned()),
            row.last_message_at,
            prev.map(|m| m.id.clone()),
            prev.map(|m| m.preview.clone()),
            prev.map(|m| m.sender_type.as_str().to_owned()),
            prev.map(|m| m.created_at),
            row.message_count,
            row.unread_count,
            row.first_response_at,
            row.updated_at,
            row.version,
            row.mode.as_str().to_owned(),
            row.assignee_id.clone(),
            handoff.requested_at,
            handoff.requested_by.clone(),
            handoff.reason.clone(),
            handoff.started_at,
            handoff.member_id.clone(),
            row.human_started_at,
            row.sentiment_score,
        );
    }
    sql.push(
        ") UPDATE conversations SET status = v.status, snoozed_until = v.snoozed_until, \
         resolved_at = v.resolved_at, last_message_id = v.last_message_id, \
         last_message_preview = v.last_message_preview, last_message_sender_type = v.last_message_sender_type, \
         last_message_at = v.last_message_at, prev_message_id = v.prev_message_id, \
         prev_message_preview = v.prev_message_preview, prev_message_sender_type = v.prev_message_sender_type, \
         prev_message_at = v.prev_message_at, message_count = v.message_count, unread_count = v.unread_count, \
         first_response_at = v.first_response_at, updated_at = v.updated_at, version = v.version, \
         mode = v.mode, assignee_id = v.assignee_id, handoff_requested_at = v.handoff_requested_at, \
         handoff_requested_by = v.handoff_requested_by, handoff_reason = v.handoff_reason, \
         handoff_started_at = v.handoff_started_at, handoff_member_id = v.handoff_member_id, \
         human_started_at = v.human_started_at, sentiment_score = v.sentiment_score \
         FROM v WHERE conversations.id = v.id",
    );
}

/// Links the uploads the messages attach to them (and their conversations), so erasing
/// either erases the files. An upload attaches to one message only.
pub(super) fn link_files(script: &mut Script, messages: &[(WorkspaceId, MessageRow)]) {
    let links: Vec<_> = messages
        .iter()
        .flat_map(|(ws, m)| m.attachments.iter().filter_map(move |a| Some((ws, m, a.id.clone()?))))
        .collect();
    if links.is_empty() {
        return;
    }
    let sql = script.statement("WITH v (id, workspace_id, message_id, conversation_id) AS (VALUES ");
    for (i, (ws, m, file_id)) in links.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        bind_row!(sql, file_id, ws.as_str().to_owned(), m.id.clone(), m.conversation_id.clone());
    }
    sql.push(
        ") UPDATE files SET message_id = v.message_id, conversation_id = v.conversation_id FROM v \
         WHERE files.id = v.id AND files.workspace_id = v.workspace_id AND files.message_id IS NULL",
    );
}
