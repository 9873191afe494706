//! `GET /v1/events`: the conversation event log (security changes are in the audit log).

use axum::extract::State;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::event_kind::EventKind;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::E;
use crate::http::extract::{FromQuery, Query, QueryMap, bad_param};
use crate::http::list::{ListOut, PageQuery};
use crate::model::event::EventOut;
use crate::store::EventFilter;

/// Event log filters.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events after this event id (resume where you left off).
    pub after: Option<String>,
    /// Event types (repeat the key or use a comma list).
    #[param(value_type = Option<Vec<EventKind>>)]
    pub r#type: Option<Vec<String>>,
    pub conversation_id: Option<String>,
}

impl FromQuery for EventQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        Ok(EventQuery {
            after: q.string("after")?,
            r#type: Some(q.enum_list("type", EventKind::NAMES)?),
            conversation_id: q.string("conversation_id")?,
        })
    }
}

/// The event log, oldest first.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(PageQuery, EventQuery),
    responses((status = 200, description = "A page of events", body = ListOut<EventOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((page, query)): Query<(PageQuery, EventQuery)>,
) -> ApiResult<axum::Json<ListOut<EventOut>>> {
    let mut request = page.request(false)?;
    if let Some(after) = &query.after {
        if request.after.is_some() {
            return Err(bad_param("after", "cannot be combined with cursor"));
        }
        let position = state.store.event_position(&caller.workspace, after).await?;
        let position = position.ok_or_else(|| bad_param("after", "names no event in this workspace"))?;
        request.after = Some((position, after.clone()));
    }
    let filter =
        EventFilter { kinds: query.r#type.unwrap_or_default(), conversation_id: query.conversation_id };
    let rows = state.store.list_events(&caller.workspace, &filter, &request).await?;
    let (signer, now) = (state.file_signer().await?, state.clock.now_ms());
    Ok(axum::Json(ListOut::from_page(rows, |row| signer.event(row, now))))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
