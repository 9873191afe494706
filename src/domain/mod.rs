//! Pure rules, no IO.

pub mod conversation;
pub mod handoff;
pub mod validate;
