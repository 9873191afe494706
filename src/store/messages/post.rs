//! Posting messages. The rules run in memory, post after post, on the conversations as the
//! earlier posts left them; then the whole batch is written with a fixed handful of
//! statements (one multi-row INSERT for the messages, one UPDATE for the conversations, one
//! INSERT for the events), however many posts it holds, sent as one script (on SQLite, by
//! the post writer: see `group_commit`). A single post is a batch of one.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::{MessageRow, NewMessage, Posted, map, message_event, write};
use crate::domain::control::{self, Command, Control};
use crate::domain::conversation::{self as rules, MessageStatus, MessageType, Mode, SenderType};
use crate::domain::event_kind::EventKind;
use crate::domain::sentiment;
use crate::ids;
use crate::model::conversation::{ConversationRow, MessageSummary};
use crate::store::Entity;
use crate::store::ai_queue::{self, QueuedAnswer};
use crate::store::conn::Conn;
use crate::store::conversation_rows::{self, Changed, ModeChange, apply_transition};
use crate::store::events::{self, Actor, NewEvent};
use crate::store::sql::Sql;
use crate::store::{Backend, StoreError, WorkspaceId};

/// One message to post.
pub(crate) struct PostJob {
    pub ws: WorkspaceId,
    pub conversation_id: String,
    pub id: String,
    pub input: NewMessage,
    pub actor: Actor,
    pub now: i64,
}

/// Conversations by workspace and id, as the batch's posts leave them.
pub(crate) type BatchConversations = HashMap<(WorkspaceId, String), ConversationRow>;

/// Posts `jobs` in order, in the caller's transaction on `conn`: every way a message is
/// written (the API, the widget, a conversation's first message, a handoff's `system` line,
/// an AI answer, SQLite's shared commits) comes through here. `conversations` holds the
/// batch's conversations, loaded and locked by the caller ([`lock_conversations`]). The outer
/// error is a database failure (the transaction must be abandoned); the inner ones are each
/// post's refusals, decided before anything is written.
pub(crate) async fn post(
    conn: &mut impl Conn,
    mut conversations: BatchConversations,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    let mut referenced = referenced_messages(conn, jobs).await?;
    let mut batch = BatchWrites::default();
    let results: Vec<_> =
        jobs.iter().map(|job| batch.decide(job, &mut conversations, &mut referenced)).collect();
    if !batch.messages.is_empty() {
        let mut script = conn.script();
        write::insert_messages(&mut script, &batch.messages);
        write::link_files(&mut script, &batch.messages);
        let touched: Vec<_> = batch.touched.iter().filter_map(|key| conversations.get(key)).collect();
        write::update_conversations(&mut script, &touched);
        events::append_to(conn, &mut script, &batch.events).await?;
        ai_queue::queue(&mut script, &batch.answers);
        conn.run(script).await?;
    }
    Ok(results)
}

/// The batch's conversations, locked.
pub(crate) async fn lock_conversations(
    conn: &mut impl Conn,
    backend: Backend,
    jobs: &[PostJob],
) -> Result<BatchConversations, StoreError> {
    // Workspaces in order too (PostgreSQL batches may span several), so two batches never
    // lock each other's rows in turn.
    let mut by_workspace: BTreeMap<&str, (&WorkspaceId, Vec<String>)> = BTreeMap::new();
    for job in jobs {
        let (_, ids) = by_workspace.entry(job.ws.as_str()).or_insert_with(|| (&job.ws, Vec::new()));
        if !ids.contains(&job.conversation_id) {
            ids.push(job.conversation_id.clone());
        }
    }
    let mut loaded = BatchConversations::new();
    for (ws, ids) in by_workspace.into_values() {
        let rows = conversation_rows::load_many_for_update(&mut *conn, backend, ws, &ids).await?;
        loaded.extend(rows.into_iter().map(|row| ((ws.clone(), row.id.clone()), row)));
    }
    Ok(loaded)
}

/// Stored messages the batch refers to: repeated `client_message_id`s and reply targets.
#[derive(Default)]
struct ReferencedMessages {
    by_client_id: HashMap<(String, String), MessageRow>,
    conversation_of: HashMap<String, String>,
}

impl ReferencedMessages {
    fn record(&mut self, message: &MessageRow) {
        self.conversation_of.insert(message.id.clone(), message.conversation_id.clone());
        if let Some(client_id) = &message.client_message_id {
            self.by_client_id.insert((message.conversation_id.clone(), client_id.clone()), message.clone());
        }
    }
}

async fn referenced_messages(
    conn: &mut impl Conn,
    jobs: &[PostJob],
) -> Result<ReferencedMessages, StoreError> {
    let mut sql = Sql::new(concat!("SELECT ", message_columns!(), " FROM messages WHERE 1 = 0"));
    let mut wanted = false;
    for job in jobs {
        if let Some(client_id) = &job.input.client_message_id {
            sql.push(" OR (conversation_id = ").bind(job.conversation_id.clone());
            sql.push(" AND client_message_id = ").bind(client_id.clone()).push(")");
            wanted = true;
        }
        if let Some(reply_to) = &job.input.in_reply_to {
            sql.push(" OR id = ").bind(reply_to.clone());
            wanted = true;
        }
    }
    let mut known = ReferencedMessages::default();
    if wanted {
        for row in conn.fetch_all(sql).await? {
            known.record(&map(&row)?);
        }
    }
    Ok(known)
}

/// What the batch will write.
#[derive(Default)]
struct BatchWrites {
    messages: Vec<(WorkspaceId, MessageRow)>,
    events: Vec<NewEvent>,
    touched: Vec<(WorkspaceId, String)>,
    touched_set: HashSet<(WorkspaceId, String)>,
    /// Contact messages the AI is to answer.
    answers: Vec<QueuedAnswer>,
}

impl BatchWrites {
    fn decide(
        &mut self,
        job: &PostJob,
        loaded: &mut BatchConversations,
        known: &mut ReferencedMessages,
    ) -> Result<Posted, StoreError> {
        let key = (job.ws.clone(), job.conversation_id.clone());
        let conversation = loaded.get_mut(&key).ok_or(StoreError::NotFound(Entity::Conversation))?;
        let input = &job.input;
        if let Some(client_id) = &input.client_message_id
            && let Some(existing) = known.by_client_id.get(&(conversation.id.clone(), client_id.clone()))
        {
            return Ok(Posted::Existing(existing.clone()));
        }
        let status = rules::post_message(
            conversation.status,
            conversation.mode,
            input.sender_type,
            conversation.contact.blocked,
        )
        .map_err(StoreError::Refused)?;
        if let Some(reply_to) = &input.in_reply_to
            && known.conversation_of.get(reply_to) != Some(&conversation.id)
        {
            return Err(StoreError::InvalidReference("in_reply_to"));
        }
        if input.sender_type == SenderType::Human && conversation.mode != Mode::Human {
            self.take_over(job, conversation, known);
        }
        let message = new_row(conversation, &job.id, input, job.now);
        self.record(job, conversation, &message, status, known);
        if input.sender_type == SenderType::Contact
            && conversation.mode == Mode::Ai
            && conversation.agent_id.is_none()
        {
            self.ask_for_a_human(job, conversation, known);
        }
        if self.touched_set.insert(key.clone()) {
            self.touched.push(key);
        }
        Ok(Posted::Created { conversation: Box::new(conversation.clone()), message })
    }

    /// A human writing where the AI or nobody answers takes the conversation over first, as
    /// `start-human` would: the mode change, its event and its `system` message.
    fn take_over(
        &mut self,
        job: &PostJob,
        conversation: &mut ConversationRow,
        known: &mut ReferencedMessages,
    ) {
        let member = job.input.sender_id.clone();
        let command = Command::StartHuman { member: member.as_deref(), force: false };
        self.change_control(job, conversation, known, command, (member.clone(), None), &job.actor);
    }

    /// A contact writing where the AI should answer but no agent is left (it was deleted):
    /// the conversation waits for a human instead of for nobody.
    fn ask_for_a_human(
        &mut self,
        job: &PostJob,
        conversation: &mut ConversationRow,
        known: &mut ReferencedMessages,
    ) {
        let requested = Some(("system".to_owned(), Some("No AI agent answers this conversation".to_owned())));
        self.change_control(
            job,
            conversation,
            known,
            Command::RequestHuman,
            (None, requested),
            &Actor::system(),
        );
    }

    /// Applies a handoff command within the batch: the mode change, its event, its `system`
    /// message. `who` is the member taking over and who asked for a human (and why).
    fn change_control(
        &mut self,
        job: &PostJob,
        conversation: &mut ConversationRow,
        known: &mut ReferencedMessages,
        command: Command,
        who: (Option<String>, Option<(String, Option<String>)>),
        actor: &Actor,
    ) {
        let control = Control { mode: conversation.mode, member: None };
        let Ok(Some(transition)) = control::decide(control, command) else { return };
        let before = conversation.mode;
        let text = apply_transition(conversation, transition, who.0, who.1, job.now);
        let data = Changed::new(conversation, ModeChange { mode: [before, conversation.mode] });
        self.events.push(NewEvent::about(&job.ws, transition.event, conversation, actor, data, job.now));
        let notice = new_row(conversation, &ids::new_id("msg"), &system_message(text), job.now);
        self.record(job, conversation, &notice, conversation.status, known);
    }

    /// Adds `message` to the conversation and the batch, with its events.
    fn record(
        &mut self,
        job: &PostJob,
        conversation: &mut ConversationRow,
        message: &MessageRow,
        status: rules::Status,
        known: &mut ReferencedMessages,
    ) {
        let before = conversation.status;
        apply(conversation, message, status, job.now);
        let data = message_event(conversation, message);
        let mut created =
            NewEvent::about(&job.ws, EventKind::MessageCreated, conversation, &job.actor, data, job.now);
        if matches!(message.sender_type, SenderType::Agent | SenderType::Human) {
            created.reply = conversation.channel.as_ref().map(|c| (c.id.clone(), message.id.clone()));
        }
        self.events.push(created);
        if status != before {
            let data = Changed::new(conversation, StatusChange { status: [before, status] });
            let event = NewEvent::about(
                &job.ws,
                EventKind::ConversationStatusChanged,
                conversation,
                &job.actor,
                data,
                job.now,
            );
            self.events.push(event);
        }
        known.record(message);
        self.messages.push((job.ws.clone(), message.clone()));
        if message.sender_type == SenderType::Contact
            && conversation.mode == Mode::Ai
            && conversation.agent_id.is_some()
            && conversation.agent_version_id.is_some()
        {
            self.answers.push(QueuedAnswer {
                ws: job.ws.clone(),
                conversation_id: conversation.id.clone(),
                message_id: message.id.clone(),
                now: job.now,
            });
        }
    }
}

#[derive(Serialize)]
struct StatusChange {
    status: [rules::Status; 2],
}

fn new_row(conversation: &ConversationRow, id: &str, input: &NewMessage, now: i64) -> MessageRow {
    MessageRow {
        id: id.to_owned(),
        conversation_id: conversation.id.clone(),
        seq: conversation.message_count + 1,
        sender_type: input.sender_type,
        sender_id: input.sender_id.clone(),
        kind: input.kind,
        content: input.content.clone(),
        attachments: input.attachments.clone(),
        status: MessageStatus::Sent,
        failure_reason: None,
        client_message_id: input.client_message_id.clone(),
        in_reply_to: input.in_reply_to.clone(),
        source: input.source.clone(),
        metadata: input.metadata.clone(),
        feedback: None,
        deleted: false,
        created_at: now,
        updated_at: now,
    }
}

/// The conversation after `message`: its summaries, counters and status.
fn apply(conversation: &mut ConversationRow, message: &MessageRow, status: rules::Status, now: i64) {
    // System markers ("Jane took over") are not what anyone said: previews and activity
    // time skip them.
    if message.sender_type != SenderType::System {
        conversation.previous_message = conversation.last_message.take();
        conversation.last_message = Some(MessageSummary {
            id: message.id.clone(),
            preview: rules::preview(&message.content, message.kind),
            sender_type: message.sender_type,
            created_at: now,
        });
        conversation.last_message_at = now;
    }
    conversation.message_count = message.seq;
    match message.sender_type {
        SenderType::Contact => {
            conversation.unread_count += 1;
            conversation.sentiment_score = Some(sentiment::score(&message.content));
        }
        SenderType::Human | SenderType::Agent => {
            conversation.first_response_at.get_or_insert(now);
        }
        SenderType::System => {}
    }
    if status != conversation.status {
        conversation.status = status;
        conversation.resolved_at = None;
        conversation.snoozed_until = None;
    }
    conversation.version += 1;
    conversation.updated_at = now;
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
