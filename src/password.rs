//! Member passwords: Argon2id (memory-hard, OWASP's default parameters) with a random salt,
//! stored as a PHC string. Hashing runs on the blocking pool: it is slow on purpose.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::{ApiError, ApiResult};

pub async fn hash(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| ApiError::internal(format!("password hashing stopped: {e}")))?
}

fn hash_now(password: &str) -> ApiResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches `stored`. Without a stored hash (no such member, or one who
/// has no password) a throwaway hash is checked anyway, so the time taken does not tell
/// which emails exist.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let decoy = || DECOY.get_or_init(|| hash_now("decoy password").unwrap_or_default()).clone();
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(decoy);
        let Ok(parsed) = PasswordHash::new(&stored) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known
    })
    .await
    .unwrap_or(false)
}

static DECOY: OnceLock<String> = OnceLock::new();

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_password_verifies_only_against_its_own_hash() {
        let stored = super::hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(super::verify("correct horse".into(), Some(stored.clone())).await);
        assert!(!super::verify("wrong horse".into(), Some(stored)).await);
        assert!(!super::verify("decoy password".into(), None).await);
    }
}
