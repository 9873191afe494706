//! Member passwords: Argon2id (memory-hard, OWASP's default parameters) with a random salt,
//! stored as a PHC string. Hashing runs on the blocking pool: it is slow on purpose.
//!
//! Each check takes about 19 MiB for its duration, so checks run a few at a time (one per
//! core): a flood of sign-ins waits in a short line, and beyond it is refused with 503
//! `server_busy`, instead of taking the node's memory with it.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Requests waiting for a check at most; more are refused at once.
const MAX_WAITING: usize = 64;
/// How long a request waits in line for a check.
const MAX_WAIT: Duration = Duration::from_secs(5);

static RUNNING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8)));
static WAITING: AtomicUsize = AtomicUsize::new(0);

fn busy() -> ApiError {
    let mut error =
        ApiError::new(ErrorCode::ServerBusy, "Too many sign-ins at once on this server: retry in a moment");
    error.retry_after = Some(1);
    error
}

/// Runs `work` on the blocking pool once one of the few check slots is free.
async fn gated<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(busy());
    }
    let permit = tokio::time::timeout(MAX_WAIT, RUNNING.acquire()).await;
    WAITING.fetch_sub(1, Ordering::AcqRel);
    let _permit = permit.map_err(|_| busy())?.map_err(|_| busy())?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("a password check stopped: {e}")))
}

pub async fn hash(password: String) -> ApiResult<String> {
    gated(move || hash_now(&password)).await?
}

fn hash_now(password: &str) -> ApiResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches `stored`. Without a stored hash (no such member, or one who
/// has no password) a throwaway hash is checked anyway, so the time taken does not tell
/// which emails exist. 503 `server_busy` when too many checks are waiting.
pub async fn verify(password: String, stored: Option<String>) -> ApiResult<bool> {
    gated(move || {
        let decoy = || DECOY.get_or_init(|| hash_now("decoy password").unwrap_or_default()).clone();
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(decoy);
        let Ok(parsed) = PasswordHash::new(&stored) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known
    })
    .await
}

static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_password_verifies_only_against_its_own_hash() {
        let stored = super::hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(super::verify("correct horse".into(), Some(stored.clone())).await.unwrap());
        assert!(!super::verify("wrong horse".into(), Some(stored)).await.unwrap());
        assert!(!super::verify("decoy password".into(), None).await.unwrap());
    }
}
