//! `ironloom export` and `ironloom import`: telemetry to and from CSV and Parquet, offline
//! on the data directory (the server must be stopped: the time-series store is locked by
//! the process that has it open; a running server exports over REST instead).

use crate::config::{Config, Overrides};
use anyhow::{Context, anyhow, bail};
use ironloom_core::entity::Device;
use ironloom_core::error::Error;
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::{Micros, Selection};
use ironloom_meta::{SqlStore, SqlStoreOptions};
use ironloom_tsdb::{Engine, TsdbError};
use ironloom_tsdb_io::import::{ImportMode, Input};
use ironloom_tsdb_io::{
    BlockingStore, ExportOptions, ExportProgress, Format, ImportOptions, ImportProgress,
    ImportReport, Precision, TimeFormat,
};
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the data is: the same flags as `serve`.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// TOML configuration file (see config/ironloom.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (default: ./data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Metadata store URL (postgres://…); default: SQLite in the data directory.
    #[arg(long, value_name = "URL")]
    meta_url: Option<String>,
    /// The tenant: its id or its code.
    #[arg(long, value_name = "ID|CODE")]
    tenant: String,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// A device (id or name); repeat for several. Default: every device with data.
    #[arg(long = "device", value_name = "ID|NAME")]
    devices: Vec<String>,
    /// A property; repeat for several. Default: every property.
    #[arg(long = "property", value_name = "NAME")]
    properties: Vec<String>,
    /// Start, inclusive: RFC 3339, a date (UTC midnight) or epoch milliseconds. Default: the
    /// beginning.
    #[arg(long)]
    from: Option<String>,
    /// End, exclusive (same notations). Default: no end.
    #[arg(long)]
    to: Option<String>,
    /// csv or parquet (default: from the file name, else csv).
    #[arg(long)]
    format: Option<String>,
    /// CSV timestamps: rfc3339 (default), ms or us.
    #[arg(long, default_value = "rfc3339")]
    time: String,
    /// Output file, or - for standard output.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The file to import (- for CSV on standard input).
    file: PathBuf,
    /// auto (by name and content), csv or parquet.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Unit of numeric timestamps: auto (column name, else magnitude), s, ms, us or ns.
    #[arg(long, default_value = "auto")]
    precision: String,
    /// Check everything, store nothing.
    #[arg(long)]
    dry_run: bool,
    /// Rejected rows to show as examples.
    #[arg(long, default_value_t = 20)]
    max_examples: usize,
    /// Write the full report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// The exit code of an import that finished but refused some rows.
const EXIT_ROWS_REJECTED: u8 = 2;

fn locale() -> Locale {
    std::env::var("LANG")
        .ok()
        .filter(|l| l.to_ascii_lowercase().starts_with("zh"))
        .map_or(Locale::En, |_| Locale::ZhCn)
}

struct Offline {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    meta: Arc<dyn MetaStore>,
    tenant: TenantId,
    config: Config,
}

impl Offline {
    fn open(args: &DataArgs) -> anyhow::Result<Offline> {
        let overrides = Overrides {
            data_dir: args.data_dir.clone(),
            http_addr: None,
            meta_url: args.meta_url.clone(),
            mqtt_addr: None,
            coap_addr: None,
        };
        let config = Config::load(args.config.as_deref(), std::env::vars(), &overrides)?;
        let dir = &config.data_dir;
        if !dir.is_dir() {
            bail!("there is no data directory at {}", dir.display());
        }
        // The store's lock tells whether a server runs: check it before anything else.
        let mut opts = config.tsdb.options().map_err(|e| anyhow::anyhow!("{e}"))?;
        opts.background = false;
        let engine = match Engine::open(&dir.join("tsdb"), opts) {
            Ok(e) => e,
            Err(TsdbError::Locked(_)) => bail!(
                "the data directory {} is in use by a running server (数据目录正被运行中的服务使用); \
                 stop the server first, or export over REST with GET /api/v1/telemetry/export",
                dir.display()
            ),
            Err(e) => return Err(anyhow!("cannot open the time-series store: {e}")),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("ironloom-io")
            .build()?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = if config.meta.url.is_empty() {
            SqlStore::sqlite_url(dir)
        } else {
            config.meta.url.clone()
        };
        let meta = runtime
            .block_on(SqlStore::open(
                &url,
                &SqlStoreOptions {
                    max_connections: 2,
                    ..Default::default()
                },
            ))
            .map_err(|e| anyhow!("cannot open the metadata store: {e}"))?;
        let meta: Arc<dyn MetaStore> = Arc::new(meta);
        let tenant = runtime.block_on(find_tenant(meta.as_ref(), &args.tenant))?;
        Ok(Offline {
            runtime,
            engine,
            meta,
            tenant,
            config,
        })
    }

    fn store(&self) -> BlockingStore {
        BlockingStore {
            store: Arc::new(self.engine.clone()),
            runtime: self.runtime.handle().clone(),
        }
    }

    fn close(self) -> anyhow::Result<()> {
        self.engine
            .close()
            .map_err(|e| anyhow!("the time-series store did not close cleanly: {e}"))
    }
}

async fn find_tenant(meta: &dyn MetaStore, key: &str) -> anyhow::Result<TenantId> {
    if let Ok(id) = key.parse::<TenantId>() {
        return match meta.get_tenant(id).await {
            Ok(t) => Ok(t.id),
            Err(Error::NotFound(_)) => bail!("there is no tenant with the id {key}"),
            Err(e) => Err(anyhow!("{e}")),
        };
    }
    match meta.find_tenant_by_code(key).await {
        Ok(Some(t)) => Ok(t.id),
        Ok(None) => bail!("there is no tenant with the id or code {key:?}"),
        Err(e) => Err(anyhow!("{e}")),
    }
}

/// A device of the tenant by id or name.
async fn find_device(
    meta: &dyn MetaStore,
    tenant: TenantId,
    key: &str,
) -> Result<Option<Device>, Error> {
    if let Ok(id) = key.parse::<DeviceId>() {
        return match meta.get_device(tenant, id).await {
            Ok(d) => Ok(Some(d)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        };
    }
    meta.find_device_by_name(tenant, key).await
}

/// RFC 3339, a date, or epoch milliseconds.
fn parse_time(name: &str, s: &str) -> anyhow::Result<Micros> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_micros());
    }
    ironloom_tsdb_io::format::parse_time(s, Precision::Ms).ok_or_else(|| {
        anyhow!("--{name}: {s:?} is not RFC 3339, a date (2026-01-01) or epoch milliseconds")
    })
}

/// Progress on standard error: rewritten in place on a terminal, a line every few
/// seconds otherwise.
struct Meter {
    started: Instant,
    last: Instant,
    tty: bool,
    shown: bool,
}

impl Meter {
    fn new() -> Meter {
        let now = Instant::now();
        Meter {
            started: now,
            last: now,
            tty: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn tick(&mut self, line: impl FnOnce(f64) -> String) {
        let every = if self.tty {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(5)
        };
        if self.last.elapsed() < every {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let text = line(secs);
        if self.tty {
            eprint!("\r{text}\x1b[K");
            self.shown = true;
        } else {
            eprintln!("{text}");
        }
    }

    fn done(&self) -> f64 {
        if self.shown {
            eprint!("\r\x1b[K");
        }
        self.started.elapsed().as_secs_f64().max(1e-3)
    }
}

/// 1234567 → "1,234,567".
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

pub fn export_command(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let to_stdout = args.out.as_os_str() == "-";
    let format = match &args.format {
        Some(f) => Format::parse(f).ok_or_else(|| anyhow!("--format: csv or parquet"))?,
        None if to_stdout => Format::Csv,
        None => Format::detect(Some(&args.out), &[]),
    };
    let time = TimeFormat::parse(&args.time).ok_or_else(|| anyhow!("--time: rfc3339, ms or us"))?;
    let from = match &args.from {
        Some(f) => parse_time("from", f)?,
        None => i64::MIN / 2,
    };
    let to = match &args.to {
        Some(t) => parse_time("to", t)?,
        None => i64::MAX / 2,
    };
    if from >= to {
        bail!("--from must be before --to");
    }
    let off = Offline::open(&args.data)?;
    let result = run_export(&off, &args, format, time, from, to, to_stdout);
    let closed = off.close();
    let code = result?;
    closed?;
    Ok(code)
}

#[allow(clippy::too_many_arguments)] // The parsed command line, passed on as it is.
fn run_export(
    off: &Offline,
    args: &ExportArgs,
    format: Format,
    time: TimeFormat,
    from: Micros,
    to: Micros,
    to_stdout: bool,
) -> anyhow::Result<ExitCode> {
    let mut devices = Vec::new();
    for key in &args.devices {
        let d = off
            .runtime
            .block_on(find_device(off.meta.as_ref(), off.tenant, key))
            .map_err(|e| anyhow!("{e}"))?
            .ok_or_else(|| anyhow!("the tenant has no device with the id or name {key:?}"))?;
        devices.push(d.id);
    }
    let selection = Selection {
        devices,
        properties: args.properties.clone(),
    };
    let opts = ExportOptions {
        format,
        time,
        ..Default::default()
    };
    let store = off.store();
    let mut meter = Meter::new();
    let mut progress = |p: &ExportProgress| {
        meter.tick(|secs| {
            format!(
                "exporting: {} points, {}/{} series, {} points/s",
                thousands(p.points),
                p.series_done,
                p.series_total,
                thousands((p.points as f64 / secs) as u64)
            )
        });
    };
    let run = |out: &mut (dyn Write + Send), progress: &mut dyn FnMut(&ExportProgress)| {
        ironloom_tsdb_io::export(
            &store, off.tenant, &selection, from, to, &opts, out, progress,
        )
    };
    let summary = if to_stdout {
        let mut out = std::io::BufWriter::with_capacity(256 << 10, std::io::stdout());
        let s = run(&mut out, &mut progress)?;
        out.flush()?;
        s
    } else {
        // Written beside the target and renamed when complete: never a partial file under
        // the name asked for.
        let partial = partial_name(&args.out);
        let file = std::fs::File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut out = std::io::BufWriter::with_capacity(256 << 10, file);
        let r = run(&mut out, &mut progress)
            .map_err(anyhow::Error::from)
            .and_then(|s| {
                let f = out.into_inner().map_err(|e| anyhow!("{}", e.error()))?;
                f.sync_all()?;
                Ok(s)
            });
        match r {
            Ok(s) => {
                std::fs::rename(&partial, &args.out)
                    .with_context(|| format!("cannot rename to {}", args.out.display()))?;
                s
            }
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        }
    };
    let secs = meter.done();
    eprintln!(
        "exported {} points of {} series to {} ({}, {}) in {:.1} s ({} points/s)",
        thousands(summary.points),
        summary.series,
        if to_stdout {
            "standard output".to_string()
        } else {
            args.out.display().to_string()
        },
        format.extension(),
        size(summary.bytes),
        secs,
        thousands((summary.points as f64 / secs) as u64)
    );
    Ok(ExitCode::SUCCESS)
}

fn partial_name(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".partial-{}", std::process::id()));
    out.with_file_name(name)
}

pub fn import_command(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let precision = Precision::parse(&args.precision)
        .ok_or_else(|| anyhow!("--precision: auto, s, ms, us or ns"))?;
    let stdin = args.file.as_os_str() == "-";
    let format = match args.format.as_str() {
        "auto" if stdin => Format::Csv,
        "auto" => {
            let mut head = [0u8; 4];
            let n = std::fs::File::open(&args.file)
                .and_then(|mut f| f.read(&mut head))
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            Format::detect(Some(&args.file), &head[..n])
        }
        f => Format::parse(f).ok_or_else(|| anyhow!("--format: auto, csv or parquet"))?,
    };
    if stdin && format == Format::Parquet {
        bail!("Parquet cannot be read from standard input; give the file's name");
    }
    let off = Offline::open(&args.data)?;
    let result = run_import(&off, &args, format, precision, stdin);
    let closed = off.close();
    let code = result?;
    closed?;
    Ok(code)
}

fn run_import(
    off: &Offline,
    args: &ImportArgs,
    format: Format,
    precision: Precision,
    stdin: bool,
) -> anyhow::Result<ExitCode> {
    let input = if stdin {
        Input::Csv {
            reader: Box::new(std::io::stdin().lock()),
            len: None,
        }
    } else {
        let file = std::fs::File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        match format {
            Format::Csv => {
                let len = file.metadata().ok().map(|m| m.len());
                Input::Csv {
                    reader: Box::new(BufReader::with_capacity(256 << 10, file)),
                    len,
                }
            }
            Format::Parquet => Input::ParquetFile(file),
        }
    };
    let engine_opts = off
        .config
        .tsdb
        .options()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = chrono::Utc::now().timestamp_micros();
    let locale = locale();
    let opts = ImportOptions {
        precision,
        mode: if args.dry_run {
            ImportMode::DryRun
        } else {
            ImportMode::Write
        },
        max_examples: args.max_examples,
        accept_window: Some((
            now.saturating_sub(engine_opts.accept_past.as_micros() as i64),
            now.saturating_add(engine_opts.accept_future.as_micros() as i64),
        )),
        locale,
        ..Default::default()
    };
    let meta = off.meta.clone();
    let tenant = off.tenant;
    let handle = off.runtime.handle().clone();
    let mut resolve = |key: &str| -> Result<Option<(DeviceId, Option<ProductId>)>, Error> {
        Ok(handle
            .block_on(find_device(meta.as_ref(), tenant, key))?
            .map(|d| (d.id, Some(d.product_id))))
    };
    let mut meter = Meter::new();
    let mut progress = |p: &ImportProgress| {
        meter.tick(|secs| {
            let pct = p
                .fraction
                .map(|f| format!(", {:.0}%", f * 100.0))
                .unwrap_or_default();
            format!(
                "importing: {} rows ({} stored, {} rejected){pct}, {} rows/s",
                thousands(p.rows),
                thousands(p.accepted),
                thousands(p.rejected),
                thousands((p.rows as f64 / secs) as u64)
            )
        });
    };
    let store = off.store();
    let result =
        ironloom_tsdb_io::import(input, tenant, &mut resolve, &store, &opts, &mut progress);
    let secs = meter.done();
    let (report, failure) = match result {
        Ok(r) => (r, None),
        Err(f) => (*f.report, Some(f.error)),
    };
    print_report(&report, &args.file, secs);
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(e) = failure {
        return Err(anyhow!(e).context("the import stopped"));
    }
    Ok(if report.rejected > 0 {
        ExitCode::from(EXIT_ROWS_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_report(r: &ImportReport, file: &Path, secs: f64) {
    let verb = if r.dry_run {
        "checked (dry run, nothing stored)"
    } else {
        "imported"
    };
    eprintln!(
        "{verb} {}: {} rows, {} {}, {} rejected, in {:.1} s ({} rows/s)",
        file.display(),
        thousands(r.rows),
        thousands(r.accepted),
        if r.dry_run { "valid" } else { "stored" },
        thousands(r.rejected),
        secs,
        thousands((r.rows as f64 / secs) as u64)
    );
    if r.rejected > 0 {
        let by: Vec<String> = r
            .rejected_by_code
            .iter()
            .map(|(c, n)| format!("{c} {}", thousands(*n)))
            .collect();
        eprintln!("rejected by reason: {}", by.join(", "));
        for e in &r.examples {
            eprintln!("  {}: {}: {}", e.location, e.code, e.message);
        }
        if r.rejected > r.examples.len() as u64 {
            eprintln!(
                "  … and {} more",
                thousands(r.rejected - r.examples.len() as u64)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn command_line_times_accept_dates_rfc3339_and_milliseconds() {
        assert_eq!(parse_time("from", "1970-01-02").unwrap(), 86_400_000_000);
        assert_eq!(
            parse_time("from", "1970-01-01T00:00:01Z").unwrap(),
            1_000_000
        );
        assert_eq!(parse_time("from", "1500").unwrap(), 1_500_000);
        assert!(parse_time("from", "soon").is_err());
    }
}
