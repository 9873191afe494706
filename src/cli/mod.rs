//! The command line: `serve`, `migrate`, `workspaces create`, `keys create`,
//! `members create`, `demo`, `openapi`, `admin-key`.

mod demo;
mod members;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app;
use crate::auth::{self, KeyKind};
use crate::clock::{Clock, SystemClock};
use crate::config::{Global, LogFormat, Serve};
use crate::delivery::Policy;
use crate::http::{AppState, Limit, Settings, StreamLimits, VisitorQuotas};
use crate::ids;
use crate::store::{Store, WorkspaceId};

#[derive(Debug, Parser)]
#[command(name = "baton", version, about = "Baton: the backend for AI-assisted customer support")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies migrations first).
    Serve(Serve),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspaces(WorkspacesCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage members.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Load a demo workspace (a shop's help centre, its AI agent, two members, conversations
    /// in every view of the inbox) and print how to sign in.
    Demo,
    /// Print the OpenAPI document.
    Openapi,
    /// Print a new random admin key to put in BATON_ADMIN_KEY.
    AdminKey,
    /// Measure the builtin AI on the labelled evaluation set: handoff precision and recall,
    /// retrieval hit@1.
    /// Check an OpenAI-compatible model server before pointing an agent at it: a streamed
    /// answer, and the handoff tool call.
    AiCheck {
        /// E.g. `http://127.0.0.1:8081/v1` or `https://api.openai.com/v1`.
        #[arg(long)]
        base_url: String,
        #[arg(long)]
        model: String,
        /// The environment variable holding the API key, if the server needs one.
        #[arg(long)]
        api_key_env: Option<String>,
    },
    Eval {
        /// The folder with knowledge.json, handoff.jsonl and retrieval.jsonl.
        #[arg(long, default_value = "eval")]
        dir: std::path::PathBuf,
        /// The labelled set: a folder inside `dir` (`holdout`), or `dir` itself (`.`).
        #[arg(long, default_value = ".")]
        set: std::path::PathBuf,
        /// The embedding model's folder: with its files there, the semantic tier runs too.
        #[arg(long, env = "BATON_EMBEDDING_MODEL", default_value = "models/all-MiniLM-L6-v2")]
        embedding_model: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspacesCommand {
    /// Create a workspace and print its first server key.
    Create { name: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CliKeyKind {
    Server,
    Client,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key in a workspace and print its secret (shown once).
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long, value_enum)]
        kind: CliKeyKind,
        #[arg(long, default_value = "CLI key")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Create a member who signs in to the inbox with a password (asked for, or read from
    /// standard input with --password-stdin).
    Create(members::CreateMember),
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.log_format);
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BATON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

async fn open_store(global: &Global) -> Result<Store, String> {
    let store =
        Store::connect(&global.database_url).await.map_err(|e| format!("cannot open the database: {e}"))?;
    store.migrate().await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    Ok(store)
}

async fn execute(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Openapi => {
            println!("{}", openapi_json());
            Ok(())
        }
        Command::AdminKey => {
            println!("{}", auth::generate_admin_key());
            Ok(())
        }
        Command::AiCheck { base_url, model, api_key_env } => {
            let key = match api_key_env {
                Some(name) => Some(std::env::var(&name).map_err(|_| format!("{name} is not set"))?),
                None => None,
            };
            let timeout = Duration::from_secs(120);
            let check = crate::ai::openai::check(&base_url, &model, key.as_deref(), timeout).await;
            match &check.answered {
                Ok(text) => println!("answers:        yes ({:?})", text.chars().take(60).collect::<String>()),
                Err(why) => println!("answers:        NO: {why}"),
            }
            match &check.hands_off {
                Ok(reason) => println!("handoff tool:   yes ({reason:?})"),
                Err(why) => {
                    println!("handoff tool:   NO: {why} (Baton falls back to replies starting \"HANDOFF:\")")
                }
            }
            check.answered.map(|_| ())
        }
        Command::Eval { dir, set, embedding_model } => {
            let semantic = crate::ai::semantic::Semantic::load(Some(&embedding_model))?;
            let tier =
                if semantic.is_on() { "keyword + semantic" } else { "keyword only (no embedding model)" };
            println!("retrieval tiers: {tier}");
            let report = crate::ai::eval::run(&dir, &set, semantic).await.map_err(|e| e.to_string())?;
            for miss in &report.misses {
                println!("miss  {miss}");
            }
            println!(
                "handoff    {} labelled messages: precision {:.3}, recall {:.3}",
                report.labelled(),
                report.precision(),
                report.recall()
            );
            println!("retrieval  {} questions: hit@1 {:.3}", report.questions, report.hit_at_1());
            Ok(())
        }
        Command::Migrate => {
            open_store(&cli.global).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Workspaces(WorkspacesCommand::Create { name }) => {
            let store = open_store(&cli.global).await?;
            let key = auth::generate_key(KeyKind::Server, "Default server key");
            let (workspace, _) = store
                .create_workspace(&ids::new_id("ws"), name.trim(), &key.record, SystemClock.now_ms())
                .await
                .map_err(|e| format!("{e:?}"))?;
            println!("Created workspace {:?} ({}).", workspace.name, workspace.id);
            println!("Server key (shown once, store it now): {}", key.secret);
            Ok(())
        }
        Command::Keys(KeysCommand::Create { workspace, kind, name }) => {
            let store = open_store(&cli.global).await?;
            let ws = WorkspaceId::trusted(workspace);
            if store.get_workspace(&ws).await.map_err(|e| format!("{e:?}"))?.is_none() {
                return Err(format!("no workspace {ws}"));
            }
            let kind = match kind {
                CliKeyKind::Server => KeyKind::Server,
                CliKeyKind::Client => KeyKind::Client,
            };
            let key = auth::generate_key(kind, &name);
            let row = store
                .create_api_key(&ws, &key.record, SystemClock.now_ms())
                .await
                .map_err(|e| format!("{e:?}"))?;
            println!("Created {} key {} in {ws}.", kind.as_str(), row.id);
            println!("Secret (shown once, store it now): {}", key.secret);
            Ok(())
        }
        Command::Demo => demo::load(open_store(&cli.global).await?).await,
        Command::Members(MembersCommand::Create(args)) => {
            members::create(&open_store(&cli.global).await?, args).await
        }
        Command::Serve(serve) => run_server(&cli.global, serve).await,
    }
}

/// The OpenAPI document as pretty JSON (what `openapi.json` at the repository root holds).
pub fn openapi_json() -> String {
    crate::app::openapi().to_pretty_json().unwrap_or_default()
}

async fn run_server(global: &Global, serve: Serve) -> Result<(), String> {
    let admin_key = serve.validated_admin_key()?;
    let store = open_store(global).await?;
    let clock = Arc::new(SystemClock);
    let listener = tokio::net::TcpListener::bind(serve.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", serve.addr))?;
    // The bound address, which names the port the system chose for `--addr …:0`.
    let addr = listener.local_addr().map_err(|e| format!("cannot read the listening address: {e}"))?;
    first_start(&store, clock.now_ms(), addr, serve.public_url.as_deref()).await?;
    let settings = Settings {
        admin_key_hash: admin_key.map(auth::hash_secret),
        request_timeout: Duration::from_secs(serve.request_timeout_secs.max(1)),
        header_read_timeout: Duration::from_secs(serve.header_read_timeout_secs.max(1)),
        body_limit: serve.body_limit_bytes,
        webhook_allow_private: serve.webhook_allow_private,
        delivery: Policy {
            schedule: serve.webhook_retry_schedule.clone(),
            timeout: serve.webhook_timeout,
            disable_after: serve.webhook_disable_after,
            allow_private: serve.webhook_allow_private,
        },
        ai: crate::ai::AiSettings {
            timeout: serve.ai_timeout,
            allow_private: serve.ai_allow_private,
            embedding_model: Some(serve.embedding_model.clone()),
        },
        visitor_quotas: VisitorQuotas {
            sessions_per_address: Limit::per_minute(serve.widget_sessions_per_minute.max(1)),
            messages: Limit::per_minute(serve.visitor_messages_per_minute.max(1)),
            conversations: Limit::per_minute(serve.visitor_conversations_per_minute.max(1)),
            uploads: Limit::per_hour(serve.visitor_uploads_per_hour.max(1)),
            upload_bytes: Limit::per_hour(serve.visitor_upload_bytes_per_hour.max(1)),
            ..VisitorQuotas::default()
        },
        streams: StreamLimits {
            per_credential: serve.streams_per_token.max(1),
            per_address: serve.streams_per_address.max(1),
            total: serve.max_streams.max(1),
        },
        trust_forwarded_for: serve.trust_forwarded_for,
        public_url: serve.public_url.clone(),
        upload_limit: serve.upload_limit_bytes,
    };
    let semantic = crate::ai::semantic::Semantic::load(Some(&serve.embedding_model)).map_err(|e| {
        format!("cannot load the embedding model in {}: {e}", serve.embedding_model.display())
    })?;
    if semantic.is_on() {
        tracing::info!(model = %serve.embedding_model.display(), "semantic retrieval is on");
    } else {
        tracing::info!(model = %serve.embedding_model.display(), "no embedding model there: keyword retrieval only");
    }
    tracing::info!(%addr, database = store_kind(&store), "baton is listening");
    let state = AppState::new(store, clock, settings).with_semantic(semantic);
    app::serve(listener, state, app::shutdown_signal()).await.map_err(|e| format!("server error: {e}"))
}

/// On a database without workspaces: creates "Default", prints its server key and a one-time
/// link that creates the first admin of the inbox.
async fn first_start(
    store: &Store,
    now: i64,
    addr: std::net::SocketAddr,
    public_url: Option<&str>,
) -> Result<(), String> {
    let key = auth::generate_key(KeyKind::Server, "Default server key");
    let bootstrapped = store
        .bootstrap(&ids::new_id("ws"), &key.record, now)
        .await
        .map_err(|e| format!("cannot create the default workspace: {e:?}"))?;
    let Some((workspace, _)) = bootstrapped else { return Ok(()) };
    let base = public_url.map_or_else(|| format!("http://{}", browsable(addr)), str::to_owned);
    println!("Created workspace \"Default\" ({}). Its server key, shown only this once:\n", workspace.id);
    println!("    {}\n", key.secret);
    println!(
        "Next: export BATON_KEY=<the key above>; curl -H \"Authorization: Bearer $BATON_KEY\" {base}/v1/me\n"
    );
    let (secret, hash) = auth::generate_setup_secret();
    let ws = WorkspaceId::trusted(&workspace.id);
    store
        .create_setup_link(&ws, &ids::new_id("setup"), &hash, now, now + auth::SETUP_LINK_TTL_MS)
        .await
        .map_err(|e| format!("cannot create the setup link: {e:?}"))?;
    println!("To create the first admin of the inbox, open this link (it works once, for 24 hours):\n");
    println!("    {base}/setup?token={secret}\n");
    // A client key for the /demo storefront, to chat as a visitor right away.
    let client = auth::generate_key(KeyKind::Client, "Demo page");
    store
        .create_api_key(&ws, &client.record, now)
        .await
        .map_err(|e| format!("cannot create the demo page's key: {e:?}"))?;
    store
        .set_demo_client_key(&client.secret)
        .await
        .map_err(|e| format!("cannot keep the demo page's key: {e:?}"))?;
    println!("To chat as a visitor, open {base}/demo (revoke its \"Demo page\" client key to close it).\n");
    Ok(())
}

/// The address as a browser on this machine reaches it: `0.0.0.0` and `::` listen everywhere,
/// including on localhost.
fn browsable(addr: std::net::SocketAddr) -> String {
    if addr.ip().is_unspecified() { format!("localhost:{}", addr.port()) } else { addr.to_string() }
}

fn store_kind(store: &Store) -> &'static str {
    match store.backend() {
        crate::store::Backend::Sqlite => "sqlite",
        crate::store::Backend::Postgres => "postgres",
    }
}
