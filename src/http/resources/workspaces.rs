//! `/v1/workspaces` (admin key): tenants. Creating one also creates its first server key.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api_keys::ApiKeyOut;
use crate::auth::{self, KeyKind};
use crate::clock::Timestamp;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::Admin;
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{Json, PathId, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::store::{WorkspaceId, WorkspaceRow};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceIn {
    #[schema(min_length = 1, pattern = r"\S", example = "Acme Support")]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspacePatch {
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceOut {
    #[schema(value_type = String, example = "workspace")]
    pub object: &'static str,
    #[schema(example = "ws_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
    /// The workspace's first server key, with its secret: in the create response only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKeyOut>,
}

impl WorkspaceOut {
    pub fn from_row(row: WorkspaceRow) -> Self {
        WorkspaceOut {
            object: "workspace",
            id: row.id,
            name: row.name,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
            api_key: None,
        }
    }
}

impl Versioned for WorkspaceOut {
    fn version(&self) -> i64 {
        self.version
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::WorkspaceNotFound, format!("No workspace {id}"))
}

/// Create a workspace and its first server key (`api_key.secret`, shown once).
#[utoipa::path(post, path = "/v1/workspaces", tag = "workspaces", request_body = WorkspaceIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Created", body = WorkspaceOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("admin_key" = [])))]
async fn create(
    _: Admin,
    State(state): State<AppState>,
    Json(input): Json<WorkspaceIn>,
) -> ApiResult<WithEtag<WorkspaceOut>> {
    let mut check = Checker::new();
    let name = check.text("name", &input.name, 200);
    check.finish()?;
    let key = auth::generate_key(KeyKind::Server, "Default server key");
    let (workspace, key_row) =
        state.store.create_workspace(&ids::new_id("ws"), &name, &key.record, state.clock.now_ms()).await?;
    let mut out = WorkspaceOut::from_row(workspace);
    out.api_key = Some(ApiKeyOut::from_row(key_row, Some(key.secret)));
    Ok(WithEtag(StatusCode::CREATED, out))
}

/// List workspaces, newest first.
#[utoipa::path(get, path = "/v1/workspaces", tag = "workspaces", params(PageQuery),
    responses((status = 200, description = "A page of workspaces", body = ListOut<WorkspaceOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("admin_key" = [])))]
async fn list(
    _: Admin,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<WorkspaceOut>>> {
    let rows = state.store.list_workspaces(&page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, WorkspaceOut::from_row)))
}

#[utoipa::path(get, path = "/v1/workspaces/{id}", tag = "workspaces",
    params(("id" = String, Path, description = "The workspace's id")),
    responses((status = 200, description = "The workspace", body = WorkspaceOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("admin_key" = [])))]
async fn get(
    _: Admin,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<WorkspaceOut>> {
    let row = state.store.get_workspace(&WorkspaceId::trusted(&id)).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, WorkspaceOut::from_row(row)))
}

/// Rename a workspace. Honours `If-Match`.
#[utoipa::path(patch, path = "/v1/workspaces/{id}", tag = "workspaces", request_body = WorkspacePatch,
    params(("id" = String, Path, description = "The workspace's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = WorkspaceOut),
        E<400>, E<401>, E<403>, E<404>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("admin_key" = [])))]
async fn update(
    _: Admin,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<WorkspacePatch>,
) -> ApiResult<WithEtag<WorkspaceOut>> {
    let ws = WorkspaceId::trusted(&id);
    let mut check = Checker::new();
    let name = check.optional_text("name", patch.name, 200);
    check.finish()?;
    let row = update_optimistically(
        &if_match,
        |row: &WorkspaceRow| row.version,
        || async { state.store.get_workspace(&ws).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let name = name.clone().unwrap_or(current.name);
            let store = &state.store;
            let (ws, now) = (&ws, state.clock.now_ms());
            async move { Ok(store.update_workspace(ws, &name, current.version, now).await?) }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, WorkspaceOut::from_row(row)))
}

/// Delete a workspace and everything in it.
#[utoipa::path(delete, path = "/v1/workspaces/{id}", tag = "workspaces",
    params(("id" = String, Path, description = "The workspace's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("admin_key" = [])))]
async fn delete(_: Admin, State(state): State<AppState>, PathId(id): PathId) -> ApiResult<StatusCode> {
    if state.store.delete_workspace(&WorkspaceId::trusted(&id)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list)).routes(routes!(get, update, delete))
}
