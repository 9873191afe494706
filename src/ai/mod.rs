//! The AI that answers contacts: the `Responder` interface, its providers, and the worker that
//! runs response jobs (`runner`).

pub mod builtin;
pub mod embed;
pub mod eval;
pub mod openai;
pub mod runner;
pub mod semantic;

use futures_util::future::BoxFuture;

use crate::domain::ai_handoff;
use crate::domain::conversation::SenderType;
use crate::model::agent::AgentSettings;
use crate::store::{Answer, FoundPassage, MessageRow};

pub use runner::AiRunner;

/// How the AI reaches model servers.
#[derive(Debug, Clone)]
pub struct AiSettings {
    /// How long one request to a model server may take.
    pub timeout: std::time::Duration,
    /// Whether model servers on loopback or private networks may be used (a local model).
    pub allow_private: bool,
    /// Where the sentence-embedding model's files are; semantic retrieval is on when they are.
    pub embedding_model: Option<std::path::PathBuf>,
}

impl Default for AiSettings {
    fn default() -> Self {
        AiSettings {
            timeout: std::time::Duration::from_secs(60),
            allow_private: false,
            embedding_model: None,
        }
    }
}

/// What the contact is told when handed to a human, unless the version says otherwise.
pub const DEFAULT_HANDOFF_MESSAGE: &str =
    "I'm passing you to a member of our team. They will reply here as soon as they can.";

/// Metadata key on AI messages: the answer was one the AI was not confident of.
pub const UNSURE: &str = "unsure";

/// Everything a responder answers from.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    pub settings: &'a AgentSettings,
    /// The latest messages, oldest first.
    pub thread: &'a [MessageRow],
    /// Knowledge passages retrieved for `pending`, best first.
    pub passages: &'a [FoundPassage],
    /// The contact's messages since the last answer, joined: what to answer.
    pub pending: String,
    /// The contact's last message, and the one before it.
    pub last: &'a str,
    pub previous: Option<&'a str>,
    /// Answers the AI gave since it last took the conversation.
    pub ai_turns: i64,
    /// The AI's latest answers it was unsure of, in a row.
    pub unsure_in_a_row: i64,
    /// The semantic tier found `pending` close to a request for a person.
    pub sounds_like_asking_for_a_person: bool,
}

impl<'a> Turn<'a> {
    pub fn new(
        settings: &'a AgentSettings,
        thread: &'a [MessageRow],
        passages: &'a [FoundPassage],
        ai_turns: i64,
    ) -> Self {
        let answered_up_to = thread.iter().rposition(|m| m.sender_type != SenderType::Contact);
        let pending: Vec<&str> = thread[answered_up_to.map_or(0, |i| i + 1)..]
            .iter()
            .filter(|m| !m.deleted)
            .map(|m| m.content.as_str())
            .collect();
        let mut contact = thread.iter().rev().filter(|m| m.sender_type == SenderType::Contact && !m.deleted);
        let last = contact.next().map_or("", |m| m.content.as_str());
        let previous = contact.next().map(|m| m.content.as_str());
        let unsure_in_a_row = thread
            .iter()
            .rev()
            .filter(|m| m.sender_type != SenderType::Contact)
            .take_while(|m| {
                m.sender_type == SenderType::Agent && m.metadata.get(UNSURE) == Some(&true.into())
            })
            .count() as i64;
        Turn {
            settings,
            thread,
            passages,
            pending: pending.join("\n"),
            last,
            previous,
            ai_turns,
            unsure_in_a_row,
            sounds_like_asking_for_a_person: false,
        }
    }

    /// The rules' view of this turn.
    pub fn rules_turn(&self) -> ai_handoff::Turn<'_> {
        ai_handoff::Turn {
            message: &self.pending,
            previous: self.previous.filter(|_| !self.last.is_empty()),
            ai_turns: self.ai_turns,
            unsure_in_a_row: self.unsure_in_a_row,
            sounds_like_asking_for_a_person: self.sounds_like_asking_for_a_person,
        }
    }

    /// Whether the AI has not answered in this conversation yet.
    pub fn is_first(&self) -> bool {
        self.ai_turns == 0 && !self.thread.iter().any(|m| m.sender_type == SenderType::Agent)
    }

    /// Whether the contact saw the greeting before writing: the widget shows it above the
    /// conversation, so the first answer need not repeat it.
    pub fn saw_greeting(&self) -> bool {
        let first = self.thread.iter().find(|m| m.sender_type == SenderType::Contact);
        first.is_some_and(|m| m.source.as_deref() == Some("widget"))
    }

    /// The handoff the version's rules call for before any answer (a request for a person, a
    /// human-only topic, persistent anger, no turns left), whatever the provider.
    pub fn handoff_by_rule(&self) -> Option<Answer> {
        let reason = ai_handoff::before_answering(&self.settings.handoff.rules(), &self.rules_turn())?;
        Some(self.hand_off(reason.describe()))
    }

    /// Handing off: the contact is told the version's handoff message; `reason` is kept.
    pub fn hand_off(&self, reason: String) -> Answer {
        let message =
            self.settings.handoff.message.clone().unwrap_or_else(|| DEFAULT_HANDOFF_MESSAGE.to_owned());
        let mut metadata = serde_json::Map::new();
        metadata.insert("handoff_reason".into(), serde_json::Value::String(reason.clone()));
        Answer { content: Some(message), metadata, handoff: Some(reason) }
    }
}

/// A provider of answers. `Err` is a failure to answer (the conversation goes to a human).
pub trait Responder: Send + Sync {
    fn respond<'a>(&'a self, turn: &'a Turn<'a>) -> BoxFuture<'a, Result<Answer, String>>;

    /// A short summary of a resolved conversation, for the team (`thread` is what it read).
    fn summarize<'a>(&'a self, turn: &'a Turn<'a>) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            builtin::summary(turn.thread, turn.settings.greeting.as_deref())
                .ok_or_else(|| "nothing to summarize".to_owned())
        })
    }
}
