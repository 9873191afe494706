//! `GET /v1/widget/conversations/{id}/stream`: one conversation, live, as its visitor sees it.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures_util::Stream;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::view::{VISITOR_EVENTS, visitor_event};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::Visitor;
use crate::http::client_ip::ClientIp;
use crate::http::docs::E;
use crate::http::extract::PathId;
use crate::http::resources::stream::follow;
use crate::store::Entity;
use crate::store::StoreError;

/// New messages, status and handoff changes, typing and read, of one of the visitor's
/// conversations, as Server-Sent Events (`id:` resumes with `Last-Event-ID`).
#[utoipa::path(get, path = "/v1/widget/conversations/{id}/stream", tag = "widget",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "A stream of events (`text/event-stream`)", content_type = "text/event-stream", body = String),
        E<400>, E<401>, E<403>, E<404>, E<429>, E<500>, E<503>),
    security(("contact_token" = [])))]
async fn stream(
    visitor: Visitor,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let row = state.store.get_conversation(&visitor.workspace, &id).await?;
    if !row.is_some_and(|c| c.contact.id == visitor.contact_id && !c.removed) {
        return Err(StoreError::NotFound(Entity::Conversation).into());
    }
    let slot = state.streams.open(&visitor.contact_id, &ip.key())?;
    let kinds = VISITOR_EVENTS.iter().map(|k| (*k).to_owned()).collect();
    follow(&state, slot, visitor.workspace, &headers, None, Some(id), kinds, Some(visitor_event)).await
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream))
}
