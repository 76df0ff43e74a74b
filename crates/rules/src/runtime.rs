//! The engine at work inside `ironloom serve`: device events in (a reliable consumer of
//! the bus), effects carried out (alarms into the store and to live subscribers, commands
//! through the device link, webhooks from a durable outbox, republishes, derived
//! telemetry), rules reloaded when they change, state checkpointed to disk.
//!
//! Tasks: the engine task owns the [`Engine`] and never waits on I/O except for control
//! requests; the effect task carries effects out in order (alarms of one device stay in
//! order); webhooks run in their own tasks from the outbox.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ironloom_bus::{DeviceEvent, DeviceEventKind, EventBus, Ingest, Interest};
use ironloom_core::alarm::{AlarmChange, AlarmEvent, AlarmFilter, NewAlarm};
use ironloom_core::command::{CommandKind, CommandRequest, DeviceLink};
use ironloom_core::device::Reported;
use ironloom_core::entity::{Actor, ActorKind, GroupFilter, GroupSort, PageRequest};
use ironloom_core::error::Error as CoreError;
use ironloom_core::ids::{DeviceId, RuleId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::repo::MetaStore;
use ironloom_core::rule::{RuleCounters, RuleService, Severity};
use ironloom_core::telemetry::{PointIn, Value};
use serde_json::{Value as Json, json};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::engine::{Checkpoint, Effect, Engine, Message, MessageKind};

mod partitions;
pub use partitions::PartitionOf;

/// Where republished messages go: the tenant's applications, on `rules/…` topics.
pub trait Republisher: Send + Sync {
    /// Publishes; returns how many subscribers took it.
    fn republish(&self, tenant: TenantId, topic: &str, payload: Vec<u8>) -> usize;
}

pub use crate::config::RuntimeConfig;

/// What the runtime needs from the rest of the platform.
#[derive(Clone)]
pub struct Deps {
    pub meta: Arc<dyn MetaStore>,
    /// Where device events come from.
    pub bus: Arc<dyn EventBus>,
    /// Where derived telemetry goes: the one ingest path, as devices' data does.
    pub ingest: Arc<dyn Ingest>,
    pub link: Option<Arc<dyn DeviceLink>>,
    pub republish: Option<Arc<dyn Republisher>>,
    /// Live alarm events (the API's stream subscribes to it).
    pub alarms: broadcast::Sender<AlarmEvent>,
    /// Answers `model(…)` in rule expressions (none: such calls fail with a clear error).
    pub models: Option<Arc<dyn ironloom_core::model::ModelCaller>>,
    /// Runs apps for `app` actions (none: such actions fail with a clear error).
    pub apps: Option<Arc<dyn ironloom_core::app_install::AppCaller>>,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps").finish_non_exhaustive()
    }
}

enum Control {
    Reload(oneshot::Sender<Result<(), String>>),
    Counters(RuleId, oneshot::Sender<Option<RuleCounters>>),
    /// Cluster mode: the state of some partitions' devices (see `partitions`).
    Checkpoint(partitions::CheckpointRequest),
    Restore(partitions::RestoreRequest),
}

/// What the effects task takes: an effect to carry out, a barrier it answers once every
/// effect sent before it is carried out, or alarms just taken over from another node
/// (their repeats are held back as if this node had raised them now).
enum Fx {
    Effect(Effect),
    Barrier(oneshot::Sender<()>),
    TakenOver(Vec<Active>),
}

/// The handle the API holds (as a [`RuleService`]).
#[derive(Debug, Clone)]
pub struct RuleRuntime {
    control: mpsc::Sender<Control>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Control")
    }
}

#[async_trait::async_trait]
impl RuleService for RuleRuntime {
    async fn reload(&self) -> ironloom_core::error::Result<()> {
        let (tx, rx) = oneshot::channel();
        let gone = || CoreError::Storage {
            action: "reload rules",
            detail: "the rule engine is not running".into(),
        };
        self.control
            .send(Control::Reload(tx))
            .await
            .map_err(|_| gone())?;
        rx.await
            .map_err(|_| gone())?
            .map_err(|detail| CoreError::Storage {
                action: "reload rules",
                detail,
            })
    }

    async fn counters(&self, rule: RuleId) -> Option<RuleCounters> {
        let (tx, rx) = oneshot::channel();
        self.control.send(Control::Counters(rule, tx)).await.ok()?;
        rx.await.ok().flatten()
    }
}

/// The running engine: its handle and its task.
#[derive(Debug)]
pub struct Started {
    pub runtime: RuleRuntime,
    pub task: tokio::task::JoinHandle<()>,
}

/// The groups (by name) and attributes of a device, for rules that read them.
#[derive(Debug, Clone)]
struct DeviceInfo {
    groups: Arc<[String]>,
    attributes: Arc<serde_json::Map<String, Json>>,
    fetched: Instant,
}

const INFO_TTL: Duration = Duration::from_secs(10);

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

/// Writes a file so that a crash leaves either the old or the new one.
fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Starts the engine: loads the rules, the checkpoint and the active alarms, delivers
/// webhooks left in the outbox, and runs until `shutdown` (then checkpoints once more).
pub async fn start(
    deps: Deps,
    config: RuntimeConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<Started> {
    std::fs::create_dir_all(config.state_dir.join("webhooks"))?;
    let mut engine = Engine::new();
    if let Some(m) = &deps.models {
        engine.set_models(m.clone());
    }
    engine.set_rules(deps.meta.enabled_rules().await?);
    let path = checkpoint_path(&config.state_dir);
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<Checkpoint>(&bytes) {
            Ok(cp) => engine.restore(cp),
            Err(e) => {
                tracing::error!(file = %path.display(), error = %e, "rule checkpoint unreadable; rule windows start empty")
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
    sync_alarms(&mut engine, deps.meta.as_ref()).await?;
    let consumer = deps.bus.consume("rules", config.queue);
    consumer.interest.set_sources(engine.sources());
    let (ctl_tx, ctl_rx) = mpsc::channel(64);
    let (fx_tx, fx_rx) = mpsc::channel(config.queue);
    let errors: Errors = Arc::default();
    let webhooks = Webhooks::new(&config, errors.clone())?;
    webhooks.resume();
    let effects = EffectRunner {
        deps: deps.clone(),
        config: config.clone(),
        webhooks,
        errors: errors.clone(),
        last_raise: HashMap::new(),
    };
    let task = EngineTask {
        engine,
        deps,
        config,
        interest: consumer.interest.clone(),
        effects: fx_tx,
        errors,
        info: HashMap::new(),
        group_names: HashMap::new(),
        counter_handles: HashMap::new(),
        queue_wait: metrics::histogram!("ironloom_rule_queue_wait_seconds"),
        writing: None,
        handled: HashMap::new(),
    };
    let task = tokio::spawn(async move {
        let effects_task = tokio::spawn(effects.run(fx_rx));
        task.run(consumer.events, ctl_rx, shutdown).await;
        let _ = effects_task.await;
    });
    Ok(Started {
        runtime: RuleRuntime { control: ctl_tx },
        task,
    })
}

/// Makes the engine's idea of active alarms the store's: alarms the store has active are
/// restored (the rule clears them), alarms it does not have are forgotten.
async fn sync_alarms(engine: &mut Engine, meta: &dyn MetaStore) -> anyhow::Result<()> {
    sync_alarms_of(engine, meta, &|_| true).await.map(drop)
}

/// An active alarm a rule raised: (tenant, device, type, severity).
type Active = (TenantId, DeviceId, String, Severity);

/// [`sync_alarms`] for the devices `keep` selects only (a partition taken over); returns
/// the rules' active alarms of those devices.
async fn sync_alarms_of(
    engine: &mut Engine,
    meta: &dyn MetaStore,
    keep: &(dyn Fn(DeviceId) -> bool + Sync),
) -> anyhow::Result<Vec<Active>> {
    let tenants: Vec<TenantId> = engine.tenants().collect();
    let mut active: HashSet<(RuleId, DeviceId, String)> = HashSet::new();
    let mut raised = Vec::new();
    for t in tenants {
        let filter = AlarmFilter {
            active: Some(true),
            ..Default::default()
        };
        let mut page = PageRequest {
            page_size: 500,
            ..Default::default()
        };
        loop {
            let got = meta.list_alarms(t, &filter, &page).await?;
            for a in &got.items {
                if let Some(r) = a.rule_id
                    && keep(a.device_id)
                {
                    active.insert((r, a.device_id, a.alarm_type.clone()));
                    raised.push((t, a.device_id, a.alarm_type.clone(), a.severity));
                }
            }
            if got.items.len() < page.page_size as usize {
                break;
            }
            page.page += 1;
        }
    }
    for (r, d, t) in engine.active_alarms() {
        if keep(d) && !active.contains(&(r, d, t.clone())) {
            engine.forget_alarm(r, d, &t);
        }
    }
    for (r, d, t) in &active {
        engine.restore_alarm(*r, *d, t);
    }
    Ok(raised)
}

struct EngineTask {
    engine: Engine,
    deps: Deps,
    config: RuntimeConfig,
    /// The tenants whose events the engine takes (those with enabled rules).
    interest: Interest,
    effects: mpsc::Sender<Fx>,
    errors: Errors,
    info: HashMap<DeviceId, DeviceInfo>,
    group_names: HashMap<TenantId, (HashMap<ironloom_core::ids::GroupId, String>, Instant)>,
    /// Each running rule's counters in `/metrics`.
    counter_handles: HashMap<RuleId, [metrics::Counter; 4]>,
    /// `ironloom_rule_queue_wait_seconds`, registered once.
    queue_wait: metrics::Histogram,
    /// The checkpoint being written, if any.
    writing: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Cluster mode: the highest log sequence handled of each partition.
    handled: HashMap<u32, u64>,
}

fn report_checkpoint(r: Result<std::io::Result<()>, tokio::task::JoinError>) {
    match r {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "rule checkpoint not written"),
        Err(e) => tracing::error!(error = %e, "rule checkpoint task failed"),
    }
}

impl EngineTask {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<DeviceEvent>,
        mut ctl: mpsc::Receiver<Control>,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut checkpoint = tokio::time::interval(self.config.checkpoint_interval.0);
        checkpoint.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch: Vec<DeviceEvent> = Vec::with_capacity(256);
        loop {
            tokio::select! {
                // Control, the clock and checkpoints before messages: a busy stream
                // must not starve no-data timers or a disabling.
                biased;
                _ = shutdown.cancelled() => break,
                Some(c) = ctl.recv() => self.control(c, &mut rx).await,
                _ = tick.tick() => {
                    metrics::gauge!("ironloom_rule_queue_depth").set(rx.len() as f64);
                    let fx = self.engine.tick(Utc::now().timestamp_millis());
                    self.dispatch(fx).await;
                    self.note_errors();
                    self.export_metrics();
                }
                _ = checkpoint.tick() => self.checkpoint(false).await,
                n = rx.recv_many(&mut batch, 256) => {
                    if n == 0 {
                        break;
                    }
                    // One sample per batch, its oldest event: a sample per event cost
                    // more than evaluating it, in recording and in folding into the summary.
                    let waited = (Utc::now() - batch[0].at).num_microseconds().unwrap_or(0);
                    self.queue_wait.record(waited.max(0) as f64 / 1e6);
                    for ev in batch.drain(..) {
                        self.on_event(ev).await;
                    }
                }
            }
        }
        // Events already accepted are still evaluated before the last checkpoint.
        rx.close();
        while let Ok(ev) = rx.try_recv() {
            self.on_event(ev).await;
        }
        self.checkpoint(true).await;
    }

    async fn control(&mut self, c: Control, events: &mut mpsc::Receiver<DeviceEvent>) {
        match c {
            Control::Reload(done) => {
                let r = self.reload().await;
                let _ = done.send(r.map_err(|e| e.to_string()));
            }
            Control::Counters(rule, done) => {
                self.note_errors();
                let _ = done.send(
                    self.engine
                        .is_running(rule)
                        .then(|| self.engine.counters(rule)),
                );
            }
            Control::Checkpoint(req) => self.checkpoint_partitions(req, events).await,
            Control::Restore(req) => self.restore_partition(req).await,
        }
    }

    async fn reload(&mut self) -> anyhow::Result<()> {
        let rules = self.deps.meta.enabled_rules().await?;
        self.engine.set_rules(rules);
        sync_alarms(&mut self.engine, self.deps.meta.as_ref()).await?;
        self.interest.set_sources(self.engine.sources());
        // Attributes and groups may have changed with the rules' needs.
        self.info.clear();
        self.group_names.clear();
        self.counter_handles.clear();
        Ok(())
    }

    fn note_errors(&mut self) {
        let errors = std::mem::take(&mut *ironloom_core::sync::lock(&self.errors));
        for (rule, e) in errors {
            self.engine.note_error(rule, e);
        }
    }

    fn export_metrics(&mut self) {
        let handles = &mut self.counter_handles;
        for (tenant, rule) in self.engine.rule_ids() {
            let Some(c) = self.engine.all_counters().get(&rule) else {
                continue;
            };
            // Registered once per rule: looking a labelled counter up costs far more than
            // setting it, and this runs every second for every rule.
            let h = handles.entry(rule).or_insert_with(|| {
                let labels = [("tenant", tenant.to_string()), ("rule", rule.to_string())];
                [
                    metrics::counter!("ironloom_rule_evaluated_total", &labels),
                    metrics::counter!("ironloom_rule_matched_total", &labels),
                    metrics::counter!("ironloom_rule_actions_total", &labels),
                    metrics::counter!("ironloom_rule_errors_total", &labels),
                ]
            });
            h[0].absolute(c.evaluated);
            h[1].absolute(c.matched);
            h[2].absolute(c.actions);
            h[3].absolute(c.errors);
        }
        metrics::counter!("ironloom_rules_fired_total").absolute(self.engine.fired_total());
    }

    /// Writes the engine's state. The snapshot is taken here, in order with the messages;
    /// encoding and writing happen off the engine task, so messages are not held up
    /// meanwhile. One write at a time: while one is still going, this one is skipped
    /// (the next interval writes a newer state) unless `wait` (shutdown), which waits.
    async fn checkpoint(&mut self, wait: bool) {
        if let Some(w) = self.writing.take() {
            if !(wait || w.is_finished()) {
                self.writing = Some(w);
                return;
            }
            report_checkpoint(w.await);
        }
        let t = Instant::now();
        let cp = self.engine.checkpoint();
        metrics::histogram!("ironloom_rule_checkpoint_seconds").record(t.elapsed().as_secs_f64());
        let path = checkpoint_path(&self.config.state_dir);
        let w = tokio::task::spawn_blocking(move || {
            let bytes = serde_json::to_vec(&cp).map_err(std::io::Error::other)?;
            write_atomically(&path, &bytes)
        });
        if wait {
            report_checkpoint(w.await);
        } else {
            self.writing = Some(w);
        }
    }

    async fn device_info(&mut self, tenant: TenantId, device: DeviceId) -> Option<DeviceInfo> {
        if let Some(i) = self.info.get(&device)
            && i.fetched.elapsed() < INFO_TTL
        {
            return Some(i.clone());
        }
        let d = match self.deps.meta.get_device(tenant, device).await {
            Ok(d) => d,
            Err(e) => {
                tracing::debug!(%device, error = %e, "device not readable for rules");
                return self.info.get(&device).cloned();
            }
        };
        let fresh = self
            .group_names
            .get(&tenant)
            .is_some_and(|(_, at)| at.elapsed() < INFO_TTL);
        if !fresh {
            let mut names = HashMap::new();
            let mut page: PageRequest<GroupSort> = PageRequest {
                page_size: 500,
                ..Default::default()
            };
            loop {
                let Ok(got) = self
                    .deps
                    .meta
                    .list_groups(tenant, &GroupFilter::default(), &page)
                    .await
                else {
                    break;
                };
                let n = got.items.len();
                names.extend(got.items.into_iter().map(|g| (g.id, g.name)));
                if n < page.page_size as usize {
                    break;
                }
                page.page += 1;
            }
            self.group_names.insert(tenant, (names, Instant::now()));
        }
        let names = self.group_names.get(&tenant).map(|(n, _)| n);
        let info = DeviceInfo {
            groups: d
                .groups
                .iter()
                .filter_map(|g| names.and_then(|n| n.get(g)).cloned())
                .collect::<Vec<_>>()
                .into(),
            attributes: Arc::new(d.attributes),
            fetched: Instant::now(),
        };
        self.info.insert(device, info.clone());
        Some(info)
    }

    async fn on_event(&mut self, ev: DeviceEvent) {
        if let Some(pos) = ev.pos {
            let h = self.handled.entry(pos.partition).or_default();
            *h = (*h).max(pos.seq);
        }
        let (groups, attributes) = if self.engine.needs_device_info(ev.tenant) {
            match self.device_info(ev.tenant, ev.device).await {
                Some(i) => (i.groups, i.attributes),
                None => (Arc::from(Vec::new()), Arc::default()),
            }
        } else {
            (Arc::from(Vec::new()), Arc::default())
        };
        let origin = match &ev.kind {
            DeviceEventKind::Telemetry { origin, .. } => *origin,
            _ => Origin::Device,
        };
        let base = |ts_ms: i64, kind: MessageKind| Message {
            origin,
            pos: ev.pos,
            tenant: ev.tenant,
            device: ev.device,
            device_name: ev.device_name.clone(),
            product_key: ev.product_key.clone(),
            groups: groups.clone(),
            attributes: attributes.clone(),
            ts_ms,
            kind,
        };
        let messages: Vec<Message> = match ev.kind {
            DeviceEventKind::Telemetry { points, .. } => by_timestamp(points)
                .into_iter()
                .map(|(ts, vs)| base(ts, MessageKind::Telemetry(vs)))
                .collect(),
            DeviceEventKind::Event { identifier, params } => {
                vec![base(ms(ev.at), MessageKind::Event(identifier, params))]
            }
            DeviceEventKind::Connected { transport } => vec![base(
                ms(ev.at),
                MessageKind::Event("connected".into(), json!({"transport": transport})),
            )],
            DeviceEventKind::Disconnected { reason } => vec![base(
                ms(ev.at),
                MessageKind::Event("disconnected".into(), json!({"reason": reason})),
            )],
            DeviceEventKind::ClientRpc { method, params } => vec![base(
                ms(ev.at),
                MessageKind::Event("rpc".into(), json!({"method": method, "params": params})),
            )],
        };
        for m in &messages {
            let fx = self.engine.on_message(m);
            self.dispatch(fx).await;
        }
    }

    async fn dispatch(&mut self, fx: Vec<Effect>) {
        for e in fx {
            if matches!(e, Effect::CallRule { .. }) {
                continue;
            }
            if self.effects.send(Fx::Effect(e)).await.is_err() {
                tracing::error!("rule effects task gone");
            }
        }
    }
}

/// Values grouped by their timestamp, oldest first: one message each. The hub gives each
/// device message its own microsecond, so several messages stored together (and values
/// of one message with their own timestamps) come apart again here.
fn by_timestamp(mut points: Vec<PointIn>) -> Vec<(i64, Vec<(String, Value)>)> {
    // Stable: values of one timestamp keep their order.
    points.sort_by_key(|p| p.ts);
    let mut out: Vec<(i64, Vec<(String, Value)>)> = Vec::new();
    let mut last = None;
    for p in points {
        if last != Some(p.ts) {
            last = Some(p.ts);
            out.push((p.ts.div_euclid(1000), Vec::new()));
        }
        if let Some((_, vs)) = out.last_mut() {
            vs.push((p.property, p.value));
        }
    }
    out
}

/// Carries effects out, in order.
struct EffectRunner {
    deps: Deps,
    config: RuntimeConfig,
    webhooks: Webhooks,
    errors: Errors,
    /// When each active alarm was last written, and at which severity.
    last_raise: HashMap<(TenantId, DeviceId, String), (Instant, Severity)>,
}

/// Errors of actions carried out away from the engine; the engine counts them per rule
/// on its next tick (or counter request).
type Errors = Arc<Mutex<Vec<(RuleId, String)>>>;

fn note_error(errors: &Errors, rule: RuleId, e: String) {
    tracing::debug!(%rule, error = %e, "rule action failed");
    ironloom_core::sync::lock(errors).push((rule, e));
}

fn rule_actor(tenant: TenantId, rule: RuleId) -> Actor {
    Actor {
        kind: ActorKind::System,
        id: Some(rule.to_string()),
        name: format!("rule {rule}"),
        tenant_id: Some(tenant),
        ip: None,
    }
}

fn at_ms(ts_ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ts_ms).unwrap_or_else(Utc::now)
}

impl EffectRunner {
    fn error(&self, rule: RuleId, e: String) {
        note_error(&self.errors, rule, e);
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Fx>) {
        while let Some(fx) = rx.recv().await {
            match fx {
                Fx::Effect(e) => self.carry(e).await,
                Fx::Barrier(done) => {
                    let _ = done.send(());
                }
                Fx::TakenOver(alarms) => {
                    let now = Instant::now();
                    for (tenant, device, kind, severity) in alarms {
                        self.last_raise
                            .insert((tenant, device, kind), (now, severity));
                    }
                }
            }
        }
        self.webhooks.wait().await;
    }

    async fn carry(&mut self, e: Effect) {
        match e {
            Effect::RaiseAlarm {
                rule,
                tenant,
                device,
                alarm_type,
                severity,
                details,
                ts_ms,
                source,
            } => {
                let key = (tenant, device, alarm_type.clone());
                if let Some((at, sev)) = self.last_raise.get(&key)
                    && *sev == severity
                    && at.elapsed() < self.config.alarm_repeat_interval.0
                {
                    return;
                }
                let new = NewAlarm {
                    device_id: device,
                    alarm_type,
                    severity,
                    details,
                    rule_id: Some(rule),
                    at: at_ms(ts_ms),
                    source,
                };
                let started = Instant::now();
                let raised = self.deps.meta.raise_alarm(tenant, new).await;
                metrics::histogram!("ironloom_alarm_write_seconds")
                    .record(started.elapsed().as_secs_f64());
                match raised {
                    // A repeat of an event an earlier owner's rules handled.
                    Ok(None) => {}
                    Ok(Some((alarm, created))) => {
                        self.last_raise.insert(key, (Instant::now(), severity));
                        metrics::counter!("ironloom_alarms_raised_total", "tenant" => tenant.to_string())
                            .increment(u64::from(created));
                        let change = if created {
                            AlarmChange::Raised
                        } else {
                            AlarmChange::Updated
                        };
                        let _ = self.deps.alarms.send(AlarmEvent { change, alarm });
                    }
                    Err(e) => self.error(rule, format!("raising the alarm failed: {e}")),
                }
            }
            Effect::ClearAlarm {
                rule,
                tenant,
                device,
                alarm_type,
                ts_ms,
                source,
            } => {
                self.last_raise
                    .remove(&(tenant, device, alarm_type.clone()));
                let started = Instant::now();
                let cleared = self
                    .deps
                    .meta
                    .clear_alarm_by_type(tenant, device, &alarm_type, at_ms(ts_ms), source)
                    .await;
                metrics::histogram!("ironloom_alarm_write_seconds")
                    .record(started.elapsed().as_secs_f64());
                match cleared {
                    Ok(Some(alarm)) => {
                        let _ = self.deps.alarms.send(AlarmEvent {
                            change: AlarmChange::Cleared,
                            alarm,
                        });
                    }
                    Ok(None) => {}
                    Err(e) => self.error(rule, format!("clearing the alarm failed: {e}")),
                }
            }
            Effect::Command {
                rule,
                tenant,
                device,
                device_name,
                method,
                params,
                properties,
            } => {
                let Some(link) = self.deps.link.clone() else {
                    self.error(rule, "commands need the device edge on this node".into());
                    return;
                };
                let meta = self.deps.meta.clone();
                let errors = self.errors.clone();
                // The command waits for its device; the next effects do not.
                tokio::spawn(async move {
                    let r = send_command(
                        meta.as_ref(),
                        link.as_ref(),
                        rule,
                        tenant,
                        device,
                        device_name,
                        method,
                        params,
                        properties,
                    )
                    .await;
                    if let Err(e) = r {
                        note_error(&errors, rule, e);
                    }
                });
            }
            Effect::Webhook {
                rule,
                tenant,
                url,
                headers,
                retries,
                idempotency_key,
                body,
            } => {
                let job = WebhookJob {
                    tenant,
                    rule,
                    url,
                    headers,
                    retries,
                    key: idempotency_key,
                    body,
                };
                if let Err(e) = self.webhooks.enqueue(job).await {
                    self.error(rule, format!("the webhook could not be queued: {e}"));
                }
            }
            Effect::Republish {
                rule,
                tenant,
                topic,
                body,
            } => match &self.deps.republish {
                Some(r) => {
                    r.republish(
                        tenant,
                        &format!("rules/{topic}"),
                        body.to_string().into_bytes(),
                    );
                }
                None => self.error(rule, "republishing needs the MQTT server".into()),
            },
            Effect::Telemetry {
                rule,
                tenant,
                device,
                property,
                value,
                ts_ms,
                depth,
            } => {
                let json = match value {
                    // Whole numbers as integers, so that integer properties take them.
                    Value::F64(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => json!(n as i64),
                    Value::F64(n) => json!(n),
                    Value::Bool(b) => json!(b),
                    Value::Str(s) => json!(s),
                    Value::I64(i) => json!(i),
                };
                let values = vec![Reported::new(property, Some(ts_ms), json)];
                let origin = Origin::Rule { rule, depth };
                match self
                    .deps
                    .ingest
                    .ingest(tenant, device, origin, values)
                    .await
                {
                    Ok(o) if o.refused.is_empty() => {}
                    Ok(o) => self.error(
                        rule,
                        format!(
                            "derived telemetry refused: {}",
                            o.summary(ironloom_core::i18n::Locale::En)
                                .unwrap_or_default()
                        ),
                    ),
                    Err(e) => self.error(rule, format!("writing derived telemetry failed: {e}")),
                }
            }
            Effect::CallRule { .. } => {}
            Effect::CallApp {
                rule,
                tenant,
                installation,
                telemetry,
                body,
            } => {
                let Some(apps) = &self.deps.apps else {
                    return self.error(rule, "calling apps needs the app runtime".into());
                };
                let called = match installation.parse() {
                    Ok(id) => apps.call_from_rule(tenant, id, telemetry, body).await,
                    Err(_) => Err(format!("`{installation}` is not an installation id")),
                };
                if let Err(e) = called {
                    self.error(rule, format!("app {installation}: {e}"));
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn send_command(
    meta: &dyn MetaStore,
    link: &dyn DeviceLink,
    rule: RuleId,
    tenant: TenantId,
    device: DeviceId,
    device_name: Option<String>,
    method: Option<String>,
    params: Option<Json>,
    properties: Option<serde_json::Map<String, Json>>,
) -> Result<(), String> {
    let target = match device_name {
        None => device,
        Some(name) => match meta.find_device_by_name(tenant, &name).await {
            Ok(Some(d)) => d.id,
            Ok(None) => return Err(format!("command: no device named {name}")),
            Err(e) => return Err(format!("command: {e}")),
        },
    };
    let (kind, method, params) = match (properties, method) {
        (Some(p), _) => (
            CommandKind::SetProperties,
            "setProperties".to_owned(),
            Json::Object(p),
        ),
        (None, Some(m)) => (CommandKind::Call, m, params.unwrap_or_else(|| json!({}))),
        (None, None) => return Err("command: neither a method nor properties".into()),
    };
    let req = CommandRequest {
        kind,
        method,
        params,
        one_way: false,
        timeout: Duration::from_secs(30),
        queue_for: Some(Duration::from_secs(300)),
        wait: false,
    };
    link.send_command(&rule_actor(tenant, rule), tenant, target, req)
        .await
        .map(|_| ())
        .map_err(|e| format!("command: {e}"))
}

/// One webhook delivery, as the outbox keeps it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct WebhookJob {
    tenant: TenantId,
    rule: RuleId,
    url: String,
    headers: BTreeMap<String, String>,
    retries: u32,
    key: String,
    body: Json,
}

/// Webhooks: each is written to the outbox (a file) before delivery and removed once the
/// receiver accepted it or its retries ran out, so a crash delivers it again on start
/// (at least once; the receiver deduplicates by the `Idempotency-Key` header).
#[derive(Clone)]
struct Webhooks {
    dir: PathBuf,
    client: reqwest::Client,
    backoff: Duration,
    max_backoff: Duration,
    errors: Errors,
    seq: Arc<std::sync::atomic::AtomicU64>,
    running: tokio_util::task::TaskTracker,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Webhooks {
    fn new(config: &RuntimeConfig, errors: Errors) -> anyhow::Result<Webhooks> {
        let client = reqwest::Client::builder()
            .timeout(config.webhook_timeout.0)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Webhooks {
            dir: config.state_dir.join("webhooks"),
            client,
            backoff: config.webhook_backoff.0,
            max_backoff: config.webhook_max_backoff.0,
            errors,
            seq: Arc::new(std::sync::atomic::AtomicU64::new(
                Utc::now().timestamp_micros().unsigned_abs(),
            )),
            running: tokio_util::task::TaskTracker::new(),
            slots: Arc::new(tokio::sync::Semaphore::new(64)),
        })
    }

    /// Delivers what a previous run left in the outbox.
    fn resume(&self) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<PathBuf> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            match std::fs::read(&f).map(|b| serde_json::from_slice::<WebhookJob>(&b)) {
                Ok(Ok(job)) => {
                    tracing::info!(url = %job.url, key = %job.key, "webhook from the outbox delivered again");
                    self.spawn(f, job);
                }
                _ => {
                    tracing::error!(file = %f.display(), "unreadable webhook in the outbox; left there");
                }
            }
        }
    }

    async fn enqueue(&self, job: WebhookJob) -> std::io::Result<()> {
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self.dir.join(format!("{n:020}.json"));
        let bytes = serde_json::to_vec(&job).map_err(std::io::Error::other)?;
        let p = path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&p, &bytes))
            .await
            .map_err(std::io::Error::other)??;
        self.spawn(path, job);
        Ok(())
    }

    fn spawn(&self, path: PathBuf, job: WebhookJob) {
        let me = self.clone();
        self.running.spawn(async move {
            let Ok(_slot) = me.slots.clone().acquire_owned().await else {
                return;
            };
            let outcome = me.deliver(&job).await;
            if let Err(e) = outcome {
                note_error(&me.errors, job.rule, e);
                metrics::counter!("ironloom_rule_webhooks_total", "outcome" => "failed")
                    .increment(1);
            } else {
                metrics::counter!("ironloom_rule_webhooks_total", "outcome" => "delivered")
                    .increment(1);
            }
            let _ = tokio::fs::remove_file(&path).await;
        });
    }

    /// Posts until accepted (2xx), refused for good (4xx other than 408 and 429) or out
    /// of retries.
    async fn deliver(&self, job: &WebhookJob) -> Result<(), String> {
        let mut wait = self.backoff;
        let mut attempt = 0u32;
        loop {
            let mut req = self
                .client
                .post(&job.url)
                .header("Idempotency-Key", &job.key)
                .header("X-Ironloom-Rule", job.rule.to_string())
                .json(&job.body);
            for (k, v) in &job.headers {
                req = req.header(k, v);
            }
            let problem = match req.send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => {
                    let s = r.status();
                    let retry = s.is_server_error()
                        || s == reqwest::StatusCode::REQUEST_TIMEOUT
                        || s == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    if !retry {
                        return Err(format!("webhook {} answered {s}", job.url));
                    }
                    format!("webhook {} answered {s}", job.url)
                }
                Err(e) => format!("webhook {}", without_query(&e)),
            };
            if attempt >= job.retries {
                return Err(format!(
                    "{problem} (gave up after {} attempts)",
                    attempt + 1
                ));
            }
            attempt += 1;
            metrics::counter!("ironloom_rule_webhooks_total", "outcome" => "retried").increment(1);
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.max_backoff);
        }
    }

    async fn wait(&self) {
        self.running.close();
        // Deliveries still retrying stay in the outbox for the next start.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.running.wait()).await;
    }
}

/// A request error's text without the URL's query (which may carry secrets).
fn without_query(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "connection failed"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "request failed"
    };
    match e.url() {
        Some(u) => format!("{}://{}{}: {kind}", u.scheme(), u.authority(), u.path()),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_core::telemetry::Quality;

    fn p(property: &str, ts: i64, x: f64) -> PointIn {
        PointIn {
            property: property.into(),
            ts,
            value: Value::F64(x),
            quality: Quality::Good,
        }
    }

    #[test]
    fn messages_stored_together_are_evaluated_one_by_one() {
        // Two messages of one device within a millisecond (the hub's own microseconds),
        // and one value with an earlier timestamp of its own.
        let got = by_timestamp(vec![
            p("a", 5_000_001, 1.0),
            p("b", 5_000_001, 2.0),
            p("a", 5_000_002, 3.0),
            p("a", 4_000_000, 4.0),
        ]);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (4_000, vec![("a".into(), Value::F64(4.0))]));
        assert_eq!(
            got[1],
            (
                5_000,
                vec![("a".into(), Value::F64(1.0)), ("b".into(), Value::F64(2.0))]
            )
        );
        assert_eq!(got[2], (5_000, vec![("a".into(), Value::F64(3.0))]));
    }
}
