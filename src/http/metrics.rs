//! Prometheus metrics: request counts and latency histograms by method, route and status;
//! sign-in outcomes and requests refused by a limit.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::http::AppState;

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
    /// Counters with one label: (family, label value) → count.
    counters: Mutex<BTreeMap<(Counter, &'static str), u64>>,
}

/// The labelled counters: their name, help and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Counter {
    /// `outcome`: `succeeded`, `failed`, `throttled`, `busy`.
    SignIns,
    /// `limit`: which quota or throttle refused the request.
    RateLimited,
}

impl Counter {
    fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Counter::SignIns => ("baton_sign_ins_total", "Sign-in attempts by outcome.", "outcome"),
            Counter::RateLimited => ("baton_rate_limited_total", "Requests refused by a limit.", "limit"),
        }
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let series = requests.entry((method.to_owned(), route.to_owned(), status)).or_default();
        series.count += 1;
        series.sum += seconds;
        for (bucket, bound) in series.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    pub fn count(&self, counter: Counter, label: &'static str) {
        *self.counters.lock().unwrap_or_else(|p| p.into_inner()).entry((counter, label)).or_default() += 1;
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for counter in [Counter::SignIns, Counter::RateLimited] {
            let (name, help, label) = counter.describe();
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
            for ((_, value), count) in counters.iter().filter(|((c, _), _)| *c == counter) {
                let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
            }
        }
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP baton_http_requests_total HTTP requests handled.\n");
        out.push_str("# TYPE baton_http_requests_total counter\n");
        for ((method, route, status), s) in requests.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", escape(route));
            let _ = writeln!(out, "baton_http_requests_total{{{labels}}} {}", s.count);
        }
        out.push_str("# HELP baton_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE baton_http_request_duration_seconds histogram\n");
        for ((method, route, status), s) in requests.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", escape(route));
            for (bound, count) in BUCKETS.iter().zip(s.buckets) {
                let _ = writeln!(
                    out,
                    "baton_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "baton_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(out, "baton_http_request_duration_seconds_sum{{{labels}}} {}", s.sum);
            let _ = writeln!(out, "baton_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        out
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The matched route template, carried from routing out to the metrics layer.
#[derive(Clone)]
struct Route(String);

/// Inside routing: records which route matched (e.g. `/v1/contacts/{id}`).
pub async fn mark_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Outside routing: counts and times every request, and logs it (no bodies, no keys).
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    let route = response.extensions().get::<Route>().map_or("unmatched", |r| r.0.as_str());
    let status = response.status().as_u16();
    state.metrics.observe(&method, route, status, elapsed);
    tracing::debug!(
        http.method = %method,
        http.route = route,
        http.status = status,
        latency_ms = elapsed * 1000.0,
        request.id = %crate::error::current_request_id(),
        "request handled"
    );
    response
}
