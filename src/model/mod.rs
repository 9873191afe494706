//! The objects: the rows the store reads and writes (`…Row`), and their wire forms (`…Out`),
//! what the API returns and events carry. Plain data, so the store and the HTTP layer share it.

pub mod agent;
pub mod chat;
pub mod contact;
pub mod conversation;
pub mod event;
pub mod message;
pub mod note;
