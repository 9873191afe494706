//! Typing and read: stream-only signals about a conversation (`…/typing`, `…/read`).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{WorkspaceCaller, out};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{Json, PathId};
use crate::http::versioning::WithEtag;
use crate::model::conversation::ConversationOut;
use crate::store::Entity;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Typist {
    Contact,
    Human,
    Agent,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingIn {
    pub sender_type: Typist,
    /// `true` while typing, `false` when stopped.
    pub typing: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    Contact,
    Member,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadIn {
    pub reader: Reader,
    /// The last message read.
    pub up_to_message_id: String,
}

/// Someone is typing (or stopped): relayed to live listeners, never stored.
#[utoipa::path(post, path = "/v1/conversations/{id}/typing", tag = "conversations", request_body = TypingIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 204, description = "Relayed"),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn typing(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<TypingIn>,
) -> ApiResult<StatusCode> {
    let row = state
        .store
        .get_conversation(&caller.workspace, &id)
        .await?
        .ok_or(StoreError::NotFound(Entity::Conversation))?;
    let member_id = caller.member.as_ref().map(|m| m.id.clone());
    let data = json!({"sender_type": input.sender_type, "typing": input.typing, "member_id": member_id});
    state.signal(&caller.workspace, "conversation.typing", &row.id, caller.actor(), data).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The thread was read up to a message. A member reading sets `unread_count` to the contact
/// messages after it; a contact reading is relayed to live listeners.
#[utoipa::path(post, path = "/v1/conversations/{id}/read", tag = "conversations", request_body = ReadIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 200, description = "The conversation after the read", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn read(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<ReadIn>,
) -> ApiResult<WithEtag<ConversationOut>> {
    let ws = &caller.workspace;
    let row = match input.reader {
        Reader::Member => {
            state.store.mark_read(ws, &id, &input.up_to_message_id, state.clock.now_ms()).await?
        }
        Reader::Contact => {
            let row = state
                .store
                .get_conversation(ws, &id)
                .await?
                .ok_or(StoreError::NotFound(Entity::Conversation))?;
            if state.store.get_message(ws, &id, &input.up_to_message_id).await?.is_none() {
                return Err(StoreError::InvalidReference("up_to_message_id").into());
            }
            row
        }
    };
    let data = json!({"reader": input.reader, "up_to_message_id": input.up_to_message_id,
        "member_id": caller.member.as_ref().map(|m| m.id.clone())});
    state.signal(&caller.workspace, "conversation.read", &row.id, caller.actor(), data).await;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(typing)).routes(routes!(read))
}
