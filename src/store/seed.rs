//! Bulk loading for the benchmark's dataset generator and its raw-insert baseline. Rows are
//! written as the API would leave them (denormalised summaries included), without events.

use sqlx::Row;

use super::sql::Sql;
use super::{Store, StoreError, WorkspaceId};

pub struct SeedContact {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub created_at: i64,
}

pub struct SeedMessage {
    pub id: String,
    pub seq: i64,
    pub sender_type: &'static str,
    pub content: String,
    pub created_at: i64,
}

pub struct SeedConversation {
    pub id: String,
    pub number: i64,
    pub contact_id: String,
    pub channel_id: Option<String>,
    pub title: Option<String>,
    pub status: &'static str,
    pub mode: &'static str,
    pub priority: &'static str,
    pub priority_rank: i64,
    pub created_at: i64,
    pub messages: Vec<SeedMessage>,
}

/// Rows per multi-row INSERT (SQLite allows 32,766 bound values).
const CHUNK: usize = 400;

impl Store {
    /// Inserts contacts, conversations and their messages in one transaction.
    pub async fn seed(
        &self,
        ws: &WorkspaceId,
        contacts: &[SeedContact],
        conversations: &[SeedConversation],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let w = ws.as_str();
        for chunk in contacts.chunks(CHUNK) {
            let mut sql = Sql::new(
                "INSERT INTO contacts (id, workspace_id, name, email, phone, blocked, custom_attributes, created_at, updated_at, version) VALUES ",
            );
            for (i, c) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(c.id.clone())
                    .push(", ")
                    .bind(w.to_owned())
                    .push(", ")
                    .bind(c.name.clone())
                    .push(", ");
                sql.bind(c.email.clone()).push(", ").bind(c.phone.clone()).push(", 0, '{}', ");
                sql.bind(c.created_at).push(", ").bind(c.created_at).push(", 1)");
            }
            sql.query()?.execute(&mut *tx).await?;
        }
        for chunk in conversations.chunks(CHUNK / 4) {
            let mut sql = Sql::new(
                "INSERT INTO conversations (id, workspace_id, number, title, status, mode, priority, priority_rank, \
                 channel_id, contact_id, custom_data, last_message_id, last_message_preview, last_message_sender_type, \
                 last_message_at, prev_message_id, prev_message_preview, prev_message_sender_type, prev_message_at, \
                 message_count, unread_count, first_response_at, resolved_at, created_at, updated_at, version) VALUES ",
            );
            for (i, c) in chunk.iter().enumerate() {
                let last = c.messages.last();
                let prev = c.messages.len().checked_sub(2).map(|i| &c.messages[i]);
                let last_at = last.map_or(c.created_at, |m| m.created_at);
                let first_response =
                    c.messages.iter().find(|m| m.sender_type != "contact").map(|m| m.created_at);
                let preview =
                    |m: Option<&SeedMessage>| m.map(|m| m.content.chars().take(140).collect::<String>());
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(c.id.clone()).push(", ").bind(w.to_owned()).push(", ").bind(c.number).push(", ");
                sql.bind(c.title.clone())
                    .push(", ")
                    .bind(c.status.to_owned())
                    .push(", ")
                    .bind(c.mode.to_owned())
                    .push(", ");
                sql.bind(c.priority.to_owned())
                    .push(", ")
                    .bind(c.priority_rank)
                    .push(", ")
                    .bind(c.channel_id.clone())
                    .push(", ");
                sql.bind(c.contact_id.clone()).push(", '{}', ");
                sql.bind(last.map(|m| m.id.clone())).push(", ").bind(preview(last)).push(", ");
                sql.bind(last.map(|m| m.sender_type.to_owned())).push(", ").bind(last_at).push(", ");
                sql.bind(prev.map(|m| m.id.clone())).push(", ").bind(preview(prev)).push(", ");
                sql.bind(prev.map(|m| m.sender_type.to_owned()))
                    .push(", ")
                    .bind(prev.map(|m| m.created_at))
                    .push(", ");
                sql.bind(c.messages.len() as i64).push(", 0, ").bind(first_response).push(", ");
                sql.bind((c.status == "resolved").then_some(last_at)).push(", ");
                sql.bind(c.created_at).push(", ").bind(last_at).push(", 1)");
            }
            sql.query()?.execute(&mut *tx).await?;
        }
        let messages: Vec<(&SeedConversation, &SeedMessage)> =
            conversations.iter().flat_map(|c| c.messages.iter().map(move |m| (c, m))).collect();
        for chunk in messages.chunks(CHUNK) {
            let mut sql = Sql::new(
                "INSERT INTO messages (id, workspace_id, conversation_id, seq, sender_type, type, content, status, \
                 created_at, updated_at) VALUES ",
            );
            for (i, (c, m)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(m.id.clone()).push(", ").bind(w.to_owned()).push(", ").bind(c.id.clone()).push(", ");
                sql.bind(m.seq)
                    .push(", ")
                    .bind(m.sender_type.to_owned())
                    .push(", 'text', ")
                    .bind(m.content.clone());
                sql.push(", 'sent', ").bind(m.created_at).push(", ").bind(m.created_at).push(")");
            }
            sql.query()?.execute(&mut *tx).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// Sets the workspace's conversation counter after seeding, so new numbers follow on.
    pub async fn seed_counter(&self, ws: &WorkspaceId, value: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO workspace_counters (workspace_id, name, value) VALUES ($1, 'conversation', $2) \
             ON CONFLICT (workspace_id, name) DO UPDATE SET value = $2",
        )
        .bind(ws.as_str().to_owned())
        .bind(value)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// The raw-insert baseline: one message row, in its own transaction, with nothing else.
    pub async fn insert_raw_message(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        message: &SeedMessage,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, conversation_id, seq, sender_type, type, content, status, \
             source, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'text', $6, 'sent', 'bench-raw', $7, $7)",
        )
        .bind(message.id.clone())
        .bind(ws.as_str().to_owned())
        .bind(conversation_id.to_owned())
        .bind(message.seq)
        .bind(message.sender_type)
        .bind(message.content.clone())
        .bind(message.created_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// How many messages carry `source` (the benchmark checks every acknowledged post is stored).
    pub async fn count_messages_with_source(
        &self,
        ws: &WorkspaceId,
        source: &str,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM messages WHERE workspace_id = $1 AND source = $2")
            .bind(ws.as_str().to_owned())
            .bind(source.to_owned())
            .fetch_one(self.reader())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Conversation ids of a workspace, most recent first (to spread load over real threads).
    pub async fn sample_conversation_ids(
        &self,
        ws: &WorkspaceId,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE workspace_id = $1 AND status <> 'closed' \
             ORDER BY last_message_at DESC LIMIT $2",
        )
        .bind(ws.as_str().to_owned())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(ids)
    }
}

impl Store {
    /// Refreshes the query planner's statistics (after a bulk load).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE").execute(self.writer()).await?;
        Ok(())
    }
}
