//! `GET /v1/audit-log`: who changed keys, members and roles, the identity secret and webhooks,
//! and who signed in or failed to — when, and from what address. Admins only; kept apart from
//! the conversation event log, and never carrying secrets.

use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::client_ip::ClientIp;
use crate::http::docs::E;
use crate::http::extract::{FromQuery, Query, QueryMap};
use crate::http::list::{ListOut, PageQuery};
use crate::ids;
use crate::model::event::ActorOut;
use crate::store::{Actor, AuditEntry, AuditRow, WorkspaceId};

/// Every action the audit log records.
pub const AUDIT_ACTIONS: &[&str] = &[
    "api_key.created",
    "api_key.revoked",
    "member.created",
    "member.updated",
    "member.role_changed",
    "member.password_changed",
    "member.removed",
    "identity_secret.set",
    "identity_secret.removed",
    "webhook.created",
    "webhook.updated",
    "webhook.deleted",
    "webhook.secret_rotated",
    "auth.signed_in",
    "auth.sign_in_failed",
    "auth.locked_out",
    "auth.signed_out",
    "auth.sessions_ended",
];

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTarget {
    /// `api_key`, `member`, `webhook`, `workspace`, `member_token`.
    pub r#type: String,
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    #[schema(value_type = String, example = "audit_entry")]
    pub object: &'static str,
    #[schema(example = "aud_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    #[schema(example = "member.role_changed")]
    pub action: String,
    pub actor: ActorOut,
    pub target: Option<AuditTarget>,
    /// The address the request came from (behind a proxy, with `--trust-forwarded-for`).
    #[schema(example = "203.0.113.7")]
    pub client_ip: Option<String>,
    /// What changed (`{"role": ["agent", "admin"]}`), never a secret.
    #[schema(value_type = Object)]
    pub details: Value,
    pub created_at: Timestamp,
}

impl From<AuditRow> for AuditEntryOut {
    fn from(row: AuditRow) -> Self {
        let target = row.target_type.zip(row.target_id).map(|(r#type, id)| AuditTarget { r#type, id });
        AuditEntryOut {
            object: "audit_entry",
            id: row.id,
            action: row.action,
            actor: ActorOut { r#type: row.actor_type, id: row.actor_id },
            target,
            client_ip: row.client_ip,
            details: row.details,
            created_at: Timestamp(row.created_at),
        }
    }
}

/// Audit log filters.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Actions (repeat the key or use a comma list).
    pub action: Option<Vec<String>>,
}

impl FromQuery for AuditQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        Ok(AuditQuery { action: Some(q.enum_list("action", AUDIT_ACTIONS)?) })
    }
}

/// Writes an audit entry. The change it records is already made: a failure to record it is
/// logged loudly, and the change stands.
pub async fn record(
    state: &AppState,
    ws: &WorkspaceId,
    from: ClientIp,
    action: &'static str,
    actor: Actor,
    target: Option<(&'static str, &str)>,
    details: Value,
) {
    debug_assert!(AUDIT_ACTIONS.contains(&action), "{action} is not in AUDIT_ACTIONS");
    let entry = AuditEntry {
        action,
        actor,
        target: target.map(|(kind, id)| (kind, id.to_owned())),
        client_ip: from.text(),
        details,
    };
    if let Err(error) = state.store.record_audit(ws, &ids::new_id("aud"), &entry, state.clock.now_ms()).await
    {
        tracing::error!(?error, audit.action = action, "could not write an audit log entry");
    }
}

/// An audit entry for a change `caller` made in their workspace.
pub async fn by_caller(
    state: &AppState,
    caller: &WorkspaceCaller,
    ip: ClientIp,
    action: &'static str,
    target: Option<(&'static str, &str)>,
    details: Value,
) {
    record(state, &caller.workspace, ip, action, caller.actor(), target, details).await;
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/v1/audit-log", tag = "audit", params(PageQuery, AuditQuery),
    responses((status = 200, description = "A page of audit entries, newest first", body = ListOut<AuditEntryOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: Manager,
    State(state): State<AppState>,
    Query((page, query)): Query<(PageQuery, AuditQuery)>,
) -> ApiResult<axum::Json<ListOut<AuditEntryOut>>> {
    let actions = query.action.unwrap_or_default();
    let rows = state.store.list_audit(&caller.workspace, &actions, &page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, AuditEntryOut::from)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
