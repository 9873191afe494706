//! The builtin responder: Baton's offline default, with no generative model. It answers with
//! the best knowledge passage verbatim and cites its article, greets on the first message,
//! says plainly when it does not know, and hands off by the version's rules.

use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::{Responder, Turn, UNSURE};
use crate::domain::ai_handoff;
use crate::domain::conversation::SenderType;
use crate::domain::{sentiment, text};
use crate::store::{Answer, MessageRow};

pub const DONT_KNOW: &str = "I'm sorry, I don't know the answer to that. Could you put it another way? \
     If you would rather talk to a person, just say so.";
const HOW_CAN_I_HELP: &str = "How can I help you today?";
const YOU_ARE_WELCOME: &str = "Glad to help! Is there anything else I can do for you?";

#[derive(Debug, Default, Clone, Copy)]
pub struct Builtin;

impl Responder for Builtin {
    fn respond<'a>(&'a self, turn: &'a Turn<'a>) -> BoxFuture<'a, Result<Answer, String>> {
        Box::pin(async move { Ok(answer(turn)) })
    }
}

/// The builtin answer to a turn: pure, so it is tested without a database.
pub fn answer(turn: &Turn) -> Answer {
    if let Some(handoff) = turn.handoff_by_rule() {
        return handoff;
    }
    let (rules, rules_turn) = (turn.settings.handoff.rules(), turn.rules_turn());
    let greeting =
        (turn.is_first() && !turn.saw_greeting()).then(|| turn.settings.greeting.clone()).flatten();
    let with_greeting = |body: &str| match &greeting {
        Some(greeting) => format!("{greeting}\n\n{body}"),
        None => body.to_owned(),
    };
    // Thanks and hellos are small talk, not questions it failed to answer.
    if !turn.is_first() && (is_thanks(&turn.pending) || is_acknowledgement(&turn.pending)) {
        return Answer { content: Some(YOU_ARE_WELCOME.to_owned()), ..Answer::default() };
    }
    if text::query_terms(&turn.pending).is_empty() {
        let reply = greeting.clone().unwrap_or_else(|| HOW_CAN_I_HELP.to_owned());
        return Answer { content: Some(reply), ..Answer::default() };
    }
    let best = turn.passages.first();
    let confidence = best.map_or(0.0, |p| p.score);
    let (unsure, handoff) = ai_handoff::unsure(&rules, &rules_turn, confidence);
    if let Some(reason) = handoff {
        return turn.hand_off(reason.describe());
    }
    let mut metadata = Map::new();
    metadata.insert("confidence".into(), json!((confidence * 1000.0).round() / 1000.0));
    metadata.insert(UNSURE.into(), Value::Bool(unsure));
    let content = match best {
        Some(passage) if !unsure => {
            metadata.insert(
                "sources".into(),
                json!([{"article_id": passage.article_id, "title": passage.title, "url": passage.url}]),
            );
            let source = match &passage.url {
                Some(url) => format!("Source: {} ({url})", passage.title),
                None => format!("Source: {}", passage.title),
            };
            with_greeting(&format!("{}\n\n{source}", passage.text))
        }
        _ => with_greeting(DONT_KNOW),
    };
    Answer { content: Some(content), metadata, handoff: None }
}

/// An extractive summary: what the contact asked (their first message with a question in
/// it) and the last answer they got, quoted, each cut at a sentence end.
/// `greeting` (the version's) is left out of the answer quoted.
pub fn summary(thread: &[MessageRow], greeting: Option<&str>) -> Option<String> {
    let contact = thread.iter().filter(|m| m.sender_type == SenderType::Contact && !m.deleted);
    let asked =
        contact.clone().find(|m| !text::query_terms(&m.content).is_empty()).or(contact.clone().next())?;
    let answered = thread
        .iter()
        .rev()
        .find(|m| matches!(m.sender_type, SenderType::Agent | SenderType::Human) && !m.deleted);
    let mut out = format!("The customer asked: \"{}\"", excerpt(&asked.content));
    if let Some(answer) = answered {
        let who = if answer.sender_type == SenderType::Human { "a team member" } else { "the AI" };
        let content = greeting
            .and_then(|g| answer.content.strip_prefix(g))
            .map_or(answer.content.as_str(), str::trim_start);
        out.push_str(&format!(" Last answer, from {who}: \"{}\"", excerpt(content)));
    }
    Some(out)
}

/// The text up to its first sentence end after 40 characters, at most about 200.
fn excerpt(text: &str) -> String {
    let text = text.split("\n\nSource:").next().unwrap_or(text).trim();
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        let count = out.chars().count();
        if (matches!(c, '.' | '!' | '?') && count >= 40) || count >= 200 {
            break;
        }
    }
    if out.chars().count() < text.chars().count() && !out.ends_with(['.', '!', '?']) {
        out.push('…');
    }
    out.replace('\n', " ")
}

/// "Thanks, that's all I needed" — gratitude without a further question.
fn is_thanks(message: &str) -> bool {
    let words = text::words(message);
    !message.contains('?')
        && words.iter().any(|w| matches!(w.as_str(), "thanks" | "thank" | "thx" | "cheers" | "ty"))
        && sentiment::score(message) > 50
}

/// "OK", "Fine, I'll try that", "Got it": the contact acknowledged the last answer.
fn is_acknowledgement(message: &str) -> bool {
    const WORDS: &[&str] = &[
        "ok",
        "okay",
        "fine",
        "sure",
        "alright",
        "right",
        "cool",
        "got",
        "it",
        "ill",
        "i",
        "try",
        "that",
        "will",
        "do",
        "understood",
        "noted",
        "yes",
        "yep",
        "great",
        "good",
        "perfect",
        "then",
        "wait",
    ];
    let words = text::words(message);
    !message.contains('?') && !words.is_empty() && words.iter().all(|w| WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::{MessageStatus, MessageType};
    use crate::model::agent::{AgentSettings, HandoffRules};
    use crate::store::FoundPassage;

    fn message(sender_type: SenderType, content: &str, metadata: Map<String, Value>) -> MessageRow {
        MessageRow {
            id: "msg".into(),
            conversation_id: "conv".into(),
            seq: 1,
            sender_type,
            sender_id: None,
            kind: MessageType::Text,
            content: content.into(),
            attachments: vec![],
            status: MessageStatus::Sent,
            failure_reason: None,
            client_message_id: None,
            in_reply_to: None,
            source: None,
            metadata,
            feedback: None,
            deleted: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn contact(content: &str) -> MessageRow {
        message(SenderType::Contact, content, Map::new())
    }

    fn passage(score: f64) -> FoundPassage {
        FoundPassage {
            article_id: "kb_1".into(),
            title: "Returns".into(),
            url: Some("https://help.example.com/returns".into()),
            text: "Return any item within 30 days.".into(),
            position: 0,
            score,
        }
    }

    fn settings() -> AgentSettings {
        AgentSettings {
            greeting: Some("Hi, I'm Ava.".into()),
            handoff: HandoffRules { keywords: vec!["chargeback".into()], ..HandoffRules::default() },
            ..AgentSettings::default()
        }
    }

    #[test]
    fn answers_with_the_best_passage_cited_and_greets_first() {
        let settings = settings();
        let thread = [contact("Can I return my kettle?")];
        let passages = [passage(0.9)];
        let answer = answer(&Turn::new(&settings, &thread, &passages, 0));
        let content = answer.content.unwrap();
        assert!(content.starts_with("Hi, I'm Ava.\n\nReturn any item within 30 days."), "{content}");
        assert!(content.ends_with("Source: Returns (https://help.example.com/returns)"));
        assert_eq!(answer.handoff, None);
        assert_eq!(answer.metadata["sources"][0]["article_id"], "kb_1");

        let later = answer_for(&settings, &[contact("Can I return it?")], &passages, 2);
        assert!(later.content.unwrap().starts_with("Return any item"), "greets only once");
    }

    fn answer_for(
        settings: &AgentSettings,
        thread: &[MessageRow],
        passages: &[FoundPassage],
        turns: i64,
    ) -> Answer {
        answer(&Turn::new(settings, thread, passages, turns))
    }

    #[test]
    fn says_it_does_not_know_then_hands_off_when_unsure_again() {
        let settings = settings();
        let first = answer_for(&settings, &[contact("Can my parrot fly?")], &[passage(0.1)], 1);
        assert_eq!(first.content.as_deref(), Some(DONT_KNOW));
        assert_eq!(first.metadata[UNSURE], true);
        let unsure = Map::from_iter([(UNSURE.to_owned(), Value::Bool(true))]);
        let thread = [
            contact("Can my parrot fly?"),
            message(SenderType::Agent, DONT_KNOW, unsure),
            contact("Parrot?"),
        ];
        let second = answer_for(&settings, &thread, &[], 1);
        assert!(second.handoff.unwrap().contains("twice"));
        assert_eq!(second.content.as_deref(), Some(super::super::DEFAULT_HANDOFF_MESSAGE));
    }

    #[test]
    fn hands_off_by_each_rule_before_answering() {
        let mut settings = settings();
        settings.handoff.message = Some("A colleague will take over.".into());
        settings.handoff.max_ai_turns = Some(3);
        let passages = [passage(0.9)];
        for (thread, turns) in [
            (vec![contact("Can I speak to someone from your team?")], 0),
            (vec![contact("I'll file a chargeback")], 0),
            (vec![contact("This is awful"), contact("Absolutely useless, I'm furious")], 0),
            (vec![contact("Can I return it?")], 3),
        ] {
            let answer = answer_for(&settings, &thread, &passages, turns);
            assert!(answer.handoff.is_some(), "{thread:?}");
            assert_eq!(answer.content.as_deref(), Some("A colleague will take over."));
        }
    }

    #[test]
    fn small_talk_is_answered_without_looking_anything_up() {
        let settings = settings();
        assert_eq!(
            answer_for(&settings, &[contact("Hello!")], &[], 0).content.as_deref(),
            Some("Hi, I'm Ava.")
        );
        for text in ["Thanks, that answers my question!", "Fine, I'll try that", "OK"] {
            let answer = answer_for(&settings, &[contact(text)], &[], 2);
            assert_eq!(answer.content.as_deref(), Some(YOU_ARE_WELCOME), "{text}");
            assert_eq!(answer.metadata.get(UNSURE), None, "{text}");
        }
    }

    #[test]
    fn a_summary_quotes_the_question_and_the_last_answer() {
        let thread = [
            contact("Hi"),
            contact("Can I return my kettle? It leaks."),
            message(SenderType::Agent, "Return any item within 30 days.\n\nSource: Returns", Map::new()),
            message(
                SenderType::Human,
                "I've sent you a label. Anything else I can do for you today?",
                Map::new(),
            ),
        ];
        assert_eq!(
            summary(&thread, None).unwrap(),
            "The customer asked: \"Can I return my kettle? It leaks.\" Last answer, from a team member: \
             \"I've sent you a label. Anything else I can do for you today?\""
        );
        assert_eq!(summary(&[], None), None);
        let greeted = [
            contact("Can I return it?"),
            message(SenderType::Agent, "Hi, I'm Ava.\n\nYes, within 30 days.", Map::new()),
        ];
        assert!(
            summary(&greeted, Some("Hi, I'm Ava."))
                .unwrap()
                .ends_with("from the AI: \"Yes, within 30 days.\"")
        );
    }
}
