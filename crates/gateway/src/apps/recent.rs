//! What the gateway read recently, for the host API's `latest` and `history` at the edge:
//! the last [`RECENT_POINTS`] values of each point of each device, at most
//! [`RECENT_SERIES`] points in all (a point beyond that is not kept), in memory only.

use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};

/// Values kept per point of a device.
pub const RECENT_POINTS: usize = 256;
/// Points (device, property) kept in all.
pub const RECENT_SERIES: usize = 4096;

/// The recent-values window.
#[derive(Debug, Default)]
pub struct Recent {
    series: HashMap<(String, String), VecDeque<(i64, Value)>>,
}

impl Recent {
    /// Adds one value (times in milliseconds); an older time than the newest kept is
    /// put in its place, so each series stays in time order.
    pub fn add(&mut self, device: &str, property: &str, ts: i64, value: Value) {
        let key = (device.to_owned(), property.to_owned());
        if !self.series.contains_key(&key) && self.series.len() >= RECENT_SERIES {
            return;
        }
        let s = self.series.entry(key).or_default();
        let at = s.partition_point(|(t, _)| *t <= ts);
        if at > 0 && s[at - 1].0 == ts {
            s[at - 1].1 = value;
            return;
        }
        s.insert(at, (ts, value));
        if s.len() > RECENT_POINTS {
            s.pop_front();
        }
    }

    /// The newest value of each of `properties` of `device` (every point when empty):
    /// `{prop: {"ts", "value"}}`.
    pub fn latest(&self, device: &str, properties: &[String]) -> serde_json::Map<String, Value> {
        self.series
            .iter()
            .filter(|((d, p), _)| d == device && (properties.is_empty() || properties.contains(p)))
            .filter_map(|((_, p), s)| {
                let (ts, v) = s.back()?;
                Some((p.clone(), json!({"ts": ts, "value": v})))
            })
            .collect()
    }

    /// Values of one point from `from` to `to` (inclusive), oldest first, at most `limit`.
    pub fn history(
        &self,
        device: &str,
        property: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Vec<Value> {
        let key = (device.to_owned(), property.to_owned());
        self.series.get(&key).map_or_else(Vec::new, |s| {
            s.iter()
                .filter(|(t, _)| (from..=to).contains(t))
                .take(limit)
                .map(|(t, v)| json!([t, v]))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_values_in_time_order_within_its_bounds() {
        let mut r = Recent::default();
        for i in 0..(RECENT_POINTS as i64 + 10) {
            r.add("pump-1", "flow", 1000 + i, json!(i));
        }
        r.add("pump-1", "flow", 1000 + 300, json!("late"));
        let all = r.history("pump-1", "flow", 0, i64::MAX, 10_000);
        assert_eq!(all.len(), RECENT_POINTS);
        assert_eq!(all[0], json!([1011, 11]));
        assert_eq!(
            r.latest("pump-1", &[])["flow"],
            json!({"ts": 1300, "value": "late"})
        );
        assert_eq!(
            r.history("pump-1", "flow", 1100, 1102, 2),
            vec![json!([1100, 100]), json!([1101, 101])]
        );
        assert!(r.latest("pump-2", &[]).is_empty());
        for i in 0..RECENT_SERIES + 5 {
            r.add("d", &format!("p{i}"), 1, json!(1));
        }
        assert_eq!(r.series.len(), RECENT_SERIES);
    }
}
