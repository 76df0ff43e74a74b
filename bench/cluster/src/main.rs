//! `cluster-bench` (issue 21): in one run on one machine, a single `ironloom serve` and a
//! 3-node cluster (3 NATS JetStream servers, PostgreSQL, SeaweedFS's S3 gateway for the
//! sealed segments) under the same MQTT load from `mqtt-bench`'s generator, the
//! cluster's connections spread over its nodes: acknowledged messages/s,
//! publish-to-PUBACK p50/p99, CPU per acknowledged message (every process of the
//! platform: the nodes, NATS, SeaweedFS and PostgreSQL; for the single node, itself),
//! and the cluster's bus lag. Then fail-over: rounds of SIGKILL of one node (in turn) while
//! devices keep sending and moving to the other nodes; the time from the kill until every
//! partition is held again and every device's latest values can be read, and at the end
//! whether every acknowledged message was stored. See README.md.

mod nodes;
mod steady;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use ironloom_bench_common::machine;
use ironloom_bench_common::procfs::{clock_ticks, cpu_ticks};
use ironloom_bench_common::run::{
    IronloomBin, RunOptions, command_line, now_ms, until_interrupted, utc_now,
};
use ironloom_bench_mqtt::broker::{Broker, IronloomSettings};
use ironloom_bench_mqtt::conn::Target;
use ironloom_bench_mqtt::ironloom::{self, Api};
use ironloom_bench_mqtt::load::{self, LoadConfig, LoadReport, PayloadKind};
use ironloom_bench_mqtt::report::median;
use serde::Serialize;

use crate::nodes::{Cluster, NodeSettings, held_by};
use crate::steady::Steady;

const PASSWORD: &str = "ironloom-bench-1";

/// A single node against a 3-node cluster, and fail-over rounds.
#[derive(Debug, Parser)]
#[command(name = "cluster-bench", version)]
struct Cli {
    /// Publishing connections (one device each).
    #[arg(long, default_value_t = 200)]
    connections: usize,
    /// QoS 1 publishes in flight per connection.
    #[arg(long, default_value_t = 16)]
    window: usize,
    #[arg(long, value_enum, default_value = "ts")]
    payload: PayloadKind,
    /// Seconds before the measurement starts.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Cluster nodes.
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    #[arg(long, default_value_t = 16)]
    partitions: u32,
    /// Partition lease time (fail-over takes about this long).
    #[arg(long, default_value = "3s")]
    lease_ttl: String,
    /// Alternating rounds of the same load, single node then cluster (the machine's speed
    /// drifts; the ratio is reported per round and as the median).
    #[arg(long, default_value_t = 1)]
    rounds: u32,
    /// Kill rounds (0 skips fail-over).
    #[arg(long, default_value_t = 100)]
    kill_rounds: u32,
    /// Devices sending through the kill rounds, one message each per `--steady-interval-ms`.
    #[arg(long, default_value_t = 30)]
    steady_devices: usize,
    #[arg(long, default_value_t = 20)]
    steady_interval_ms: u64,
    /// The single node's `[tsdb] fsync` (the cluster's nodes do not sync per write: the
    /// stream is the durable copy).
    #[arg(long, default_value = "always")]
    fsync: String,
    #[command(flatten)]
    ironloom: IronloomBin,
    #[command(flatten)]
    run: RunOptions,
}

#[derive(Debug, Serialize)]
struct Throughput {
    setup: String,
    msgs_per_second: f64,
    p50_us: u64,
    p99_us: u64,
    acked: u64,
    unacked: u64,
    /// CPU seconds of the platform's processes over the whole load run, per acknowledged
    /// message, in µs.
    cpu_us_per_msg: f64,
    cpu_cores: f64,
    stored_points: u64,
    acked_points: u64,
    /// Largest bus lag seen (records the owners still had to apply), cluster only.
    max_lag: Option<u64>,
    /// The CPU µs per message by part of the platform (cluster only).
    parts: Vec<(String, f64)>,
    /// Records appended to the streams during the run, and their payload bytes as the
    /// nodes counted them (cluster only).
    records: Option<(u64, u64)>,
}

#[derive(Debug, Serialize)]
struct Failover {
    rounds: u32,
    /// Seconds from SIGKILL until every partition was held by a live node and every
    /// steady device's latest values could be read.
    seconds: Vec<f64>,
    devices: usize,
    acked_messages: u64,
    lost_messages: u64,
    moves: u64,
}

#[derive(Debug, Serialize)]
struct ReportOut {
    command: String,
    started: String,
    machine: machine::Facts,
    /// One per round, in order.
    single: Vec<Throughput>,
    cluster: Vec<Throughput>,
    failover: Option<Failover>,
}

/// CPU seconds used so far by `pids` (those still there).
fn cpu_seconds(pids: &[u32]) -> f64 {
    let ticks: u64 = pids.iter().filter_map(|&p| cpu_ticks(p).ok()).sum();
    ticks as f64 / clock_ticks() as f64
}

fn load_config(
    cli: &Cli,
    target: std::net::SocketAddr,
    spread: Vec<std::net::SocketAddr>,
) -> LoadConfig {
    LoadConfig {
        target: Target {
            addr: target,
            sources: 8,
            keep_alive: 300,
            timeout: Duration::from_secs(20),
        },
        spread,
        connections: cli.connections,
        window: cli.window,
        warmup: Duration::from_secs_f64(cli.warmup),
        duration: Duration::from_secs_f64(cli.duration),
        drain: Duration::from_secs(30),
        payload: cli.payload,
        connect_concurrency: 128,
        broker_pid: None,
        rate: None,
    }
}

fn throughput(
    setup: &str,
    l: &LoadReport,
    cpu: f64,
    wall: f64,
    stored: u64,
    max_lag: Option<u64>,
) -> Throughput {
    Throughput {
        setup: setup.into(),
        msgs_per_second: l.msgs_per_second,
        p50_us: l.latency.p50_us,
        p99_us: l.latency.p99_us,
        acked: l.acked_total,
        unacked: l.unacked,
        cpu_us_per_msg: cpu * 1e6 / l.acked_total.max(1) as f64,
        cpu_cores: cpu / wall.max(1e-9),
        stored_points: stored,
        acked_points: l.acked_total * load::VALUES as u64,
        max_lag,
        parts: Vec::new(),
        records: None,
    }
}

/// The single node, started once for every round.
async fn start_single(cli: &Cli, work: &std::path::Path) -> Result<Broker> {
    let s = IronloomSettings {
        bin: cli.ironloom.path()?,
        data_dir: work.join("single"),
        fsync: cli.fsync.clone(),
        max_connections: 1_000_000,
        rate_limit: 1_000_000,
        password: PASSWORD.into(),
    };
    Broker::start_ironloom(&s, work).await
}

/// One round on the single node, with devices of its own.
async fn single(cli: &Cli, b: &Broker, run_id: &str) -> Result<Throughput> {
    let api = Api::connect(b.http.as_deref().context("http")?, PASSWORD).await?;
    let devices = api.create_devices(run_id, cli.connections).await?;
    let pids = vec![b.pid()?];
    let users: Vec<Option<String>> = (0..cli.connections)
        .map(|i| Some(ironloom::token(run_id, i)))
        .collect();
    let (c0, t0) = (cpu_seconds(&pids), Instant::now());
    let l = load::run(&load_config(cli, b.mqtt, Vec::new()), &users).await?;
    let (cpu, wall) = (cpu_seconds(&pids) - c0, t0.elapsed().as_secs_f64());
    let (stored, _) = api.count_points(&devices.ids).await?;
    Ok(throughput("single node", &l, cpu, wall, stored, None))
}

/// Polls every node's health until `stop`; the largest total lag seen.
async fn watch_lag(cluster: &Cluster, stop: tokio::sync::watch::Receiver<bool>) -> Result<u64> {
    let mut admins = Vec::new();
    for k in cluster.running() {
        admins.push(cluster.admin(k).await?);
    }
    let mut max = 0u64;
    while !*stop.borrow() {
        let mut total = 0;
        for a in &admins {
            if let Ok(h) = cluster.health(a).await {
                total += h["owners"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o["lag"].as_u64())
                    .sum::<u64>();
            }
        }
        max = max.max(total);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(max)
}

async fn cluster_run(
    cli: &Cli,
    cluster: &Cluster,
    run_id: &str,
) -> Result<(Throughput, Vec<String>)> {
    let api = Api::connect(&cluster.nodes[0].base(), PASSWORD).await?;
    let devices = api
        .create_devices(run_id, cli.connections + cli.steady_devices)
        .await?;
    cluster.wait_balanced(Duration::from_secs(60)).await?;
    let users: Vec<Option<String>> = (0..cli.connections)
        .map(|i| Some(ironloom::token(run_id, i)))
        .collect();
    let spread = cluster.nodes[1..].iter().map(|n| n.mqtt).collect();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let groups = cluster.pids();
    let pids: Vec<u32> = groups.iter().flat_map(|(_, p)| p.clone()).collect();
    let before: Vec<f64> = groups.iter().map(|(_, p)| cpu_seconds(p)).collect();
    let records_before = cluster.stream_records().await?;
    let appended_before = cluster.appended_bytes().await?;
    let (c0, t0) = (cpu_seconds(&pids), Instant::now());
    let (l, lag) = tokio::join!(
        async {
            let l = load::run(&load_config(cli, cluster.nodes[0].mqtt, spread), &users).await;
            let _ = stop.send(true);
            l
        },
        watch_lag(cluster, rx)
    );
    let l = l?;
    let (cpu, wall) = (cpu_seconds(&pids) - c0, t0.elapsed().as_secs_f64());
    let after: Vec<f64> = groups.iter().map(|(_, p)| cpu_seconds(p)).collect();
    let records_after = cluster.stream_records().await?;
    let appended_after = cluster.appended_bytes().await?;
    let (stored, _) = api.count_points(&devices.ids[..cli.connections]).await?;
    let mut t = throughput(
        &format!("{} nodes, 3 NATS servers, PostgreSQL, SeaweedFS", cli.nodes),
        &l,
        cpu,
        wall,
        stored,
        Some(lag?),
    );
    t.records = Some((
        records_after - records_before,
        appended_after.saturating_sub(appended_before),
    ));
    t.parts = groups
        .iter()
        .zip(before.iter().zip(&after))
        .map(|((name, _), (b, a))| {
            let us = (a - b) * 1e6 / l.acked_total.max(1) as f64;
            (name.to_string(), us)
        })
        .collect();
    Ok((t, devices.ids))
}

/// The demo tenant's administrator, on the node at `base`.
async fn demo_session(base: &str) -> Result<ironloom_bench_common::ironloom::Session> {
    ironloom_bench_common::ironloom::Session::login(
        &reqwest::Client::new(),
        base,
        serde_json::json!({"username": "demo", "password": PASSWORD, "tenant": "demo"}),
    )
    .await
}

/// Waits until every partition is held by a running node and every steady device's
/// latest values can be read on `ask`.
/// Returns the seconds until the partitions were held, and until reads were served.
async fn serving(
    cluster: &Cluster,
    ask: usize,
    ids: &[String],
    since: Instant,
) -> Result<(f64, f64)> {
    let admin = cluster.admin(ask).await?;
    let demo = demo_session(&cluster.nodes[ask].base()).await?;
    let running: Vec<String> = cluster
        .running()
        .iter()
        .map(|&k| cluster.nodes[k].name.clone())
        .collect();
    let mut held_at = None;
    loop {
        if since.elapsed() > Duration::from_secs(60) {
            bail!("not serving again 60 s after the kill");
        }
        let held = cluster
            .health(&admin)
            .await
            .is_ok_and(|h| held_by(&h, &running));
        if held {
            let held_s = *held_at.get_or_insert(since.elapsed().as_secs_f64());
            let mut all = true;
            for id in ids {
                let r = demo
                    .get(&format!("/api/v1/devices/{id}/telemetry/latest"))
                    .send()
                    .await;
                // 503: the device's partition has no owner yet.
                if !r.is_ok_and(|r| r.status().is_success()) {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok((held_s, since.elapsed().as_secs_f64()));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn failover(
    cli: &Cli,
    cluster: &mut Cluster,
    ids: &[String],
    run_id: &str,
) -> Result<Failover> {
    let steady_ids = &ids[cli.connections..];
    let devices: Vec<(String, String)> = (0..cli.steady_devices)
        .map(|i| {
            (
                ironloom::token(run_id, cli.connections + i),
                steady_ids[i].clone(),
            )
        })
        .collect();
    let nodes = cluster.nodes.iter().map(|n| n.mqtt).collect();
    let base = now_ms() - 3_600_000;
    let steady = Steady::start(
        nodes,
        devices,
        base,
        Duration::from_millis(cli.steady_interval_ms),
    );
    let mut seconds = Vec::new();
    for round in 0..cli.kill_rounds {
        let victim = (round as usize) % cluster.nodes.len();
        let ask = (victim + 1) % cluster.nodes.len();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let killed = Instant::now();
        cluster.kill_node(victim).await?;
        let (held, s) = serving(cluster, ask, steady_ids, killed).await?;
        eprintln!(
            "round {}: node {victim} killed; partitions held again after {held:.2} s, \
             reads served after {s:.2} s",
            round + 1
        );
        seconds.push(s);
        cluster.start_node(victim).await?;
        cluster.wait_balanced(Duration::from_secs(60)).await?;
    }
    let logs = steady.finish().await?;
    // The demo tenant's administrator reads the devices' history.
    let demo = demo_session(&cluster.nodes[0].base()).await?;
    let mut lost = 0;
    let mut acked = 0;
    for log in &logs {
        acked += log.acked.len() as u64;
        let missing = steady::missing(&demo, log).await?;
        if !missing.is_empty() {
            eprintln!(
                "device {}: {} acknowledged messages not stored, e.g. ts {}",
                log.id,
                missing.len(),
                missing[0]
            );
        }
        lost += missing.len() as u64;
    }
    Ok(Failover {
        rounds: cli.kill_rounds,
        seconds,
        acked_messages: acked,
        lost_messages: lost,
        devices: logs.len(),
        moves: logs.iter().map(|l| l.moves).sum(),
    })
}

fn markdown(r: &ReportOut) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "cluster-bench, {} — {} × {}, {}\n`{}`\n\n",
        r.started, r.machine.cpus, r.machine.cpu_model, r.machine.memory, r.command
    ));
    s.push_str("| round | setup | msgs/s | p50 | p99 | CPU µs/msg | cores | acked | stored points / acked | max bus lag |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (k, (one, c)) in r.single.iter().zip(&r.cluster).enumerate() {
        for t in [one, c] {
            s.push_str(&format!(
                "| {} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.1} | {:.2} | {} | {} / {} | {} |\n",
                k + 1,
                t.setup,
                t.msgs_per_second,
                t.p50_us as f64 / 1000.0,
                t.p99_us as f64 / 1000.0,
                t.cpu_us_per_msg,
                t.cpu_cores,
                t.acked,
                t.stored_points,
                t.acked_points,
                t.max_lag.map_or("—".into(), |l| l.to_string()),
            ));
        }
    }
    let ratios: Vec<f64> = r
        .single
        .iter()
        .zip(&r.cluster)
        .map(|(one, c)| c.cpu_us_per_msg / one.cpu_us_per_msg.max(1e-9))
        .collect();
    s.push_str(&format!(
        "\nCPU per message, cluster ÷ single, per round: {}; **median {:.2}×** (target ≤ 2×); \
         median µs per message: single {:.1}, cluster {:.1}.\n",
        ratios
            .iter()
            .map(|x| format!("{x:.2}×"))
            .collect::<Vec<_>>()
            .join(", "),
        median(&ratios),
        median(
            &r.single
                .iter()
                .map(|t| t.cpu_us_per_msg)
                .collect::<Vec<_>>()
        ),
        median(
            &r.cluster
                .iter()
                .map(|t| t.cpu_us_per_msg)
                .collect::<Vec<_>>()
        ),
    ));
    for (k, c) in r.cluster.iter().enumerate() {
        s.push_str(&format!(
            "Round {}, the cluster's CPU by part: {}",
            k + 1,
            c.parts
                .iter()
                .map(|(n, us)| format!("{n} {us:.1} µs"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if let Some((records, bytes)) = c.records {
            s.push_str(&format!(
                "; streams: {records} records for {} messages ({:.1} a record), {:.0} bytes a message appended (each replica stores them)",
                c.acked,
                c.acked as f64 / records.max(1) as f64,
                bytes as f64 / c.acked.max(1) as f64
            ));
        }
        s.push_str(".\n");
    }
    if let Some(f) = &r.failover {
        let mut sorted = f.seconds.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| {
            sorted
                .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        s.push_str(&format!(
            "\nFail-over, {} SIGKILL rounds: serving again after p50 {:.2} s, max {:.2} s (target < 10 s); \
             {} messages acknowledged by {} devices moving {} times, **{} lost**.\n",
            f.rounds,
            q(0.5),
            q(1.0),
            f.acked_messages,
            f.devices,
            f.moves,
            f.lost_messages
        ));
    }
    s
}

async fn run(cli: Cli) -> Result<()> {
    let work = cli.run.work_dir("ironloom-cluster-bench-")?;
    let started = utc_now();
    let run_id = format!("c{}", now_ms() % 1_000_000);
    eprintln!(
        "[single] {} connections × window {}",
        cli.connections, cli.window
    );
    let broker = start_single(&cli, work.path()).await?;
    let settings = NodeSettings {
        bin: cli.ironloom.path()?,
        password: PASSWORD.into(),
        partitions: cli.partitions,
        lease_ttl: cli.lease_ttl.clone(),
        rate_limit: 1_000_000,
    };
    let mut cluster = Cluster::start(settings, cli.nodes, work.path()).await?;
    let (mut singles, mut clustered, mut ids) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=cli.rounds.max(1) {
        let id = format!("{run_id}r{round}");
        let one = single(&cli, &broker, &id).await?;
        eprintln!(
            "[single, round {round}] {:.0} msgs/s, {:.1} µs CPU/msg",
            one.msgs_per_second, one.cpu_us_per_msg
        );
        singles.push(one);
        let (c, devices) = cluster_run(&cli, &cluster, &id).await?;
        eprintln!(
            "[cluster, round {round}] {:.0} msgs/s, {:.1} µs CPU/msg",
            c.msgs_per_second, c.cpu_us_per_msg
        );
        clustered.push(c);
        ids = devices;
    }
    let mut broker = broker;
    broker.stop(Duration::from_secs(10)).await?;
    let run_id = format!("{run_id}r{}", cli.rounds.max(1));
    let failover = match cli.kill_rounds {
        0 => None,
        _ => Some(failover(&cli, &mut cluster, &ids, &run_id).await?),
    };
    let report = ReportOut {
        command: command_line(),
        started,
        machine: machine::Facts::detect(),
        single: singles,
        cluster: clustered,
        failover,
    };
    let md = markdown(&report);
    cli.run.finish(work, &md, &report)
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    until_interrupted(run(cli)).await
}
