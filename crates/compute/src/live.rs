//! Live bindings: one bus consumer evaluates the models bound to a product on every
//! message of its devices that carries a bound property.
//!
//! A message's values are taken timestamp by timestamp; inputs the message lacks come
//! from the device's last value of the property (seeded from the store's latest values
//! the first time the device is seen). Outputs are written through the ingest path with
//! [`Origin::Binding`], up to `WRITERS` writes at once so a slow disk does not stall the
//! consumer. Bindings are re-read when the API changes one and every `RELOAD` (a changed
//! thing model may make a binding invalid; it then stops with the reason in its stats).

use crate::Deps;
use chrono::{DateTime, Utc};
use ironloom_bus::{DeviceEvent, DeviceEventKind, Sources};
use ironloom_core::device::Reported;
use ironloom_core::error::Error;
use ironloom_core::ids::{BindingId, DeviceId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::model::{Catalogue, ModelError, Refusal};
use ironloom_core::model_run::{BindingPlan, BindingStats, Conversion, PlanInput, plan_binding};
use ironloom_core::telemetry::{PointIn, Selection};
use ironloom_models::Library;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Derived writes in flight at once.
const WRITERS: usize = 32;
/// How often bindings are re-read without being asked.
const RELOAD: Duration = Duration::from_secs(30);

type Stats = Arc<Mutex<HashMap<(TenantId, BindingId), BindingStats>>>;

#[derive(Debug, Clone)]
pub(crate) struct Handle {
    reload: mpsc::Sender<oneshot::Sender<Result<(), Error>>>,
    stats: Stats,
}

impl Handle {
    pub(crate) async fn reload(&self) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        let stopped = || Error::Storage {
            action: "reload model bindings",
            detail: "the binding runtime has stopped".into(),
        };
        self.reload.send(tx).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    pub(crate) fn stats(&self, tenant: TenantId, id: BindingId) -> BindingStats {
        lock(&self.stats)
            .get(&(tenant, id))
            .cloned()
            .unwrap_or_default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Bound {
    id: BindingId,
    plan: BindingPlan,
}

struct Runtime {
    deps: Deps,
    interest: ironloom_bus::Interest,
    by_product: HashMap<(TenantId, Arc<str>), Vec<Arc<Bound>>>,
    /// Each device's last value of every property a binding reads (in the property's
    /// unit).
    last: HashMap<DeviceId, HashMap<String, f64>>,
    stats: Stats,
    writes: JoinSet<()>,
}

pub(crate) async fn start(deps: Deps, queue: usize) -> Result<Handle, Error> {
    let consumer = deps.bus.consume("bindings", queue);
    let stats = Stats::default();
    let mut rt = Runtime {
        deps,
        interest: consumer.interest,
        by_product: HashMap::new(),
        last: HashMap::new(),
        stats: stats.clone(),
        writes: JoinSet::new(),
    };
    rt.load().await?;
    let (tx, mut rx) = mpsc::channel::<oneshot::Sender<Result<(), Error>>>(16);
    let mut events = consumer.events;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RELOAD);
        tick.tick().await;
        loop {
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => rt.on_event(ev).await,
                    None => break,
                },
                Some(done) = rx.recv() => {
                    let r = rt.load().await;
                    let _ = done.send(r);
                }
                _ = tick.tick() => {
                    if let Err(e) = rt.load().await {
                        tracing::warn!(error = %e, "model bindings could not be re-read");
                    }
                }
            }
        }
        while rt.writes.join_next().await.is_some() {}
    });
    Ok(Handle { reload: tx, stats })
}

impl Runtime {
    /// Reads every enabled binding and plans it against its product's thing model.
    async fn load(&mut self) -> Result<(), Error> {
        let library = Library::get();
        let mut by_product: HashMap<(TenantId, Arc<str>), Vec<Arc<Bound>>> = HashMap::new();
        let mut running = HashSet::new();
        let mut failed = Vec::new();
        for b in self.deps.meta.enabled_bindings().await? {
            let key = (b.tenant_id, b.id);
            let planned = match library.card(&b.spec.model) {
                None => Err(refusal(
                    &ModelError::UnknownModel(b.spec.model.clone()).into(),
                )),
                Some(card) => match self
                    .deps
                    .meta
                    .find_product_by_key(b.tenant_id, &b.spec.product_key)
                    .await?
                {
                    None => Err(Refusal::new(
                        format!("product {} no longer exists", b.spec.product_key),
                        format!("产品 {} 已不存在", b.spec.product_key),
                    )),
                    Some(p) => {
                        plan_binding(&b.spec, card, &p.thing_model).map_err(|e| refusal(&e.into()))
                    }
                },
            };
            match planned {
                Ok(plan) => {
                    running.insert(key);
                    by_product
                        .entry((b.tenant_id, Arc::from(b.spec.product_key.as_str())))
                        .or_default()
                        .push(Arc::new(Bound { id: b.id, plan }));
                }
                Err(why) => failed.push((key, why)),
            }
        }
        {
            let mut stats = lock(&self.stats);
            stats.retain(|k, _| running.contains(k) || failed.iter().any(|(f, _)| f == k));
            for k in &running {
                stats.entry(*k).or_default().running = true;
            }
            for (k, why) in failed {
                let s = stats.entry(k).or_default();
                s.running = false;
                s.last_error = Some(why);
            }
        }
        let mut sources: HashMap<TenantId, HashSet<Arc<str>>> = HashMap::new();
        for (t, pk) in by_product.keys() {
            sources.entry(*t).or_default().insert(pk.clone());
        }
        self.interest
            .set_sources(sources.into_iter().map(|(t, products)| {
                (
                    t,
                    Sources::Only {
                        products,
                        devices: HashSet::new(),
                    },
                )
            }));
        self.by_product = by_product;
        Ok(())
    }

    async fn on_event(&mut self, ev: DeviceEvent) {
        let DeviceEventKind::Telemetry {
            points,
            origin: Origin::Device,
            ..
        } = ev.kind
        else {
            return;
        };
        let Some(bound) = self
            .by_product
            .get(&(ev.tenant, ev.product_key.clone()))
            .cloned()
        else {
            return;
        };
        if !self.last.contains_key(&ev.device) {
            self.seed(ev.tenant, ev.device, &bound).await;
        }
        let mut out: HashMap<BindingId, Vec<Reported>> = HashMap::new();
        for (ts_ms, values) in by_timestamp(points) {
            let last = self.last.entry(ev.device).or_default();
            let mut arrived = HashSet::new();
            for (property, v) in values {
                if let Some(x) = v {
                    last.insert(property.clone(), x);
                }
                arrived.insert(property);
            }
            let due: Vec<(&Arc<Bound>, Vec<f64>)> = bound
                .iter()
                .filter(|b| b.plan.reads().any(|p| arrived.contains(p)))
                .filter_map(|b| Some((b, inputs(&b.plan, last)?)))
                .collect();
            for (b, args) in due {
                let result = self.evaluate(ev.tenant, b, &args).await;
                let mut stats = lock(&self.stats);
                let s = stats.entry((ev.tenant, b.id)).or_default();
                s.evaluations += 1;
                s.last_evaluated_at = DateTime::<Utc>::from_timestamp_millis(ts_ms);
                match result {
                    Ok(y) => {
                        let values = out.entry(b.id).or_default();
                        for (index, property, convert) in &b.plan.outputs {
                            let v = Conversion::apply(convert, y[*index]);
                            if let Some(n) = serde_json::Number::from_f64(v) {
                                values.push(Reported::new(
                                    property.clone(),
                                    Some(ts_ms),
                                    serde_json::Value::Number(n),
                                ));
                            }
                        }
                    }
                    Err(e) => {
                        s.refused += 1;
                        s.last_error = Some(refusal(&e));
                    }
                }
            }
        }
        for (binding, values) in out {
            if values.is_empty() {
                continue;
            }
            while self.writes.len() >= WRITERS {
                let _ = self.writes.join_next().await;
            }
            let ingest = self.deps.ingest.clone();
            let (tenant, device) = (ev.tenant, ev.device);
            self.writes.spawn(async move {
                match ingest
                    .ingest(tenant, device, Origin::Binding { binding }, values)
                    .await
                {
                    Ok(o) if !o.refused.is_empty() => tracing::debug!(
                        %binding, refused = o.refused.len(),
                        "derived values refused (see the device's error log)"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(%binding, error = %e, "derived values not stored"),
                }
            });
        }
    }

    async fn evaluate(&self, tenant: TenantId, b: &Bound, args: &[f64]) -> Result<Vec<f64>, Error> {
        let id = b.plan.model.id;
        if let Err(e) = self.deps.meter.admit(&*self.deps.meta, tenant, 1).await {
            self.deps
                .meter
                .record(tenant, id, ironloom_core::model::CallSource::Live, false, 0);
            return Err(e);
        }
        let started = std::time::Instant::now();
        let r = Library::get().evaluate(id, args);
        self.deps.meter.record(
            tenant,
            id,
            ironloom_core::model::CallSource::Live,
            r.is_ok(),
            started.elapsed().as_micros() as u64,
        );
        Ok(r?)
    }

    /// The device's latest stored values of the properties its bindings read.
    async fn seed(&mut self, tenant: TenantId, device: DeviceId, bound: &[Arc<Bound>]) {
        let properties: HashSet<String> = bound
            .iter()
            .flat_map(|b| b.plan.reads().map(str::to_string))
            .collect();
        let sel = Selection {
            devices: vec![device],
            properties: properties.into_iter().collect(),
        };
        let last = self.last.entry(device).or_default();
        match self.deps.store.latest(tenant, sel).await {
            Ok(values) => {
                for v in values {
                    if let Some(x) = v.value.as_f64() {
                        last.insert(v.property, x);
                    }
                }
            }
            Err(e) => tracing::warn!(%device, error = %e, "latest values not read for bindings"),
        }
    }
}

/// An error in both languages.
pub(crate) fn refusal(e: &Error) -> Refusal {
    Refusal::new(
        e.message(ironloom_core::i18n::Locale::En),
        e.message(ironloom_core::i18n::Locale::ZhCn),
    )
}

/// The model's inputs in its order and units, or `None` while a bound property has no
/// value yet.
fn inputs(plan: &BindingPlan, last: &HashMap<String, f64>) -> Option<Vec<f64>> {
    plan.inputs
        .iter()
        .map(|i| match i {
            PlanInput::Constant(v) => Some(*v),
            PlanInput::Property { property, convert } => {
                last.get(property).map(|v| Conversion::apply(convert, *v))
            }
        })
        .collect()
}

/// Values of one timestamp: property and number (`None`: not a number).
type Values = Vec<(String, Option<f64>)>;

/// A message's values grouped by timestamp (milliseconds), in time order; non-numeric
/// values are `None`.
fn by_timestamp(mut points: Vec<PointIn>) -> Vec<(i64, Values)> {
    points.sort_by_key(|p| p.ts);
    let mut out: Vec<(i64, Values)> = Vec::new();
    for p in points {
        let ms = p.ts.div_euclid(1000);
        if out.last().is_none_or(|(t, _)| *t != ms) {
            out.push((ms, Vec::new()));
        }
        if let Some((_, vs)) = out.last_mut() {
            vs.push((p.property, p.value.as_f64()));
        }
    }
    out
}
