//! Resolutions answered, counted per identifier and month in memory and stored every few
//! seconds (by the REST API and the Handle protocol alike). Counting is on the path of
//! every resolution, so it takes one of several locks, picked by the handle's hash, and
//! allocates only for an identifier's first resolution of a flush period.

use ironloom_core::identifier::ResolutionCount;
use ironloom_core::ids::TenantId;
use ironloom_core::repo::IdentifierRepo;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;

/// Counts of one shard: handle → (month, owner, prefix, count).
type Shard = HashMap<String, Vec<Counted>>;

#[derive(Debug, Clone)]
struct Counted {
    month: Arc<str>,
    tenant: TenantId,
    prefix: String,
    count: u64,
}

/// Resolutions answered, per identifier and month, not stored yet.
#[derive(Debug)]
pub struct ResolutionMeter {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
}

thread_local! {
    /// The current month (`YYYY-MM`) by day, on each thread (no lock shared by threads
    /// counting at once).
    static MONTH: std::cell::RefCell<(i64, Arc<str>)> =
        std::cell::RefCell::new((i64::MIN, Arc::from("")));
}

impl Default for ResolutionMeter {
    fn default() -> Self {
        ResolutionMeter {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
        }
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ResolutionMeter {
    fn month(&self) -> Arc<str> {
        let now = chrono::Utc::now();
        let day = now.timestamp().div_euclid(86_400);
        MONTH.with_borrow_mut(|m| {
            if m.0 != day {
                *m = (day, ironloom_core::developer_stats::month_of(now).into());
            }
            m.1.clone()
        })
    }

    fn shard(&self, handle: &str) -> &Mutex<Shard> {
        let i = self.hasher.hash_one(handle) as usize % SHARDS;
        &self.shards[i]
    }

    /// Counts one resolution of an identifier of `tenant`.
    pub fn record(&self, tenant: TenantId, prefix: &str, handle: &str) {
        let month = self.month();
        let mut shard = locked(self.shard(handle));
        let counts = match shard.get_mut(handle) {
            Some(c) => c,
            None => shard.entry(handle.to_string()).or_default(),
        };
        match counts.iter_mut().find(|c| c.month == month) {
            Some(c) => c.count += 1,
            None => counts.push(Counted {
                month,
                tenant,
                prefix: prefix.to_string(),
                count: 1,
            }),
        }
    }

    fn add(&self, r: ResolutionCount) {
        let mut shard = locked(self.shard(&r.handle));
        let counts = shard.entry(r.handle).or_default();
        match counts.iter_mut().find(|c| *c.month == *r.month) {
            Some(c) => c.count += r.count,
            None => counts.push(Counted {
                month: r.month.into(),
                tenant: r.tenant_id,
                prefix: r.prefix,
                count: r.count,
            }),
        }
    }

    /// Stores the counts (put back when the write fails, for the next time).
    pub async fn flush(&self, store: &dyn IdentifierRepo) -> ironloom_core::error::Result<()> {
        let mut rows = Vec::new();
        for shard in &self.shards {
            let taken = std::mem::take(&mut *locked(shard));
            for (handle, counts) in taken {
                for c in counts {
                    rows.push(ResolutionCount {
                        month: c.month.to_string(),
                        handle: handle.clone(),
                        tenant_id: c.tenant,
                        prefix: c.prefix,
                        count: c.count,
                    });
                }
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        if let Err(e) = store.add_resolutions(&rows).await {
            for r in rows {
                self.add(r);
            }
            return Err(e);
        }
        Ok(())
    }

    /// The counts not stored yet, for tests.
    pub fn pending(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| locked(s).values().flatten().map(|c| c.count).sum::<u64>())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_handle() {
        let m = ResolutionMeter::default();
        let t = TenantId::new();
        for _ in 0..3 {
            m.record(t, "88.1", "88.1/A");
        }
        m.record(t, "88.1", "88.1/B");
        assert_eq!(m.pending(), 4);
        m.add(ResolutionCount {
            month: "2026-01".into(),
            handle: "88.1/A".into(),
            tenant_id: t,
            prefix: "88.1".into(),
            count: 5,
        });
        assert_eq!(m.pending(), 9);
    }
}
