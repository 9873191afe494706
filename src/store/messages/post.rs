//! Posting messages. The rules run in memory, post after post, on the conversations as the
//! earlier posts left them; then the whole batch is written with a fixed handful of
//! statements (one multi-row INSERT for the messages, one UPDATE for the conversations, one
//! INSERT for the events), however many posts it holds, sent as one script (on SQLite, by
//! the post writer: see `group_commit`). A single post is a batch of one.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::AnyConnection;

use super::{MessageRow, NewMessage, Posted, map, message_event};
use crate::domain::conversation::{self as rules, MessageStatus, Mode, SenderType};
use crate::domain::handoff::{self, Command, Control};
use crate::domain::sentiment;
use crate::ids;
use crate::store::ai_responses::{self, QueuedAnswer};
use crate::store::conn::Conn;
use crate::store::conversations::{
    self, Changed, ConversationRow, MessageSummary, ModeChange, apply_transition, system_message,
};
use crate::store::events::{self, Actor, NewEvent};
use crate::store::sql::{Script, Sql, bind_row};
use crate::store::{Dialect, StoreError, WorkspaceId};

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
pub(crate) type Loaded = HashMap<(WorkspaceId, String), ConversationRow>;

/// Posts `jobs` in order inside the caller's transaction. The outer error is a database
/// failure (the transaction must be abandoned); the inner ones are each post's refusals,
/// decided before anything is written.
pub(crate) async fn post_batch(
    conn: &mut AnyConnection,
    dialect: Dialect,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    let loaded = load_conversations(conn, dialect, jobs).await?;
    post_loaded(conn, loaded, jobs).await
}

/// Like [`post_batch`], into conversations the caller has already loaded (and locked).
pub(crate) async fn post_loaded(
    conn: &mut AnyConnection,
    loaded: Loaded,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    let mut script = conn.script();
    let results = post_into(conn, &mut script, loaded, jobs).await?;
    conn.run(script).await?;
    Ok(results)
}

/// Decides every post, reading on `conn` what deciding needs, and adds the batch's writes to
/// `script`.
pub(crate) async fn post_into(
    conn: &mut impl Conn,
    script: &mut Script,
    mut loaded: Loaded,
    jobs: &[PostJob],
) -> Result<Vec<Result<Posted, StoreError>>, StoreError> {
    let mut known = known_messages(conn, jobs).await?;
    let mut batch = Batch::default();
    let results: Vec<_> = jobs.iter().map(|job| batch.decide(job, &mut loaded, &mut known)).collect();
    if !batch.messages.is_empty() {
        insert_messages(script, &batch.messages);
        let touched: Vec<_> = batch.touched.iter().filter_map(|key| loaded.get(key)).collect();
        update_conversations(script, &touched);
        events::append_to(conn, script, &batch.events).await?;
        ai_responses::queue(script, &batch.answers);
    }
    Ok(results)
}

/// The batch's conversations, locked.
pub(crate) async fn load_conversations(
    conn: &mut impl Conn,
    dialect: Dialect,
    jobs: &[PostJob],
) -> Result<Loaded, StoreError> {
    let mut by_workspace: HashMap<&WorkspaceId, Vec<String>> = HashMap::new();
    for job in jobs {
        let ids = by_workspace.entry(&job.ws).or_default();
        if !ids.contains(&job.conversation_id) {
            ids.push(job.conversation_id.clone());
        }
    }
    let mut loaded = Loaded::new();
    for (ws, ids) in by_workspace {
        let rows = conversations::load_many_for_update(&mut *conn, dialect, ws, &ids).await?;
        loaded.extend(rows.into_iter().map(|row| ((ws.clone(), row.id.clone()), row)));
    }
    Ok(loaded)
}

/// Stored messages the batch refers to: repeated `client_message_id`s and reply targets.
#[derive(Default)]
struct Known {
    by_client_id: HashMap<(String, String), MessageRow>,
    conversation_of: HashMap<String, String>,
}

impl Known {
    fn record(&mut self, message: &MessageRow) {
        self.conversation_of.insert(message.id.clone(), message.conversation_id.clone());
        if let Some(client_id) = &message.client_message_id {
            self.by_client_id.insert((message.conversation_id.clone(), client_id.clone()), message.clone());
        }
    }
}

async fn known_messages(conn: &mut impl Conn, jobs: &[PostJob]) -> Result<Known, StoreError> {
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
    let mut known = Known::default();
    if wanted {
        for row in conn.fetch_all(sql).await? {
            known.record(&map(&row)?);
        }
    }
    Ok(known)
}

/// What the batch will write.
#[derive(Default)]
struct Batch {
    messages: Vec<(WorkspaceId, MessageRow)>,
    events: Vec<NewEvent>,
    touched: Vec<(WorkspaceId, String)>,
    touched_set: HashSet<(WorkspaceId, String)>,
    /// Contact messages the AI is to answer.
    answers: Vec<QueuedAnswer>,
}

impl Batch {
    fn decide(
        &mut self,
        job: &PostJob,
        loaded: &mut Loaded,
        known: &mut Known,
    ) -> Result<Posted, StoreError> {
        let key = (job.ws.clone(), job.conversation_id.clone());
        let conversation = loaded.get_mut(&key).ok_or(StoreError::NotFound("conversation"))?;
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
    fn take_over(&mut self, job: &PostJob, conversation: &mut ConversationRow, known: &mut Known) {
        let member = job.input.sender_id.clone();
        let command = Command::StartHuman { member: member.as_deref(), force: false };
        self.change_control(job, conversation, known, command, (member.clone(), None), &job.actor);
    }

    /// A contact writing where the AI should answer but no agent is left (it was deleted):
    /// the conversation waits for a human instead of for nobody.
    fn ask_for_a_human(&mut self, job: &PostJob, conversation: &mut ConversationRow, known: &mut Known) {
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
        known: &mut Known,
        command: Command,
        who: (Option<String>, Option<(String, Option<String>)>),
        actor: &Actor,
    ) {
        let control = Control { mode: conversation.mode, member: None };
        let Ok(Some(transition)) = handoff::decide(control, command) else { return };
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
        known: &mut Known,
    ) {
        let before = conversation.status;
        apply(conversation, message, status, job.now);
        let data = message_event(conversation, message);
        let mut created =
            NewEvent::about(&job.ws, "message.created", conversation, &job.actor, data, job.now);
        if matches!(message.sender_type, SenderType::Agent | SenderType::Human) {
            created.reply = conversation.channel.as_ref().map(|c| (c.id.clone(), message.id.clone()));
        }
        self.events.push(created);
        if status != before {
            let data = Changed::new(conversation, StatusChange { status: [before, status] });
            let event = NewEvent::about(
                &job.ws,
                "conversation.status_changed",
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
    conversation.previous_message = conversation.last_message.take();
    conversation.last_message = Some(MessageSummary {
        id: message.id.clone(),
        preview: rules::preview(&message.content, message.kind),
        sender_type: message.sender_type,
        created_at: now,
    });
    conversation.last_message_at = now;
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

fn insert_messages(script: &mut Script, messages: &[(WorkspaceId, MessageRow)]) {
    let sql =
        script.statement(concat!("INSERT INTO messages (workspace_id, ", message_columns!(), ") VALUES "));
    for (i, (ws, m)) in messages.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        bind_row!(
            sql,
            ws.as_str().to_owned(),
            m.id.clone(),
            m.conversation_id.clone(),
            m.seq,
            m.sender_type.as_str().to_owned(),
            m.sender_id.clone(),
            m.kind.as_str().to_owned(),
            m.content.clone(),
            serde_json::to_string(&m.attachments).unwrap_or_else(|_| "[]".into()),
            m.status.as_str().to_owned(),
            m.failure_reason.clone(),
            m.client_message_id.clone(),
            m.in_reply_to.clone(),
            m.source.clone(),
            serde_json::Value::Object(m.metadata.clone()).to_string(),
            None::<String>,
            None::<String>,
            i64::from(m.deleted),
            m.created_at,
            m.updated_at,
        );
    }
}

/// Writes the columns a post changes, for every touched conversation in one statement, so
/// the indexes over other columns (priority, assignee, title search, …) are left alone.
fn update_conversations(script: &mut Script, rows: &[&ConversationRow]) {
    let sql = script.statement(
        "WITH v (id, status, snoozed_until, resolved_at, last_message_id, last_message_preview, \
         last_message_sender_type, last_message_at, prev_message_id, prev_message_preview, \
         prev_message_sender_type, prev_message_at, message_count, unread_count, first_response_at, \
         updated_at, version, mode, assignee_id, handoff_requested_at, handoff_requested_by, handoff_reason, \
         handoff_started_at, handoff_member_id, human_started_at, sentiment_score) AS (VALUES ",
    );
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let (last, prev) = (row.last_message.as_ref(), row.previous_message.as_ref());
        let handoff = &row.handoff;
        bind_row!(
            sql,
            row.id.clone(),
            row.status.as_str().to_owned(),
            row.snoozed_until,
            row.resolved_at,
            last.map(|m| m.id.clone()),
            last.map(|m| m.preview.clone()),
            last.map(|m| m.sender_type.as_str().to_owned()),
            row.last_message_at,
            prev.map(|m| m.id.clone()),
            prev.map(|m| m.preview.clone()),
            prev.map(|m| m.sender_type.as_str().to_owned()),
            prev.map(|m| m.created_at),
            row.message_count,
            row.unread_count,
            row.first_response_at,
            row.updated_at,
            row.version,
            row.mode.as_str().to_owned(),
            row.assignee_id.clone(),
            handoff.requested_at,
            handoff.requested_by.clone(),
            handoff.reason.clone(),
            handoff.started_at,
            handoff.member_id.clone(),
            row.human_started_at,
            row.sentiment_score,
        );
    }
    sql.push(
        ") UPDATE conversations SET status = v.status, snoozed_until = v.snoozed_until, \
         resolved_at = v.resolved_at, last_message_id = v.last_message_id, \
         last_message_preview = v.last_message_preview, last_message_sender_type = v.last_message_sender_type, \
         last_message_at = v.last_message_at, prev_message_id = v.prev_message_id, \
         prev_message_preview = v.prev_message_preview, prev_message_sender_type = v.prev_message_sender_type, \
         prev_message_at = v.prev_message_at, message_count = v.message_count, unread_count = v.unread_count, \
         first_response_at = v.first_response_at, updated_at = v.updated_at, version = v.version, \
         mode = v.mode, assignee_id = v.assignee_id, handoff_requested_at = v.handoff_requested_at, \
         handoff_requested_by = v.handoff_requested_by, handoff_reason = v.handoff_reason, \
         handoff_started_at = v.handoff_started_at, handoff_member_id = v.handoff_member_id, \
         human_started_at = v.human_started_at, sentiment_score = v.sentiment_score \
         FROM v WHERE conversations.id = v.id",
    );
}
