//! Seed 000, "Chats": a human agent's real-time actions on a conversation (start and stop
//! human mode, reply, delete a message), with the chat and chat message shapes it lists.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::conversation;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{Json, OptionalJson, PathId, PathIds};
use crate::http::resources::conversations::{StartHumanIn, change_control, take_over};
use crate::http::resources::messages::{AttachmentIn, MessageIn, PostSender, change_message, post_message};
use crate::model::chat::{ChatMessageOut, ChatMessageType, ChatOut};
use crate::model::conversation::ConversationOut;
use crate::store::{ControlRequest, ConversationRow, MessageRow};

/// The chat, mapped from the conversation's wire form as the `agent.handoff_*` webhooks are.
fn chat(row: &ConversationRow) -> ApiResult<axum::Json<ChatOut>> {
    let native = serde_json::to_value(ConversationOut::from(row)).map_err(ApiError::internal)?;
    let chat = ChatOut::from_conversation(&native)
        .ok_or_else(|| ApiError::internal("a conversation did not map to a chat"))?;
    Ok(axum::Json(chat))
}

/// Get a chat.
#[utoipa::path(get, path = "/v1/chats/{id}", tag = "seed 000: chats",
    params(("id" = String, Path, description = "The chat (conversation) id")),
    responses((status = 200, description = "The chat", body = ChatOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<ChatOut>> {
    chat(&conversation(&state, &caller, &id).await?)
}

/// A human agent takes over: status `human`, the AI stops answering, `agent.handoff_started`
/// is fired. Another member's chat needs `force`.
#[utoipa::path(post, path = "/v1/chats/{id}/start-human", tag = "seed 000: chats",
    request_body = Option<StartHumanIn>,
    params(("id" = String, Path, description = "The chat (conversation) id"), IdempotencyKey),
    responses((status = 200, description = "A human answers", body = ChatOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn start_human(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    OptionalJson(input): OptionalJson<StartHumanIn>,
) -> ApiResult<axum::Json<ChatOut>> {
    chat(&take_over(&state, &caller, &id, input).await?)
}

/// The AI resumes: status back to `open`, `agent.handoff_completed` is fired (409
/// `no_ai_agent` when no AI agent can answer).
#[utoipa::path(post, path = "/v1/chats/{id}/stop-human", tag = "seed 000: chats",
    params(("id" = String, Path, description = "The chat (conversation) id"), IdempotencyKey),
    responses((status = 200, description = "The AI answers", body = ChatOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn stop_human(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<ChatOut>> {
    chat(&change_control(&state, &caller, &id, ControlRequest::StopHuman).await?)
}

/// A human agent's message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatMessageIn {
    #[schema(example = "Let me check that order for you.")]
    pub content: String,
    /// Follows the first attachment when left out (`text` without one).
    pub r#type: Option<ChatMessageType>,
    /// The member sending (a member token sends as its own member).
    #[schema(min_length = 1, pattern = r"\S")]
    pub sender_id: Option<String>,
    /// Files: uploads by `upload_id`, or links, as the native API takes them.
    pub attachments: Option<Vec<AttachmentIn>>,
}

/// Send a message as a human agent; it reaches the customer through the chat's channel. A
/// chat not in human mode is taken over for that member first.
#[utoipa::path(post, path = "/v1/chats/{id}/messages", tag = "seed 000: chats", request_body = ChatMessageIn,
    params(("id" = String, Path, description = "The chat (conversation) id"), IdempotencyKey),
    responses((status = 201, description = "Sent", body = ChatMessageOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn send(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<ChatMessageIn>,
) -> ApiResult<(StatusCode, axum::Json<ChatMessageOut>)> {
    let message = MessageIn {
        sender_type: Some(PostSender::Human),
        sender_id: input.sender_id,
        content: input.content,
        r#type: input.r#type.map(Into::into),
        attachments: input.attachments,
        ..MessageIn::default()
    };
    let (_, posted) = post_message(&state, &caller, &id, message).await?;
    Ok((StatusCode::CREATED, axum::Json(posted.into_message().into())))
}

/// Delete a message from the chat: its content is removed, the message stays as `deleted`.
#[utoipa::path(delete, path = "/v1/chats/{id}/messages/{message_id}", tag = "seed 000: chats",
    params(("id" = String, Path, description = "The chat (conversation) id"),
        ("message_id" = String, Path, description = "The message's id")),
    responses((status = 200, description = "Deleted", body = ChatMessageOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete_message(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, message_id): PathIds,
) -> ApiResult<axum::Json<ChatMessageOut>> {
    let message = change_message(&state, &caller, (&id, &message_id), MessageRow::delete).await?;
    Ok(axum::Json(message.into()))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get))
        .routes(routes!(start_human))
        .routes(routes!(stop_human))
        .routes(routes!(send))
        .routes(routes!(delete_message))
}
