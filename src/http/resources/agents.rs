//! `/v1/agents`: the AI agents that answer conversations, and their immutable versions.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{Json, PathId, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::model::agent::{AgentSettings, HandoffRules, Provider};
use crate::store::{AgentFields, AgentRow, AgentVersionRow, StoreError};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentIn {
    #[schema(min_length = 1, pattern = r"\S", example = "Ava")]
    pub name: String,
    pub picture_url: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub description: Option<String>,
    /// The first version's settings (defaults when left out).
    #[serde(default)]
    pub version: AgentSettings,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub picture_url: Patch<String>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub description: Patch<String>,
}

/// A new version: its settings, and whether it becomes current.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentVersionIn {
    #[serde(default)]
    pub instructions: String,
    #[schema(min_length = 1, pattern = r"\S")]
    pub greeting: Option<String>,
    #[serde(default)]
    pub provider: Provider,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub temperature: Option<f64>,
    #[serde(default)]
    pub handoff: HandoffRules,
    /// Make this version the one new conversations get (default true).
    pub publish: Option<bool>,
}

impl AgentVersionIn {
    fn split(self) -> (AgentSettings, bool) {
        let settings = AgentSettings {
            instructions: self.instructions,
            greeting: self.greeting,
            provider: self.provider,
            model: self.model,
            base_url: self.base_url,
            api_key_env: self.api_key_env,
            temperature: self.temperature,
            handoff: self.handoff,
        };
        (settings, self.publish.unwrap_or(true))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionRef {
    pub id: String,
    pub number: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentOut {
    #[schema(value_type = String, example = "agent")]
    pub object: &'static str,
    #[schema(example = "agent_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub name: String,
    pub picture_url: Option<String>,
    pub description: Option<String>,
    pub current_version: VersionRef,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl AgentOut {
    fn from_row(row: AgentRow) -> Self {
        AgentOut {
            object: "agent",
            id: row.id,
            name: row.fields.name,
            picture_url: row.fields.picture_url,
            description: row.fields.description,
            current_version: VersionRef { id: row.current_version_id, number: row.current_version_number },
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for AgentOut {
    fn version(&self) -> i64 {
        self.version
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentVersionOut {
    #[schema(value_type = String, example = "agent_version")]
    pub object: &'static str,
    #[schema(example = "agv_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub agent_id: String,
    pub number: i64,
    pub instructions: String,
    pub greeting: Option<String>,
    pub provider: Provider,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub temperature: Option<f64>,
    pub handoff: HandoffRules,
    pub created_at: Timestamp,
}

impl AgentVersionOut {
    fn from_row(row: AgentVersionRow) -> Self {
        let settings: AgentSettings = serde_json::from_value(row.settings).unwrap_or_default();
        AgentVersionOut {
            object: "agent_version",
            id: row.id,
            agent_id: row.agent_id,
            number: row.number,
            instructions: settings.instructions,
            greeting: settings.greeting,
            provider: settings.provider,
            model: settings.model,
            base_url: settings.base_url,
            api_key_env: settings.api_key_env,
            temperature: settings.temperature,
            handoff: settings.handoff,
            created_at: Timestamp(row.created_at),
        }
    }
}

fn check_fields(check: &mut Checker, fields: AgentFields) -> AgentFields {
    AgentFields {
        name: check.text("name", &fields.name, 100),
        picture_url: fields.picture_url.map(|url| check.url("picture_url", &url)),
        description: check.optional_text("description", fields.description, 1_000),
    }
}

/// Checks a version's settings; `prefix` places the fields (`version.` on create).
fn check_settings(check: &mut Checker, prefix: &str, settings: &AgentSettings) {
    let field = |name: &str| format!("{prefix}{name}");
    if settings.instructions.chars().count() > 20_000 {
        check.fail(&field("instructions"), "must be at most 20000 characters");
    }
    if let Some(greeting) = &settings.greeting {
        check.text(&field("greeting"), greeting, 1_000);
    }
    if let Some(url) = &settings.base_url {
        check.url(&field("base_url"), url);
    }
    if settings.provider == Provider::Openai && settings.model.as_deref().is_none_or(|m| m.trim().is_empty())
    {
        check.fail(&field("model"), "is required with the openai provider");
    }
    if let Some(name) = &settings.api_key_env {
        let valid = !name.is_empty()
            && name.len() <= 100
            && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            check.fail(&field("api_key_env"), "must be an environment variable name such as OPENAI_API_KEY");
        }
    }
    if settings.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        check.fail(&field("temperature"), "must be from 0 to 2");
    }
    let rules = &settings.handoff;
    if rules.keywords.len() > 50
        || rules.keywords.iter().any(|k| k.trim().is_empty() || k.chars().count() > 100)
    {
        check.fail(&field("handoff.keywords"), "at most 50 words or phrases of 1 to 100 characters");
    }
    if rules.max_ai_turns.is_some_and(|n| !(1..=1_000).contains(&n)) {
        check.fail(&field("handoff.max_ai_turns"), "must be from 1 to 1000");
    }
    if rules.min_confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
        check.fail(&field("handoff.min_confidence"), "must be from 0 to 1");
    }
    if rules.negative_sentiment_below.is_some_and(|s| !(0..=100).contains(&s)) {
        check.fail(&field("handoff.negative_sentiment_below"), "must be from 0 to 100");
    }
    if let Some(message) = &rules.message {
        check.text(&field("handoff.message"), message, 1_000);
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::AgentNotFound, format!("No agent {id} in this workspace"))
}

#[utoipa::path(post, path = "/v1/agents", tag = "agents", request_body = AgentIn, params(IdempotencyKey),
    responses((status = 201, description = "Created with its first version", body = AgentOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    Json(input): Json<AgentIn>,
) -> ApiResult<WithEtag<AgentOut>> {
    let mut check = Checker::new();
    let fields = check_fields(
        &mut check,
        AgentFields { name: input.name, picture_url: input.picture_url, description: input.description },
    );
    check_settings(&mut check, "version.", &input.version);
    check.finish()?;
    let settings = serde_json::to_value(&input.version).unwrap_or_default();
    let (id, version_id) = (ids::new_id("agent"), ids::new_id("agv"));
    let row = state
        .store
        .create_agent(&caller.workspace, &id, &version_id, &fields, &settings, state.clock.now_ms())
        .await?;
    Ok(WithEtag(StatusCode::CREATED, AgentOut::from_row(row)))
}

#[utoipa::path(get, path = "/v1/agents", tag = "agents", params(PageQuery),
    responses((status = 200, description = "Agents, oldest first", body = ListOut<AgentOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<AgentOut>>> {
    let rows = state.store.list_agents(&caller.workspace, &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, AgentOut::from_row)))
}

#[utoipa::path(get, path = "/v1/agents/{id}", tag = "agents",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 200, description = "The agent", body = AgentOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<AgentOut>> {
    let row = state.store.get_agent(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, AgentOut::from_row(row)))
}

#[utoipa::path(patch, path = "/v1/agents/{id}", tag = "agents", request_body = AgentPatch,
    params(("id" = String, Path, description = "The agent's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = AgentOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<AgentPatch>,
) -> ApiResult<WithEtag<AgentOut>> {
    let (store, ws) = (&state.store, &caller.workspace);
    let row = update_optimistically(
        &if_match,
        |row: &AgentRow| row.version,
        || async { store.get_agent(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let now = state.clock.now_ms();
            let (id, patch) = (&id, &patch);
            async move {
                let mut check = Checker::new();
                let fields = check_fields(
                    &mut check,
                    AgentFields {
                        name: patch.name.clone().unwrap_or(current.fields.name),
                        picture_url: patch.picture_url.clone().apply(current.fields.picture_url),
                        description: patch.description.clone().apply(current.fields.description),
                    },
                );
                check.finish()?;
                Ok(store.update_agent(ws, id, &fields, current.version, now).await?)
            }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, AgentOut::from_row(row)))
}

/// Delete an agent: channels and conversations it answered are left without one.
#[utoipa::path(delete, path = "/v1/agents/{id}", tag = "agents",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(caller: Manager, State(state): State<AppState>, PathId(id): PathId) -> ApiResult<StatusCode> {
    if state.store.delete_agent(&caller.workspace, &id, state.clock.now_ms()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

/// Add a version; it becomes current unless `publish: false`.
#[utoipa::path(post, path = "/v1/agents/{id}/versions", tag = "agents", request_body = AgentVersionIn,
    params(("id" = String, Path, description = "The agent's id"), IdempotencyKey),
    responses((status = 201, description = "Created", body = AgentVersionOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create_version(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<AgentVersionIn>,
) -> ApiResult<(StatusCode, axum::Json<AgentVersionOut>)> {
    let (settings, publish) = input.split();
    let mut check = Checker::new();
    check_settings(&mut check, "", &settings);
    check.finish()?;
    let settings = serde_json::to_value(&settings).unwrap_or_default();
    let now = state.clock.now_ms();
    let row = state
        .store
        .create_agent_version(&caller.workspace, &id, &ids::new_id("agv"), &settings, publish, now)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => not_found(&id),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, axum::Json(AgentVersionOut::from_row(row))))
}

#[utoipa::path(get, path = "/v1/agents/{id}/versions", tag = "agents",
    params(("id" = String, Path, description = "The agent's id"), PageQuery),
    responses((status = 200, description = "Versions, oldest first", body = ListOut<AgentVersionOut>),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list_versions(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<AgentVersionOut>>> {
    state.store.get_agent(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    let rows = state.store.list_agent_versions(&caller.workspace, &id, &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, AgentVersionOut::from_row)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(create_version, list_versions))
}
