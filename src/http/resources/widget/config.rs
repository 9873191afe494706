//! `GET /v1/widget/config`: what the widget shows before the visitor writes.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::WidgetKey;
use crate::http::docs::E;

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetConfig {
    #[schema(value_type = String, example = "widget_config")]
    pub object: &'static str,
    /// The AI agent that answers (the key's channel's, else the workspace's first), if any.
    #[schema(example = "Juni")]
    pub agent_name: Option<String>,
    /// Its current version's greeting.
    pub greeting: Option<String>,
    /// Whether a visitor naming an `external_id` must prove it with `user_hash`.
    pub identity_verification: bool,
}

/// Who answers and how they greet: the key's channel's agent, else the workspace's first.
#[utoipa::path(get, path = "/v1/widget/config", tag = "widget",
    responses((status = 200, description = "The widget's settings", body = WidgetConfig),
        E<401>, E<403>, E<500>, E<503>),
    security(("client_key" = []), ("server_key" = [])))]
async fn config(key: WidgetKey, State(state): State<AppState>) -> ApiResult<axum::Json<WidgetConfig>> {
    let ws = &key.workspace;
    let channel = match state.store.api_key_channel(ws, &key.key_id).await? {
        Some(channel) => Some(channel),
        None => state.store.first_channel_of_type(ws, "widget").await?,
    };
    let agent = state.store.greeting_agent(ws, channel.as_deref()).await?;
    let identity_verification = state.store.identity_secret(ws).await?.is_some();
    let (agent_name, greeting) = agent.map_or((None, None), |(name, greeting)| (Some(name), greeting));
    Ok(axum::Json(WidgetConfig { object: "widget_config", agent_name, greeting, identity_verification }))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(config))
}
