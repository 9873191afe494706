//! `GET /v1/conversations/{id}/messages/{message_id}/response`: the AI's response to a contact
//! message, and waiting for it (`await_response`).

use std::time::Duration;

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::E;
use crate::http::extract::PathIds;
use crate::model::message::MessageOut;
use crate::store::Entity;
use crate::store::{ResponseRow, StoreError, WorkspaceId};

/// How long `await_response` waits for the AI before answering with the response as it is.
const AWAIT: Duration = Duration::from_secs(25);

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum AiResponseStatus {
    Queued,
    Running,
    Completed,
    Failed,
    /// Not answered: a human took over, or the AI left the conversation, first.
    Skipped,
}

impl AiResponseStatus {
    pub fn parse(text: &str) -> Self {
        match text {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            _ => Self::Skipped,
        }
    }

    fn is_done(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AiResponseOut {
    #[schema(value_type = String, example = "ai_response")]
    pub object: &'static str,
    pub status: AiResponseStatus,
    /// The AI's message, once posted.
    pub message: Option<MessageOut>,
    pub error: Option<String>,
    /// Whether the AI handed the conversation to a human.
    pub handed_off: bool,
}

impl From<ResponseRow> for AiResponseOut {
    fn from(row: ResponseRow) -> Self {
        AiResponseOut {
            object: "ai_response",
            status: AiResponseStatus::parse(&row.status),
            message: row.reply.as_ref().map(MessageOut::from),
            error: row.error,
            handed_off: row.handed_off,
        }
    }
}

/// The AI's response to a contact message. Messages of a burst share the one answer.
#[utoipa::path(get, path = "/v1/conversations/{id}/messages/{message_id}/response", tag = "messages",
    params(("id" = String, Path, description = "The conversation's id"), ("message_id" = String, Path, description = "The contact message's id")),
    responses((status = 200, description = "The response", body = AiResponseOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, message_id): PathIds,
) -> ApiResult<axum::Json<AiResponseOut>> {
    ai_response(&state, &caller, &id, &message_id).await.map(axum::Json)
}

/// The AI's response to contact message `message_id` of conversation `id`, as it is now.
pub async fn ai_response(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    message_id: &str,
) -> ApiResult<AiResponseOut> {
    let ws = &caller.workspace;
    state.store.get_message(ws, id, message_id).await?.ok_or(StoreError::NotFound(Entity::Message))?;
    let response = state.store.get_response(ws, id, message_id).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::AiResponseNotFound,
            format!("No AI response was queued for {message_id}: the AI answers contact messages in ai mode"),
        )
    })?;
    Ok(response.into())
}

/// The response to `message_id` once it is done, or as it is after [`AWAIT`] (`None`: none
/// was queued). Woken by commits, here or on other nodes, so it returns as soon as recorded.
pub async fn wait_for(
    state: &AppState,
    ws: &WorkspaceId,
    conversation_id: &str,
    message_id: &str,
) -> ApiResult<Option<ResponseRow>> {
    let mut changes = state.store.log_changes();
    let deadline = tokio::time::Instant::now() + AWAIT;
    loop {
        let Some(response) = state.store.get_response(ws, conversation_id, message_id).await? else {
            return Ok(None);
        };
        if AiResponseStatus::parse(&response.status).is_done() {
            return Ok(Some(response));
        }
        tokio::select! {
            _ = changes.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = tokio::time::sleep_until(deadline) => return Ok(Some(response)),
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get))
}
