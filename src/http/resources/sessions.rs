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

use serde_json::{Value, json};

use super::audit;
use super::members::MemberOut;
use crate::auth::{MEMBER_TOKEN_TTL_MS, generate_member_token};
use crate::clock::Timestamp;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::http::AppState;
use crate::http::caller::Session;
use crate::http::client_ip::ClientIp;
use crate::http::cookie::{self, ViaCookie};
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::Json;
use crate::http::metrics::Counter;
use crate::http::sign_in_limits::{self, SignInRefused};
use crate::store::{Actor, MemberRow, NewMemberToken, WorkspaceId};
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
pub(super) struct SignedIn {
    pub token: String,
    pub expires_at: i64,
    pub member: MemberRow,
}

/// Where a sign-in comes from: the client's address and its `User-Agent`.
pub(super) struct Source {
    ip: ClientIp,
    user_agent: Option<String>,
}

impl Source {
    pub(super) fn new(ip: ClientIp, headers: &HeaderMap) -> Self {
        let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Source { ip, user_agent }
    }
}

/// Checks the email and password and issues a member token. The attempt is counted before
/// the password is checked ([`sign_in_limits::admit_sign_in`]), and the check waits for one of the
/// node's few password slots.
async fn sign_in(state: &AppState, input: LoginIn, from: &Source) -> ApiResult<SignedIn> {
    let now = state.clock.now_ms();
    let address = from.ip.key();
    let candidates: Vec<_> = state
        .store
        .find_members_by_email(&input.email)
        .await?
        .into_iter()
        .filter(|m| input.workspace_id.as_deref().is_none_or(|ws| ws == m.workspace_id))
        .collect();
    match sign_in_limits::admit_sign_in(&state.store, &input.email, &address, now).await {
        Ok(()) => {}
        Err(SignInRefused::Failed(error)) => return Err(error),
        Err(SignInRefused::Throttled { error, lockout_began }) => {
            state.metrics.count(Counter::SignIns, "throttled");
            tracing::warn!(client.ip = %address, "sign-in refused: too many attempts");
            if lockout_began {
                for member in &candidates {
                    audit_member(state, member, from, "auth.locked_out", json!({})).await;
                }
            }
            return Err(error);
        }
    }
    // Every candidate's hash is checked (a decoy's when there is none), so how long this takes
    // does not tell which emails exist.
    let mut matched = Vec::new();
    let checked = async {
        if candidates.is_empty() {
            password::verify(input.password.clone(), None).await?;
        }
        for member in &candidates {
            if password::verify(input.password.clone(), member.fields.password_hash.clone()).await? {
                matched.push(member.clone());
            }
        }
        ApiResult::Ok(())
    };
    if let Err(error) = checked.await {
        state.metrics.count(Counter::SignIns, "busy");
        sign_in_limits::refund(&state.store, &input.email, &address).await?;
        return Err(error);
    }
    let member = match matched.len() {
        0 => {
            state.metrics.count(Counter::SignIns, "failed");
            tracing::info!(client.ip = %address, known = !candidates.is_empty(), "sign-in failed");
            for member in &candidates {
                audit_member(state, member, from, "auth.sign_in_failed", json!({})).await;
            }
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
    sign_in_limits::succeeded(&state.store, &input.email, &address).await?;
    state.metrics.count(Counter::SignIns, "succeeded");
    open_session(state, member, from).await
}

/// A new session (member token) for `member`, signed in from `from`.
pub(super) async fn open_session(state: &AppState, member: MemberRow, from: &Source) -> ApiResult<SignedIn> {
    let ws = WorkspaceId::trusted(member.workspace_id.clone());
    let (token, hash) = generate_member_token();
    let now = state.clock.now_ms();
    let expires_at = now + MEMBER_TOKEN_TTL_MS;
    let token_id = ids::new_id("mtk");
    let ip = from.ip.text();
    let record = NewMemberToken {
        id: &token_id,
        member_id: &member.id,
        secret_hash: &hash,
        expires_at,
        client_ip: ip.as_deref(),
        user_agent: from.user_agent.as_deref(),
    };
    state.store.create_member_token(&ws, &record, now).await?;
    tracing::info!(member.id = %member.id, client.ip = %from.ip.key(), "member signed in");
    audit_member(state, &member, from, "auth.signed_in", json!({"session_id": token_id})).await;
    Ok(SignedIn { token, expires_at, member })
}

/// An audit entry about `member`, made by themselves (a sign-in, a failed one).
async fn audit_member(
    state: &AppState,
    member: &MemberRow,
    from: &Source,
    action: &'static str,
    details: Value,
) {
    let ws = WorkspaceId::trusted(member.workspace_id.clone());
    let target = Some(("member", member.id.as_str()));
    audit::record(state, &ws, from.ip, action, Actor::member(&member.id), target, details).await;
}

/// Sign in with email and password for a member token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginIn, params(IdempotencyKey),
    responses((status = 200, description = "Signed in", body = LoginOut),
        E<400>, E<401>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(()))]
async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(input): Json<LoginIn>,
) -> ApiResult<axum::Json<LoginOut>> {
    let signed = sign_in(&state, input, &Source::new(ip, &headers)).await?;
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
    ip: ClientIp,
    headers: HeaderMap,
    Json(input): Json<LoginIn>,
) -> ApiResult<Response> {
    refuse_other_sites(&state, &headers, "Sign in from this server's own sign-in page")?;
    let signed = sign_in(&state, input, &Source::new(ip, &headers)).await?;
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
    ip: ClientIp,
    headers: HeaderMap,
) -> ApiResult<Response> {
    state.store.delete_member_token(&session.workspace, &session.token_id).await?;
    let (actor, target) =
        (Actor::member(&session.member_id), Some(("member_token", session.token_id.as_str())));
    audit::record(&state, &session.workspace, ip, "auth.signed_out", actor, target, json!({})).await;
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
