//! The time-series engine's settings as users write them: the `[tsdb]` section, with
//! humane units, turned into the engine's [`Options`](crate::Options).

use serde::Deserialize;

pub use ironloom_core::units::{ByteSize, Duration, InvalidConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TsdbConfig {
    /// When the write-ahead log is forced to disk: `always` (before every acknowledgement;
    /// writes arriving together share one sync), `never` (the OS decides), or an interval
    /// such as `100ms` (a power cut can lose that much; a process crash loses nothing).
    pub fsync: String,
    /// Memtable size that triggers a flush to a segment file.
    pub memtable_size: ByteSize,
    /// Width of a time partition: retention drops whole partitions.
    pub partition: Duration,
    /// Most points per compressed chunk.
    pub chunk_points: usize,
    /// Points older than this, or further in the future than `accept_future`, are refused.
    pub accept_past: Duration,
    pub accept_future: Duration,
    /// Longest string value accepted.
    pub max_string_size: ByteSize,
    /// How long a writer waits for the disk to catch up before failing with 503.
    pub write_stall_timeout: Duration,
}

impl Default for TsdbConfig {
    fn default() -> Self {
        let d = crate::Options::default();
        TsdbConfig {
            fsync: "always".into(),
            memtable_size: ByteSize(d.memtable_bytes),
            partition: Duration(std::time::Duration::from_micros(d.partition as u64)),
            chunk_points: d.chunk_points,
            accept_past: Duration(d.accept_past),
            accept_future: Duration(d.accept_future),
            max_string_size: ByteSize(d.max_string_bytes),
            write_stall_timeout: Duration(d.write_stall_timeout),
        }
    }
}

impl TsdbConfig {
    /// What is wrong with the section, named by key.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        self.options().map(|_| ())
    }

    /// The engine's options, or what is wrong with the section.
    pub fn options(&self) -> Result<crate::Options, InvalidConfig> {
        let fsync = match self.fsync.as_str() {
            "always" => crate::FsyncPolicy::Always,
            "never" => crate::FsyncPolicy::Never,
            other => match other.parse::<Duration>() {
                Ok(d) if !d.0.is_zero() => crate::FsyncPolicy::Interval(d.0),
                _ => {
                    return Err(InvalidConfig(format!(
                        "tsdb.fsync must be \"always\", \"never\" or an interval like \"100ms\", not {other:?}"
                    )));
                }
            },
        };
        if self.memtable_size.0 < (1 << 20) {
            return Err(InvalidConfig(
                "tsdb.memtable_size must be at least 1MiB".into(),
            ));
        }
        if self.partition.0 < std::time::Duration::from_secs(60) {
            return Err(InvalidConfig("tsdb.partition must be at least 1m".into()));
        }
        if !(16..=65_536).contains(&self.chunk_points) {
            return Err(InvalidConfig(
                "tsdb.chunk_points must be between 16 and 65536".into(),
            ));
        }
        Ok(crate::Options {
            fsync,
            memtable_bytes: self.memtable_size.0,
            partition: self.partition.0.as_micros() as i64,
            chunk_points: self.chunk_points,
            accept_past: self.accept_past.0,
            accept_future: self.accept_future.0,
            max_string_bytes: self.max_string_size.0,
            write_stall_timeout: self.write_stall_timeout.0,
            ..crate::Options::default()
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_section_becomes_options_and_bad_values_are_named() {
        let c: TsdbConfig = serde_json::from_str(
            r#"{"fsync": "100ms", "memtable_size": "8MiB", "partition": "1h"}"#,
        )
        .unwrap();
        let o = c.options().unwrap();
        assert_eq!(
            o.fsync,
            crate::FsyncPolicy::Interval(std::time::Duration::from_millis(100))
        );
        assert_eq!(o.memtable_bytes, 8 << 20);
        assert_eq!(o.partition, 3_600_000_000);
        let bad = |json: &str| {
            serde_json::from_str::<TsdbConfig>(json)
                .unwrap()
                .validate()
                .unwrap_err()
                .0
        };
        assert!(bad(r#"{"fsync": "sometimes"}"#).contains("tsdb.fsync"));
        assert!(bad(r#"{"partition": "10s"}"#).contains("tsdb.partition"));
        assert!(bad(r#"{"chunk_points": 8}"#).contains("tsdb.chunk_points"));
        assert!(serde_json::from_str::<TsdbConfig>(r#"{"fsynk": "always"}"#).is_err());
    }
}
