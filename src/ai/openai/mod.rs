//! The `openai` responder: any OpenAI-compatible chat-completions server (OpenAI, llama.cpp's
//! server, vLLM, Ollama, …).
//!
//! The prompt carries the version's instructions, the retrieved passages and as much of the
//! recent thread as fits a token budget. The model asks for a person with the
//! `handoff_to_human` tool, or, on servers without tools, by starting its reply with
//! `HANDOFF:`. Answers are streamed; each request has a timeout and failed ones are retried a
//! bounded number of times. The version's rules (a request for a person, its topics, …) are
//! applied before the model is asked, as the builtin responder applies them.

mod reply;

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::{Responder, Turn};
use crate::domain::conversation::SenderType;
use crate::model::agent::AgentSettings;
use crate::outbound::{outbound_client, private_target, with_causes};
use crate::store::Answer;
use reply::{Reply, Stream};

/// Where `base_url` is left out.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Retries after a failed request (connection refused, timeout, 429, 5xx).
const RETRIES: u32 = 2;
/// Rough budget, in tokens (about four characters each), for the thread in the prompt.
const THREAD_TOKENS: usize = 1_500;
/// The most a reply may be, in tokens.
const MAX_TOKENS: u32 = 400;
/// Reply prefix by which a model without tools asks for a person.
const HANDOFF_PREFIX: &str = "HANDOFF:";

#[derive(Clone)]
pub struct OpenAi {
    http: reqwest::Client,
    allow_private: bool,
}

impl OpenAi {
    /// `timeout` bounds each request; private addresses are refused unless `allow_private`.
    pub fn new(timeout: Duration, allow_private: bool) -> Self {
        let user_agent = concat!("Baton/", env!("CARGO_PKG_VERSION"));
        OpenAi { http: outbound_client(timeout, allow_private, user_agent), allow_private }
    }

    async fn answer(&self, turn: &Turn<'_>) -> Result<Answer, String> {
        if let Some(handoff) = turn.handoff_by_rule() {
            return Ok(handoff);
        }
        let settings = turn.settings;
        let model = settings.model.clone().ok_or("the agent version names no model")?;
        let (url, key) = self.endpoint(settings)?;
        let mut body = json!({
            "model": model,
            "messages": prompt(turn),
            "stream": true,
            "max_tokens": MAX_TOKENS,
            "tools": [handoff_tool()],
            "tool_choice": "auto",
        });
        if let Some(temperature) = settings.temperature {
            body["temperature"] = json!(temperature);
        }
        let reply = match self.complete(&url, key.as_deref(), &body).await {
            // A server without tools refuses them: ask again, with the plain-text fallback.
            Err(Failure::Refused(text)) if text.contains("tool") => {
                let object = body.as_object_mut().expect("an object");
                object.remove("tools");
                object.remove("tool_choice");
                self.complete(&url, key.as_deref(), &body).await
            }
            // Some servers stream nothing when tools are offered (llama.cpp's Python server with
            // its function-calling chat format): ask again without streaming.
            Ok(Reply::Text(text)) if text.trim().is_empty() => {
                body["stream"] = json!(false);
                self.complete(&url, key.as_deref(), &body).await
            }
            other => other,
        }
        .map_err(|failure| failure.to_string())?;
        Ok(match reply {
            Reply::Handoff(reason) => turn.hand_off(reason),
            Reply::Text(text) => match text.trim().strip_prefix(HANDOFF_PREFIX) {
                Some(reason) => turn.hand_off(reason.trim().to_owned()),
                None if text.trim().is_empty() => return Err("the model answered nothing".into()),
                None => answered(turn, text.trim().to_owned()),
            },
        })
    }

    /// The completions URL of a version's server and its API key, if it names one.
    fn endpoint(&self, settings: &AgentSettings) -> Result<(String, Option<String>), String> {
        let base = settings.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL).trim_end_matches('/');
        let url = format!("{base}/chat/completions");
        let parsed = url::Url::parse(&url).map_err(|e| format!("base_url is not a URL: {e}"))?;
        if !self.allow_private && private_target(&parsed) {
            return Err("base_url is on loopback or a private network; start the server with \
                        --ai-allow-private to use a local model server"
                .into());
        }
        let key = match &settings.api_key_env {
            Some(name) => {
                Some(std::env::var(name).map_err(|_| format!("the environment variable {name} is not set"))?)
            }
            None => None,
        };
        Ok((url, key))
    }

    /// One completion, retried after failures worth retrying.
    async fn complete(&self, url: &str, key: Option<&str>, body: &Value) -> Result<Reply, Failure> {
        let mut attempt = 0;
        loop {
            match self.complete_once(url, key, body).await {
                Err(failure) if failure.is_transient() && attempt < RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(250 * 4u64.pow(attempt - 1))).await;
                }
                done => return done,
            }
        }
    }

    async fn complete_once(&self, url: &str, key: Option<&str>, body: &Value) -> Result<Reply, Failure> {
        let mut request =
            self.http.post(url).header("content-type", "application/json").body(body.to_string());
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let mut response = request.send().await.map_err(|e| Failure::Transient(describe(&e)))?;
        let status = response.status().as_u16();
        if status != 200 {
            let text = response.text().await.unwrap_or_default();
            let text: String = text.chars().take(300).collect();
            return Err(if status == 429 || status >= 500 {
                Failure::Transient(format!("the model server answered {status}: {text}"))
            } else {
                Failure::Refused(format!("the model server answered {status}: {text}"))
            });
        }
        let mut stream = Stream::default();
        while let Some(chunk) = response.chunk().await.map_err(|e| Failure::Transient(describe(&e)))? {
            if stream.feed(&chunk) {
                break;
            }
        }
        Ok(stream.reply())
    }
}

/// What `check` found a model server able to do.
#[derive(Debug)]
pub struct Check {
    /// A plain answer (its text), or why there was none.
    pub answered: Result<String, String>,
    /// A forced `handoff_to_human` call (its reason), or why it did not come back as one.
    pub hands_off: Result<String, String>,
}

/// Checks a model server the way Baton uses it: a streamed answer, and the handoff tool when
/// the model is made to call it. For operators setting up an `openai` agent (`baton ai-check`).
pub async fn check(base_url: &str, model: &str, key: Option<&str>, timeout: Duration) -> Check {
    let client = OpenAi::new(timeout, true);
    let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
    let ask = |content: &str| {
        json!({"model": model, "stream": true, "max_tokens": 64, "messages": [
            {"role": "system", "content": "You are a customer support assistant."},
            {"role": "user", "content": content}]})
    };
    let answered = match client.complete(&url, key, &ask("Say hello to the customer.")).await {
        Ok(Reply::Text(text)) if !text.trim().is_empty() => Ok(text),
        Ok(other) => Err(format!("no text came back: {other:?}")),
        Err(failure) => Err(failure.to_string()),
    };
    let mut forced = ask("I want to talk to a person.");
    forced["tools"] = json!([handoff_tool()]);
    forced["tool_choice"] = json!({"type": "function", "function": {"name": "handoff_to_human"}});
    let hands_off = match client.complete(&url, key, &forced).await {
        Ok(Reply::Handoff(reason)) => Ok(reason),
        Ok(Reply::Text(text)) => Err(format!("the model answered with text instead of the tool: {text:?}")),
        Err(failure) => Err(failure.to_string()),
    };
    Check { answered, hands_off }
}

impl Responder for OpenAi {
    fn respond<'a>(&'a self, turn: &'a Turn<'a>) -> BoxFuture<'a, Result<Answer, String>> {
        Box::pin(self.answer(turn))
    }

    fn summarize<'a>(&'a self, turn: &'a Turn<'a>) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let (url, key) = self.endpoint(turn.settings)?;
            let mut messages = prompt(turn);
            messages[0] = json!({"role": "system", "content": "Summarize this customer support conversation for the \
                support team in at most two sentences: what the customer wanted and how it ended."});
            let body = json!({"model": turn.settings.model, "messages": messages, "stream": false, "max_tokens": 120});
            match self.complete(&url, key.as_deref(), &body).await.map_err(|f| f.to_string())? {
                Reply::Text(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
                _ => Err("the model wrote no summary".into()),
            }
        })
    }
}

#[derive(Debug)]
enum Failure {
    /// Worth another try: no connection, a timeout, 429 or 5xx.
    Transient(String),
    /// The server refused the request as made.
    Refused(String),
}

impl Failure {
    fn is_transient(&self) -> bool {
        matches!(self, Failure::Transient(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Transient(text) | Failure::Refused(text) => f.write_str(text),
        }
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the model server did not answer in time".into()
    } else if error.is_connect() {
        format!("could not connect to the model server: {}", with_causes(error))
    } else {
        format!("the model server request failed: {}", with_causes(error))
    }
}

fn handoff_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "handoff_to_human",
        "description": "Pass the conversation to a human support agent: when the customer asks for a person, \
                        is upset, or you cannot help from the information you have.",
        "parameters": {"type": "object", "properties": {
            "reason": {"type": "string", "description": "Why a person should take over, in a few words."}
        }, "required": ["reason"]}
    }})
}

/// The messages of the prompt: instructions with the passages, then the thread (newest kept).
fn prompt(turn: &Turn) -> Vec<Value> {
    let mut system = if turn.settings.instructions.trim().is_empty() {
        "You are a helpful customer support assistant. Answer briefly and kindly.".to_owned()
    } else {
        turn.settings.instructions.clone()
    };
    if !turn.passages.is_empty() {
        system.push_str("\n\nAnswer from these help-centre passages when they answer the question:");
        for (i, passage) in turn.passages.iter().enumerate() {
            let url = passage.url.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
            system.push_str(&format!("\n\n[{}] {}{url}\n{}", i + 1, passage.title, passage.text));
        }
    }
    system.push_str(&format!(
        "\n\nIf the customer asks for a person or you cannot help, call the handoff_to_human tool \
         (or, without tools, reply with \"{HANDOFF_PREFIX} <reason>\")."
    ));
    let mut thread = Vec::new();
    let mut budget = THREAD_TOKENS * 4;
    for message in turn.thread.iter().rev().filter(|m| !m.deleted) {
        let role = match message.sender_type {
            SenderType::Contact => "user",
            SenderType::Agent | SenderType::Human => "assistant",
            SenderType::System => continue,
        };
        if message.content.len() > budget && !thread.is_empty() {
            break;
        }
        budget = budget.saturating_sub(message.content.len());
        let content: String = message.content.chars().take(THREAD_TOKENS * 4).collect();
        thread.push(json!({"role": role, "content": content}));
    }
    thread.reverse();
    let mut messages = vec![json!({"role": "system", "content": system})];
    messages.extend(thread);
    messages
}

fn answered(turn: &Turn, text: String) -> Answer {
    let mut metadata = Map::new();
    let sources: Vec<Value> = turn
        .passages
        .iter()
        .map(|p| json!({"article_id": p.article_id, "title": p.title, "url": p.url}))
        .collect();
    if !sources.is_empty() {
        metadata.insert("sources".into(), Value::Array(sources));
    }
    if let Some(model) = &turn.settings.model {
        metadata.insert("model".into(), Value::String(model.clone()));
    }
    let content = match (&turn.settings.greeting, turn.is_first()) {
        (Some(greeting), true) => format!("{greeting}\n\n{text}"),
        _ => text,
    };
    Answer { content: Some(content), metadata, handoff: None }
}
