//! Integration tests: the real router, a fresh database per test (SQLite, or PostgreSQL
//! when `BATON_TEST_POSTGRES_URL` is set).

mod agents;
mod ai;
mod api_keys;
mod browser_sessions;
mod canned_responses;
mod channels;
mod cli;
mod contacts;
mod conversations;
mod counts;
mod deliveries;
mod errors;
mod events;
mod fidelity;
mod files;
mod fixtures;
mod handoff;
mod helpers;
mod idempotency;
mod knowledge;
mod members;
mod messages;
mod nodes;
mod openai;
mod openapi;
mod ops;
mod process;
mod receiver;
mod reports;
mod stream;
mod tags_notes_states;
mod tickets;
mod webhooks;
mod widget;
mod workspaces;
