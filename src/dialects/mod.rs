//! The seeds' own APIs: each of the five vendor documents Baton was made from, answered as
//! documented (paths, field names, enums, envelopes) over the same data as the native API.
//! One thin module per seed translates requests and responses onto the calls the native
//! handlers make; no business rule lives here. `docs/dialects.md` maps every field.
//!
//! | seed | file | mounted at |
//! | --- | --- | --- |
//! | 000 | `chats.rs` | `/v1/chats/{id}…` |
//! | 001 | `workspace_chats/` | `/api/v1/chats…` |
//! | 002 | `chatbot/` | `/chatbot/v1/conversations…`, `/chatbot/v1/conversation-tags` |
//! | 003 | `agent/` | `/agent/v1/conversations…`, `/agent/v1/conversation-states` |
//! | 004 | `support/` | `/api/v1/conversations/…` (with or without the final `/`) |

mod agent;
mod chatbot;
mod chats;
mod support;
mod workspace_chats;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::store::{ConversationRow, Entity, PageRequest, StoreError};

#[derive(OpenApi)]
#[openapi(tags(
    (name = "seed 000: chats", description = "A human agent's real-time actions: start and stop human mode, reply, delete a message"),
    (name = "seed 001: chats", description = "A workspace's chats in camelCase, with details: owner, channel, last messages, responder, ticket"),
    (name = "seed 002: chatbot conversations", description = "Conversations visitors started, read and updated; agent replies, notes and tags"),
    (name = "seed 003: agent conversations", description = "An AI agent's conversations with its users: modes, states, questions answered synchronously or not"),
    (name = "seed 004: support conversations", description = "Conversations with a subject and a requester looked up by email"),
))]
struct DialectsDoc;

/// Every dialect's routes, to mount beside the native API.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(DialectsDoc::openapi())
        .merge(chats::router())
        .merge(workspace_chats::router())
        .merge(chatbot::router())
        .merge(agent::router())
        .merge(support::router())
}

/// A page by position, as these documents page (by number or offset, never by cursor);
/// `counted` adds the total, which costs a count query.
fn page_at(limit: i64, offset: i64, descending: bool, counted: bool) -> PageRequest {
    PageRequest {
        limit: limit as u32,
        after: None,
        offset: Some(offset as u64),
        include_total: counted,
        descending,
    }
}

/// The conversation `id` of the caller's workspace, or 404.
async fn conversation(state: &AppState, caller: &WorkspaceCaller, id: &str) -> ApiResult<ConversationRow> {
    let row = state.store.get_conversation(&caller.workspace, id).await?;
    Ok(row.ok_or(StoreError::NotFound(Entity::Conversation))?)
}
