//! `/v1/members`: the people who work in the inbox, with the role that bounds what they do.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde_json::json;

use super::audit;
use crate::auth::Role;
use crate::clock::Timestamp;
use crate::domain::member::{check_member, check_password};
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::client_ip::ClientIp;
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::store::{EndSessions, MemberRow, NewMember};
use crate::{ids, password};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    #[schema(min_length = 1, pattern = r"\S", example = "Ana Lima")]
    pub name: String,
    #[schema(example = "ana@example.com")]
    pub email: String,
    pub role: Role,
    /// To sign in to the inbox (8 to 256 characters); without one the member cannot sign in.
    pub password: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    /// A new password; `null` removes it (the member can no longer sign in).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub password: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Patch<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    #[schema(value_type = String, example = "member")]
    pub object: &'static str,
    #[schema(example = "mem_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub avatar_url: Option<String>,
    /// Whether the member can sign in with a password.
    pub has_password: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl MemberOut {
    pub fn from_row(row: MemberRow) -> Self {
        MemberOut {
            object: "member",
            id: row.id,
            name: row.fields.name,
            email: row.fields.email,
            role: Role::parse(&row.fields.role).unwrap_or(Role::Agent),
            avatar_url: row.fields.avatar_url,
            has_password: row.fields.password_hash.is_some(),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for MemberOut {
    fn version(&self) -> i64 {
        self.version
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::MemberNotFound, format!("No member {id} in this workspace"))
}

#[utoipa::path(post, path = "/v1/members", tag = "members", request_body = MemberIn, params(IdempotencyKey),
    responses((status = 201, description = "Created", body = MemberOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    Json(input): Json<MemberIn>,
) -> ApiResult<WithEtag<MemberOut>> {
    let mut check = Checker::new();
    let (name, email, avatar_url) = check_member(&mut check, &input.name, &input.email, input.avatar_url);
    if let Some(password) = &input.password {
        check_password(&mut check, password);
    }
    check.finish()?;
    let password_hash = match input.password {
        Some(password) => Some(password::hash(password).await?),
        None => None,
    };
    let member = NewMember { name, email, role: input.role.as_str().to_owned(), password_hash, avatar_url };
    let row = state
        .store
        .create_member(&caller.workspace, &ids::new_id("mem"), &member, state.clock.now_ms())
        .await?;
    let details = json!({"role": row.fields.role});
    audit::by_caller(&state, &caller, ip, "member.created", Some(("member", &row.id)), details).await;
    Ok(WithEtag(StatusCode::CREATED, MemberOut::from_row(row)))
}

#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Only members with this role.
    pub role: Option<Role>,
}

impl FromQuery for MemberQuery {
    fn from_query(query: &mut QueryMap) -> Result<Self, ApiError> {
        let roles = query.enum_list("role", Role::ALL)?;
        // Both roles (or none) is everyone.
        let role = match roles.as_slice() {
            [one] => Role::parse(one),
            _ => None,
        };
        Ok(MemberQuery { role })
    }
}

#[utoipa::path(get, path = "/v1/members", tag = "members", params(MemberQuery, PageQuery),
    responses((status = 200, description = "Members, oldest first", body = ListOut<MemberOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((filter, page)): Query<(MemberQuery, PageQuery)>,
) -> ApiResult<axum::Json<ListOut<MemberOut>>> {
    let role = filter.role.map(|r| r.as_str());
    let rows = state.store.list_members(&caller.workspace, role, &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, MemberOut::from_row)))
}

#[utoipa::path(get, path = "/v1/members/{id}", tag = "members",
    params(("id" = String, Path, description = "The member's id")),
    responses((status = 200, description = "The member", body = MemberOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<MemberOut>> {
    let row = state.store.get_member(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, MemberOut::from_row(row)))
}

#[utoipa::path(patch, path = "/v1/members/{id}", tag = "members", request_body = MemberPatch,
    params(("id" = String, Path, description = "The member's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = MemberOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<MemberPatch>,
) -> ApiResult<WithEtag<MemberOut>> {
    // The new password is checked and hashed once, before the read-modify-write.
    let mut check = Checker::new();
    if let Patch::Value(password) = &patch.password {
        check_password(&mut check, password);
    }
    check.finish()?;
    let new_hash = match patch.password.clone() {
        Patch::Value(password) => Patch::Value(password::hash(password).await?),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    };
    let (store, ws) = (&state.store, &caller.workspace);
    // A new password (or none) ends every other session of the member, in the same
    // transaction: whoever knew the old one is signed out. An admin changing their own keeps
    // the session they use.
    let own = caller.member.as_ref().filter(|m| m.id == id).map(|m| m.token_id.as_str());
    let end =
        if matches!(patch.password, Patch::Absent) { EndSessions::None } else { EndSessions::AllBut(own) };
    let (before, row, ended) = update_optimistically(
        &if_match,
        |row: &MemberRow| row.version,
        || async { store.get_member(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let now = state.clock.now_ms();
            let (id, patch, new_hash) = (&id, &patch, &new_hash);
            async move {
                let fields = current.fields.clone();
                let mut check = Checker::new();
                let (name, email, avatar_url) = check_member(
                    &mut check,
                    patch.name.as_deref().unwrap_or(&fields.name),
                    patch.email.as_deref().unwrap_or(&fields.email),
                    patch.avatar_url.clone().apply(fields.avatar_url),
                );
                check.finish()?;
                let member = NewMember {
                    name,
                    email,
                    role: patch.role.map_or(fields.role, |r| r.as_str().to_owned()),
                    password_hash: new_hash.clone().apply(fields.password_hash),
                    avatar_url,
                };
                let (row, ended) = store.update_member(ws, id, &member, end, current.version, now).await?;
                Ok((current, row, ended))
            }
        },
    )
    .await?;
    audit_update(&state, &caller, ip, &before, &row, &patch, ended).await;
    Ok(WithEtag(StatusCode::OK, MemberOut::from_row(row)))
}

/// The audit entries for a change to a member: its password, its role, its name or email.
async fn audit_update(
    state: &AppState,
    caller: &Manager,
    ip: ClientIp,
    before: &MemberRow,
    after: &MemberRow,
    patch: &MemberPatch,
    sessions_ended: u64,
) {
    let target = Some(("member", after.id.as_str()));
    if !matches!(patch.password, Patch::Absent) {
        let details = json!({"sessions_ended": sessions_ended});
        audit::by_caller(state, caller, ip, "member.password_changed", target, details).await;
    }
    if before.fields.role != after.fields.role {
        let details = json!({"role": [&before.fields.role, &after.fields.role]});
        audit::by_caller(state, caller, ip, "member.role_changed", target, details).await;
    }
    let fields: Vec<&str> = [("name", patch.name.is_some()), ("email", patch.email.is_some())]
        .into_iter()
        .filter_map(|(field, changed)| changed.then_some(field))
        .collect();
    if !fields.is_empty() {
        audit::by_caller(state, caller, ip, "member.updated", target, json!({"fields": fields})).await;
    }
}

/// Delete a member: their sign-in tokens are revoked and what was assigned to them becomes
/// unassigned.
#[utoipa::path(delete, path = "/v1/members/{id}", tag = "members",
    params(("id" = String, Path, description = "The member's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    if state.store.delete_member(&caller.workspace, &id, state.clock.now_ms()).await? {
        audit::by_caller(&state, &caller, ip, "member.removed", Some(("member", &id)), json!({})).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list)).routes(routes!(get, update, delete))
}
