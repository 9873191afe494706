//! Wire representations of objects: what the API returns and what events carry.

pub mod agent;
pub mod contact;
pub mod conversation;
pub mod event;
pub mod message;
pub mod note;
