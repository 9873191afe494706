//! Pure rules, no IO.

pub mod conversation;
pub mod validate;
