//! The workspace's tag palette and the tags on each conversation.

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::conversation_rows::{self, load_for_update};
use super::events::Actor;
use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Backend, Store, StoreError, WorkspaceId, conflict_as};
use crate::domain::event_kind::EventKind;
use crate::model::conversation::ConversationRow;
use crate::store::UniqueKey;

#[derive(Debug, Clone, PartialEq)]
pub struct NewTag {
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TagRow {
    pub id: String,
    pub fields: NewTag,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

pub const DEFAULT_COLOR: &str = "#6b7280";

fn map(row: &AnyRow) -> Result<TagRow, sqlx::Error> {
    Ok(TagRow {
        id: row.try_get("id")?,
        fields: NewTag {
            name: row.try_get("name")?,
            color: row.try_get("color")?,
            description: row.try_get("description")?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

async fn insert(
    conn: &mut AnyConnection,
    ws: &WorkspaceId,
    id: &str,
    tag: &NewTag,
    now: i64,
) -> Result<TagRow, StoreError> {
    let row = sqlx::query(
        "INSERT INTO tags (id, workspace_id, name, name_key, color, description, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1) \
         RETURNING id, name, color, description, created_at, updated_at, version",
    )
    .bind(id.to_owned())
    .bind(ws.as_str().to_owned())
    .bind(tag.name.clone())
    .bind(tag.name.to_lowercase())
    .bind(tag.color.clone())
    .bind(tag.description.clone())
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| conflict_as(e, UniqueKey::TagName))?;
    Ok(map(&row)?)
}

/// Rewrites the tag names shown on every conversation carrying `tag_id` (without it, when
/// it is `leaving`: about to be deleted), as a change of each: its version moves and a
/// `conversation.tags_changed` event tells open inboxes and webhooks. Conversations are locked
/// in id order, so two palette changes sharing conversations cannot deadlock.
async fn refresh_conversations(
    conn: &mut AnyConnection,
    backend: super::Backend,
    ws: &WorkspaceId,
    tag_id: &str,
    leaving: bool,
    actor: &Actor,
    now: i64,
) -> Result<(), StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT conversation_id FROM conversation_tags WHERE tag_id = $1 ORDER BY conversation_id",
    )
    .bind(tag_id.to_owned())
    .fetch_all(&mut *conn)
    .await?;
    // Every row locked before the first event: the event lock comes last (store/mod.rs), and
    // a post holding one of these rows waits for it.
    let conversations = conversation_rows::load_many_for_update(&mut *conn, backend, ws, &ids).await?;
    for mut conversation in conversations {
        let names = tag_names(conn, &conversation.id, leaving.then_some(tag_id)).await?;
        if names == conversation.tags {
            continue;
        }
        let before = std::mem::replace(&mut conversation.tags, names);
        conversation.version += 1;
        conversation.updated_at = now;
        conversation_rows::write(conn, ws, &conversation).await?;
        let changes =
            vec![(EventKind::ConversationTagsChanged, json!({"tags": [before, conversation.tags]}))];
        conversation_rows::append_changes(conn, ws, &conversation, actor, changes, now).await?;
    }
    Ok(())
}

/// A conversation's tag names, by name; `leaving` is a tag about to be deleted.
async fn tag_names(
    conn: &mut AnyConnection,
    conversation_id: &str,
    leaving: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let names = sqlx::query_scalar(
        "SELECT t.name FROM conversation_tags x JOIN tags t ON t.id = x.tag_id \
         WHERE x.conversation_id = $1 AND t.id <> $2 ORDER BY t.name_key",
    )
    .bind(conversation_id.to_owned())
    .bind(leaving.unwrap_or_default().to_owned())
    .fetch_all(conn)
    .await?;
    Ok(names)
}

impl Store {
    pub async fn create_tag(
        &self,
        ws: &WorkspaceId,
        id: &str,
        tag: &NewTag,
        now: i64,
    ) -> Result<TagRow, StoreError> {
        let mut conn = self.writer().acquire().await?;
        insert(&mut conn, ws, id, tag, now).await
    }

    pub async fn get_tag(&self, ws: &WorkspaceId, id: &str) -> Result<Option<TagRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, color, description, created_at, updated_at, version FROM tags \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn list_tags(&self, ws: &WorkspaceId, page: &PageRequest) -> Result<Page<TagRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
        };
        ListQuery {
            store: self,
            select: "SELECT id, name, color, description, created_at, updated_at, version FROM tags",
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |t| (t.created_at, t.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Updates a tag; a rename shows on every conversation carrying it.
    /// Changes a tag; a new name reaches every conversation carrying it, as a change of each.
    pub async fn update_tag(
        &self,
        ws: &WorkspaceId,
        id: &str,
        tag: &NewTag,
        actor: &Actor,
        expected_version: i64,
        now: i64,
    ) -> Result<TagRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE tags SET name = $1, name_key = $2, color = $3, description = $4, updated_at = $5, \
             version = version + 1 WHERE workspace_id = $6 AND id = $7 AND version = $8 \
             RETURNING id, name, color, description, created_at, updated_at, version",
        )
        .bind(tag.name.clone())
        .bind(tag.name.to_lowercase())
        .bind(tag.color.clone())
        .bind(tag.description.clone())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| conflict_as(e, UniqueKey::TagName))?;
        let row = row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)?;
        refresh_conversations(&mut tx, self.backend(), ws, id, false, actor, now).await?;
        self.commit(tx).await?;
        Ok(row)
    }

    /// Deletes a tag from the palette and from every conversation (a change of each).
    pub async fn delete_tag(
        &self,
        ws: &WorkspaceId,
        id: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        // The tag is locked before its conversations, as every path that touches both does.
        let sql = match self.backend() {
            Backend::Postgres => "SELECT id FROM tags WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
            Backend::Sqlite => "SELECT id FROM tags WHERE workspace_id = $1 AND id = $2",
        };
        let exists: Option<String> = sqlx::query_scalar(sql)
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        // Recompute names without this tag first, while the links still say where it is.
        refresh_conversations(&mut tx, self.backend(), ws, id, true, actor, now).await?;
        sqlx::query("DELETE FROM tags WHERE workspace_id = $1 AND id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(true)
    }

    /// The tags on a conversation, by name.
    pub async fn conversation_tags(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
    ) -> Result<Vec<TagRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.color, t.description, t.created_at, t.updated_at, t.version \
             FROM conversation_tags x JOIN tags t ON t.id = x.tag_id \
             WHERE t.workspace_id = $1 AND x.conversation_id = $2 ORDER BY t.name_key",
        )
        .bind(ws.as_str().to_owned())
        .bind(conversation_id.to_owned())
        .fetch_all(self.reader())
        .await?;
        Ok(rows.iter().map(map).collect::<Result<_, _>>()?)
    }

    /// Replaces a conversation's tags with `wanted` (names or tag ids). Names missing from
    /// the palette are added to it.
    pub async fn set_conversation_tags(
        &self,
        ws: &WorkspaceId,
        conversation_id: &str,
        wanted: &[String],
        actor: &Actor,
        now: i64,
    ) -> Result<ConversationRow, StoreError> {
        let mut tx = self.begin_write().await?;
        // Lock order: the tags first (a key-share lock on PostgreSQL, which a rename or a delete
        // of the tag waits for), then the conversation, as renames and deletes take them.
        let share = match self.backend() {
            Backend::Postgres => " FOR KEY SHARE",
            Backend::Sqlite => "",
        };
        let mut tag_ids: Vec<String> = Vec::new();
        for entry in wanted {
            let by_id = entry.starts_with("tag_");
            let column = if by_id { "id" } else { "name_key" };
            let sql = format!("SELECT id FROM tags WHERE workspace_id = $1 AND {column} = $2{share}");
            let key = if by_id { entry.clone() } else { entry.to_lowercase() };
            let found: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(ws.as_str().to_owned())
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
            let id = match found {
                Some(id) => id,
                None if by_id => return Err(StoreError::InvalidReference("tags")),
                None => {
                    let tag = NewTag { name: entry.clone(), color: DEFAULT_COLOR.into(), description: None };
                    insert(&mut tx, ws, &crate::ids::new_id("tag"), &tag, now).await?.id
                }
            };
            if !tag_ids.contains(&id) {
                tag_ids.push(id);
            }
        }
        let mut conversation = load_for_update(&mut tx, self.backend(), ws, conversation_id).await?;
        sqlx::query("DELETE FROM conversation_tags WHERE conversation_id = $1")
            .bind(conversation_id.to_owned())
            .execute(&mut *tx)
            .await?;
        for id in &tag_ids {
            sqlx::query("INSERT INTO conversation_tags (conversation_id, tag_id) VALUES ($1, $2)")
                .bind(conversation_id.to_owned())
                .bind(id.clone())
                .execute(&mut *tx)
                .await?;
        }
        let names = tag_names(&mut tx, conversation_id, None).await?;
        if names == conversation.tags {
            return Ok(conversation);
        }
        let before = std::mem::replace(&mut conversation.tags, names);
        conversation.version += 1;
        conversation.updated_at = now;
        conversation_rows::write(&mut tx, ws, &conversation).await?;
        let changes =
            vec![(EventKind::ConversationTagsChanged, json!({"tags": [before, conversation.tags]}))];
        conversation_rows::append_changes(&mut tx, ws, &conversation, actor, changes, now).await?;
        self.commit(tx).await?;
        Ok(conversation)
    }
}
