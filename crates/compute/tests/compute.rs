//! The model runtime on the real platform parts: SQLite metadata, the embedded
//! time-series engine, the in-process bus and the device hub's ingest path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ironloom_bus::Ingest;
use ironloom_compute::{Compute, ComputeConfig, Deps};
use ironloom_core::device::Reported;
use ironloom_core::entity::{Actor, DeviceCredentials, NewDevice, NewProduct, NewTenant};
use ironloom_core::ids::{DeviceId, JobId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::model_run::{BindingSpec, Job, JobSpec, JobStatus, ModelRuns};
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::{
    DeviceBatch, HistoryQuery, Order, PointIn, Quality, Selection, TelemetryStore, Value,
};
use ironloom_device::{DeviceHub, HubConfig};
use ironloom_meta::{SqlStore, SqlStoreOptions};
use ironloom_models::meter::Meter;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

struct Site {
    _dir: tempfile::TempDir,
    meta: Arc<dyn MetaStore>,
    tsdb: ironloom_tsdb::Engine,
    hub: Arc<DeviceHub>,
    meter: Arc<Meter>,
    compute: Compute,
    tenant: TenantId,
    other: TenantId,
    pump: DeviceId,
    other_pump: DeviceId,
    _stop: CancellationToken,
}

fn actor() -> Actor {
    Actor::system("test")
}

async fn tenant(meta: &dyn MetaStore, code: &str, quota: Option<u64>) -> TenantId {
    meta.create_tenant(
        &actor(),
        NewTenant {
            code: code.into(),
            name: code.into(),
            description: None,
            max_devices: None,
            max_model_calls: quota,
        },
    )
    .await
    .unwrap()
    .id
}

/// A pump product (flow in L/s, head in m, power in W) and one device of it.
async fn pump(meta: &dyn MetaStore, t: TenantId, key: &str, name: &str) -> DeviceId {
    let p = match meta.find_product_by_key(t, key).await.unwrap() {
        Some(p) => p,
        None => meta
            .create_product(
                &actor(),
                t,
                NewProduct {
                    name: "Pump".into(),
                    product_key: key.into(),
                    description: None,
                    industry: None,
                    category: ironloom_core::industry::DeviceCategory::Operating,
                    kind: None,
                    protocol: ironloom_core::industry::Protocol::Mqtt,
                    thing_model: serde_json::from_value(json!({"properties": [
                        {"identifier": "flow", "name": "Flow", "data_type": {"type": "double", "unit": "L/s"}},
                        {"identifier": "head", "name": "Head", "data_type": {"type": "double", "unit": "m"}},
                        {"identifier": "power", "name": "Power", "data_type": {"type": "double", "unit": "W"}},
                        {"identifier": "eff", "name": "Efficiency", "data_type": {"type": "double"}},
                        {"identifier": "mean_flow", "name": "Hourly mean flow", "data_type": {"type": "double", "unit": "L/s"}}
                    ]}))
                    .unwrap(),
                    tm_extensions: Default::default(),
                },
            )
            .await
            .unwrap(),
    };
    meta.create_device(
        &actor(),
        t,
        NewDevice {
            product_id: p.id,
            name: name.into(),
            label: None,
            description: None,
            tags: vec![],
            groups: vec![],
            attributes: Default::default(),
            credentials: DeviceCredentials {
                access_token: format!("tok-{t}-{name}"),
                username: format!("u-{t}-{name}"),
                password: "p".repeat(12),
                secret: "s".repeat(20),
                x509_fingerprint: None,
            },
        },
    )
    .await
    .unwrap()
    .id
}

async fn site(config: ComputeConfig, quota: Option<u64>) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let meta: Arc<dyn MetaStore> = Arc::new(
        SqlStore::open(
            &SqlStore::sqlite_url(dir.path()),
            &SqlStoreOptions::default(),
        )
        .await
        .unwrap(),
    );
    let t = tenant(&*meta, "plant-a", quota).await;
    let other = tenant(&*meta, "plant-b", None).await;
    let pump_a = pump(&*meta, t, "pump", "p1").await;
    let pump_b = pump(&*meta, other, "pump-b", "p1").await;
    let tdir = dir.path().join("tsdb");
    let tsdb = tokio::task::spawn_blocking(move || {
        ironloom_tsdb::Engine::open(&tdir, ironloom_tsdb::Options::default())
    })
    .await
    .unwrap()
    .unwrap();
    let bus = ironloom_bus::LocalBus::new();
    let hub = DeviceHub::new(
        meta.clone(),
        Arc::new(tsdb.clone()),
        bus.clone(),
        HubConfig::default(),
    );
    let stop = CancellationToken::new();
    tokio::spawn(hub.clone().run(stop.clone()));
    let meter = Arc::new(Meter::new());
    let compute = Compute::start(
        Deps {
            meta: meta.clone(),
            store: Arc::new(tsdb.clone()),
            bus,
            ingest: hub.clone(),
            meter: meter.clone(),
        },
        config,
    )
    .await
    .unwrap();
    Site {
        _dir: dir,
        meta,
        tsdb,
        hub,
        meter,
        compute,
        tenant: t,
        other,
        pump: pump_a,
        other_pump: pump_b,
        _stop: stop,
    }
}

impl Site {
    async fn send(&self, t: TenantId, d: DeviceId, ts_ms: i64, values: serde_json::Value) {
        let reported = values
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| Reported::new(k.clone(), Some(ts_ms), v.clone()))
            .collect();
        let o = Ingest::ingest(&*self.hub, t, d, Origin::Device, reported)
            .await
            .unwrap();
        assert!(o.refused.is_empty(), "{:?}", o.refused);
    }

    async fn series(&self, t: TenantId, d: DeviceId, property: &str) -> Vec<(i64, f64)> {
        let page = TelemetryStore::history(
            &self.tsdb,
            t,
            HistoryQuery {
                selection: Selection {
                    devices: vec![d],
                    properties: vec![property.into()],
                },
                from: 0,
                to: i64::MAX,
                order: Order::Asc,
                limit: 10_000,
                cursor: None,
            },
        )
        .await
        .unwrap();
        page.points
            .into_iter()
            .map(|p| (p.ts / 1000, p.value.as_f64().unwrap()))
            .collect()
    }

    /// Waits until `property` has `n` values.
    async fn wait_for(
        &self,
        t: TenantId,
        d: DeviceId,
        property: &str,
        n: usize,
    ) -> Vec<(i64, f64)> {
        for _ in 0..200 {
            let s = self.series(t, d, property).await;
            if s.len() >= n {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{property} never reached {n} values");
    }

    /// Writes `n` points per property, one a second from `start_s`.
    async fn history(
        &self,
        d: DeviceId,
        start_s: i64,
        n: i64,
        f: impl Fn(i64) -> Vec<(&'static str, f64)>,
    ) {
        let mut points = Vec::new();
        for i in 0..n {
            for (property, v) in f(i) {
                points.push(PointIn {
                    property: property.into(),
                    ts: (start_s + i) * 1_000_000,
                    value: Value::F64(v),
                    quality: Quality::Good,
                });
            }
        }
        TelemetryStore::write(
            &self.tsdb,
            self.tenant,
            vec![DeviceBatch {
                device: d,
                product: None,
                points,
            }],
        )
        .await
        .unwrap();
    }

    async fn finished(&self, id: JobId) -> Job {
        for _ in 0..1000 {
            let j = self.meta.get_job(self.tenant, id).await.unwrap();
            if j.status.is_finished() {
                return j;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("job {id} did not finish");
    }
}

fn binding(name: &str) -> BindingSpec {
    serde_json::from_value(
        json!({"name": name, "product_key": "pump", "model": "pump.hydraulic_power",
        "inputs": {"rho": 1000, "Q": {"property": "flow"}, "H": {"property": "head"},
                   "P_shaft": {"value": 4, "unit": "kW"}},
        "outputs": {"P_h": "power", "eta": "eff"}}),
    )
    .unwrap()
}

const G: f64 = 9.80665;
/// 2026-01-01T00:00:00Z: stored data must be recent.
const T0: i64 = 1_767_225_600;

#[tokio::test]
async fn a_bound_model_writes_derived_properties_on_every_message() {
    let s = site(ComputeConfig::default(), None).await;
    s.meta
        .create_binding(&actor(), s.tenant, binding("hydraulic"))
        .await
        .unwrap();
    s.compute.reload_bindings().await.unwrap();
    // Flow 10 L/s at 20 m: ρgQH = 1000 · 9.80665 · 0.01 · 20 W.
    s.send(
        s.tenant,
        s.pump,
        T0 * 1000,
        json!({"flow": 10.0, "head": 20.0}),
    )
    .await;
    let power = s.wait_for(s.tenant, s.pump, "power", 1).await;
    assert_eq!(power[0].0, T0 * 1000);
    assert!(
        (power[0].1 - 1000.0 * G * 0.01 * 20.0).abs() < 1e-9,
        "{power:?}"
    );
    let eff = s.wait_for(s.tenant, s.pump, "eff", 1).await;
    assert!((eff[0].1 - G * 0.01 * 20.0 / 4.0).abs() < 1e-12);
    // A message with only the head uses the last flow.
    s.send(s.tenant, s.pump, T0 * 1000 + 1000, json!({"head": 30.0}))
        .await;
    let power = s.wait_for(s.tenant, s.pump, "power", 2).await;
    assert!((power[1].1 - 1000.0 * G * 0.01 * 30.0).abs() < 1e-9);
    // Another tenant's pump, without a binding, computes nothing.
    s.send(
        s.other,
        s.other_pump,
        T0 * 1000,
        json!({"flow": 10.0, "head": 20.0}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(s.series(s.other, s.other_pump, "power").await.is_empty());
    // Counted as live calls of the tenant.
    let stats = s.compute.binding_stats(
        s.tenant,
        s.meta.list_bindings(s.tenant, None).await.unwrap()[0].id,
    );
    assert!(stats.running);
    assert_eq!((stats.evaluations, stats.refused), (2, 0));
    let rows = s.meter.take();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, s.tenant);
    assert_eq!(rows[0].1[0].calls, 2);
    assert_eq!(rows[0].1[0].source, ironloom_core::model::CallSource::Live);
}

#[tokio::test]
async fn a_refused_evaluation_is_counted_and_a_broken_binding_stops() {
    let s = site(ComputeConfig::default(), None).await;
    let b = s
        .meta
        .create_binding(&actor(), s.tenant, binding("hydraulic"))
        .await
        .unwrap();
    s.compute.reload_bindings().await.unwrap();
    // A negative flow is outside the model's range: refused, nothing written.
    s.send(
        s.tenant,
        s.pump,
        T0 * 1000,
        json!({"flow": -1.0, "head": 20.0}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(s.series(s.tenant, s.pump, "power").await.is_empty());
    let stats = s.compute.binding_stats(s.tenant, b.id);
    assert_eq!(stats.refused, 1);
    assert!(
        stats.last_error.unwrap().en.contains("\"Q\""),
        "the refusal names the input"
    );
    // A binding whose model no longer exists stops with the reason.
    let mut gone = binding("hydraulic");
    gone.model = "no.such_model".into();
    s.meta
        .update_binding(&actor(), s.tenant, b.id, gone)
        .await
        .unwrap();
    s.compute.reload_bindings().await.unwrap();
    let stats = s.compute.binding_stats(s.tenant, b.id);
    assert!(!stats.running);
    assert!(stats.last_error.unwrap().en.contains("no.such_model"));
}

fn job(json: serde_json::Value) -> JobSpec {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn a_job_evaluates_every_row_and_writes_back_through_ingest() {
    let s = site(
        ComputeConfig {
            slice_points: 1024,
            ..ComputeConfig::default()
        },
        None,
    )
    .await;
    // 5000 s of flow and head, the head sampled every other second.
    s.history(s.pump, T0 + 1_000, 5_000, |i| {
        let mut v = vec![("flow", 5.0 + (i % 7) as f64)];
        if i % 2 == 0 {
            v.push(("head", 10.0 + (i % 11) as f64));
        }
        v
    })
    .await;
    let spec = job(json!({"model": "pump.hydraulic_power",
        "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z",
        "inputs": {"Q": {"device": s.pump, "property": "flow"}, "H": {"device": s.pump, "property": "head"},
                   "rho": 998.2, "P_shaft": 3},
        "write_back": {"device": s.pump, "outputs": {"P_h": "power"}}}));
    let submitted = s.compute.submit(&actor(), s.tenant, spec).await.unwrap();
    assert_eq!(submitted.status, JobStatus::Queued);
    let done = s.finished(submitted.id).await;
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.points_read, 7_500);
    assert_eq!(done.rows, 5_000);
    assert_eq!(done.written, 5_000);
    assert_eq!(done.progress, 1.0);
    // The row at second i uses the head of second i or i − 1.
    let result = done.result.unwrap();
    let p = &result["outputs"]["P_h"];
    assert_eq!(p["unit"], "kW");
    let i = 1_001;
    let (q, h) = (5.0 + (i % 7) as f64, 10.0 + ((i - 1) % 11) as f64);
    let want_kw = 998.2 * G * (q * 3.6 / 3600.0) * h / 1000.0;
    assert!((p["values"][i as usize].as_f64().unwrap() - want_kw).abs() < 1e-9);
    assert_eq!(p["ts_ms"][i as usize], (T0 + 1_000 + i) * 1000);
    // Written back in the property's unit (W), at the rows' timestamps.
    let stored = s.series(s.tenant, s.pump, "power").await;
    assert_eq!(stored.len(), 5_000);
    assert_eq!(stored[i as usize].0, (T0 + 1_000 + i) * 1000);
    assert!((stored[i as usize].1 - want_kw * 1000.0).abs() < 1e-6);
    // Counted as job calls.
    let calls: u64 = s
        .meter
        .take()
        .iter()
        .flat_map(|(_, r)| r)
        .filter(|r| r.source == ironloom_core::model::CallSource::Job)
        .map(|r| r.calls)
        .sum();
    assert_eq!(calls, 5_000);
    // The other tenant sees neither the job nor the data.
    assert!(s.meta.get_job(s.other, done.id).await.is_err());
    let theirs = job(json!({"model": "pump.hydraulic_power",
        "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z",
        "inputs": {"Q": {"device": s.pump, "property": "flow"}, "H": 1, "rho": 1000, "P_shaft": 3}}));
    let e = s
        .compute
        .submit(&actor(), s.other, theirs)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("inputs.Q"), "{e}");
}

#[tokio::test]
async fn an_algorithm_runs_per_window_and_over_the_whole_range() {
    let s = site(ComputeConfig::default(), None).await;
    // Three hours of flow: hour h holds h·10 + (i mod 60).
    s.history(s.pump, T0, 3 * 3600, |i| {
        vec![("flow", (i / 3600) as f64 * 10.0 + (i % 60) as f64)]
    })
    .await;
    let spec = job(json!({"model": "stats.describe",
        "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T03:00:00Z",
        "inputs": {"x": {"device": s.pump, "property": "flow"}}, "window_s": 3600,
        "write_back": {"device": s.pump, "outputs": {"mean": "mean_flow"}}}));
    let done = s
        .finished(s.compute.submit(&actor(), s.tenant, spec).await.unwrap().id)
        .await;
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.rows, 3);
    let mean = &done.result.as_ref().unwrap()["outputs"]["mean"];
    assert_eq!(
        mean["ts_ms"],
        json!([T0 * 1000, (T0 + 3600) * 1000, (T0 + 7200) * 1000])
    );
    for h in 0..3 {
        assert!((mean["values"][h].as_f64().unwrap() - (h as f64 * 10.0 + 29.5)).abs() < 1e-9);
    }
    let stored = s.series(s.tenant, s.pump, "mean_flow").await;
    assert_eq!(stored.len(), 3);
    // Over the whole range: one evaluation, series outputs aligned with the input.
    let spec = job(json!({"model": "anomaly.k_sigma",
        "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T03:00:00Z",
        "inputs": {"x": {"device": s.pump, "property": "flow"}, "k": 3}}));
    let done = s
        .finished(s.compute.submit(&actor(), s.tenant, spec).await.unwrap().id)
        .await;
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    let out = &done.result.as_ref().unwrap()["outputs"];
    assert_eq!(out["flags"]["values"].as_array().unwrap().len(), 3 * 3600);
    assert_eq!(out["count"]["value"], 0.0);
    // A fourth hour with a single point: the algorithm refuses that window, which is not
    // a row (one mean per row), and the refusal is counted.
    s.history(s.pump, T0 + 3 * 3600, 1, |_| vec![("flow", 5.0)])
        .await;
    let spec = job(json!({"model": "stats.describe",
        "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T04:00:00Z",
        "inputs": {"x": {"device": s.pump, "property": "flow"}}, "window_s": 3600}));
    let done = s
        .finished(s.compute.submit(&actor(), s.tenant, spec).await.unwrap().id)
        .await;
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    let result = done.result.as_ref().unwrap();
    assert_eq!(done.rows, 3);
    assert_eq!(
        result["outputs"]["mean"]["ts_ms"].as_array().unwrap().len(),
        3
    );
    assert_eq!(result["refused"], 1);
}

#[tokio::test]
async fn jobs_can_be_cancelled_and_respect_the_quota() {
    let s = site(
        ComputeConfig {
            slice_points: 1024,
            ..ComputeConfig::default()
        },
        Some(3_000),
    )
    .await;
    s.history(s.pump, T0, 200_000, |i| vec![("flow", (i % 100) as f64)])
        .await;
    let spec = || {
        job(json!({"model": "pump.hydraulic_power",
            "from": "2026-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z",
            "inputs": {"Q": {"device": s.pump, "property": "flow"}, "H": 10, "rho": 1000, "P_shaft": 3}}))
    };
    // 200 000 rows exceed the 3 000 calls a month: the job stops with the quota's message.
    let done = s
        .finished(
            s.compute
                .submit(&actor(), s.tenant, spec())
                .await
                .unwrap()
                .id,
        )
        .await;
    assert_eq!(done.status, JobStatus::Failed);
    assert!(done.error.unwrap().en.contains("quota"));
    assert!(done.rows < 3_000);
    // What it computed before is kept in the result.
    let kept = done.result.unwrap()["outputs"]["P_h"]["values"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(kept as u64, done.rows);
    // Without a quota, a cancelled job ends cancelled with what it computed so far.
    s.meta
        .update_tenant(
            &actor(),
            s.tenant,
            ironloom_core::entity::TenantPatch {
                max_model_calls: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    s.meter.forget_limit(s.tenant);
    let j = s.compute.submit(&actor(), s.tenant, spec()).await.unwrap();
    s.compute.cancel(s.tenant, j.id).await.unwrap();
    let done = s.finished(j.id).await;
    assert_eq!(done.status, JobStatus::Cancelled);
    assert!(done.progress < 1.0);
    // A finished job cannot be cancelled; another tenant's is not found.
    assert!(s.compute.cancel(s.tenant, j.id).await.is_err());
    assert!(matches!(
        s.compute.cancel(s.other, j.id).await,
        Err(ironloom_core::error::Error::NotFound(_))
    ));
}

#[tokio::test]
async fn a_job_left_running_is_marked_interrupted_at_the_next_start() {
    let s = site(ComputeConfig::default(), None).await;
    let spec = job(json!({"model": "stats.describe",
        "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T03:00:00Z",
        "inputs": {"x": {"device": s.pump, "property": "flow"}}}));
    let j = Job {
        id: JobId::new(),
        tenant_id: s.tenant,
        spec,
        status: JobStatus::Running,
        progress: 0.4,
        points_read: 10,
        rows: 0,
        written: 0,
        error: None,
        result: None,
        created_by: "test".into(),
        created_at: chrono::Utc::now(),
        started_at: None,
        finished_at: None,
    };
    s.meta.create_job(&actor(), &j).await.unwrap();
    let _again = Compute::start(
        Deps {
            meta: s.meta.clone(),
            store: Arc::new(s.tsdb.clone()),
            bus: ironloom_bus::LocalBus::new(),
            ingest: s.hub.clone(),
            meter: s.meter.clone(),
        },
        ComputeConfig::default(),
    )
    .await
    .unwrap();
    let got = s.meta.get_job(s.tenant, j.id).await.unwrap();
    assert_eq!(got.status, JobStatus::Interrupted);
}
