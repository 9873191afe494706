//! Tickets: `POST /v1/conversations/{id}/ticket` and `/v1/tickets`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::domain::conversation::{Priority, TicketStatus};
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{FromQuery, Json, OptionalJson, PathId, Query, QueryMap};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::store::Entity;
use crate::store::{StoreError, TicketFields, TicketFilter, TicketRow, WorkspaceId};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketIn {
    /// The conversation's title (or "Conversation #n") when left out.
    #[schema(min_length = 1, pattern = r"\S", example = "Refund for order 4421")]
    pub subject: Option<String>,
    /// The conversation's priority when left out.
    pub priority: Option<Priority>,
    pub assignee_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    #[schema(min_length = 1, pattern = r"\S")]
    pub subject: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<Priority>,
    /// `null` unassigns.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub assignee_id: Patch<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketOut {
    #[schema(value_type = String, example = "ticket")]
    pub object: &'static str,
    #[schema(example = "tkt_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub number: i64,
    pub conversation_id: String,
    pub subject: String,
    #[schema(value_type = TicketStatus)]
    pub status: String,
    #[schema(value_type = Priority)]
    pub priority: String,
    pub assignee_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl TicketOut {
    fn from_row(row: TicketRow) -> Self {
        TicketOut {
            object: "ticket",
            id: row.id,
            number: row.number,
            conversation_id: row.conversation_id,
            subject: row.fields.subject,
            status: row.fields.status,
            priority: row.fields.priority,
            assignee_id: row.fields.assignee_id,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for TicketOut {
    fn version(&self) -> i64 {
        self.version
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::TicketNotFound, format!("No ticket {id} in this workspace"))
}

/// The subject and assignee checked: a subject of 1 to 300 characters, an existing member.
async fn checked(state: &AppState, ws: &WorkspaceId, fields: TicketFields) -> ApiResult<TicketFields> {
    let mut check = Checker::new();
    let subject = check.text("subject", &fields.subject, 300);
    if let Some(member_id) = &fields.assignee_id
        && state.store.get_member(ws, member_id).await?.is_none()
    {
        check.fail("assignee_id", format!("no member {member_id} in this workspace"));
    }
    check.finish()?;
    Ok(TicketFields { subject, ..fields })
}

/// Open a ticket for a conversation (one per conversation).
#[utoipa::path(post, path = "/v1/conversations/{id}/ticket", tag = "tickets", request_body = Option<TicketIn>,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Opened", body = TicketOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(conversation_id): PathId,
    OptionalJson(input): OptionalJson<TicketIn>,
) -> ApiResult<WithEtag<TicketOut>> {
    let ws = &caller.workspace;
    let conversation = state
        .store
        .get_conversation(ws, &conversation_id)
        .await?
        .ok_or(StoreError::NotFound(Entity::Conversation))?;
    let subject = input
        .subject
        .or(conversation.title)
        .unwrap_or_else(|| format!("Conversation #{}", conversation.number));
    let fields = TicketFields {
        subject,
        status: TicketStatus::Open.as_str().to_owned(),
        priority: input.priority.unwrap_or(conversation.priority).as_str().to_owned(),
        assignee_id: input.assignee_id,
    };
    let fields = checked(&state, ws, fields).await?;
    let now = state.clock.now_ms();
    let row = state
        .store
        .create_ticket(ws, &conversation_id, &ids::new_id("tkt"), &fields, &caller.actor(), now)
        .await?;
    Ok(WithEtag(StatusCode::CREATED, TicketOut::from_row(row)))
}

#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// Ticket statuses (repeat the key or use a comma list).
    pub status: Option<Vec<TicketStatus>>,
    /// A member id, or `none` for unassigned tickets.
    pub assignee_id: Option<String>,
    pub conversation_id: Option<String>,
}

impl FromQuery for TicketQuery {
    fn from_query(query: &mut QueryMap) -> Result<Self, ApiError> {
        let statuses = query.enum_list("status", TicketStatus::ALL)?;
        Ok(TicketQuery {
            status: Some(statuses.iter().filter_map(|s| TicketStatus::parse(s)).collect()),
            assignee_id: query.string("assignee_id")?,
            conversation_id: query.string("conversation_id")?,
        })
    }
}

#[utoipa::path(get, path = "/v1/tickets", tag = "tickets", params(TicketQuery, PageQuery),
    responses((status = 200, description = "Tickets, newest first", body = ListOut<TicketOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((query, page)): Query<(TicketQuery, PageQuery)>,
) -> ApiResult<axum::Json<ListOut<TicketOut>>> {
    let filter = TicketFilter {
        statuses: query.status.unwrap_or_default().iter().map(|s| s.as_str().to_owned()).collect(),
        assignee_id: query.assignee_id,
        conversation_id: query.conversation_id,
    };
    let rows = state.store.list_tickets(&caller.workspace, &filter, &page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, TicketOut::from_row)))
}

#[utoipa::path(get, path = "/v1/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, description = "The ticket's id")),
    responses((status = 200, description = "The ticket", body = TicketOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<TicketOut>> {
    let row = state.store.get_ticket(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, TicketOut::from_row(row)))
}

#[utoipa::path(patch, path = "/v1/tickets/{id}", tag = "tickets", request_body = TicketPatch,
    params(("id" = String, Path, description = "The ticket's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = TicketOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<TicketPatch>,
) -> ApiResult<WithEtag<TicketOut>> {
    let ws = &caller.workspace;
    let row = update_optimistically(
        &if_match,
        |row: &TicketRow| row.version,
        || async { state.store.get_ticket(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let (state, patch, actor) = (&state, &patch, caller.actor());
            async move {
                let fields = TicketFields {
                    subject: patch.subject.clone().unwrap_or_else(|| current.fields.subject.clone()),
                    status: patch
                        .status
                        .map_or_else(|| current.fields.status.clone(), |s| s.as_str().to_owned()),
                    priority: patch
                        .priority
                        .map_or_else(|| current.fields.priority.clone(), |p| p.as_str().to_owned()),
                    assignee_id: patch.assignee_id.clone().apply(current.fields.assignee_id.clone()),
                };
                let fields = checked(state, ws, fields).await?;
                Ok(state.store.update_ticket(ws, &current, &fields, &actor, state.clock.now_ms()).await?)
            }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, TicketOut::from_row(row)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(list)).routes(routes!(get, update))
}
