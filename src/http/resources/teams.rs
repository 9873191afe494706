//! `/v1/teams`: named groups of members that conversations can be assigned to.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{Json, PathId, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::store::TeamRow;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    #[schema(min_length = 1, pattern = r"\S", example = "Billing")]
    pub name: String,
    /// The team's members (ids of members of this workspace).
    #[serde(default)]
    pub member_ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    /// Replaces the team's members.
    pub member_ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    #[schema(value_type = String, example = "team")]
    pub object: &'static str,
    #[schema(example = "team_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub name: String,
    pub member_ids: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl TeamOut {
    fn from_row(row: TeamRow) -> Self {
        TeamOut {
            object: "team",
            id: row.id,
            name: row.name,
            member_ids: row.member_ids,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for TeamOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// A valid name and a member list without repeats (at most 500).
fn checked(name: &str, member_ids: &[String]) -> ApiResult<(String, Vec<String>)> {
    let mut check = Checker::new();
    let name = check.text("name", name, 100);
    let mut members: Vec<String> = member_ids.to_vec();
    members.sort();
    members.dedup();
    if members.len() > 500 {
        check.fail("member_ids", "at most 500 members");
    }
    check.finish()?;
    Ok((name, members))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::TeamNotFound, format!("No team {id} in this workspace"))
}

#[utoipa::path(post, path = "/v1/teams", tag = "teams", request_body = TeamIn, params(IdempotencyKey),
    responses((status = 201, description = "Created", body = TeamOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    Json(input): Json<TeamIn>,
) -> ApiResult<WithEtag<TeamOut>> {
    let (name, members) = checked(&input.name, &input.member_ids)?;
    let row = state
        .store
        .create_team(&caller.workspace, &ids::new_id("team"), &name, &members, state.clock.now_ms())
        .await?;
    Ok(WithEtag(StatusCode::CREATED, TeamOut::from_row(row)))
}

#[utoipa::path(get, path = "/v1/teams", tag = "teams", params(PageQuery),
    responses((status = 200, description = "Teams, oldest first", body = ListOut<TeamOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<TeamOut>>> {
    let rows = state.store.list_teams(&caller.workspace, &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, TeamOut::from_row)))
}

#[utoipa::path(get, path = "/v1/teams/{id}", tag = "teams",
    params(("id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "The team", body = TeamOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<TeamOut>> {
    let row = state.store.get_team(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, TeamOut::from_row(row)))
}

#[utoipa::path(patch, path = "/v1/teams/{id}", tag = "teams", request_body = TeamPatch,
    params(("id" = String, Path, description = "The team's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = TeamOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<TeamPatch>,
) -> ApiResult<WithEtag<TeamOut>> {
    let (store, ws) = (&state.store, &caller.workspace);
    let row = update_optimistically(
        &if_match,
        |row: &TeamRow| row.version,
        || async { store.get_team(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let now = state.clock.now_ms();
            let (id, patch) = (&id, &patch);
            async move {
                let name = patch.name.as_deref().unwrap_or(&current.name);
                let members = patch.member_ids.as_deref().unwrap_or(&current.member_ids);
                let (name, members) = checked(name, members)?;
                Ok(store.update_team(ws, id, &name, &members, current.version, now).await?)
            }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, TeamOut::from_row(row)))
}

/// Delete a team; conversations assigned to it are left without a team.
#[utoipa::path(delete, path = "/v1/teams/{id}", tag = "teams",
    params(("id" = String, Path, description = "The team's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(caller: Manager, State(state): State<AppState>, PathId(id): PathId) -> ApiResult<StatusCode> {
    if state.store.delete_team(&caller.workspace, &id, state.clock.now_ms()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list)).routes(routes!(get, update, delete))
}
