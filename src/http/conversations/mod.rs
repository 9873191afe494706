//! `/v1/conversations`: threads between a contact and the AI or human agents.

mod actions;
mod handoff;
mod signals;

mod query;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::WorkspaceCaller;
use super::docs::{E, IdempotencyKey, IfMatchHeader};
use super::extract::{Json, PathId, Query};
use super::files::attach;
use super::list::{ListOut, PageQuery};
use super::messages::{MessageIn, new_message};
use super::versioning::{IfMatch, Patch, Versioned, WithEtag};
use crate::clock::Timestamp;
use crate::domain::conversation::{Priority, SenderType, Status};
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::ids;
use crate::model::conversation::ConversationOut;
use crate::store::Entity;
use crate::store::{Change, ContactSpec, ConversationRow, NewContact, NewConversation};
use query::{ConversationListQuery, ConversationQuery};

impl Versioned for ConversationOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// A contact to look up by email or external id, created when missing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactLookupIn {
    pub email: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub external_id: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationIn {
    pub channel_id: Option<String>,
    /// An existing contact; or give `contact` to look one up (or create it). With neither, a
    /// new anonymous contact is created.
    pub contact_id: Option<String>,
    pub contact: Option<ContactLookupIn>,
    #[schema(min_length = 1, pattern = r"\S", example = "Refund request — order 4421")]
    pub title: Option<String>,
    /// Background for whoever answers (the AI or a human).
    #[schema(min_length = 1, pattern = r"\S")]
    pub context: Option<String>,
    pub priority: Option<Priority>,
    pub custom_data: Option<Map<String, Value>>,
    pub state_id: Option<String>,
    pub agent_id: Option<String>,
    /// A first message (from the contact unless `sender_type` says otherwise).
    pub message: Option<MessageIn>,
}

/// Fields to change; `null` clears. `custom_data` is merged (a `null` value removes a key).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub summary: Patch<String>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub context: Patch<String>,
    pub status: Option<Status>,
    /// With `status: snoozed`: when the conversation wakes up (RFC 3339).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub snoozed_until: Patch<Timestamp>,
    pub priority: Option<Priority>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub assignee_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub team_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub state_id: Patch<String>,
    pub custom_data: Option<Map<String, Value>>,
}

fn out(row: &ConversationRow) -> ConversationOut {
    ConversationOut::from(row)
}

/// Create a conversation, optionally with its first message.
#[utoipa::path(post, path = "/v1/conversations", tag = "conversations", request_body = ConversationIn,
    params(IdempotencyKey),
    responses((status = 201, description = "Created", body = ConversationOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Json(input): Json<ConversationIn>,
) -> ApiResult<WithEtag<ConversationOut>> {
    let mut check = Checker::new();
    let contact = match (input.contact_id, input.contact) {
        (Some(id), None) => ContactSpec::Id(id),
        (None, Some(c)) => {
            let fields = NewContact {
                external_id: check.optional_text("contact.external_id", c.external_id, 255),
                name: check.optional_text("contact.name", c.name, 200),
                email: c.email.map(|e| check.email("contact.email", &e)),
                phone: c.phone.map(|p| check.phone("contact.phone", &p)),
                ..NewContact::default()
            };
            ContactSpec::Lookup(fields)
        }
        (Some(_), Some(_)) => {
            check.fail("contact", "give contact_id or contact, not both");
            ContactSpec::Id(String::new())
        }
        // No contact named: a new anonymous one, as a first visit through a channel makes.
        (None, None) => ContactSpec::Lookup(NewContact::default()),
    };
    let title = check.optional_text("title", input.title, 300);
    let context = check.optional_text("context", input.context, 10_000);
    let custom_data = input.custom_data.unwrap_or_default();
    check.object_size("custom_data", &custom_data, 100, 16 * 1024);
    if let Some(state_id) = &input.state_id
        && state.store.get_state(&caller.workspace, state_id).await?.is_none()
    {
        check.fail("state_id", format!("no conversation state {state_id} in this workspace"));
    }
    let mut first_message =
        input.message.map(|m| new_message(&mut check, "message.", m, SenderType::Contact));
    if let Some(message) = &mut first_message {
        attach::resolve(&state, &caller.workspace, None, &mut check, "message.", message).await?;
    }
    check.finish()?;

    let new = NewConversation {
        contact,
        channel_id: input.channel_id,
        title,
        context,
        priority: input.priority.unwrap_or(Priority::Normal),
        custom_data,
        state_id: input.state_id,
        agent_id: input.agent_id,
        first_message: first_message.map(|m| (ids::new_id("msg"), m)),
    };
    let now = state.clock.now_ms();
    let row = state
        .store
        .create_conversation(&caller.workspace, &ids::new_id("conv"), &new, &caller.actor(), now)
        .await?;
    Ok(WithEtag(StatusCode::CREATED, out(&row)))
}

/// List conversations: filters, sorts and paging.
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations", params(PageQuery, ConversationQuery),
    responses((status = 200, description = "A page of conversations", body = ListOut<ConversationOut>),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((page, query)): Query<(PageQuery, ConversationListQuery)>,
) -> ApiResult<axum::Json<ListOut<ConversationOut>>> {
    let ConversationListQuery { filter, descending } = query;
    let rows = state.store.list_conversations(&caller.workspace, &filter, &page.request(descending)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, |row| out(&row))))
}

/// Counts by status and mode.
#[derive(Debug, Default, serde::Serialize, ToSchema)]
pub struct StatusCounts {
    pub open: i64,
    pub pending: i64,
    pub snoozed: i64,
    pub resolved: i64,
    pub closed: i64,
}

#[derive(Debug, Default, serde::Serialize, ToSchema)]
pub struct ModeCounts {
    pub ai: i64,
    pub handoff_requested: i64,
    pub human: i64,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ConversationCountsOut {
    #[schema(value_type = String, example = "conversation_counts")]
    pub object: &'static str,
    pub total: i64,
    pub status: StatusCounts,
    pub mode: ModeCounts,
}

/// How many conversations match the list's filters, by status and by mode (one query).
#[utoipa::path(get, path = "/v1/conversations/counts", tag = "conversations", params(ConversationQuery),
    responses((status = 200, description = "The counts", body = ConversationCountsOut),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn counts(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(query): Query<ConversationListQuery>,
) -> ApiResult<axum::Json<ConversationCountsOut>> {
    let counts = state.store.count_conversations(&caller.workspace, &query.filter).await?;
    let mut status = StatusCounts::default();
    for (s, n) in counts.by_status {
        *match s {
            Status::Open => &mut status.open,
            Status::Pending => &mut status.pending,
            Status::Snoozed => &mut status.snoozed,
            Status::Resolved => &mut status.resolved,
            Status::Closed => &mut status.closed,
        } = n;
    }
    let mut mode = ModeCounts::default();
    for (m, n) in counts.by_mode {
        *match m {
            crate::domain::conversation::Mode::Ai => &mut mode.ai,
            crate::domain::conversation::Mode::HandoffRequested => &mut mode.handoff_requested,
            crate::domain::conversation::Mode::Human => &mut mode.human,
        } = n;
    }
    Ok(axum::Json(ConversationCountsOut { object: "conversation_counts", total: counts.total, status, mode }))
}

#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ConversationOut>> {
    let row = state.store.get_conversation(&caller.workspace, &id).await?;
    let row = row.ok_or(crate::store::StoreError::NotFound(Entity::Conversation))?;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}

/// Records `field: [before, after]` when a patch changes it.
fn changed<T: PartialEq + serde::Serialize + Clone>(
    changes: &mut Map<String, Value>,
    field: &str,
    slot: &mut T,
    new: T,
) {
    if *slot != new {
        changes.insert(field.to_owned(), json!([slot.clone(), new.clone()]));
        *slot = new;
    }
}

fn apply_patch(row: &mut ConversationRow, patch: &ConversationPatch, now: i64) -> ApiResult<Vec<Change>> {
    let mut check = Checker::new();
    let text = |check: &mut Checker, field: &str, value: &Patch<String>, max: usize| match value {
        Patch::Value(v) => Patch::Value(check.text(field, v, max)),
        other => other.clone(),
    };
    let title = text(&mut check, "title", &patch.title, 300);
    let summary = text(&mut check, "summary", &patch.summary, 10_000);
    let context = text(&mut check, "context", &patch.context, 10_000);
    let snoozed_until = patch.snoozed_until.clone().apply(row.snoozed_until.map(Timestamp)).map(|t| t.0);
    let mut custom_data = row.custom_data.clone();
    for (key, value) in patch.custom_data.clone().unwrap_or_default() {
        if value.is_null() {
            custom_data.remove(&key);
        } else {
            custom_data.insert(key, value);
        }
    }
    check.object_size("custom_data", &custom_data, 100, 16 * 1024);
    check.finish()?;

    let mut events = Vec::new();
    if let Some(status) = patch.status.or((snoozed_until != row.snoozed_until).then_some(row.status)) {
        events.extend(row.set_status(status, snoozed_until, now)?);
    }
    let mut changes = Map::new();
    let title = title.apply(row.title.clone());
    let summary = summary.apply(row.summary.clone());
    let context = context.apply(row.context.clone());
    let priority = patch.priority.unwrap_or(row.priority);
    changed(&mut changes, "title", &mut row.title, title);
    changed(&mut changes, "summary", &mut row.summary, summary);
    changed(&mut changes, "context", &mut row.context, context);
    changed(&mut changes, "priority", &mut row.priority, priority);
    changed(&mut changes, "custom_data", &mut row.custom_data, custom_data);
    let state_id = patch.state_id.clone().apply(row.state_id.clone());
    changed(&mut changes, "state_id", &mut row.state_id, state_id);
    if !changes.is_empty() {
        events.push(("conversation.updated", Value::Object(changes)));
    }
    let mut assignment = Map::new();
    let assignee_id = patch.assignee_id.clone().apply(row.assignee_id.clone());
    changed(&mut assignment, "assignee_id", &mut row.assignee_id, assignee_id);
    let team_id = patch.team_id.clone().apply(row.team_id.clone());
    changed(&mut assignment, "team_id", &mut row.team_id, team_id);
    if !assignment.is_empty() {
        events.push(("conversation.assigned", Value::Object(assignment)));
    }
    Ok(events)
}

/// Update a conversation. Honours `If-Match`.
#[utoipa::path(patch, path = "/v1/conversations/{id}", tag = "conversations", request_body = ConversationPatch,
    params(("id" = String, Path, description = "The conversation's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = ConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<ConversationPatch>,
) -> ApiResult<WithEtag<ConversationOut>> {
    // What the patch names must exist; checked before the version so a stale `If-Match`
    // never hides a bad reference.
    let ws = &caller.workspace;
    let mut check = Checker::new();
    if let Patch::Value(state_id) = &patch.state_id
        && state.store.get_state(ws, state_id).await?.is_none()
    {
        check.fail("state_id", format!("no conversation state {state_id} in this workspace"));
    }
    if let Patch::Value(member_id) = &patch.assignee_id
        && state.store.get_member(ws, member_id).await?.is_none()
    {
        check.fail("assignee_id", format!("no member {member_id} in this workspace"));
    }
    if let Patch::Value(team_id) = &patch.team_id
        && state.store.get_team(ws, team_id).await?.is_none()
    {
        check.fail("team_id", format!("no team {team_id} in this workspace"));
    }
    check.finish()?;
    let now = state.clock.now_ms();
    let row = state
        .store
        .update_conversation(&caller.workspace, &id, if_match.0, &caller.actor(), now, |row| {
            apply_patch(row, &patch, now)
        })
        .await?;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(counts))
        .routes(routes!(get, update, actions::remove))
        .merge(actions::router())
        .merge(handoff::router())
        .merge(signals::router())
}

/// A transition applied under the conversation's lock, answered with the conversation.
async fn transition(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    change: impl FnOnce(&mut ConversationRow, i64) -> Result<Option<Change>, ApiError>,
) -> ApiResult<WithEtag<ConversationOut>> {
    let now = state.clock.now_ms();
    let row = state
        .store
        .update_conversation(&caller.workspace, id, None, &caller.actor(), now, |row| {
            change(row, now).map(|c| c.into_iter().collect())
        })
        .await?;
    Ok(WithEtag(StatusCode::OK, out(&row)))
}
