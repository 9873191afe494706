//! Object ids: `<prefix>_<26 Crockford base32 chars>`, ULID-shaped (48-bit millisecond time,
//! 80 random bits), monotonic within a process so ids sort in creation order.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct Last {
    ms: u64,
    random: u128,
}

static LAST: Mutex<Last> = Mutex::new(Last { ms: 0, random: 0 });

/// A new id with the given prefix, e.g. `new_id("ct")` → `ct_01JX…`.
pub fn new_id(prefix: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let (ms, random) = {
        let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if now <= last.ms {
            // Same (or earlier, if the clock stepped back) millisecond: increment to stay ordered.
            last.random = (last.random + 1) & ((1u128 << 80) - 1);
        } else {
            last.ms = now;
            last.random = random_u128() & ((1u128 << 80) - 1);
        }
        (last.ms, last.random)
    };
    let value = (u128::from(ms) << 80) | random;
    let mut out = String::with_capacity(prefix.len() + 27);
    out.push_str(prefix);
    out.push('_');
    for i in (0..26).rev() {
        out.push(ALPHABET[((value >> (i * 5)) & 31) as usize] as char);
    }
    out
}

/// Whether `id` has the given prefix and a well-formed suffix (cheap check before a lookup).
pub fn is_valid(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|suffix| suffix.len() == 26 && suffix.bytes().all(|b| ALPHABET.contains(&b)))
}

fn random_u128() -> u128 {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    u128::from_le_bytes(bytes)
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_valid_and_ordered() {
        let ids: Vec<String> = (0..1000).map(|_| new_id("ct")).collect();
        assert!(ids.iter().all(|id| is_valid("ct", id)));
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        sorted.dedup();
        assert_eq!(sorted.len(), 1000);
    }

    #[test]
    fn validity_rejects_wrong_prefix_and_shape() {
        let id = new_id("ch");
        assert!(!is_valid("ct", &id));
        assert!(!is_valid("ch", "ch_short"));
        assert!(!is_valid("ch", &format!("{}u", &id[..id.len() - 1])));
    }
}
