//! Live delivery: Server-Sent Events fanned out to many connected clients, and webhook
//! deliveries to a local receiver. Baselines from the same run: posting with no stream
//! connected, and the receiver's own capacity for the same POSTs sent straight to it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use baton::clock::{Clock, SystemClock, Timestamp};
use http_body_util::BodyExt;
use hyper::Method;

use crate::client::Http;
use crate::driver::{Sample, load, ok};
use crate::text::{self, Rng};

/// Posts contact messages to random conversations of `pool` from `clients` loops.
async fn post_for(http: &Http, pool: &Arc<Vec<String>>, clients: usize, seconds: u64) -> Sample {
    let (http, pool) = (http.clone(), pool.clone());
    load(clients, seconds, move |client, n| {
        let (http, pool) = (http.clone(), pool.clone());
        async move {
            let mut rng = Rng::new((client as u64 + 11) * 9_000_011 + n);
            let conversation = rng.pick(&pool);
            let body = serde_json::json!({"sender_type": "contact", "content": text::contact_line(&mut rng)});
            ok(
                http.send(
                    Method::POST,
                    &format!("/v1/conversations/{conversation}/messages"),
                    Some(body.to_string()),
                )
                .await,
                201,
            )
        }
    })
    .await
}

/// Milliseconds from the event's `created_at` (the first in its JSON) to now.
fn lag_ms(text: &str) -> Option<u64> {
    let start = text.find("\"created_at\":\"")? + 14;
    let end = start + text[start..].find('"')?;
    let created = Timestamp::parse(&text[start..end])?.0;
    Some(u64::try_from(SystemClock.now_ms() - created).unwrap_or(0))
}

fn quantile(values: &mut [u64], q: f64) -> u64 {
    values.sort_unstable();
    values.get(((values.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0)
}

/// Events received by one stream client, and their lags.
#[derive(Default)]
struct Received {
    count: AtomicU64,
    lags: Mutex<Vec<u64>>,
}

pub async fn stream_fanout(
    http: &Http,
    pool: &Arc<Vec<String>>,
    streams: usize,
    posters: usize,
    seconds: u64,
) -> Result<(), String> {
    let baseline = post_for(http, pool, posters, seconds).await;
    let received: Arc<Vec<Received>> = Arc::new((0..streams).map(|_| Received::default()).collect());
    let mut readers = Vec::new();
    for i in 0..streams {
        let mut body = http.open("/v1/events/stream?type=message.created").await?;
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            let mut pending = String::new();
            while let Some(Ok(frame)) = body.frame().await {
                let Ok(data) = frame.into_data() else { continue };
                pending.push_str(&String::from_utf8_lossy(&data));
                while let Some(end) = pending.find("\n\n") {
                    let event: String = pending.drain(..end + 2).collect();
                    if event.contains("event: message.created") {
                        received[i].count.fetch_add(1, Ordering::Relaxed);
                        if let Some(lag) = lag_ms(&event) {
                            received[i].lags.lock().unwrap().push(lag);
                        }
                    }
                }
            }
        }));
    }
    let started = Instant::now();
    let posted = post_for(http, pool, posters, seconds).await;
    let expected = posted.count * streams as u64;
    let total = || received.iter().map(|r| r.count.load(Ordering::Relaxed)).sum::<u64>();
    let deadline = Instant::now() + Duration::from_secs(30);
    while total() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    for reader in readers {
        reader.abort();
    }
    let mut lags: Vec<u64> = received.iter().flat_map(|r| r.lags.lock().unwrap().clone()).collect();
    println!(
        "\n### Event stream fan-out: {streams} clients on /v1/events/stream while {posters} clients post\n\n\
         | streams | posted/s | posted/s with no stream (baseline) | ratio | events delivered/s (all streams) | delivered/expected | lag p50 ms | lag p99 ms |\n\
         |---|---|---|---|---|---|---|---|"
    );
    println!(
        "| {streams} | {:.0} | {:.0} | {:.2} | {:.0} | {}/{} | {} | {} |",
        posted.rate(),
        baseline.rate(),
        posted.rate() / baseline.rate(),
        total() as f64 / elapsed,
        total(),
        expected,
        quantile(&mut lags, 0.5),
        quantile(&mut lags, 0.99),
    );
    Ok(())
}

/// What the local receiver saw.
#[derive(Default)]
struct Sink {
    count: AtomicU64,
    lags: Mutex<Vec<u64>>,
    last: Mutex<Option<Instant>>,
    /// While set, requests wait: deliveries pile up as a backlog.
    closed: std::sync::atomic::AtomicBool,
}

async fn receive(
    axum::extract::State(sink): axum::extract::State<Arc<Sink>>,
    body: Bytes,
) -> axum::http::StatusCode {
    while sink.closed.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sink.count.fetch_add(1, Ordering::Relaxed);
    if let Some(lag) = lag_ms(&String::from_utf8_lossy(&body)) {
        sink.lags.lock().unwrap().push(lag);
    }
    *sink.last.lock().unwrap() = Some(Instant::now());
    axum::http::StatusCode::NO_CONTENT
}

pub async fn webhooks(
    http: &Http,
    pool: &Arc<Vec<String>>,
    posters: usize,
    seconds: u64,
) -> Result<(), String> {
    let sink = Arc::new(Sink::default());
    let app = axum::Router::new().fallback(receive).with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let url = format!("http://{}/hook", listener.local_addr().map_err(|e| e.to_string())?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    // Baseline: the same POSTs straight to the receiver, 32 at a time (the worker's width).
    let direct = Http::new(&url, "");
    let payload = Arc::new(format!(
        "{{\"created_at\":\"{}\",\"data\":\"{}\"}}",
        Timestamp(SystemClock.now_ms()).to_rfc3339(),
        "x".repeat(1800)
    ));
    let raw = load(32, seconds, move |_, _| {
        let (direct, payload) = (direct.clone(), payload.clone());
        async move { ok(direct.send(Method::POST, "", Some(payload.to_string())).await, 204) }
    })
    .await;
    sink.count.store(0, Ordering::Relaxed);
    sink.lags.lock().unwrap().clear();

    let created = http
        .send(
            Method::POST,
            "/v1/webhooks",
            Some(serde_json::json!({"url": url, "events": ["message.created"]}).to_string()),
        )
        .await?;
    if created.status != 201 {
        return Err(format!(
            "creating the webhook answered {}: {} (does the server run with --webhook-allow-private?)",
            created.status,
            String::from_utf8_lossy(&created.body)
        ));
    }
    let endpoint: serde_json::Value = serde_json::from_slice(&created.body).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let posted = post_for(http, pool, posters, seconds).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while sink.count.load(Ordering::Relaxed) < posted.count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let delivered = sink.count.load(Ordering::Relaxed);
    let last = sink.last.lock().unwrap().unwrap_or_else(Instant::now);
    let rate = delivered as f64 / last.duration_since(started).as_secs_f64();
    let mut lags = sink.lags.lock().unwrap().clone();

    // A backlog: the receiver holds requests while clients post (under the worker's 15 s
    // timeout), then opens; the drain rate is what the worker sends with nothing else running.
    sink.closed.store(true, Ordering::Relaxed);
    sink.count.store(0, Ordering::Relaxed);
    let backlog = post_for(http, pool, posters, seconds.min(10)).await;
    let opened = Instant::now();
    sink.closed.store(false, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(300);
    while sink.count.load(Ordering::Relaxed) < backlog.count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained = sink.count.load(Ordering::Relaxed);
    let last = sink.last.lock().unwrap().unwrap_or_else(Instant::now);
    let drain_rate = drained as f64 / last.duration_since(opened).as_secs_f64();
    http.send(Method::DELETE, &format!("/v1/webhooks/{}", endpoint["id"].as_str().unwrap_or_default()), None)
        .await?;
    println!(
        "\n### Webhook delivery to a local receiver\n\n\
         | phase | posted/s | delivered/posted | deliveries/s | receiver alone, req/s (baseline) | ratio | lag p50 ms | lag p99 ms |\n\
         |---|---|---|---|---|---|---|---|"
    );
    println!(
        "| live, {posters} clients posting | {:.0} | {delivered}/{} | {rate:.0} | {:.0} | {:.3} | {} | {} |",
        posted.rate(),
        posted.count,
        raw.rate(),
        rate / raw.rate(),
        quantile(&mut lags, 0.5),
        quantile(&mut lags, 0.99),
    );
    println!(
        "| backlog drain, nothing else running | {:.0} | {drained}/{} | {drain_rate:.0} | {:.0} | {:.3} | – | – |",
        backlog.rate(),
        backlog.count,
        raw.rate(),
        drain_rate / raw.rate(),
    );
    Ok(())
}
