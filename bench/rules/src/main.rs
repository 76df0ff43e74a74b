//! Rule-engine benchmark (see `README.md`).
//!
//! Ironloom: `ironloom serve` with `--rules-per-device` rules on each of `--devices`
//! devices (1,000 by default: threshold, sliding-window average, condition held for three
//! samples, change against the previous value, tumbling-window maximum), the MQTT load of
//! `mqtt-bench` on those devices, and a probe device whose rule raises and clears an
//! alarm on every other message. Measured: messages acknowledged per second, messages the
//! rule stage evaluated per second (from `/metrics`), how far the rule stage lagged (its
//! queue, and how long it took to finish after the load stopped), and the latency from
//! the probe's PUBACK (and from its send) to the alarm event on the API's live stream.
//!
//! Peer, same load in the same run: mosquitto, with a subscriber that evaluates the
//! probe's threshold itself (what a broker plus an external rule service does at best);
//! its latency is from the probe's PUBACK (and send) to the subscriber seeing the value.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use ironloom_bench_common::run::IronloomBin;
use ironloom_bench_common::run::{until_interrupted, write_json};
use ironloom_bench_common::stats::{Histogram, Summary};
use ironloom_bench_mqtt::broker::{Broker, IronloomSettings};
use ironloom_bench_mqtt::conn::Target;
use ironloom_bench_mqtt::ironloom::{Api, token};
use ironloom_bench_mqtt::load::{self, LoadConfig, LoadReport, PayloadKind};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

mod stage;

#[derive(Debug, Parser)]
#[command(
    about = "1,000 rules over the MQTT stream: rule-stage throughput and PUBACK-to-alarm latency"
)]
struct Cli {
    #[command(flatten)]
    ironloom: IronloomBin,
    #[arg(long, default_value = "/usr/sbin/mosquitto")]
    mosquitto: PathBuf,
    #[arg(long, default_value_t = 200)]
    devices: usize,
    #[arg(long, default_value_t = 5)]
    rules_per_device: usize,
    /// Publishes in flight per device.
    #[arg(long, default_value_t = 16)]
    window: usize,
    /// Open loop: messages per second over all devices, on a fixed schedule (latency
    /// then counts from when each message was due). Default: closed loop.
    #[arg(long)]
    rate: Option<f64>,
    #[arg(long, default_value_t = 5.0)]
    warmup: f64,
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// The probe's messages per second (each raises or clears its alarm).
    #[arg(long, default_value_t = 20.0)]
    probe_rate: f64,
    /// `[tsdb] fsync` of Ironloom.
    #[arg(long, default_value = "always")]
    fsync: String,
    /// Only the rule stage, in this process, at `--rate` (default 100,000 msgs/s): the
    /// runtime of `ironloom serve` fed the events the device hub hands it after storing.
    #[arg(long)]
    stage_only: bool,
    /// Skip the mosquitto run.
    #[arg(long)]
    no_peer: bool,
    /// Write rules-bench.json here.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Run {
    broker: &'static str,
    load: LoadReport,
    /// Probe: PUBACK → alarm visible, and send → alarm visible.
    probe_from_puback: Summary,
    probe_from_send: Summary,
    probe_missed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<RuleStage>,
}

#[derive(Debug, Serialize)]
struct RuleStage {
    rules: usize,
    /// Rule evaluations (one message × one rule) per second during the measurement.
    evaluations_per_second: f64,
    /// Messages per second that reached the engine (evaluations / rules per device).
    messages_per_second: f64,
    /// Largest queue of device messages waiting for the engine (sampled each second).
    max_queue: f64,
    /// After the load stopped: seconds until every acknowledged message was evaluated.
    drain_seconds: f64,
    evaluated_total: f64,
    expected_total: f64,
    alarms_raised: f64,
    errors_total: f64,
}

/// The rules of device `i`: each condition is evaluated on every message and rarely holds
/// (values are uniform in −200 … 800).
fn rules_for(i: usize, name: &str, per_device: usize) -> Vec<Value> {
    let kinds = [
        json!({"condition": {"expr": "v0 > 900 || v1 < -500"}}),
        json!({"windows": [{"name": "avg10", "fn": "avg", "of": "v2", "kind": "sliding", "count": 10}],
               "condition": {"expr": "avg10 > 700"}}),
        json!({"condition": {"expr": "v3 > 799", "for_samples": 3}}),
        json!({"condition": {"expr": "abs(v4 - prev.v4) > 1500"}}),
        json!({"windows": [{"name": "max1s", "fn": "max", "of": "v5", "kind": "tumbling", "seconds": 1}],
               "condition": {"expr": "max1s > 850"}}),
    ];
    (0..per_device)
        .map(|k| {
            let mut r = kinds[k % kinds.len()].clone();
            r["name"] = json!(format!("bench-{i:04}-{k}"));
            r["source"] = json!({"devices": [name]});
            r["actions"] =
                json!([{"type": "alarm", "alarm_type": format!("bench_{k}"), "severity": "minor"}]);
            r
        })
        .collect()
}

/// Sums a counter family in a Prometheus text page (all label sets).
fn metric_sum(page: &str, name: &str) -> f64 {
    page.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with('{') || r.starts_with(' '))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn metrics(base: &str) -> Result<String> {
    Ok(reqwest::get(format!("{base}/metrics"))
        .await?
        .text()
        .await?)
}

/// What the probe waits for: the moment its alarm (or its value) became visible.
type Seen = mpsc::UnboundedReceiver<(bool, Instant)>;

/// Runs a future on a thread of its own (a current-thread runtime), so the probe's clock
/// readings do not wait behind the load generator's tasks.
fn on_own_thread<F, T>(f: F) -> tokio::task::JoinHandle<Result<T>>
where
    F: std::future::Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(f)
    })
}

/// Publishes alternately a high and a low value; after each PUBACK waits for the matching
/// visibility (`true` raised / `false` cleared) and records both latencies.
async fn probe(
    addr: std::net::SocketAddr,
    user: Option<String>,
    topic: &str,
    mut seen: Seen,
    rate: f64,
    run_for: Duration,
) -> Result<(Histogram, Histogram, u64)> {
    let mut o = MqttOptions::new("bench-probe", addr.ip().to_string(), addr.port());
    if let Some(u) = user {
        o.set_credentials(u, "");
    }
    let (client, mut ev) = AsyncClient::new(o, 16);
    let (ack_tx, mut acks) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(e) = ev.poll().await {
            if let Event::Incoming(Incoming::PubAck(_)) = e {
                let _ = ack_tx.send(Instant::now());
            }
        }
    });
    let (mut from_ack, mut from_send, mut missed) = (Histogram::new(), Histogram::new(), 0u64);
    let period = Duration::from_secs_f64(1.0 / rate.max(0.1));
    let end = Instant::now() + run_for;
    let mut high = true;
    while Instant::now() < end {
        let t = Instant::now();
        let v = if high { 900.0 } else { 0.0 };
        let sent = Instant::now();
        client
            .publish(topic, QoS::AtLeastOnce, false, json!({"v0": v}).to_string())
            .await?;
        let acked = tokio::time::timeout(Duration::from_secs(5), acks.recv())
            .await
            .context("probe PUBACK")?
            .context("probe connection")?;
        let visible = loop {
            match tokio::time::timeout(Duration::from_secs(2), seen.recv()).await {
                Ok(Some((state, at))) if state == high => break Some(at),
                Ok(Some(_)) => {}
                _ => break None,
            }
        };
        match visible {
            Some(at) => {
                from_ack.record(at.saturating_duration_since(acked).as_micros() as u64);
                from_send.record(at.saturating_duration_since(sent).as_micros() as u64);
            }
            None => missed += 1,
        }
        high = !high;
        if let Some(rest) = period.checked_sub(t.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }
    Ok((from_ack, from_send, missed))
}

/// Ironloom's alarm stream: `raised` / `cleared` of the probe device.
async fn alarm_events(base: &str, token: &str, device: String) -> Result<Seen> {
    let mut r = reqwest::Client::new()
        .get(format!("{base}/api/v1/alarms/stream"))
        .bearer_auth(token)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("alarm stream: HTTP {}", r.status());
    }
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = r.chunk().await {
            let at = Instant::now();
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let raised = block.contains("event: raised");
                let cleared = block.contains("event: cleared");
                if (raised || cleared) && block.contains(&device) {
                    let _ = tx.send((raised, at));
                }
            }
        }
    });
    Ok(rx)
}

/// The peer's subscriber: sees the probe's values and evaluates `v0 > 500` itself.
async fn subscriber(addr: std::net::SocketAddr, topic: &str) -> Result<Seen> {
    let o = MqttOptions::new("bench-rule-service", addr.ip().to_string(), addr.port());
    let (client, mut ev) = AsyncClient::new(o, 16);
    client.subscribe(topic, QoS::AtLeastOnce).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let mut ready = Some(ready_tx);
    tokio::spawn(async move {
        let _client = client;
        while let Ok(e) = ev.poll().await {
            match e {
                Event::Incoming(Incoming::SubAck(_)) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                Event::Incoming(Incoming::Publish(p)) => {
                    let at = Instant::now();
                    let v: Value = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                    let high = v["v0"].as_f64().is_some_and(|x| x > 500.0);
                    let _ = tx.send((high, at));
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx).await??;
    Ok(rx)
}

fn load_config(cli: &Cli, b: &mut Broker) -> LoadConfig {
    LoadConfig {
        target: Target {
            addr: b.mqtt,
            sources: 1,
            keep_alive: 300,
            timeout: Duration::from_secs(30),
        },
        connections: cli.devices,
        window: cli.window,
        warmup: Duration::from_secs_f64(cli.warmup),
        duration: Duration::from_secs_f64(cli.duration),
        drain: Duration::from_secs(10),
        payload: PayloadKind::Plain,
        connect_concurrency: 64,
        broker_pid: b.pid().ok(),
        spread: Vec::new(),
        rate: cli.rate,
    }
}

async fn run_ironloom(cli: &Cli, work: &std::path::Path) -> Result<Run> {
    let password = "Bench-pass-1".to_string();
    let settings = IronloomSettings {
        bin: cli.ironloom.path()?,
        data_dir: work.join("ironloom-data"),
        fsync: cli.fsync.clone(),
        max_connections: cli.devices + 100,
        rate_limit: 1_000_000,
        password: password.clone(),
    };
    let mut b = Broker::start_ironloom(&settings, work).await?;
    let base = b.http.clone().context("Ironloom's HTTP address")?;
    let api = Api::connect(&base, &password).await?;
    let run = "rb";
    // Devices 0 … n-1 carry the load; device n is the probe.
    let created = api.create_devices(run, cli.devices + 1).await?;
    let t = Instant::now();
    let mut rules = 0;
    for i in 0..cli.devices {
        for r in rules_for(i, &format!("{run}-dev-{i:06}"), cli.rules_per_device) {
            api.post_json("/api/v1/rules", &r).await?;
            rules += 1;
        }
    }
    let probe_name = format!("{run}-dev-{:06}", cli.devices);
    api.post_json(
        "/api/v1/rules",
        &json!({"name": "probe", "source": {"devices": [probe_name]},
                "condition": {"expr": "v0 > 500"},
                "actions": [{"type": "alarm", "alarm_type": "probe_high", "severity": "major"}]}),
    )
    .await?;
    eprintln!(
        "[ironloom] {} rules created in {:.1} s",
        rules + 1,
        t.elapsed().as_secs_f64()
    );
    let probe_id = created.ids[cli.devices].clone();

    let cfg = load_config(cli, &mut b);
    let users: Vec<Option<String>> = (0..cli.devices).map(|i| Some(token(run, i))).collect();
    // Queue depth, sampled each second while the load runs.
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (base, on) = (base.clone(), sampling.clone());
        tokio::spawn(async move {
            let mut max = 0f64;
            while on.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(m) = metrics(&base).await {
                    max = max.max(metric_sum(&m, "ironloom_rule_queue_depth"));
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            max
        })
    };
    let probe_task = {
        let (addr, rate) = (b.mqtt, cli.probe_rate);
        let user = Some(token(run, cli.devices));
        let dur = Duration::from_secs_f64(cli.duration);
        let (base, token) = (base.clone(), api.token().to_owned());
        on_own_thread(async move {
            let seen = alarm_events(&base, &token, probe_id).await?;
            probe(addr, user, "v1/devices/me/telemetry", seen, rate, dur).await
        })
    };
    // Evaluations at the start and end of the measured window.
    let warm = cli.warmup;
    let base2 = base.clone();
    let window = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs_f64(warm + 3.0)).await;
        let t0 = Instant::now();
        let e0 = metric_sum(&metrics(&base2).await?, "ironloom_rule_evaluated_total");
        tokio::time::sleep(Duration::from_secs(10)).await;
        let e1 = metric_sum(&metrics(&base2).await?, "ironloom_rule_evaluated_total");
        anyhow::Ok((e1 - e0) / t0.elapsed().as_secs_f64())
    });
    let load = load::run(&cfg, &users).await?;
    let stopped = Instant::now();
    let (from_ack, from_send, missed) = probe_task.await??;
    let evaluations_per_second = window.await??;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let max_queue = sampler.await?;
    // Every acknowledged load message is evaluated by its device's rules; the probe's by one.
    let expected =
        (load.acked_total * cli.rules_per_device as u64 + from_ack.count() + missed) as f64;
    let mut evaluated;
    let mut page;
    loop {
        page = metrics(&base).await?;
        evaluated = metric_sum(&page, "ironloom_rule_evaluated_total");
        if evaluated >= expected || stopped.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Counters are exported each second: the drain is known to ±1 s.
    let drain_seconds = stopped.elapsed().as_secs_f64();
    let stage = RuleStage {
        rules: rules + 1,
        evaluations_per_second,
        messages_per_second: evaluations_per_second / cli.rules_per_device.max(1) as f64,
        max_queue,
        drain_seconds,
        evaluated_total: evaluated,
        expected_total: expected,
        alarms_raised: metric_sum(&page, "ironloom_alarms_raised_total"),
        errors_total: metric_sum(&page, "ironloom_rule_errors_total"),
    };
    // Where the probe's time went, from the server's own histograms.
    let summaries: Vec<String> = page
        .lines()
        .filter(|l| {
            (l.starts_with("ironloom_alarm_write_seconds{")
                || l.starts_with("ironloom_rule_queue_wait_seconds{"))
                && (l.contains("quantile=\"0.5\"")
                    || l.contains("quantile=\"0.99\"")
                    || l.contains("quantile=\"1\""))
        })
        .map(str::to_owned)
        .collect();
    eprintln!("[ironloom] server-side:\n  {}", summaries.join("\n  "));
    b.stop(Duration::from_secs(10)).await?;
    Ok(Run {
        broker: "ironloom",
        load,
        probe_from_puback: from_ack.summary(),
        probe_from_send: from_send.summary(),
        probe_missed: missed,
        rules: Some(stage),
    })
}

async fn run_mosquitto(cli: &Cli, work: &std::path::Path) -> Result<Run> {
    let mut b = Broker::start_mosquitto(&cli.mosquitto, &work.join("mosquitto")).await?;
    let topic = "bench/probe";
    let cfg = load_config(cli, &mut b);
    let users: Vec<Option<String>> = vec![None; cli.devices];
    let probe_task = {
        let (addr, rate) = (b.mqtt, cli.probe_rate);
        let dur = Duration::from_secs_f64(cli.duration);
        on_own_thread(async move {
            let seen = subscriber(addr, topic).await?;
            probe(addr, None, topic, seen, rate, dur).await
        })
    };
    let load = load::run(&cfg, &users).await?;
    let (from_ack, from_send, missed) = probe_task.await??;
    b.stop(Duration::from_secs(5)).await?;
    Ok(Run {
        broker: "mosquitto",
        load,
        probe_from_puback: from_ack.summary(),
        probe_from_send: from_send.summary(),
        probe_missed: missed,
        rules: None,
    })
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn print(runs: &[Run]) {
    println!(
        "| broker | msgs/s acked | ack p50 / p99 ms | probe PUBACK→visible p50 / p99 / max ms | send→visible p50 / p99 ms | missed | CPU broker / machine |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in runs {
        println!(
            "| {} | {:.0} | {} / {} | {} / {} / {} | {} / {} | {} | {:.2} / {:.2} |",
            r.broker,
            r.load.msgs_per_second,
            ms(r.load.latency.p50_us),
            ms(r.load.latency.p99_us),
            ms(r.probe_from_puback.p50_us),
            ms(r.probe_from_puback.p99_us),
            ms(r.probe_from_puback.max_us),
            ms(r.probe_from_send.p50_us),
            ms(r.probe_from_send.p99_us),
            r.probe_missed,
            r.load.cpu.broker,
            r.load.cpu.machine,
        );
    }
    for r in runs {
        if let Some(s) = &r.rules {
            println!();
            println!(
                "Rule stage ({} rules): {:.0} evaluations/s = {:.0} messages/s; queue at most {:.0}; \
                 {:.0} of {:.0} expected evaluations done {:.1} s after the load stopped; \
                 {:.0} alarms raised, {:.0} errors.",
                s.rules,
                s.evaluations_per_second,
                s.messages_per_second,
                s.max_queue,
                s.evaluated_total,
                s.expected_total,
                s.drain_seconds,
                s.alarms_raised,
                s.errors_total,
            );
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    until_interrupted(run(&cli)).await
}

async fn run(cli: &Cli) -> Result<()> {
    if cli.stage_only {
        let r = stage::run(cli).await?;
        let p = &r.probe;
        println!(
            "| rules | offered msgs/s | handed over msgs/s | rule evaluations/s | drain | probe event → alarm on the live stream p50 / p99 / max ms | missed | generator blocked | CPU (process) |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2} s ({} of {} evaluations) | {:.2} / {:.2} / {:.2} | {} | {:.2} s | {:.2} |",
            r.rules,
            r.rate,
            r.sent_per_second,
            r.evaluations_per_second,
            r.drain_seconds,
            r.evaluated_total,
            r.expected_total,
            p.p50_us as f64 / 1000.0,
            p.p99_us as f64 / 1000.0,
            p.max_us as f64 / 1000.0,
            r.probe_missed,
            r.generator_blocked_seconds,
            r.cpu_cores
        );
        for l in &r.server_side {
            eprintln!("  {l}");
        }
        return write_out(cli, "rules-stage-bench.json", &r);
    }
    let work = tempfile::tempdir()?;
    let mut runs = vec![run_ironloom(cli, work.path()).await?];
    if !cli.no_peer {
        runs.push(run_mosquitto(cli, work.path()).await?);
    }
    print(&runs);
    write_out(cli, "rules-bench.json", &runs)
}

/// Writes `value` as `--out`/`name` when `--out` is given.
fn write_out(cli: &Cli, name: &str, value: &impl Serialize) -> Result<()> {
    match &cli.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            write_json(&dir.join(name), value)
        }
        None => Ok(()),
    }
}
