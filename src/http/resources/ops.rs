//! Operations endpoints: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorCode};
use crate::http::AppState;
use crate::http::docs::E;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Below this much free disk beside a SQLite database a node is not ready: a WAL that cannot
/// grow, or a checkpoint that cannot copy it back, fails the writes soon.
const READY_FREE_DISK: u64 = 16 << 20;

/// The database answers, and (SQLite) its disk has room to write.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready to serve", body = Health), E<503>))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if let Err(error) = state.store.ping().await {
        let mut problem = ApiError::new(ErrorCode::DatabaseUnavailable, "The database does not answer");
        problem.source = Some(Box::new(error));
        return Err(problem);
    }
    match state.store.free_disk() {
        Some(free) if free < READY_FREE_DISK => Err(ApiError::new(
            ErrorCode::StorageFull,
            format!("The disk holding the database has {} KiB free", free >> 10),
        )),
        _ => Ok(Json(Health { status: "ok" })),
    }
}

/// Prometheus metrics: request counts and latency histograms by route and status.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}
