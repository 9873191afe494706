//! Limits on what strangers can make the server do: sign-in attempts, and visitors' sessions,
//! messages, conversations, uploads and open streams. A refused request is a 429
//! `rate_limited` with `Retry-After`, and nothing it asked for is done (no message stored, no
//! AI answer queued).
//!
//! Sign-in attempts are counted in the database ([`Store::hit_throttle`]), before the password
//! is checked: every node counts in the same row, and attempts sent at once are all counted.
//! Visitors' quotas are counted on each node, in memory: they bound what one token or address
//! costs that node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::Store;

use super::metrics::{Counter, Metrics};

/// Wrong passwords allowed for one email from one address, per window: a guesser elsewhere
/// pauses only their own attempts, never the member's.
pub const SIGN_IN_PER_ACCOUNT_AND_ADDRESS: Limit = Limit { hits: 10, window_ms: 15 * MINUTE_MS };
/// Sign-in attempts from one address, whatever the email (password spraying).
pub const SIGN_IN_PER_ADDRESS: Limit = Limit { hits: 30, window_ms: 5 * MINUTE_MS };

const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Keys tracked before finished windows are swept.
const SWEEP_AT: usize = 10_000;

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
}

/// A 429 that says when to come back.
pub fn limited(seconds: u64, what: &str) -> ApiError {
    let mut error = ApiError::new(ErrorCode::RateLimited, what.to_owned());
    error.retry_after = Some(seconds.max(1));
    error
}

fn seconds_left(started: i64, window_ms: i64, now: i64) -> u64 {
    u64::try_from(started + window_ms - now).unwrap_or(0).div_ceil(1000)
}

/// Why a sign-in attempt was not let through to the password check.
pub enum SignInRefused {
    /// The database could not count it.
    Failed(ApiError),
    /// Over a limit; `lockout_began`: this is the first refusal for the email at this address.
    Throttled { error: ApiError, lockout_began: bool },
}

impl From<SignInRefused> for ApiError {
    fn from(refused: SignInRefused) -> Self {
        match refused {
            SignInRefused::Failed(error) | SignInRefused::Throttled { error, .. } => error,
        }
    }
}

/// Counts a sign-in attempt for `email` from `address` before its password is checked.
/// Refused when the address, or this email from it, has used up its attempts.
pub async fn admit_sign_in(store: &Store, email: &str, address: &str, now: i64) -> Result<(), SignInRefused> {
    admit_address(store, address, now).await?;
    let limit = SIGN_IN_PER_ACCOUNT_AND_ADDRESS;
    let counted = store.hit_throttle(&account_bucket(email, address), limit.window_ms, now).await;
    let (hits, started) = counted.map_err(|e| SignInRefused::Failed(e.into()))?;
    if hits as u64 > limit.hits {
        let what = "Too many wrong passwords for this email: wait before trying again";
        let error = limited(seconds_left(started, limit.window_ms, now), what);
        return Err(SignInRefused::Throttled { error, lockout_began: hits as u64 == limit.hits + 1 });
    }
    Ok(())
}

/// Counts an attempt from `address` at anything that checks a password or a secret link
/// (sign-in, the setup link): refused once the address has used up its attempts.
pub async fn admit_address(store: &Store, address: &str, now: i64) -> Result<(), SignInRefused> {
    let limit = SIGN_IN_PER_ADDRESS;
    let counted = store.hit_throttle(&address_bucket(address), limit.window_ms, now).await;
    let (hits, started) = counted.map_err(|e| SignInRefused::Failed(e.into()))?;
    if hits as u64 > limit.hits {
        let what = "Too many sign-in attempts from this address: wait before trying again";
        let error = limited(seconds_left(started, limit.window_ms, now), what);
        return Err(SignInRefused::Throttled { error, lockout_began: false });
    }
    Ok(())
}

/// Takes back an attempt the server turned away unchecked (too busy): it was never a guess.
pub async fn refund_sign_in(store: &Store, email: &str, address: &str) -> ApiResult<()> {
    store.refund_throttle(&address_bucket(address)).await?;
    Ok(store.refund_throttle(&account_bucket(email, address)).await?)
}

fn address_bucket(address: &str) -> String {
    format!("sign-in:{address}")
}

/// The attempts of `email` from `address` are forgotten once it signs in.
pub async fn sign_in_succeeded(store: &Store, email: &str, address: &str) -> ApiResult<()> {
    Ok(store.clear_throttle(&account_bucket(email, address)).await?)
}

/// Emails are kept hashed in bucket names: the table is not a list of who tried to sign in.
fn account_bucket(email: &str, address: &str) -> String {
    let hashed = crate::auth::hash_secret(&email.trim().to_lowercase());
    format!("sign-in:{}:{address}", &hashed[..32])
}

/// Fixed windows counted in memory: `key` → (amount, window start).
#[derive(Default)]
pub struct Windows(Mutex<HashMap<String, (u64, i64)>>);

impl Windows {
    /// Adds `amount` to `key`'s window if that keeps it within `limit`; else `Err(seconds)`
    /// until the window ends.
    pub fn admit(&self, key: &str, amount: u64, limit: Limit, now: i64) -> Result<(), u64> {
        self.admit_all(&[(key, limit)], amount, now)
    }

    /// Adds `amount` to every key's window if each stays within its limit; else draws on none
    /// and says when the first full one ends.
    pub fn admit_all(&self, keys: &[(&str, Limit)], amount: u64, now: i64) -> Result<(), u64> {
        let mut windows = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, &mut (_, started)| now < started + HOUR_MS);
        }
        for &(key, limit) in keys {
            let window = windows.entry(key.to_owned()).or_insert((0, now));
            if now >= window.1 + limit.window_ms {
                *window = (0, now);
            }
            if window.0 + amount > limit.hits {
                return Err(seconds_left(window.1, limit.window_ms, now));
            }
        }
        for &(key, _) in keys {
            windows.entry(key.to_owned()).or_insert((0, now)).0 += amount;
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

    /// Draws on `contact`'s and `address`'s quota; a 429 when either is used up (and then
    /// neither is drawn on).
    pub fn admit(&self, quota: Quota, contact: &str, address: &str, now: i64) -> ApiResult<()> {
        let (limit, amount, name) = quota.limit(&self.quotas);
        let for_address = Limit { hits: limit.hits * self.quotas.address_factor, ..limit };
        let refused = |seconds| {
            self.metrics.count(Counter::RateLimited, name);
            limited(
                seconds,
                &format!("Too many {} for now: wait before sending more", name.replace('_', " ")),
            )
        };
        let (by_contact, by_address) = (format!("{name}:ct:{contact}"), format!("{name}:ip:{address}"));
        self.windows
            .admit_all(&[(&by_contact, limit), (&by_address, for_address)], amount, now)
            .map_err(refused)
    }

    /// A widget session for `key` from `address`: one abuser uses up only their own address's.
    pub fn admit_session(&self, key: &str, address: &str, now: i64) -> ApiResult<()> {
        let limit = self.quotas.sessions_per_address;
        self.windows.admit(&format!("sessions:{key}:{address}"), 1, limit, now).map_err(|seconds| {
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
        assert_eq!((windows.admit("k", 1, limit, 0), windows.admit("k", 1, limit, 10)), (Ok(()), Ok(())));
        assert_eq!(windows.admit("k", 1, limit, 30_000), Err(30));
        assert_eq!(windows.admit("other", 1, limit, 30_000), Ok(()), "per key");
        assert_eq!(windows.admit("k", 1, limit, MINUTE_MS), Ok(()), "a new minute");
        assert_eq!(windows.admit("bytes", 5, Limit::per_hour(4), 0), Err(3600), "an amount over the limit");
    }

    #[test]
    fn a_contact_and_its_address_each_have_a_quota() {
        let quotas =
            VisitorQuotas { messages: Limit::per_minute(2), address_factor: 2, ..VisitorQuotas::default() };
        let limits = VisitorLimits::new(quotas, Arc::default());
        for _ in 0..2 {
            limits.admit(Quota::Message, "ct_1", "10.0.0.1", 0).unwrap();
        }
        assert!(limits.admit(Quota::Message, "ct_1", "10.0.0.1", 0).is_err(), "the contact's quota");
        limits.admit(Quota::Message, "ct_2", "10.0.0.1", 0).unwrap();
        limits.admit(Quota::Message, "ct_2", "10.0.0.1", 0).unwrap();
        assert!(limits.admit(Quota::Message, "ct_3", "10.0.0.1", 0).is_err(), "the address's quota");
        limits.admit(Quota::Message, "ct_3", "10.0.0.2", 0).unwrap();
        limits.admit(Quota::Message, "ct_3", "10.0.0.2", 0).unwrap();
        assert!(limits.admit(Quota::Message, "ct_3", "10.0.0.2", 0).is_err(), "a refusal drew on neither");
    }
}
