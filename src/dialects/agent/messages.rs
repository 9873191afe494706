//! Seed 003's messages: the thread, a user's message to the AI agent answered synchronously
//! or asynchronously (its response fetched by the question's id), and a message to the user
//! in manual mode.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{NAMES, TAG, descending};
use crate::clock::Timestamp;
use crate::dialects::{conversation, page_at};
use crate::domain::conversation::{Mode, SenderType};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, Json, PathId, PathIds, Query, QueryMap};
use crate::http::resources::messages::{MessageIn, PostSender, PostedOut, message_page, post_message};
use crate::http::resources::responses::{AiResponseOut, AiResponseStatus, ai_response};
use crate::model::message::{Feedback, MessageOut};
use crate::store::MessageFilter;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentMessageRole {
    /// The conversation's user (the contact).
    ConversationUser,
    /// The AI agent.
    Agent,
    /// A member of the workspace.
    PlatformUser,
    /// Baton's own markers (takeover, hand-back).
    System,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentMessageOut {
    pub id: String,
    pub content: String,
    /// The content as sent (Baton keeps one form, so the same text).
    pub raw_content: String,
    pub conversation_id: String,
    pub role: AgentMessageRole,
    /// For an answer: the user's message it answers.
    pub question_message_id: Option<String>,
    /// Where it came from (`api` unless the channel said).
    pub source: String,
    pub feedback: Option<Feedback>,
    pub created_at: Timestamp,
}

impl From<MessageOut> for AgentMessageOut {
    fn from(m: MessageOut) -> Self {
        AgentMessageOut {
            id: m.id,
            raw_content: m.content.clone(),
            content: m.content,
            conversation_id: m.conversation_id,
            role: match m.sender_type {
                SenderType::Contact => AgentMessageRole::ConversationUser,
                SenderType::Agent => AgentMessageRole::Agent,
                SenderType::Human => AgentMessageRole::PlatformUser,
                SenderType::System => AgentMessageRole::System,
            },
            question_message_id: m.in_reply_to,
            source: m.source.unwrap_or_else(|| "api".into()),
            feedback: m.feedback,
            created_at: m.created_at,
        }
    }
}

/// Message list parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct AgentMessagesQuery {
    /// Only messages with feedback.
    pub has_feedback: Option<bool>,
    /// By creation: `ASC` (default) or `DESC`.
    #[param(rename = "orderDirection", value_type = Option<String>, pattern = "^(ASC|DESC|asc|desc)$")]
    pub descending: bool,
}

impl FromQuery for AgentMessagesQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        Ok(AgentMessagesQuery { has_feedback: q.boolean("hasFeedback")?, descending: descending(q, false)? })
    }
}

/// The conversation's messages (its latest 1000).
#[utoipa::path(get, path = "/agent/v1/conversations/{id}/messages", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id"), AgentMessagesQuery),
    responses((status = 200, description = "The messages", body = Vec<AgentMessageOut>),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(query): Query<AgentMessagesQuery>,
) -> ApiResult<axum::Json<Vec<AgentMessageOut>>> {
    let request = page_at(1000, 0, query.descending, false);
    let page = message_page(&state, &caller, &id, &MessageFilter::default(), &request).await?;
    let wanted = |m: &MessageOut| query.has_feedback != Some(true) || m.feedback.is_some();
    Ok(axum::Json(page.items.into_iter().filter(wanted).map(AgentMessageOut::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserMessageIn {
    /// What the user asks the agent.
    #[schema(example = "How does quantum entanglement work?")]
    pub message: String,
    /// Context for the agent, kept in the message's metadata.
    #[schema(min_length = 1, pattern = r"\S")]
    pub context: Option<String>,
}

/// The AI agent's response to a question.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentResponseOut {
    /// `queued` or `running` until `completed`; `failed`, or `skipped` when a human answers.
    pub status: AiResponseStatus,
    pub error: Option<String>,
    /// The user's message it answers.
    pub question_message_id: String,
    /// The agent's answer, once posted.
    pub message: Option<AgentMessageOut>,
    /// Whether the agent handed the conversation to a human instead.
    pub handed_off: bool,
}

fn response_out(question: &str, response: Option<AiResponseOut>) -> AgentResponseOut {
    match response {
        Some(r) => AgentResponseOut {
            status: r.status,
            error: r.error,
            question_message_id: question.to_owned(),
            message: r.message.map(AgentMessageOut::from),
            handed_off: r.handed_off,
        },
        None => AgentResponseOut {
            status: AiResponseStatus::Skipped,
            error: Some("the conversation is in manual mode: a human answers".into()),
            question_message_id: question.to_owned(),
            message: None,
            handed_off: false,
        },
    }
}

/// Posts the user's message; `wait` for the agent's response.
async fn ask(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    input: UserMessageIn,
    wait: bool,
) -> ApiResult<(MessageOut, Option<AiResponseOut>)> {
    let metadata = input.context.map(|c| Map::from_iter([("context".to_owned(), Value::String(c))]));
    let message = MessageIn {
        sender_type: Some(PostSender::Contact),
        content: input.message,
        source: Some("api".into()),
        metadata,
        await_response: Some(wait),
        ..MessageIn::default()
    };
    match post_message(state, caller, id, message).await.map_err(|e| e.renamed(NAMES))?.1 {
        PostedOut::Message(message) => Ok((message, None)),
        PostedOut::Awaited(awaited) => Ok((awaited.message, awaited.response)),
    }
}

/// Send the user's message to the AI agent and wait (up to 25 s) for its answer.
#[utoipa::path(post, path = "/agent/v1/conversations/{id}/messages/sync", tag = TAG, request_body = UserMessageIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 200, description = "The agent's response", body = AgentResponseOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn sync(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<UserMessageIn>,
) -> ApiResult<axum::Json<AgentResponseOut>> {
    let (question, response) = ask(&state, &caller, &id, input, true).await?;
    Ok(axum::Json(response_out(&question.id, response)))
}

/// Send the user's message to the AI agent without waiting; fetch the answer from
/// `…/messages/{messageId}/response` with the returned message's id.
#[utoipa::path(post, path = "/agent/v1/conversations/{id}/messages/async", tag = TAG, request_body = UserMessageIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 202, description = "Accepted: the user's message", body = AgentMessageOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn send_async(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<UserMessageIn>,
) -> ApiResult<(StatusCode, axum::Json<AgentMessageOut>)> {
    let (question, _) = ask(&state, &caller, &id, input, false).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(question.into())))
}

/// The agent's response to a question, as it is now.
#[utoipa::path(get, path = "/agent/v1/conversations/{id}/messages/{message_id}/response", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id"),
        ("message_id" = String, Path, description = "The question: the user's message to the agent")),
    responses((status = 200, description = "The response", body = AgentResponseOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn response(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, message_id): PathIds,
) -> ApiResult<axum::Json<AgentResponseOut>> {
    let response = ai_response(&state, &caller, &id, &message_id).await?;
    Ok(axum::Json(response_out(&message_id, Some(response))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MessageToUserIn {
    #[schema(example = "Your appointment has been confirmed for tomorrow at 2pm.")]
    pub message: String,
    /// The user's message this answers.
    pub question_message_id: Option<String>,
    /// The member sending it (a member token sends as its own member).
    #[schema(min_length = 1, pattern = r"\S")]
    pub author_platform_id: Option<String>,
}

/// Send a message to the user from a member; the conversation must be in manual mode.
#[utoipa::path(post, path = "/agent/v1/conversations/{id}/user-messages", tag = TAG, request_body = MessageToUserIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Sent", body = AgentMessageOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn to_user(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<MessageToUserIn>,
) -> ApiResult<(StatusCode, axum::Json<AgentMessageOut>)> {
    if conversation(&state, &caller, &id).await?.mode == Mode::Ai {
        return Err(ApiError::new(
            ErrorCode::ConversationNotInManualMode,
            "The AI answers this conversation: switch its mode to manual first",
        ));
    }
    let message = MessageIn {
        sender_type: Some(PostSender::Human),
        sender_id: input.author_platform_id,
        content: input.message,
        in_reply_to: input.question_message_id,
        source: Some("api".into()),
        ..MessageIn::default()
    };
    let (status, posted) = post_message(&state, &caller, &id, message).await.map_err(|e| e.renamed(NAMES))?;
    Ok((status, axum::Json(posted.into_message().into())))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(sync))
        .routes(routes!(send_async))
        .routes(routes!(response))
        .routes(routes!(to_user))
}
