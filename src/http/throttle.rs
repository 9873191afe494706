//! Sign-in throttling: after too many wrong passwords for one email, sign-in for that email
//! pauses (429 with `Retry-After`) until the window ends. It bounds password guessing and
//! the Argon2 work an attacker can make this node do. Kept per node, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

/// Wrong passwords allowed per email in one window.
const MAX_FAILURES: u32 = 10;
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Emails tracked before finished windows are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct SignInThrottle(Mutex<HashMap<String, (u32, i64)>>);

impl SignInThrottle {
    /// `Some(seconds)` to wait when `email` has used up its attempts.
    pub fn blocked_for(&self, email: &str, now: i64) -> Option<u64> {
        let failures = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get(&email.to_lowercase()) {
            Some(&(count, started)) if count >= MAX_FAILURES && now < started + WINDOW_MS => {
                Some(((started + WINDOW_MS - now) as u64).div_ceil(1000))
            }
            _ => None,
        }
    }

    pub fn failed(&self, email: &str, now: i64) {
        let mut failures = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, &mut (_, started)| now < started + WINDOW_MS);
        }
        let entry = failures.entry(email.to_lowercase()).or_insert((0, now));
        if now >= entry.1 + WINDOW_MS {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, email: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&email.to_lowercase());
    }
}

/// Widget sessions per key: a client key is public, and each session creates a contact, so a
/// key may open at most `per_minute` sessions a minute on this node (429 with `Retry-After`
/// beyond). Kept per node, in memory.
pub struct SessionThrottle {
    per_minute: u32,
    windows: Mutex<HashMap<String, (u32, i64)>>,
}

const MINUTE_MS: i64 = 60_000;

impl SessionThrottle {
    pub fn new(per_minute: u32) -> Self {
        SessionThrottle { per_minute, windows: Mutex::default() }
    }

    /// Counts a session for `key`; `Err(seconds)` to wait when its minute is used up.
    pub fn admit(&self, key: &str, now: i64) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, &mut (_, started)| now < started + MINUTE_MS);
        }
        let window = windows.entry(key.to_owned()).or_insert((0, now));
        if now >= window.1 + MINUTE_MS {
            *window = (0, now);
        }
        if window.0 >= self.per_minute {
            return Err(((window.1 + MINUTE_MS - now) as u64).div_ceil(1000));
        }
        window.0 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_opens_at_most_its_sessions_a_minute() {
        let throttle = SessionThrottle::new(2);
        assert_eq!((throttle.admit("k", 0), throttle.admit("k", 10)), (Ok(()), Ok(())));
        assert_eq!(throttle.admit("k", 30_000), Err(30));
        assert_eq!(throttle.admit("other", 30_000), Ok(()), "per key");
        assert_eq!(throttle.admit("k", MINUTE_MS), Ok(()), "a new minute");
    }

    #[test]
    fn an_email_pauses_after_ten_failures_until_its_window_ends() {
        let throttle = SignInThrottle::default();
        for _ in 0..9 {
            throttle.failed("Ana@example.com", 0);
        }
        assert_eq!(throttle.blocked_for("ana@example.com", 1_000), None);
        throttle.failed("ana@example.com", 1_000);
        assert_eq!(
            throttle.blocked_for("ana@example.com", 1_000),
            Some(899),
            "the window began with the first miss"
        );
        assert_eq!(throttle.blocked_for("bo@example.com", 1_000), None, "per email");
        assert_eq!(throttle.blocked_for("ana@example.com", WINDOW_MS), None, "the window ends");
        throttle.failed("ana@example.com", WINDOW_MS);
        assert_eq!(throttle.blocked_for("ana@example.com", WINDOW_MS), None, "a new window starts");
        throttle.succeeded("ana@example.com");
    }
}
