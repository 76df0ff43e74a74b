//! Device ingest with and without a runaway app: the platform's real parts (SQLite
//! metadata, the embedded time-series engine, the device hub's ingest path, the bus and
//! the app runtime) in a temporary directory; `devices` devices each send one message at a
//! time (each waiting for its write, as devices waiting for their acknowledgement do) for
//! `seconds`: with no app, with a quiet app on every message, and with the quiet app beside
//! one that loops on every message and one that asks for too much memory (each stopped by
//! the sandbox, then paused with back-off).

use anyhow::{Context, Result};
use ironloom_apps::{AppHost, AppsConfig, Platform};
use ironloom_bus::Ingest;
use ironloom_core::app_install::{AppPackageInfo, InstallationSpec};
use ironloom_core::device::Reported;
use ironloom_core::entity::{Actor, DeviceCredentials, NewDevice, NewProduct, NewTenant};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::repo::MetaStore;
use ironloom_device::{DeviceHub, HubConfig};
use ironloom_meta::{SqlStore, SqlStoreOptions};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Plant {
    _dir: tempfile::TempDir,
    meta: Arc<dyn MetaStore>,
    tenant: TenantId,
    devices: Vec<DeviceId>,
    hub: Arc<DeviceHub>,
    host: AppHost,
}

async fn plant(devices: usize) -> Result<Plant> {
    let dir = tempfile::tempdir()?;
    let meta: Arc<dyn MetaStore> = Arc::new(
        SqlStore::open(
            &SqlStore::sqlite_url(dir.path()),
            &SqlStoreOptions::default(),
        )
        .await?,
    );
    let actor = Actor::system("bench");
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
        .await?
        .id;
    let product = meta
        .create_product(
            &actor,
            tenant,
            NewProduct {
                name: "pump".into(),
                product_key: "pump".into(),
                description: None,
                industry: None,
                category: ironloom_core::industry::DeviceCategory::Operating,
                kind: None,
                protocol: ironloom_core::industry::Protocol::Mqtt,
                thing_model: serde_json::from_value(json!({}))?,
                tm_extensions: Default::default(),
            },
        )
        .await?;
    let mut ids = Vec::with_capacity(devices);
    for i in 0..devices {
        let d = NewDevice {
            product_id: product.id,
            name: format!("pump-{i:04}"),
            label: None,
            description: None,
            tags: vec![],
            groups: vec![],
            attributes: Default::default(),
            credentials: DeviceCredentials {
                access_token: format!("bench-token-{i:04}"),
                username: format!("bench-{i:04}"),
                password: "bench-password".into(),
                secret: "bench-secret-0123456789".into(),
                x509_fingerprint: None,
            },
        };
        ids.push(meta.create_device(&actor, tenant, d).await?.id);
    }
    let tdir = dir.path().join("tsdb");
    let tsdb = tokio::task::spawn_blocking(move || {
        ironloom_tsdb::Engine::open(&tdir, ironloom_tsdb::Options::default())
    })
    .await??;
    let bus = ironloom_bus::LocalBus::new();
    let hub = DeviceHub::new(
        meta.clone(),
        Arc::new(tsdb.clone()),
        bus.clone(),
        HubConfig::default(),
    );
    tokio::spawn(hub.clone().run(tokio_util::sync::CancellationToken::new()));
    let platform = Platform {
        meta: meta.clone(),
        store: Arc::new(tsdb.clone()),
        ingest: hub.clone(),
        link: None,
        meter: Arc::new(ironloom_models::meter::Meter::new()),
        alarms: None,
    };
    let host = AppHost::start(platform, bus, AppsConfig::default()).await?;
    Ok(Plant {
        _dir: dir,
        meta,
        tenant,
        devices: ids,
        hub,
        host,
    })
}

/// Messages per second the devices got stored over `seconds`.
async fn drive(p: &Plant, seconds: f64, from_ts: i64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for (i, d) in p.devices.iter().enumerate() {
        let (hub, done, d, t) = (p.hub.clone(), done.clone(), *d, p.tenant);
        tasks.push(tokio::spawn(async move {
            let mut n: i64 = 0;
            while Instant::now() < until {
                let ts = from_ts + n * 1000 + i as i64;
                let v = vec![Reported::new(
                    "flow".into(),
                    Some(ts),
                    json!(40.0 + (n % 7) as f64),
                )];
                if Ingest::ingest(&*hub, t, d, Origin::Device, v).await.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
        }));
    }
    let t0 = Instant::now();
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64()
}

async fn install(p: &Plant, id: &str, wasm: Vec<u8>) -> Result<()> {
    let manifest = json!({
        "format": 1, "id": id, "version": "1.0.0",
        "name": {"en": "Runaway", "zh-CN": "失控"}, "description": {"en": "", "zh-CN": ""},
        "publisher": "bench", "triggers": [{"kind": "telemetry"}],
        "modules": [{"name": "main", "path": "modules/main.wasm"}]
    });
    let files = std::collections::BTreeMap::from([
        ("manifest.json".to_string(), serde_json::to_vec(&manifest)?),
        ("README.md".to_string(), b"# Runaway".to_vec()),
        ("icon.svg".to_string(), b"<svg/>".to_vec()),
        ("modules/main.wasm".to_string(), wasm),
    ]);
    let bytes = ironloom_apps::package::pack(&files)?;
    let pkg = p
        .host
        .check_package(&bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let actor = Actor::system("bench");
    let info = AppPackageInfo {
        tenant_id: p.tenant,
        app_id: id.into(),
        version: "1.0.0".into(),
        digest: pkg.digest.clone(),
        size: bytes.len() as u64,
        manifest: pkg.manifest.clone(),
        uploaded_by: "bench".into(),
        uploaded_at: chrono::Utc::now(),
    };
    p.meta.put_app_package(&actor, &info, &bytes).await?;
    let spec = InstallationSpec {
        name: id.replace('.', "-"),
        app_id: id.into(),
        version: "1.0.0".into(),
        config: json!({}),
        grant: vec![],
        products: vec!["pump".into()],
        enabled: true,
        edge: None,
    };
    let inst = p.meta.create_installation(&actor, p.tenant, spec).await?;
    p.host.reload(p.tenant, inst.id).await?;
    Ok(())
}

/// What [`run`] measured.
pub struct Figures {
    /// Messages per second with no app installed.
    pub no_apps: f64,
    /// With a well-behaved app (one that returns at once) on every message: the mean of a
    /// run before and one after the runaways.
    pub quiet_app: f64,
    /// How far those two runs differ, as a share of their mean.
    pub quiet_spread: f64,
    /// With that app and the two runaways.
    pub runaways: f64,
    /// Invocations the runaways got, and events they skipped while paused.
    pub runaway_runs: u64,
    pub skipped: u64,
}

pub fn run(
    devices: usize,
    seconds: f64,
    quiet: Vec<u8>,
    looping: Vec<u8>,
    bomb: Vec<u8>,
) -> Result<Figures> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    rt.block_on(async {
        let p = plant(devices).await?;
        // Warm up the write path, then measure without apps, with a quiet one, and with
        // the quiet one beside the runaways.
        drive(&p, 1.0, 1_780_000_000_000).await;
        let no_apps = drive(&p, seconds, 1_781_000_000_000).await;
        install(&p, "bench.quiet", quiet).await?;
        let quiet_app = drive(&p, seconds, 1_782_000_000_000).await;
        install(&p, "bench.loop", looping).await?;
        install(&p, "bench.bomb", bomb).await?;
        let runaways = drive(&p, seconds, 1_783_000_000_000).await;
        let (mut runaway_runs, mut skipped) = (0, 0);
        let actor = Actor::system("bench");
        for i in p.meta.list_installations(p.tenant).await? {
            if i.spec.app_id != "bench.quiet" {
                let st = p.host.stats(p.tenant, i.id);
                runaway_runs += st.invocations;
                skipped += st.skipped;
                p.meta
                    .delete_installation(&actor, p.tenant, i.id, false)
                    .await?;
                p.host.reload(p.tenant, i.id).await?;
            }
        }
        // The quiet app alone once more: the store has grown meanwhile, so the figure
        // the runaways are compared with is the mean of before and after.
        let quiet_after = drive(&p, seconds, 1_784_000_000_000).await;
        Ok(Figures {
            no_apps,
            quiet_app: (quiet_app + quiet_after) / 2.0,
            quiet_spread: (quiet_app - quiet_after).abs() / ((quiet_app + quiet_after) / 2.0),
            runaways,
            runaway_runs,
            skipped,
        })
    })
}
