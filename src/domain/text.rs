//! Words as the AI's rules see them: lower-cased, split on anything that is not a letter or a
//! digit, apostrophes dropped ("don't" → "dont"), and reduced by a light English stemmer so
//! "refunds", "refunded" and "refunding" meet. Shared by retrieval, the handoff rules and the
//! sentiment scorer, so they agree on what a word is.

/// The words of `text`, lower-cased, in order (not stemmed).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if c == '\'' || c == '’' {
            // "don't" is one word: the apostrophe joins, it does not split.
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// A light suffix-stripping stemmer: good enough to match inflections of the same word, never
/// so eager that unrelated words meet (it keeps at least three letters).
pub fn stem(word: &str) -> String {
    let w = word.strip_suffix("s'").unwrap_or(word);
    let rules: [(&str, &str); 9] = [
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", "e"),
        ("s", ""),
    ];
    for (suffix, replacement) in rules {
        if let Some(base) = w.strip_suffix(suffix)
            && base.chars().count() >= 3
            && !(suffix == "s" && (base.ends_with('s') || base.ends_with('u') || base.ends_with('i')))
        {
            let mut stemmed = format!("{base}{replacement}");
            // "shipping" → "shipp" → "ship"; "stopped" → "stopp" → "stop".
            if replacement.is_empty() && matches!(suffix, "ing" | "ed") {
                let mut chars = stemmed.chars().rev();
                if let (Some(a), Some(b)) = (chars.next(), chars.next())
                    && a == b
                    && !matches!(a, 'l' | 's' | 'z')
                {
                    stemmed.pop();
                }
            }
            return without_final_e(stemmed);
        }
    }
    without_final_e(w.to_owned())
}

/// "change", "changes" and "changed" all end up "chang".
fn without_final_e(mut stem: String) -> String {
    if stem.len() > 3 && stem.ends_with('e') && !stem.ends_with("ee") {
        stem.pop();
    }
    stem
}

/// Words that carry no topic: left out of retrieval queries.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "am",
    "an",
    "and",
    "any",
    "anything",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "but",
    "by",
    "can",
    "cant",
    "could",
    "did",
    "do",
    "does",
    "dont",
    "for",
    "from",
    "get",
    "got",
    "had",
    "has",
    "have",
    "hello",
    "hey",
    "hi",
    "how",
    "i",
    "id",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "ive",
    "just",
    "long",
    "me",
    "my",
    "of",
    "on",
    "or",
    "our",
    "please",
    "should",
    "so",
    "some",
    "something",
    "than",
    "thanks",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "to",
    "too",
    "up",
    "us",
    "was",
    "we",
    "were",
    "what",
    "whats",
    "when",
    "where",
    "which",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
];

/// The stemmed topic words of a question, with the stems of what it may also be written as
/// in a help centre (see [`query_words`]).
pub fn query_terms(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for term in query_words(text).iter().map(|w| stem(w)) {
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// The topic words of a question, unstemmed, each with the words it may also be written as
/// in a help centre ("money back" → refund). Query expansion with a small customer-support
/// thesaurus: a keyword search cannot know that "tomorrow" means next-day delivery. Every
/// word is letters and digits only, so it is safe in any full-text query syntax.
pub fn query_words(text: &str) -> Vec<String> {
    let words = words(text);
    let mut out: Vec<String> = Vec::new();
    let mut push = |word: &str| {
        if !out.iter().any(|w| w == word) {
            out.push(word.to_owned());
        }
    };
    // Words of a two-word phrase stand only for its expansion ("send back" is not "send").
    let mut replaced = vec![false; words.len()];
    for (i, word) in words.iter().enumerate() {
        for (phrase, expansions) in THESAURUS {
            let (first, second) = phrase.split_once(' ').unwrap_or((phrase, ""));
            if first != word {
                continue;
            }
            // Up to two words may come between: "send it back", "send my kettle back".
            let second_at = (i + 1..words.len().min(i + 4)).find(|&j| words[j] == second);
            if second.is_empty() || second_at.is_some() {
                expansions.split(' ').for_each(&mut push);
            }
            if let Some(j) = second_at {
                replaced[i] = true;
                replaced[j] = true;
            }
        }
        // Bare numbers ("3 weeks", order numbers) say nothing about the topic.
        if !replaced[i] && !is_stopword(word) && !word.chars().all(|c| c.is_ascii_digit()) {
            push(word);
        }
    }
    out
}

/// One- or two-word phrases and the help-centre words they stand for.
const THESAURUS: &[(&str, &str)] = &[
    ("tomorrow", "next day express"),
    ("money back", "refund"),
    ("send back", "return"),
    ("sending back", "return"),
    ("package", "parcel"),
    ("shipping", "delivery"),
    ("ship", "deliver"),
    ("arrive", "delivery"),
    ("broken", "damaged faulty"),
    ("doesnt work", "faulty"),
    ("not working", "faulty"),
    ("stopped working", "faulty"),
    ("broke", "damaged faulty"),
    ("cracked", "damaged"),
    ("guarantee", "warranty"),
    ("repair", "warranty"),
    ("promo", "discount"),
    ("coupon", "discount"),
    ("voucher", "discount gift"),
    ("cheaper", "price match"),
    ("competitor", "price match"),
    ("instalments", "klarna"),
    ("installments", "klarna"),
    ("hold", "reserve"),
    ("back in", "stock"),
    ("customs", "duties import"),
    ("abroad", "international"),
    ("password", "sign"),
    ("login", "sign password"),
    ("log in", "sign password"),
    ("locked", "lock"),
    ("subscription", "membership"),
    ("renewing", "renew"),
    ("moved", "address"),
    ("clean", "cleaning"),
    ("charged", "charge payment"),
    ("pay", "payment"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_punctuation_and_keep_contractions_whole() {
        assert_eq!(words("Don't! Refund—order #4421?"), ["dont", "refund", "order", "4421"]);
        assert_eq!(words("  "), Vec::<String>::new());
    }

    #[test]
    fn inflections_meet_and_short_words_stay() {
        for (a, b) in
            [("refunds", "refund"), ("refunded", "refund"), ("shipping", "ship"), ("parcels", "parcel")]
        {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
        assert_eq!(stem("deliveries"), stem("delivery"));
        assert_eq!(stem("stopped"), "stop");
        assert_eq!(stem("changed"), stem("change"));
        assert_eq!(stem("is"), "is");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("bus"), "bus");
    }

    #[test]
    fn queries_drop_stopwords_and_expand_support_vocabulary() {
        assert_eq!(query_terms("When will I get my money back?"), ["refund"]);
        assert!(query_terms("Can I get it tomorrow?").contains(&"express".to_owned()));
        assert_eq!(query_terms("how do I"), Vec::<String>::new());
    }

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }
}
