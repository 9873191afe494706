//! Member passwords: Argon2id (memory-hard, OWASP's default parameters) with a random salt,
//! stored as a PHC string.
//!
//! Each check works in about 19 MiB, so checks run on a few threads of their own (one per
//! core, 2 to 8), never on the shared blocking pool, and each thread keeps its 19 MiB for the
//! next check (a fresh 64-byte-aligned allocation per check fragments the allocator's heaps,
//! and the process grows with every sign-in). A flood of sign-ins costs at most a few checks'
//! memory: requests wait in a short line, and beyond it are refused with 503 `server_busy`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, LazyLock, Mutex};

use std::cell::RefCell;

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Checks waiting for a thread at most; more are refused at once. With a check taking about
/// 50 ms on one core, the last in line waits about a second and a half on two cores.
const MAX_WAITING: usize = 64;

type Job = Box<dyn FnOnce() + Send>;

/// The line to the password threads.
static THREADS: LazyLock<SyncSender<Job>> = LazyLock::new(|| {
    let count = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    let (line, jobs) = sync_channel::<Job>(MAX_WAITING);
    let jobs = Arc::new(Mutex::new(jobs));
    for n in 0..count {
        let jobs = jobs.clone();
        let spawned = std::thread::Builder::new().name(format!("passwords-{n}")).spawn(move || {
            loop {
                let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok(job) = job else { return };
                // A check that panics fails alone (its caller sees the answer dropped).
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
        });
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start a password thread");
        }
    }
    line
});

fn busy() -> ApiError {
    let mut error =
        ApiError::new(ErrorCode::ServerBusy, "Too many sign-ins at once on this server: retry in a moment");
    error.retry_after = Some(1);
    error
}

/// Runs `work` on a password thread, after those already in line.
async fn gated<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    let (done, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    match THREADS.try_send(job) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => return Err(busy()),
        Err(TrySendError::Disconnected(_)) => return Err(ApiError::internal("the password threads stopped")),
    }
    answer.await.map_err(|_| ApiError::internal("a password check stopped"))
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
        verify_now(password.as_bytes(), &stored.unwrap_or_else(decoy)) && known
    })
    .await
}

thread_local! {
    /// This password thread's Argon2 memory, kept from one check to the next.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Recomputes the stored hash's output for `password`, in this thread's memory, and compares
/// the two in constant time.
fn verify_now(password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let (Ok(algorithm), Ok(params)) =
        (Algorithm::try_from(parsed.algorithm.as_str()), Params::try_from(&parsed))
    else {
        return false;
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let mut computed = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let hashed = MEMORY.with_borrow_mut(|memory| {
        memory.resize(blocks, Block::default());
        argon2.hash_password_into_with_memory(password, salt.as_ref(), &mut computed, &mut memory[..])
    });
    hashed.is_ok() && bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
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
