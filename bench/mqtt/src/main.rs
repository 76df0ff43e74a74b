//! `mqtt-bench`: drive many MQTT devices against Ironloom and against mosquitto in one run
//! and print a comparison: messages and points per second acknowledged (QoS 1), publish-to-
//! PUBACK latency, the points Ironloom really stored, resident memory per idle connection,
//! and the most connections held. See `README.md`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

use ironloom_bench_common::run::IronloomBin;
use ironloom_bench_common::run::{
    RunOptions, command_line, first_line, now_ms, until_interrupted, utc_now,
};
use ironloom_bench_common::{machine, procfs};
use ironloom_bench_mqtt::broker::{Broker, IronloomSettings, Kind};
use ironloom_bench_mqtt::conn::Target;
use ironloom_bench_mqtt::idle::{IdleConfig, IdleSet};
use ironloom_bench_mqtt::ironloom::{self, Api};
use ironloom_bench_mqtt::load::{self, LoadConfig, PayloadKind};
use ironloom_bench_mqtt::report::{
    BrokerResult, IdleResult, LoadRun, Machine, Report, Settings, StoredCheck,
};
use ironloom_bench_mqtt::third_party;

const PASSWORD: &str = "ironloom-bench-1";
/// File descriptors the generator keeps for itself when sizing `max`.
const FD_RESERVE: u64 = 100;

/// Benchmark MQTT ingest: Ironloom against mosquitto, same load, same run.
#[derive(Debug, Parser)]
#[command(name = "mqtt-bench", version)]
struct Cli {
    /// Brokers to run, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "ironloom,mosquitto"
    )]
    brokers: Vec<Kind>,
    /// Publishing connections (one device each) in the throughput run; 0 skips it.
    #[arg(long, default_value_t = 200)]
    connections: usize,
    /// QoS 1 publishes in flight per connection.
    #[arg(long, default_value_t = 16)]
    window: usize,
    /// Rounds of the throughput runs: each round starts every broker afresh, in the order
    /// given, so the brokers alternate and a slow spell of the machine falls on both; the
    /// report gives each round's ratio and their median. Idle and third-party runs are in
    /// the first round only.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Seconds before the measurement starts.
    #[arg(long, default_value_t = 5.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Seconds to wait for acknowledgements still owed when sending stops.
    #[arg(long, default_value_t = 30.0)]
    drain: f64,
    /// Payloads, one throughput run each on the same broker process, in this order:
    /// `plain` (`{"v0":…,"v9":…}`, stamped by the server) and `ts` (`{"ts":…,"values":{…}}`,
    /// a device clock that never repeats within a connection).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "plain,ts")]
    payload: Vec<PayloadKind>,
    /// Idle-connection runs, e.g. `10000,max` (`max`: as many as the generator's
    /// open-files limit allows); empty skips them.
    #[arg(long, value_delimiter = ',', default_value = "10000,max")]
    idle: Vec<String>,
    /// Seconds the idle connections sit before memory is read.
    #[arg(long, default_value_t = 5.0)]
    idle_settle: f64,
    /// Source addresses 127.0.0.1 … 127.0.0.N.
    #[arg(long, default_value_t = 8)]
    sources: u8,
    /// Handshakes in progress at once.
    #[arg(long, default_value_t = 128)]
    connect_concurrency: usize,
    /// Seconds one connection may take to get its CONNACK.
    #[arg(long, default_value_t = 20.0)]
    connect_timeout: f64,
    /// Ironloom's `[tsdb] fsync` for the run.
    #[arg(long, default_value = "always")]
    fsync: String,
    /// Ironloom's `[mqtt] rate_limit` (messages/s per device; burst twice that). The
    /// default lifts it so a third-party tool publishing as one device is not cut off;
    /// the generator's own devices stay far below the shipped 1000.
    #[arg(long, default_value_t = 1_000_000)]
    rate_limit: u32,
    #[command(flatten)]
    ironloom: IronloomBin,
    #[arg(long, default_value = "mosquitto")]
    mosquitto_bin: PathBuf,
    /// A third-party benchmark to run against each broker after the throughput run:
    /// a shell command with `{host}`, `{port}` and `{user}` (an Ironloom device token;
    /// `bench` for mosquitto). May be given several times.
    #[arg(long)]
    third_party: Vec<String>,
    #[command(flatten)]
    run: RunOptions,
}

/// The idle sizes asked for, with `max` resolved against the generator's limit.
fn idle_sizes(cli: &Cli, own_limit: u64) -> Result<Vec<usize>> {
    let max = own_limit.saturating_sub(FD_RESERVE) as usize;
    cli.idle
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s == "max" {
                Ok(max)
            } else {
                let n: usize = s.parse().with_context(|| format!("--idle {s}"))?;
                if n > max {
                    eprintln!(
                        "note: --idle {n} is over what this process may open ({own_limit} files); using {max}"
                    );
                }
                Ok(n.min(max))
            }
        })
        .collect()
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    until_interrupted(run(&cli)).await
}

async fn run(cli: &Cli) -> Result<()> {
    let own_limit = procfs::nofile_limit("/proc/self/limits")?;
    let idle = idle_sizes(cli, own_limit)?;
    let work = cli.run.work_dir("mqtt-bench-")?;
    // Distinct per run, so tokens never clash with a kept data directory.
    let run_id = format!("b{:x}", now_ms() % 0xFFFF_FFFF);

    let mut report = Report {
        command: command_line(),
        started: utc_now(),
        machine: Machine::detect(),
        settings: Settings {
            connections: cli.connections,
            window: cli.window,
            payloads: cli
                .payload
                .iter()
                .map(|p| format!("{p:?}").to_lowercase())
                .collect(),
            warmup_s: cli.warmup,
            duration_s: cli.duration,
            sources: cli.sources,
            idle: idle.iter().map(|n| n.to_string()).collect(),
            ironloom_fsync: cli.fsync.clone(),
            ironloom_rate_limit: cli.rate_limit,
            rounds: cli.rounds,
        },
        brokers: Vec::new(),
    };
    for round in 1..=cli.rounds {
        for &kind in &cli.brokers {
            let mut result = BrokerResult {
                broker: kind.name().into(),
                round,
                ..Default::default()
            };
            let idle: &[usize] = if round == 1 { &idle } else { &[] };
            if let Err(e) =
                bench_broker(kind, cli, idle, round, work.path(), &run_id, &mut result).await
            {
                eprintln!("[{}] FAILED: {e:#}", kind.name());
                result.errors.push(format!("{e:#}"));
            }
            report.brokers.push(result);
        }
    }
    report.machine.load_after = machine::load_average();
    cli.run.finish(work, &report.markdown(), &report)?;
    if report.brokers.iter().any(|b| !b.errors.is_empty()) {
        bail!("some runs failed");
    }
    Ok(())
}

/// The user names of devices `first..first + n`, or `None` per connection for mosquitto.
fn usernames(kind: Kind, run_id: &str, first: usize, n: usize) -> Vec<Option<String>> {
    (first..first + n)
        .map(|i| match kind {
            Kind::Ironloom => Some(ironloom::token(run_id, i)),
            Kind::Mosquitto => None,
        })
        .collect()
}

async fn start(kind: Kind, cli: &Cli, dir: &std::path::Path) -> Result<Broker> {
    match kind {
        Kind::Ironloom => {
            let s = IronloomSettings {
                bin: cli.ironloom.path()?,
                data_dir: dir.join("data"),
                fsync: cli.fsync.clone(),
                max_connections: 1_000_000,
                rate_limit: cli.rate_limit,
                password: PASSWORD.into(),
            };
            Broker::start_ironloom(&s, dir).await
        }
        Kind::Mosquitto => Broker::start_mosquitto(&cli.mosquitto_bin, dir).await,
    }
}

#[allow(clippy::too_many_arguments)]
async fn bench_broker(
    kind: Kind,
    cli: &Cli,
    idle: &[usize],
    round: u32,
    work: &std::path::Path,
    run_id: &str,
    result: &mut BrokerResult,
) -> Result<()> {
    let label = kind.name();
    // Each round on a data directory of its own (a fresh broker, as in the first round).
    let dir = match round {
        1 => work.join(label),
        r => work.join(format!("{label}-{r}")),
    };
    std::fs::create_dir_all(&dir)?;
    let target = |addr| Target {
        addr,
        sources: cli.sources,
        keep_alive: 300,
        timeout: Duration::from_secs_f64(cli.connect_timeout),
    };
    match kind {
        Kind::Ironloom => {
            let bin = cli.ironloom.path()?;
            result.version = first_line(&bin, &["--version"]);
            result.settings = format!(
                "`ironloom serve` (release), embedded storage; [tsdb] fsync = \"{}\" (PUBACK after \
                 the WAL write{}), [mqtt] max_connections = 1000000, rate_limit = {}/s per device; \
                 every connection a distinct device logging in with its access token",
                cli.fsync,
                if cli.fsync == "always" {
                    " and its fdatasync, group commit"
                } else {
                    "; the sync is not waited for"
                },
                cli.rate_limit
            );
        }
        Kind::Mosquitto => {
            result.version = first_line(&cli.mosquitto_bin, &["-h"]);
            result.settings = "persistence false, allow_anonymous true, max_connections -1, \
                               set_tcp_nodelay true, log_type error+warning; stores nothing"
                .into();
        }
    }
    let idle_max = idle.iter().copied().max().unwrap_or(0);
    // One device per connection of each throughput run (each run its own devices, so its
    // points are counted apart), and one for the third-party tool; the idle runs reuse them.
    let devices = (cli.connections * cli.payload.len()).max(idle_max) + 1;
    let tool_user = match kind {
        Kind::Ironloom => ironloom::token(run_id, devices - 1),
        Kind::Mosquitto => "bench".into(),
    };

    eprintln!("[{label}] starting (round {round} of {})", cli.rounds);
    let mut b = start(kind, cli, &dir).await?;
    let api = match kind {
        Kind::Ironloom => {
            let api = Api::connect(b.http.as_deref().context("ironloom http")?, PASSWORD).await?;
            eprintln!("[{label}] creating {devices} devices");
            result.devices = Some(api.create_devices(run_id, devices).await?);
            Some(api)
        }
        Kind::Mosquitto => None,
    };

    for (k, &payload) in cli
        .payload
        .iter()
        .enumerate()
        .filter(|_| cli.connections > 0)
    {
        let cfg = LoadConfig {
            target: target(b.mqtt),
            connections: cli.connections,
            window: cli.window,
            warmup: Duration::from_secs_f64(cli.warmup),
            duration: Duration::from_secs_f64(cli.duration),
            drain: Duration::from_secs_f64(cli.drain),
            payload,
            connect_concurrency: cli.connect_concurrency,
            broker_pid: b.pid().ok(),
            spread: Vec::new(),
            rate: None,
        };
        eprintln!(
            "[{label}] throughput, payload {payload:?}: {} connections × window {}, {} s + {} s",
            cli.connections, cli.window, cli.warmup, cli.duration
        );
        let first = k * cli.connections;
        let users = usernames(kind, run_id, first, cli.connections);
        let l = load::run(&cfg, &users).await?;
        eprintln!(
            "[{label}] {:.0} msgs/s, p50 {} µs, p99 {} µs; errors: {}",
            l.msgs_per_second,
            l.latency.p50_us,
            l.latency.p99_us,
            l.errors.describe()
        );
        b.check_running()?;
        let stored = match (&api, &result.devices) {
            (Some(api), Some(d)) => {
                let ids = &d.ids[first..first + cli.connections];
                let (stored, series) = api.count_points(ids).await?;
                let stats = api.stats().await?;
                let acked = l.acked_total * load::VALUES as u64;
                eprintln!(
                    "[{label}] stored {stored} distinct of {acked} acknowledged points in {series} series"
                );
                Some(StoredCheck {
                    acked_points: acked,
                    stored_points: stored,
                    series,
                    stats,
                })
            }
            _ => None,
        };
        result.runs.push(LoadRun { load: l, stored });
    }
    if !result.runs.is_empty() {
        result.rss_after_load_kib = b.rss_kib().ok();
        result.hwm_after_load_kib = b.process.hwm_kib().ok();
    }
    for template in cli.third_party.iter().filter(|_| round == 1) {
        let cmd = third_party::expand(template, "127.0.0.1", b.mqtt.port(), &tool_user);
        eprintln!("[{label}] third-party: {cmd}");
        let mut t = third_party::run(&cmd, 40).await?;
        if let (Some(api), Some(d)) = (&api, &result.devices) {
            let (stored, _) = api.count_points(&d.ids[devices - 1..]).await?;
            t.output.push_str(&format!(
                "\n[mqtt-bench] Ironloom holds {stored} distinct points of v0…v9 of the tool's device"
            ));
        }
        eprintln!("{}", t.output);
        result.third_party.push(t);
        b.check_running()?;
    }
    b.stop(Duration::from_secs(60)).await?;

    for &n in idle {
        eprintln!("[{label}] idle: {n} connections on a fresh broker process");
        let mut b = start(kind, cli, &dir).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss0 = b.rss_kib()?;
        let gen0 = procfs::status_kib(std::process::id(), "VmRSS")?;
        let cfg = IdleConfig {
            target: target(b.mqtt),
            connections: n,
            connect_concurrency: cli.connect_concurrency,
        };
        let users = usernames(kind, run_id, 0, n);
        let (set, open) = IdleSet::open(&cfg, &users).await?;
        eprintln!(
            "[{label}] {} of {n} connected in {:.1} s; errors: {}",
            open.connected,
            open.seconds,
            open.errors.describe()
        );
        let settle = Instant::now();
        tokio::time::sleep(Duration::from_secs_f64(cli.idle_settle)).await;
        b.check_running()?;
        let held = set.ping_all(Duration::from_secs(30)).await;
        let rss1 = b.rss_kib()?;
        let gen1 = procfs::status_kib(std::process::id(), "VmRSS")?;
        let r = IdleResult {
            attempted: n,
            connected: open.connected,
            held,
            lost: set.lost(),
            connect_seconds: open.seconds,
            connects_per_second: open.per_second,
            connect_errors: open.errors,
            broker_rss_before_kib: rss0,
            broker_rss_after_kib: rss1,
            kib_per_connection: rss1.saturating_sub(rss0) as f64 / held.max(1) as f64,
            broker_open_files: b.process.open_files().unwrap_or(0),
            broker_nofile_limit: b.process.nofile_limit().unwrap_or(0),
            generator_kib_per_connection: gen1.saturating_sub(gen0) as f64
                / open.connected.max(1) as f64,
        };
        eprintln!(
            "[{label}] held {held} after {:.1} s; RSS {rss0} → {rss1} KiB ({:.2} KiB per connection)",
            settle.elapsed().as_secs_f64(),
            r.kib_per_connection
        );
        result.idle.push(r);
        set.close().await;
        b.stop(Duration::from_secs(60)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_sizes_resolve_max_and_cap_at_the_limit() {
        let cli = Cli::parse_from(["mqtt-bench", "--idle", "100,max,50000"]);
        assert_eq!(idle_sizes(&cli, 20_000).unwrap(), vec![100, 19_900, 19_900]);
        let cli = Cli::parse_from(["mqtt-bench", "--idle", ""]);
        assert!(idle_sizes(&cli, 20_000).unwrap().is_empty());
    }
}
