//! The semantic tier, when the embedding model is installed: sentence vectors for questions
//! and passages (computed on the blocking pool, off the async workers), and recognising a
//! request for a person however it is worded. Off, every method says so cheaply.

use std::path::Path;
use std::sync::Arc;

use super::embed::Embedder;
use crate::store::{Store, StoreError};

/// How close (cosine) a message must come to an example request for a person to count as one:
/// above every message of `eval/handoff.jsonl` that does not ask for one (the closest, 0.48,
/// asks for the customer service email), with a margin.
const ASKS_FOR_A_PERSON: f32 = 0.55;
/// Passages embedded per batch.
const BATCH: i64 = 16;

#[derive(Clone, Default)]
pub struct Semantic(Option<Arc<Embedder>>);

impl Semantic {
    /// Loads the model in `dir` if its files are there; off otherwise.
    pub fn load(dir: Option<&Path>) -> Result<Semantic, String> {
        let Some(dir) = dir else { return Ok(Semantic(None)) };
        Ok(Semantic(Embedder::load(dir)?.map(Arc::new)))
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// The sentence vector of `text` (`None`: off, or the model failed, which is logged).
    pub async fn vector(&self, text: &str) -> Option<Vec<f32>> {
        let embedder = self.0.clone()?;
        let text = text.to_owned();
        match tokio::task::spawn_blocking(move || embedder.embed(&[&text])).await {
            Ok(Ok(mut vectors)) => vectors.pop(),
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not embed a question; keyword search only");
                None
            }
            Err(_) => None,
        }
    }

    /// Whether the text whose sentence vector is `vector` is close to a way of asking for a
    /// person (false when off).
    pub fn asks_for_person(&self, vector: Option<&[f32]>) -> bool {
        match (&self.0, vector) {
            (Some(embedder), Some(vector)) => {
                embedder.closeness_to_asking_for_a_person(vector) >= ASKS_FOR_A_PERSON
            }
            _ => false,
        }
    }

    /// Embeds every passage still without a vector. Returns how many it embedded.
    pub async fn embed_passages(&self, store: &Store) -> Result<usize, StoreError> {
        let Some(embedder) = self.0.clone() else { return Ok(0) };
        let mut done = 0;
        loop {
            let pending = store.passages_to_embed(BATCH).await?;
            if pending.is_empty() {
                return Ok(done);
            }
            let embedder = embedder.clone();
            let texts: Vec<String> =
                pending.iter().map(|(_, title, text)| format!("{title}\n{text}")).collect();
            let embedded = tokio::task::spawn_blocking(move || {
                embedder.embed(&texts.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .await;
            let vectors = match embedded {
                Ok(Ok(vectors)) => vectors,
                Ok(Err(error)) => {
                    tracing::warn!(%error, "could not embed knowledge passages");
                    return Ok(done);
                }
                Err(error) => {
                    tracing::warn!(%error, "the embedding task failed");
                    return Ok(done);
                }
            };
            let rows: Vec<(i64, Vec<f32>)> = pending.iter().map(|(rid, _, _)| *rid).zip(vectors).collect();
            store.set_passage_embeddings(&rows).await?;
            done += rows.len();
        }
    }
}
