//! Handing a conversation between the AI and human agents. `domain::handoff` decides; this
//! writes the decision in one transaction that holds the row: the mode and handoff fields,
//! the event, and a `system` message in the thread. Concurrent commands are decided one
//! after the other on the row as it then is, so of two members taking the same conversation
//! exactly one wins.

use sqlx::AnyConnection;

use super::{Changed, ConversationRow, Handoff, ModeChange, load_for_update};
use crate::domain::conversation::{MessageType, Mode, Refusal, SenderType, Status};
use crate::domain::handoff::{self, Command, Control, Transition};
use crate::ids;
use crate::store::events::{self, Actor, Subject};
use crate::store::messages::{NewMessage, PostJob, Posted, post_loaded};
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

/// Applies `transition` to the row in memory: mode, handoff fields, assignee, timestamps.
/// Returns the text of the `system` message that records it in the thread.
pub(crate) fn apply_transition(
    row: &mut ConversationRow,
    transition: Transition,
    member: Option<String>,
    requested: Option<(String, Option<String>)>,
    now: i64,
) -> &'static str {
    row.mode = transition.to;
    row.version += 1;
    row.updated_at = now;
    match transition.to {
        Mode::HandoffRequested => {
            let (by, reason) = requested.unwrap_or_else(|| ("api".into(), None));
            row.handoff = Handoff {
                requested_at: Some(now),
                requested_by: Some(by),
                reason,
                started_at: None,
                member_id: None,
            };
            "A human agent was asked to join the conversation"
        }
        Mode::Human => {
            row.handoff.started_at = Some(now);
            if member.is_some() {
                row.assignee_id.clone_from(&member);
            }
            row.handoff.member_id = member;
            row.human_started_at.get_or_insert(now);
            "A human agent joined the conversation"
        }
        Mode::Ai => {
            row.handoff = Handoff::default();
            "The AI assistant is answering again"
        }
    }
}

/// The `system` message a transition adds to the thread.
pub(crate) fn system_message(text: &str) -> NewMessage {
    NewMessage {
        sender_type: SenderType::System,
        sender_id: None,
        kind: MessageType::System,
        content: text.to_owned(),
        attachments: vec![],
        client_message_id: None,
        in_reply_to: None,
        source: None,
        metadata: Default::default(),
    }
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
        let row = load_for_update(&mut tx, self.dialect(), ws, id).await?;
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
    // The AI can take it back only where an agent answers the conversation.
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
    let Some(transition) = handoff::decide(control, command).map_err(StoreError::Refused)? else {
        return Ok(row);
    };
    let member = handoff::member_after(control, command, transition).map(str::to_owned);
    let requested = match request {
        ControlRequest::RequestHuman { by, reason } => Some((by, reason)),
        _ => None,
    };
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
    let posted = post_loaded(tx, loaded, std::slice::from_ref(&job)).await?;
    if let Some(Posted::Created { conversation, .. }) = posted.into_iter().next().transpose()? {
        row = *conversation;
    }
    Ok(row)
}
