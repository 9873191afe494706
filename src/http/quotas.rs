//! What one visitor may make this node do: widget sessions, messages, conversations, uploads,
//! typing and read signals — counted per contact and per client address, in fixed windows in
//! memory (they bound what one token or address costs the node; `stream_slots.rs` counts open
//! streams). A refused request is a 429 `rate_limited` with `Retry-After`, and nothing it
//! asked for is done (no message stored, no AI answer queued).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::metrics::{Counter, Metrics};
use crate::error::{ApiError, ApiResult, ErrorCode};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
/// How often finished windows are swept out (no window is longer than an hour).
const SWEEP_EVERY_MS: i64 = MINUTE_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub hits: u64,
    pub window_ms: i64,
}

impl Limit {
    pub const fn per_minute(hits: u64) -> Self {
        Limit { hits, window_ms: MINUTE_MS }
    }
    pub const fn per_hour(hits: u64) -> Self {
        Limit { hits, window_ms: HOUR_MS }
    }
    pub const fn per_minutes(hits: u64, minutes: i64) -> Self {
        Limit { hits, window_ms: minutes * MINUTE_MS }
    }

    /// Seconds until a window that started at `started` ends.
    pub fn seconds_left(&self, started: i64, now: i64) -> u64 {
        u64::try_from(started + self.window_ms - now).unwrap_or(0).div_ceil(1000)
    }
}

/// A 429 that says when to come back.
pub fn limited(seconds: u64, what: &str) -> ApiError {
    let mut error = ApiError::new(ErrorCode::RateLimited, what.to_owned());
    error.retry_after = Some(seconds.max(1));
    error
}

/// One key's window: the amount counted, when it started, how long it lasts.
type Window = (u64, i64, i64);

/// Fixed windows counted in memory, and when finished ones were last swept out.
#[derive(Default)]
struct Windows {
    open: Mutex<(HashMap<String, Window>, i64)>,
}

impl Windows {
    /// Adds each `amount` to its key's window if every one stays within its limit; else adds
    /// nothing and says when the first full one ends.
    fn admit(&self, draws: &[(&str, u64, Limit)], now: i64) -> Result<(), u64> {
        let mut guard = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (windows, swept_at) = &mut *guard;
        if now >= *swept_at + SWEEP_EVERY_MS {
            windows.retain(|_, &mut (_, started, length)| now < started + length);
            *swept_at = now;
        }
        for &(key, amount, limit) in draws {
            let window = windows.entry(key.to_owned()).or_insert((0, now, limit.window_ms));
            if now >= window.1 + limit.window_ms {
                *window = (0, now, limit.window_ms);
            }
            if window.0 + amount > limit.hits {
                return Err(limit.seconds_left(window.1, now));
            }
        }
        for &(key, amount, _) in draws {
            if let Some(window) = windows.get_mut(key) {
                window.0 += amount;
            }
        }
        Ok(())
    }
}

/// What one visitor may do, per contact (its tokens) and per client address. Addresses get
/// more room than a contact: several visitors may share one (an office, a mobile network).
#[derive(Debug, Clone, Copy)]
pub struct VisitorQuotas {
    /// Widget sessions one key may open from one address.
    pub sessions_per_address: Limit,
    pub messages: Limit,
    pub conversations: Limit,
    pub uploads: Limit,
    /// Bytes uploaded.
    pub upload_bytes: Limit,
    /// Typing and read signals (each is relayed live to every inbox), and ratings.
    pub signals: Limit,
    /// How many times a contact's quota an address gets.
    pub address_factor: u64,
}

impl Default for VisitorQuotas {
    fn default() -> Self {
        VisitorQuotas {
            sessions_per_address: Limit::per_minute(10),
            messages: Limit::per_minute(20),
            conversations: Limit::per_minute(5),
            uploads: Limit::per_hour(20),
            upload_bytes: Limit::per_hour(50 * 1024 * 1024),
            signals: Limit::per_minute(60),
            address_factor: 3,
        }
    }
}

/// Which of a visitor's quotas a request draws on.
#[derive(Debug, Clone, Copy)]
pub enum Quota {
    Message,
    Conversation,
    Upload,
    UploadBytes(u64),
    Signal,
}

impl Quota {
    fn limit(self, quotas: &VisitorQuotas) -> (Limit, u64, &'static str) {
        match self {
            Quota::Message => (quotas.messages, 1, "messages"),
            Quota::Conversation => (quotas.conversations, 1, "conversations"),
            Quota::Upload => (quotas.uploads, 1, "uploads"),
            Quota::UploadBytes(bytes) => (quotas.upload_bytes, bytes, "upload_bytes"),
            Quota::Signal => (quotas.signals, 1, "signals"),
        }
    }
}

/// The visitors' quotas on this node.
pub struct VisitorLimits {
    pub quotas: VisitorQuotas,
    windows: Windows,
    metrics: Arc<Metrics>,
}

impl VisitorLimits {
    pub fn new(quotas: VisitorQuotas, metrics: Arc<Metrics>) -> Self {
        VisitorLimits { quotas, windows: Windows::default(), metrics }
    }

    /// Draws on `contact`'s and `address`'s quota for each of `quotas`; a 429 when any is used
    /// up (and then none is drawn on).
    pub fn admit(&self, quotas: &[Quota], contact: &str, address: &str, now: i64) -> ApiResult<()> {
        let named: Vec<_> = quotas.iter().map(|q| q.limit(&self.quotas)).collect();
        let keys: Vec<_> = named
            .iter()
            .map(|(_, _, name)| (format!("{name}:ct:{contact}"), format!("{name}:ip:{address}")))
            .collect();
        let mut draws = Vec::with_capacity(2 * quotas.len());
        for ((limit, amount, _), (by_contact, by_address)) in named.iter().zip(&keys) {
            let for_address = Limit { hits: limit.hits * self.quotas.address_factor, ..*limit };
            draws.push((by_contact.as_str(), *amount, *limit));
            draws.push((by_address.as_str(), *amount, for_address));
        }
        self.windows.admit(&draws, now).map_err(|seconds| {
            let name = named.first().map_or("requests", |(_, _, name)| name);
            self.metrics.count(Counter::RateLimited, name);
            limited(
                seconds,
                &format!("Too many {} for now: wait before sending more", name.replace('_', " ")),
            )
        })
    }

    /// A widget session for `key` from `address`: one abuser uses up only their own address's.
    pub fn admit_session(&self, key: &str, address: &str, now: i64) -> ApiResult<()> {
        let limit = self.quotas.sessions_per_address;
        self.windows.admit(&[(&format!("sessions:{key}:{address}"), 1, limit)], now).map_err(|seconds| {
            self.metrics.count(Counter::RateLimited, "sessions");
            limited(seconds, "Too many chat sessions from this address this minute: wait a little")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_up_to_its_limit_then_says_when_it_ends() {
        let windows = Windows::default();
        let limit = Limit::per_minute(2);
        let one = |key: &'static str, at| windows.admit(&[(key, 1, limit)], at);
        assert_eq!((one("k", 0), one("k", 10)), (Ok(()), Ok(())));
        assert_eq!(one("k", 30_000), Err(30));
        assert_eq!(one("other", 30_000), Ok(()), "per key");
        assert_eq!(one("k", MINUTE_MS), Ok(()), "a new minute");
        assert_eq!(
            windows.admit(&[("bytes", 5, Limit::per_hour(4))], 0),
            Err(3600),
            "an amount over the limit"
        );
    }

    #[test]
    fn a_contact_and_its_address_each_have_a_quota_and_a_refusal_draws_on_none() {
        let quotas = VisitorQuotas {
            messages: Limit::per_minute(2),
            conversations: Limit::per_minute(1),
            address_factor: 2,
            ..VisitorQuotas::default()
        };
        let limits = VisitorLimits::new(quotas, Arc::default());
        for _ in 0..2 {
            limits.admit(&[Quota::Message], "ct_1", "10.0.0.1", 0).unwrap();
        }
        assert!(limits.admit(&[Quota::Message], "ct_1", "10.0.0.1", 0).is_err(), "the contact's quota");
        limits.admit(&[Quota::Message], "ct_2", "10.0.0.1", 0).unwrap();
        limits.admit(&[Quota::Message], "ct_2", "10.0.0.1", 0).unwrap();
        assert!(limits.admit(&[Quota::Message], "ct_3", "10.0.0.1", 0).is_err(), "the address's quota");
        // A conversation with its first message: the message's refusal spends no conversation.
        let both = [Quota::Conversation, Quota::Message];
        assert!(limits.admit(&both, "ct_1", "10.0.0.9", 0).is_err());
        limits.admit(&[Quota::Conversation], "ct_1", "10.0.0.9", 0).expect("the conversation was not spent");
    }
}
