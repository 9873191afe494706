//! Live API keys found recently, by the hash of their secret, so that a busy integration's
//! requests do not each read their key from the database (on SQLite that read is a round
//! trip to a connection's thread and back, and under posting load it cost more than the
//! request's own work).
//!
//! A key revoked through this node, or whose workspace is deleted through it, is forgotten
//! at once. Another node (PostgreSQL) trusts a copy for at most [`FRESH`] after reading it,
//! so a key revoked elsewhere stops working here within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::api_keys::KeyLookup;

/// How long a key read from the database is trusted without reading it again.
pub(crate) const FRESH: Duration = Duration::from_secs(1);
/// Keys kept at most: past it, stale copies are dropped, and all of them if none is stale.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub(crate) struct KeyCache(Mutex<Keys>);

#[derive(Default)]
struct Keys {
    by_hash: HashMap<String, (KeyLookup, Instant)>,
    /// Bumped by every `forget_all`, so that a read which began before a revocation cannot
    /// put the revoked key back.
    generation: u64,
}

impl KeyCache {
    pub fn get(&self, secret_hash: &str, now: Instant) -> Option<KeyLookup> {
        let keys = self.lock();
        let (key, read_at) = keys.by_hash.get(secret_hash)?;
        (now.duration_since(*read_at) < FRESH).then(|| key.clone())
    }

    /// The generation to hand back to [`KeyCache::put`]: take it before reading the key.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps `key`, read at `read_at`, unless keys were forgotten since `generation`.
    pub fn put(&self, generation: u64, key: KeyLookup, read_at: Instant) {
        let mut keys = self.lock();
        if keys.generation != generation {
            return;
        }
        if keys.by_hash.len() >= CAPACITY {
            keys.by_hash.retain(|_, (_, at)| read_at.duration_since(*at) < FRESH);
            if keys.by_hash.len() >= CAPACITY {
                keys.by_hash.clear();
            }
        }
        keys.by_hash.insert(key.secret_hash.clone(), (key, read_at));
    }

    /// Records a use on the kept copy, so that the requests after it see the key as just
    /// used and do not record it again.
    pub fn used(&self, secret_hash: &str, at: i64) {
        if let Some((key, _)) = self.lock().by_hash.get_mut(secret_hash) {
            key.last_used_at = Some(at);
        }
    }

    /// Forgets every key: after a revocation or a workspace deletion, both rare.
    pub fn forget_all(&self) {
        let mut keys = self.lock();
        keys.by_hash.clear();
        keys.generation += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::WorkspaceId;

    fn key(hash: &str) -> KeyLookup {
        KeyLookup {
            key_id: format!("key_{hash}"),
            workspace_id: WorkspaceId::trusted("ws_1"),
            kind: "server".into(),
            secret_hash: hash.into(),
            last_used_at: None,
        }
    }

    /// A cache holding the key hashed `h1`, read at the returned instant.
    fn holding_h1() -> (KeyCache, Instant) {
        let cache = KeyCache::default();
        let t0 = Instant::now();
        cache.put(cache.generation(), key("h1"), t0);
        (cache, t0)
    }

    #[test]
    fn a_kept_key_is_trusted_only_while_fresh() {
        let (cache, t0) = holding_h1();
        assert_eq!(cache.get("h1", t0 + FRESH / 2).map(|k| k.key_id), Some("key_h1".into()));
        assert!(cache.get("h1", t0 + FRESH).is_none(), "a stale copy must be read again");
        assert!(cache.get("h2", t0).is_none());
    }

    #[test]
    fn a_read_begun_before_forgetting_does_not_put_the_key_back() {
        let (cache, t0) = holding_h1();
        let before = cache.generation();
        cache.forget_all();
        assert!(cache.get("h1", t0).is_none());
        cache.put(before, key("h1"), t0);
        assert!(cache.get("h1", t0).is_none(), "the revoked key came back");
        cache.put(cache.generation(), key("h1"), t0);
        assert!(cache.get("h1", t0).is_some());
    }

    #[test]
    fn a_use_shows_on_the_kept_copy() {
        let (cache, t0) = holding_h1();
        cache.used("h1", 42);
        assert_eq!(cache.get("h1", t0).and_then(|k| k.last_used_at), Some(42));
    }

    #[test]
    fn a_full_cache_drops_stale_copies_first() {
        let cache = KeyCache::default();
        let t0 = Instant::now();
        for i in 0..CAPACITY - 1 {
            cache.put(cache.generation(), key(&format!("old{i}")), t0);
        }
        let later = t0 + FRESH;
        cache.put(cache.generation(), key("fresh"), later);
        cache.put(cache.generation(), key("new"), later);
        assert!(cache.get("fresh", later).is_some(), "a fresh copy was dropped");
        assert!(cache.get("new", later).is_some());
        assert_eq!(cache.lock().by_hash.len(), 2);
    }
}
