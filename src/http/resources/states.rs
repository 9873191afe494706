//! `/v1/conversation-states`: a workspace's own workflow states.

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
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::store::{NewState, StateRow};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateIn {
    #[schema(min_length = 1, pattern = r"\S", example = "Waiting on warehouse")]
    pub name: String,
    #[schema(min_length = 1, pattern = r"\S")]
    pub description: Option<String>,
    /// `#rrggbb`.
    #[schema(example = "#f6993f")]
    pub color: String,
    /// Whether the state stays when the conversation changes status.
    #[serde(default)]
    pub persistent: bool,
    /// Sort position; last when omitted.
    pub position: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatePatch {
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub description: Patch<String>,
    pub color: Option<String>,
    pub persistent: Option<bool>,
    pub position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateOut {
    #[schema(value_type = String, example = "conversation_state")]
    pub object: &'static str,
    #[schema(example = "state_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub color: String,
    pub persistent: bool,
    pub position: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl StateOut {
    fn from_row(row: StateRow) -> Self {
        StateOut {
            object: "conversation_state",
            id: row.id,
            name: row.fields.name,
            description: row.fields.description,
            color: row.fields.color,
            persistent: row.fields.persistent,
            position: row.fields.position.unwrap_or_default(),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for StateOut {
    fn version(&self) -> i64 {
        self.version
    }
}

fn checked(state: NewState) -> ApiResult<NewState> {
    let mut check = Checker::new();
    let out = NewState {
        name: check.text("name", &state.name, 64),
        description: check.optional_text("description", state.description, 500),
        color: check.color("color", &state.color),
        persistent: state.persistent,
        position: state.position,
    };
    if out.position.is_some_and(|p| !(0..=1_000_000).contains(&p)) {
        check.fail("position", "must be from 0 to 1000000");
    }
    check.finish()?;
    Ok(out)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::StateNotFound, format!("No conversation state {id} in this workspace"))
}

#[utoipa::path(post, path = "/v1/conversation-states", tag = "conversation-states", request_body = StateIn, params(IdempotencyKey),
    responses((status = 201, description = "Created", body = StateOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    Json(input): Json<StateIn>,
) -> ApiResult<WithEtag<StateOut>> {
    let fields = checked(NewState {
        name: input.name,
        description: input.description,
        color: input.color,
        persistent: input.persistent,
        position: input.position,
    })?;
    let row = state
        .store
        .create_state(&caller.workspace, &ids::new_id("state"), &fields, state.clock.now_ms())
        .await?;
    Ok(WithEtag(StatusCode::CREATED, StateOut::from_row(row)))
}

/// States in their `position` order.
#[utoipa::path(get, path = "/v1/conversation-states", tag = "conversation-states", params(PageQuery),
    responses((status = 200, description = "The states", body = ListOut<StateOut>), E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<StateOut>>> {
    let rows = state.store.list_states(&caller.workspace, &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, StateOut::from_row)))
}

#[utoipa::path(patch, path = "/v1/conversation-states/{id}", tag = "conversation-states", request_body = StatePatch,
    params(("id" = String, Path, description = "The state's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = StateOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<StatePatch>,
) -> ApiResult<WithEtag<StateOut>> {
    let (store, ws) = (&state.store, &caller.workspace);
    let row = update_optimistically(
        &if_match,
        |row: &StateRow| row.version,
        || async { store.get_state(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let now = state.clock.now_ms();
            let (id, patch) = (&id, &patch);
            async move {
                let current_fields = current.fields;
                let fields = checked(NewState {
                    name: patch.name.clone().unwrap_or(current_fields.name),
                    description: patch.description.clone().apply(current_fields.description),
                    color: patch.color.clone().unwrap_or(current_fields.color),
                    persistent: patch.persistent.unwrap_or(current_fields.persistent),
                    position: patch.position.or(current_fields.position),
                })?;
                Ok(store.update_state(ws, id, &fields, current.version, now).await?)
            }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, StateOut::from_row(row)))
}

/// Delete a state; conversations in it are left without one.
#[utoipa::path(delete, path = "/v1/conversation-states/{id}", tag = "conversation-states",
    params(("id" = String, Path, description = "The state's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(caller: Manager, State(state): State<AppState>, PathId(id): PathId) -> ApiResult<StatusCode> {
    if state.store.delete_state(&caller.workspace, &id, state.clock.now_ms()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list)).routes(routes!(update, delete))
}
