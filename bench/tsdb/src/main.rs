//! `tsdb-bench`: ingest a generated industrial IoT dataset into each target database, let
//! it settle, measure its size on disk and four typical queries, and print a table.
//!
//! Targets are listed in one place, [`TargetKind`]: add a variant and a match arm in
//! [`start_target`] to benchmark another database.

/// The allocator `ironloom` itself ships with (`crates/ironloom/src/main.rs`): the embedded
/// target runs the engine as the server does. With glibc's malloc a fifth of the embedded
/// ingest went to the allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use ironloom_bench_common::run::IronloomBin;
use ironloom_bench_common::run::{RunOptions, command_line, until_interrupted};

use ironloom_bench_tsdb::dataset::{Dataset, DatasetConfig, METRICS, MS_PER_DAY, Preset};
use ironloom_bench_tsdb::peers;
use ironloom_bench_tsdb::peers::postgres::IndexTiming;
use ironloom_bench_tsdb::report::{Machine, QueryResult, Report, TargetResult, median_p95};
use ironloom_bench_tsdb::target::{IngestMode, Target, TargetContext};
use ironloom_bench_tsdb::verify::{self, Expected};
use ironloom_bench_tsdb::{ironloom, ironloom_http};

/// Benchmark time-series databases on a generated industrial IoT dataset.
#[derive(Debug, Parser)]
#[command(name = "tsdb-bench", version)]
struct Cli {
    /// Dataset size: small (100 devices), default (1000), large (4000); 24 h at 10 s.
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    preset: Preset,
    /// Targets to run, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "ironloom,ironloom-http,postgres,influx,victoria"
    )]
    peers: Vec<TargetKind>,
    /// Timed runs per query after the first run.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    // `--workdir` must be traversable by the `postgres` user when running as root.
    #[command(flatten)]
    run: RunOptions,
    // For the `ironloom-http` and `ironloom-line` targets.
    #[command(flatten)]
    ironloom: IronloomBin,
    /// How `ironloom-http` and `ironloom-line` read query answers: `cbor`
    /// (`Accept: application/cbor`, numbers in binary, as PostgreSQL's clients read rows) or
    /// `json` (the default of the API).
    #[arg(long, value_enum, default_value = "cbor")]
    ironloom_encoding: AnswerEncoding,
    /// Override the preset's number of devices.
    #[arg(long)]
    devices: Option<usize>,
    /// Override the duration, e.g. `24h`, `4d`, `90m`.
    #[arg(long, value_parser = parse_duration_ms)]
    duration: Option<i64>,
    /// Override the reporting interval, e.g. `10s`.
    #[arg(long, value_parser = parse_duration_ms)]
    interval: Option<i64>,
    /// Override the first timestamp (RFC 3339), default 2026-01-01T00:00:00Z.
    #[arg(long)]
    start: Option<String>,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// `preencoded`: batches are encoded before the clock starts (the database's own
    /// ingest rate); `stream`: encoded while sending (end to end, client shares the CPU).
    #[arg(long, value_enum, default_value_t = IngestMode::Preencoded)]
    ingest: IngestMode,
    /// Concurrent writers per target (default: the target's own choice).
    #[arg(long)]
    writers: Option<usize>,
    /// When PostgreSQL's (device, ts) index is built.
    #[arg(long, value_enum, default_value_t = IndexTiming::After)]
    pg_index: IndexTiming,
}

/// Every benchmarked database. Add new targets here and in [`start_target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TargetKind {
    Postgres,
    Influx,
    Victoria,
    /// Ironloom's engine, embedded (Rust API).
    Ironloom,
    /// Ironloom as a server, over its REST API.
    IronloomHttp,
    /// Ironloom as a server, written in InfluxDB line protocol, queried over its REST API.
    IronloomLine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AnswerEncoding {
    Json,
    Cbor,
}

impl TargetKind {
    fn name(self) -> &'static str {
        match self {
            TargetKind::Postgres => "postgres",
            TargetKind::Influx => "influx",
            TargetKind::Victoria => "victoria",
            TargetKind::Ironloom => "ironloom",
            TargetKind::IronloomHttp => "ironloom-http",
            TargetKind::IronloomLine => "ironloom-line",
        }
    }
}

async fn start_target(kind: TargetKind, ctx: TargetContext, cli: &Cli) -> Result<Box<dyn Target>> {
    Ok(match kind {
        TargetKind::Postgres => {
            Box::new(peers::postgres::PostgresTarget::start(ctx, cli.pg_index).await?)
        }
        TargetKind::Influx => Box::new(peers::influx::InfluxTarget::start(ctx).await?),
        TargetKind::Victoria => Box::new(peers::victoria::VictoriaTarget::start(ctx).await?),
        TargetKind::Ironloom => Box::new(ironloom::IronloomTarget::start(ctx).await?),
        TargetKind::IronloomHttp | TargetKind::IronloomLine => {
            let wire = match kind {
                TargetKind::IronloomLine => ironloom_http::Wire::Line,
                _ => ironloom_http::Wire::Json,
            };
            let cbor = cli.ironloom_encoding == AnswerEncoding::Cbor;
            Box::new(
                ironloom_http::IronloomHttpTarget::start(ctx, cli.ironloom.path()?, wire, cbor)
                    .await?,
            )
        }
    })
}

fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" | "" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => MS_PER_DAY,
        _ => return Err(format!("bad duration unit in {s:?} (ms, s, m, h, d)")),
    };
    Ok(n * unit_ms)
}

fn dataset_config(cli: &Cli) -> Result<DatasetConfig> {
    let mut c = DatasetConfig::preset(cli.preset);
    if let Some(d) = cli.devices {
        c.devices = d;
    }
    if let Some(d) = cli.duration {
        c.duration_ms = d;
    }
    if let Some(i) = cli.interval {
        c.interval_ms = i;
    }
    if let Some(s) = &cli.start {
        c.start_ms = chrono::DateTime::parse_from_rfc3339(s)
            .with_context(|| format!("--start {s}"))?
            .timestamp_millis();
    }
    c.seed = cli.seed;
    Ok(c)
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    until_interrupted(run(&cli)).await
}

async fn run(cli: &Cli) -> Result<()> {
    let ds = Dataset::new(dataset_config(cli)?)?;
    eprintln!(
        "dataset: {} devices × {} ticks × {METRICS} metrics = {} points from {}",
        ds.devices(),
        ds.ticks(),
        ds.points(),
        ds.start_rfc3339()
    );
    let t = Instant::now();
    let expected = {
        let ds = ds.clone();
        tokio::task::spawn_blocking(move || Expected::compute(&ds)).await?
    };
    eprintln!(
        "expected answers computed in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let work = cli.run.work_dir("tsdb-bench-")?;
    // The postgres user must be able to reach its data directory below this one.
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755))?;

    let mut report = Report {
        command: command_line(),
        machine: Machine::detect(),
        preset: format!("{:?}", cli.preset).to_lowercase(),
        dataset: ds.config().clone(),
        points: ds.points(),
        ingest_mode: format!("{:?}", cli.ingest).to_lowercase(),
        runs: cli.runs,
        targets: Vec::new(),
    };

    for &kind in &cli.peers {
        let mut result = TargetResult::new(kind.name());
        if let Err(e) = bench_target(kind, cli, &ds, &expected, work.path(), &mut result).await {
            eprintln!("[{}] FAILED: {e:#}", kind.name());
            result.error = Some(format!("{e:#}"));
        }
        report.targets.push(result);
    }

    cli.run.finish(work, &report.markdown(), &report)?;
    if report.targets.iter().any(|t| t.error.is_some()) {
        bail!("some targets failed");
    }
    Ok(())
}

async fn bench_target(
    kind: TargetKind,
    cli: &Cli,
    ds: &Dataset,
    expected: &Expected,
    work: &Path,
    result: &mut TargetResult,
) -> Result<()> {
    let label = kind.name();
    let dir = work.join(label);
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    let ctx = TargetContext {
        dir,
        dataset: ds.clone(),
        ingest_mode: cli.ingest,
        writers: cli.writers,
    };
    eprintln!("[{label}] starting");
    let mut target = start_target(kind, ctx, cli).await?;
    result.description = target.describe();
    let outcome = exercise(&mut *target, cli, ds, expected, result).await;
    let stopped = target.stop().await;
    outcome?;
    stopped
}

async fn exercise(
    target: &mut dyn Target,
    cli: &Cli,
    ds: &Dataset,
    expected: &Expected,
    result: &mut TargetResult,
) -> Result<()> {
    let label = target.name().to_string();
    eprintln!("[{label}] ingesting {} points", ds.points());
    let ingest = target.ingest(ds).await.context("ingest")?;
    let pps = ingest.points as f64 / ingest.seconds;
    eprintln!(
        "[{label}] ingested in {:.1} s ({pps:.0} points/s); settling",
        ingest.seconds
    );
    result.points_per_second = Some(pps);
    result.ingest = Some(ingest);

    let t = Instant::now();
    target.settle().await.context("settle")?;
    result.settle_seconds = Some(t.elapsed().as_secs_f64());
    let bytes = target.bytes_on_disk().await.context("size on disk")?;
    result.bytes_on_disk = Some(bytes);
    result.bytes_per_point = Some(bytes as f64 / ds.points() as f64);
    eprintln!(
        "[{label}] settled in {:.1} s; {bytes} bytes on disk ({:.2} bytes/point)",
        t.elapsed().as_secs_f64(),
        bytes as f64 / ds.points() as f64
    );

    for query in Query::ALL {
        let mut times = Vec::new();
        let mut values = 0;
        for run in 0..=cli.runs {
            let (elapsed, n) = query
                .run(target, ds, expected, run)
                .await
                .with_context(|| format!("query {} run {run}", query.title()))?;
            if run == 0 {
                values = n;
            }
            times.push(elapsed.as_secs_f64() * 1000.0);
        }
        let (median, p95) = median_p95(&times[1..]);
        eprintln!(
            "[{label}] {}: first {:.2} ms, median {:.2} ms ({values} values)",
            query.title(),
            times[0],
            median.unwrap_or(f64::NAN)
        );
        result.queries.push(QueryResult {
            id: query.id(),
            title: query.title(),
            values,
            first_ms: times[0],
            median_ms: median,
            p95_ms: p95,
            all_ms: times,
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Query {
    LatestAll,
    Device5mAvg,
    DailyMaxAll,
    RawSeries,
}

impl Query {
    const ALL: [Query; 4] = [
        Query::LatestAll,
        Query::Device5mAvg,
        Query::DailyMaxAll,
        Query::RawSeries,
    ];

    fn id(self) -> &'static str {
        match self {
            Query::LatestAll => "a",
            Query::Device5mAvg => "b",
            Query::DailyMaxAll => "c",
            Query::RawSeries => "d",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Query::LatestAll => "(a) latest, all series",
            Query::Device5mAvg => "(b) 1 device, 12 h, 5-min avg",
            Query::DailyMaxAll => "(c) daily max, all devices",
            Query::RawSeries => "(d) 1 series, raw, 1 day",
        }
    }

    /// Runs the query once with parameters that vary by `run` (a different device each
    /// time), times only the target's call, then verifies the answer.
    async fn run(
        self,
        target: &dyn Target,
        ds: &Dataset,
        expected: &Expected,
        run: usize,
    ) -> Result<(Duration, usize)> {
        let device = (run * 7919 + 13) % ds.devices();
        let start = ds.start_ms();
        let end = ds.end_ms();
        let t = Instant::now();
        let samples;
        match self {
            Query::LatestAll => {
                samples = target.q_latest_all().await?;
                let elapsed = t.elapsed();
                verify::check_latest(ds, expected, &samples)?;
                Ok((elapsed, samples.len()))
            }
            Query::Device5mAvg => {
                // Hours 6–18 of the first day when the data covers them.
                let from = if end - start >= 18 * 3_600_000 {
                    start + 6 * 3_600_000
                } else {
                    start
                };
                let to = (from + 12 * 3_600_000).min(end - (end - from) % 300_000);
                samples = target.q_device_5m_avg(device, from, to).await?;
                let elapsed = t.elapsed();
                verify::check_5m_avg(ds, device, from, to, &samples)?;
                Ok((elapsed, samples.len()))
            }
            Query::DailyMaxAll => {
                samples = target.q_daily_max_all(start).await?;
                let elapsed = t.elapsed();
                verify::check_daily_max(ds, expected, start, &samples)?;
                Ok((elapsed, samples.len()))
            }
            Query::RawSeries => {
                let metric = run % METRICS;
                let to = (start + MS_PER_DAY).min(end);
                samples = target.q_raw_series(device, metric, start, to).await?;
                let elapsed = t.elapsed();
                verify::check_raw(ds, device, metric, start, to, &samples)?;
                Ok((elapsed, samples.len()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration_ms("24h"), Ok(86_400_000));
        assert_eq!(parse_duration_ms("4d"), Ok(4 * 86_400_000));
        assert_eq!(parse_duration_ms("10s"), Ok(10_000));
        assert_eq!(parse_duration_ms("250ms"), Ok(250));
        assert!(parse_duration_ms("5y").is_err());
    }

    #[test]
    fn cli_accepts_the_documented_flags() {
        let cli = Cli::try_parse_from([
            "tsdb-bench",
            "--preset",
            "small",
            "--peers",
            "postgres,victoria",
            "--runs",
            "3",
            "--json",
            "out.json",
        ])
        .unwrap();
        assert_eq!(cli.preset, Preset::Small);
        assert_eq!(cli.peers, vec![TargetKind::Postgres, TargetKind::Victoria]);
        assert_eq!(cli.runs, 3);
        assert_eq!(cli.run.json.as_deref(), Some(Path::new("out.json")));
    }
}
