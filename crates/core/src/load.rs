//! The platform's transactions per second (TPS, 业务并发/每秒事务数), as the evaluation
//! report counts them: every transaction the platform's own transactional paths complete —
//! a device message stored, a write through the REST API that succeeded, a model or
//! algorithm call — counted where it completes ([`count`]), sampled every second by each
//! node ([`Sampler`]) and kept per node and minute with the busiest second of the minute
//! ([`LoadRow`]). A month's **peak** TPS is its busiest second (summed over the nodes
//! minute by minute, an upper bound when nodes peak in different seconds of a minute);
//! its **sustained** TPS is the average of its busiest hour; its **average** TPS is the
//! month's transactions over the seconds it has had.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use utoipa::ToSchema;

/// A transactional path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// A device message whose values were stored (MQTT, HTTP, CoAP, gateways).
    DeviceMessages = 0,
    /// A REST request that changed something (POST, PUT, PATCH, DELETE) and succeeded.
    ApiWrites = 1,
    /// A model or algorithm call (API, rules, bindings, jobs, apps).
    ModelCalls = 2,
}

const PATHS: usize = 3;

/// Transactions completed by this process since it started, per path.
static DONE: [AtomicU64; PATHS] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Counts `n` completed transactions of `path`.
pub fn count(path: Path, n: u64) {
    DONE[path as usize].fetch_add(n, Ordering::Relaxed);
}

fn totals() -> [u64; PATHS] {
    [0, 1, 2].map(|i| DONE[i].load(Ordering::Relaxed))
}

/// One node's transactions of one minute (or of the part of it since the last row for
/// that minute: rows of a node and minute add up, their peaks take the larger).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadRow {
    /// Unix minute (seconds / 60).
    pub minute: i64,
    pub transactions: u64,
    /// The busiest second's transactions.
    pub peak: u64,
    pub device_messages: u64,
    pub api_writes: u64,
    pub model_calls: u64,
}

/// A month's transaction figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoadFigures {
    pub transactions: u64,
    pub device_messages: u64,
    pub api_writes: u64,
    pub model_calls: u64,
    /// The busiest second's transactions.
    pub peak_tps: u64,
    /// The busiest hour's transactions.
    pub busiest_hour: u64,
    /// The busiest hour's average transactions per second.
    pub sustained_tps: f64,
    /// The month's transactions over the seconds it has had so far.
    pub average_tps: f64,
}

/// Samples the counters once a second into per-minute rows.
#[derive(Debug)]
pub struct Sampler {
    last: [u64; PATHS],
    open: LoadRow,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler::new()
    }
}

impl Sampler {
    /// Starts from the counters as they are now.
    pub fn new() -> Sampler {
        Sampler {
            last: totals(),
            open: LoadRow::default(),
        }
    }

    /// Takes the second that ends at `unix_secs` (what was counted since the last call).
    /// Returns the row of a minute that ended, if one did.
    pub fn tick(&mut self, unix_secs: i64) -> Option<LoadRow> {
        self.add(unix_secs, totals())
    }

    fn add(&mut self, unix_secs: i64, now: [u64; PATHS]) -> Option<LoadRow> {
        let d: [u64; PATHS] = [0, 1, 2].map(|i| now[i].saturating_sub(self.last[i]));
        self.last = now;
        let minute = unix_secs.div_euclid(60);
        let ended = (self.open.minute != minute).then(|| {
            std::mem::replace(
                &mut self.open,
                LoadRow {
                    minute,
                    ..Default::default()
                },
            )
        });
        let second: u64 = d.iter().sum();
        let r = &mut self.open;
        r.transactions += second;
        r.peak = r.peak.max(second);
        r.device_messages += d[0];
        r.api_writes += d[1];
        r.model_calls += d[2];
        ended.filter(|r| r.transactions > 0)
    }

    /// The open minute's row so far, taken out (its counts start again from zero, its
    /// peak too), for a write before the minute ends; None if nothing was counted.
    pub fn take_open(&mut self) -> Option<LoadRow> {
        let minute = self.open.minute;
        let r = std::mem::replace(
            &mut self.open,
            LoadRow {
                minute,
                ..Default::default()
            },
        );
        (r.transactions > 0).then_some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_add_up_to_minutes_with_their_busiest_second() {
        let mut s = Sampler {
            last: [0; PATHS],
            open: LoadRow {
                minute: 100,
                ..Default::default()
            },
        };
        // Minute 100: three seconds of 5, 12 and 3 transactions.
        assert_eq!(s.add(6000, [5, 0, 0]), None);
        assert_eq!(s.add(6001, [10, 5, 2]), None);
        assert_eq!(s.add(6059, [12, 6, 2]), None);
        // The first second of minute 101 closes minute 100.
        let done = s.add(6060, [13, 6, 2]).unwrap();
        assert_eq!(
            done,
            LoadRow {
                minute: 100,
                transactions: 20,
                peak: 12,
                device_messages: 12,
                api_writes: 6,
                model_calls: 2,
            }
        );
        // Written early, the open minute goes on from zero.
        let early = s.take_open().unwrap();
        assert_eq!((early.minute, early.transactions, early.peak), (101, 1, 1));
        assert_eq!(s.take_open(), None);
        // A quiet minute makes no row.
        assert_eq!(s.add(6200, [13, 6, 2]), None);
        assert_eq!(s.add(6300, [13, 6, 2]), None);
    }

    #[test]
    fn counts_reach_the_sampler() {
        let mut s = Sampler::new();
        count(Path::ApiWrites, 3);
        s.tick(60 * 7);
        let r = s.take_open().unwrap();
        // Other tests of this process may count too; at least these three.
        assert!(r.api_writes >= 3 && r.transactions >= 3, "{r:?}");
    }
}
