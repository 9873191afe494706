//! The dataset: one workspace with N conversations (about 10 messages each), contacts with
//! about two conversations each, spread over the last 180 days, written in bulk.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use baton::auth::{self, KeyKind};
use baton::clock::{Clock, SystemClock};
use baton::ids;
use baton::store::{NewChannel, SeedContact, SeedConversation, SeedMessage, Store, WorkspaceId};

use crate::text::{self, Rng};

#[derive(clap::Args)]
pub struct Options {
    #[arg(long, default_value = "sqlite://bench.db")]
    database_url: String,
    #[arg(long, default_value_t = 1_000_000)]
    conversations: u64,
    /// Average messages per conversation (uniform from 1 to twice this, minus one).
    #[arg(long, default_value_t = 10)]
    messages_per_conversation: u64,
    /// Where to write the workspace id and key for `run`.
    #[arg(long, default_value = "bench.env")]
    env_file: PathBuf,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const BATCH: u64 = 5_000;

pub async fn run(options: Options) -> Result<(), String> {
    let store = Store::connect(&options.database_url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let now = SystemClock.now_ms();
    let key = auth::generate_key(KeyKind::Server, "Benchmark");
    let (workspace, _) = store
        .create_workspace(&ids::new_id("ws"), "Bench", &key.record, now)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let ws = WorkspaceId::trusted(&workspace.id);
    let mut channels = Vec::new();
    for (kind, name) in
        [("widget", "Website"), ("email", "Support inbox"), ("whatsapp", "WhatsApp"), ("api", "App")]
    {
        let fields = NewChannel {
            kind: kind.into(),
            name: name.into(),
            agent_id: None,
            outbound_url: None,
            allowed_origins: vec![],
        };
        let row = store
            .create_channel(&ws, &ids::new_id("ch"), &fields, &baton::delivery::sign::new_secret(), now)
            .await
            .map_err(|e| format!("{e:?}"))?;
        channels.push((row.id, kind));
    }

    let started = Instant::now();
    let mut rng = Rng::new(options.seed);
    let span = 180 * DAY_MS;
    let start = now - span;
    let n = options.conversations;
    let mut messages_total = 0u64;
    let mut sample_email = String::new();
    for batch_start in (0..n).step_by(BATCH as usize) {
        let mut contacts = Vec::new();
        let mut conversations = Vec::new();
        let mut contact_id = String::new();
        for i in batch_start..(batch_start + BATCH).min(n) {
            let created_at = start + (i as i64) * span / n as i64 + rng.below(60_000) as i64;
            if i % 2 == 0 {
                let (first, last) = (*rng.pick(text::FIRST_NAMES), *rng.pick(text::LAST_NAMES));
                contact_id = ids::new_id("ct");
                let email = format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), i / 2);
                if sample_email.is_empty() {
                    sample_email = email.clone();
                }
                contacts.push(SeedContact {
                    id: contact_id.clone(),
                    name: format!("{first} {last}"),
                    email,
                    phone: (rng.below(3) == 0).then(|| format!("+1415555{:04}", rng.below(10_000))),
                    created_at,
                });
            }
            let count = 1 + rng.below(options.messages_per_conversation * 2 - 1);
            let mut at = created_at;
            let messages: Vec<SeedMessage> = (1..=count as i64)
                .map(|seq| {
                    let from_contact = seq % 2 == 1;
                    at += 30_000 + rng.below(600_000) as i64;
                    SeedMessage {
                        id: ids::new_id("msg"),
                        seq,
                        sender_type: if from_contact {
                            "contact"
                        } else if rng.below(4) == 0 {
                            "human"
                        } else {
                            "agent"
                        },
                        content: if from_contact {
                            text::contact_line(&mut rng)
                        } else {
                            text::reply_line(&mut rng)
                        },
                        created_at: at,
                    }
                })
                .collect();
            messages_total += count;
            let status = rng.weighted(&[("resolved", 55), ("closed", 20), ("open", 18), ("pending", 7)]);
            let priority =
                rng.weighted(&[(("low", 0), 10), (("normal", 1), 70), (("high", 2), 15), (("urgent", 3), 5)]);
            let channel = rng.pick(&channels);
            conversations.push(SeedConversation {
                id: ids::new_id("conv"),
                number: i as i64 + 1,
                contact_id: contact_id.clone(),
                channel_id: Some(channel.0.clone()),
                title: (rng.below(3) > 0).then(|| text::title(&mut rng)),
                status,
                mode: rng.weighted(&[("ai", 70), ("handoff_requested", 10), ("human", 20)]),
                priority: priority.0,
                priority_rank: priority.1,
                created_at,
                messages,
            });
        }
        store.seed(&ws, &contacts, &conversations).await.map_err(|e| format!("{e:?}"))?;
        let done = (batch_start + BATCH).min(n);
        if done.is_multiple_of(100_000) || done == n {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{done} conversations, {messages_total} messages, {secs:.0} s ({:.0} messages/s)",
                messages_total as f64 / secs
            );
        }
    }
    store.seed_counter(&ws, n as i64).await.map_err(|e| format!("{e:?}"))?;
    store.index_all_messages().await.map_err(|e| format!("{e:?}"))?;
    store.analyze().await.map_err(|e| format!("{e:?}"))?;
    let secs = started.elapsed().as_secs_f64();
    println!("Generated {n} conversations and {messages_total} messages in {secs:.1} s.");
    let mut env = std::fs::File::create(&options.env_file).map_err(|e| e.to_string())?;
    writeln!(
        env,
        "BATON_BENCH_WORKSPACE={}\nBATON_BENCH_KEY={}\nBATON_BENCH_EMAIL={sample_email}",
        workspace.id, key.secret
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}
