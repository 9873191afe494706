//! Creating and changing a conversation: the rules the native handlers and the seeds'
//! dialects share.

use serde_json::{Map, Value, json};

use super::{ConversationIn, ConversationPatch};
use crate::clock::Timestamp;
use crate::domain::conversation::{Priority, SenderType};
use crate::domain::event_kind::EventKind;
use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::resources::files::attach;
use crate::http::resources::messages::new_message;
use crate::http::versioning::Patch;
use crate::ids;
use crate::store::{Change, ContactSpec, ConversationRow, NewContact, NewConversation};

/// Validates `input` and creates the conversation (looking up or creating its contact, and
/// posting its first message) in one transaction.
pub async fn create_conversation(
    state: &AppState,
    caller: &WorkspaceCaller,
    input: ConversationIn,
) -> ApiResult<ConversationRow> {
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
        attach::resolve(state, &caller.workspace, None, &mut check, "message.", message).await?;
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
    Ok(row)
}

/// Validates `patch` and applies it under the conversation's lock (honouring `if_match`).
pub async fn update_conversation(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
    if_match: Option<i64>,
    patch: &ConversationPatch,
) -> ApiResult<ConversationRow> {
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
        .update_conversation(&caller.workspace, id, if_match, &caller.actor(), now, |row| {
            apply_patch(row, patch, now)
        })
        .await?;
    Ok(row)
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
        events.push((EventKind::ConversationUpdated, Value::Object(changes)));
    }
    let mut assignment = Map::new();
    let assignee_id = patch.assignee_id.clone().apply(row.assignee_id.clone());
    changed(&mut assignment, "assignee_id", &mut row.assignee_id, assignee_id);
    let team_id = patch.team_id.clone().apply(row.team_id.clone());
    changed(&mut assignment, "team_id", &mut row.team_id, team_id);
    if !assignment.is_empty() {
        events.push((EventKind::ConversationAssigned, Value::Object(assignment)));
    }
    Ok(events)
}
