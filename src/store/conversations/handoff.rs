//! Handing a conversation between the AI and human agents. `domain::control` decides; this
//! writes the decision in one transaction that holds the row: the mode and handoff fields,
//! the event, and a `system` message in the thread. Concurrent commands are decided one
//! after the other on the row as it then is, so of two members taking the same conversation
//! exactly one wins.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::ConversationRow;
use crate::domain::control::{self, Command, Control};
use crate::domain::conversation::{Mode, Refusal, Status};
use crate::domain::event_kind::EventKind;
use crate::ids;
use crate::model::conversation::AgentRef;
use crate::store::agents::resolve_answering_agent;
use crate::store::conversation_rows::{Changed, ModeChange, apply_transition, load_for_update, write};
use crate::store::events::{self, Actor, Subject};
use crate::store::messages::system_message;
use crate::store::messages::{PostJob, Posted, post};
use crate::store::{Store, StoreError, WorkspaceId};

/// A request to change who answers a conversation.
#[derive(Debug, Clone)]
pub enum ControlRequest {
    /// Ask for a human; `by` is who asked (`contact`, `agent`, `rule`, `member`, `api`).
    RequestHuman { by: String, reason: Option<String> },
    /// A human takes over (`member` if known); `force` takes it from another member.
    StartHuman { member: Option<String>, force: bool },
    /// Back to the AI.
    StopHuman,
}

impl Store {
    /// Changes who answers a conversation. Asking for where it already is changes nothing and
    /// returns it as it is.
    pub async fn change_control(
        &self,
        ws: &WorkspaceId,
        id: &str,
        request: ControlRequest,
        actor: &Actor,
        now: i64,
    ) -> Result<ConversationRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = load_for_update(&mut tx, self.backend(), ws, id).await?;
        let row = change_control_in(&mut tx, ws, row, request, actor, now).await?;
        self.commit(tx).await?;
        Ok(row)
    }
}

/// [`Store::change_control`] inside the caller's transaction, on the row it loaded for update.
pub(crate) async fn change_control_in(
    tx: &mut AnyConnection,
    ws: &WorkspaceId,
    mut row: ConversationRow,
    request: ControlRequest,
    actor: &Actor,
    now: i64,
) -> Result<ConversationRow, StoreError> {
    if row.status == Status::Closed {
        return Err(StoreError::Refused(Refusal::Closed));
    }
    // The AI can take it back where an agent answers the conversation: its own, else (handing
    // back one that never had one) its channel's or the workspace's, which it keeps from then on.
    let pinned = matches!(request, ControlRequest::StopHuman)
        && row.agent_id.is_none()
        && pin_answering_agent(tx, ws, &mut row).await?;
    let ai_available = row.agent_id.is_some();
    let command = match &request {
        ControlRequest::RequestHuman { .. } => Command::RequestHuman,
        ControlRequest::StartHuman { member, force } => {
            Command::StartHuman { member: member.as_deref(), force: *force }
        }
        ControlRequest::StopHuman => Command::StopHuman { ai_available },
    };
    let current_member = row.handoff.member_id.clone();
    let control = Control { mode: row.mode, member: current_member.as_deref() };
    let Some(transition) = control::decide(control, command).map_err(StoreError::Refused)? else {
        if let ControlRequest::RequestHuman { reason: Some(reason), .. } = &request {
            record_newer_reason(tx, ws, &mut row, reason, actor, now).await?;
        }
        return Ok(row);
    };
    let member = control::member_after(control, command, transition).map(str::to_owned);
    let requested = match request {
        ControlRequest::RequestHuman { by, reason } => Some((by, reason)),
        _ => None,
    };
    if pinned {
        // The post below writes the columns a post changes; the agent is written here.
        write(&mut *tx, ws, &row).await?;
    }
    let before = row.mode;
    let text = apply_transition(&mut row, transition, member, requested, now);
    // The system message's post writes the row, handoff columns included.
    let data = Changed::new(&row, ModeChange { mode: [before, row.mode] });
    events::append(&mut *tx, ws, transition.event, Subject::conversation(&row), actor, data, now).await?;

    let job = PostJob {
        ws: ws.clone(),
        conversation_id: row.id.clone(),
        id: ids::new_id("msg"),
        input: system_message(text),
        actor: actor.clone(),
        now,
    };
    let loaded = [((ws.clone(), row.id.clone()), row.clone())].into();
    let posted = post(&mut *tx, loaded, std::slice::from_ref(&job)).await?;
    if let Some(Posted::Created { conversation, .. }) = posted.into_iter().next().transpose()? {
        row = *conversation;
    }
    Ok(row)
}

/// A second request for a human while the conversation already waits for one keeps the newer
/// reason (whoever takes it sees why it is waiting now), with a `conversation.updated`.
async fn record_newer_reason(
    tx: &mut AnyConnection,
    ws: &WorkspaceId,
    row: &mut ConversationRow,
    reason: &str,
    actor: &Actor,
    now: i64,
) -> Result<(), StoreError> {
    if row.mode != Mode::HandoffRequested || row.handoff.reason.as_deref() == Some(reason) {
        return Ok(());
    }
    let before = row.handoff.reason.replace(reason.to_owned());
    row.version += 1;
    row.updated_at = now;
    write(&mut *tx, ws, row).await?;
    let data = Changed::new(row, json!({"handoff.reason": [before, reason]}));
    events::append(
        &mut *tx,
        ws,
        EventKind::ConversationUpdated,
        Subject::conversation(row),
        actor,
        data,
        now,
    )
    .await?;
    Ok(())
}

/// Gives a conversation without an agent the one that would answer it now (its channel's, else
/// the workspace's first), in memory; whether there was one.
async fn pin_answering_agent(
    tx: &mut AnyConnection,
    ws: &WorkspaceId,
    row: &mut ConversationRow,
) -> Result<bool, StoreError> {
    let channel = row.channel.as_ref().map(|c| c.id.clone());
    let Some((agent, version)) = resolve_answering_agent(&mut *tx, ws, None, channel.as_deref()).await?
    else {
        return Ok(false);
    };
    let shown = sqlx::query(
        "SELECT a.name, a.picture_url, v.number FROM agents a JOIN agent_versions v ON v.id = $2 WHERE a.id = $1",
    )
    .bind(agent.clone())
    .bind(version.clone())
    .fetch_one(&mut *tx)
    .await?;
    row.agent = Some(AgentRef {
        name: shown.try_get("name")?,
        picture_url: shown.try_get("picture_url")?,
        version_number: shown.try_get("number")?,
    });
    row.agent_id = Some(agent);
    row.agent_version_id = Some(version);
    Ok(true)
}
