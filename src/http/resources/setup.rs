//! `POST /v1/auth/setup`: the one-time link the first start prints creates the workspace's
//! first admin member, with a password, and signs them in to the inbox.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde_json::json;

use super::audit;
use super::sessions::{BrowserSessionOut, Source, open_session, refuse_other_sites, session_response};
use crate::auth::{Role, hash_secret};
use crate::domain::member::{check_member, check_password};
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::Json;
use crate::http::sign_in_limits;
use crate::store::{Actor, NewMember, WorkspaceId};
use crate::{ids, password};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupIn {
    /// The `token` of the link (`/setup?token=…`).
    #[schema(min_length = 1)]
    pub token: String,
    #[schema(min_length = 1, pattern = r"\S", example = "Ana Lima")]
    pub name: String,
    #[schema(example = "ana@example.com")]
    pub email: String,
    /// 8 to 256 characters.
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

/// Create the first admin member through the setup link, and sign them in (session cookie).
/// A link works once, for 24 hours.
#[utoipa::path(post, path = "/v1/auth/setup", tag = "auth", request_body = SetupIn, params(IdempotencyKey),
    responses((status = 201, description = "The admin exists and is signed in; the session cookie is set",
            body = BrowserSessionOut, headers(("set-cookie" = String, description = "`baton_session=…; HttpOnly; SameSite=Strict`"))),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(()))]
async fn setup(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(input): Json<SetupIn>,
) -> ApiResult<Response> {
    refuse_other_sites(&state, &headers, "Use the setup link on this server's own page")?;
    let mut check = Checker::new();
    let (name, email, _) = check_member(&mut check, &input.name, &input.email, None);
    check_password(&mut check, &input.password);
    check.finish()?;
    let now = state.clock.now_ms();
    // A guessed link costs one counted attempt and a lookup, never a password hash.
    if let Err(refused) = sign_in_limits::admit_address(&state.store, &ip.key(), now).await {
        return Err(refused.into());
    }
    let secret_hash = hash_secret(&input.token);
    if !state.store.setup_link_open(&secret_hash, now).await? {
        return Err(invalid_link());
    }
    let member = NewMember {
        name,
        email,
        role: Role::Admin.as_str().to_owned(),
        password_hash: Some(password::hash(input.password).await?),
        avatar_url: None,
    };
    let created = state.store.use_setup_link(&secret_hash, &ids::new_id("mem"), &member, now).await?;
    let member = created.ok_or_else(invalid_link)?;
    let (ws, actor) = (WorkspaceId::trusted(member.workspace_id.clone()), Actor::system());
    let details = json!({"role": member.fields.role, "through": "setup_link"});
    audit::record(&state, &ws, ip, "member.created", actor, Some(("member", &member.id)), details).await;
    let signed = open_session(&state, member, &Source::new(ip, &headers)).await?;
    Ok(session_response(
        &state,
        &headers,
        StatusCode::CREATED,
        signed.token,
        signed.expires_at,
        signed.member,
    ))
}

fn invalid_link() -> ApiError {
    ApiError::new(ErrorCode::InvalidSetupLink, "This setup link is not valid: it was used, or it expired")
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(setup))
}
