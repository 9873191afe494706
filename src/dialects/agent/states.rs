//! Seed 003's conversation states.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::TAG;
use crate::clock::Timestamp;
use crate::dialects::page_at;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::E;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentStateOut {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Hex colour.
    pub color: String,
    pub is_persistent: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The workspace's conversation states, in their order.
#[utoipa::path(get, path = "/agent/v1/conversation-states", tag = TAG,
    responses((status = 200, description = "The states", body = Vec<AgentStateOut>), E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn states(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
) -> ApiResult<axum::Json<Vec<AgentStateOut>>> {
    let request = page_at(1000, 0, false, false);
    let rows = state.store.list_states(&caller.workspace, &request).await?;
    let states = rows
        .items
        .into_iter()
        .map(|s| AgentStateOut {
            id: s.id,
            name: s.fields.name,
            description: s.fields.description,
            color: s.fields.color,
            is_persistent: s.fields.persistent,
            created_at: Timestamp(s.created_at),
            updated_at: Timestamp(s.updated_at),
        })
        .collect();
    Ok(axum::Json(states))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(states))
}
