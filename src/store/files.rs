//! Uploaded files: their bytes live in the database, so every node serves them. A file
//! belongs to the contact who uploaded it and, once a message references it, to that message
//! and its conversation; erasing any of them erases the file (by cascade, or with a
//! message's soft delete, in [`delete_message_files`]).

use sqlx::{AnyConnection, Row};

use super::{Store, StoreError, WorkspaceId};

/// A file without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub id: String,
    pub workspace_id: WorkspaceId,
    /// The contact who uploaded it (a widget visitor), if one did.
    pub contact_id: Option<String>,
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
    pub name: String,
    pub mime_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

pub struct NewFile {
    pub id: String,
    pub contact_id: Option<String>,
    pub name: String,
    pub mime_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

const COLUMNS: &str =
    "id, workspace_id, contact_id, conversation_id, message_id, name, mime_type, size, sha256, created_at";

fn map(row: &sqlx::any::AnyRow) -> Result<FileRow, sqlx::Error> {
    Ok(FileRow {
        id: row.try_get("id")?,
        workspace_id: WorkspaceId::trusted(row.try_get::<String, _>("workspace_id")?),
        contact_id: row.try_get("contact_id")?,
        conversation_id: row.try_get("conversation_id")?,
        message_id: row.try_get("message_id")?,
        name: row.try_get("name")?,
        mime_type: row.try_get("mime_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Erases the files of a message whose content was deleted.
pub(super) async fn delete_message_files(
    conn: &mut AnyConnection,
    message_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM files WHERE message_id = $1").bind(message_id.to_owned()).execute(conn).await?;
    Ok(())
}

impl Store {
    pub async fn create_file(
        &self,
        ws: &WorkspaceId,
        file: NewFile,
        now: i64,
    ) -> Result<FileRow, StoreError> {
        let size = i64::try_from(file.content.len()).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO files (id, workspace_id, contact_id, name, mime_type, size, sha256, content, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(file.id.clone())
        .bind(ws.as_str().to_owned())
        .bind(file.contact_id.clone())
        .bind(file.name.clone())
        .bind(file.mime_type.clone())
        .bind(size)
        .bind(file.sha256.clone())
        .bind(file.content)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(FileRow {
            id: file.id,
            workspace_id: ws.clone(),
            contact_id: file.contact_id,
            conversation_id: None,
            message_id: None,
            name: file.name,
            mime_type: file.mime_type,
            size,
            sha256: file.sha256,
            created_at: now,
        })
    }

    /// The workspace's files among `ids` (without their bytes).
    pub async fn files(&self, ws: &WorkspaceId, ids: &[String]) -> Result<Vec<FileRow>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM files WHERE workspace_id = $1 AND id = $2"
            )))
            .bind(ws.as_str().to_owned())
            .bind(id.clone())
            .fetch_optional(self.reader())
            .await?;
            if let Some(row) = row {
                found.push(map(&row)?);
            }
        }
        Ok(found)
    }

    /// A file and its bytes, found by id alone: for a request whose URL signature names the
    /// file (the signature stands in for the workspace, which the caller checks otherwise).
    pub async fn file_content(&self, id: &str) -> Result<Option<(FileRow, Vec<u8>)>, StoreError> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}, content FROM files WHERE id = $1")))
                .bind(id.to_owned())
                .fetch_optional(self.reader())
                .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((map(&row)?, row.try_get("content")?)))
    }

    /// Whether a visitor reaches `file`: they uploaded it, or it is in one of their conversations.
    pub async fn contact_reaches_file(
        &self,
        ws: &WorkspaceId,
        contact_id: &str,
        file: &FileRow,
    ) -> Result<bool, StoreError> {
        if file.contact_id.as_deref() == Some(contact_id) {
            return Ok(true);
        }
        let Some(conversation_id) = &file.conversation_id else { return Ok(false) };
        let owner: Option<String> =
            sqlx::query_scalar("SELECT contact_id FROM conversations WHERE workspace_id = $1 AND id = $2")
                .bind(ws.as_str().to_owned())
                .bind(conversation_id.clone())
                .fetch_optional(self.reader())
                .await?;
        Ok(owner.as_deref() == Some(contact_id))
    }

    /// Deletes files uploaded before `before` that no message references.
    pub async fn purge_unattached_files(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM files WHERE message_id IS NULL AND created_at < $1")
            .bind(before)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}
