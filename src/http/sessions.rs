//! `/v1/auth`: members sign in to the inbox with email and password for a member token, and
//! sign out by revoking it.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::Session;
use super::docs::{E, IdempotencyKey};
use super::extract::Json;
use super::members::MemberOut;
use crate::auth::{MEMBER_TOKEN_TTL_MS, generate_member_token};
use crate::clock::Timestamp;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::http::AppState;
use crate::store::WorkspaceId;
use crate::{ids, password};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    #[schema(example = "ana@example.com")]
    pub email: String,
    pub password: String,
    /// Needed only when the email signs in to members of several workspaces.
    pub workspace_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOut {
    #[schema(value_type = String, example = "member_token")]
    pub object: &'static str,
    /// `bt_mt_…`: send it as `Authorization: Bearer …`. Shown only here.
    pub token: String,
    pub expires_at: Timestamp,
    pub workspace_id: String,
    pub member: MemberOut,
}

fn wrong() -> ApiError {
    ApiError::new(ErrorCode::InvalidCredentials, "The email or password is not right")
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginIn, params(IdempotencyKey),
    responses((status = 200, description = "Signed in", body = LoginOut),
        E<400>, E<401>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(()))]
async fn login(State(state): State<AppState>, Json(input): Json<LoginIn>) -> ApiResult<axum::Json<LoginOut>> {
    let now = state.clock.now_ms();
    if let Some(seconds) = state.sign_in.blocked_for(&input.email, now) {
        let mut error = ApiError::new(
            ErrorCode::RateLimited,
            "Too many wrong passwords for this email: wait before trying again",
        );
        error.retry_after = Some(seconds);
        return Err(error);
    }
    let candidates: Vec<_> = state
        .store
        .find_members_by_email(&input.email)
        .await?
        .into_iter()
        .filter(|m| input.workspace_id.as_deref().is_none_or(|ws| ws == m.workspace_id))
        .collect();
    // Every candidate's hash is checked (a decoy's when there is none), so how long this takes
    // does not tell which emails exist.
    let mut matched = Vec::new();
    if candidates.is_empty() {
        password::verify(input.password.clone(), None).await;
    }
    for member in candidates {
        if password::verify(input.password.clone(), member.fields.password_hash.clone()).await {
            matched.push(member);
        }
    }
    let member = match matched.len() {
        0 => {
            state.sign_in.failed(&input.email, now);
            return Err(wrong());
        }
        1 => matched.remove(0),
        _ => {
            return Err(ApiError::validation(vec![FieldError::new(
                "workspace_id",
                "this email signs in to several workspaces: name the one to sign in to",
            )]));
        }
    };
    state.sign_in.succeeded(&input.email);
    let ws = WorkspaceId::trusted(member.workspace_id.clone());
    let (token, hash) = generate_member_token();
    let expires_at = now + MEMBER_TOKEN_TTL_MS;
    state.store.create_member_token(&ws, &ids::new_id("mtk"), &member.id, &hash, now, expires_at).await?;
    Ok(axum::Json(LoginOut {
        object: "member_token",
        token,
        expires_at: Timestamp(expires_at),
        workspace_id: member.workspace_id.clone(),
        member: MemberOut::from_row(member),
    }))
}

/// Sign out: the presented member token stops working.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", params(IdempotencyKey),
    responses((status = 204, description = "Signed out"), E<400>, E<401>, E<403>, E<409>, E<422>, E<500>, E<503>),
    security(("member_token" = [])))]
async fn logout(session: Session, State(state): State<AppState>) -> ApiResult<StatusCode> {
    state.store.delete_member_token(&session.workspace, &session.token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout))
}
