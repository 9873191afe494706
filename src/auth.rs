//! Keys, tokens and secrets: their kinds, generation and hashing (resolving a presented one
//! to a caller is the HTTP layer's `authenticate`).
//!
//! Keys carry 256 bits of randomness, so a fast SHA-256 is the right hash (a slow KDF
//! protects low-entropy passwords, not random keys); only the hash is stored.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids;
use crate::store::NewApiKey;

pub const ADMIN_PREFIX: &str = "bt_admin_";
pub const SERVER_PREFIX: &str = "bt_sk_";
pub const CLIENT_PREFIX: &str = "bt_pk_";
pub const MEMBER_PREFIX: &str = "bt_mt_";
pub const CONTACT_PREFIX: &str = "bt_ct_";
/// How long a sign-in lasts.
pub const MEMBER_TOKEN_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Server,
    Client,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Server => "server",
            KeyKind::Client => "client",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "server" => Some(KeyKind::Server),
            "client" => Some(KeyKind::Client),
            _ => None,
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            KeyKind::Server => SERVER_PREFIX,
            KeyKind::Client => CLIENT_PREFIX,
        }
    }
}

/// What a member may do: `admin` everything in the workspace, `agent` the inbox work
/// (conversations, messages, notes, tags) and reading the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Agent,
}

impl Role {
    pub const ALL: &'static [&'static str] = &["admin", "agent"];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(Role::Admin),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

/// A freshly generated key: the secret is shown once, then only the hash remains.
pub struct GeneratedKey {
    pub secret: String,
    pub record: NewApiKey,
}

pub fn generate_key(kind: KeyKind, name: &str) -> GeneratedKey {
    let secret = random_secret(kind.prefix());
    let record = NewApiKey {
        id: ids::new_id("key"),
        name: name.to_owned(),
        kind: kind.as_str().to_owned(),
        secret_hash: hash_secret(&secret),
        secret_hint: secret[secret.len() - 4..].to_owned(),
        channel_id: None,
    };
    GeneratedKey { secret, record }
}

/// A new member token `(secret, hash)`: shown once at sign-in, only the hash is kept.
pub fn generate_member_token() -> (String, String) {
    let secret = random_secret(MEMBER_PREFIX);
    let hash = hash_secret(&secret);
    (secret, hash)
}

/// A new contact token `(secret, hash)` for a widget session: shown once, only the hash kept.
pub fn generate_contact_token() -> (String, String) {
    let secret = random_secret(CONTACT_PREFIX);
    let hash = hash_secret(&secret);
    (secret, hash)
}

/// A new setup link's secret `(secret, hash)`: printed once, only the hash kept.
pub fn generate_setup_secret() -> (String, String) {
    let secret = random_secret("setup_");
    let hash = hash_secret(&secret);
    (secret, hash)
}

/// How long a setup link works.
pub const SETUP_LINK_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// A new identity-verification secret for a workspace's widget.
pub fn generate_identity_secret() -> String {
    random_secret("idv_")
}

/// Whether `user_hash` is the hex HMAC-SHA256 of `external_id` under `secret`, compared in
/// constant time.
pub fn verify_user_hash(secret: &str, external_id: &str, user_hash: &str) -> bool {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(external_id.as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    bool::from(expected.as_bytes().ct_eq(user_hash.trim().to_ascii_lowercase().as_bytes()))
}

/// A new admin key, for operators to put in `BATON_ADMIN_KEY`.
pub fn generate_admin_key() -> String {
    random_secret(ADMIN_PREFIX)
}

/// `prefix` followed by 43 base62 characters (≥ 256 bits), drawn without modulo bias.
fn random_secret(prefix: &str) -> String {
    let mut out = String::from(prefix);
    while out.len() < prefix.len() + 43 {
        for byte in ids::random_bytes::<64>() {
            // 248 = 4 × 62: bytes at or above it would bias the draw.
            if byte < 248 && out.len() < prefix.len() + 43 {
                out.push(BASE62[usize::from(byte % 62)] as char);
            }
        }
    }
    out
}

pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_prefixed_long_and_distinct() {
        let a = generate_key(KeyKind::Server, "a");
        let b = generate_key(KeyKind::Client, "b");
        assert!(a.secret.starts_with("bt_sk_") && a.secret.len() == 6 + 43);
        assert!(b.secret.starts_with("bt_pk_"));
        assert_ne!(a.secret[6..], b.secret[6..]);
        assert_eq!(a.record.secret_hash, hash_secret(&a.secret));
        assert!(!a.record.secret_hash.contains(&a.secret[6..]));
        assert!(a.secret.ends_with(&a.record.secret_hint));
    }
}
