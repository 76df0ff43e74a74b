//! Configuration units written the humane way: durations (`500ms`, `30s`, `15m`, `12h`,
//! `7d`), sizes (`512`, `64KiB`, `1MiB`) and listening addresses (`0.0.0.0:1883`, or `""`
//! for none), shared by every configuration section.

use serde::{Deserialize, Deserializer};
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

/// A duration written as `500ms`, `30s`, `15m`, `12h` or `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub std::time::Duration);

impl FromStr for Duration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid duration {s:?} (e.g. 30s, 15m, 12h)"))?;
        let secs = |m: u64| n.checked_mul(m).map(std::time::Duration::from_secs);
        let d = match unit.trim() {
            "ms" => Some(std::time::Duration::from_millis(n)),
            "s" => secs(1),
            "m" => secs(60),
            "h" => secs(3600),
            "d" => secs(86400),
            _ => None,
        };
        d.map(Duration)
            .ok_or_else(|| format!("invalid duration {s:?} (units: ms, s, m, h, d)"))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A configuration setting out of range, named by its key (`rules.queue must be …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidConfig(pub String);

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0)
    }
}

impl std::error::Error for InvalidConfig {}

/// Where a server listens: `host:port` (port 0 picks a free port), or `""` for not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListenAddr(pub Option<SocketAddr>);

impl ListenAddr {
    pub fn on(addr: SocketAddr) -> ListenAddr {
        ListenAddr(Some(addr))
    }
}

impl FromStr for ListenAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(ListenAddr(None));
        }
        s.parse()
            .map(|a| ListenAddr(Some(a)))
            .map_err(|_| format!("{s:?} is not an address like 0.0.0.0:1883 (or \"\" for none)"))
    }
}

impl<'de> Deserialize<'de> for ListenAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => f.write_str("(none)"),
        }
    }
}

/// A size written as a number of bytes or with `KiB`, `MiB`, `GiB` (also `KB`, `MB`, `GB`,
/// taken as powers of 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub usize);

impl FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: usize = num
            .parse()
            .map_err(|_| format!("invalid size {s:?} (e.g. 1MiB)"))?;
        let m: usize = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kib" => 1 << 10,
            "mib" => 1 << 20,
            "gib" => 1 << 30,
            "kb" => 1000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            _ => return Err(format!("invalid size {s:?} (units: B, KiB, MiB, GiB)")),
        };
        n.checked_mul(m)
            .map(ByteSize)
            .ok_or_else(|| format!("size {s:?} is too large"))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(usize),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(ByteSize(n)),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn listen_addresses_parse_or_are_none() {
        assert_eq!("".parse::<ListenAddr>().unwrap(), ListenAddr(None));
        assert_eq!(
            " 127.0.0.1:0 ".parse::<ListenAddr>().unwrap().0,
            Some("127.0.0.1:0".parse().unwrap())
        );
        let e = "localhost".parse::<ListenAddr>().unwrap_err();
        assert!(e.contains("0.0.0.0:1883"), "{e}");
    }
}
