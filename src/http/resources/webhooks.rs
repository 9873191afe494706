//! `/v1/webhooks`: where a workspace's events are delivered, each signed with the
//! endpoint's secret (`whsec_…`, shown on create and on rotation only).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde_json::json;

use super::audit;
use crate::clock::Timestamp;
use crate::delivery::sign::new_secret;
use crate::domain::event_kind::EventKind;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::client_ip::ClientIp;
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{Json, PathId, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::outbound::checked_target;
use crate::store::{EventNames, WebhookFields, WebhookRow};

/// An event type an endpoint can subscribe to: the native names, and seed 000's two
/// (`agent.handoff_*`, with `event_names: chats`). Published for the docs; `checked` refuses a
/// name the endpoint's `event_names` does not use.
pub struct WebhookEventType;

impl utoipa::PartialSchema for WebhookEventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut names: Vec<&str> = [EventNames::Native, EventNames::Chats]
            .into_iter()
            .flat_map(|names| EventKind::ALL.iter().filter_map(move |&kind| names.name_of(kind)))
            .collect();
        names.dedup();
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An event type a webhook endpoint receives"))
            .enum_values(Some(names))
            .into()
    }
}

impl ToSchema for WebhookEventType {}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    #[schema(example = "https://example.com/baton/webhooks")]
    pub url: String,
    #[schema(min_length = 1, pattern = r"\S")]
    pub description: Option<String>,
    /// Event types to deliver; empty or left out: all of them.
    #[serde(default)]
    #[schema(value_type = Vec<WebhookEventType>)]
    pub events: Vec<String>,
    /// `native` (default), or `chats` for seed 000's names: `agent.handoff_started` and
    /// `agent.handoff_completed` with the chat as `data`.
    pub event_names: Option<EventNames>,
    /// Deliver at all (default true).
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub description: Patch<String>,
    #[schema(value_type = Option<Vec<WebhookEventType>>)]
    pub events: Option<Vec<String>>,
    pub event_names: Option<EventNames>,
    /// `true` re-enables an endpoint Baton disabled, clearing `disabled_reason`.
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    #[schema(value_type = String, example = "webhook_endpoint")]
    pub object: &'static str,
    #[schema(example = "wh_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    #[schema(value_type = Vec<WebhookEventType>)]
    pub events: Vec<String>,
    pub event_names: EventNames,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// The signing secret: in the create and rotate responses only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl WebhookOut {
    fn from_row(row: WebhookRow, with_secret: bool) -> Self {
        WebhookOut {
            object: "webhook_endpoint",
            id: row.id,
            url: row.fields.url,
            description: row.fields.description,
            events: row.fields.events,
            event_names: row.fields.event_names,
            enabled: row.fields.enabled,
            disabled_reason: row.fields.disabled_reason,
            secret: with_secret.then_some(row.secret),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for WebhookOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Checks the fields: an http(s) URL (a public one unless private targets are allowed), a
/// description, known event types without repeats.
fn checked(state: &AppState, fields: WebhookFields) -> ApiResult<WebhookFields> {
    let mut check = Checker::new();
    let url = checked_target(&mut check, "url", &fields.url, state.settings.webhook_allow_private);
    let description = check.optional_text("description", fields.description, 500);
    let mut events = fields.events;
    events.sort();
    events.dedup();
    let known: Vec<&str> =
        EventKind::ALL.iter().filter_map(|&kind| fields.event_names.name_of(kind)).collect();
    if let Some(unknown) = events.iter().find(|e| !known.contains(&e.as_str())) {
        let names = fields.event_names.as_str();
        check.fail("events", format!("{unknown} is not an event type (with event_names {names})"));
    }
    check.finish()?;
    Ok(WebhookFields { url, description, events, ..fields })
}

pub(super) fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::WebhookNotFound, format!("No webhook endpoint {id} in this workspace"))
}

/// Add an endpoint; the response carries its signing secret, shown only here.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = WebhookIn, params(IdempotencyKey),
    responses((status = 201, description = "Created, with its secret", body = WebhookOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    Json(input): Json<WebhookIn>,
) -> ApiResult<WithEtag<WebhookOut>> {
    let fields = checked(
        &state,
        WebhookFields {
            url: input.url,
            description: input.description,
            events: input.events,
            event_names: input.event_names.unwrap_or_default(),
            enabled: input.enabled.unwrap_or(true),
            disabled_reason: None,
        },
    )?;
    let row = state
        .store
        .create_webhook(&caller.workspace, &ids::new_id("wh"), &fields, &new_secret(), state.clock.now_ms())
        .await?;
    audit(&state, &caller, ip, "webhook.created", &row).await;
    Ok(WithEtag(StatusCode::CREATED, WebhookOut::from_row(row, true)))
}

#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", params(PageQuery),
    responses((status = 200, description = "Endpoints, oldest first", body = ListOut<WebhookOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<WebhookOut>>> {
    let rows = state.store.list_webhooks(&caller.workspace, &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, |row| WebhookOut::from_row(row, false))))
}

#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint (without its secret)", body = WebhookOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<WebhookOut>> {
    let row = state.store.get_webhook(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, WebhookOut::from_row(row, false)))
}

/// Change, or read the whole endpoint back and write it with a new secret.
async fn rewrite(
    state: &AppState,
    caller: &Manager,
    id: &str,
    if_match: &IfMatch,
    patch: &WebhookPatch,
    secret: Option<&str>,
) -> ApiResult<WebhookRow> {
    let (store, ws) = (&state.store, &caller.workspace);
    update_optimistically(
        if_match,
        |row: &WebhookRow| row.version,
        || async { store.get_webhook(ws, id).await?.ok_or_else(|| not_found(id)) },
        |current| async move {
            let enabled = patch.enabled.unwrap_or(current.fields.enabled);
            let fields = checked(
                state,
                WebhookFields {
                    url: patch.url.clone().unwrap_or(current.fields.url),
                    description: patch.description.clone().apply(current.fields.description),
                    events: patch.events.clone().unwrap_or(current.fields.events),
                    event_names: patch.event_names.unwrap_or(current.fields.event_names),
                    enabled,
                    disabled_reason: if enabled { None } else { current.fields.disabled_reason },
                },
            )?;
            Ok(store.update_webhook(ws, id, &fields, secret, current.version, state.clock.now_ms()).await?)
        },
    )
    .await
}

#[utoipa::path(patch, path = "/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookPatch,
    params(("id" = String, Path, description = "The endpoint's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = WebhookOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<WebhookPatch>,
) -> ApiResult<WithEtag<WebhookOut>> {
    let row = rewrite(&state, &caller, &id, &if_match, &patch, None).await?;
    audit(&state, &caller, ip, "webhook.updated", &row).await;
    Ok(WithEtag(StatusCode::OK, WebhookOut::from_row(row, false)))
}

#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    if state.store.delete_webhook(&caller.workspace, &id).await? {
        let target = Some(("webhook", id.as_str()));
        audit::by_caller(&state, &caller, ip, "webhook.deleted", target, json!({})).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

/// Issue a new signing secret (shown in this response only); the old one stops signing.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id"), IdempotencyKey),
    responses((status = 200, description = "The endpoint with its new secret", body = WebhookOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn rotate_secret(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
) -> ApiResult<WithEtag<WebhookOut>> {
    let unchanged = WebhookPatch {
        url: None,
        description: Patch::Absent,
        events: None,
        event_names: None,
        enabled: None,
    };
    let row = rewrite(&state, &caller, &id, &IfMatch(None), &unchanged, Some(&new_secret())).await?;
    audit(&state, &caller, ip, "webhook.secret_rotated", &row).await;
    Ok(WithEtag(StatusCode::OK, WebhookOut::from_row(row, true)))
}

/// An audit entry for a change to `row`: its target's host and events, never the URL's path or
/// query (they may carry the receiver's own secrets) or the signing secret.
async fn audit(state: &AppState, caller: &Manager, ip: ClientIp, action: &'static str, row: &WebhookRow) {
    let host = url::Url::parse(&row.fields.url).ok().and_then(|u| u.host_str().map(str::to_owned));
    let details = json!({"host": host, "events": row.fields.events, "enabled": row.fields.enabled});
    let target = Some(("webhook", row.id.as_str()));
    audit::by_caller(state, caller, ip, action, target, details).await;
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(rotate_secret))
}
