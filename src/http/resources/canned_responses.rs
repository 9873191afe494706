//! `/v1/canned-responses`: saved replies. Agents read them (the inbox inserts them from the
//! composer, filling in their placeholders); admins and server keys manage them.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::domain::canned::{check_body, check_shortcode};
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::store::{CannedResponseRow, NewCannedResponse};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedResponseIn {
    /// What an agent types after `/`: 1 to 32 of `a-z`, `0-9`, `_` and `-`, unique in the
    /// workspace.
    #[schema(pattern = r"^[a-z0-9_-]{1,32}$", example = "refund-policy")]
    pub shortcode: String,
    #[schema(min_length = 1, pattern = r"\S", example = "Our refund policy")]
    pub title: Option<String>,
    /// The reply. It may hold `{{contact.name}}`, `{{contact.first_name}}`,
    /// `{{contact.email}}` and `{{member.name}}`, filled in when the inbox inserts it.
    #[schema(
        min_length = 1,
        pattern = r"\S",
        example = "Hi {{contact.first_name}}, refunds reach your card within 5 working days."
    )]
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedResponsePatch {
    #[schema(pattern = r"^[a-z0-9_-]{1,32}$")]
    pub shortcode: Option<String>,
    /// `null` removes the title.
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub title: Patch<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub body: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CannedResponseOut {
    #[schema(value_type = String, example = "canned_response")]
    pub object: &'static str,
    #[schema(example = "cr_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub shortcode: String,
    pub title: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl CannedResponseOut {
    fn from_row(row: CannedResponseRow) -> Self {
        CannedResponseOut {
            object: "canned_response",
            id: row.id,
            shortcode: row.fields.shortcode,
            title: row.fields.title,
            body: row.fields.body,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for CannedResponseOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Canned response filters.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CannedQuery {
    /// Keeps those whose shortcode starts with this, or whose title holds it (any case).
    pub q: Option<String>,
}

impl FromQuery for CannedQuery {
    fn from_query(query: &mut QueryMap) -> ApiResult<Self> {
        Ok(CannedQuery { q: query.string("q")? })
    }
}

fn checked(fields: NewCannedResponse) -> ApiResult<NewCannedResponse> {
    let mut check = Checker::new();
    let out = NewCannedResponse {
        shortcode: check_shortcode(&mut check, "shortcode", &fields.shortcode),
        title: check.optional_text("title", fields.title, 200),
        body: check_body(&mut check, "body", &fields.body),
    };
    check.finish()?;
    Ok(out)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::CannedResponseNotFound, format!("No canned response {id} in this workspace"))
}

#[utoipa::path(post, path = "/v1/canned-responses", tag = "canned-responses", request_body = CannedResponseIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Created", body = CannedResponseOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    Json(input): Json<CannedResponseIn>,
) -> ApiResult<WithEtag<CannedResponseOut>> {
    let fields =
        checked(NewCannedResponse { shortcode: input.shortcode, title: input.title, body: input.body })?;
    let row = state
        .store
        .create_canned_response(&caller.workspace, &ids::new_id("cr"), &fields, state.clock.now_ms())
        .await?;
    Ok(WithEtag(StatusCode::CREATED, CannedResponseOut::from_row(row)))
}

/// Newest first.
#[utoipa::path(get, path = "/v1/canned-responses", tag = "canned-responses", params(PageQuery, CannedQuery),
    responses((status = 200, description = "The canned responses", body = ListOut<CannedResponseOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((page, filter)): Query<(PageQuery, CannedQuery)>,
) -> ApiResult<axum::Json<ListOut<CannedResponseOut>>> {
    let request = page.request(true)?;
    let rows = state.store.list_canned_responses(&caller.workspace, filter.q.as_deref(), &request).await?;
    Ok(axum::Json(ListOut::from_page(rows, CannedResponseOut::from_row)))
}

#[utoipa::path(get, path = "/v1/canned-responses/{id}", tag = "canned-responses",
    params(("id" = String, Path, description = "The canned response's id")),
    responses((status = 200, description = "The canned response", body = CannedResponseOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<CannedResponseOut>> {
    let row = state.store.get_canned_response(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, CannedResponseOut::from_row(row)))
}

#[utoipa::path(patch, path = "/v1/canned-responses/{id}", tag = "canned-responses",
    request_body = CannedResponsePatch,
    params(("id" = String, Path, description = "The canned response's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = CannedResponseOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<CannedResponsePatch>,
) -> ApiResult<WithEtag<CannedResponseOut>> {
    let (store, ws) = (&state.store, &caller.workspace);
    let row = update_optimistically(
        &if_match,
        |row: &CannedResponseRow| row.version,
        || async { store.get_canned_response(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let now = state.clock.now_ms();
            let (id, patch) = (&id, &patch);
            async move {
                let was = current.fields;
                let fields = checked(NewCannedResponse {
                    shortcode: patch.shortcode.clone().unwrap_or(was.shortcode),
                    title: patch.title.clone().apply(was.title),
                    body: patch.body.clone().unwrap_or(was.body),
                })?;
                Ok(store.update_canned_response(ws, id, &fields, current.version, now).await?)
            }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, CannedResponseOut::from_row(row)))
}

#[utoipa::path(delete, path = "/v1/canned-responses/{id}", tag = "canned-responses",
    params(("id" = String, Path, description = "The canned response's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(caller: Manager, State(state): State<AppState>, PathId(id): PathId) -> ApiResult<StatusCode> {
    if state.store.delete_canned_response(&caller.workspace, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list)).routes(routes!(get, update, delete))
}
