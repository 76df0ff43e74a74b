//! Latency from a register change to the value being readable in the platform.
//!
//! A bulk register of the simulator reads as `stored + generation` (the generation rises
//! once a second) and a write stores `value − generation`: after writing `w`, the register
//! reads `w`, then `w + 1`, `w + 2` … So each sample reads the register's current value
//! `c`, writes `w = c + 32768` (FC 6), and polls the platform's latest value of that
//! point until one in `w … w + DRIFT` appears: such a value can only come from a read
//! after the write, while the old values stay near `c`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio_modbus::Slave;
use tokio_modbus::client::{Context as ModbusContext, Reader, Writer};
use tokio_modbus::prelude::SlaveContext;

use ironloom_bench_common::stats::percentile;

use crate::api::Api;
use crate::gwconfig::{DeviceRange, point_name};

/// Generations (seconds) a written value may have drifted by when it is seen.
pub const DRIFT: u16 = 600;

/// A value far from `current` and everything it will read as for the next hours.
pub fn distinct_value(current: u16) -> u16 {
    current.wrapping_add(32_768)
}

/// Whether `seen` is `written` read some generations later.
pub fn shows_write(seen: u16, written: u16) -> bool {
    seen.wrapping_sub(written) < DRIFT
}

/// p50, p90, max of `values`.
pub fn summary(values: &[f64]) -> Option<Summary> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    Some(Summary {
        samples: v.len(),
        p50: percentile(&v, 50.0)?,
        p90: percentile(&v, 90.0)?,
        max: *v.last()?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    pub samples: usize,
    pub p50: f64,
    pub p90: f64,
    pub max: f64,
}

/// One change and when the platform showed it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sample {
    pub device: String,
    pub point: String,
    pub written: u16,
    pub seen: u16,
    /// From sending the write to the first latest-value read that showed it.
    pub total_ms: f64,
    /// From sending the write to the source timestamp of the value seen (the gateway's
    /// read of it; millisecond clock).
    pub to_read_ms: f64,
    /// From the gateway's read to the platform showing it.
    pub read_to_visible_ms: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LatencyReport {
    pub total: Option<Summary>,
    pub to_read: Option<Summary>,
    pub read_to_visible: Option<Summary>,
    pub poll_every_ms: u64,
    pub timeouts: usize,
    pub samples: Vec<Sample>,
}

fn now_ms_f() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Settings of the latency measurement.
#[derive(Debug, Clone)]
pub struct LatencyConfig {
    pub modbus: SocketAddr,
    pub samples: usize,
    /// How often the platform is asked for the latest value.
    pub poll_every: Duration,
    /// Longest wait for one change.
    pub timeout: Duration,
    /// Give up after this many changes in a row were not seen within `timeout` (the
    /// uplink is saturated and the backlog only grows).
    pub max_timeouts_in_a_row: usize,
}

async fn read_one(ctx: &mut ModbusContext, unit: u8, address: u16) -> Result<u16> {
    ctx.set_slave(Slave(unit));
    let v = ctx
        .read_holding_registers(address, 1)
        .await
        .context("Modbus read")?
        .map_err(|e| anyhow::anyhow!("Modbus read refused: {e:?}"))?;
    v.first().copied().context("empty Modbus answer")
}

/// Measures `cfg.samples` changes on registers spread over `devices`, whose platform ids
/// are `ids` (same order).
pub async fn measure(
    cfg: &LatencyConfig,
    api: &Api,
    devices: &[DeviceRange],
    ids: &[String],
) -> Result<LatencyReport> {
    if devices.is_empty() {
        bail!("no devices");
    }
    let mut ctx = tokio_modbus::client::tcp::connect(cfg.modbus)
        .await
        .context("connecting to the simulator")?;
    let mut samples = Vec::new();
    let mut timeouts = 0;
    let mut in_a_row = 0;
    for i in 0..cfg.samples {
        if in_a_row >= cfg.max_timeouts_in_a_row {
            eprintln!("  latency: {in_a_row} changes in a row not seen; stopping");
            break;
        }
        // Spread over devices (so over connections) and addresses; a varying pause puts
        // the write at a different phase of the poll cycle each time.
        let di = (i * 7 + 3) % devices.len();
        let d = &devices[di];
        let address = d.first + u16::try_from((i * 37 + 11) % usize::from(d.count)).unwrap_or(0);
        let point = point_name(address);
        tokio::time::sleep(Duration::from_millis(150 + (i as u64 * 137) % 400)).await;
        let current = read_one(&mut ctx, d.unit, address).await?;
        let written = distinct_value(current);
        let sent_wall = now_ms_f();
        let sent = Instant::now();
        ctx.set_slave(Slave(d.unit));
        ctx.write_single_register(address, written)
            .await
            .context("Modbus write")?
            .map_err(|e| anyhow::anyhow!("Modbus write refused: {e:?}"))?;
        let mut found = None;
        while sent.elapsed() < cfg.timeout {
            if let Some(s) = api.latest(&ids[di], &point).await?
                && let Some(v) = s.value.as_u64().and_then(|v| u16::try_from(v).ok())
                && shows_write(v, written)
            {
                found = Some((sent.elapsed(), s.ts_ms, v));
                break;
            }
            tokio::time::sleep(cfg.poll_every).await;
        }
        match found {
            Some((took, ts, seen)) => {
                in_a_row = 0;
                let total_ms = took.as_secs_f64() * 1000.0;
                let to_read_ms = ts as f64 - sent_wall;
                samples.push(Sample {
                    device: d.name.clone(),
                    point,
                    written,
                    seen,
                    total_ms,
                    to_read_ms,
                    read_to_visible_ms: total_ms - to_read_ms,
                });
            }
            None => {
                eprintln!(
                    "  latency sample {i}: {}/{point} not seen within {:?}",
                    d.name, cfg.timeout
                );
                timeouts += 1;
                in_a_row += 1;
            }
        }
    }
    let pick = |f: fn(&Sample) -> f64| summary(&samples.iter().map(f).collect::<Vec<_>>());
    Ok(LatencyReport {
        total: pick(|s| s.total_ms),
        to_read: pick(|s| s.to_read_ms),
        read_to_visible: pick(|s| s.read_to_visible_ms),
        poll_every_ms: u64::try_from(cfg.poll_every.as_millis()).unwrap_or(u64::MAX),
        timeouts,
        samples,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn summarises_finite_samples_by_nearest_rank() {
        let s = summary(&[3.0, 1.0, 2.0, f64::NAN]).unwrap();
        assert_eq!((s.samples, s.p50, s.p90, s.max), (3, 2.0, 3.0, 3.0));
        assert!(summary(&[]).is_none());
    }

    #[test]
    fn written_values_are_told_apart_from_old_ones() {
        for current in [0u16, 1, 32_767, 32_768, 40_000, 65_535] {
            let w = distinct_value(current);
            // The old value and what it becomes over the next minutes never match.
            for k in 0..DRIFT {
                assert!(!shows_write(current.wrapping_add(k), w), "{current} {k}");
            }
            // The written value and what it becomes, across the wrap at 65 535.
            for k in 0..DRIFT {
                assert!(shows_write(w.wrapping_add(k), w), "{current} {k}");
            }
        }
    }
}
