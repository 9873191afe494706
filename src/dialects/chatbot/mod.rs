//! Seed 002, "chatbot conversations": conversations a visitor started through the widget,
//! read and updated (never created) through the API, with their messages, notes and tags.

mod organize;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::conversation;
use crate::clock::Timestamp;
use crate::domain::conversation::{Mode, Priority, Status};
use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap, bad_param};
use crate::http::list::{ListOut, PageQuery};
use crate::http::resources::contacts::{ContactPatch, update_contact};
use crate::http::resources::conversations::{ConversationPatch, change_control, update_conversation};
use crate::http::resources::messages::{MessageIn, PostSender, message_page, post_message};
use crate::http::versioning::{IfMatch, Patch};
use crate::model::message::MessageOut;
use crate::store::{ControlRequest, ConversationFilter, ConversationRow, MessageFilter};

const TAG: &str = "seed 002: chatbot conversations";

/// Baton's status, except `agent_requested` while the conversation waits for a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatbotStatus {
    Open,
    AgentRequested,
    Pending,
    Snoozed,
    Resolved,
    Closed,
}

impl ChatbotStatus {
    const ALL: [&str; 6] = ["open", "agent_requested", "pending", "snoozed", "resolved", "closed"];

    fn of(row: &ConversationRow) -> Self {
        match (row.mode, row.status) {
            (_, Status::Resolved) => ChatbotStatus::Resolved,
            (_, Status::Closed) => ChatbotStatus::Closed,
            (Mode::HandoffRequested, _) => ChatbotStatus::AgentRequested,
            (_, Status::Open) => ChatbotStatus::Open,
            (_, Status::Pending) => ChatbotStatus::Pending,
            (_, Status::Snoozed) => ChatbotStatus::Snoozed,
        }
    }
}

/// The conversation as the document shows it. `qr_code_id`, `product_id` and `object_id`
/// are read from `custom_data` (null unless an integration set them there).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatbotConversationOut {
    #[schema(value_type = String, example = "conversation")]
    pub object: &'static str,
    pub id: String,
    /// The AI agent answering it.
    pub chatbot_id: Option<String>,
    pub status: ChatbotStatus,
    pub priority: Priority,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub sentiment_score: Option<i64>,
    pub contact_email: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub assigned_to: Option<String>,
    pub last_message_preview: Option<String>,
    pub last_message_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub qr_code_id: Value,
    #[schema(value_type = Option<String>)]
    pub product_id: Value,
    #[schema(value_type = Option<String>)]
    pub object_id: Value,
}

fn out(row: &ConversationRow) -> ChatbotConversationOut {
    let custom = |key: &str| row.custom_data.get(key).cloned().unwrap_or(Value::Null);
    ChatbotConversationOut {
        object: "conversation",
        id: row.id.clone(),
        chatbot_id: row.agent_id.clone(),
        status: ChatbotStatus::of(row),
        priority: row.priority,
        title: row.title.clone(),
        summary: row.summary.clone(),
        sentiment_score: row.sentiment_score,
        contact_email: row.contact.email.clone(),
        contact_name: row.contact.name.clone(),
        contact_phone: row.contact.phone.clone(),
        assigned_to: row.assignee_id.clone(),
        last_message_preview: row.last_message.as_ref().map(|m| m.preview.clone()),
        last_message_at: row.last_message.as_ref().map(|m| Timestamp(m.created_at)),
        resolved_at: row.resolved_at.map(Timestamp),
        closed_at: row.closed_at.map(Timestamp),
        created_at: Timestamp(row.created_at),
        qr_code_id: custom("qr_code_id"),
        product_id: custom("product_id"),
        object_id: custom("object_id"),
    }
}

/// List filters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatbotListQuery {
    /// One of the conversation statuses, `agent_requested` included.
    #[param(pattern = "^(open|agent_requested|pending|snoozed|resolved|closed)$")]
    pub status: Option<String>,
    /// Only conversations this AI agent answers.
    pub chatbot_id: Option<String>,
}

impl FromQuery for ChatbotListQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, crate::error::ApiError> {
        let status = q.value("status")?;
        if status.as_deref().is_some_and(|s| !ChatbotStatus::ALL.contains(&s)) {
            return Err(bad_param("status", &format!("must be one of {}", ChatbotStatus::ALL.join(", "))));
        }
        Ok(ChatbotListQuery { status, chatbot_id: q.id("chatbot_id", "agent", &[])? })
    }
}

/// List conversations, most recent activity first.
#[utoipa::path(get, path = "/chatbot/v1/conversations", tag = TAG, params(PageQuery, ChatbotListQuery),
    responses((status = 200, description = "A page of conversations", body = ListOut<ChatbotConversationOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((page, query)): Query<(PageQuery, ChatbotListQuery)>,
) -> ApiResult<axum::Json<ListOut<ChatbotConversationOut>>> {
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let (statuses, modes) = match query.status.as_deref() {
        Some("agent_requested") => {
            (strings(&["open", "pending", "snoozed"]), strings(&["handoff_requested"]))
        }
        Some(status @ ("open" | "pending" | "snoozed")) => (strings(&[status]), strings(&["ai", "human"])),
        Some(status) => (strings(&[status]), Vec::new()),
        None => (Vec::new(), Vec::new()),
    };
    let filter = ConversationFilter {
        statuses,
        modes,
        agent_ids: query.chatbot_id.into_iter().collect(),
        ..ConversationFilter::default()
    };
    let rows = state.store.list_conversations(&caller.workspace, &filter, &page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, |row| out(&row))))
}

#[utoipa::path(get, path = "/chatbot/v1/conversations/{id}", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation", body = ChatbotConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<ChatbotConversationOut>> {
    Ok(axum::Json(out(&conversation(&state, &caller, &id).await?)))
}

/// What PATCH may change; `null` clears `title` and `assigned_to`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatbotConversationPatch {
    /// `agent_requested` asks for a human (like the handoff request); the others set the status.
    pub status: Option<ChatbotStatus>,
    pub priority: Option<Priority>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub title: Patch<String>,
    /// A member id.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub assigned_to: Patch<String>,
    /// Contact fields (a server key or an admin member changes the contact itself).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub contact_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Email)]
    pub contact_email: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub contact_phone: Patch<String>,
}

/// Update status, priority, title, assignee or contact fields. The contact's fields are
/// changed on the contact, after the conversation's.
#[utoipa::path(patch, path = "/chatbot/v1/conversations/{id}", tag = TAG, request_body = ChatbotConversationPatch,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Updated", body = ChatbotConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(patch): Json<ChatbotConversationPatch>,
) -> ApiResult<axum::Json<ChatbotConversationOut>> {
    // The contact's fields are checked before anything changes, under this document's names.
    let mut check = Checker::new();
    let contact = ContactPatch {
        name: patch.contact_name.map(|v| check.text("contact_name", &v, 200)),
        email: patch.contact_email.map(|v| check.email("contact_email", &v)),
        phone: patch.contact_phone.map(|v| check.phone("contact_phone", &v)),
        ..ContactPatch::default()
    };
    check.finish()?;
    let changes_contact = !matches!(
        (&contact.name, &contact.email, &contact.phone),
        (Patch::Absent, Patch::Absent, Patch::Absent)
    );
    let manager = changes_contact.then(|| Manager::of(caller.clone())).transpose()?;
    let status = match patch.status {
        Some(ChatbotStatus::AgentRequested) => None,
        Some(ChatbotStatus::Open) => Some(Status::Open),
        Some(ChatbotStatus::Pending) => Some(Status::Pending),
        Some(ChatbotStatus::Snoozed) => Some(Status::Snoozed),
        Some(ChatbotStatus::Resolved) => Some(Status::Resolved),
        Some(ChatbotStatus::Closed) => Some(Status::Closed),
        None => None,
    };
    let native = ConversationPatch {
        title: patch.title,
        status,
        priority: patch.priority,
        assignee_id: patch.assigned_to,
        ..ConversationPatch::default()
    };
    let row = update_conversation(&state, &caller, &id, None, &native).await;
    let mut row = row.map_err(|e| e.renamed(&[("assignee_id", "assigned_to")]))?;
    if patch.status == Some(ChatbotStatus::AgentRequested) {
        let request = ControlRequest::RequestHuman { by: "api".into(), reason: None };
        row = change_control(&state, &caller, &id, request).await?;
    }
    if let Some(manager) = manager {
        update_contact(&state, &manager, &row.contact.id, &IfMatch(None), &contact).await?;
        row = conversation(&state, &caller, &id).await?;
    }
    Ok(axum::Json(out(&row)))
}

/// The whole thread, system markers included, oldest first.
#[utoipa::path(get, path = "/chatbot/v1/conversations/{id}/messages", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id"), PageQuery),
    responses((status = 200, description = "A page of messages", body = ListOut<MessageOut>),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn messages(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<MessageOut>>> {
    let page = message_page(&state, &caller, &id, &MessageFilter::default(), &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(page, |m| m)))
}

/// A human agent's reply.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentReplyIn {
    #[schema(example = "I've started your refund.")]
    pub content: String,
    /// The member replying (a member token replies as its own member).
    #[schema(min_length = 1, pattern = r"\S")]
    pub sender_id: Option<String>,
}

/// Post a human agent's reply. Takes the conversation over from the AI (human mode) first.
#[utoipa::path(post, path = "/chatbot/v1/conversations/{id}/messages", tag = TAG, request_body = AgentReplyIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Posted", body = MessageOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn reply(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<AgentReplyIn>,
) -> ApiResult<(StatusCode, axum::Json<MessageOut>)> {
    let message = MessageIn {
        sender_type: Some(PostSender::Human),
        sender_id: input.sender_id,
        content: input.content,
        ..MessageIn::default()
    };
    let (status, posted) = post_message(&state, &caller, &id, message).await?;
    Ok((status, axum::Json(posted.into_message())))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get, update))
        .routes(routes!(messages, reply))
        .merge(organize::router())
}
