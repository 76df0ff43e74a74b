//! `ironloom tsdb check`: reads every block of a database that is not open and reports
//! what is damaged, naming the file.
//!
//! Checked: every segment's footer, index and checksum; every chunk's checksum, decoding,
//! and agreement with its index entry (count, time range, statistics that aggregates use
//! without decoding); chunk order per series; every rollup's checksum, decoding and
//! agreement with the points it summarises; every write-ahead-log record's frame,
//! checksum and decoding (a torn tail of the newest file is what a crash leaves and
//! recovery trims, so it is a warning); the latest-value snapshot; the retention file.

use crate::chunk::Stats;
use crate::column::Column;
use crate::engine::{list_files, lock_dir};
use crate::error::{Result, TsdbError};
use crate::segment::Segment;
use crate::{latest, record, rollup, wal};
use std::path::{Path, PathBuf};

/// Something wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: PathBuf,
    pub what: String,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub segments: u64,
    pub chunks: u64,
    pub rollups: u64,
    pub points: u64,
    pub wal_files: u64,
    pub wal_records: u64,
    /// Damage: data that cannot be read, or that disagrees with its index.
    pub problems: Vec<Finding>,
    /// Conditions that recovery handles (a torn log tail, a leftover temporary file).
    pub warnings: Vec<Finding>,
}

/// How far a check has come (files, of a total known from the start).
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub done: u64,
    pub total: u64,
    pub file: &'a Path,
}

/// Checks the database in `dir`. Fails only if the directory cannot be read or is in use
/// by a running server (whose compactions would remove files under the check); damage is
/// reported in the [`Report`].
pub fn check(dir: &Path, mut progress: impl FnMut(Progress<'_>)) -> Result<Report> {
    if !dir.join("segments").is_dir() && !dir.join("wal").is_dir() {
        return Err(TsdbError::Invalid(format!(
            "{} does not hold a time-series database (no segments or wal directory)",
            dir.display()
        )));
    }
    let _lock = lock_dir(dir)?;
    let segments = list_files(&dir.join("segments"), "seg")?;
    let wals = list_files(&dir.join("wal"), "wal")?;
    let total = (segments.len() + wals.len()) as u64;
    let mut report = Report::default();
    for tmp in list_files(&dir.join("segments"), "tmp")? {
        report.warnings.push(Finding {
            path: tmp,
            what: "unfinished segment left by an interrupted flush or compaction (removed when \
                   the server starts)"
                .into(),
        });
    }
    let mut done = 0;
    for path in &segments {
        progress(Progress {
            done,
            total,
            file: path,
        });
        check_segment(path, &mut report);
        done += 1;
    }
    let last_wal = wals.last().cloned();
    for path in &wals {
        progress(Progress {
            done,
            total,
            file: path,
        });
        report.wal_files += 1;
        match wal::read_file(path) {
            Err(e) => report.problems.push(finding(path, e.to_string())),
            Ok((records, _, torn)) => {
                for (i, r) in records.iter().enumerate() {
                    if let Err(e) = record::decode(r) {
                        report
                            .problems
                            .push(finding(path, format!("record {}: {e}", i + 1)));
                    }
                }
                report.wal_records += records.len() as u64;
                if let Some(t) = torn {
                    let f = finding(
                        path,
                        format!("{t} (after {} intact records)", records.len()),
                    );
                    if Some(path) == last_wal.as_ref() {
                        report.warnings.push(Finding {
                            what: format!("{}; recovery trims it", f.what),
                            ..f
                        });
                    } else {
                        report.problems.push(f);
                    }
                }
            }
        }
        done += 1;
    }
    let latest_path = dir.join("latest.dat");
    if let Err(e) = latest::load(&latest_path) {
        report.problems.push(finding(&latest_path, e.to_string()));
    }
    let retention = dir.join("retention.json");
    if let Ok(b) = std::fs::read(&retention)
        && let Err(e) = serde_json::from_slice::<serde_json::Value>(&b)
    {
        report.problems.push(finding(&retention, e.to_string()));
    }
    progress(Progress {
        done,
        total,
        file: dir,
    });
    Ok(report)
}

fn finding(path: &Path, what: impl Into<String>) -> Finding {
    Finding {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

fn check_segment(path: &Path, report: &mut Report) {
    let seg = match Segment::open(path) {
        Ok(s) => s,
        Err(e) => {
            report.problems.push(finding(path, strip_path(&e, path)));
            return;
        }
    };
    report.segments += 1;
    for def in &seg.series {
        let mut parts = Vec::new();
        let mut prev_max = None;
        let mut ok = true;
        for meta in seg.chunks_of(def.id) {
            report.chunks += 1;
            if prev_max.is_some_and(|m| meta.stats.min_ts <= m) {
                report.problems.push(finding(
                    path,
                    format!(
                        "series {}: chunk at byte {} overlaps the one before",
                        def.id, meta.offset
                    ),
                ));
                ok = false;
            }
            prev_max = Some(meta.stats.max_ts);
            match seg.read_chunk(meta) {
                Ok(col) => {
                    report.points += col.len() as u64;
                    let stats = Stats::of(&col);
                    if !same_stats(&stats, &meta.stats) {
                        report.problems.push(finding(
                            path,
                            format!(
                                "series {}: chunk at byte {}: statistics in the index differ from \
                                 its points",
                                def.id, meta.offset
                            ),
                        ));
                    }
                    parts.push(col);
                }
                Err(e) => {
                    report.problems.push(finding(path, strip_path(&e, path)));
                    ok = false;
                }
            }
        }
        let col = if ok { Column::merge(parts) } else { None };
        for width in rollup::WIDTHS {
            let Some(meta) = seg.rollup_of(def.id, width) else {
                continue;
            };
            report.rollups += 1;
            match seg.read_rollup(meta, def.vtype) {
                Err(e) => report.problems.push(finding(path, strip_path(&e, path))),
                Ok(windows) => {
                    let Some(col) = &col else { continue };
                    let agree = rollup::compute(col, width).is_some_and(|expected| {
                        expected.len() == windows.len()
                            && expected.iter().zip(&windows).all(|(a, b)| same_stats(a, b))
                    });
                    if !agree {
                        report.problems.push(finding(
                            path,
                            format!(
                                "series {}: rollup at byte {} ({} s windows) differs from the points",
                                def.id,
                                meta.offset,
                                width / 1_000_000
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// Equal, with the sums and the squared deviations to 1e-9 relative: their formulas changed
/// between versions (a running mean, then two passes over floats, then exact integers for
/// decimals, see `chunk::exact_moments`), which moves the last bits of what older segments
/// hold.
fn same_stats(a: &Stats, b: &Stats) -> bool {
    let close =
        |x: f64, y: f64| x.to_bits() == y.to_bits() || (x - y).abs() <= 1e-9 * x.abs().max(y.abs());
    a.count == b.count
        && a.min_ts == b.min_ts
        && a.max_ts == b.max_ts
        && a.min == b.min
        && a.max == b.max
        && a.first == b.first
        && a.last == b.last
        && close(a.sum, b.sum)
        && close(a.m2, b.m2)
}

/// The error's message without its leading path (the finding carries the path).
fn strip_path(e: &TsdbError, path: &Path) -> String {
    if let TsdbError::Corrupt { detail, .. } = e {
        return detail.clone();
    }
    let s = e.to_string();
    let prefix = format!("{}: ", path.display());
    s.strip_prefix(&prefix).map(str::to_string).unwrap_or(s)
}
