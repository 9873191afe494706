//! An AI agent version's settings: what it answers with and when it hands off.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::ai_handoff::{DEFAULT_MIN_CONFIDENCE, DEFAULT_NEGATIVE_SENTIMENT_BELOW, Rules};

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Baton's own offline responder.
    #[default]
    Builtin,
    /// An OpenAI-compatible chat completions API.
    Openai,
}

/// When the AI hands the conversation to a human.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HandoffRules {
    /// Words or phrases (any inflection) whose mention always hands off: subjects that go to a
    /// human ("chargeback", "legal action"). Asking for a person in plain words always does.
    #[serde(default)]
    pub keywords: Vec<String>,
    pub max_ai_turns: Option<i64>,
    pub min_confidence: Option<f64>,
    pub negative_sentiment_below: Option<i64>,
    /// What the contact is told when handed off.
    pub message: Option<String>,
}

/// A version's settings, as written; never changed afterwards.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    #[serde(default)]
    pub instructions: String,
    pub greeting: Option<String>,
    #[serde(default)]
    pub provider: Provider,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// The environment variable holding the provider's API key (never the key itself).
    pub api_key_env: Option<String>,
    pub temperature: Option<f64>,
    #[serde(default)]
    pub handoff: HandoffRules,
}

impl HandoffRules {
    /// The rules as the responders apply them, defaults filled in.
    pub fn rules(&self) -> Rules {
        Rules {
            topics: self.keywords.clone(),
            max_ai_turns: self.max_ai_turns,
            min_confidence: self.min_confidence.unwrap_or(DEFAULT_MIN_CONFIDENCE),
            negative_sentiment_below: self
                .negative_sentiment_below
                .unwrap_or(DEFAULT_NEGATIVE_SENTIMENT_BELOW),
        }
    }
}
