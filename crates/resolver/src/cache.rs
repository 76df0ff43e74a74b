//! The resolution cache: answers by handle, each kept until it expires, the least
//! recently used leaving first when the cache is full. Split in shards (picked by the
//! handle's hash) so that concurrent resolutions rarely wait on one another.

use hashlink::LruCache;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SHARDS: usize = 16;

struct Entry<V> {
    value: Arc<V>,
    expires: Instant,
}

/// A bounded cache of `V` by handle with a time limit on each entry.
pub struct Cache<V> {
    shards: Vec<Mutex<LruCache<Box<str>, Entry<V>>>>,
    hasher: RandomState,
}

impl<V> std::fmt::Debug for Cache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("len", &self.len()).finish()
    }
}

impl<V> Cache<V> {
    /// A cache of at most about `capacity` entries (0: nothing is kept).
    pub fn new(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS);
        Cache {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(LruCache::new(per_shard)))
                .collect(),
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, LruCache<Box<str>, Entry<V>>> {
        let i = self.hasher.hash_one(key) as usize % SHARDS;
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key` unless it expired (an expired one is removed).
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let mut shard = self.shard(key);
        let e = shard.get(key)?;
        if e.expires > Instant::now() {
            return Some(e.value.clone());
        }
        shard.remove(key);
        None
    }

    /// Keeps `value` for `key` until `expires`.
    pub fn put(&self, key: &str, value: Arc<V>, expires: Instant) {
        let mut shard = self.shard(key);
        if shard.capacity() == 0 {
            return;
        }
        shard.insert(key.into(), Entry { value, expires });
    }

    /// Forgets `key`.
    pub fn remove(&self, key: &str) {
        self.shard(key).remove(key);
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        for s in &self.shards {
            s.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }

    /// Entries held (expired ones included until they are looked at or pushed out).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn entries_expire_and_the_least_recently_used_leave_first() {
        let c = Cache::new(16); // one entry per shard
        let later = Instant::now() + Duration::from_secs(60);
        c.put("a", Arc::new(1), later);
        assert_eq!(c.get("a").as_deref(), Some(&1));
        c.put("b", Arc::new(2), Instant::now());
        assert_eq!(c.get("b"), None, "expired");
        c.remove("a");
        assert_eq!(c.get("a"), None);
        // Far more keys than room: at most about the capacity stays.
        for i in 0..1000 {
            c.put(&format!("k{i}"), Arc::new(i), later);
        }
        assert!(c.len() <= 16, "{}", c.len());
        assert_eq!(c.get("k999").as_deref(), Some(&999), "the newest stays");
        let none: Cache<u8> = Cache::new(0);
        none.put("a", Arc::new(1), later);
        assert_eq!(none.get("a"), None);
    }
}
