//! Conversations: one row per thread, carrying denormalised summaries (contact, channel,
//! last and previous message, counts) so lists need no query per row. This file reads one and
//! changes it under a lock; creation, handoff, lists and snooze wake-ups have their own files,
//! and the row's SQL is `conversation_rows`.

use serde_json::json;

use super::events::Actor;
use super::{Store, StoreError, WorkspaceId};
use crate::domain::conversation::Status;

mod counts;
mod create;
mod handoff;
mod list;
mod snooze;

pub use counts::ConversationCounts;
pub(crate) use create::next_number;
pub use create::{ContactSpec, NewConversation};
pub use handoff::ControlRequest;
pub(crate) use handoff::change_control_in;
pub use list::{ConversationFilter, ConversationSort};

use crate::domain::event_kind::EventKind;
pub use crate::model::conversation::{ChannelRef, ContactRef, ConversationRow, Handoff, MessageSummary};
pub use crate::store::conversation_rows::Change;
use crate::store::conversation_rows::{append_changes, load_for_update, map, select_conversation, write};

impl Store {
    pub async fn get_conversation(
        &self,
        ws: &WorkspaceId,
        id: &str,
    ) -> Result<Option<ConversationRow>, StoreError> {
        let row = sqlx::query(concat!(select_conversation!(), " WHERE c.workspace_id = $1 AND c.id = $2"))
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .fetch_optional(self.reader())
            .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    /// Applies `change` to the conversation under a row lock, writes it and its events in one
    /// transaction. `change` returns the events to append; with none, nothing is written.
    /// `expected_version` (from `If-Match`) must match or the result is `VersionMismatch`.
    pub async fn update_conversation<E>(
        &self,
        ws: &WorkspaceId,
        id: &str,
        expected_version: Option<i64>,
        actor: &Actor,
        now: i64,
        change: impl FnOnce(&mut ConversationRow) -> Result<Vec<Change>, E>,
    ) -> Result<ConversationRow, E>
    where
        E: From<StoreError>,
    {
        let mut tx = self.begin_write().await.map_err(StoreError::from)?;
        let mut row = load_for_update(&mut tx, self.backend(), ws, id).await?;
        if expected_version.is_some_and(|v| v != row.version) {
            return Err(StoreError::VersionMismatch.into());
        }
        let changes = change(&mut row)?;
        if changes.is_empty() {
            return Ok(row);
        }
        row.version += 1;
        row.updated_at = now;
        write(&mut tx, ws, &row).await?;
        let resolved = changes.iter().any(|(kind, change)| {
            *kind == EventKind::ConversationStatusChanged && change["status"][1] == json!(Status::Resolved)
        });
        if resolved && row.summary.is_none() && row.agent_version_id.is_some() {
            super::ai_queue::queue_summary(&mut tx, ws, &row, now).await?;
        }
        append_changes(&mut tx, ws, &row, actor, changes, now).await?;
        self.commit(tx).await.map_err(StoreError::from)?;
        Ok(row)
    }
}

impl Store {
    /// The team has read the thread up to `message_id`: `unread_count` becomes the number of
    /// contact messages after it. A stream-only signal, so no event is logged.
    pub async fn mark_read(
        &self,
        ws: &WorkspaceId,
        id: &str,
        message_id: &str,
        now: i64,
    ) -> Result<ConversationRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut row = load_for_update(&mut tx, self.backend(), ws, id).await?;
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM messages WHERE conversation_id = $1 AND id = $2")
                .bind(id.to_owned())
                .bind(message_id.to_owned())
                .fetch_optional(&mut *tx)
                .await?;
        let seq = seq.ok_or(StoreError::InvalidReference("up_to_message_id"))?;
        let unread: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND seq > $2 AND sender_type = 'contact'",
        )
        .bind(id.to_owned())
        .bind(seq)
        .fetch_one(&mut *tx)
        .await?;
        if unread != row.unread_count {
            row.unread_count = unread;
            row.version += 1;
            row.updated_at = now;
            write(&mut tx, ws, &row).await?;
            self.commit(tx).await?;
        }
        Ok(row)
    }
}
