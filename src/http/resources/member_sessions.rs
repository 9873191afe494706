//! `/v1/auth/sessions`: a member's own sessions (each a member token: the inbox's cookie, an
//! API client's login) — where and when each began and was last used — and ending one, or
//! every other ("sign out everywhere else").

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit;
use crate::clock::Timestamp;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::Session;
use crate::http::client_ip::ClientIp;
use crate::http::docs::E;
use crate::http::extract::PathId;
use crate::store::{Actor, SessionRow};

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberSessionOut {
    #[schema(value_type = String, example = "member_session")]
    pub object: &'static str,
    #[schema(example = "mtk_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    /// The session making this request.
    pub current: bool,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Timestamp,
    /// Where it signed in from.
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberSessionListOut {
    #[schema(value_type = String, example = "list")]
    pub object: &'static str,
    pub data: Vec<MemberSessionOut>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

fn out(row: SessionRow, current: &str) -> MemberSessionOut {
    MemberSessionOut {
        object: "member_session",
        current: row.id == current,
        id: row.id,
        created_at: Timestamp(row.created_at),
        last_used_at: row.last_used_at.map(Timestamp),
        expires_at: Timestamp(row.expires_at),
        client_ip: row.client_ip,
        user_agent: row.user_agent,
    }
}

/// The caller's own sessions, newest first (all of them: a member has few).
#[utoipa::path(get, path = "/v1/auth/sessions", tag = "auth",
    responses((status = 200, description = "The member's sessions", body = MemberSessionListOut),
        E<401>, E<403>, E<500>, E<503>),
    security(("member_token" = [])))]
async fn list(
    session: Session,
    State(state): State<AppState>,
) -> ApiResult<axum::Json<MemberSessionListOut>> {
    let rows = state
        .store
        .list_member_sessions(&session.workspace, &session.member_id, state.clock.now_ms())
        .await?;
    let data = rows.into_iter().map(|row| out(row, &session.token_id)).collect();
    Ok(axum::Json(MemberSessionListOut { object: "list", data, has_more: false, next_cursor: None }))
}

/// End one of the caller's sessions (its token stops working at once).
#[utoipa::path(delete, path = "/v1/auth/sessions/{id}", tag = "auth",
    params(("id" = String, Path, description = "The session's id")),
    responses((status = 204, description = "Ended"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("member_token" = [])))]
async fn end_one(
    session: Session,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    if !state.store.end_member_session(&session.workspace, &session.member_id, &id).await? {
        return Err(ApiError::new(ErrorCode::SessionNotFound, format!("You have no session {id}")));
    }
    let actor = Actor::member(&session.member_id);
    let target = Some(("member_token", id.as_str()));
    audit::record(&state, &session.workspace, ip, "auth.signed_out", actor, target, json!({})).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out everywhere else: every session of the caller's but the one making this request.
#[utoipa::path(delete, path = "/v1/auth/sessions", tag = "auth",
    responses((status = 204, description = "Every other session ended"), E<401>, E<403>, E<500>, E<503>),
    security(("member_token" = [])))]
async fn end_others(session: Session, State(state): State<AppState>, ip: ClientIp) -> ApiResult<StatusCode> {
    let ended = state
        .store
        .end_member_sessions(&session.workspace, &session.member_id, Some(&session.token_id))
        .await?;
    let actor = Actor::member(&session.member_id);
    let target = Some(("member", session.member_id.as_str()));
    audit::record(
        &state,
        &session.workspace,
        ip,
        "auth.sessions_ended",
        actor,
        target,
        json!({"ended": ended}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, end_others)).routes(routes!(end_one))
}
