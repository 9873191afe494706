//! `/v1/me`: who the presented key is.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::AnyCaller;
use super::docs::E;
use super::workspaces::WorkspaceOut;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    Admin,
    Server,
    Client,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    #[schema(value_type = String, example = "me")]
    pub object: &'static str,
    /// The kind of key presented.
    pub kind: CallerKind,
    /// The key's id (null for the admin key, which lives in configuration).
    pub api_key_id: Option<String>,
    /// The key's workspace (null for the admin key).
    pub workspace: Option<WorkspaceOut>,
    /// The member acting (member tokens only).
    #[schema(value_type = Option<Object>)]
    pub member: Option<serde_json::Value>,
}

/// The caller: key kind, workspace, member.
#[utoipa::path(get, path = "/v1/me", tag = "me",
    responses((status = 200, description = "The caller", body = MeOut), E<401>, E<500>, E<503>),
    security(("server_key" = []), ("client_key" = []), ("admin_key" = [])))]
async fn me(AnyCaller(caller): AnyCaller, State(state): State<AppState>) -> ApiResult<axum::Json<MeOut>> {
    let out = match caller {
        Caller::Admin => {
            MeOut { object: "me", kind: CallerKind::Admin, api_key_id: None, workspace: None, member: None }
        }
        Caller::Key { workspace, key_id, kind } => MeOut {
            object: "me",
            kind: match kind {
                crate::auth::KeyKind::Server => CallerKind::Server,
                crate::auth::KeyKind::Client => CallerKind::Client,
            },
            api_key_id: Some(key_id),
            workspace: state.store.get_workspace(&workspace).await?.map(WorkspaceOut::from_row),
            member: None,
        },
    };
    Ok(axum::Json(out))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}
