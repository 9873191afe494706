//! Conversation actions: status shortcuts, removal and restore, the timeline and transcript.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{WorkspaceCaller, transition};
use crate::clock::Timestamp;
use crate::domain::conversation::{SenderType, Status};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::docs::E;
use crate::http::extract::{PathId, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::WithEtag;
use crate::model::conversation::ConversationOut;
use crate::model::event::EventOut;
use crate::store::Entity;
use crate::store::{EventFilter, MessageFilter, PageRequest, StoreError};

/// Remove a conversation softly: hidden from lists until restored.
#[utoipa::path(delete, path = "/v1/conversations/{id}", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Removed", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(super) async fn remove(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ConversationOut>> {
    transition(&state, &caller, &id, |row, _| Ok(row.set_removed(true))).await
}

#[utoipa::path(post, path = "/v1/conversations/{id}/restore", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Restored", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn restore(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ConversationOut>> {
    transition(&state, &caller, &id, |row, _| Ok(row.set_removed(false))).await
}

async fn set_status(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    to: Status,
) -> ApiResult<WithEtag<ConversationOut>> {
    transition(state, caller, id, |row, now| Ok(row.set_status(to, None, now)?)).await
}

/// Mark resolved.
#[utoipa::path(post, path = "/v1/conversations/{id}/resolve", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Resolved", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn resolve(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ConversationOut>> {
    set_status(&state, &caller, &id, Status::Resolved).await
}

/// Reopen (not a closed conversation: closed is final).
#[utoipa::path(post, path = "/v1/conversations/{id}/reopen", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Open again", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn reopen(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ConversationOut>> {
    set_status(&state, &caller, &id, Status::Open).await
}

/// Close for good: new messages are refused with 409 `conversation_closed`.
#[utoipa::path(post, path = "/v1/conversations/{id}/close", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Closed", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn close(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ConversationOut>> {
    set_status(&state, &caller, &id, Status::Closed).await
}

/// The conversation's timeline: its events in order.
#[utoipa::path(get, path = "/v1/conversations/{id}/events", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id"), PageQuery),
    responses((status = 200, description = "A page of events, oldest first", body = ListOut<EventOut>),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn timeline(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<EventOut>>> {
    state
        .store
        .get_conversation(&caller.workspace, &id)
        .await?
        .ok_or(StoreError::NotFound(Entity::Conversation))?;
    let filter = EventFilter { conversation_id: Some(id), ..EventFilter::default() };
    let rows = state.store.list_events(&caller.workspace, &filter, &page.request(false)?).await?;
    let (signer, now) = (state.file_signer().await?, state.clock.now_ms());
    Ok(axum::Json(ListOut::from_page(rows, |row| signer.event(row, now))))
}

/// The conversation as plain text, one line per message.
#[utoipa::path(get, path = "/v1/conversations/{id}/transcript", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Plain-text transcript", body = String, content_type = "text/plain"),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn transcript(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<impl IntoResponse> {
    let ws = &caller.workspace;
    let conversation =
        state.store.get_conversation(ws, &id).await?.ok_or(StoreError::NotFound(Entity::Conversation))?;
    let contact =
        conversation.contact.name.clone().or(conversation.contact.email.clone()).unwrap_or("Contact".into());
    let mut text = format!("Conversation #{}", conversation.number);
    if let Some(title) = &conversation.title {
        text.push_str(&format!(" — {title}"));
    }
    text.push('\n');
    let mut page =
        PageRequest { limit: 100, after: None, offset: None, include_total: false, descending: false };
    // Members by id, looked up once each: a human's line shows their name.
    let mut names: HashMap<String, String> = HashMap::new();
    loop {
        let messages = state.store.list_messages(ws, &id, &MessageFilter::default(), &page).await?;
        for m in &messages.items {
            let who = match (m.sender_type, &m.sender_id) {
                (SenderType::Contact, _) => contact.clone(),
                (SenderType::Agent, _) => "AI agent".to_owned(),
                (SenderType::Human, Some(member_id)) => {
                    if !names.contains_key(member_id) {
                        let member = state.store.get_member(ws, member_id).await?;
                        names.insert(member_id.clone(), member.map_or("Agent".into(), |m| m.fields.name));
                    }
                    names[member_id].clone()
                }
                (SenderType::Human, None) => "Agent".to_owned(),
                (SenderType::System, _) => "System".to_owned(),
            };
            let at = Timestamp(m.created_at).to_rfc3339();
            let files: Vec<&str> = m.attachments.iter().map(|a| a.url.as_str()).collect();
            let content = if files.is_empty() {
                m.content.clone()
            } else {
                format!("{} [{}]", m.content, files.join(", "))
            };
            text.push_str(&format!("[{at}] {who}: {}\n", content.trim()));
        }
        match messages.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(restore))
        .routes(routes!(resolve))
        .routes(routes!(reopen))
        .routes(routes!(close))
        .routes(routes!(timeline))
        .routes(routes!(transcript))
}
