//! `--stage-only`: the rule stage by itself, at a fixed rate.
//!
//! The end-to-end run shares two cores between the MQTT server, durable ingest, the rule
//! stage and the load generator, so at the ingest target the machine is saturated and the
//! latency is that of a full machine. This mode measures what the rule stage adds: the same
//! runtime `ironloom serve` starts (`ironloom_rules::runtime`, with the SQLite metadata
//! store and the time-series engine in a temporary directory), fed with the device events
//! the hub hands it after a message is stored — that is, at the moment of the PUBACK — on
//! an open-loop schedule. The probe's latency runs from handing its event over to the
//! alarm's live event, which is sent once the alarm is committed to the store (what
//! `GET /api/v1/alarms/stream` forwards).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use ironloom_bench_common::procfs;
use ironloom_bench_common::stats::{Histogram, Summary};
use ironloom_bus::{DeviceEvent, DeviceEventKind, EventBus};
use ironloom_core::alarm::{AlarmChange, AlarmEvent};
use ironloom_core::entity::{Actor, DeviceCredentials, NewDevice, NewProduct, NewTenant};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::industry::DeviceCategory;
use ironloom_core::repo::MetaStore;
use ironloom_core::rule::{RuleDoc, RuleService};
use ironloom_core::telemetry::{PointIn, Quality, Value as TValue};
use serde::Serialize;
use serde_json::json;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::{Cli, rules_for};

#[derive(Debug, Serialize)]
pub struct StageReport {
    pub rules: usize,
    pub devices: usize,
    /// Messages per second asked for, and handed over during the measurement.
    pub rate: f64,
    pub sent_per_second: f64,
    /// Rule evaluations per second during the measurement.
    pub evaluations_per_second: f64,
    /// After the load stopped: seconds until every message had been evaluated.
    pub drain_seconds: f64,
    pub evaluated_total: u64,
    pub expected_total: u64,
    /// Probe: event handed over (its PUBACK) → alarm committed and on the live stream.
    pub probe: Summary,
    pub probe_missed: u64,
    /// Time the generator waited for room in the engine's queue (back-pressure: the
    /// stage fell behind).
    pub generator_blocked_seconds: f64,
    /// CPU of this process (engine, effects, store, generator) in cores.
    pub cpu_cores: f64,
    /// The runtime's own histograms (`/metrics` of `ironloom serve`): queue wait, alarm
    /// write, checkpoint snapshot; quantile lines as Prometheus prints them.
    pub server_side: Vec<String>,
}

struct Fixture {
    store: Arc<dyn MetaStore>,
    tenant: TenantId,
    devices: Vec<(DeviceId, Arc<str>)>,
    probe: (DeviceId, Arc<str>),
    product_key: Arc<str>,
    rules: Vec<ironloom_core::ids::RuleId>,
}

async fn fixture(cli: &Cli, dir: &std::path::Path) -> Result<Fixture> {
    let url = ironloom_meta::SqlStore::sqlite_url(dir);
    let store = ironloom_meta::SqlStore::open(&url, &Default::default())
        .await
        .context("metadata store")?;
    let store: Arc<dyn MetaStore> = Arc::new(store);
    let actor = Actor::system("rules-bench");
    let tenant = store
        .create_tenant(
            &actor,
            NewTenant {
                code: "bench".into(),
                name: "bench".into(),
                description: None,
                max_devices: None,
                max_model_calls: None,
            },
        )
        .await?;
    let properties: Vec<_> = (0..10)
        .map(|k| json!({"identifier": format!("v{k}"), "name": format!("value {k}"), "data_type": {"type": "float"}}))
        .collect();
    let product_key = "bench_meter".to_string();
    let product = store
        .create_product(
            &actor,
            tenant.id,
            NewProduct {
                name: "bench meter".into(),
                product_key: product_key.clone(),
                description: None,
                industry: None,
                category: DeviceCategory::Operating,
                kind: None,
                protocol: Default::default(),
                thing_model: serde_json::from_value(json!({"properties": properties}))?,
                tm_extensions: Default::default(),
            },
        )
        .await?;
    let names: Vec<String> = (0..=cli.devices)
        .map(|i| format!("rb-dev-{i:06}"))
        .collect();
    let created = store
        .create_devices(
            &actor,
            tenant.id,
            names
                .iter()
                .map(|n| NewDevice {
                    product_id: product.id,
                    name: n.clone(),
                    label: None,
                    description: None,
                    tags: vec![],
                    groups: vec![],
                    attributes: Default::default(),
                    credentials: DeviceCredentials::generate(),
                })
                .collect(),
        )
        .await?;
    let mut devices: Vec<(DeviceId, Arc<str>)> = created
        .iter()
        .map(|d| (d.id, Arc::<str>::from(d.name.as_str())))
        .collect();
    let probe = devices.pop().context("probe device")?;
    let mut rules = Vec::new();
    for (i, (_, name)) in devices.iter().enumerate() {
        for r in rules_for(i, name, cli.rules_per_device) {
            let doc: RuleDoc = serde_json::from_value(r)?;
            rules.push(store.create_rule(&actor, tenant.id, doc).await?.id);
        }
    }
    let doc: RuleDoc = serde_json::from_value(json!({
        "name": "probe", "source": {"devices": [&*probe.1]},
        "condition": {"expr": "v0 > 500"},
        "actions": [{"type": "alarm", "alarm_type": "probe_high", "severity": "major"}]}))?;
    rules.push(store.create_rule(&actor, tenant.id, doc).await?.id);
    Ok(Fixture {
        store,
        tenant: tenant.id,
        devices,
        probe,
        product_key: product_key.into(),
        rules,
    })
}

fn telemetry(f: &Fixture, dev: &(DeviceId, Arc<str>), values: &[f64]) -> DeviceEvent {
    let at = chrono::Utc::now();
    let ts = at.timestamp_micros();
    DeviceEvent {
        tenant: f.tenant,
        device: dev.0,
        device_name: dev.1.clone(),
        product_key: f.product_key.clone(),
        at,
        kind: DeviceEventKind::Telemetry {
            stored: values.len() as u64,
            points: values
                .iter()
                .enumerate()
                .map(|(k, v)| PointIn {
                    property: format!("v{k}"),
                    ts,
                    value: TValue::F64(*v),
                    quality: Quality::Good,
                })
                .collect(),
            origin: Default::default(),
        },
        pos: None,
    }
}

async fn evaluated(rt: &dyn RuleService, rules: &[ironloom_core::ids::RuleId]) -> u64 {
    let mut n = 0;
    for r in rules {
        if let Some(c) = rt.counters(*r).await {
            n += c.evaluated;
        }
    }
    n
}

/// CPU time of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    let ticks = procfs::cpu_ticks(std::process::id()).unwrap_or(0);
    ticks as f64 / procfs::clock_ticks() as f64
}

pub async fn run(cli: &Cli) -> Result<StageReport> {
    let rate = cli.rate.unwrap_or(100_000.0);
    anyhow::ensure!(rate.is_finite() && rate > 0.0, "--rate must be positive");
    // The recorder `ironloom serve` installs, so that metric updates cost what they do there.
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("metrics recorder")?;
    {
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                every.tick().await;
                metrics.run_upkeep();
            }
        });
    }
    let work = tempfile::tempdir()?;
    let t = Instant::now();
    let f = Arc::new(fixture(cli, work.path()).await?);
    eprintln!(
        "[stage] {} devices, {} rules created in {:.1} s",
        f.devices.len(),
        f.rules.len(),
        t.elapsed().as_secs_f64()
    );
    let tsdb_dir = work.path().join("tsdb");
    let tsdb = tokio::task::spawn_blocking(move || {
        ironloom_tsdb::Engine::open(&tsdb_dir, ironloom_tsdb::Options::default())
    })
    .await??;
    let (alarms, _) = broadcast::channel(1024);
    let shutdown = CancellationToken::new();
    // The rule engine consumes the bus; derived telemetry would go through a hub.
    let bus: Arc<dyn EventBus> = ironloom_bus::LocalBus::new();
    let hub = ironloom_device::DeviceHub::new(
        f.store.clone(),
        Arc::new(tsdb),
        bus.clone(),
        Default::default(),
    );
    let started = ironloom_rules::runtime::start(
        ironloom_rules::runtime::Deps {
            meta: f.store.clone(),
            bus: bus.clone(),
            ingest: hub,
            link: None,
            republish: None,
            alarms: alarms.clone(),
            models: None,
            apps: None,
        },
        ironloom_rules::runtime::RuntimeConfig::new(work.path().join("rules")),
        shutdown.clone(),
    )
    .await?;
    let rt = started.runtime.clone();

    // The load: every millisecond, the messages due by then, devices in turn.
    let pool = ironloom_bench_mqtt::load::value_pool(4096);
    let pool: Vec<Vec<f64>> = pool
        .iter()
        .map(|p| {
            let v: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(p).unwrap_or_default();
            (0..10)
                .map(|k| {
                    v.get(&format!("v{k}"))
                        .and_then(|x| x.as_f64())
                        .unwrap_or(0.0)
                })
                .collect()
        })
        .collect();
    let warmup = Duration::from_secs_f64(cli.warmup);
    let duration = Duration::from_secs_f64(cli.duration);
    let load = {
        let (f, bus) = (f.clone(), bus.clone());
        tokio::spawn(async move {
            let start = Instant::now();
            let end = start + warmup + duration;
            let (mut sent, mut sent_measured, mut blocked) = (0u64, 0u64, Duration::ZERO);
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let due = (now.duration_since(start).as_secs_f64() * rate) as u64;
                while sent < due {
                    let i = sent as usize;
                    let ev = telemetry(&f, &f.devices[i % f.devices.len()], &pool[i % pool.len()]);
                    // Waits only when the engine's queue is full.
                    let t = Instant::now();
                    bus.publish_wait(ev).await;
                    let waited = t.elapsed();
                    if waited > Duration::from_micros(50) {
                        blocked += waited;
                    }
                    sent += 1;
                    if now >= start + warmup {
                        sent_measured += 1;
                    }
                }
            }
            (sent, sent_measured, blocked)
        })
    };

    // The probe: high and low in turn; each waits for its alarm's live event.
    let probe = {
        let (f, bus, mut live) = (f.clone(), bus.clone(), alarms.subscribe());
        let period = Duration::from_secs_f64(1.0 / cli.probe_rate.max(0.1));
        tokio::spawn(async move {
            tokio::time::sleep(warmup).await;
            let (mut h, mut missed) = (Histogram::new(), 0u64);
            let end = Instant::now() + duration;
            let mut high = true;
            while Instant::now() < end {
                let t = Instant::now();
                let v = if high { 900.0 } else { 0.0 };
                let ev = telemetry(&f, &f.probe, &[v]);
                let sent = Instant::now();
                bus.publish_wait(ev).await;
                let want = if high {
                    AlarmChange::Raised
                } else {
                    AlarmChange::Cleared
                };
                let seen = loop {
                    match tokio::time::timeout(Duration::from_secs(2), live.recv()).await {
                        Ok(Ok(AlarmEvent { change, alarm }))
                            if alarm.device_id == f.probe.0 && change == want =>
                        {
                            break Some(Instant::now());
                        }
                        Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                        _ => break None,
                    }
                };
                match seen {
                    Some(at) => h.record(at.duration_since(sent).as_micros() as u64),
                    None => missed += 1,
                }
                high = !high;
                if let Some(rest) = period.checked_sub(t.elapsed()) {
                    tokio::time::sleep(rest).await;
                }
            }
            anyhow::Ok((h, missed))
        })
    };

    // Evaluations over the measured window, and this process's CPU.
    tokio::time::sleep(warmup).await;
    let (e0, c0, t0) = (
        evaluated(&rt, &f.rules).await,
        cpu_seconds(),
        Instant::now(),
    );
    tokio::time::sleep(duration).await;
    let (e1, c1, secs) = (
        evaluated(&rt, &f.rules).await,
        cpu_seconds(),
        t0.elapsed().as_secs_f64(),
    );
    let (sent, sent_measured, blocked) = load.await?;
    let stopped = Instant::now();
    let (probe_hist, probe_missed) = probe.await??;
    let expected = sent * cli.rules_per_device as u64 + probe_hist.count() + probe_missed;
    let mut total;
    loop {
        total = evaluated(&rt, &f.rules).await;
        if total >= expected || stopped.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain_seconds = stopped.elapsed().as_secs_f64();
    shutdown.cancel();
    let _ = started.task.await;
    let server_side = metrics
        .render()
        .lines()
        .filter(|l| {
            [
                "ironloom_rule_queue_wait_seconds{",
                "ironloom_alarm_write_seconds{",
                "ironloom_rule_checkpoint_seconds{",
            ]
            .iter()
            .any(|m| l.starts_with(m))
        })
        .map(str::to_string)
        .collect();
    Ok(StageReport {
        rules: f.rules.len(),
        devices: f.devices.len(),
        rate,
        sent_per_second: sent_measured as f64 / duration.as_secs_f64(),
        evaluations_per_second: (e1 - e0) as f64 / secs,
        drain_seconds,
        evaluated_total: total,
        expected_total: expected,
        probe: probe_hist.summary(),
        probe_missed,
        generator_blocked_seconds: blocked.as_secs_f64(),
        cpu_cores: (c1 - c0) / secs,
        server_side,
    })
}
