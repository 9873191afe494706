//! A webhook endpoint's deliveries: the log of what was sent and what came back, manual
//! retries, and test pings.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::domain::event_kind::EventKind;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, PathId, PathIds, Query, QueryMap};
use crate::http::list::{ListOut, PageQuery};
use crate::ids;
use crate::store::{AttemptRow, DeliveryFilter, DeliveryRow, Retry, WorkspaceId};

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    /// 1 for the first attempt.
    pub number: i64,
    pub attempted_at: Timestamp,
    /// The response's status; `null` when none came (see `error`).
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// The first KiB of the response body.
    pub response_body: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    #[schema(value_type = String, example = "webhook_delivery")]
    pub object: &'static str,
    #[schema(example = "dlv_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub webhook_id: String,
    /// The event delivered; also the `webhook-id` header of every attempt.
    pub event_id: String,
    #[schema(example = "message.created")]
    pub event_type: String,
    pub conversation_id: Option<String>,
    /// `pending` (waiting for its next attempt), `succeeded` or `failed` (no attempts left).
    #[schema(example = "pending")]
    pub status: String,
    pub attempt_count: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub attempts: Vec<AttemptOut>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<DeliveryRow> for DeliveryOut {
    fn from(row: DeliveryRow) -> Self {
        DeliveryOut {
            object: "webhook_delivery",
            id: row.id,
            webhook_id: row.target_id,
            event_id: row.event_id,
            event_type: row.event_type,
            conversation_id: row.conversation_id,
            next_attempt_at: row.next_attempt_at.filter(|_| row.status == "pending").map(Timestamp),
            status: row.status,
            attempt_count: row.attempt_count,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            attempts: row.attempts.into_iter().map(AttemptOut::from).collect(),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        }
    }
}

impl From<AttemptRow> for AttemptOut {
    fn from(row: AttemptRow) -> Self {
        AttemptOut {
            number: row.number,
            attempted_at: Timestamp(row.attempted_at),
            status_code: row.status_code,
            latency_ms: row.latency_ms,
            error: row.error,
            response_body: row.response_body,
        }
    }
}

const STATUSES: [&str; 3] = ["pending", "succeeded", "failed"];

/// Delivery filters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `succeeded`, `failed` (repeat the key or use a comma list).
    pub status: Option<Vec<String>>,
    /// Event types (repeat the key or use a comma list).
    pub event_type: Option<Vec<String>>,
}

impl FromQuery for DeliveryQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        let mut types: Vec<&str> = EventKind::NAMES.to_vec();
        types.push("webhook.test");
        Ok(DeliveryQuery {
            status: Some(q.enum_list("status", &STATUSES)?),
            event_type: Some(q.enum_list("event_type", &types)?),
        })
    }
}

async fn endpoint_exists(state: &AppState, ws: &WorkspaceId, id: &str) -> ApiResult<()> {
    state.store.get_webhook(ws, id).await?.map(|_| ()).ok_or_else(|| super::webhooks::not_found(id))
}

/// The endpoint's deliveries, newest first, each with every attempt.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", params(
        ("id" = String, Path, description = "The endpoint's id"), PageQuery, DeliveryQuery),
    responses((status = 200, description = "A page of deliveries", body = ListOut<DeliveryOut>),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query((page, filter)): Query<(PageQuery, DeliveryQuery)>,
) -> ApiResult<axum::Json<ListOut<DeliveryOut>>> {
    endpoint_exists(&state, &caller.workspace, &id).await?;
    let filter = DeliveryFilter {
        statuses: filter.status.unwrap_or_default(),
        event_types: filter.event_type.unwrap_or_default(),
    };
    let rows = state.store.list_deliveries(&caller.workspace, &id, &filter, &page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, DeliveryOut::from)))
}

/// Send a delivery again now. A failed one gets a fresh retry schedule.
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks", params(
        ("id" = String, Path, description = "The endpoint's id"),
        ("delivery_id" = String, Path, description = "The delivery's id"), IdempotencyKey),
    responses((status = 202, description = "Queued to be sent now", body = DeliveryOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn retry(
    caller: Manager,
    State(state): State<AppState>,
    PathIds(id, delivery_id): PathIds,
) -> ApiResult<(StatusCode, axum::Json<DeliveryOut>)> {
    endpoint_exists(&state, &caller.workspace, &id).await?;
    let now = state.clock.now_ms();
    match state.store.retry_delivery(&caller.workspace, &id, &delivery_id, now).await? {
        Some(Retry::Queued(row)) => Ok((StatusCode::ACCEPTED, axum::Json(DeliveryOut::from(*row)))),
        Some(Retry::InFlight) => Err(ApiError::new(
            ErrorCode::DeliveryInFlight,
            format!("Delivery {delivery_id} is being sent; its outcome will be in its attempts"),
        )),
        None => Err(ApiError::new(
            ErrorCode::DeliveryNotFound,
            format!("No delivery {delivery_id} for this endpoint"),
        )),
    }
}

/// Send a signed `webhook.test` event to the endpoint now (whether or not it is enabled or
/// subscribes to it); the outcome appears in its deliveries.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "webhooks", params(
        ("id" = String, Path, description = "The endpoint's id"), IdempotencyKey),
    responses((status = 202, description = "Queued to be sent now", body = DeliveryOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn test(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<(StatusCode, axum::Json<DeliveryOut>)> {
    endpoint_exists(&state, &caller.workspace, &id).await?;
    let now = state.clock.now_ms();
    let actor = caller.actor();
    let payload = json!({
        "object": "event",
        "id": ids::new_id("evt"),
        "type": "webhook.test",
        "created_at": Timestamp(now),
        "workspace_id": caller.workspace.as_str(),
        "actor": {"type": actor.kind, "id": actor.id},
        "data": {"webhook_id": id},
    });
    let row = state.store.queue_test_delivery(&caller.workspace, &id, &payload, now).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(DeliveryOut::from(row))))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(retry)).routes(routes!(test))
}
