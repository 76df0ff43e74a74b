//! Export: the series a selection names, over [from, to), series after series and each
//! in slices, written as CSV or Parquet while they are read (never collected).

mod csv;
mod parquet;

use crate::error::{IoError, Result};
use crate::format::{Format, TimeFormat};
use crate::store::Source;
use ironloom_core::ids::TenantId;
use ironloom_core::telemetry::{Micros, ScanQuery, Selection, SeriesInfo, TimedValue};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Export settings.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub format: Format,
    /// Timestamps in CSV (Parquet always stores `TIMESTAMP(MICROS, UTC)`).
    pub time: TimeFormat,
    /// Points read from the store at a time.
    pub slice_points: usize,
    /// Rows per Parquet row group (the writer holds one row group in memory).
    pub row_group_rows: usize,
    /// Fail once the output grows past this many bytes.
    pub max_bytes: Option<u64>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            format: Format::Csv,
            time: TimeFormat::Rfc3339,
            slice_points: 64 * 1024,
            row_group_rows: 128 * 1024,
            max_bytes: None,
        }
    }
}

/// How far an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportProgress {
    pub points: u64,
    pub series_done: u64,
    pub series_total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ExportSummary {
    pub points: u64,
    pub series: u64,
    pub bytes: u64,
}

/// The time range an export covers, and where it comes from (kept in Parquet metadata).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExportScope {
    pub tenant: TenantId,
    pub from: Micros,
    pub to: Micros,
}

/// Writes one format.
trait SeriesWriter {
    fn write(&mut self, series: &SeriesInfo, device: &str, points: &[TimedValue]) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<()>;
}

/// Counts the bytes written and enforces the size limit.
struct Counted<W> {
    inner: W,
    written: Arc<AtomicU64>,
    max: Option<u64>,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let before = self.written.load(Ordering::Relaxed);
        if let Some(max) = self.max
            && before + buf.len() as u64 > max
        {
            return Err(std::io::Error::other(TooLarge));
        }
        let n = self.inner.write(buf)?;
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the output size limit was reached")]
struct TooLarge;

/// Exports the selected series of `tenant` over [from, to) to `out` (flushed, not
/// closed). `progress` is called after every slice.
#[allow(clippy::too_many_arguments)] // Each is a separate, required part of the request.
pub fn export<W: Write + Send>(
    src: &dyn Source,
    tenant: TenantId,
    sel: &Selection,
    from: Micros,
    to: Micros,
    opts: &ExportOptions,
    out: W,
    progress: &mut dyn FnMut(&ExportProgress),
) -> Result<ExportSummary> {
    if from >= to {
        return Err(IoError::Invalid("`from` must be before `to`".into()));
    }
    let series = src.series(tenant, sel)?;
    let written = Arc::new(AtomicU64::new(0));
    let out = Counted {
        inner: out,
        written: written.clone(),
        max: opts.max_bytes,
    };
    let scope = ExportScope { tenant, from, to };
    let result = run(src, &series, scope, opts, out, progress);
    let bytes = written.load(Ordering::Relaxed);
    match result {
        Ok(mut s) => {
            s.bytes = bytes;
            Ok(s)
        }
        Err(e) => match opts.max_bytes {
            // Whatever the writer made of the limit error, say what happened.
            Some(max) if is_too_large(&e) => Err(IoError::OutputTooLarge(max)),
            _ => Err(e),
        },
    }
}

fn is_too_large(e: &IoError) -> bool {
    match e {
        IoError::WriteOutput(io) => io
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<TooLarge>().is_some()),
        IoError::WriteParquet(msg) => msg.contains(&TooLarge.to_string()),
        _ => false,
    }
}

fn run<W: Write + Send>(
    src: &dyn Source,
    series: &[SeriesInfo],
    scope: ExportScope,
    opts: &ExportOptions,
    out: W,
    progress: &mut dyn FnMut(&ExportProgress),
) -> Result<ExportSummary> {
    let mut writer: Box<dyn SeriesWriter + '_> = match opts.format {
        Format::Csv => Box::new(csv::CsvWriter::new(out, opts.time)?),
        Format::Parquet => Box::new(parquet::ParquetWriter::new(
            out,
            scope,
            opts.row_group_rows.max(1),
        )?),
    };
    let mut p = ExportProgress {
        series_total: series.len() as u64,
        ..Default::default()
    };
    progress(&p);
    for s in series {
        let device = s.device.to_string();
        let mut next = Some(scope.from);
        while let Some(from) = next {
            let slice = src.scan(
                scope.tenant,
                ScanQuery {
                    device: s.device,
                    property: s.property.clone(),
                    from,
                    to: scope.to,
                    max_points: opts.slice_points,
                },
            )?;
            if !slice.points.is_empty() {
                writer.write(s, &device, &slice.points)?;
                p.points += slice.points.len() as u64;
            }
            next = slice.next_from.filter(|n| *n > from);
            progress(&p);
        }
        p.series_done += 1;
        progress(&p);
    }
    writer.finish()?;
    Ok(ExportSummary {
        points: p.points,
        series: series.len() as u64,
        bytes: 0,
    })
}
