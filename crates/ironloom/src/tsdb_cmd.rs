//! `ironloom tsdb …`: maintenance of the time-series database in the data directory, run
//! while the server is stopped.

use anyhow::{Context, bail};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// `ironloom tsdb check`: reads every block and reports damage by file. Exit status 1
/// when anything is damaged.
pub fn check(data_dir: &Path) -> anyhow::Result<()> {
    let dir = data_dir.join("tsdb");
    let started = Instant::now();
    let mut last = Instant::now();
    let report = ironloom_tsdb::check::check(&dir, |p| {
        if last.elapsed() >= Duration::from_secs(1) || p.done == p.total {
            last = Instant::now();
            eprint!("\rchecked {}/{} files", p.done, p.total);
            let _ = std::io::stderr().flush();
        }
    })
    .map_err(|e| match e {
        ironloom_tsdb::TsdbError::Locked(_) => anyhow::anyhow!(
            "{} is in use by a running server; stop it first (`tsdb check` needs the \
             database to itself)",
            dir.display()
        ),
        other => anyhow::Error::new(other),
    })
    .with_context(|| format!("checking {}", dir.display()))?;
    eprintln!();
    let mut out = std::io::stdout().lock();
    for w in &report.warnings {
        writeln!(out, "warning: {}: {}", w.path.display(), w.what)?;
    }
    for p in &report.problems {
        writeln!(out, "DAMAGED: {}: {}", p.path.display(), p.what)?;
    }
    writeln!(
        out,
        "{} segments, {} chunks, {} rollups, {} points; {} log files, {} records; {} problems, \
         {} warnings ({:.1} s)",
        report.segments,
        report.chunks,
        report.rollups,
        report.points,
        report.wal_files,
        report.wal_records,
        report.problems.len(),
        report.warnings.len(),
        started.elapsed().as_secs_f64()
    )?;
    if !report.problems.is_empty() {
        bail!(
            "{} damaged block(s) in {}; the server skips damaged segments and serves the rest",
            report.problems.len(),
            dir.display()
        );
    }
    Ok(())
}

/// `ironloom tsdb space`: where the bytes of the database go, per property.
pub fn space(data_dir: &Path) -> anyhow::Result<()> {
    let dir = data_dir.join("tsdb");
    let r =
        ironloom_tsdb::space::space(&dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut out = std::io::stdout().lock();
    let per = |b: u64, n: u64| if n == 0 { 0.0 } else { b as f64 / n as f64 };
    writeln!(
        out,
        "| property | type | points | bytes/point | timestamps | qualities | values | chunk headers | rollups | encodings (chunks) |"
    )?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|")?;
    for p in &r.properties {
        let encodings: Vec<String> = p
            .encodings
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(
            out,
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {} |",
            p.property,
            p.value_type.map_or("?", |t| t.as_str()),
            p.points,
            per(p.bytes(), p.points),
            per(p.ts_bytes, p.points),
            per(p.quality_bytes, p.points),
            per(p.value_bytes, p.points),
            per(p.header_bytes, p.points),
            per(p.rollup_bytes, p.points),
            encodings.join(", ")
        )?;
    }
    writeln!(
        out,
        "\n{} segments ({} skipped: compacted while read), {} bytes, {} points: {:.3} bytes/point; \
         indexes {:.3} bytes/point; write-ahead log {} bytes",
        r.segments,
        r.skipped,
        r.segment_bytes,
        r.points,
        per(r.segment_bytes, r.points),
        per(r.index_bytes, r.points),
        r.wal_bytes
    )?;
    Ok(())
}
