//! `/v1/channels`: where conversations come from (website widget, WhatsApp, email, …).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::delivery::sign::new_secret;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::outbound::checked_target;
use crate::store::{ChannelFilter, ChannelRow, NewChannel, WorkspaceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelType {
    Widget,
    Api,
    Email,
    Whatsapp,
    Instagram,
    Messenger,
    Telegram,
    Sms,
    Voice,
    /// WhatsApp through a WAHA (WhatsApp HTTP API) gateway, as seed 001 lists it.
    Waha,
}

pub(crate) const CHANNEL_TYPES: [&str; 10] =
    ["widget", "api", "email", "whatsapp", "instagram", "messenger", "telegram", "sms", "voice", "waha"];

impl ChannelType {
    fn as_str(self) -> &'static str {
        CHANNEL_TYPES[self as usize]
    }
    fn parse(text: &str) -> Self {
        use ChannelType::*;
        [Widget, Api, Email, Whatsapp, Instagram, Messenger, Telegram, Sms, Voice, Waha]
            .into_iter()
            .find(|t| t.as_str() == text)
            .unwrap_or(Api)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelIn {
    pub r#type: ChannelType,
    #[schema(min_length = 1, pattern = r"\S", example = "Website")]
    pub name: String,
    /// The AI agent that answers on this channel.
    pub agent_id: Option<String>,
    /// Replies in this channel's conversations are POSTed here, signed as webhooks are.
    pub outbound_url: Option<String>,
    /// Origins (`https://shop.example.com`) whose pages may carry the widget of this channel's
    /// client keys; empty or absent: any.
    pub allowed_origins: Option<Vec<String>>,
}

/// Fields to change; `null` clears `agent_id` or `outbound_url`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    pub r#type: Option<ChannelType>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub agent_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub outbound_url: Patch<String>,
    pub allowed_origins: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelOut {
    #[schema(value_type = String, example = "channel")]
    pub object: &'static str,
    #[schema(example = "ch_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub r#type: ChannelType,
    pub name: String,
    pub agent_id: Option<String>,
    pub outbound_url: Option<String>,
    pub allowed_origins: Vec<String>,
    /// Signs what is POSTed to `outbound_url` (`webhook-signature`, as webhooks are
    /// signed): in the create and rotate responses only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound_secret: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl ChannelOut {
    fn from_row(row: ChannelRow) -> Self {
        Self::with_secret(row, false)
    }

    fn with_secret(row: ChannelRow, shown: bool) -> Self {
        ChannelOut {
            object: "channel",
            id: row.id,
            r#type: ChannelType::parse(&row.fields.kind),
            name: row.fields.name,
            agent_id: row.fields.agent_id,
            outbound_url: row.fields.outbound_url,
            allowed_origins: row.fields.allowed_origins,
            outbound_secret: shown.then_some(row.outbound_secret),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for ChannelOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Channel filters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// Channel types (repeat the key or use a comma list).
    pub r#type: Option<Vec<ChannelType>>,
}

impl FromQuery for ChannelQuery {
    fn from_query(query: &mut QueryMap) -> Result<Self, ApiError> {
        let kinds = query.enum_list("type", &CHANNEL_TYPES)?;
        Ok(ChannelQuery { r#type: Some(kinds.iter().map(|k| ChannelType::parse(k)).collect()) })
    }
}

async fn checked(state: &AppState, ws: &WorkspaceId, fields: NewChannel) -> ApiResult<NewChannel> {
    let store = &state.store;
    let mut check = Checker::new();
    let out = NewChannel {
        kind: fields.kind,
        name: check.text("name", &fields.name, 200),
        agent_id: fields.agent_id,
        outbound_url: fields
            .outbound_url
            .map(|u| checked_target(&mut check, "outbound_url", &u, state.settings.webhook_allow_private)),
        allowed_origins: fields
            .allowed_origins
            .iter()
            .enumerate()
            .map(|(i, o)| checked_origin(&mut check, &format!("allowed_origins[{i}]"), o))
            .collect(),
    };
    if out.allowed_origins.len() > 50 {
        check.fail("allowed_origins", "must have at most 50 items");
    }
    if let Some(agent_id) = &out.agent_id
        && store.get_agent(ws, agent_id).await?.is_none()
    {
        check.fail("agent_id", format!("no agent {agent_id} in this workspace"));
    }
    check.finish()?;
    Ok(out)
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing more.
fn checked_origin(check: &mut Checker, field: &str, text: &str) -> String {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            let origin = url.origin().ascii_serialization();
            if text.trim_end_matches('/') != origin {
                check.fail(field, format!("must be an origin only, like {origin}"));
            }
            origin
        }
        _ => {
            check.fail(field, "must be an origin like https://shop.example.com");
            String::new()
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::ChannelNotFound, format!("No channel {id} in this workspace"))
}

#[utoipa::path(post, path = "/v1/channels", tag = "channels", request_body = ChannelIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Created", body = ChannelOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    Json(input): Json<ChannelIn>,
) -> ApiResult<WithEtag<ChannelOut>> {
    let fields = checked(
        &state,
        &caller.workspace,
        NewChannel {
            kind: input.r#type.as_str().to_owned(),
            name: input.name,
            agent_id: input.agent_id,
            outbound_url: input.outbound_url,
            allowed_origins: input.allowed_origins.unwrap_or_default(),
        },
    )
    .await?;
    let now = state.clock.now_ms();
    let row = state
        .store
        .create_channel(&caller.workspace, &ids::new_id("ch"), &fields, &new_secret(), now)
        .await?;
    Ok(WithEtag(StatusCode::CREATED, ChannelOut::with_secret(row, true)))
}

/// List channels, newest first.
#[utoipa::path(get, path = "/v1/channels", tag = "channels", params(PageQuery, ChannelQuery),
    responses((status = 200, description = "A page of channels", body = ListOut<ChannelOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((page, filter)): Query<(PageQuery, ChannelQuery)>,
) -> ApiResult<axum::Json<ListOut<ChannelOut>>> {
    let kinds = filter.r#type.unwrap_or_default().into_iter().map(|t| t.as_str().to_owned()).collect();
    let rows =
        state.store.list_channels(&caller.workspace, &ChannelFilter { kinds }, &page.request(true)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, ChannelOut::from_row)))
}

#[utoipa::path(get, path = "/v1/channels/{id}", tag = "channels",
    params(("id" = String, Path, description = "The channel's id")),
    responses((status = 200, description = "The channel", body = ChannelOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ChannelOut>> {
    let row = state.store.get_channel(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, ChannelOut::from_row(row)))
}

/// Update a channel. Honours `If-Match`.
#[utoipa::path(patch, path = "/v1/channels/{id}", tag = "channels", request_body = ChannelPatch,
    params(("id" = String, Path, description = "The channel's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = ChannelOut),
        E<400>, E<401>, E<403>, E<404>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<ChannelPatch>,
) -> ApiResult<WithEtag<ChannelOut>> {
    let (store, ws) = (&state.store, &caller.workspace);
    let row = update_optimistically(
        &if_match,
        |row: &ChannelRow| row.version,
        || async { store.get_channel(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let now = state.clock.now_ms();
            let (id, patch, state) = (&id, &patch, &state);
            async move {
                let fields = NewChannel {
                    kind: patch.r#type.map_or(current.fields.kind, |t| t.as_str().to_owned()),
                    name: patch.name.clone().unwrap_or(current.fields.name),
                    agent_id: patch.agent_id.clone().apply(current.fields.agent_id),
                    outbound_url: patch.outbound_url.clone().apply(current.fields.outbound_url),
                    allowed_origins: patch.allowed_origins.clone().unwrap_or(current.fields.allowed_origins),
                };
                let fields = checked(state, ws, fields).await?;
                Ok(store.update_channel(ws, id, &fields, current.version, now).await?)
            }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, ChannelOut::from_row(row)))
}

#[utoipa::path(delete, path = "/v1/channels/{id}", tag = "channels",
    params(("id" = String, Path, description = "The channel's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(caller: Manager, State(state): State<AppState>, PathId(id): PathId) -> ApiResult<StatusCode> {
    if state.store.delete_channel(&caller.workspace, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

/// Issue a new secret for signing `outbound_url` deliveries (shown in this response only).
#[utoipa::path(post, path = "/v1/channels/{id}/rotate-secret", tag = "channels",
    params(("id" = String, Path, description = "The channel's id"), IdempotencyKey),
    responses((status = 200, description = "The channel with its new secret", body = ChannelOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn rotate_secret(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ChannelOut>> {
    let now = state.clock.now_ms();
    let row = state.store.rotate_channel_secret(&caller.workspace, &id, &new_secret(), now).await?;
    Ok(WithEtag(StatusCode::OK, ChannelOut::with_secret(row.ok_or_else(|| not_found(&id))?, true)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(rotate_secret))
}
