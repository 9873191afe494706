//! An internal note's fields and the stored row.

use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct NewNote {
    pub author_id: Option<String>,
    pub body: String,
    pub pinned: bool,
}

#[derive(Debug, Clone)]
pub struct NoteRow {
    pub id: String,
    pub conversation_id: String,
    pub fields: NewNote,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// An internal note: for the team, never shown to the contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOut {
    #[schema(value_type = String, example = "note")]
    pub object: &'static str,
    #[schema(example = "note_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub conversation_id: String,
    /// The member who wrote it (null when written by an integration without `member_id`).
    pub author_id: Option<String>,
    pub body: String,
    pub pinned: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl From<&NoteRow> for NoteOut {
    fn from(row: &NoteRow) -> Self {
        NoteOut {
            object: "note",
            id: row.id.clone(),
            conversation_id: row.conversation_id.clone(),
            author_id: row.fields.author_id.clone(),
            body: row.fields.body.clone(),
            pinned: row.fields.pinned,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}
