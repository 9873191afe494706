//! `/v1/conversations`: threads between a contact and the AI or human agents.

mod actions;
mod handoff;
mod signals;

mod query;
mod write;

pub use handoff::{StartHumanIn, change_control, take_over};
pub use write::{create_conversation, update_conversation};

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::messages::MessageIn;
use crate::clock::Timestamp;
use crate::domain::conversation::{Priority, Status};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{Json, PathId, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag};
use crate::model::conversation::ConversationOut;
use crate::store::Entity;
use crate::store::{Change, ConversationRow};
use query::{ConversationListQuery, ConversationQuery};

impl Versioned for ConversationOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// A contact to look up by email or external id, created when missing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactLookupIn {
    pub email: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub external_id: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationIn {
    pub channel_id: Option<String>,
    /// An existing contact; or give `contact` to look one up (or create it). With neither, a
    /// new anonymous contact is created.
    pub contact_id: Option<String>,
    pub contact: Option<ContactLookupIn>,
    #[schema(min_length = 1, pattern = r"\S", example = "Refund request — order 4421")]
    pub title: Option<String>,
    /// Background for whoever answers (the AI or a human).
    #[schema(min_length = 1, pattern = r"\S")]
    pub context: Option<String>,
    pub priority: Option<Priority>,
    pub custom_data: Option<Map<String, Value>>,
    pub state_id: Option<String>,
    pub agent_id: Option<String>,
    /// A first message (from the contact unless `sender_type` says otherwise).
    pub message: Option<MessageIn>,
}

/// Fields to change; `null` clears. `custom_data` is merged (a `null` value removes a key).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub summary: Patch<String>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub context: Patch<String>,
    pub status: Option<Status>,
    /// With `status: snoozed`: when the conversation wakes up (RFC 3339).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub snoozed_until: Patch<Timestamp>,
    pub priority: Option<Priority>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub assignee_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub team_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub state_id: Patch<String>,
    pub custom_data: Option<Map<String, Value>>,
}

fn out(row: &ConversationRow) -> ConversationOut {
    ConversationOut::from(row)
}

/// Create a conversation, optionally with its first message.
#[utoipa::path(post, path = "/v1/conversations", tag = "conversations", request_body = ConversationIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Created", body = ConversationOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Json(input): Json<ConversationIn>,
) -> ApiResult<WithEtag<ConversationOut>> {
    let row = create_conversation(&state, &caller, input).await?;
    Ok(WithEtag(StatusCode::CREATED, out(&row)))
}

/// List conversations: filters, sorts and paging.
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations", params(PageQuery, ConversationQuery),
    responses((status = 200, description = "A page of conversations", body = ListOut<ConversationOut>),
        E<400>, E<401>, E<403>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((page, query)): Query<(PageQuery, ConversationListQuery)>,
) -> ApiResult<axum::Json<ListOut<ConversationOut>>> {
    let ConversationListQuery { filter, descending } = query;
    let rows = state.store.list_conversations(&caller.workspace, &filter, &page.request(descending)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, |row| out(&row))))
}

/// Counts by status and mode.
#[derive(Debug, Default, serde::Serialize, ToSchema)]
pub struct StatusCounts {
    pub open: i64,
    pub pending: i64,
    pub snoozed: i64,
    pub resolved: i64,
    pub closed: i64,
}

#[derive(Debug, Default, serde::Serialize, ToSchema)]
pub struct ModeCounts {
    pub ai: i64,
    pub handoff_requested: i64,
    pub human: i64,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ConversationCountsOut {
    #[schema(value_type = String, example = "conversation_counts")]
    pub object: &'static str,
    pub total: i64,
    pub status: StatusCounts,
    pub mode: ModeCounts,
}

/// How many conversations match the list's filters, by status and by mode (one query).
#[utoipa::path(get, path = "/v1/conversations/counts", tag = "conversations", params(ConversationQuery),
    responses((status = 200, description = "The counts", body = ConversationCountsOut),
        E<400>, E<401>, E<403>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn counts(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(query): Query<ConversationListQuery>,
) -> ApiResult<axum::Json<ConversationCountsOut>> {
    let counts = state.store.count_conversations(&caller.workspace, &query.filter).await?;
    let mut status = StatusCounts::default();
    for (s, n) in counts.by_status {
        *match s {
            Status::Open => &mut status.open,
            Status::Pending => &mut status.pending,
            Status::Snoozed => &mut status.snoozed,
            Status::Resolved => &mut status.resolved,
            Status::Closed => &mut status.closed,
        } = n;
    }
    let mut mode = ModeCounts::default();
    for (m, n) in counts.by_mode {
        *match m {
            crate::domain::conversation::Mode::Ai => &mut mode.ai,
            crate::domain::conversation::Mode::HandoffRequested => &mut mode.handoff_requested,
            crate::domain::conversation::Mode::Human => &mut mode.human,
        } = n;
    }
    Ok(axum::Json(ConversationCountsOut { object: "conversation_counts", total: counts.total, status, mode }))
}

#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ConversationOut>> {
    let row = state.store.get_conversation(&caller.workspace, &id).await?;
    let row = row.ok_or(crate::store::StoreError::NotFound(Entity::Conversation))?;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}

/// Update a conversation. Honours `If-Match`.
#[utoipa::path(patch, path = "/v1/conversations/{id}", tag = "conversations", request_body = ConversationPatch,
    params(("id" = String, Path, description = "The conversation's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<ConversationPatch>,
) -> ApiResult<WithEtag<ConversationOut>> {
    let row = update_conversation(&state, &caller, &id, if_match.0, &patch).await?;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(counts))
        .routes(routes!(get, update, actions::remove))
        .merge(actions::router())
        .merge(handoff::router())
        .merge(signals::router())
}

/// A transition (status, removal) applied under the conversation's lock.
pub async fn change_conversation(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    change: impl FnOnce(&mut ConversationRow, i64) -> Result<Option<Change>, ApiError>,
) -> ApiResult<ConversationRow> {
    let now = state.clock.now_ms();
    state
        .store
        .update_conversation(&caller.workspace, id, None, &caller.actor(), now, |row| {
            change(row, now).map(|c| c.into_iter().collect())
        })
        .await
}

/// A transition answered with the conversation.
async fn transition(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    change: impl FnOnce(&mut ConversationRow, i64) -> Result<Option<Change>, ApiError>,
) -> ApiResult<WithEtag<ConversationOut>> {
    let row = change_conversation(state, caller, id, change).await?;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}
