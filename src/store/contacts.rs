//! Contacts: the customers who write in, unique by email and by external id per workspace;
//! every change is an event.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::events::{self, Actor, Subject};
use super::sql::{ListQuery, Page, PageRequest, Sql};
use super::{Store, StoreError, WorkspaceId, unique_violation};
use crate::domain::event_kind::EventKind;
use crate::store::UniqueKey;

pub use crate::model::contact::{ContactRow, NewContact};

#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub email: Option<String>,
    pub external_id: Option<String>,
    /// Substring of name, email or phone.
    pub q: Option<String>,
}

macro_rules! contact_columns {
    () => {
        "id, external_id, name, email, phone, avatar_url, blocked, custom_attributes, created_at, updated_at, version"
    };
}
const UNIQUE: &[(&str, UniqueKey)] =
    &[("email", UniqueKey::ContactEmail), ("external_id", UniqueKey::ContactExternalId)];

fn map(row: &AnyRow) -> Result<ContactRow, sqlx::Error> {
    let attributes: String = row.try_get("custom_attributes")?;
    Ok(ContactRow {
        id: row.try_get("id")?,
        fields: NewContact {
            external_id: row.try_get("external_id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            avatar_url: row.try_get("avatar_url")?,
            custom_attributes: serde_json::from_str(&attributes)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        },
        blocked: row.try_get::<i64, _>("blocked")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn attributes_json(fields: &NewContact) -> String {
    serde_json::Value::Object(fields.custom_attributes.clone()).to_string()
}

pub(crate) async fn insert(
    conn: &mut sqlx::AnyConnection,
    ws: &WorkspaceId,
    id: &str,
    fields: &NewContact,
    now: i64,
) -> Result<ContactRow, StoreError> {
    let row = insert_query(INSERT, ws, id, fields, now)
        .fetch_one(conn)
        .await
        .map_err(|e| unique_violation(e, UNIQUE))?;
    Ok(map(&row)?)
}

/// Inserts the contact unless another has its email or `external_id` (`None` then). On
/// PostgreSQL a clash with a transaction still running waits for it to end, so a contact two
/// requests create at once is inserted once, and the other request can read it.
pub(crate) async fn insert_if_absent(
    conn: &mut sqlx::AnyConnection,
    ws: &WorkspaceId,
    id: &str,
    fields: &NewContact,
    now: i64,
) -> Result<Option<ContactRow>, StoreError> {
    let row = insert_query(INSERT_IF_ABSENT, ws, id, fields, now).fetch_optional(conn).await?;
    Ok(row.as_ref().map(map).transpose()?)
}

macro_rules! insert_contact {
    () => {
        "INSERT INTO contacts (id, workspace_id, external_id, name, email, phone, avatar_url, blocked, \
         custom_attributes, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9, 1)"
    };
}
const INSERT: &str = concat!(insert_contact!(), " RETURNING ", contact_columns!());
const INSERT_IF_ABSENT: &str =
    concat!(insert_contact!(), " ON CONFLICT DO NOTHING RETURNING ", contact_columns!());

fn insert_query<'q>(
    sql: &'static str,
    ws: &WorkspaceId,
    id: &str,
    fields: &NewContact,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(sql)
        .bind(id.to_owned())
        .bind(ws.as_str().to_owned())
        .bind(fields.external_id.clone())
        .bind(fields.name.clone())
        .bind(fields.email.clone())
        .bind(fields.phone.clone())
        .bind(fields.avatar_url.clone())
        .bind(attributes_json(fields))
        .bind(now)
}

/// Deletes the events that carry a contact's data: its conversations' events, and unless
/// `conversations_only` the events about the contact itself. Run it before the rows go: the
/// conversations' ids are how their events are found.
async fn erase_events(
    conn: &mut sqlx::AnyConnection,
    ws: &WorkspaceId,
    contact_id: &str,
    conversations_only: bool,
) -> Result<(), StoreError> {
    // Deliveries not yet sent would carry the contact's data out: they go with the events.
    let mut statements = vec![
        "DELETE FROM deliveries WHERE conversation_id IN \
         (SELECT id FROM conversations WHERE workspace_id = $1 AND contact_id = $2)",
        "DELETE FROM events WHERE conversation_id IN \
         (SELECT id FROM conversations WHERE workspace_id = $1 AND contact_id = $2)",
    ];
    if !conversations_only {
        statements.extend([
            "DELETE FROM deliveries WHERE event_id IN (SELECT id FROM events \
             WHERE workspace_id = $1 AND contact_id = $2 AND conversation_id IS NULL)",
            "DELETE FROM events WHERE workspace_id = $1 AND contact_id = $2 AND conversation_id IS NULL",
        ]);
    }
    for sql in statements {
        sqlx::query(sql).bind(ws.as_str().to_owned()).bind(contact_id.to_owned()).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn append(
    conn: &mut sqlx::AnyConnection,
    ws: &WorkspaceId,
    kind: EventKind,
    row: &ContactRow,
    actor: &Actor,
    now: i64,
) -> Result<(), StoreError> {
    let data = serde_json::json!({"contact": crate::model::contact::ContactOut::from_row(row.clone())});
    events::append(conn, ws, kind, Subject::contact(&row.id), actor, data, now).await
}

impl Store {
    pub async fn create_contact(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &NewContact,
        actor: &Actor,
        now: i64,
    ) -> Result<ContactRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = insert(&mut tx, ws, id, fields, now).await?;
        append(&mut tx, ws, EventKind::ContactCreated, &row, actor, now).await?;
        self.commit(tx).await?;
        Ok(row)
    }

    pub async fn get_contact(&self, ws: &WorkspaceId, id: &str) -> Result<Option<ContactRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    pub async fn list_contacts(
        &self,
        ws: &WorkspaceId,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<ContactRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            if let Some(email) = &filter.email {
                sql.push(" AND email = ").bind(email.clone());
            }
            if let Some(external_id) = &filter.external_id {
                sql.push(" AND external_id = ").bind(external_id.clone());
            }
            if let Some(q) = &filter.q {
                sql.push(" AND (");
                sql.like(self, "name", q).push(" OR ");
                sql.like(self, "email", q).push(" OR ");
                sql.like(self, "phone", q).push(")");
            }
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", contact_columns!(), " FROM contacts"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |c| (c.created_at, c.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Writes `fields` if the contact is still at `expected_version`.
    pub async fn update_contact(
        &self,
        ws: &WorkspaceId,
        id: &str,
        fields: &NewContact,
        expected_version: i64,
        actor: &Actor,
        now: i64,
    ) -> Result<ContactRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "UPDATE contacts SET external_id = $1, name = $2, email = $3, phone = $4, avatar_url = \
             $5, custom_attributes = $6, updated_at = $7, version = version + 1 WHERE workspace_id = \
             $8 AND id = $9 AND version = $10 RETURNING ",
            contact_columns!()
        ))
        .bind(fields.external_id.clone())
        .bind(fields.name.clone())
        .bind(fields.email.clone())
        .bind(fields.phone.clone())
        .bind(fields.avatar_url.clone())
        .bind(attributes_json(fields))
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, UNIQUE))?;
        let row = row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)?;
        append(&mut tx, ws, EventKind::ContactUpdated, &row, actor, now).await?;
        self.commit(tx).await?;
        Ok(row)
    }

    /// Blocks or unblocks a contact. A no-op when already so (the version does not move).
    pub async fn set_contact_blocked(
        &self,
        ws: &WorkspaceId,
        id: &str,
        blocked: bool,
        actor: &Actor,
        now: i64,
    ) -> Result<Option<ContactRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "UPDATE contacts SET blocked = $1, updated_at = $2, version = version + 1 WHERE \
             workspace_id = $3 AND id = $4 AND blocked <> $1 RETURNING ",
            contact_columns!()
        ))
        .bind(i64::from(blocked))
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        match row {
            Some(row) => {
                let row = map(&row)?;
                append(&mut tx, ws, EventKind::ContactUpdated, &row, actor, now).await?;
                self.commit(tx).await?;
                Ok(Some(row))
            }
            None => {
                drop(tx);
                self.get_contact(ws, id).await
            }
        }
    }

    /// Erases a contact and everything that belongs to it: conversations, messages and notes
    /// by cascade, and every event that carried their data. A `contact.deleted` event without
    /// personal data records the erasure.
    pub async fn delete_contact(
        &self,
        ws: &WorkspaceId,
        id: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        erase_events(&mut tx, ws, id, false).await?;
        let done = sqlx::query("DELETE FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let data = serde_json::json!({"contact": {"object": "contact", "id": id}});
        events::append(&mut tx, ws, EventKind::ContactDeleted, Subject::default(), actor, data, now).await?;
        self.commit(tx).await?;
        Ok(true)
    }

    /// Erases every conversation of a contact (with messages and events); keeps the contact.
    /// `None` when there is no such contact.
    pub async fn delete_contact_conversations(
        &self,
        ws: &WorkspaceId,
        id: &str,
    ) -> Result<Option<u64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM contacts WHERE workspace_id = $1 AND id = $2")
                .bind(ws.as_str().to_owned())
                .bind(id.to_owned())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Ok(None);
        }
        erase_events(&mut tx, ws, id, true).await?;
        let done = sqlx::query("DELETE FROM conversations WHERE workspace_id = $1 AND contact_id = $2")
            .bind(ws.as_str().to_owned())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(Some(done.rows_affected()))
    }
}
