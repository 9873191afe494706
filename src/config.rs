//! Configuration: flags with `BATON_*` environment fallbacks and sane defaults.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Settings shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// `sqlite://FILE` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "BATON_DATABASE_URL", default_value = "sqlite://baton.db", global = true)]
    pub database_url: String,
    #[arg(long, env = "BATON_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Args)]
pub struct Serve {
    /// Address to listen on.
    #[arg(long, env = "BATON_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Admin key for `/v1/workspaces` (`bt_admin_` + at least 32 characters; make one with
    /// `baton admin-key`). Without it the workspace API is closed.
    #[arg(long, env = "BATON_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Seconds a request may take before it is answered with a 503.
    #[arg(long, env = "BATON_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Seconds a connection may take to send a request's headers, or sit idle between
    /// requests, before it is closed (slow or abandoned clients).
    #[arg(long, env = "BATON_HEADER_READ_TIMEOUT_SECS", default_value_t = 20)]
    pub header_read_timeout_secs: u64,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "BATON_BODY_LIMIT_BYTES", default_value_t = 1024 * 1024)]
    pub body_limit_bytes: usize,
    /// Largest file `/v1/uploads` takes, in bytes.
    #[arg(long, env = "BATON_UPLOAD_LIMIT_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub upload_limit_bytes: usize,
    /// Allow webhook targets on loopback and private networks (for local development and tests).
    #[arg(long, env = "BATON_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Waits before each retry of a webhook or channel delivery (`ms`, `s`, `m`, `h`, `d`),
    /// each moved by up to 20% either way; a `Retry-After` answer replaces the wait.
    #[arg(long, env = "BATON_WEBHOOK_RETRY_SCHEDULE", default_value = crate::delivery::policy::DEFAULT_SCHEDULE,
        value_parser = crate::delivery::policy::parse_schedule)]
    pub webhook_retry_schedule: Schedule,
    /// How long one delivery attempt may take, response included.
    #[arg(long, env = "BATON_WEBHOOK_TIMEOUT", default_value = "15s", value_parser = crate::delivery::policy::parse_duration)]
    pub webhook_timeout: Duration,
    /// An endpoint whose deliveries fail for this long without a success is disabled.
    #[arg(long, env = "BATON_WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = crate::delivery::policy::parse_duration)]
    pub webhook_disable_after: Duration,
    /// How long one request to an agent's model server (`provider: openai`) may take; a
    /// failed one is retried twice, then the conversation goes to a human.
    #[arg(long, env = "BATON_AI_TIMEOUT", default_value = "60s", value_parser = crate::delivery::policy::parse_duration)]
    pub ai_timeout: Duration,
    /// Allow model servers on loopback and private networks (a model running next to Baton).
    #[arg(long, env = "BATON_AI_ALLOW_PRIVATE")]
    pub ai_allow_private: bool,
    /// The all-MiniLM-L6-v2 sentence-embedding model's folder (`config.json`,
    /// `tokenizer.json`, `model.safetensors`): with it, retrieval is semantic as well as by
    /// keyword. Without the files the keyword tier serves alone.
    #[arg(long, env = "BATON_EMBEDDING_MODEL", default_value = "models/all-MiniLM-L6-v2")]
    pub embedding_model: std::path::PathBuf,
    /// Widget sessions one key may open per minute from one address, on this node (each
    /// creates a contact, and client keys are public).
    #[arg(long, env = "BATON_WIDGET_SESSIONS_PER_MINUTE", default_value_t = 10)]
    pub widget_sessions_per_minute: u64,
    /// Messages one visitor may send per minute (an address: three times as many).
    #[arg(long, env = "BATON_VISITOR_MESSAGES_PER_MINUTE", default_value_t = 20)]
    pub visitor_messages_per_minute: u64,
    /// Conversations one visitor may start per minute (an address: three times as many).
    #[arg(long, env = "BATON_VISITOR_CONVERSATIONS_PER_MINUTE", default_value_t = 5)]
    pub visitor_conversations_per_minute: u64,
    /// Files one visitor may upload per hour (an address: three times as many).
    #[arg(long, env = "BATON_VISITOR_UPLOADS_PER_HOUR", default_value_t = 20)]
    pub visitor_uploads_per_hour: u64,
    /// Bytes one visitor may upload per hour (an address: three times as many).
    #[arg(long, env = "BATON_VISITOR_UPLOAD_BYTES_PER_HOUR", default_value_t = 50 * 1024 * 1024)]
    pub visitor_upload_bytes_per_hour: u64,
    /// Event streams one key or token may hold open on this node.
    #[arg(long, env = "BATON_STREAMS_PER_TOKEN", default_value_t = 10)]
    pub streams_per_token: usize,
    /// Event streams one client address may hold open on this node.
    #[arg(long, env = "BATON_STREAMS_PER_ADDRESS", default_value_t = 200)]
    pub streams_per_address: usize,
    /// Event streams this node holds open at most.
    #[arg(long, env = "BATON_MAX_STREAMS", default_value_t = 20_000)]
    pub max_streams: usize,
    /// Behind a reverse proxy: take the client's address from the last `X-Forwarded-For`
    /// entry (the proxy's). Only with a proxy that sets it: anyone can write the header.
    #[arg(long, env = "BATON_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Where browsers reach this server when a proxy stands in front of it
    /// (`https://support.example.com`): the inbox's links use it, and changes made with the
    /// inbox's session cookie must come from it. Without it, the request's `Host`.
    #[arg(long, env = "BATON_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
}

/// An absolute `http(s)` URL, kept without a trailing slash.
fn parse_public_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.trim_end_matches('/').to_owned())
        }
        _ => Err("must be an absolute http(s) URL such as https://support.example.com".into()),
    }
}

/// Retry waits; a type of its own so clap parses the whole list with one parser.
pub type Schedule = Vec<Duration>;

impl Serve {
    /// Refuses an admin key too weak to guard every workspace.
    pub fn validated_admin_key(&self) -> Result<Option<&str>, String> {
        match self.admin_key.as_deref() {
            None | Some("") => Ok(None),
            Some(key)
                if key.starts_with(crate::auth::ADMIN_PREFIX)
                    && key.len() >= crate::auth::ADMIN_PREFIX.len() + 32 =>
            {
                Ok(Some(key))
            }
            Some(_) => Err("BATON_ADMIN_KEY must be `bt_admin_` followed by at least 32 characters; \
                            generate one with `baton admin-key`"
                .to_owned()),
        }
    }
}
