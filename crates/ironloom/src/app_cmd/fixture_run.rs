//! Runs an app's recorded fixtures (`ironloom app test`) on the real platform parts in a
//! temporary directory: the SQLite metadata store, the embedded time-series engine, the
//! device hub's ingest path (thing-model checks, commands) and the model library. Only
//! the dispatch of events is the fixture's: each event goes straight to the app's
//! sandbox, in order, after its telemetry has been stored as the platform stores it.

use anyhow::{Context, anyhow};
use ironloom_apps::fixture::{Fixture, Observed, Tap};
use ironloom_apps::{
    AppEngine, AppModule, AppPackage, HostServices, Platform, PlatformServices, Scope,
    telemetry_event, telemetry_point, wants_telemetry,
};
use ironloom_bus::Ingest;
use ironloom_core::app_install::{InstallationSpec, with_defaults};
use ironloom_core::device::Reported;
use ironloom_core::entity::{Actor, DeviceCredentials, NewDevice, NewProduct, NewTenant};
use ironloom_core::ids::{DeviceId, InstallationId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::repo::MetaStore;
use ironloom_device::{DeviceHub, HubConfig};
use ironloom_meta::{SqlStore, SqlStoreOptions};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The installation's name in the fixture's tenant.
const NAME: &str = "fixture";

/// What one fixture gave: every difference from what it expects (none: passed).
pub struct FixtureOutcome {
    pub differences: Vec<String>,
    pub observed: Observed,
}

/// Runs one fixture against a checked package's main module.
pub async fn run(
    engine: &AppEngine,
    package: &AppPackage,
    module: &AppModule,
    fixture: &Fixture,
) -> anyhow::Result<FixtureOutcome> {
    let manifest = &package.manifest;
    let dir = tempfile::tempdir().context("temporary directory")?;
    let meta: Arc<dyn MetaStore> = Arc::new(
        SqlStore::open(
            &SqlStore::sqlite_url(dir.path()),
            &SqlStoreOptions::default(),
        )
        .await?,
    );
    let actor = Actor::system("app test");
    let tenant = meta
        .create_tenant(
            &actor,
            NewTenant {
                code: "fixture".into(),
                name: "Fixture".into(),
                description: None,
                max_devices: None,
                max_model_calls: None,
            },
        )
        .await?
        .id;
    let mut devices: HashMap<String, DeviceId> = HashMap::new();
    for (name, d) in &fixture.devices {
        let id = device(&*meta, &actor, tenant, fixture, &d.product, name).await?;
        devices.insert(name.clone(), id);
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
        bus,
        HubConfig::default(),
    );
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(hub.clone().run(stop.clone()));
    let _stop = stop.drop_guard();
    let platform = Platform {
        meta: meta.clone(),
        store: Arc::new(tsdb.clone()),
        ingest: hub.clone(),
        link: Some(hub.clone()),
        meter: Arc::new(ironloom_models::meter::Meter::new()),
        alarms: None,
    };

    // The world before the first event: history, latest values, state.
    for (name, d) in &fixture.devices {
        let mut points: Vec<(i64, &str, &Value)> = vec![];
        for (prop, series) in &d.history {
            points.extend(series.iter().map(|(ts, v)| (*ts, prop.as_str(), v)));
        }
        for (prop, tv) in &d.latest {
            points.push((tv.ts, prop.as_str(), &tv.value));
        }
        points.sort_by_key(|p| p.0);
        for (ts, prop, value) in points {
            let values = vec![Reported::new(prop.to_string(), Some(ts), value.clone())];
            store(&hub, tenant, devices[name], values, name).await?;
        }
    }
    for (k, v) in &fixture.kv {
        meta.app_state_set(tenant, NAME, k, Some(v)).await?;
    }

    let spec = InstallationSpec {
        name: NAME.into(),
        app_id: manifest.id.clone(),
        version: manifest.version.clone(),
        config: fixture.config.clone(),
        grant: fixture.grant(manifest).map_err(|e| anyhow!(e))?,
        products: fixture.product_keys(),
        enabled: true,
        edge: None,
    };
    let problems = spec.check(manifest);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(anyhow!(
            "the installation the fixture describes is refused: {}",
            list.join("; ")
        ));
    }
    let installation = InstallationId::new();
    let scope = Scope {
        tenant,
        installation: installation.to_string(),
        name: NAME.into(),
        app: manifest.id.clone(),
        version: manifest.version.clone(),
        products: spec.products.clone(),
        config: with_defaults(&spec.config, &manifest.config_schema),
    };
    let services = Arc::new(PlatformServices::new(
        platform,
        tokio::runtime::Handle::current(),
        &ironloom_apps::AppsConfig::default(),
    ));
    let tap = Arc::new(Tap::new(services));
    let mut inst = engine.install(
        module,
        scope,
        spec.grant.clone(),
        manifest.limits,
        tap.clone() as Arc<dyn HostServices>,
    );

    let mut seen = Observed::default();
    for (i, event) in fixture.events.iter().enumerate() {
        let event = match event.get("kind").and_then(Value::as_str) {
            Some("telemetry") => {
                let (name, points) = telemetry(event).with_context(|| format!("events[{i}]"))?;
                let dev = fixture
                    .devices
                    .get(name)
                    .ok_or_else(|| anyhow!("events[{i}]: no device {name} in devices"))?;
                let reported = points
                    .iter()
                    .map(|(p, ts, v)| Reported::new(p.to_string(), Some(*ts), (*v).clone()))
                    .collect();
                store(&hub, tenant, devices[name], reported, name).await?;
                if !wants_telemetry(manifest, points.iter().map(|p| p.0)) {
                    seen.invocation(None);
                    continue;
                }
                let points = points
                    .iter()
                    .map(|(p, ts, v)| telemetry_point(p, *ts, *v))
                    .collect();
                telemetry_event(name, &dev.product, points)
            }
            Some(_) => event.clone(),
            None => return Err(anyhow!("events[{i}]: no \"kind\"")),
        };
        let bytes = serde_json::to_vec(&event)?;
        // Host calls block on the runtime: the app runs on a blocking thread.
        let (back, out) = tokio::task::spawn_blocking(move || {
            let out = inst.invoke(&bytes);
            (inst, out)
        })
        .await?;
        inst = back;
        seen.invocation(Some(&out));
    }
    seen.calls(&tap.calls());
    if let Some(keys) = &fixture.expect.kv {
        for k in keys.keys() {
            let v = meta.app_state_get(tenant, NAME, k).await?;
            seen.kv.insert(k.clone(), v.unwrap_or(Value::Null));
        }
    }
    let differences = ironloom_apps::fixture::compare(&fixture.expect, &seen, fixture.rel());
    Ok(FixtureOutcome {
        differences,
        observed: seen,
    })
}

/// A point of a telemetry event: property, time (ms), value.
type Point<'a> = (&'a str, i64, &'a Value);

/// A telemetry event's device and points.
fn telemetry(event: &Value) -> anyhow::Result<(&str, Vec<Point<'_>>)> {
    let device = event
        .get("device")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("a telemetry event needs \"device\""))?;
    let points = event
        .get("points")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("a telemetry event needs \"points\""))?;
    let mut out = Vec::with_capacity(points.len());
    for (j, p) in points.iter().enumerate() {
        let property = p.get("property").and_then(Value::as_str);
        let ts = p.get("ts").and_then(Value::as_i64);
        let value = p.get("value");
        match (property, ts, value) {
            (Some(property), Some(ts), Some(value)) => out.push((property, ts, value)),
            _ => {
                return Err(anyhow!(
                    "points[{j}] needs \"property\", \"ts\" (ms) and \"value\""
                ));
            }
        }
    }
    Ok((device, out))
}

/// Stores device data through the hub's ingest path; a refused value is an error of
/// the fixture (its thing model does not take it).
async fn store(
    hub: &DeviceHub,
    tenant: TenantId,
    device: DeviceId,
    values: Vec<Reported>,
    name: &str,
) -> anyhow::Result<()> {
    let out = Ingest::ingest(hub, tenant, device, Origin::Device, values)
        .await
        .map_err(|e| anyhow!("{name}: {e}"))?;
    if let Some(r) = out.refused.first() {
        return Err(anyhow!(
            "{name}: the thing model refuses {}: {}",
            r.key,
            r.reason.message(ironloom_core::i18n::Locale::En)
        ));
    }
    Ok(())
}

async fn device(
    meta: &dyn MetaStore,
    actor: &Actor,
    tenant: TenantId,
    fixture: &Fixture,
    key: &str,
    name: &str,
) -> anyhow::Result<DeviceId> {
    let product = match meta.find_product_by_key(tenant, key).await? {
        Some(p) => p,
        None => {
            let model = fixture
                .thing_models
                .get(key)
                .cloned()
                .unwrap_or_else(|| json!({}));
            let thing_model = serde_json::from_value(model)
                .with_context(|| format!("thing_models.{key} is not a thing model"))?;
            meta.create_product(
                actor,
                tenant,
                NewProduct {
                    name: key.into(),
                    product_key: key.into(),
                    description: None,
                    industry: None,
                    category: ironloom_core::industry::DeviceCategory::Operating,
                    kind: None,
                    protocol: ironloom_core::industry::Protocol::Mqtt,
                    thing_model,
                    tm_extensions: BTreeMap::new().into_iter().collect(),
                },
            )
            .await?
        }
    };
    let creds = DeviceCredentials {
        access_token: format!("fixture-token-{name}"),
        username: format!("fixture-{name}"),
        password: "fixture-password".into(),
        secret: "fixture-secret-0123456789".into(),
        x509_fingerprint: None,
    };
    let d = NewDevice {
        product_id: product.id,
        name: name.into(),
        label: None,
        description: None,
        tags: vec![],
        groups: vec![],
        attributes: Default::default(),
        credentials: creds,
    };
    Ok(meta.create_device(actor, tenant, d).await?.id)
}
