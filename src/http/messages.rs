//! `/v1/conversations/{id}/messages`: the thread.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::WorkspaceCaller;
use super::docs::{E, IdempotencyKey};
use super::extract::{FromQuery, Json, PathId, PathIds, Query, QueryMap, bad_param};
use super::list::{ListOut, PageQuery};
use super::responses::{self, AiResponseOut};
use crate::domain::conversation::{MessageStatus, MessageType, SenderType};
use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::ids;
use crate::model::message::{Attachment, Feedback, MessageOut, Rating};
use crate::store::Entity;
use crate::store::{MessageFilter, MessageRow, NewMessage, Posted, StoreError};

/// What posting returns: the message, or with `await_response` the message and its AI response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[expect(clippy::large_enum_variant, reason = "made once per response, then serialized")]
pub enum PostedOut {
    Message(MessageOut),
    Awaited(AwaitedOut),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwaitedOut {
    pub message: MessageOut,
    /// `null` when no response was queued (not a contact message, or nobody AI answers).
    pub response: Option<AiResponseOut>,
}

/// Who may post through this endpoint (`system` messages are Baton's own).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostSender {
    Contact,
    Human,
    Agent,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    /// Required when posting to a conversation; a conversation's first message defaults to `contact`.
    pub sender_type: Option<PostSender>,
    /// The contact, member or agent id of the sender.
    #[schema(min_length = 1, pattern = r"\S")]
    pub sender_id: Option<String>,
    #[serde(default)]
    #[schema(example = "Where is my order?")]
    pub content: String,
    pub r#type: Option<MessageType>,
    pub attachments: Option<Vec<Attachment>>,
    /// Your id for the message, unique per conversation: a repeat returns the stored message.
    #[schema(min_length = 1, pattern = r"\S")]
    pub client_message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// Where the message came from (`widget`, `whatsapp`, …).
    #[schema(min_length = 1, pattern = r"\S")]
    pub source: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    /// For a contact message the AI will answer: wait (up to 25 s) and return
    /// `{message, response}` with the AI's response.
    pub await_response: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessagePatch {
    pub status: MessageStatus,
    /// Why delivery failed (with `status: failed`).
    #[schema(min_length = 1, pattern = r"\S")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackIn {
    pub rating: Rating,
    #[schema(min_length = 1, pattern = r"\S")]
    pub comment: Option<String>,
}

/// Validates a message body into what the store posts.
pub fn new_message(
    check: &mut Checker,
    prefix: &str,
    input: MessageIn,
    default_sender: SenderType,
) -> NewMessage {
    let field = |name: &str| format!("{prefix}{name}");
    let sender_type = match input.sender_type {
        Some(PostSender::Contact) => SenderType::Contact,
        Some(PostSender::Human) => SenderType::Human,
        Some(PostSender::Agent) => SenderType::Agent,
        None => default_sender,
    };
    let kind = input.r#type.unwrap_or(MessageType::Text);
    if kind == MessageType::System {
        check.fail(&field("type"), "system messages are Baton's own");
    }
    let attachments = input.attachments.unwrap_or_default();
    if attachments.len() > 10 {
        check.fail(&field("attachments"), "must have at most 10 items");
    }
    for (i, attachment) in attachments.iter().enumerate() {
        check.url(&field(&format!("attachments[{i}].url")), &attachment.url);
        if attachment.size.is_some_and(|s| s < 0) {
            check.fail(&field(&format!("attachments[{i}].size")), "must not be negative");
        }
    }
    let content = input.content.trim().to_owned();
    if content.is_empty() && attachments.is_empty() {
        check.fail(&field("content"), "must not be empty (or send attachments)");
    } else if content.chars().count() > 20_000 {
        check.fail(&field("content"), "must be at most 20000 characters");
    }
    if input.await_response.is_some() && !prefix.is_empty() {
        check.fail(&field("await_response"), "is only for posting to a conversation's messages");
    }
    let metadata = input.metadata.unwrap_or_default();
    check.object_size(&field("metadata"), &metadata, 50, 16 * 1024);
    NewMessage {
        sender_type,
        sender_id: check.optional_text(&field("sender_id"), input.sender_id, 255),
        kind,
        content,
        attachments,
        client_message_id: check.optional_text(&field("client_message_id"), input.client_message_id, 255),
        in_reply_to: input.in_reply_to,
        source: check.optional_text(&field("source"), input.source, 64),
        metadata,
    }
}

/// Message list parameters.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// `asc` (default, oldest first) or `desc`.
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
    /// Only messages after this `seq`.
    pub after_seq: Option<i64>,
    /// Only messages before this `seq`.
    pub before_seq: Option<i64>,
    /// Include deleted messages (their content is empty).
    pub include_deleted: Option<bool>,
}

impl FromQuery for MessageQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, crate::error::ApiError> {
        let order = q.value("order")?;
        if order.as_deref().is_some_and(|o| o != "asc" && o != "desc") {
            return Err(bad_param("order", "must be asc or desc"));
        }
        Ok(MessageQuery {
            order,
            after_seq: q.integer("after_seq", 0, i64::MAX)?,
            before_seq: q.integer("before_seq", 0, i64::MAX)?,
            include_deleted: q.boolean("include_deleted")?,
        })
    }
}

#[utoipa::path(get, path = "/v1/conversations/{id}/messages", tag = "messages",
    params(("id" = String, Path, description = "The conversation's id"), PageQuery, MessageQuery),
    responses((status = 200, description = "A page of messages", body = ListOut<MessageOut>),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query((page, query)): Query<(PageQuery, MessageQuery)>,
) -> ApiResult<axum::Json<ListOut<MessageOut>>> {
    let ws = &caller.workspace;
    state.store.get_conversation(ws, &id).await?.ok_or(StoreError::NotFound(Entity::Conversation))?;
    let filter = MessageFilter {
        after_seq: query.after_seq,
        before_seq: query.before_seq,
        include_deleted: query.include_deleted.unwrap_or(false),
    };
    let descending = query.order.as_deref() == Some("desc");
    let rows = state.store.list_messages(ws, &id, &filter, &page.request(descending)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, |m| MessageOut::from(&m))))
}

/// Post a message. A repeated `client_message_id` returns the stored message with 200. A
/// contact message while the AI answers queues its response; with `await_response` the reply
/// is `{message, response}` once the response is done (or after 25 s, still `queued`/`running`).
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "messages", request_body = MessageIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Posted", body = PostedOut),
        (status = 200, description = "Already posted with this client_message_id", body = PostedOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn post(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<MessageIn>,
) -> ApiResult<(StatusCode, axum::Json<PostedOut>)> {
    let mut check = Checker::new();
    if input.sender_type.is_none() {
        check.fail("sender_type", "is required");
    }
    let await_response = input.await_response.unwrap_or(false);
    let mut message = new_message(&mut check, "", input, SenderType::Contact);
    check.finish()?;
    if message.sender_type == SenderType::Human {
        // A human message is from a member: it may take the conversation over for them.
        message.sender_id = caller.acting_member(&state.store, "sender_id", message.sender_id).await?;
    }
    let now = state.clock.now_ms();
    let posted = state
        .store
        .post_message(&caller.workspace, &id, &ids::new_id("msg"), &message, &caller.actor(), now)
        .await?;
    let (status, message) = match posted {
        Posted::Created { message, .. } => (StatusCode::CREATED, message),
        Posted::Existing(message) => (StatusCode::OK, message),
    };
    if !await_response {
        return Ok((status, axum::Json(PostedOut::Message(MessageOut::from(&message)))));
    }
    let response =
        responses::wait_for(&state, &caller.workspace, &id, &message.id).await?.map(AiResponseOut::from);
    let message = MessageOut::from(&message);
    Ok((status, axum::Json(PostedOut::Awaited(AwaitedOut { message, response }))))
}

#[utoipa::path(get, path = "/v1/conversations/{id}/messages/{message_id}", tag = "messages",
    params(("id" = String, Path, description = "The conversation's id"), ("message_id" = String, Path, description = "The message's id")),
    responses((status = 200, description = "The message", body = MessageOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, message_id): PathIds,
) -> ApiResult<axum::Json<MessageOut>> {
    let message = state.store.get_message(&caller.workspace, &id, &message_id).await?;
    Ok(axum::Json(MessageOut::from(&message.ok_or(StoreError::NotFound(Entity::Message))?)))
}

async fn change(
    state: &AppState,
    caller: &WorkspaceCaller,
    (id, message_id): (&str, &str),
    change: impl FnOnce(&mut MessageRow) -> Result<Option<&'static str>, crate::domain::conversation::Refusal>,
) -> ApiResult<axum::Json<MessageOut>> {
    let now = state.clock.now_ms();
    let message =
        state.store.update_message(&caller.workspace, id, message_id, &caller.actor(), now, change).await?;
    Ok(axum::Json(MessageOut::from(&message)))
}

/// Report delivery: status only moves forward (sent → delivered → read; failed from any).
#[utoipa::path(patch, path = "/v1/conversations/{id}/messages/{message_id}", tag = "messages", request_body = MessagePatch,
    params(("id" = String, Path, description = "The conversation's id"), ("message_id" = String, Path, description = "The message's id")),
    responses((status = 200, description = "Updated", body = MessageOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, message_id): PathIds,
    Json(patch): Json<MessagePatch>,
) -> ApiResult<axum::Json<MessageOut>> {
    let mut check = Checker::new();
    let reason = check.optional_text("failure_reason", patch.failure_reason, 1000);
    check.finish()?;
    change(&state, &caller, (&id, &message_id), |m| m.set_status(patch.status, reason)).await
}

/// Delete a message's content; the message stays in the thread as `deleted`.
#[utoipa::path(delete, path = "/v1/conversations/{id}/messages/{message_id}", tag = "messages",
    params(("id" = String, Path, description = "The conversation's id"), ("message_id" = String, Path, description = "The message's id")),
    responses((status = 200, description = "Deleted", body = MessageOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, message_id): PathIds,
) -> ApiResult<axum::Json<MessageOut>> {
    change(&state, &caller, (&id, &message_id), MessageRow::delete).await
}

/// Rate an AI message.
#[utoipa::path(put, path = "/v1/conversations/{id}/messages/{message_id}/feedback", tag = "messages", request_body = FeedbackIn,
    params(("id" = String, Path, description = "The conversation's id"), ("message_id" = String, Path, description = "The message's id")),
    responses((status = 200, description = "Feedback stored", body = MessageOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn put_feedback(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, message_id): PathIds,
    Json(input): Json<FeedbackIn>,
) -> ApiResult<axum::Json<MessageOut>> {
    let mut check = Checker::new();
    let comment = check.optional_text("comment", input.comment, 2000);
    check.finish()?;
    let feedback = Feedback { rating: input.rating, comment };
    change(&state, &caller, (&id, &message_id), |m| m.set_feedback(Some(feedback))).await
}

#[utoipa::path(delete, path = "/v1/conversations/{id}/messages/{message_id}/feedback", tag = "messages",
    params(("id" = String, Path, description = "The conversation's id"), ("message_id" = String, Path, description = "The message's id")),
    responses((status = 200, description = "Feedback removed", body = MessageOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete_feedback(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, message_id): PathIds,
) -> ApiResult<axum::Json<MessageOut>> {
    change(&state, &caller, (&id, &message_id), |m| m.set_feedback(None)).await
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, post))
        .routes(routes!(get, update, delete))
        .routes(routes!(put_feedback, delete_feedback))
}
