//! A visitor's own conversations: list, start, read and write, typing, read, rating. Another
//! contact's conversation is a 404, as if it did not exist.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::shown::Shown;
use super::view::{VisitorConversation, VisitorMessage};
use crate::domain::conversation::{Mode, SenderType};
use crate::domain::event_kind::EventKind;
use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::Visitor;
use crate::http::client_ip::ClientIp;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap};
use crate::http::list::{ListOut, PageQuery};
use crate::http::quotas::Quota;
use crate::http::resources::files::attach;
use crate::http::resources::messages::{AttachmentIn, MessageIn, PostSender, new_message};
use crate::http::resources::responses::{AiResponseStatus, wait_for};
use crate::ids;
use crate::store::Entity;
use crate::store::{
    ContactSpec, ConversationFilter, ConversationRow, MessageFilter, NewConversation, NewMessage, Posted,
    StoreError,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorMessageIn {
    #[serde(default)]
    pub content: String,
    /// Files from `POST /v1/uploads` (`{"upload_id": "file_…"}`), or links.
    pub attachments: Option<Vec<AttachmentIn>>,
    /// The widget's id for the message: a repeat returns the stored message.
    pub client_message_id: Option<String>,
    /// Wait (up to 25 s) for the AI's answer and return `{message, response}`.
    pub await_response: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorConversationIn {
    #[schema(min_length = 1, pattern = r"\S")]
    pub title: Option<String>,
    /// The first message.
    pub message: Option<VisitorMessageIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorTypingIn {
    pub typing: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorReadIn {
    pub up_to_message_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    /// 1 (poor) to 5 (great).
    pub rating: i64,
    #[schema(min_length = 1, pattern = r"\S")]
    pub comment: Option<String>,
}

/// The AI's answer as the visitor sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorResponse {
    #[schema(value_type = String, example = "ai_response")]
    pub object: &'static str,
    pub status: AiResponseStatus,
    pub message: Option<VisitorMessage>,
    /// Whether a person will answer instead.
    pub handed_off: bool,
}

/// Only what is new: messages after this `seq`.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterSeq {
    pub after_seq: Option<i64>,
}

impl FromQuery for AfterSeq {
    fn from_query(q: &mut QueryMap) -> ApiResult<Self> {
        Ok(AfterSeq { after_seq: q.integer("after_seq", 0, i64::MAX)? })
    }
}

/// A posted message, or with `await_response` the message and the AI's answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[expect(clippy::large_enum_variant, reason = "made once per response, then serialized")]
pub enum VisitorPosted {
    Message(VisitorMessage),
    Awaited { message: VisitorMessage, response: Option<VisitorResponse> },
}

/// The conversation if it is the visitor's own (and not removed).
async fn owned(state: &AppState, visitor: &Visitor, id: &str) -> ApiResult<ConversationRow> {
    let row = state.store.get_conversation(&visitor.workspace, id).await?;
    Ok(row
        .filter(|c| c.contact.id == visitor.contact_id && !c.removed)
        .ok_or(StoreError::NotFound(Entity::Conversation))?)
}

/// A visitor's message, checked as any contact message is.
fn checked_message(check: &mut Checker, prefix: &str, input: VisitorMessageIn) -> NewMessage {
    let input = MessageIn {
        sender_type: Some(PostSender::Contact),
        content: input.content,
        attachments: input.attachments,
        client_message_id: input.client_message_id,
        source: Some("widget".into()),
        ..MessageIn::default()
    };
    new_message(check, prefix, input, SenderType::Contact)
}

/// The visitor's conversations, latest activity first.
#[utoipa::path(get, path = "/v1/widget/conversations", tag = "widget", params(PageQuery),
    responses((status = 200, description = "Their conversations", body = ListOut<VisitorConversation>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn list(
    visitor: Visitor,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<VisitorConversation>>> {
    let filter =
        ConversationFilter { contact_ids: vec![visitor.contact_id.clone()], ..ConversationFilter::default() };
    let rows = state.store.list_conversations(&visitor.workspace, &filter, &page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, |row| VisitorConversation::from(&row))))
}

/// Start a conversation, optionally with its first message, on the channel of the key that
/// opened the session (else the workspace's first widget channel); its agent answers it.
#[utoipa::path(post, path = "/v1/widget/conversations", tag = "widget", request_body = VisitorConversationIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Started", body = VisitorConversation),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn create(
    visitor: Visitor,
    State(state): State<AppState>,
    ip: ClientIp,
    Json(input): Json<VisitorConversationIn>,
) -> ApiResult<(StatusCode, axum::Json<VisitorConversation>)> {
    let mut check = Checker::new();
    let title = check.optional_text("title", input.title, 500);
    let mut first = input.message.map(|m| {
        if m.await_response.is_some() {
            check.fail("message.await_response", "is only for posting to a conversation's messages");
        }
        checked_message(&mut check, "message.", m)
    });
    let ws = &visitor.workspace;
    if let Some(message) = &mut first {
        attach::resolve(&state, ws, Some(&visitor.contact_id), &mut check, "message.", message).await?;
    }
    check.finish()?;
    let now = state.clock.now_ms();
    let quotas: &[Quota] =
        if first.is_some() { &[Quota::Conversation, Quota::Message] } else { &[Quota::Conversation] };
    state.visitors.admit(quotas, &visitor.contact_id, &ip.key(), now)?;
    let channel = match &visitor.channel_id {
        Some(channel) => Some(channel.clone()),
        None => state.store.first_channel_of_type(ws, "widget").await?,
    };
    let new = NewConversation {
        channel_id: channel,
        title,
        first_message: first.map(|m| (ids::new_id("msg"), m)),
        ..NewConversation::for_contact(ContactSpec::Id(visitor.contact_id.clone()))
    };
    let row = state.store.create_conversation(ws, &ids::new_id("conv"), &new, &visitor.actor(), now).await?;
    Ok((StatusCode::CREATED, axum::Json(VisitorConversation::from(&row))))
}

#[utoipa::path(get, path = "/v1/widget/conversations/{id}", tag = "widget",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation", body = VisitorConversation),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn get(
    visitor: Visitor,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<VisitorConversation>> {
    let row = owned(&state, &visitor, &id).await?;
    let mut shown = VisitorConversation::from(&row);
    if let Some(member) = row.assignee_id.as_ref().filter(|_| row.mode == Mode::Human) {
        shown.assignee_name =
            state.store.get_member(&visitor.workspace, member).await?.map(|m| m.fields.name);
    }
    Ok(axum::Json(shown))
}

/// The thread, oldest first.
#[utoipa::path(get, path = "/v1/widget/conversations/{id}/messages", tag = "widget",
    params(("id" = String, Path, description = "The conversation's id"), PageQuery, AfterSeq),
    responses((status = 200, description = "A page of messages", body = ListOut<VisitorMessage>),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn messages(
    visitor: Visitor,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query((page, after)): Query<(PageQuery, AfterSeq)>,
) -> ApiResult<axum::Json<ListOut<VisitorMessage>>> {
    owned(&state, &visitor, &id).await?;
    let filter = MessageFilter { after_seq: after.after_seq, ..MessageFilter::default() };
    let rows = state.store.list_messages(&visitor.workspace, &id, &filter, &page.request(false)?).await?;
    let shown = Shown::load(&state, &visitor.workspace, &rows.items).await?;
    Ok(axum::Json(ListOut::from_page(rows, |m| shown.message(&m))))
}

/// Write to the conversation. While the AI answers, `await_response` waits for its answer.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/messages", tag = "widget", request_body = VisitorMessageIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Posted", body = VisitorPosted),
        (status = 200, description = "Already posted with this client_message_id", body = VisitorPosted),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn post(
    visitor: Visitor,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    Json(input): Json<VisitorMessageIn>,
) -> ApiResult<(StatusCode, axum::Json<VisitorPosted>)> {
    let await_response = input.await_response.unwrap_or(false);
    let mut check = Checker::new();
    let mut message = checked_message(&mut check, "", input);
    let ws = &visitor.workspace;
    attach::resolve(&state, ws, Some(&visitor.contact_id), &mut check, "", &mut message).await?;
    check.finish()?;
    owned(&state, &visitor, &id).await?;
    let now = state.clock.now_ms();
    // Refused before anything is stored: no message, no AI answer queued.
    state.visitors.admit(&[Quota::Message], &visitor.contact_id, &ip.key(), now)?;
    message.sender_id = Some(visitor.contact_id.clone());
    let posted =
        state.store.post_message(ws, &id, &ids::new_id("msg"), &message, &visitor.actor(), now).await?;
    let (status, message) = match posted {
        Posted::Created { message, .. } => (StatusCode::CREATED, message),
        Posted::Existing(message) => (StatusCode::OK, message),
    };
    if !await_response {
        let shown = Shown::load(&state, ws, [&message]).await?;
        return Ok((status, axum::Json(VisitorPosted::Message(shown.message(&message)))));
    }
    let response = wait_for(&state, ws, &id, &message.id).await?;
    let mut written = vec![&message];
    written.extend(response.as_ref().and_then(|r| r.reply.as_ref()));
    let shown = Shown::load(&state, ws, written).await?;
    let response = response.map(|row| VisitorResponse {
        object: "ai_response",
        status: AiResponseStatus::parse(&row.status),
        message: row.reply.as_ref().map(|m| shown.message(m)),
        handed_off: row.handed_off,
    });
    Ok((status, axum::Json(VisitorPosted::Awaited { message: shown.message(&message), response })))
}

/// The visitor is typing (or stopped): relayed live to the inbox, never stored.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/typing", tag = "widget", request_body = VisitorTypingIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 204, description = "Relayed"),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn typing(
    visitor: Visitor,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    Json(input): Json<VisitorTypingIn>,
) -> ApiResult<StatusCode> {
    owned(&state, &visitor, &id).await?;
    state.visitors.admit(&[Quota::Signal], &visitor.contact_id, &ip.key(), state.clock.now_ms())?;
    let data = json!({"sender_type": "contact", "typing": input.typing});
    state.signal(&visitor.workspace, "conversation.typing", &id, visitor.actor(), data).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor read the thread up to a message: relayed live to the inbox.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/read", tag = "widget", request_body = VisitorReadIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 204, description = "Relayed"),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn read(
    visitor: Visitor,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    Json(input): Json<VisitorReadIn>,
) -> ApiResult<StatusCode> {
    owned(&state, &visitor, &id).await?;
    state.visitors.admit(&[Quota::Signal], &visitor.contact_id, &ip.key(), state.clock.now_ms())?;
    if state.store.get_message(&visitor.workspace, &id, &input.up_to_message_id).await?.is_none() {
        return Err(StoreError::InvalidReference("up_to_message_id").into());
    }
    let data = json!({"reader": "contact", "up_to_message_id": input.up_to_message_id});
    state.signal(&visitor.workspace, "conversation.read", &id, visitor.actor(), data).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Rate the conversation (1–5, with an optional comment); rating again replaces it.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/rating", tag = "widget", request_body = RatingIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 200, description = "Rated", body = VisitorConversation),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn rate(
    visitor: Visitor,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    Json(input): Json<RatingIn>,
) -> ApiResult<axum::Json<VisitorConversation>> {
    let mut check = Checker::new();
    if !(1..=5).contains(&input.rating) {
        check.fail("rating", "must be from 1 to 5");
    }
    let comment = check.optional_text("comment", input.comment, 2_000);
    check.finish()?;
    owned(&state, &visitor, &id).await?;
    state.visitors.admit(&[Quota::Signal], &visitor.contact_id, &ip.key(), state.clock.now_ms())?;
    let now = state.clock.now_ms();
    let row = state
        .store
        .update_conversation(&visitor.workspace, &id, None, &visitor.actor(), now, |row| {
            let before = (row.rating, row.rating_comment.clone());
            row.rating = Some(input.rating);
            row.rating_comment = comment;
            let change =
                json!({"rating": [before.0, row.rating], "rating_comment": [before.1, row.rating_comment]});
            Ok::<_, StoreError>(vec![(EventKind::ConversationUpdated, change)])
        })
        .await?;
    Ok(axum::Json(VisitorConversation::from(&row)))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(messages, post))
        .routes(routes!(typing))
        .routes(routes!(read))
        .routes(routes!(rate))
}
