//! A contact's fields (`NewContact`) and the stored row.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::clock::Timestamp;

/// The fields of a contact a caller may set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewContact {
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    pub custom_attributes: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct ContactRow {
    pub id: String,
    pub fields: NewContact,
    pub blocked: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    #[schema(value_type = String, example = "contact")]
    pub object: &'static str,
    #[schema(example = "ct_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    pub blocked: bool,
    pub custom_attributes: Map<String, Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl ContactOut {
    pub fn from_row(row: ContactRow) -> Self {
        let f = row.fields;
        ContactOut {
            object: "contact",
            id: row.id,
            external_id: f.external_id,
            name: f.name,
            email: f.email,
            phone: f.phone,
            avatar_url: f.avatar_url,
            blocked: row.blocked,
            custom_attributes: f.custom_attributes,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}
