//! Seed 004's messages: listed oldest first with `count`, sent by sender email.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::TAG;
use crate::clock::Timestamp;
use crate::dialects::{conversation, page_at};
use crate::domain::conversation::SenderType;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap};
use crate::http::resources::messages::{MessageIn, message_page, post_message};
use crate::model::message::MessageOut;
use crate::store::MessageFilter;

/// `reply` for what people and the AI wrote; `system` for Baton's markers (takeover, hand-back).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupportMessageType {
    Reply,
    System,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportMessageOut {
    pub id: String,
    /// The requester's or the member's email; null for the AI and for system markers.
    pub sender_email: Option<String>,
    pub body: String,
    pub message_type: SupportMessageType,
    pub created_at: Timestamp,
}

/// The messages with their senders' emails: the conversation's contact's, or each member's
/// (looked up once per member, however many messages they wrote).
async fn with_senders(
    state: &AppState,
    caller: &WorkspaceCaller,
    contact_email: Option<&str>,
    messages: Vec<MessageOut>,
) -> ApiResult<Vec<SupportMessageOut>> {
    let mut members: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        let sender_email = match (m.sender_type, &m.sender_id) {
            (SenderType::Contact, _) => contact_email.map(str::to_owned),
            (SenderType::Human, Some(member)) => match members.get(member) {
                Some(email) => email.clone(),
                None => {
                    let email =
                        state.store.get_member(&caller.workspace, member).await?.map(|m| m.fields.email);
                    members.insert(member.clone(), email.clone());
                    email
                }
            },
            _ => None,
        };
        let message_type = if m.sender_type == SenderType::System {
            SupportMessageType::System
        } else {
            SupportMessageType::Reply
        };
        out.push(SupportMessageOut {
            id: m.id,
            sender_email,
            body: m.content,
            message_type,
            created_at: m.created_at,
        });
    }
    Ok(out)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportMessagesOut {
    pub count: i64,
    pub results: Vec<SupportMessageOut>,
}

/// Message list parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupportMessagesQuery {
    /// Page size, 1–1000 (default 1000: the whole thread of nearly every conversation).
    #[param(minimum = 1, maximum = 1000, default = 1000)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

impl FromQuery for SupportMessagesQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        Ok(SupportMessagesQuery {
            limit: q.integer("limit", 1, 1000)?,
            offset: q.integer("offset", 0, i64::MAX)?,
        })
    }
}

/// List a conversation's messages, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages/", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id"), SupportMessagesQuery),
    responses((status = 200, description = "The messages", body = SupportMessagesOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn messages(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(query): Query<SupportMessagesQuery>,
) -> ApiResult<axum::Json<SupportMessagesOut>> {
    let row = conversation(&state, &caller, &id).await?;
    let request = page_at(query.limit.unwrap_or(1000), query.offset.unwrap_or(0), false, true);
    let page = message_page(&state, &caller, &id, &MessageFilter::default(), &request).await?;
    let results = with_senders(&state, &caller, row.contact.email.as_deref(), page.items).await?;
    Ok(axum::Json(SupportMessagesOut { count: page.total.unwrap_or_default(), results }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportMessageIn {
    #[schema(example = "Sure! Let me look into that.")]
    pub body: String,
    /// The sender: a member of the workspace, or the conversation's requester.
    #[schema(format = Email)]
    pub user_email: String,
}

/// Send a message; the sender is identified by email.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages/create/", tag = TAG,
    request_body = SupportMessageIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Sent", body = SupportMessageOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create_message(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<SupportMessageIn>,
) -> ApiResult<(StatusCode, axum::Json<SupportMessageOut>)> {
    let message =
        MessageIn { sender_email: Some(input.user_email), content: input.body, ..MessageIn::default() };
    let (_, posted) = post_message(&state, &caller, &id, message)
        .await
        .map_err(|e| e.renamed(&[("sender_email", "user_email"), ("content", "body")]))?;
    let row = conversation(&state, &caller, &id).await?;
    let mut posted =
        with_senders(&state, &caller, row.contact.email.as_deref(), vec![posted.into_message()]).await?;
    Ok((StatusCode::CREATED, axum::Json(posted.remove(0))))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(messages))
        .routes(routes!(create_message))
        // The same, without the trailing slash.
        .route("/api/v1/conversations/{id}/messages", get(messages))
        .route("/api/v1/conversations/{id}/messages/create", post(create_message))
}
