//! The builtin sentiment scorer: 0 (furious) … 50 (neutral) … 100 (delighted).
//!
//! A small lexicon of how customers write to support, with the three things that change a
//! word's weight: a negation just before it ("not happy"), an intensifier ("really awful")
//! and shouting (capitals, "!!!"). It is fast and predictable, which is what the handoff
//! rule needs; it is not a language model.

use super::text::words;

/// Scores `text`; 50 when it carries no feeling either way.
pub fn score(text: &str) -> i64 {
    let tokens = words(text);
    let shouted: Vec<bool> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars().count() > 2
                && w.chars().all(|c| !c.is_lowercase())
                && w.chars().any(char::is_alphabetic)
        })
        .collect();
    let mut total = 0.0;
    for (i, word) in tokens.iter().enumerate() {
        let Some(weight) = weight(word) else { continue };
        let before = &tokens[i.saturating_sub(2)..i];
        let mut value = weight;
        if before.iter().any(|w| NEGATIONS.contains(&w.as_str())) {
            value = -value * 0.6;
        }
        if let Some(previous) = i.checked_sub(1).and_then(|p| tokens.get(p)) {
            if INTENSIFIERS.contains(&previous.as_str()) {
                value *= 1.5;
            } else if DAMPENERS.contains(&previous.as_str()) {
                value *= 0.5;
            }
        }
        total += value;
    }
    let shouting = shouted.iter().filter(|s| **s).count() >= 2;
    let exclaimed = text.contains("!!");
    if total < 0.0 && (shouting || exclaimed) {
        total *= 1.5;
    }
    (50.0 + 50.0 * (total / 4.0).tanh()).round() as i64
}

fn weight(word: &str) -> Option<f64> {
    LEXICON.iter().find(|(w, _)| *w == word).map(|(_, v)| *v)
}

const NEGATIONS: &[&str] =
    &["not", "no", "never", "dont", "doesnt", "didnt", "isnt", "wasnt", "cant", "wont"];
const INTENSIFIERS: &[&str] =
    &["very", "so", "really", "extremely", "absolutely", "completely", "totally", "utterly", "such"];
const DAMPENERS: &[&str] = &["bit", "slightly", "little", "somewhat", "kinda", "quite"];

const LEXICON: &[(&str, f64)] = &[
    // Strongly negative.
    ("awful", -3.0),
    ("terrible", -3.0),
    ("horrible", -3.0),
    ("worst", -3.0),
    ("disgrace", -3.0),
    ("disgraceful", -3.0),
    ("disgusted", -3.0),
    ("disgusting", -3.0),
    ("unacceptable", -3.0),
    ("ridiculous", -3.0),
    ("pathetic", -3.0),
    ("useless", -3.0),
    ("furious", -3.5),
    ("hate", -3.0),
    ("appalling", -3.0),
    ("outrageous", -3.0),
    ("scam", -3.0),
    ("cheated", -3.0),
    ("joke", -2.0),
    ("unbelievable", -2.0),
    // Negative.
    ("angry", -2.5),
    ("upset", -2.0),
    ("annoyed", -2.0),
    ("annoying", -2.0),
    ("frustrated", -2.0),
    ("frustrating", -2.0),
    ("disappointed", -2.0),
    ("disappointing", -2.0),
    ("fed", -1.5),
    ("bad", -2.0),
    ("poor", -2.0),
    ("rude", -2.0),
    ("wasted", -2.0),
    ("lost", -1.0),
    ("broken", -1.0),
    ("broke", -1.0),
    ("late", -1.0),
    ("wrong", -1.0),
    ("unhappy", -2.0),
    ("let", -0.5),
    ("sad", -1.5),
    ("ugh", -1.0),
    ("problem", -0.5),
    ("nobody", -1.0),
    ("still", -0.5),
    // Positive.
    ("thanks", 2.0),
    ("thank", 2.0),
    ("great", 2.5),
    ("good", 1.5),
    ("love", 3.0),
    ("lovely", 2.5),
    ("brilliant", 3.0),
    ("perfect", 3.0),
    ("excellent", 3.0),
    ("amazing", 3.0),
    ("happy", 2.0),
    ("helpful", 2.0),
    ("fine", 1.0),
    ("nice", 2.0),
    ("pleased", 2.0),
    ("wonderful", 3.0),
    ("appreciate", 2.0),
];

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn neutral_questions_score_fifty() {
        assert_eq!(score("Where is my parcel?"), 50);
        assert_eq!(score(""), 50);
    }

    #[test]
    fn feelings_move_the_score_and_their_modifiers_move_it_further() {
        assert!(score("Thanks, that was really helpful") > 80);
        assert!(score("This is awful") < 25);
        assert!(score("This is really awful") < score("This is awful"));
        assert!(score("I'm a bit annoyed") > score("I'm annoyed"));
        assert!(score("I'm not happy") < 50);
        assert!(score("THIS IS UNACCEPTABLE!!!") < score("this is unacceptable"));
    }

    #[test]
    fn scores_stay_within_bounds() {
        let rant = "awful terrible horrible worst useless pathetic ".repeat(20);
        assert!((0..=100).contains(&score(&rant)));
        assert!((0..=100).contains(&score(&"love perfect brilliant ".repeat(20))));
    }
}
