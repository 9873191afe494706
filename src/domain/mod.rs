//! Pure rules, no IO.

pub mod ai_handoff;
pub mod canned;
pub mod control;
pub mod conversation;
pub mod event_kind;
pub mod file_type;
pub mod intent;
pub mod member;
pub mod retrieval;
pub mod sentiment;
pub mod text;
pub mod validate;
pub mod vector;
