//! Does a customer ask for a person? The builtin responder's reading of plain words: "can I
//! talk to someone", "get me a manager", "I don't want a robot", "operator". Mentioning a
//! person is not asking for one ("the driver was lovely", "safe for human food"), and "no need
//! for a human" is the opposite.

use super::text::{stem, words};

/// Whether `text` asks to be served by a person rather than the AI.
pub fn asks_for_person(text: &str) -> bool {
    let words = words(text);
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    if w.is_empty() {
        return false;
    }
    // "human", "agent please", "talk to human": a short message naming a person is a request.
    if w.len() <= 3 && w.iter().any(|word| PEOPLE.contains(word) && !VAGUE.contains(word)) {
        return !declined(&w, w.len());
    }
    if rejects_the_bot(&w) {
        return true;
    }
    for (i, word) in w.iter().enumerate() {
        let person = PEOPLE.contains(word) || team_at(&w, i);
        if !person {
            continue;
        }
        let strong = i > 0 && QUALIFIERS.contains(&w[i - 1]) && !VAGUE.contains(word);
        let asked = w[i.saturating_sub(5)..i].iter().any(|b| REQUEST_VERBS.contains(b))
            || modal_then_person(&w, i)
            || (i + 2 < w.len() && w[i + 1] == "call" && w[i + 2] == "me")
            || (i + 1 < w.len() && matches!(w[i + 1], "contact" | "call") && w.get(i + 2) == Some(&"me"));
        if (strong || asked) && !declined(&w, i) {
            return true;
        }
    }
    // "who can I talk to", "escalate this", "call me back".
    contains(&w, &["who", "can", "i", "talk"])
        || contains(&w, &["who", "can", "i", "speak"])
        || w.first() == Some(&"escalate")
        || contains(&w, &["call", "me", "back"])
        || w.contains(&"callback")
}

/// Whether `text` says no to something ("no need", "don't want"): a message that sounds like
/// a request for a person but says no is not taken for one.
pub fn declines(text: &str) -> bool {
    words(text).iter().any(|w| DECLINES.contains(&w.as_str()))
}

/// The phrase of `topics` (a version's always-to-a-human subjects) that `text` mentions.
pub fn topic_in<'a>(text: &str, topics: &'a [String]) -> Option<&'a str> {
    let stems: Vec<String> = words(text).iter().map(|w| stem(w)).collect();
    topics.iter().map(String::as_str).find(|topic| {
        let phrase: Vec<String> = words(topic).iter().map(|w| stem(w)).collect();
        !phrase.is_empty() && stems.windows(phrase.len()).any(|window| window == phrase.as_slice())
    })
}

/// Words naming someone who could serve the customer.
const PEOPLE: &[&str] = &[
    "human",
    "person",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "agent",
    "representative",
    "rep",
    "operator",
    "manager",
    "supervisor",
    "staff",
    "colleague",
    "advisor",
    "adviser",
    "humans",
];
/// Words too vague to be a request on their own or after "real": "anyone" alone is not one.
const VAGUE: &[&str] = &["someone", "somebody", "anyone", "anybody"];
/// "a real person", "a live agent", "an actual human".
const QUALIFIERS: &[&str] = &["real", "live", "actual", "human"];
const REQUEST_VERBS: &[&str] = &[
    "talk", "speak", "chat", "connect", "transfer", "through", "give", "want", "need", "escalate", "pass",
    "deal", "get", "prefer", "rather",
];
/// Words that turn a request around: "no need for a human", "I don't need anyone".
const DECLINES: &[&str] = &["no", "dont", "not", "without", "never", "nobody"];
const BOTS: &[&str] = &["bot", "robot", "ai", "chatbot", "machine", "computer"];

/// "can a person …", "could someone …", "is there a human …".
fn modal_then_person(w: &[&str], i: usize) -> bool {
    let before = &w[i.saturating_sub(2)..i];
    before.iter().any(|b| matches!(*b, "can" | "could" | "may" | "will"))
        && !(i + 1 < w.len() && matches!(w[i + 1], "deliver" | "assemble" | "make"))
}

/// "support team", "customer service", "customer care", "support staff".
fn team_at(w: &[&str], i: usize) -> bool {
    let pair = |a: &str, b: &str| i >= 1 && w[i - 1] == a && w[i] == b;
    pair("customer", "service") && !w.get(i + 1).is_some_and(|n| matches!(*n, "email" | "address" | "hours"))
        || pair("customer", "care")
        || pair("support", "team")
        || pair("support", "staff")
        || (w[i] == "support" && i >= 2 && w[i - 2] == "from")
}

/// "I don't want to talk to a robot", "you're a bot", "not an AI".
fn rejects_the_bot(w: &[&str]) -> bool {
    w.iter().enumerate().any(|(i, word)| {
        BOTS.contains(word)
            && (w[i.saturating_sub(6)..i].iter().any(|b| matches!(*b, "dont" | "not" | "no" | "useless"))
                || w[i + 1..].iter().take(2).any(|a| *a == "useless")
                || (i >= 2 && matches!(w[i - 2], "youre" | "your") && w[i - 1] == "a"))
    })
}

/// Whether the request ending at word `i` is negated ("no need for a human").
fn declined(w: &[&str], i: usize) -> bool {
    let before = &w[i.saturating_sub(6)..i];
    before.iter().any(|b| DECLINES.contains(b)) && !before.iter().any(|b| BOTS.contains(b))
}

fn contains(w: &[&str], phrase: &[&str]) -> bool {
    w.windows(phrase.len()).any(|window| window == phrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_requests_for_a_person_are_recognised() {
        for text in [
            "Can I talk to a human please?",
            "Put me through to someone from your team",
            "Get me a manager",
            "operator",
            "Transfer me to a live agent",
            "I don't want to talk to a robot",
            "Who can I talk to about this?",
            "Can someone from support call me back?",
        ] {
            assert!(asks_for_person(text), "{text}");
        }
    }

    #[test]
    fn mentioning_or_declining_a_person_is_not_a_request() {
        for text in [
            "Is this blender safe for human food?",
            "No need for a human, just the opening hours",
            "I don't need to talk to anyone, just tell me the return window",
            "The person who delivered my parcel was lovely",
            "What's your customer service email for invoices?",
            "Are your agents able to deliver on Saturday?",
            "Hi",
        ] {
            assert!(!asks_for_person(text), "{text}");
        }
    }

    #[test]
    fn topics_match_whole_words_in_any_inflection() {
        let topics = vec!["legal action".to_owned(), "chargeback".to_owned()];
        assert_eq!(topic_in("I'll be taking LEGAL action", &topics), Some("legal action"));
        assert_eq!(topic_in("Two chargebacks later…", &topics), Some("chargeback"));
        assert_eq!(topic_in("legally speaking, what action?", &topics), None);
    }
}
