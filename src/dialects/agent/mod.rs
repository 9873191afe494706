//! Seed 003, "agent conversations": camelCase conversations of an AI agent's users, paged by
//! number, with a mode (`ai` or `manual`), states, and messages to and from the agent.

mod messages;
mod states;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{conversation, page_at};
use crate::clock::Timestamp;
use crate::domain::conversation::{Mode, Status};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap, bad_param};
use crate::http::resources::conversations::{
    ConversationIn, ConversationPatch, StartHumanIn, change_control, create_conversation, take_over,
    update_conversation,
};
use crate::http::versioning::Patch;
use crate::store::{ControlRequest, ConversationFilter, ConversationRow, ConversationSort};

const TAG: &str = "seed 003: agent conversations";

/// Baton's field names in errors, as this document calls them.
const NAMES: &[(&str, &str)] = &[
    ("contact_id", "userId"),
    ("custom_data", "customData"),
    ("state_id", "stateId"),
    ("content", "message"),
    ("sender_id", "authorPlatformId"),
    ("in_reply_to", "questionMessageId"),
    ("metadata", "context"),
];

/// `manual` while the AI is silent (a human answers, or one was asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentMode {
    Ai,
    Manual,
}

/// `active` covers Baton's open, pending and snoozed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Active,
    Resolved,
    Closed,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentConversationOut {
    pub id: String,
    /// The contact.
    pub user_id: String,
    pub title: Option<String>,
    /// The user's rating, 1–5.
    pub score: Option<i64>,
    pub summary: Option<String>,
    pub context: Option<String>,
    /// Always null: Baton's AI keeps no conversation at a model provider.
    pub ai_conversation_id: Option<String>,
    /// `{customData}`.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// Always null, as `aiConversationId`.
    pub ai_call_id: Option<String>,
    pub mode: AgentMode,
    pub status: AgentStatus,
    pub state_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn out(row: &ConversationRow) -> AgentConversationOut {
    AgentConversationOut {
        id: row.id.clone(),
        user_id: row.contact.id.clone(),
        title: row.title.clone(),
        score: row.rating,
        summary: row.summary.clone(),
        context: row.context.clone(),
        ai_conversation_id: None,
        metadata: json!({"customData": row.custom_data}),
        ai_call_id: None,
        mode: if row.mode == Mode::Ai { AgentMode::Ai } else { AgentMode::Manual },
        status: match row.status {
            Status::Resolved => AgentStatus::Resolved,
            Status::Closed => AgentStatus::Closed,
            Status::Open | Status::Pending | Status::Snoozed => AgentStatus::Active,
        },
        state_id: row.state_id.clone(),
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
    }
}

/// List parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[into_params(rename_all = "camelCase")]
pub struct AgentListQuery {
    #[param(minimum = 1, default = 1)]
    pub page_number: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 10)]
    pub page_size: Option<i64>,
    /// `createdAt` (default) or `updatedAt`.
    #[param(pattern = "^(createdAt|updatedAt)$")]
    pub order_by: Option<String>,
    /// `DESC` (default) or `ASC`.
    #[param(rename = "orderDirection", value_type = Option<String>, pattern = "^(ASC|DESC|asc|desc)$")]
    pub descending: bool,
    /// Words in the title, summary, agent name, user name, email or phone, or messages.
    pub search: Option<String>,
    pub user_id: Option<String>,
    /// Updated at or after.
    #[param(value_type = Option<String>, format = DateTime)]
    pub start_date: Option<i64>,
    /// Updated at or before.
    #[param(value_type = Option<String>, format = DateTime)]
    pub end_date: Option<i64>,
    /// Only conversations with feedback on at least one AI message.
    pub has_feedback: Option<bool>,
}

impl FromQuery for AgentListQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        let order_by = q.value("orderBy")?;
        if order_by.as_deref().is_some_and(|o| o != "createdAt" && o != "updatedAt") {
            return Err(bad_param("orderBy", "must be createdAt or updatedAt"));
        }
        Ok(AgentListQuery {
            page_number: q.integer("pageNumber", 1, 1_000_000)?,
            page_size: q.integer("pageSize", 1, 100)?,
            order_by,
            descending: descending(q, true)?,
            search: q.string("search")?,
            user_id: q.id("userId", "ct", &[])?,
            start_date: q.timestamp("startDate")?,
            end_date: q.timestamp("endDate")?,
            has_feedback: q.boolean("hasFeedback")?,
        })
    }
}

/// Whether `orderDirection` (`ASC` or `DESC`) asks for descending order; `default` without it.
fn descending(q: &mut QueryMap, default: bool) -> Result<bool, ApiError> {
    match q.value("orderDirection")?.as_deref() {
        None => Ok(default),
        Some("DESC" | "desc") => Ok(true),
        Some("ASC" | "asc") => Ok(false),
        Some(_) => Err(bad_param("orderDirection", "must be ASC or DESC")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentPageOut {
    pub data: Vec<AgentConversationOut>,
    pub current_page: i64,
    pub page_size: i64,
    pub total_items: i64,
    pub total_pages: i64,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// List conversations, a page at a time.
#[utoipa::path(get, path = "/agent/v1/conversations", tag = TAG, params(AgentListQuery),
    responses((status = 200, description = "A page of conversations", body = AgentPageOut),
        E<400>, E<401>, E<403>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(query): Query<AgentListQuery>,
) -> ApiResult<axum::Json<AgentPageOut>> {
    let (number, size) = (query.page_number.unwrap_or(1), query.page_size.unwrap_or(10));
    let filter = ConversationFilter {
        q: query.search,
        contact_ids: query.user_id.into_iter().collect(),
        has_feedback: query.has_feedback.filter(|f| *f),
        // The store's bounds are strict; the document's dates include themselves.
        updated: (query.start_date.map(|t| t - 1), query.end_date.map(|t| t + 1)),
        sort: match query.order_by.as_deref() {
            Some("updatedAt") => ConversationSort::UpdatedAt,
            _ => ConversationSort::CreatedAt,
        },
        ..ConversationFilter::default()
    };
    let request = page_at(size, (number - 1) * size, query.descending, true);
    let rows = state.store.list_conversations(&caller.workspace, &filter, &request).await?;
    let total = rows.total.unwrap_or_default();
    let total_pages = (total + size - 1) / size;
    Ok(axum::Json(AgentPageOut {
        data: rows.items.iter().map(out).collect(),
        current_page: number,
        page_size: size,
        total_items: total,
        total_pages,
        has_next_page: number < total_pages,
        has_previous_page: number > 1,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentConversationIn {
    /// An existing contact; left out, a new anonymous one.
    pub user_id: Option<String>,
    #[schema(min_length = 1, pattern = r"\S", example = "New Conversation Title")]
    pub title: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub context: Option<String>,
    pub custom_data: Option<Map<String, Value>>,
    pub state_id: Option<String>,
}

/// Start a conversation.
#[utoipa::path(post, path = "/agent/v1/conversations", tag = TAG, request_body = AgentConversationIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Created", body = AgentConversationOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Json(input): Json<AgentConversationIn>,
) -> ApiResult<(StatusCode, axum::Json<AgentConversationOut>)> {
    let conversation = ConversationIn {
        contact_id: input.user_id,
        title: input.title,
        context: input.context,
        custom_data: input.custom_data,
        state_id: input.state_id,
        ..ConversationIn::default()
    };
    let row = create_conversation(&state, &caller, conversation).await.map_err(|e| e.renamed(NAMES))?;
    Ok((StatusCode::CREATED, axum::Json(out(&row))))
}

/// Who to erase.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EraseQuery {
    /// The contact whose conversations are erased.
    #[param(rename = "userId")]
    pub user_id: String,
}

impl FromQuery for EraseQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        let user_id = q.id("userId", "ct", &[])?.ok_or_else(|| bad_param("userId", "is required"))?;
        Ok(EraseQuery { user_id })
    }
}

/// Erase all of a user's conversations with their messages (the contact stays).
#[utoipa::path(delete, path = "/agent/v1/conversations", tag = TAG, params(EraseQuery),
    responses((status = 204, description = "Erased"), E<400>, E<401>, E<403>, E<404>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn erase(
    caller: Manager,
    State(state): State<AppState>,
    Query(query): Query<EraseQuery>,
) -> ApiResult<StatusCode> {
    match state.store.delete_contact_conversations(&caller.workspace, &query.user_id).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(crate::store::StoreError::NotFound(crate::store::Entity::Contact).into()),
    }
}

#[utoipa::path(get, path = "/agent/v1/conversations/{id}", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation", body = AgentConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<AgentConversationOut>> {
    Ok(axum::Json(out(&conversation(&state, &caller, &id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentConversationPatch {
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub context: Patch<String>,
    /// `active` reopens; `resolved` and `closed` as in Baton.
    pub status: Option<AgentStatus>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub state_id: Patch<String>,
}

#[utoipa::path(patch, path = "/agent/v1/conversations/{id}", tag = TAG, request_body = AgentConversationPatch,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Updated", body = AgentConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(patch): Json<AgentConversationPatch>,
) -> ApiResult<axum::Json<AgentConversationOut>> {
    let native = ConversationPatch {
        title: patch.title,
        context: patch.context,
        state_id: patch.state_id,
        status: patch.status.map(|s| match s {
            AgentStatus::Active => Status::Open,
            AgentStatus::Resolved => Status::Resolved,
            AgentStatus::Closed => Status::Closed,
        }),
        ..ConversationPatch::default()
    };
    let row = update_conversation(&state, &caller, &id, None, &native).await.map_err(|e| e.renamed(NAMES))?;
    Ok(axum::Json(out(&row)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeIn {
    pub mode: AgentMode,
}

/// Switch between the AI (`ai`) and humans (`manual`: the AI stops answering).
#[utoipa::path(patch, path = "/agent/v1/conversations/{id}/mode", tag = TAG, request_body = ModeIn,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Switched", body = AgentConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn set_mode(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<ModeIn>,
) -> ApiResult<axum::Json<AgentConversationOut>> {
    let current = conversation(&state, &caller, &id).await?;
    let row = match (input.mode, current.mode) {
        (AgentMode::Manual, Mode::Human) => current,
        (AgentMode::Manual, _) => take_over(&state, &caller, &id, StartHumanIn::default()).await?,
        (AgentMode::Ai, _) => change_control(&state, &caller, &id, ControlRequest::StopHuman).await?,
    };
    Ok(axum::Json(out(&row)))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create, erase))
        .routes(routes!(get, update))
        .routes(routes!(set_mode))
        .merge(messages::router())
        .merge(states::router())
}
