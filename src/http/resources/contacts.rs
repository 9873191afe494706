//! `/v1/contacts`: the customers who write in.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::model::contact::ContactOut;
use crate::store::{ContactFilter, ContactRow, NewContact};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    /// Your system's id for this person; unique in the workspace.
    #[schema(min_length = 1, pattern = r"\S")]
    pub external_id: Option<String>,
    #[schema(min_length = 1, pattern = r"\S", example = "June Park")]
    pub name: Option<String>,
    /// Unique in the workspace; stored lower-cased.
    #[schema(example = "june@example.com")]
    pub email: Option<String>,
    #[schema(example = "+14155550100")]
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    pub custom_attributes: Option<Map<String, Value>>,
}

/// Fields to change; `null` clears a field. `custom_attributes` is merged, and a `null`
/// value removes that key.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub external_id: Patch<String>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub email: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub phone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Patch<String>,
    pub custom_attributes: Option<Map<String, Value>>,
}

impl Versioned for ContactOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Contact filters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Exact email (case-insensitive).
    pub email: Option<String>,
    pub external_id: Option<String>,
    /// Substring of name, email or phone.
    pub q: Option<String>,
}

impl FromQuery for ContactQuery {
    fn from_query(query: &mut QueryMap) -> Result<Self, ApiError> {
        Ok(ContactQuery {
            email: query.string("email")?.map(|e| e.trim().to_lowercase()),
            external_id: query.string("external_id")?,
            q: query.string("q")?,
        })
    }
}

/// Validates and normalises every set field.
pub fn checked(fields: NewContact) -> ApiResult<NewContact> {
    let mut check = Checker::new();
    let out = NewContact {
        external_id: check.optional_text("external_id", fields.external_id, 255),
        name: check.optional_text("name", fields.name, 200),
        email: fields.email.map(|e| check.email("email", &e)),
        phone: fields.phone.map(|p| check.phone("phone", &p)),
        avatar_url: fields.avatar_url.map(|u| check.url("avatar_url", &u)),
        custom_attributes: fields.custom_attributes,
    };
    check.object_size("custom_attributes", &out.custom_attributes, 100, 16 * 1024);
    check.finish()?;
    Ok(out)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::ContactNotFound, format!("No contact {id} in this workspace"))
}

/// Create a contact.
#[utoipa::path(post, path = "/v1/contacts", tag = "contacts", request_body = ContactIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Created", body = ContactOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    Json(input): Json<ContactIn>,
) -> ApiResult<WithEtag<ContactOut>> {
    let fields = checked(NewContact {
        external_id: input.external_id,
        name: input.name,
        email: input.email,
        phone: input.phone,
        avatar_url: input.avatar_url,
        custom_attributes: input.custom_attributes.unwrap_or_default(),
    })?;
    let now = state.clock.now_ms();
    let row = state
        .store
        .create_contact(&caller.workspace, &ids::new_id("ct"), &fields, &caller.actor(), now)
        .await?;
    Ok(WithEtag(StatusCode::CREATED, ContactOut::from_row(row)))
}

/// List contacts, newest first.
#[utoipa::path(get, path = "/v1/contacts", tag = "contacts", params(PageQuery, ContactQuery),
    responses((status = 200, description = "A page of contacts", body = ListOut<ContactOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((page, filter)): Query<(PageQuery, ContactQuery)>,
) -> ApiResult<axum::Json<ListOut<ContactOut>>> {
    let filter = ContactFilter { email: filter.email, external_id: filter.external_id, q: filter.q };
    let rows = state.store.list_contacts(&caller.workspace, &filter, &page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, ContactOut::from_row)))
}

#[utoipa::path(get, path = "/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact", body = ContactOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ContactOut>> {
    let row = state.store.get_contact(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, ContactOut::from_row(row)))
}

/// Update a contact. Honours `If-Match`.
#[utoipa::path(patch, path = "/v1/contacts/{id}", tag = "contacts", request_body = ContactPatch,
    params(("id" = String, Path, description = "The contact's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = ContactOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<ContactPatch>,
) -> ApiResult<WithEtag<ContactOut>> {
    let row = update_contact(&state, &caller, &id, &if_match, &patch).await?;
    Ok(WithEtag(StatusCode::OK, ContactOut::from_row(row)))
}

/// Validates `patch` and applies it to contact `id` (honouring `if_match`).
pub async fn update_contact(
    state: &AppState,
    caller: &Manager,
    id: &str,
    if_match: &IfMatch,
    patch: &ContactPatch,
) -> ApiResult<ContactRow> {
    let (store, ws, actor) = (&state.store, &caller.workspace, caller.actor());
    update_optimistically(
        if_match,
        |row: &ContactRow| row.version,
        || async { store.get_contact(ws, id).await?.ok_or_else(|| not_found(id)) },
        |current| {
            let now = state.clock.now_ms();
            let actor = &actor;
            async move {
                let mut attributes = current.fields.custom_attributes;
                for (key, value) in patch.custom_attributes.clone().unwrap_or_default() {
                    if value.is_null() {
                        attributes.remove(&key);
                    } else {
                        attributes.insert(key, value);
                    }
                }
                let fields = checked(NewContact {
                    external_id: patch.external_id.clone().apply(current.fields.external_id),
                    name: patch.name.clone().apply(current.fields.name),
                    email: patch.email.clone().apply(current.fields.email),
                    phone: patch.phone.clone().apply(current.fields.phone),
                    avatar_url: patch.avatar_url.clone().apply(current.fields.avatar_url),
                    custom_attributes: attributes,
                })?;
                Ok(store.update_contact(ws, id, &fields, current.version, actor, now).await?)
            }
        },
    )
    .await
}

/// Erase a contact and everything that belongs to it.
#[utoipa::path(delete, path = "/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id")),
    responses((status = 204, description = "Erased"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(caller: Manager, State(state): State<AppState>, PathId(id): PathId) -> ApiResult<StatusCode> {
    if state.store.delete_contact(&caller.workspace, &id, &caller.actor(), state.clock.now_ms()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

/// Erase all of a contact's conversations (with their messages); the contact stays.
#[utoipa::path(delete, path = "/v1/contacts/{id}/conversations", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id")),
    responses((status = 204, description = "Erased"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete_conversations(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    match state.store.delete_contact_conversations(&caller.workspace, &id).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(not_found(&id)),
    }
}

async fn set_blocked(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    blocked: bool,
) -> ApiResult<WithEtag<ContactOut>> {
    let now = state.clock.now_ms();
    let row = state.store.set_contact_blocked(&caller.workspace, id, blocked, &caller.actor(), now).await?;
    Ok(WithEtag(StatusCode::OK, ContactOut::from_row(row.ok_or_else(|| not_found(id))?)))
}

/// Block a contact: their messages are refused from now on.
#[utoipa::path(post, path = "/v1/contacts/{id}/block", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "Blocked", body = ContactOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn block(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ContactOut>> {
    set_blocked(&state, &caller, &id, true).await
}

#[utoipa::path(post, path = "/v1/contacts/{id}/unblock", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "Unblocked", body = ContactOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn unblock(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ContactOut>> {
    set_blocked(&state, &caller, &id, false).await
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(block))
        .routes(routes!(unblock))
        .routes(routes!(delete_conversations))
}
