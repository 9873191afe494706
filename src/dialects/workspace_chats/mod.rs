//! Seed 001, "Chats": camelCase chats of a workspace, paged by number, filtered by arrays or
//! single values, removed softly; the responder is the AI agent, or the team when no agent
//! answers. `details.rs` adds the owner, channel, last messages, responder and ticket.

mod details;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{conversation, page_at};
use crate::clock::Timestamp;
use crate::domain::conversation::Mode;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap};
use crate::http::resources::channels::CHANNEL_TYPES;
use crate::http::resources::conversations::{
    ConversationIn, ConversationPatch, change_conversation, create_conversation, update_conversation,
};
use crate::http::versioning::Patch;
use crate::ids;
use crate::store::{ConversationFilter, ConversationRow, PageRequest};

const TAG: &str = "seed 001: chats";

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatRowOut {
    pub created_at: Timestamp,
    pub id: String,
    pub is_removed: bool,
    pub updated_at: Timestamp,
    pub channel_id: Option<String>,
    /// Who answers now: the member in human mode, else the AI agent.
    pub current_responder_id: Option<String>,
    pub last_chat_message_created_at: Option<Timestamp>,
    /// The contact.
    pub owner_id: String,
    /// The AI agent, or the team when no agent answers (null with neither).
    pub responder_id: Option<String>,
    pub title: Option<String>,
    pub workspace_id: String,
}

fn responder_id(row: &ConversationRow) -> Option<String> {
    row.agent_id.clone().or_else(|| row.team_id.clone())
}

fn out(caller: &WorkspaceCaller, row: &ConversationRow) -> ChatRowOut {
    ChatRowOut {
        created_at: Timestamp(row.created_at),
        id: row.id.clone(),
        is_removed: row.removed,
        updated_at: Timestamp(row.updated_at),
        channel_id: row.channel.as_ref().map(|c| c.id.clone()),
        current_responder_id: if row.mode == Mode::Human {
            row.assignee_id.clone()
        } else {
            row.agent_id.clone()
        },
        last_chat_message_created_at: row.last_message.as_ref().map(|m| Timestamp(m.created_at)),
        owner_id: row.contact.id.clone(),
        responder_id: responder_id(row),
        title: row.title.clone(),
        workspace_id: caller.workspace.as_str().to_owned(),
    }
}

/// Filters and paging shared by both lists. Arrays take repeated keys, `key[]` or commas.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ChatListQuery {
    pub channel_ids: Option<Vec<String>>,
    /// Channel types: widget, waha, whatsapp, instagram, api, …; left out, every type.
    pub channel_types: Option<Vec<String>>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub last_chat_message_created_at_start: Option<i64>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub last_chat_message_created_at_end: Option<i64>,
    /// Contacts.
    pub owner_ids: Option<Vec<String>>,
    #[param(minimum = 1, default = 1)]
    pub page_number: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 10)]
    pub page_size: Option<i64>,
    /// AI agents or teams.
    pub responder_ids: Option<Vec<String>>,
    pub responder_version_ids: Option<Vec<String>>,
    pub search: Option<String>,
}

impl FromQuery for ChatListQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        let responders = q.list("responderIds");
        if let Some(bad) = responders.iter().find(|r| !ids::is_valid("agent", r) && !ids::is_valid("team", r))
        {
            return Err(ApiError::field("responderIds", format!("`{bad}` is not an agent_… or team_… id")));
        }
        Ok(ChatListQuery {
            channel_ids: Some(q.id_list("channelIds", "ch")?),
            channel_types: Some(q.enum_list("channelTypes", &CHANNEL_TYPES)?),
            last_chat_message_created_at_start: q.timestamp("lastChatMessageCreatedAtStart")?,
            last_chat_message_created_at_end: q.timestamp("lastChatMessageCreatedAtEnd")?,
            owner_ids: Some(q.id_list("ownerIds", "ct")?),
            page_number: q.integer("pageNumber", 1, 1_000_000)?,
            page_size: q.integer("pageSize", 1, 100)?,
            responder_ids: Some(responders),
            responder_version_ids: Some(q.id_list("responderVersionIds", "agv")?),
            search: q.string("search")?,
        })
    }
}

impl ChatListQuery {
    fn filter(self) -> (ConversationFilter, PageRequest) {
        let size = self.page_size.unwrap_or(10);
        let page = page_at(size, (self.page_number.unwrap_or(1) - 1) * size, true, false);
        let filter = ConversationFilter {
            channel_ids: self.channel_ids.unwrap_or_default(),
            channel_types: self.channel_types.unwrap_or_default(),
            contact_ids: self.owner_ids.unwrap_or_default(),
            responder_ids: self.responder_ids.unwrap_or_default(),
            agent_version_ids: self.responder_version_ids.unwrap_or_default(),
            q: self.search,
            // The document's bounds include themselves; the store's are strict.
            last_message: (
                self.last_chat_message_created_at_start.map(|t| t - 1),
                self.last_chat_message_created_at_end.map(|t| t + 1),
            ),
            ..ConversationFilter::default()
        };
        (filter, page)
    }
}

/// The workspace's chats, most recent activity first.
#[utoipa::path(get, path = "/api/v1/chats", tag = TAG, params(ChatListQuery),
    responses((status = 200, description = "A page of chats", body = Vec<ChatRowOut>),
        E<400>, E<401>, E<403>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(query): Query<ChatListQuery>,
) -> ApiResult<axum::Json<Vec<ChatRowOut>>> {
    let (filter, page) = query.filter();
    let rows = state.store.list_conversations(&caller.workspace, &filter, &page).await?;
    Ok(axum::Json(rows.items.iter().map(|row| out(&caller, row)).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChatIn {
    pub channel_id: Option<String>,
    /// The contact who owns the chat.
    pub owner_id: String,
    #[schema(min_length = 1, pattern = r"\S")]
    pub title: Option<String>,
}

/// Create a chat.
#[utoipa::path(post, path = "/api/v1/chats", tag = TAG, request_body = ChatIn, params(IdempotencyKey),
    responses((status = 200, description = "The chat was created", body = ChatRowOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Json(input): Json<ChatIn>,
) -> ApiResult<axum::Json<ChatRowOut>> {
    let conversation = ConversationIn {
        channel_id: input.channel_id,
        contact_id: Some(input.owner_id),
        title: input.title,
        ..ConversationIn::default()
    };
    let row = create_conversation(&state, &caller, conversation)
        .await
        .map_err(|e| e.renamed(&[("contact_id", "ownerId"), ("channel_id", "channelId")]))?;
    Ok(axum::Json(out(&caller, &row)))
}

#[utoipa::path(get, path = "/api/v1/chats/{id}", tag = TAG,
    params(("id" = String, Path, description = "The chat (conversation) id")),
    responses((status = 200, description = "The chat", body = ChatRowOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<ChatRowOut>> {
    Ok(axum::Json(out(&caller, &conversation(&state, &caller, &id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChatPatch {
    /// Kept by Baton from the chat's messages: only its current value is accepted.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_chat_message_created_at: Option<Value>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub title: Patch<String>,
}

/// Update a chat's title.
#[utoipa::path(patch, path = "/api/v1/chats/{id}", tag = TAG, request_body = ChatPatch,
    params(("id" = String, Path, description = "The chat (conversation) id")),
    responses((status = 200, description = "The chat was updated", body = ChatRowOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(patch): Json<ChatPatch>,
) -> ApiResult<axum::Json<ChatRowOut>> {
    if let Some(asked) = &patch.last_chat_message_created_at {
        // `null` (no message yet) or a timestamp; anything else is not a value of the field.
        let asked = match asked {
            Value::Null => None,
            Value::String(text) => Some(Timestamp::parse(text).ok_or_else(|| {
                ApiError::field("lastChatMessageCreatedAt", "must be an RFC 3339 date-time or null")
            })?),
            _ => {
                return Err(ApiError::field(
                    "lastChatMessageCreatedAt",
                    "must be an RFC 3339 date-time or null",
                ));
            }
        };
        let current = conversation(&state, &caller, &id).await?;
        let current = out(&caller, &current).last_chat_message_created_at;
        if asked.map(|t| t.0) != current.map(|t| t.0) {
            return Err(ApiError::field(
                "lastChatMessageCreatedAt",
                "is kept by Baton from the chat's messages and cannot be set",
            ));
        }
    }
    let native = ConversationPatch { title: patch.title, ..ConversationPatch::default() };
    Ok(axum::Json(out(&caller, &update_conversation(&state, &caller, &id, None, &native).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RemovedOut {
    pub message: String,
}

/// Remove a chat softly (`isRemoved`); the native API restores it.
#[utoipa::path(delete, path = "/api/v1/chats/{id}", tag = TAG,
    params(("id" = String, Path, description = "The chat (conversation) id")),
    responses((status = 200, description = "The chat was removed", body = RemovedOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn remove(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<RemovedOut>> {
    change_conversation(&state, &caller, &id, |row, _| Ok(row.set_removed(true))).await?;
    Ok(axum::Json(RemovedOut { message: format!("The chat {id} was removed") }))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, remove))
        .merge(details::router())
}
