//! `/v1/conversations/{id}/messages`: the thread.

mod post;

pub use post::post_message;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::responses::AiResponseOut;
use crate::domain::conversation::{MessageStatus, MessageType, SenderType};
use crate::domain::event_kind::EventKind;
use crate::domain::file_type;
use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::file_urls::FileSigner;
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::E;
use crate::http::extract::{FromQuery, Json, PathId, PathIds, Query, QueryMap, bad_param};
use crate::http::list::{ListOut, PageQuery};
use crate::model::message::{Attachment, Feedback, MessageOut, Rating};
use crate::store::Entity;
use crate::store::{MessageFilter, MessageRow, NewMessage, Page, PageRequest, StoreError};

/// What posting returns: the message, or with `await_response` the message and its AI response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[expect(clippy::large_enum_variant, reason = "made once per response, then serialized")]
pub enum PostedOut {
    Message(MessageOut),
    Awaited(AwaitedOut),
}

impl PostedOut {
    /// The posted message, without the AI response it may have awaited.
    pub fn into_message(self) -> MessageOut {
        match self {
            PostedOut::Message(message) => message,
            PostedOut::Awaited(awaited) => awaited.message,
        }
    }
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

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    /// Required when posting to a conversation; a conversation's first message defaults to `contact`.
    pub sender_type: Option<PostSender>,
    /// The contact, member or agent id of the sender.
    #[schema(min_length = 1, pattern = r"\S")]
    pub sender_id: Option<String>,
    /// Instead of `sender_type` and `sender_id`: a member's email (a `human` message from that
    /// member) or the conversation's contact's email (a `contact` message).
    #[schema(format = Email)]
    pub sender_email: Option<String>,
    #[serde(default)]
    #[schema(example = "Where is my order?")]
    pub content: String,
    pub r#type: Option<MessageType>,
    pub attachments: Option<Vec<AttachmentIn>>,
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

/// A file to attach: an upload (`upload_id`), or a file that lives elsewhere (`url`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentIn {
    /// From `POST /v1/uploads`.
    #[schema(example = "file_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub upload_id: Option<String>,
    #[schema(example = "https://files.example.com/receipt.pdf")]
    pub url: Option<String>,
    /// For a `url` (an upload's type is read from its content).
    pub mime_type: Option<String>,
    /// Bytes, for a `url`.
    pub size: Option<i64>,
    pub name: Option<String>,
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

/// Checks attachments: each an upload (filled in by `files::attach`) or a URL.
fn attachments(
    check: &mut Checker,
    field: &dyn Fn(&str) -> String,
    input: Vec<AttachmentIn>,
) -> Vec<Attachment> {
    if input.len() > 10 {
        check.fail(&field("attachments"), "must have at most 10 items");
    }
    let mut out = Vec::with_capacity(input.len());
    for (i, a) in input.into_iter().enumerate() {
        let at = |name: &str| field(&format!("attachments[{i}].{name}"));
        if a.size.is_some_and(|s| s < 0) {
            check.fail(&at("size"), "must not be negative");
        }
        let name = check.optional_text(&at("name"), a.name, 255);
        match (a.upload_id, a.url) {
            (Some(id), None) if a.mime_type.is_none() && a.size.is_none() => {
                out.push(Attachment { id: Some(id), url: String::new(), mime_type: None, size: None, name });
            }
            (Some(_), None) => {
                check.fail(&at("upload_id"), "an upload's type and size come from its content")
            }
            (None, Some(url)) => {
                check.url(&at("url"), &url);
                out.push(Attachment { id: None, url, mime_type: a.mime_type, size: a.size, name });
            }
            _ => check.fail(&at("upload_id"), "send either `upload_id` or `url`"),
        }
    }
    out
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
    let attachments = attachments(check, &field, input.attachments.unwrap_or_default());
    // An upload's type is known once it is looked up (`files::attach`): `file` until then.
    let kind = input.r#type.unwrap_or_else(|| match attachments.first() {
        None => MessageType::Text,
        Some(first) => first.mime_type.as_deref().map_or(MessageType::File, file_type::message_type),
    });
    if kind == MessageType::System {
        check.fail(&field("type"), "system messages are Baton's own");
    }
    let content = input.content.trim().to_owned();
    if content.is_empty() && attachments.is_empty() {
        check.fail(&field("content"), "must not be empty (or send attachments)");
    } else if content.chars().count() > 20_000 {
        check.fail(&field("content"), "must be at most 20000 characters");
    }
    if !prefix.is_empty() {
        if input.await_response.is_some() {
            check.fail(&field("await_response"), "is only for posting to a conversation's messages");
        }
        if input.sender_email.is_some() {
            check.fail(&field("sender_email"), "is only for posting to a conversation's messages");
        }
    }
    let metadata = input.metadata.unwrap_or_default();
    check.object_size(&field("metadata"), &metadata, 50, 16 * 1024);
    check.shown_links(&field("metadata"), &metadata);
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
    let filter = MessageFilter {
        after_seq: query.after_seq,
        before_seq: query.before_seq,
        include_deleted: query.include_deleted.unwrap_or(false),
    };
    let descending = query.order.as_deref() == Some("desc");
    let page = message_page(&state, &caller, &id, &filter, &page.request(descending)?).await?;
    Ok(axum::Json(ListOut::from_page(page, |m| m)))
}

/// A page of conversation `id`'s messages as the API shows them (404 for no such conversation).
pub async fn message_page(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    filter: &MessageFilter,
    page: &PageRequest,
) -> ApiResult<Page<MessageOut>> {
    let ws = &caller.workspace;
    state.store.get_conversation(ws, id).await?.ok_or(StoreError::NotFound(Entity::Conversation))?;
    let rows = state.store.list_messages(ws, id, filter, page).await?;
    let (signer, now) = (state.file_signer().await?, state.clock.now_ms());
    let items = rows.items.iter().map(|m| signed(signer, now, m)).collect();
    Ok(Page { items, has_more: rows.has_more, next: rows.next, total: rows.total })
}

/// The message as the API shows it, its uploads' URLs signed.
pub fn signed(signer: &FileSigner, now: i64, row: &MessageRow) -> MessageOut {
    let mut out = MessageOut::from(row);
    signer.sign(&mut out.attachments, now);
    out
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
    let message = message.ok_or(StoreError::NotFound(Entity::Message))?;
    Ok(axum::Json(signed(state.file_signer().await?, state.clock.now_ms(), &message)))
}

/// Applies `change` to a message under its conversation's lock (the delivery status, a
/// deletion, feedback), answered as the API shows it.
pub async fn change_message(
    state: &AppState,
    caller: &WorkspaceCaller,
    (id, message_id): (&str, &str),
    change: impl FnOnce(&mut MessageRow) -> Result<Option<EventKind>, crate::domain::conversation::Refusal>,
) -> ApiResult<MessageOut> {
    let now = state.clock.now_ms();
    let message =
        state.store.update_message(&caller.workspace, id, message_id, &caller.actor(), now, change).await?;
    Ok(signed(state.file_signer().await?, now, &message))
}

async fn change(
    state: &AppState,
    caller: &WorkspaceCaller,
    ids: (&str, &str),
    change: impl FnOnce(&mut MessageRow) -> Result<Option<EventKind>, crate::domain::conversation::Refusal>,
) -> ApiResult<axum::Json<MessageOut>> {
    change_message(state, caller, ids, change).await.map(axum::Json)
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
        .routes(routes!(list, post::post))
        .routes(routes!(get, update, delete))
        .routes(routes!(put_feedback, delete_feedback))
}
