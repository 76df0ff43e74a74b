//! Jobs over stored history: `--job-points` values of one property written into the
//! embedded time-series engine (10 a second), then read back and computed by two jobs — a
//! mechanism model on every row (`pump.hydraulic_power`), and an algorithm per hour
//! (`stats.describe`) — through the platform's job runtime. The peer is numpy computing
//! the same hourly statistics over the same values already in memory (no storage read).

use anyhow::{Context, Result, bail};
use ironloom_core::entity::{Actor, DeviceCredentials, NewDevice, NewProduct, NewTenant};
use ironloom_core::model_run::{JobSpec, JobStatus, ModelRuns};
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, TelemetryStore, Value};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Serialize)]
pub struct JobFigure {
    pub job: String,
    pub points: u64,
    pub seconds: f64,
    pub points_per_s: f64,
    pub evaluations: u64,
}

#[derive(Debug, Serialize)]
pub struct Jobs {
    pub points: u64,
    pub write_points_per_s: f64,
    pub jobs: Vec<JobFigure>,
    /// numpy's hourly statistics over the same values in memory, seconds.
    pub numpy_hourly_s: Option<f64>,
}

/// The value of point `i` (a pump's flow in L/s with a daily swing and some noise).
fn flow(i: u64) -> f64 {
    let day = (i % 864_000) as f64 / 864_000.0;
    20.0 + 5.0 * (day * std::f64::consts::TAU).sin() + ((i * 7919) % 1000) as f64 / 1000.0
}

pub async fn run(points: u64, python: Option<&str>, work: &std::path::Path) -> Result<Jobs> {
    let meta: Arc<dyn MetaStore> = Arc::new(
        ironloom_meta::SqlStore::open(
            &ironloom_meta::SqlStore::sqlite_url(work),
            &ironloom_meta::SqlStoreOptions::default(),
        )
        .await?,
    );
    let actor = Actor::system("bench");
    let e = |e: ironloom_core::error::Error| anyhow::anyhow!("{e}");
    let tenant = meta
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
        .await
        .map_err(e)?
        .id;
    let product = meta
        .create_product(
            &actor,
            tenant,
            NewProduct {
                name: "Pump".into(),
                product_key: "bench-pump".into(),
                description: None,
                industry: None,
                category: ironloom_core::industry::DeviceCategory::Operating,
                kind: None,
                protocol: ironloom_core::industry::Protocol::Mqtt,
                thing_model: serde_json::from_value(json!({"properties": [
                    {"identifier": "flow", "name": "Flow", "data_type": {"type": "double", "unit": "L/s"}}]}))?,
                tm_extensions: Default::default(),
            },
        )
        .await
        .map_err(e)?;
    let device = meta
        .create_device(
            &actor,
            tenant,
            NewDevice {
                product_id: product.id,
                name: "pump".into(),
                label: None,
                description: None,
                tags: vec![],
                groups: vec![],
                attributes: Default::default(),
                credentials: DeviceCredentials {
                    access_token: "bench-token".into(),
                    username: "bench-user".into(),
                    password: "bench-password".into(),
                    secret: "bench-secret-bench-secret".into(),
                    x509_fingerprint: None,
                },
            },
        )
        .await
        .map_err(e)?
        .id;
    let dir = work.join("tsdb");
    let tsdb = tokio::task::spawn_blocking(move || {
        ironloom_tsdb::Engine::open(&dir, ironloom_tsdb::Options::default())
    })
    .await??;
    // Ten a second, ending an hour ago.
    let step_us = 100_000i64;
    let start_s = (chrono::Utc::now().timestamp() - 3600 - (points as i64 / 10)) / 3600 * 3600;
    let start_us = start_s * 1_000_000;
    let began = Instant::now();
    let chunk = 1_000_000u64;
    let mut i = 0u64;
    while i < points {
        let n = chunk.min(points - i);
        let batch = (i..i + n)
            .map(|k| PointIn {
                property: "flow".into(),
                ts: start_us + k as i64 * step_us,
                value: Value::F64(flow(k)),
                quality: Quality::Good,
            })
            .collect();
        let out = TelemetryStore::write(
            &tsdb,
            tenant,
            vec![DeviceBatch {
                device,
                product: Some(product.id),
                points: batch,
            }],
        )
        .await?;
        if !out.rejected.is_empty() {
            bail!("{} points refused", out.rejected.len());
        }
        i += n;
    }
    let write_s = began.elapsed().as_secs_f64();
    eprintln!(
        "jobs: {points} points written in {write_s:.1} s ({:.2} M/s)",
        points as f64 / write_s / 1e6
    );
    let bus = ironloom_bus::LocalBus::new();
    let hub = ironloom_device::DeviceHub::new(
        meta.clone(),
        Arc::new(tsdb.clone()),
        bus.clone(),
        ironloom_device::HubConfig::default(),
    );
    let compute = ironloom_compute::Compute::start(
        ironloom_compute::Deps {
            meta: meta.clone(),
            store: Arc::new(tsdb.clone()),
            bus,
            ingest: hub,
            meter: Arc::new(ironloom_models::meter::Meter::new()),
        },
        ironloom_compute::ComputeConfig::default(),
    )
    .await
    .map_err(e)?;
    let from = chrono::DateTime::from_timestamp(start_s, 0).context("time")?;
    let to = from + chrono::Duration::seconds(points as i64 / 10 + 1);
    let specs = [
        (
            "pump.hydraulic_power on every row",
            json!({"model": "pump.hydraulic_power", "from": from, "to": to,
                "inputs": {"Q": {"device": device, "property": "flow"}, "H": 32, "rho": 998.2, "P_shaft": 15}}),
        ),
        (
            "stats.describe per hour",
            json!({"model": "stats.describe", "from": from, "to": to, "window_s": 3600,
                "inputs": {"x": {"device": device, "property": "flow"}}}),
        ),
    ];
    let mut jobs = Vec::new();
    for (what, spec) in specs {
        let spec: JobSpec = serde_json::from_value(spec)?;
        let began = Instant::now();
        let job = compute.submit(&actor, tenant, spec).await.map_err(e)?;
        let done = loop {
            let j = meta.get_job(tenant, job.id).await.map_err(e)?;
            if j.status.is_finished() {
                break j;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let secs = began.elapsed().as_secs_f64();
        if done.status != JobStatus::Succeeded {
            bail!("{what}: {:?} {:?}", done.status, done.error);
        }
        eprintln!(
            "jobs: {what}: {} points in {secs:.2} s ({:.2} M points/s), {} evaluations",
            done.points_read,
            done.points_read as f64 / secs / 1e6,
            done.rows
        );
        jobs.push(JobFigure {
            job: what.into(),
            points: done.points_read,
            seconds: secs,
            points_per_s: done.points_read as f64 / secs,
            evaluations: done.rows,
        });
    }
    let numpy_hourly_s = match python {
        Some(py) => Some(numpy_hourly(py, points)?),
        None => None,
    };
    compute.stop().await;
    let tsdb2 = tsdb.clone();
    tokio::task::spawn_blocking(move || tsdb2.close()).await??;
    Ok(Jobs {
        points,
        write_points_per_s: points as f64 / write_s,
        jobs,
        numpy_hourly_s,
    })
}

/// numpy's time for the hourly count, mean, std, min, quartiles and max of the same
/// values, generated in memory first (not timed).
fn numpy_hourly(py: &str, points: u64) -> Result<f64> {
    let script = format!(
        r#"
import time, numpy as np
n = {points}
i = np.arange(n, dtype=np.int64)
day = (i % 864000) / 864000.0
x = 20.0 + 5.0 * np.sin(day * 2 * np.pi) + ((i * 7919) % 1000) / 1000.0
h = 36000
full = (n // h) * h
t = time.perf_counter()
w = x[:full].reshape(-1, h)
stats = [w.shape[1], np.mean(w, axis=1), np.std(w, axis=1, ddof=1), np.min(w, axis=1),
         np.percentile(w, [25, 50, 75], axis=1), np.max(w, axis=1)]
print(time.perf_counter() - t)
"#
    );
    let out = std::process::Command::new(py)
        .args(["-c", &script])
        .output()
        .context("numpy peer")?;
    if !out.status.success() {
        bail!("numpy peer: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?.trim().parse()?)
}
