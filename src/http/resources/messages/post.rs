//! `POST /v1/conversations/{id}/messages`, and [`post_message`] that the seeds' dialects share.

use axum::extract::State;
use axum::http::StatusCode;

use super::{AwaitedOut, MessageIn, PostSender, PostedOut, new_message, signed};
use crate::domain::conversation::SenderType;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{Json, PathId};
use crate::http::resources::files::attach;
use crate::http::resources::responses::{self, AiResponseOut};
use crate::ids;
use crate::store::{Entity, Posted, StoreError};

/// Post a message. A repeated `client_message_id` returns the stored message with 200. A
/// contact message while the AI answers queues its response; with `await_response` the reply
/// is `{message, response}` once the response is done (or after 25 s, still `queued`/`running`).
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "messages", request_body = MessageIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Posted", body = PostedOut),
        (status = 200, description = "Already posted with this client_message_id", body = PostedOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(super) async fn post(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<MessageIn>,
) -> ApiResult<(StatusCode, axum::Json<PostedOut>)> {
    let (status, posted) = post_message(&state, &caller, &id, input).await?;
    Ok((status, axum::Json(posted)))
}

/// Validates and posts a message to conversation `id`: 201 when new, 200 for a repeated
/// `client_message_id`.
pub async fn post_message(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    mut input: MessageIn,
) -> ApiResult<(StatusCode, PostedOut)> {
    let mut check = Checker::new();
    if let Some(email) = input.sender_email.take() {
        if input.sender_type.is_some() || input.sender_id.is_some() {
            return Err(ApiError::field(
                "sender_email",
                "name the sender by email or by sender_type, not both",
            ));
        }
        let (sender_type, sender_id) = sender_by_email(state, caller, id, &email).await?;
        input.sender_type = Some(sender_type);
        input.sender_id = Some(sender_id);
    } else if input.sender_type.is_none() {
        check.fail("sender_type", "is required (or name the sender with sender_email)");
    }
    let await_response = input.await_response.unwrap_or(false);
    let mut message = new_message(&mut check, "", input, SenderType::Contact);
    attach::resolve(state, &caller.workspace, None, &mut check, "", &mut message).await?;
    check.finish()?;
    if message.sender_type == SenderType::Human {
        // A human message is from a member: it may take the conversation over for them.
        message.sender_id = caller.acting_member(&state.store, "sender_id", message.sender_id).await?;
    }
    let now = state.clock.now_ms();
    let posted = state
        .store
        .post_message(&caller.workspace, id, &ids::new_id("msg"), &message, &caller.actor(), now)
        .await?;
    let (status, message) = match posted {
        Posted::Created { message, .. } => (StatusCode::CREATED, message),
        Posted::Existing(message) => (StatusCode::OK, message),
    };
    let message = signed(state.file_signer().await?, now, &message);
    if !await_response {
        return Ok((status, PostedOut::Message(message)));
    }
    let response =
        responses::wait_for(state, &caller.workspace, id, &message.id).await?.map(AiResponseOut::from);
    Ok((status, PostedOut::Awaited(AwaitedOut { message, response })))
}

/// Who `email` is in this conversation: a member of the workspace writes as `human`, the
/// conversation's contact as `contact`. Anyone else is refused rather than guessed at.
async fn sender_by_email(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    email: &str,
) -> ApiResult<(PostSender, String)> {
    let email = email.trim().to_lowercase();
    let members = state.store.find_members_by_email(&email).await?;
    if let Some(member) = members.into_iter().find(|m| m.workspace_id == caller.workspace.as_str()) {
        return Ok((PostSender::Human, member.id));
    }
    let conversation = state.store.get_conversation(&caller.workspace, id).await?;
    let contact = conversation.ok_or(StoreError::NotFound(Entity::Conversation))?.contact;
    if contact.email.is_some_and(|e| e.to_lowercase() == email) {
        return Ok((PostSender::Contact, contact.id));
    }
    Err(ApiError::field(
        "sender_email",
        "is neither a member of this workspace nor this conversation's contact",
    ))
}
