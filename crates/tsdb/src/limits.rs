//! The checks a point must pass that need no stored state: its property name, its
//! timestamp against the clock, a finite number, a string within bounds. The engine runs
//! them on every point it is given; a cluster's ingest node runs the same checks before it
//! appends to the replicated log, so a device learns of these refusals wherever its
//! message is stored.

use ironloom_core::telemetry::{Micros, PointIn, PointRejection, Value};

use crate::Options;

/// The stateless limits of one store, with the accepted time window of one moment.
#[derive(Debug, Clone, Copy)]
pub struct PointCheck {
    min_ts: Micros,
    max_ts: Micros,
    max_string_bytes: usize,
}

impl PointCheck {
    /// The limits of `opts` at the clock reading `now`.
    pub fn at(opts: &Options, now: Micros) -> PointCheck {
        PointCheck {
            min_ts: now.saturating_sub(opts.accept_past.as_micros() as Micros),
            max_ts: now.saturating_add(opts.accept_future.as_micros() as Micros),
            max_string_bytes: opts.max_string_bytes,
        }
    }

    /// Why the point is refused, if it is.
    pub fn check(&self, p: &PointIn) -> Option<PointRejection> {
        if !valid_property(&p.property) {
            Some(PointRejection::InvalidProperty)
        } else {
            self.check_point(p)
        }
    }

    /// [`check`](Self::check) but for the property's name (a write checks a name once
    /// for all the points of a series).
    pub fn check_point(&self, p: &PointIn) -> Option<PointRejection> {
        if p.ts < self.min_ts || p.ts > self.max_ts {
            Some(PointRejection::TimestampOutOfWindow {
                min: self.min_ts,
                max: self.max_ts,
            })
        } else {
            match &p.value {
                Value::F64(v) if !v.is_finite() => Some(PointRejection::NotFinite),
                Value::Str(s) if s.len() > self.max_string_bytes => {
                    Some(PointRejection::StringTooLong {
                        max: self.max_string_bytes,
                    })
                }
                _ => None,
            }
        }
    }
}

/// A property name: 1 to 128 characters, none of them a control character.
pub fn valid_property(p: &str) -> bool {
    // Checked for every point: ASCII names (the usual ones) without decoding characters.
    if p.is_ascii() {
        return (1..=128).contains(&p.len()) && !p.bytes().any(|b| b.is_ascii_control());
    }
    let n = p.chars().count();
    (1..=128).contains(&n) && !p.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_core::telemetry::Quality;

    fn point(property: &str, ts: Micros, value: Value) -> PointIn {
        PointIn {
            property: property.into(),
            ts,
            value,
            quality: Quality::Good,
        }
    }

    #[test]
    fn each_limit_names_its_reason() {
        let opts = Options {
            accept_past: std::time::Duration::from_secs(10),
            accept_future: std::time::Duration::from_secs(1),
            max_string_bytes: 4,
            ..Options::default()
        };
        let now = 100_000_000;
        let c = PointCheck::at(&opts, now);
        assert_eq!(c.check(&point("t", now, Value::F64(1.0))), None);
        assert_eq!(c.check(&point("t", now - 10_000_000, Value::I64(1))), None);
        assert_eq!(
            c.check(&point("t", now - 10_000_001, Value::I64(1))),
            Some(PointRejection::TimestampOutOfWindow {
                min: now - 10_000_000,
                max: now + 1_000_000
            })
        );
        assert!(
            c.check(&point("t", now + 1_000_001, Value::I64(1)))
                .is_some()
        );
        assert_eq!(
            c.check(&point("", now, Value::I64(1))),
            Some(PointRejection::InvalidProperty)
        );
        assert_eq!(
            c.check(&point("a\u{7}", now, Value::I64(1))),
            Some(PointRejection::InvalidProperty)
        );
        assert_eq!(c.check(&point("温度", now, Value::I64(1))), None);
        assert_eq!(
            c.check(&point(&"温".repeat(129), now, Value::I64(1))),
            Some(PointRejection::InvalidProperty)
        );
        assert_eq!(
            c.check(&point("t", now, Value::F64(f64::NAN))),
            Some(PointRejection::NotFinite)
        );
        assert_eq!(
            c.check(&point("t", now, Value::Str("abcde".into()))),
            Some(PointRejection::StringTooLong { max: 4 })
        );
        assert_eq!(c.check(&point("t", now, Value::Str("abcd".into()))), None);
    }
}
