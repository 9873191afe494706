//! Open event streams, counted per credential (a key or token), per client address and in
//! all on this node: each holds a connection and its buffers for as long as it is open, so a
//! leaked visitor token cannot hold thousands of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::metrics::{Counter, Metrics};
use super::quotas::limited;
use crate::error::ApiResult;

/// How many streams may be open at once.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub per_credential: usize,
    pub per_address: usize,
    pub total: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits { per_credential: 10, per_address: 200, total: 20_000 }
    }
}

#[derive(Default)]
struct Open {
    by_key: HashMap<String, usize>,
    total: usize,
}

pub struct StreamSlots {
    limits: StreamLimits,
    open: Mutex<Open>,
    metrics: Arc<Metrics>,
}

/// One open stream's place, given back when the stream ends (it is dropped with it).
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    keys: [String; 2],
}

impl StreamSlots {
    pub fn new(limits: StreamLimits, metrics: Arc<Metrics>) -> Self {
        StreamSlots { limits, open: Mutex::default(), metrics }
    }

    /// A place for a stream of `credential` from `address`, or a 429 when either, or the
    /// node, has all it may have open.
    pub fn open(self: &Arc<Self>, credential: &str, address: &str) -> ApiResult<StreamSlot> {
        let keys = [format!("credential:{credential}"), format!("address:{address}")];
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let full = open.total >= self.limits.total
            || open.by_key.get(&keys[0]).is_some_and(|&n| n >= self.limits.per_credential)
            || open.by_key.get(&keys[1]).is_some_and(|&n| n >= self.limits.per_address);
        if full {
            self.metrics.count(Counter::RateLimited, "streams");
            return Err(limited(5, "Too many event streams open: close one before opening another"));
        }
        open.total += 1;
        for key in &keys {
            *open.by_key.entry(key.clone()).or_default() += 1;
        }
        Ok(StreamSlot { slots: self.clone(), keys })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
        for key in &self.keys {
            if let Some(count) = open.by_key.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    open.by_key.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_capped_per_credential_address_and_node_and_freed_on_close() {
        let limits = StreamLimits { per_credential: 2, per_address: 3, total: 4 };
        let slots = Arc::new(StreamSlots::new(limits, Arc::default()));
        let a = slots.open("tok_a", "10.0.0.1").unwrap();
        let _b = slots.open("tok_a", "10.0.0.1").unwrap();
        assert!(slots.open("tok_a", "10.0.0.2").is_err(), "per credential");
        let _c = slots.open("tok_b", "10.0.0.1").unwrap();
        assert!(slots.open("tok_c", "10.0.0.1").is_err(), "per address");
        let _d = slots.open("tok_d", "10.0.0.9").unwrap();
        assert!(slots.open("tok_e", "10.0.0.8").is_err(), "in all");
        drop(a);
        slots.open("tok_a", "10.0.0.5").expect("a closed stream frees its place");
    }
}
