//! Pure rules, no IO.

pub mod conversation;
pub mod handoff;
pub mod handoff_rules;
pub mod intent;
pub mod retrieval;
pub mod sentiment;
pub mod text;
pub mod validate;
pub mod vector;
