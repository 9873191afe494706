//! Knowledge retrieval, the pure part: cutting articles into passages, and ranking the
//! passages full-text search found.
//!
//! The database finds every passage sharing a term with the question (FTS5 or tsvector);
//! this ranks them with BM25 over passage text plus title, and reports a confidence: the share
//! of the question's weight (its terms' inverse document frequency) that the passage covers.
//! Confidence, unlike a BM25 score, means the same thing for every knowledge base, so an
//! agent's `min_confidence` can be a plain number.

use std::collections::HashMap;

use super::text::{query_terms, stem, words};

/// Passages aim for this many characters: a few sentences, enough to answer on their own.
const PASSAGE_CHARS: usize = 600;

/// Cuts an article body into passages at paragraph breaks, joining short paragraphs and
/// splitting long ones at sentence ends.
pub fn passages(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for paragraph in body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        for piece in split_long(paragraph) {
            if !current.is_empty() && current.len() + piece.len() + 2 > PASSAGE_CHARS {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push_str("\n\n");
            }
            current.push_str(&piece);
        }
        // A paragraph that fills most of a passage stands alone.
        if current.len() > PASSAGE_CHARS / 3 {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn split_long(paragraph: &str) -> Vec<String> {
    if paragraph.len() <= PASSAGE_CHARS {
        return vec![paragraph.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for sentence in paragraph.split_inclusive(['.', '!', '?']) {
        if !piece.is_empty() && piece.len() + sentence.len() > PASSAGE_CHARS {
            pieces.push(std::mem::take(&mut piece).trim().to_owned());
        }
        piece.push_str(sentence);
    }
    if !piece.trim().is_empty() {
        pieces.push(piece.trim().to_owned());
    }
    pieces
}

/// A passage the search found.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub title: String,
    pub text: String,
}

/// A candidate's place in the ranking: its index in the candidates and its confidence (0–1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub index: usize,
    pub score: f64,
}

/// Ranks `candidates` for `question`, best first. `total` is how many passages the search
/// looked through (for inverse document frequency); the candidates should be every passage
/// that shares a term with the question, or the best of them. `similarity`, when the
/// embedding model is installed, holds each candidate's cosine similarity to the question:
/// the semantic tier, which can place a passage that shares no word with the question.
pub fn rank(
    question: &str,
    candidates: &[Candidate],
    total: usize,
    similarity: Option<&[f32]>,
) -> Vec<Ranked> {
    let keyword = rank_by_keywords(question, candidates, total);
    let Some(similarity) = similarity else { return keyword };
    let mut blended: Vec<Ranked> = (0..candidates.len())
        .map(|index| {
            let words = keyword.iter().find(|r| r.index == index).map_or(0.0, |r| r.score);
            let meaning = semantic_score(similarity.get(index).copied().unwrap_or(0.0));
            Ranked { index, score: blend(words, meaning) }
        })
        .filter(|r| r.score > 0.0)
        .collect();
    // Keyword order breaks ties, so equal blends keep the BM25 ranking.
    let place = |i: usize| keyword.iter().position(|r| r.index == i).unwrap_or(usize::MAX);
    blended.sort_by(|a, b| b.score.total_cmp(&a.score).then(place(a.index).cmp(&place(b.index))));
    blended
}

/// Cosine similarity of MiniLM sentence vectors as a 0–1 confidence: about 0.25 for unrelated
/// texts, 0.75 and up for the same question in other words.
fn semantic_score(cosine: f32) -> f64 {
    ((f64::from(cosine) - 0.25) / 0.5).clamp(0.0, 1.0)
}

/// Either tier may vouch for a passage; both agreeing count most.
fn blend(words: f64, meaning: f64) -> f64 {
    (words.max(meaning) * 0.75 + words.min(meaning) * 0.25).min(1.0)
}

fn rank_by_keywords(question: &str, candidates: &[Candidate], total: usize) -> Vec<Ranked> {
    let terms = query_terms(question);
    if terms.is_empty() || candidates.is_empty() {
        return Vec::new();
    }
    let docs: Vec<Doc> = candidates.iter().map(Doc::new).collect();
    let n = total.max(candidates.len()) as f64;
    let idf: Vec<f64> = terms
        .iter()
        .map(|t| {
            // A word no passage has counts as a rare one, not as the rarest possible: a product
            // name the help centre never mentions should not sink an otherwise clear match.
            let df = docs.iter().filter(|d| d.has(t)).count().max(1) as f64;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    // Words no passage has at all (often product names: "my kettle leaks") count half: the
    // question is still about what the passages do cover.
    let absent: Vec<bool> = terms.iter().map(|t| !docs.iter().any(|d| d.has(t))).collect();
    let weight: f64 =
        idf.iter().zip(&absent).map(|(idf, absent)| if *absent { idf / 2.0 } else { *idf }).sum();
    let average_len = docs.iter().map(|d| d.len as f64).sum::<f64>() / docs.len() as f64;
    let mut ranked: Vec<(Ranked, f64)> = docs
        .iter()
        .enumerate()
        .map(|(index, doc)| {
            let mut covered = 0.0;
            let mut bm25 = 0.0;
            for (term, idf) in terms.iter().zip(&idf) {
                let in_title = doc.title.contains(term);
                let tf = doc.body.get(term).copied().unwrap_or(0) as f64;
                if tf > 0.0 || in_title {
                    covered += idf;
                }
                let norm = 1.2 * (0.25 + 0.75 * doc.len as f64 / average_len.max(1.0));
                bm25 += idf * (tf * 2.2 / (tf + norm) + if in_title { 1.0 } else { 0.0 });
            }
            (Ranked { index, score: covered / weight }, bm25)
        })
        .filter(|(ranked, _)| ranked.score > 0.0)
        .collect();
    ranked.sort_by(|(a, a_bm25), (b, b_bm25)| {
        (b.score * 0.5 + b_bm25 / weight / 4.0)
            .total_cmp(&(a.score * 0.5 + a_bm25 / weight / 4.0))
            .then(a.index.cmp(&b.index))
    });
    ranked.into_iter().map(|(ranked, _)| ranked).collect()
}

/// A candidate's stems: the title's as a set, the text's with counts.
struct Doc {
    title: Vec<String>,
    body: HashMap<String, usize>,
    len: usize,
}

impl Doc {
    fn new(candidate: &Candidate) -> Self {
        let title = words(&candidate.title).iter().map(|w| stem(w)).collect();
        let mut body = HashMap::new();
        let body_words = words(&candidate.text);
        for word in &body_words {
            *body.entry(stem(word)).or_insert(0) += 1;
        }
        Doc { title, body, len: body_words.len() }
    }

    fn has(&self, term: &str) -> bool {
        self.body.contains_key(term) || self.title.iter().any(|t| t == term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(title: &str, text: &str) -> Candidate {
        Candidate { title: title.into(), text: text.into() }
    }

    #[test]
    fn short_paragraphs_join_and_long_ones_split_at_sentences() {
        assert_eq!(passages("One.\n\nTwo."), ["One.\n\nTwo."]);
        let long = "A sentence of some length that goes on. ".repeat(40);
        let parts = passages(&long);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= PASSAGE_CHARS && p.ends_with('.')));
        assert!(passages(" \n\n ").is_empty());
    }

    #[test]
    fn the_passage_covering_the_question_ranks_first_with_a_confidence() {
        let candidates = [
            candidate("Shipping", "Standard delivery takes 3 to 5 days."),
            candidate("Refunds", "We refund your card within 5 days of the return reaching us."),
            candidate("Returns", "Return any item within 30 days."),
        ];
        let ranked = rank("When do I get my refund on my card?", &candidates, 10, None);
        assert_eq!(ranked[0].index, 1);
        assert!(ranked[0].score > 0.9, "{ranked:?}");
        assert!(ranked.iter().all(|r| r.index != 0), "no shared term, no place");
    }

    #[test]
    fn a_question_the_passages_barely_touch_gets_low_confidence() {
        let candidates = [candidate("Shipping", "Standard delivery takes 3 to 5 days.")];
        let ranked = rank("Can my parrot eat delivery pizza from your blender?", &candidates, 10, None);
        assert!(ranked[0].score < 0.35, "{ranked:?}");
        assert!(rank("how do I", &candidates, 10, None).is_empty());
    }

    #[test]
    fn the_semantic_tier_places_a_passage_that_shares_no_word() {
        let candidates = [
            candidate("Shipping", "Standard delivery takes 3 to 5 days."),
            candidate("Returns", "Return any item within 30 days."),
        ];
        let words_only = rank("When will my parcel get here?", &candidates, 10, None);
        assert!(words_only.is_empty());
        let with_meaning = rank("When will my parcel get here?", &candidates, 10, Some(&[0.72, 0.31]));
        assert_eq!(with_meaning[0].index, 0);
        assert!(with_meaning[0].score > 0.6 && with_meaning[1].score < 0.2, "{with_meaning:?}");
    }
}
