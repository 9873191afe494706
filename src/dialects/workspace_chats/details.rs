//! Seed 001's chats with details: the chat with its owner, channel, last two messages,
//! responder and ticket, one at a time or a page of them.

use std::collections::HashMap;

use axum::extract::State;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ChatListQuery, TAG, responder_id};
use crate::clock::Timestamp;
use crate::dialects::conversation;
use crate::domain::conversation::SenderType;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::E;
use crate::http::extract::{FromQuery, PathId, Query, QueryMap};
use crate::model::conversation::MessageSummary;
use crate::store::{ConversationRow, Entity, StoreError};

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponderEntity {
    Agent,
    Team,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatDetailsOut {
    pub channel_id: Option<String>,
    pub channel_name: Option<String>,
    pub channel_type: Option<String>,
    pub created_at: Timestamp,
    pub id: String,
    pub is_owner_blocked: Option<bool>,
    pub is_removed: bool,
    pub last_message_content: Option<String>,
    pub last_message_created_at: Option<Timestamp>,
    /// `contact`, `agent` (the AI) or `human`; system markers are skipped.
    pub last_message_role: Option<SenderType>,
    pub owner_email: Option<String>,
    pub owner_id: String,
    /// The contact's external id.
    pub owner_identifier: Option<String>,
    pub owner_name: Option<String>,
    pub penultimate_message_content: Option<String>,
    pub penultimate_message_created_at: Option<Timestamp>,
    pub penultimate_message_role: Option<SenderType>,
    pub responder_entity: Option<ResponderEntity>,
    pub responder_id: Option<String>,
    pub responder_name: Option<String>,
    pub responder_picture: Option<String>,
    pub responder_version_id: Option<String>,
    pub responder_version_number: Option<i64>,
    pub ticket_id: Option<String>,
    /// `open`, `pending`, `solved` or `closed`.
    pub ticket_status: Option<String>,
    pub title: Option<String>,
    pub workspace_id: String,
}

/// Team names by id, each read once for a page of chats.
type TeamNames = HashMap<String, Option<String>>;

async fn details(
    state: &AppState,
    caller: &WorkspaceCaller,
    teams: &mut TeamNames,
    row: &ConversationRow,
) -> ApiResult<ChatDetailsOut> {
    let (entity, name, picture) = match (&row.agent, &row.team_id) {
        (Some(agent), _) if row.agent_id.is_some() => {
            (Some(ResponderEntity::Agent), Some(agent.name.clone()), agent.picture_url.clone())
        }
        (_, Some(team)) => {
            if !teams.contains_key(team) {
                let name = state.store.get_team(&caller.workspace, team).await?.map(|t| t.name);
                teams.insert(team.clone(), name);
            }
            (Some(ResponderEntity::Team), teams[team].clone(), None)
        }
        _ => (None, None, None),
    };
    let (last, previous) = (row.last_message.as_ref(), row.previous_message.as_ref());
    let content = |m: Option<&MessageSummary>| m.map(|m| m.preview.clone());
    let at = |m: Option<&MessageSummary>| m.map(|m| Timestamp(m.created_at));
    let channel = row.channel.as_ref();
    Ok(ChatDetailsOut {
        channel_id: channel.map(|c| c.id.clone()),
        channel_name: channel.map(|c| c.name.clone()),
        channel_type: channel.map(|c| c.kind.clone()),
        created_at: Timestamp(row.created_at),
        id: row.id.clone(),
        is_owner_blocked: Some(row.contact.blocked),
        is_removed: row.removed,
        last_message_content: content(last),
        last_message_created_at: at(last),
        last_message_role: last.map(|m| m.sender_type),
        owner_email: row.contact.email.clone(),
        owner_id: row.contact.id.clone(),
        owner_identifier: row.contact.external_id.clone(),
        owner_name: row.contact.name.clone(),
        penultimate_message_content: content(previous),
        penultimate_message_created_at: at(previous),
        penultimate_message_role: previous.map(|m| m.sender_type),
        responder_entity: entity,
        responder_id: responder_id(row),
        responder_name: name,
        responder_picture: picture,
        responder_version_id: row.agent_version_id.clone(),
        responder_version_number: row.agent.as_ref().and_then(|a| a.version_number),
        ticket_id: row.ticket.as_ref().map(|t| t.id.clone()),
        ticket_status: row.ticket.as_ref().map(|t| t.status.clone()),
        title: row.title.clone(),
        workspace_id: caller.workspace.as_str().to_owned(),
    })
}

/// Chats with details, most recent activity first.
#[utoipa::path(get, path = "/api/v1/chats/details", tag = TAG, params(ChatListQuery),
    responses((status = 200, description = "A page of chats with details", body = Vec<ChatDetailsOut>),
        E<400>, E<401>, E<403>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(query): Query<ChatListQuery>,
) -> ApiResult<axum::Json<Vec<ChatDetailsOut>>> {
    let (filter, page) = query.filter();
    let rows = state.store.list_conversations(&caller.workspace, &filter, &page).await?;
    let (mut out, mut teams) = (Vec::with_capacity(rows.items.len()), TeamNames::new());
    for row in &rows.items {
        out.push(details(&state, &caller, &mut teams, row).await?);
    }
    Ok(axum::Json(out))
}

/// Which version of the responder the chat must have.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct DetailsQuery {
    /// Found only when the chat's agent version is this one.
    pub responder_version_id: Option<String>,
}

impl FromQuery for DetailsQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        Ok(DetailsQuery { responder_version_id: q.id("responderVersionId", "agv", &[])? })
    }
}

#[utoipa::path(get, path = "/api/v1/chats/{id}/details", tag = TAG,
    params(("id" = String, Path, description = "The chat (conversation) id"), DetailsQuery),
    responses((status = 200, description = "The chat with details", body = ChatDetailsOut),
        E<400>, E<401>, E<403>, E<404>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(query): Query<DetailsQuery>,
) -> ApiResult<axum::Json<ChatDetailsOut>> {
    let row = conversation(&state, &caller, &id).await?;
    if query.responder_version_id.is_some_and(|v| row.agent_version_id.as_deref() != Some(v.as_str())) {
        return Err(StoreError::NotFound(Entity::Conversation).into());
    }
    Ok(axum::Json(details(&state, &caller, &mut TeamNames::new(), &row).await?))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(get))
}
