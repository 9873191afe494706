//! The measurements. Every figure comes with a baseline from the same run: `GET /healthz`
//! on the same server for HTTP latency and throughput, and a raw INSERT of the same message
//! rows into the same database for ingest.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baton::clock::{Clock, SystemClock};
use baton::ids;
use baton::store::{SeedMessage, Store, WorkspaceId};
use hyper::Method;

use crate::client::Http;
use crate::text::{self, Rng};

#[derive(clap::Args)]
pub struct Options {
    /// The server to measure.
    #[arg(long, default_value = "http://127.0.0.1:18090")]
    url: String,
    /// The database the server uses (for the raw-insert baseline and the durability check).
    #[arg(long, default_value = "sqlite://bench.db")]
    database_url: String,
    #[arg(long, env = "BATON_BENCH_WORKSPACE")]
    workspace: String,
    #[arg(long, env = "BATON_BENCH_KEY")]
    key: String,
    /// An existing contact email, for the `contact_email` filter.
    #[arg(long, env = "BATON_BENCH_EMAIL", default_value = "")]
    email: String,
    /// Seconds per throughput phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Requests per list/search query (fewer if `query_seconds` runs out first).
    #[arg(long, default_value_t = 200)]
    queries: usize,
    #[arg(long, default_value_t = 15)]
    query_seconds: u64,
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// Phases to run: any of http, ingest, create, queries, stream, webhooks (`http` is always run:
    /// it is the baseline of the others).
    #[arg(long, value_delimiter = ',', default_value = "http,ingest,create,queries,stream,webhooks")]
    phases: Vec<String>,
    /// Clients connected to the event stream in the fan-out phase.
    #[arg(long, default_value_t = 100)]
    streams: usize,
}

/// Latencies of one phase.
pub(crate) struct Sample {
    pub count: u64,
    pub errors: u64,
    pub seconds: f64,
    pub micros: Vec<u64>,
}

impl Sample {
    pub fn rate(&self) -> f64 {
        self.count as f64 / self.seconds
    }
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted[index] as f64 / 1000.0
    }
}

/// Runs `clients` loops of `work` for `seconds`; `work` returns whether it succeeded.
pub(crate) async fn load<F, Fut>(clients: usize, seconds: u64, work: F) -> Sample
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Duration, String>> + Send,
{
    let work = Arc::new(work);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let errors = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (work, errors) = (work.clone(), errors.clone());
            tokio::spawn(async move {
                let mut micros = Vec::new();
                let mut i = 0;
                while Instant::now() < deadline {
                    match work(client, i).await {
                        Ok(elapsed) => micros.push(elapsed.as_micros() as u64),
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    i += 1;
                }
                micros
            })
        })
        .collect();
    let mut micros = Vec::new();
    for task in tasks {
        micros.extend(task.await.unwrap_or_default());
    }
    let seconds = started.elapsed().as_secs_f64();
    Sample { count: micros.len() as u64, errors: errors.load(Ordering::Relaxed), seconds, micros }
}

pub async fn run(options: Options) -> Result<(), String> {
    let http = Http::new(&options.url, &options.key);
    let store = Store::connect_beside_server(&options.database_url).await.map_err(|e| e.to_string())?;
    let ws = WorkspaceId::trusted(&options.workspace);
    let pool = Arc::new(store.sample_conversation_ids(&ws, 5_000).await.map_err(|e| format!("{e:?}"))?);
    if pool.is_empty() {
        return Err("no open conversations in that workspace: run `generate` first".into());
    }
    println!("Server {} · database {} · {} s per phase\n", options.url, store_kind(&store), options.seconds);

    println!("### HTTP baseline: GET /healthz\n\n| clients | req/s | p50 ms | p99 ms |\n|---|---|---|---|");
    let mut healthz = Vec::new();
    for &clients in &options.clients {
        let http = http.clone();
        let sample = load(clients, options.seconds, move |_, _| {
            let http = http.clone();
            async move { ok(http.send(Method::GET, "/healthz", None).await, 200) }
        })
        .await;
        println!(
            "| {clients} | {:.0} | {:.2} | {:.2} |",
            sample.rate(),
            sample.quantile_ms(0.5),
            sample.quantile_ms(0.99)
        );
        healthz.push(sample);
    }

    let wants = |phase: &str| options.phases.iter().any(|p| p == phase);
    if wants("ingest") {
        println!(
            "\n### Ingest: POST …/messages vs a raw INSERT of the same rows\n\n\
             | clients | messages/s | p50 ms | p99 ms | stored/acknowledged | raw inserts/s | throughput ratio | p99 vs healthz |\n\
             |---|---|---|---|---|---|---|---|"
        );
        let run_id = ids::new_id("run").to_lowercase();
        for (i, &clients) in options.clients.iter().enumerate() {
            let source = format!("bench-{run_id}-{clients}");
            let (client_http, client_pool, body_source) = (http.clone(), pool.clone(), source.clone());
            let posted = load(clients, options.seconds, move |client, n| {
                let (http, pool, source) = (client_http.clone(), client_pool.clone(), body_source.clone());
                async move {
                    let mut rng = Rng::new((client as u64 + 1) * 1_000_003 + n);
                    let conversation = rng.pick(&pool);
                    let body = serde_json::json!({"sender_type": "contact", "content": text::contact_line(&mut rng), "source": source});
                    let path = format!("/v1/conversations/{conversation}/messages");
                    ok(http.send(Method::POST, &path, Some(body.to_string())).await, 201)
                }
            })
            .await;
            let stored =
                store.count_messages_with_source(&ws, &source).await.map_err(|e| format!("{e:?}"))?;
            let raw = raw_inserts(&store, &ws, &pool, clients, options.seconds).await;
            // The baseline's rows bypass the server's search indexing: index them now, untimed,
            // so the next phase does not start behind a backlog the harness itself made.
            store.index_all_messages().await.map_err(|e| format!("{e:?}"))?;
            println!(
                "| {clients} | {:.0} | {:.2} | {:.2} | {stored}/{} | {:.0} | {:.2} | {:.1}× |",
                posted.rate(),
                posted.quantile_ms(0.5),
                posted.quantile_ms(0.99),
                posted.count,
                raw.rate(),
                posted.rate() / raw.rate(),
                posted.quantile_ms(0.99) / healthz[i].quantile_ms(0.99),
            );
            if posted.errors > 0 || stored as u64 != posted.count {
                println!(
                    "|  | {} errors; {} acknowledged but not stored |  |  |  |  |  |  |",
                    posted.errors,
                    posted.count as i64 - stored
                );
            }
        }
    }
    if wants("create") {
        println!(
            "\n### Create: POST /v1/conversations (a new contact and its first message) vs the raw insert\n\n\
             | clients | conversations/s | p50 ms | p99 ms | errors | raw inserts/s | throughput ratio |\n\
             |---|---|---|---|---|---|---|"
        );
        let run_id = ids::new_id("run").to_lowercase();
        for &clients in &options.clients {
            let (client_http, run_id) = (http.clone(), run_id.clone());
            let created = load(clients, options.seconds, move |client, n| {
                let (http, run_id) = (client_http.clone(), run_id.clone());
                async move {
                    let mut rng = Rng::new((client as u64 + 3) * 3_000_017 + n);
                    let body = serde_json::json!({
                        "contact": {"email": format!("{run_id}-{clients}-{client}-{n}@example.com")},
                        "message": {"sender_type": "contact", "content": text::contact_line(&mut rng)},
                    });
                    ok(http.send(Method::POST, "/v1/conversations", Some(body.to_string())).await, 201)
                }
            })
            .await;
            let raw = raw_inserts(&store, &ws, &pool, clients, options.seconds).await;
            store.index_all_messages().await.map_err(|e| format!("{e:?}"))?;
            println!(
                "| {clients} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.2} |",
                created.rate(),
                created.quantile_ms(0.5),
                created.quantile_ms(0.99),
                created.errors,
                raw.rate(),
                created.rate() / raw.rate(),
            );
        }
    }
    if wants("queries") {
        let month_ago = baton::clock::Timestamp(SystemClock.now_ms() - 30 * 24 * 60 * 60 * 1000).to_rfc3339();
        let queries: Vec<(String, String)> = [
            ("default (last_message_at desc)", String::new()),
            ("status=open", "status=open".into()),
            ("status=open,pending", "status=open,pending".into()),
            ("mode=human", "mode=human".into()),
            ("priority=urgent", "priority=urgent".into()),
            ("channel_type=email", "channel_type=email".into()),
            ("assignee_id=none", "assignee_id=none".into()),
            ("contact_email", format!("contact_email={}", options.email.replace('@', "%40"))),
            ("created_after (30 days)", format!("created_after={month_ago}")),
            ("sort=created_at", "sort=created_at".into()),
            ("sort=updated_at&order=asc", "sort=updated_at&order=asc".into()),
            ("sort=priority", "sort=priority".into()),
            ("status=open&sort=created_at", "status=open&sort=created_at".into()),
            ("q=blender (one word)", "q=blender".into()),
            ("q=refund (one word)", "q=refund".into()),
            ("q=broken blender (two words)", "q=broken%20blender".into()),
            ("q=48213 (one rare word: an order number)", "q=48213".into()),
            ("q=zebra (one word found nowhere)", "q=zebra".into()),
            // The inbox's badges: answered from the tallies.
            ("counts: all", "COUNTS:".into()),
            ("counts: mode=handoff_requested (Waiting)", "COUNTS:mode=handoff_requested".into()),
            ("counts: assignee_id=none (Unassigned)", "COUNTS:assignee_id=none".into()),
            ("counts: status=resolved (Resolved)", "COUNTS:status=resolved".into()),
            // A filter the tallies do not keep: the conversations are counted.
            ("counts: priority=urgent (counted)", "COUNTS:priority=urgent".into()),
        ]
        .into_iter()
        .map(|(name, query)| (name.to_owned(), query))
        .collect();
        let base = &healthz[0];
        println!(
            "\n### List and search, one client, up to {} requests or {} s each (first page, limit 20)\n\n\
             | query | requests | p50 ms | p99 ms | p50 vs healthz | p99 vs healthz |\n|---|---|---|---|---|---|",
            options.queries, options.query_seconds
        );
        for (name, query) in queries {
            let path = match query.strip_prefix("COUNTS:") {
                Some(filter) => format!("/v1/conversations/counts?{filter}"),
                None => format!("/v1/conversations?{query}"),
            };
            let mut micros = Vec::new();
            let mut errors = 0;
            let deadline = Instant::now() + Duration::from_secs(options.query_seconds);
            for _ in 0..options.queries {
                if Instant::now() > deadline {
                    break;
                }
                match ok(http.send(Method::GET, &path, None).await, 200) {
                    Ok(elapsed) => micros.push(elapsed.as_micros() as u64),
                    Err(_) => errors += 1,
                }
            }
            let sample = Sample { count: micros.len() as u64, errors, seconds: 1.0, micros };
            let (p50, p99) = (sample.quantile_ms(0.5), sample.quantile_ms(0.99));
            let (b50, b99) = (base.quantile_ms(0.5), base.quantile_ms(0.99));
            println!(
                "| {name} | {} | {p50:.2} | {p99:.2} | {:.1}× | {:.1}× |",
                sample.count,
                p50 / b50,
                p99 / b99
            );
            if sample.errors > 0 {
                println!("| ({name}: {} errors) |  |  |  |  |  |", sample.errors);
            }
        }
    }
    if wants("stream") {
        crate::live::stream_fanout(&http, &pool, options.streams, 4, options.seconds).await?;
    }
    if wants("webhooks") {
        crate::live::webhooks(&http, &pool, 16, options.seconds).await?;
    }
    Ok(())
}

pub(crate) fn ok(reply: Result<crate::client::Reply, String>, expected: u16) -> Result<Duration, String> {
    let reply = reply?;
    if reply.status == expected {
        Ok(reply.elapsed)
    } else {
        Err(format!("{}: {}", reply.status, String::from_utf8_lossy(&reply.body)))
    }
}

/// Inserts message rows straight into the database: one INSERT per row, each its own
/// transaction, at the same concurrency.
async fn raw_inserts(
    store: &Store,
    ws: &WorkspaceId,
    pool: &Arc<Vec<String>>,
    clients: usize,
    seconds: u64,
) -> Sample {
    static SEQ: AtomicI64 = AtomicI64::new(1_000_000_000);
    let (store, ws, pool) = (store.clone(), ws.clone(), pool.clone());
    load(clients, seconds, move |client, n| {
        let (store, ws, pool) = (store.clone(), ws.clone(), pool.clone());
        async move {
            let mut rng = Rng::new((client as u64 + 7) * 7_000_003 + n);
            let conversation = rng.pick(&pool).clone();
            let message = SeedMessage {
                id: ids::new_id("msg"),
                seq: SEQ.fetch_add(1, Ordering::Relaxed),
                sender_type: "contact",
                content: text::contact_line(&mut rng),
                created_at: SystemClock.now_ms(),
            };
            let started = Instant::now();
            store.insert_raw_message(&ws, &conversation, &message).await.map_err(|e| format!("{e:?}"))?;
            Ok(started.elapsed())
        }
    })
    .await
}

fn store_kind(store: &Store) -> &'static str {
    match store.backend() {
        baton::store::Backend::Sqlite => "SQLite",
        baton::store::Backend::Postgres => "PostgreSQL",
    }
}
