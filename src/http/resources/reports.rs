//! `GET /v1/reports/summary`: how the AI and the team did over a period.

use std::collections::BTreeMap;

use axum::extract::State;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::E;
use crate::http::extract::{FromQuery, Query, QueryMap, bad_param};
use crate::store::ReportScope;

/// The period when none is given: the last 30 days.
const DEFAULT_DAYS_MS: i64 = 30 * 24 * 3_600_000;

/// Report filters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Conversations created at or after this time (default: 30 days before `to`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<i64>,
    /// Conversations created before this time (default: now).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<i64>,
    pub channel_id: Option<String>,
    pub agent_id: Option<String>,
}

impl FromQuery for ReportQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        let mut time = |name: &str| {
            q.value(name)?
                .map(|t| {
                    Timestamp::parse(&t)
                        .map(|t| t.0)
                        .ok_or_else(|| bad_param(name, "must be an RFC 3339 timestamp"))
                })
                .transpose()
        };
        let (from, to) = (time("from")?, time("to")?);
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(bad_param("from", "must be before `to`"));
        }
        Ok(ReportQuery { from, to, channel_id: q.string("channel_id")?, agent_id: q.string("agent_id")? })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryOut {
    #[schema(value_type = String, example = "report")]
    pub object: &'static str,
    pub from: Timestamp,
    pub to: Timestamp,
    /// Conversations created in the period (removed ones left out).
    pub conversations: i64,
    /// Their messages by sender type: `contact`, `agent`, `human`, `system`.
    #[schema(value_type = Object, example = json!({"contact": 120, "agent": 95, "human": 20, "system": 8}))]
    pub messages: BTreeMap<String, i64>,
    pub resolved: i64,
    /// Resolved with no human ever joining.
    pub ai_resolved: i64,
    /// `ai_resolved / resolved` (null without resolved conversations).
    pub ai_resolved_rate: Option<f64>,
    /// Conversations where a human was asked for or joined.
    pub handed_off: i64,
    /// `handed_off / conversations`.
    pub handoff_rate: Option<f64>,
    /// From creation to the first AI or human answer.
    pub median_first_response_seconds: Option<f64>,
    /// From creation to being resolved.
    pub median_resolution_seconds: Option<f64>,
    /// Average rating from 1 to 5, and how many rated.
    pub csat_average: Option<f64>,
    pub csat_responses: i64,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

/// Conversations, messages by sender, AI-resolved share, handoff rate, median first response
/// and resolution times, and CSAT for the conversations created in a period.
#[utoipa::path(get, path = "/v1/reports/summary", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "The summary", body = SummaryOut), E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn summary(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(period): Query<ReportQuery>,
) -> ApiResult<axum::Json<SummaryOut>> {
    // `to` is exclusive: by default it includes what was created this very millisecond.
    let to = period.to.unwrap_or_else(|| state.clock.now_ms() + 1);
    let from = period.from.unwrap_or(to - DEFAULT_DAYS_MS);
    let scope = ReportScope { from, to, channel_id: period.channel_id, agent_id: period.agent_id };
    let s = state.store.summary_report(&caller.workspace, &scope).await?;
    let seconds = |ms: Option<f64>| ms.map(|ms| (ms / 1000.0 * 10.0).round() / 10.0);
    Ok(axum::Json(SummaryOut {
        object: "report",
        from: Timestamp(from),
        to: Timestamp(to),
        conversations: s.conversations,
        messages: s.messages.into_iter().collect(),
        resolved: s.resolved,
        ai_resolved: s.ai_resolved,
        ai_resolved_rate: share(s.ai_resolved, s.resolved),
        handed_off: s.handed_off,
        handoff_rate: share(s.handed_off, s.conversations),
        median_first_response_seconds: seconds(s.median_first_response_ms),
        median_resolution_seconds: seconds(s.median_resolution_ms),
        csat_average: s.csat_average.map(|a| (a * 100.0).round() / 100.0),
        csat_responses: s.csat_responses,
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(summary))
}
