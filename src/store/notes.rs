//! Internal notes on a conversation: for the team, never shown to the contact.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::conversation_rows::{self, load_for_update};
use super::events::{self, Actor, Subject};
use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId};
use crate::domain::event_kind::EventKind;
use crate::model::conversation::ConversationRow;
use crate::model::note::NoteOut;
use crate::store::Entity;

pub use crate::model::note::{NewNote, NoteRow};

macro_rules! note_columns {
    () => {
        "id, conversation_id, author_id, body, pinned, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<NoteRow, sqlx::Error> {
    Ok(NoteRow {
        id: row.try_get("id")?,
        conversation_id: row.try_get("conversation_id")?,
        fields: NewNote {
            author_id: row.try_get("author_id")?,
            body: row.try_get("body")?,
            pinned: row.try_get::<i64, _>("pinned")? != 0,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn event_data(conversation: &ConversationRow, note: &NoteRow) -> Value {
    json!({"conversation": conversation_rows::snapshot(conversation), "note": NoteOut::from(note)})
}

async fn find(conn: &mut AnyConnection, conversation_id: &str, id: &str) -> Result<NoteRow, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        note_columns!(),
        " FROM notes WHERE conversation_id = $1 AND id = $2"
    ))
    .bind(conversation_id.to_owned())
    .bind(id.to_owned())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(map).transpose()?.ok_or(StoreError::NotFound(Entity::Note))
}

impl Store {
    pub async fn create_note(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        id: &str,
        note: &NewNote,
        actor: &Actor,
        now: i64,
    ) -> Result<NoteRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let conversation = load_for_update(&mut tx, self.backend(), ws, conversation_id).await?;
        let row = sqlx::query(concat!(
            "INSERT INTO notes (workspace_id, ",
            note_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1) RETURNING ",
            note_columns!()
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(conversation_id.to_owned())
        .bind(note.author_id.clone())
        .bind(note.body.clone())
        .bind(i64::from(note.pinned))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let note = map(&row)?;
        let data = event_data(&conversation, &note);
        events::append(
            &mut tx,
            ws,
            EventKind::NoteCreated,
            Subject::conversation(&conversation),
            actor,
            data,
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(note)
    }

    /// Notes oldest first.
    pub async fn list_notes(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        page: &PageRequest,
    ) -> Result<Page<NoteRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            sql.push(" AND conversation_id = ").bind(conversation_id.to_owned());
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", note_columns!(), " FROM notes"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |n| (n.created_at, n.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Applies `change` to a note (returning whether anything changed) and logs `note.updated`.
    pub async fn update_note(
        &self,
        ws: &WorkspaceId,
        (conversation_id, id): (&str, &str),
        expected_version: Option<i64>,
        actor: &Actor,
        now: i64,
        change: impl FnOnce(&mut NewNote) -> bool,
    ) -> Result<NoteRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let conversation = load_for_update(&mut tx, self.backend(), ws, conversation_id).await?;
        let mut note = find(&mut tx, conversation_id, id).await?;
        if expected_version.is_some_and(|v| v != note.version) {
            return Err(StoreError::VersionMismatch);
        }
        if !change(&mut note.fields) {
            return Ok(note);
        }
        note.version += 1;
        note.updated_at = now;
        sqlx::query("UPDATE notes SET body = $1, pinned = $2, updated_at = $3, version = $4 WHERE id = $5")
            .bind(note.fields.body.clone())
            .bind(i64::from(note.fields.pinned))
            .bind(now)
            .bind(note.version)
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        let data = event_data(&conversation, &note);
        events::append(
            &mut tx,
            ws,
            EventKind::NoteUpdated,
            Subject::conversation(&conversation),
            actor,
            data,
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(note)
    }

    pub async fn delete_note(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        id: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let conversation = load_for_update(&mut tx, self.backend(), ws, conversation_id).await?;
        let note = find(&mut tx, conversation_id, id).await?;
        sqlx::query("DELETE FROM notes WHERE id = $1").bind(id.to_owned()).execute(&mut *tx).await?;
        let data = event_data(&conversation, &note);
        events::append(
            &mut tx,
            ws,
            EventKind::NoteDeleted,
            Subject::conversation(&conversation),
            actor,
            data,
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }
}
