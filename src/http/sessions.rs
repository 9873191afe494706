//! `/v1/auth`: members sign in with email and password, for a member token (API clients) or a
//! session cookie (the inbox), and sign out by revoking it.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::Session;
use super::cookie::{self, ViaCookie};
use super::docs::{E, IdempotencyKey};
use super::extract::Json;
use super::members::MemberOut;
use crate::auth::{MEMBER_TOKEN_TTL_MS, generate_member_token};
use crate::clock::Timestamp;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::http::AppState;
use crate::store::{MemberRow, WorkspaceId};
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

/// A signed-in member: their new token (shown once) and when it expires.
struct SignedIn {
    token: String,
    expires_at: i64,
    member: MemberRow,
}

/// Checks the email and password and issues a member token.
async fn sign_in(state: &AppState, input: LoginIn) -> ApiResult<SignedIn> {
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
    Ok(SignedIn { token, expires_at, member })
}

/// Sign in with email and password for a member token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginIn, params(IdempotencyKey),
    responses((status = 200, description = "Signed in", body = LoginOut),
        E<400>, E<401>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(()))]
async fn login(State(state): State<AppState>, Json(input): Json<LoginIn>) -> ApiResult<axum::Json<LoginOut>> {
    let signed = sign_in(&state, input).await?;
    Ok(axum::Json(LoginOut {
        object: "member_token",
        token: signed.token,
        expires_at: Timestamp(signed.expires_at),
        workspace_id: signed.member.workspace_id.clone(),
        member: MemberOut::from_row(signed.member),
    }))
}

/// A browser session: the member signed in, the token kept in the session cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrowserSessionOut {
    #[schema(value_type = String, example = "session")]
    pub object: &'static str,
    pub expires_at: Timestamp,
    pub workspace_id: String,
    pub member: MemberOut,
}

/// Sign in a browser: the member token goes into an `HttpOnly`, `SameSite=Strict` cookie
/// (`baton_session`) that page scripts cannot read, never into the body. From a page of
/// another origin this is refused.
#[utoipa::path(post, path = "/v1/auth/session", tag = "auth", request_body = LoginIn, params(IdempotencyKey),
    responses((status = 200, description = "Signed in; the session cookie is set", body = BrowserSessionOut,
            headers(("set-cookie" = String, description = "`baton_session=…; HttpOnly; SameSite=Strict`"))),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(()))]
async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(input): Json<LoginIn>,
) -> ApiResult<Response> {
    refuse_other_sites(&state, &headers, "Sign in from this server's own sign-in page")?;
    let signed = sign_in(&state, input).await?;
    Ok(session_response(&state, &headers, StatusCode::OK, signed.token, signed.expires_at, signed.member))
}

/// Refuses a request sent from a page of another site (a browser names the page's origin).
pub(super) fn refuse_other_sites(state: &AppState, headers: &HeaderMap, what: &str) -> ApiResult<()> {
    let from_a_page = headers.contains_key(header::ORIGIN) || headers.contains_key(header::REFERER);
    if from_a_page && !cookie::same_origin(headers, state.settings.public_url.as_deref()) {
        return Err(ApiError::new(ErrorCode::CrossSiteRequest, what));
    }
    Ok(())
}

/// A browser session's answer: `member` signed in, `token` in the session cookie.
pub(super) fn session_response(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    token: String,
    expires_at: i64,
    member: MemberRow,
) -> Response {
    let max_age = (expires_at - state.clock.now_ms()) / 1000;
    let secure = cookie::over_https(headers, state.settings.public_url.as_deref());
    let set = cookie::session_cookie(&token, max_age, secure);
    let body = BrowserSessionOut {
        object: "session",
        expires_at: Timestamp(expires_at),
        workspace_id: member.workspace_id.clone(),
        member: MemberOut::from_row(member),
    };
    (status, [(header::SET_COOKIE, set)], axum::Json(body)).into_response()
}

/// Sign out: the presented member token (or the session cookie's) stops working, and the
/// cookie is cleared.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", params(IdempotencyKey),
    responses((status = 204, description = "Signed out"), E<400>, E<401>, E<403>, E<409>, E<422>, E<500>, E<503>),
    security(("member_token" = [])))]
async fn logout(
    session: Session,
    via_cookie: Option<Extension<ViaCookie>>,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    state.store.delete_member_token(&session.workspace, &session.token_id).await?;
    if via_cookie.is_none() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let secure = cookie::over_https(&headers, state.settings.public_url.as_deref());
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie::session_cookie("", 0, secure))])
        .into_response())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(session)).routes(routes!(logout))
}
