//! `/v1/me`: who the presented key or token is.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::members::MemberOut;
use super::workspaces::WorkspaceOut;
use crate::auth::KeyKind;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::authenticate::Caller;
use crate::http::caller::AnyCaller;
use crate::http::docs::E;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    Admin,
    Server,
    Client,
    Member,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    #[schema(value_type = String, example = "me")]
    pub object: &'static str,
    /// The kind of key presented.
    pub kind: CallerKind,
    /// The key's id (null for the admin key, which lives in configuration, and member tokens).
    pub api_key_id: Option<String>,
    /// The key's workspace (null for the admin key).
    pub workspace: Option<WorkspaceOut>,
    /// The member acting (member tokens only).
    pub member: Option<MemberOut>,
}

/// The caller: key kind, workspace, member.
#[utoipa::path(get, path = "/v1/me", tag = "me",
    responses((status = 200, description = "The caller", body = MeOut), E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = []), ("client_key" = []), ("admin_key" = [])))]
async fn me(AnyCaller(caller): AnyCaller, State(state): State<AppState>) -> ApiResult<axum::Json<MeOut>> {
    let store = &state.store;
    let out = match caller {
        Caller::Admin => {
            MeOut { object: "me", kind: CallerKind::Admin, api_key_id: None, workspace: None, member: None }
        }
        Caller::Key { workspace, key_id, kind } => MeOut {
            object: "me",
            kind: match kind {
                KeyKind::Server => CallerKind::Server,
                KeyKind::Client => CallerKind::Client,
            },
            api_key_id: Some(key_id),
            workspace: store.get_workspace(&workspace).await?.map(WorkspaceOut::from_row),
            member: None,
        },
        Caller::Member { workspace, member_id, .. } => MeOut {
            object: "me",
            kind: CallerKind::Member,
            api_key_id: None,
            workspace: store.get_workspace(&workspace).await?.map(WorkspaceOut::from_row),
            member: store.get_member(&workspace, &member_id).await?.map(MemberOut::from_row),
        },
        Caller::Contact { .. } => {
            return Err(ApiError::new(ErrorCode::ForbiddenForKey, "Contact tokens reach /v1/widget only"));
        }
    };
    Ok(axum::Json(out))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}
