//! Baton: the self-hostable backend for AI-assisted customer support.

pub mod ai;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod dialects;
pub mod domain;
pub mod error;
pub mod file_urls;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod live;
pub mod model;
pub mod outbound;
pub mod password;
pub mod server;
pub mod store;
