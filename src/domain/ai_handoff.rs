//! When the AI hands a conversation to a human: an agent version's rules applied to a turn.

use super::{intent, sentiment};

/// A version's handoff rules with their defaults filled in.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Subjects that always go to a human ("legal action", "chargeback").
    pub topics: Vec<String>,
    pub max_ai_turns: Option<i64>,
    /// Answers below this confidence (0–1) say "I don't know"; two in a row hand off.
    pub min_confidence: f64,
    /// Two contact messages in a row scoring below this (0–100) hand off.
    pub negative_sentiment_below: i64,
}

pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.35;
pub const DEFAULT_NEGATIVE_SENTIMENT_BELOW: i64 = 25;

impl Default for Rules {
    fn default() -> Self {
        Rules {
            topics: Vec::new(),
            max_ai_turns: None,
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            negative_sentiment_below: DEFAULT_NEGATIVE_SENTIMENT_BELOW,
        }
    }
}

/// What the AI knows of the conversation when a contact writes.
#[derive(Debug, Clone, Default)]
pub struct Turn<'a> {
    /// The contact's message(s) awaiting an answer.
    pub message: &'a str,
    /// The contact's message before those, if any.
    pub previous: Option<&'a str>,
    /// Answers the AI has given in this conversation.
    pub ai_turns: i64,
    /// The AI's answers just before this turn that it was not confident of, in a row.
    pub unsure_in_a_row: i64,
    /// The semantic tier finds the message close to a request for a person.
    pub sounds_like_asking_for_a_person: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    AskedForPerson,
    Topic(String),
    NegativeSentiment,
    TooManyTurns,
    LowConfidence,
}

impl Reason {
    /// The handoff reason shown to members.
    pub fn describe(&self) -> String {
        match self {
            Reason::AskedForPerson => "The customer asked for a person".into(),
            Reason::Topic(topic) => format!("The conversation is about \"{topic}\", which goes to a human"),
            Reason::NegativeSentiment => "The customer is upset".into(),
            Reason::TooManyTurns => "The AI answered as many times as it may".into(),
            Reason::LowConfidence => "The AI could not find an answer twice in a row".into(),
        }
    }
}

/// The rules that do not depend on the answer: asked for a person, a human-only topic, upset
/// twice in a row, out of turns.
pub fn before_answering(rules: &Rules, turn: &Turn) -> Option<Reason> {
    let reworded = turn.sounds_like_asking_for_a_person && !intent::declines(turn.message);
    if intent::asks_for_person(turn.message) || reworded {
        return Some(Reason::AskedForPerson);
    }
    if let Some(topic) = intent::topic_in(turn.message, &rules.topics) {
        return Some(Reason::Topic(topic.to_owned()));
    }
    let upset = |text: &str| sentiment::score(text) < rules.negative_sentiment_below;
    if upset(turn.message) && turn.previous.is_some_and(upset) {
        return Some(Reason::NegativeSentiment);
    }
    if rules.max_ai_turns.is_some_and(|max| turn.ai_turns >= max) {
        return Some(Reason::TooManyTurns);
    }
    None
}

/// Whether an answer of `confidence` is one the AI should not give, and whether it is the
/// second such in a row (a handoff).
pub fn unsure(rules: &Rules, turn: &Turn, confidence: f64) -> (bool, Option<Reason>) {
    let unsure = confidence < rules.min_confidence;
    let handoff = (unsure && turn.unsure_in_a_row >= 1).then_some(Reason::LowConfidence);
    (unsure, handoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_hands_off_on_its_own() {
        let rules = Rules { topics: vec!["chargeback".into()], max_ai_turns: Some(3), ..Rules::default() };
        let turn = |message| Turn { message, ..Turn::default() };
        assert_eq!(before_answering(&rules, &turn("Let me talk to a person")), Some(Reason::AskedForPerson));
        assert_eq!(
            before_answering(&rules, &turn("I filed a chargeback")),
            Some(Reason::Topic("chargeback".into()))
        );
        let angry =
            Turn { message: "This is unacceptable", previous: Some("Awful service"), ..Turn::default() };
        assert_eq!(before_answering(&rules, &angry), Some(Reason::NegativeSentiment));
        let once = Turn { previous: Some("Where is my order?"), ..angry };
        assert_eq!(before_answering(&rules, &once), None, "upset once is not a pattern");
        let tired = Turn { message: "And the warranty?", ai_turns: 3, ..Turn::default() };
        assert_eq!(before_answering(&rules, &tired), Some(Reason::TooManyTurns));
        assert_eq!(before_answering(&rules, &turn("Where is my order?")), None);
    }

    #[test]
    fn a_second_unsure_answer_in_a_row_hands_off() {
        let rules = Rules::default();
        let first = Turn { message: "?", ..Turn::default() };
        assert_eq!(unsure(&rules, &first, 0.1), (true, None));
        let second = Turn { unsure_in_a_row: 1, ..first.clone() };
        assert_eq!(unsure(&rules, &second, 0.1), (true, Some(Reason::LowConfidence)));
        assert_eq!(unsure(&rules, &second, 0.9), (false, None));
    }
}
