//! Handoff between the AI and human agents: `handoff-request`, `start-human`, `stop-human`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{WorkspaceCaller, out};
use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{OptionalJson, PathId};
use crate::http::versioning::WithEtag;
use crate::model::conversation::ConversationOut;
use crate::store::{ControlRequest, ConversationRow};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffRequestIn {
    /// Why a human is needed, shown to whoever takes it.
    #[schema(min_length = 1, pattern = r"\S", example = "asked for a human")]
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartHumanIn {
    /// The member taking over (a member token takes it for its own member).
    pub member_id: Option<String>,
    /// Take it even from another member.
    #[serde(default)]
    pub force: bool,
}

/// Moves the conversation between the AI and humans by the store's handoff rules.
pub async fn change_control(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    request: ControlRequest,
) -> ApiResult<ConversationRow> {
    let now = state.clock.now_ms();
    Ok(state.store.change_control(&caller.workspace, id, request, &caller.actor(), now).await?)
}

/// A member takes the conversation over: `input.member_id`, or a member token's own member.
pub async fn take_over(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    input: StartHumanIn,
) -> ApiResult<ConversationRow> {
    let member = caller.acting_member(&state.store, "member_id", input.member_id).await?;
    change_control(state, caller, id, ControlRequest::StartHuman { member, force: input.force }).await
}

async fn control(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    request: ControlRequest,
) -> ApiResult<WithEtag<ConversationOut>> {
    let row = change_control(state, caller, id, request).await?;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}

/// Ask for a human: the AI stops answering until a member takes over (`handoff_requested`).
#[utoipa::path(post, path = "/v1/conversations/{id}/handoff-request", tag = "conversations",
    request_body = Option<HandoffRequestIn>,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 200, description = "Waiting for a human (unchanged if it already was)", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn handoff_request(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    OptionalJson(input): OptionalJson<HandoffRequestIn>,
) -> ApiResult<WithEtag<ConversationOut>> {
    let mut check = Checker::new();
    let reason = check.optional_text("reason", input.reason, 500);
    check.finish()?;
    let by = if caller.member.is_some() { "member" } else { "api" };
    control(&state, &caller, &id, ControlRequest::RequestHuman { by: by.into(), reason }).await
}

/// A human takes over (`human` mode, assigned to that member). Another member's
/// conversation is refused with 409 `conversation_already_taken` unless `force`.
#[utoipa::path(post, path = "/v1/conversations/{id}/start-human", tag = "conversations",
    request_body = Option<StartHumanIn>,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 200, description = "A human answers (unchanged if that member already did)", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn start_human(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    OptionalJson(input): OptionalJson<StartHumanIn>,
) -> ApiResult<WithEtag<ConversationOut>> {
    let row = take_over(&state, &caller, &id, input).await?;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}

/// Hand back to the AI (409 `no_ai_agent` when no AI agent can answer).
#[utoipa::path(post, path = "/v1/conversations/{id}/stop-human", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 200, description = "The AI answers (unchanged if it already did)", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn stop_human(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ConversationOut>> {
    control(&state, &caller, &id, ControlRequest::StopHuman).await
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handoff_request))
        .routes(routes!(start_human))
        .routes(routes!(stop_human))
}
