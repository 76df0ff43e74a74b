//! The peer databases Ironloom is compared with. Each starts its own private server under
//! the run's work directory and stops it at the end.

pub mod influx;
pub mod postgres;
pub mod victoria;

use std::time::{Duration, Instant};

use anyhow::Result;

use crate::dataset::METRIC_SPECS;
use crate::server::disk_usage;

/// The index of a metric by its name.
pub fn metric_index(name: &str) -> Option<usize> {
    METRIC_SPECS.iter().position(|m| m.name == name)
}

/// Waits until the disk usage of `paths` has not changed for `stable_polls` polls in a
/// row (`every` apart) and `extra` agrees; returns the final size. Servers compact in the
/// background after a flush, and the size only means something once that is over.
pub async fn wait_disk_stable<F, Fut>(
    label: &str,
    paths: &[std::path::PathBuf],
    every: Duration,
    stable_polls: usize,
    timeout: Duration,
    mut extra: F,
) -> Result<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let started = Instant::now();
    let mut last = None;
    let mut stable = 0;
    let mut last_report = Instant::now();
    loop {
        let mut size = 0;
        for p in paths {
            size += disk_usage(p)?;
        }
        let quiet = extra().await?;
        if quiet && last == Some(size) {
            stable += 1;
            if stable >= stable_polls {
                return Ok(size);
            }
        } else {
            stable = 0;
        }
        last = Some(size);
        if started.elapsed() > timeout {
            eprintln!("[{label}] disk usage still changing after {timeout:?}; taking {size} bytes");
            return Ok(size);
        }
        if last_report.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "[{label}] settling: {:.1} MB on disk, background work quiet: {quiet}",
                size as f64 / 1e6
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(every).await;
    }
}
