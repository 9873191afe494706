//! `/v1/api-keys`: a workspace's server and client keys. The secret is in the create
//! response only.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde_json::json;

use super::audit;
use crate::auth::{self, KeyKind};
use crate::clock::Timestamp;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::Manager;
use crate::http::client_ip::ClientIp;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{Json, PathId, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::store::ApiKeyRow;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    #[schema(min_length = 1, pattern = r"\S", example = "Help desk integration")]
    pub name: String,
    pub kind: ApiKeyKind,
    /// For a client key: the channel whose widget it opens (its `allowed_origins` then limit
    /// where the key works).
    pub channel_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyKind {
    /// Everything inside the workspace; keep it on servers.
    Server,
    /// Public, embeddable in a web page: only `/v1/widget/*`.
    Client,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyOut {
    #[schema(value_type = String, example = "api_key")]
    pub object: &'static str,
    #[schema(example = "key_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub kind: ApiKeyKind,
    /// The key's prefix and last four characters, to recognise it.
    #[schema(example = "bt_sk_…x9Qz")]
    pub redacted: String,
    pub channel_id: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// The secret, in the create response only. Store it now: it is never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl ApiKeyOut {
    pub fn from_row(row: ApiKeyRow, secret: Option<String>) -> Self {
        let kind = if row.kind == "client" { ApiKeyKind::Client } else { ApiKeyKind::Server };
        let prefix = if row.kind == "client" { auth::CLIENT_PREFIX } else { auth::SERVER_PREFIX };
        ApiKeyOut {
            object: "api_key",
            id: row.id,
            workspace_id: row.workspace_id,
            name: row.name,
            kind,
            redacted: format!("{prefix}…{}", row.secret_hint),
            channel_id: row.channel_id,
            created_at: Timestamp(row.created_at),
            last_used_at: row.last_used_at.map(Timestamp),
            secret,
        }
    }
}

/// Create a key. The response carries the secret, once.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys", request_body = ApiKeyIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Created; `secret` is shown only now", body = ApiKeyOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    Json(input): Json<ApiKeyIn>,
) -> ApiResult<(StatusCode, axum::Json<ApiKeyOut>)> {
    let mut check = Checker::new();
    let name = check.text("name", &input.name, 200);
    if let Some(channel_id) = &input.channel_id {
        if matches!(input.kind, ApiKeyKind::Server) {
            check.fail("channel_id", "is for client keys (a server key works on every channel)");
        } else if state.store.get_channel(&caller.workspace, channel_id).await?.is_none() {
            check.fail("channel_id", format!("no channel {channel_id} in this workspace"));
        }
    }
    check.finish()?;
    let kind = match input.kind {
        ApiKeyKind::Server => KeyKind::Server,
        ApiKeyKind::Client => KeyKind::Client,
    };
    let mut key = auth::generate_key(kind, &name);
    key.record.channel_id = input.channel_id;
    let row = state.store.create_api_key(&caller.workspace, &key.record, state.clock.now_ms()).await?;
    let details = json!({"name": name, "kind": kind.as_str(), "channel_id": key.record.channel_id});
    audit::by_caller(&state, &caller, ip, "api_key.created", Some(("api_key", &row.id)), details).await;
    Ok((StatusCode::CREATED, axum::Json(ApiKeyOut::from_row(row, Some(key.secret)))))
}

/// List the workspace's live keys (never their secrets), newest first.
#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", params(PageQuery),
    responses((status = 200, description = "A page of keys", body = ListOut<ApiKeyOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: Manager,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<ApiKeyOut>>> {
    let rows = state.store.list_api_keys(&caller.workspace, &page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, |row| ApiKeyOut::from_row(row, None))))
}

/// Revoke a key. It stops working at once.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = String, Path, description = "The key's id")),
    responses((status = 204, description = "Revoked"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn revoke(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    if state.store.revoke_api_key(&caller.workspace, &id, state.clock.now_ms()).await? {
        audit::by_caller(&state, &caller, ip, "api_key.revoked", Some(("api_key", &id)), json!({})).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(ErrorCode::ApiKeyNotFound, format!("No API key {id} in this workspace")))
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list)).routes(routes!(revoke))
}
