//! The builtin responder measured on the labelled set in `eval/`: handoff precision and recall
//! (`handoff.jsonl`: customer messages, some after an earlier one, labelled whether a person
//! should take over) and retrieval hit@1 (`retrieval.jsonl`: questions and the article that
//! answers them, from `knowledge.json`).
//!
//! It runs the real thing: a fresh SQLite database, the agent and articles stored through the
//! store, each conversation's messages posted and answered by the AI worker; a message counts
//! as handed off when its conversation left `ai` mode.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::AiRunner;
use super::semantic::Semantic;
use crate::auth::{KeyKind, generate_key};
use crate::clock::{Clock, SystemClock};
use crate::domain::conversation::{MessageType, Mode, SenderType};
use crate::ids;
use crate::store::{
    Actor, AgentFields, ContactSpec, NewArticle, NewContact, NewConversation, NewMessage, Store, WorkspaceId,
};

#[derive(Deserialize)]
struct Knowledge {
    agent: Value,
    articles: Vec<Article>,
}

#[derive(Deserialize)]
struct Article {
    key: String,
    title: String,
    body: String,
    url: Option<String>,
}

#[derive(Deserialize)]
struct Labelled {
    message: String,
    handoff: bool,
    #[serde(default)]
    previous: Vec<String>,
}

#[derive(Deserialize)]
struct Question {
    question: String,
    article: String,
}

/// What the evaluation found; `misses` names every wrong call.
#[derive(Debug, Default)]
pub struct Report {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
    pub hits: usize,
    pub questions: usize,
    pub misses: Vec<String>,
}

impl Report {
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }
    pub fn hit_at_1(&self) -> f64 {
        ratio(self.hits, self.questions)
    }
    pub fn labelled(&self) -> usize {
        self.true_positives + self.false_positives + self.false_negatives + self.true_negatives
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Runs an evaluation set on a fresh database in a temporary directory: `dir` holds
/// `knowledge.json`, `set` (a folder inside it, or `dir` itself) the two labelled files.
/// `semantic` is the semantic tier to run with (off: keyword only).
pub async fn run(dir: &Path, set: &Path, semantic: Semantic) -> Result<Report, Failure> {
    let knowledge: Knowledge = serde_json::from_str(&std::fs::read_to_string(dir.join("knowledge.json"))?)?;
    let labelled: Vec<Labelled> = lines(&dir.join(set).join("handoff.jsonl"))?;
    let questions: Vec<Question> = lines(&dir.join(set).join("retrieval.jsonl"))?;

    let scratch = std::env::temp_dir().join(ids::new_id("baton-eval"));
    std::fs::create_dir_all(&scratch)?;
    let result = evaluate(&scratch, &knowledge, &labelled, &questions, semantic).await;
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, Failure> {
    let text = std::fs::read_to_string(path)?;
    let parsed: Result<Vec<T>, _> =
        text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect();
    Ok(parsed.map_err(|e| format!("{}: {e}", path.display()))?)
}

async fn evaluate(
    scratch: &Path,
    knowledge: &Knowledge,
    labelled: &[Labelled],
    questions: &[Question],
    semantic: Semantic,
) -> Result<Report, Failure> {
    let store = Store::connect(&format!("sqlite://{}", scratch.join("eval.db").display())).await?;
    store.migrate().await?;
    let clock = Arc::new(SystemClock);
    let now = clock.now_ms();
    let key = generate_key(KeyKind::Server, "eval");
    let (workspace, _) =
        store.bootstrap(&ids::new_id("ws"), &key.record, now).await?.ok_or("not a fresh database")?;
    let ws = WorkspaceId::trusted(workspace.id);
    let fields = AgentFields { name: "Evaluation".into(), picture_url: None, description: None };
    let agent = store
        .create_agent(&ws, &ids::new_id("agent"), &ids::new_id("agv"), &fields, &knowledge.agent, now)
        .await?;
    let mut keys = HashMap::new();
    for article in &knowledge.articles {
        let fields = NewArticle {
            agent_id: None,
            title: article.title.clone(),
            body: article.body.clone(),
            url: article.url.clone(),
        };
        let row = store.create_article(&ws, &ids::new_id("kb"), &fields, now).await?;
        keys.insert(row.id, article.key.clone());
    }

    semantic.embed_passages(&store).await?;
    let mut report = Report::default();
    for question in questions {
        let vector = semantic.vector(&question.question).await;
        let found =
            store.search_knowledge(&ws, Some(&agent.id), &question.question, vector.as_deref(), 1).await?;
        let top = found.first().and_then(|p| keys.get(&p.article_id)).map_or("nothing", String::as_str);
        report.questions += 1;
        if top == question.article {
            report.hits += 1;
        } else {
            report
                .misses
                .push(format!("retrieval: {:?} found {top}, not {}", question.question, question.article));
        }
    }

    let runner = AiRunner::new(store.clone(), clock.clone(), &super::AiSettings::default(), semantic);
    for (n, item) in labelled.iter().enumerate() {
        let mut messages = item.previous.iter().chain([&item.message]);
        let first = messages.next().expect("at least the message");
        let contact = NewContact { email: Some(format!("eval{n}@example.com")), ..NewContact::default() };
        let input = NewConversation {
            agent_id: Some(agent.id.clone()),
            first_message: Some((ids::new_id("msg"), contact_message(first))),
            ..NewConversation::for_contact(ContactSpec::Lookup(contact))
        };
        let conversation =
            store.create_conversation(&ws, &ids::new_id("conv"), &input, &Actor::system(), now).await?;
        while runner.answer_due().await? > 0 {}
        for message in messages {
            let id = ids::new_id("msg");
            store
                .post_message(&ws, &conversation.id, &id, &contact_message(message), &Actor::system(), now)
                .await?;
            while runner.answer_due().await? > 0 {}
        }
        let after = store.get_conversation(&ws, &conversation.id).await?.ok_or("conversation vanished")?;
        let handed_off = after.mode != Mode::Ai;
        match (handed_off, item.handoff) {
            (true, true) => report.true_positives += 1,
            (false, false) => report.true_negatives += 1,
            (true, false) => report.false_positives += 1,
            (false, true) => report.false_negatives += 1,
        }
        if handed_off != item.handoff {
            let reason = after.handoff.reason.unwrap_or_default();
            report.misses.push(format!("handoff: {:?} → {handed_off} ({reason})", item.message));
        }
    }
    store.close().await;
    Ok(report)
}

fn contact_message(content: &str) -> NewMessage {
    NewMessage {
        sender_type: SenderType::Contact,
        sender_id: None,
        kind: MessageType::Text,
        content: content.to_owned(),
        attachments: vec![],
        client_message_id: None,
        in_reply_to: None,
        source: None,
        metadata: Default::default(),
    }
}
