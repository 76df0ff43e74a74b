//! The rule engine's core: a deterministic state machine from messages (and clock ticks)
//! to effects. No I/O: the caller feeds device messages in order and carries out the
//! effects (alarms into the store, commands through the device link, webhooks …).
//!
//! Per rule and device it keeps: whether the rule has fired, consecutive true samples
//! and since when the condition holds (for `for_samples` / `for_seconds`), the previous
//! value of each property (for `prev.x` and `rate.x`), the window states, and when the
//! device was last seen (for `no_data_seconds`). A rule fires when its condition starts
//! to hold (after its duration); its actions run then, alarms are raised again (as
//! repeats) while it holds, and cleared when it stops holding (or when `clear_when`
//! holds).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use ironloom_bus::Sources;
use ironloom_core::device::LogPos;
use ironloom_core::expr::{Expr, ExprValue, ModelScope, with_models};
use ironloom_core::ids::{DeviceId, RuleId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::model::{CallSource, ModelCaller};
use ironloom_core::rule::{
    Action, Agg, Rule, RuleCounters, RuleDoc, Severity, WindowDef, WindowKind,
};
use ironloom_core::telemetry::Value;
use serde_json::{Value as Json, json};

/// What happened on a device.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageKind {
    /// Values reported (property → value).
    Telemetry(Vec<(String, Value)>),
    /// `connected`, `disconnected`, or a thing-model event identifier, with its data.
    Event(String, Json),
}

/// One device message as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub tenant: TenantId,
    pub device: DeviceId,
    pub device_name: Arc<str>,
    pub product_key: Arc<str>,
    /// The device's groups, by name.
    pub groups: Arc<[String]>,
    /// The device's attributes (server-side), for `attr.x`.
    pub attributes: Arc<serde_json::Map<String, Json>>,
    pub ts_ms: i64,
    pub kind: MessageKind,
    /// Who produced the data: the device, or a rule (whose output never reaches itself).
    pub origin: Origin,
    /// Where the message stands in the cluster's log (none on a single node, or for
    /// the clock's `no_data`): alarm writes carry it so a new partition owner re-running
    /// it changes nothing.
    pub pos: Option<LogPos>,
}

/// What the caller must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    RaiseAlarm {
        rule: RuleId,
        tenant: TenantId,
        device: DeviceId,
        alarm_type: String,
        severity: Severity,
        details: Json,
        ts_ms: i64,
        source: Option<LogPos>,
    },
    ClearAlarm {
        rule: RuleId,
        tenant: TenantId,
        device: DeviceId,
        alarm_type: String,
        ts_ms: i64,
        source: Option<LogPos>,
    },
    /// A command to the message's device, or to `device_name` of the same tenant.
    Command {
        rule: RuleId,
        tenant: TenantId,
        device: DeviceId,
        device_name: Option<String>,
        method: Option<String>,
        params: Option<Json>,
        properties: Option<serde_json::Map<String, Json>>,
    },
    Webhook {
        rule: RuleId,
        tenant: TenantId,
        url: String,
        headers: BTreeMap<String, String>,
        retries: u32,
        /// Unique per firing: the receiver deduplicates retries with it.
        idempotency_key: String,
        body: Json,
    },
    Republish {
        rule: RuleId,
        tenant: TenantId,
        topic: String,
        body: Json,
    },
    Telemetry {
        rule: RuleId,
        tenant: TenantId,
        device: DeviceId,
        property: String,
        value: Value,
        ts_ms: i64,
        /// Rules in the chain that produced it, this one included.
        depth: u8,
    },
    /// The message went on to another rule of the tenant (whose effects follow).
    CallRule {
        rule: RuleId,
        tenant: TenantId,
        rule_name: String,
    },
    /// The message goes to an app installation (`body` as a webhook's; `telemetry` when
    /// the message is telemetry, not a device event).
    CallApp {
        rule: RuleId,
        tenant: TenantId,
        installation: String,
        telemetry: bool,
        body: Json,
    },
}

#[derive(Debug)]
struct Compiled {
    rule: Rule,
    condition: Option<Expr>,
    clear_when: Vec<Option<Expr>>,
    details: Vec<Vec<(String, Expr)>>,
    telemetry: Vec<Option<Expr>>,
    /// Per action: a command's properties, each with its expression when it is one.
    properties: Vec<Option<CommandProperties>>,
    /// Whether any expression reads `attr.…`.
    reads_attributes: bool,
    /// Properties read as `prev.x` or `rate.x` (only these previous values are kept).
    prev_props: Vec<String>,
}

type CommandProperties = Vec<(String, Option<Expr>)>;

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct Window {
    samples: VecDeque<(i64, f64)>,
    /// Tumbling: the current bucket's start (time) and the last complete value.
    bucket: Option<i64>,
    done: Option<f64>,
}

/// Hashes ids (random UUID bits already) cheaply: the state is looked up per rule and
/// message, and SipHash showed in profiles.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A map keyed by ids, with [`IdHasher`].
pub type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// A reading as the checkpoint keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Saved {
    F(f64),
    I(i64),
    B(bool),
    S(String),
}

impl From<&Value> for Saved {
    fn from(v: &Value) -> Saved {
        match v {
            Value::F64(f) => Saved::F(*f),
            Value::I64(i) => Saved::I(*i),
            Value::Bool(b) => Saved::B(*b),
            Value::Str(x) => Saved::S(x.clone()),
        }
    }
}

impl From<Saved> for Value {
    fn from(v: Saved) -> Value {
        match v {
            Saved::F(f) => Value::F64(f),
            Saved::I(i) => Value::I64(i),
            Saved::B(b) => Value::Bool(b),
            Saved::S(x) => Value::Str(x),
        }
    }
}

mod saved_values {
    use super::{HashMap, Saved, Value};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        m: &HashMap<String, (i64, Value)>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let v: HashMap<&String, (i64, Saved)> =
            m.iter().map(|(k, (t, v))| (k, (*t, v.into()))).collect();
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<HashMap<String, (i64, Value)>, D::Error> {
        let v: HashMap<String, (i64, Saved)> = HashMap::deserialize(d)?;
        Ok(v.into_iter()
            .map(|(k, (t, v))| (k, (t, v.into())))
            .collect())
    }
}

/// A device's latest values as the checkpoint keeps them (what rules read of properties
/// a message does not carry).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SavedLatest {
    device: DeviceId,
    values: Vec<(String, Saved)>,
}

impl SavedLatest {
    fn of(device: DeviceId, values: &HashMap<String, Value>) -> SavedLatest {
        SavedLatest {
            device,
            values: values.iter().map(|(k, v)| (k.clone(), v.into())).collect(),
        }
    }
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct State {
    /// The rule version this state was built under (windows change with it).
    #[serde(default)]
    version: i64,
    fired: bool,
    consecutive: u32,
    since_ms: Option<i64>,
    /// (ts, value) of each property's previous reading.
    #[serde(with = "saved_values")]
    prev: HashMap<String, (i64, Value)>,
    windows: Vec<Window>,
    last_seen_ms: Option<i64>,
    no_data_fired: bool,
    /// Alarms raised by this rule on this device and not cleared yet.
    active_alarms: Vec<String>,
    /// The device's name and product, for messages the clock makes (no data).
    #[serde(default)]
    device_name: String,
    #[serde(default)]
    product_key: String,
}

/// One rule's evaluation of one message, for dry runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    /// Which message (0-based, in the order given).
    pub message: usize,
    pub rule: String,
    /// The values the condition read (absent ones are null).
    pub variables: BTreeMap<String, Json>,
    /// Each window's value after this message.
    pub windows: BTreeMap<String, Option<f64>>,
    /// The condition's value, or its error.
    pub condition: Json,
    /// Whether the condition holds now, and for how many samples and milliseconds.
    pub holds: bool,
    pub consecutive: u32,
    pub held_ms: Option<i64>,
    /// Whether the rule fired on this message (its duration reached, first time).
    pub fired: bool,
    /// Whether the rule is firing (after this message).
    pub firing: bool,
    pub effects: Vec<Json>,
}

/// The rules of one tenant, indexed by what their source names.
#[derive(Debug, Default)]
struct TenantRules {
    rules: Vec<Compiled>,
    by_device: HashMap<String, Vec<usize>>,
    by_product: HashMap<String, Vec<usize>>,
    any: Vec<usize>,
    by_name: HashMap<String, usize>,
    /// Whether any rule reads groups or attributes.
    needs_info: bool,
}

impl TenantRules {
    fn push(&mut self, c: Compiled) {
        let i = self.rules.len();
        let s = &c.rule.document.source;
        if !s.devices.is_empty() {
            for d in &s.devices {
                self.by_device.entry(d.clone()).or_default().push(i);
            }
        } else if !s.products.is_empty() {
            for p in &s.products {
                self.by_product.entry(p.clone()).or_default().push(i);
            }
        } else {
            self.any.push(i);
        }
        self.by_name.insert(c.rule.document.name.clone(), i);
        self.needs_info |= !s.groups.is_empty() || c.reads_attributes;
        self.rules.push(c);
    }

    /// The rules that may match a message, in their order.
    fn candidates(&self, m: &Message) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        if let Some(v) = self.by_device.get(&*m.device_name) {
            out.extend(v);
        }
        if let Some(v) = self.by_product.get(&*m.product_key) {
            out.extend(v);
        }
        out.extend(&self.any);
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The engine's changing part: state by (rule, device), latest values, counters.
#[derive(Debug, Default)]
struct Live {
    state: IdMap<(RuleId, DeviceId), State>,
    latest: IdMap<DeviceId, HashMap<String, Value>>,
    counters: IdMap<RuleId, RuleCounters>,
    fired_total: u64,
    trace: Option<Vec<Step>>,
    message_no: usize,
}

/// The engine: rules by tenant, state by (rule, device).
#[derive(Default)]
pub struct Engine {
    rules: HashMap<TenantId, TenantRules>,
    live: Live,
    /// Answers `model(…)` in expressions (none: such calls fail with a clear error).
    models: Option<Arc<dyn ModelCaller>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("tenants", &self.rules.len())
            .field("models", &self.models.is_some())
            .finish_non_exhaustive()
    }
}

/// Who answers `model(…)` while a tenant's rules run.
fn model_scope(models: &Option<Arc<dyn ModelCaller>>, tenant: TenantId) -> Option<ModelScope> {
    models.as_ref().map(|caller| ModelScope {
        caller: caller.clone(),
        tenant,
        source: CallSource::Rule,
    })
}

/// How deep rules may call rules (a loop of calls ends here).
pub const MAX_CALL_DEPTH: usize = 8;
/// Longest chain of rules reacting to derived telemetry (rule A writes `y`, rule B reads
/// `y` and writes `z` …): data derived at this depth reaches no further rule.
pub const MAX_DERIVED_DEPTH: u8 = 4;

/// The engine's state as a checkpoint keeps it.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Checkpoint {
    states: Vec<(RuleId, DeviceId, State)>,
    latest: Vec<SavedLatest>,
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::F64(f) => Some(*f),
        Value::I64(i) => Some(*i as f64),
        Value::Bool(_) | Value::Str(_) => None,
    }
}

fn expr_value(v: &Value) -> ExprValue {
    match v {
        Value::F64(f) => ExprValue::Num(*f),
        Value::I64(i) => ExprValue::Num(*i as f64),
        Value::Bool(b) => ExprValue::Bool(*b),
        Value::Str(s) => ExprValue::Str(s.clone()),
    }
}

fn json_expr_value(v: &Json) -> ExprValue {
    match v {
        Json::Bool(b) => ExprValue::Bool(*b),
        Json::Number(n) => n.as_f64().map_or(ExprValue::Null, ExprValue::Num),
        Json::String(s) => ExprValue::Str(s.clone()),
        _ => ExprValue::Null,
    }
}

/// Whole numbers come out as JSON integers (a device's int property takes them).
fn value_json(v: &ExprValue) -> Json {
    match v {
        ExprValue::Num(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
            json!(*n as i64)
        }
        ExprValue::Num(n) => json!(n),
        ExprValue::Bool(b) => json!(b),
        ExprValue::Str(s) => json!(s),
        ExprValue::Null => Json::Null,
    }
}

/// The window function over its samples (time in ms, value), oldest first.
fn aggregate(def: &WindowDef, samples: &VecDeque<(i64, f64)>) -> Option<f64> {
    let agg = def.agg;
    if samples.is_empty() {
        return (agg == Agg::Count).then_some(0.0);
    }
    let xs = || samples.iter().map(|(_, x)| *x);
    let n = samples.len() as f64;
    let sum: f64 = xs().sum();
    let mean = sum / n;
    Some(match agg {
        Agg::Avg => mean,
        Agg::Min => xs().fold(f64::INFINITY, f64::min),
        Agg::Max => xs().fold(f64::NEG_INFINITY, f64::max),
        Agg::Sum => sum,
        Agg::Count => n,
        Agg::Stddev => (xs().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt(),
        Agg::Ewma => {
            let alpha = def.alpha?;
            xs().skip(1)
                .fold(samples[0].1, |s, x| alpha * x + (1.0 - alpha) * s)
        }
        Agg::Zscore => {
            if samples.len() < 2 {
                return None;
            }
            let sd = (xs().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let last = samples.back()?.1;
            if sd == 0.0 {
                return Some(0.0);
            }
            (last - mean) / sd
        }
        Agg::CusumHigh | Agg::CusumLow => {
            let (target, k) = (def.target?, def.k.unwrap_or(0.0));
            let high = agg == Agg::CusumHigh;
            xs().fold(0.0, |s: f64, x| {
                if high {
                    (s + x - (target + k)).max(0.0)
                } else {
                    (s + (target - k) - x).max(0.0)
                }
            })
        }
        Agg::BandEnergy => {
            let [lo, hi] = def.band?;
            let span_s = (samples.back()?.0 - samples[0].0) as f64 / 1000.0;
            if samples.len() < 4 || span_s <= 0.0 {
                return None;
            }
            let fs = (n - 1.0) / span_s;
            let x: Vec<f64> = xs().map(|x| x - mean).collect();
            band_energy(&x, fs, lo, hi)
        }
    })
}

/// Mean-square of `x` (sampled at `fs` Hz) in [lo, hi] Hz from its one-sided periodogram.
fn band_energy(x: &[f64], fs: f64, lo: f64, hi: f64) -> f64 {
    use realfft::RealFftPlanner;
    let n = x.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input = x.to_vec();
    let mut spectrum = fft.make_output_vec();
    if fft.process(&mut input, &mut spectrum).is_err() {
        return f64::NAN;
    }
    let nf = n as f64;
    spectrum
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            let f = *k as f64 * fs / nf;
            f >= lo && f <= hi
        })
        .map(|(k, c)| {
            // Bins other than DC and (for even n) Nyquist stand for two.
            let twice = k != 0 && !(n.is_multiple_of(2) && k == n / 2);
            let p = c.norm_sqr() / (nf * nf);
            if twice { 2.0 * p } else { p }
        })
        .sum()
}

impl Window {
    /// Takes a sample; returns the window's value now.
    fn push(&mut self, def: &WindowDef, ts: i64, x: f64) -> Option<f64> {
        match def.kind {
            WindowKind::Sliding => {
                self.samples.push_back((ts, x));
                if let Some(s) = def.seconds {
                    let from = ts - i64::try_from(s).unwrap_or(i64::MAX / 2) * 1000;
                    while self.samples.front().is_some_and(|(t, _)| *t <= from) {
                        self.samples.pop_front();
                    }
                }
                if let Some(n) = def.count {
                    while self.samples.len() as u64 > n {
                        self.samples.pop_front();
                    }
                }
                aggregate(def, &self.samples)
            }
            WindowKind::Tumbling => {
                if let Some(s) = def.seconds {
                    let size = i64::try_from(s).unwrap_or(i64::MAX / 2) * 1000;
                    let bucket = ts.div_euclid(size) * size;
                    if self.bucket.is_some_and(|b| b != bucket) {
                        self.done = aggregate(def, &self.samples);
                        self.samples.clear();
                    }
                    self.bucket = Some(bucket);
                    self.samples.push_back((ts, x));
                } else if let Some(n) = def.count {
                    self.samples.push_back((ts, x));
                    if self.samples.len() as u64 >= n {
                        self.done = aggregate(def, &self.samples);
                        self.samples.clear();
                    }
                }
                self.done
            }
        }
    }

    fn value(&self, def: &WindowDef) -> Option<f64> {
        match def.kind {
            WindowKind::Sliding => aggregate(def, &self.samples),
            WindowKind::Tumbling => self.done,
        }
    }
}

impl Engine {
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Lets expressions call the model library (`model(…)`), counted per tenant as rule
    /// calls.
    pub fn set_models(&mut self, caller: Arc<dyn ModelCaller>) {
        self.models = Some(caller);
    }

    /// An engine that records every rule evaluation as a [`Step`] (for dry runs).
    pub fn with_trace() -> Engine {
        let mut e = Engine::default();
        e.live.trace = Some(Vec::new());
        e
    }

    /// Counts a message the caller did not feed (a dry run's clock tick), so step numbers
    /// stay the caller's message indexes.
    pub fn skip_message(&mut self) {
        self.live.message_no += 1;
    }

    /// The steps recorded so far (with [`Engine::with_trace`]).
    pub fn take_trace(&mut self) -> Vec<Step> {
        self.live
            .trace
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Replaces the rules (all tenants'). The state of rules that stay is kept; a rule
    /// whose version changed starts its windows and durations again but keeps its alarms,
    /// so it can still clear them.
    pub fn set_rules(&mut self, rules: Vec<Rule>) {
        let mut by_tenant: HashMap<TenantId, TenantRules> = HashMap::new();
        for r in rules {
            if !r.document.enabled {
                continue;
            }
            let t = r.tenant_id;
            by_tenant.entry(t).or_default().push(compile(r));
        }
        let versions: HashMap<RuleId, (i64, usize)> = by_tenant
            .values()
            .flat_map(|t| &t.rules)
            .map(|c| (c.rule.id, (c.rule.version, c.rule.document.windows.len())))
            .collect();
        self.live.state.retain(|(r, _), st| {
            let Some(&(version, windows)) = versions.get(r) else {
                return false;
            };
            if st.version != version {
                *st = State {
                    version,
                    fired: st.fired,
                    active_alarms: std::mem::take(&mut st.active_alarms),
                    last_seen_ms: st.last_seen_ms,
                    device_name: std::mem::take(&mut st.device_name),
                    product_key: std::mem::take(&mut st.product_key),
                    windows: vec![Window::default(); windows],
                    ..Default::default()
                };
            }
            true
        });
        self.live.counters.retain(|r, _| versions.contains_key(r));
        self.rules = by_tenant;
    }

    /// Every running rule, with its tenant.
    pub fn rule_ids(&self) -> impl Iterator<Item = (TenantId, RuleId)> + '_ {
        self.rules
            .iter()
            .flat_map(|(t, tr)| tr.rules.iter().map(|c| (*t, c.rule.id)))
    }

    /// Whether the rule is loaded (enabled).
    pub fn is_running(&self, rule: RuleId) -> bool {
        self.rule_ids().any(|(_, r)| r == rule)
    }

    /// Tenants with at least one enabled rule.
    pub fn tenants(&self) -> impl Iterator<Item = TenantId> + '_ {
        self.rules.keys().copied()
    }

    /// The devices whose events the enabled rules read, per tenant: the products and
    /// devices their sources name, or all of the tenant when a rule names neither. Events
    /// of other devices can change no rule's outcome.
    pub fn sources(&self) -> impl Iterator<Item = (TenantId, Sources)> + '_ {
        self.rules.iter().map(|(t, tr)| {
            let s = if tr.any.is_empty() {
                Sources::Only {
                    products: tr
                        .by_product
                        .keys()
                        .map(|k| Arc::from(k.as_str()))
                        .collect(),
                    devices: tr.by_device.keys().map(|k| Arc::from(k.as_str())).collect(),
                }
            } else {
                Sources::All
            };
            (*t, s)
        })
    }

    /// Whether the tenant's rules read devices' groups or attributes (which the caller
    /// must then fill in).
    pub fn needs_device_info(&self, tenant: TenantId) -> bool {
        self.rules.get(&tenant).is_some_and(|t| t.needs_info)
    }

    pub fn counters(&self, rule: RuleId) -> RuleCounters {
        self.live.counters.get(&rule).cloned().unwrap_or_default()
    }

    pub fn all_counters(&self) -> &IdMap<RuleId, RuleCounters> {
        &self.live.counters
    }

    /// Counts an error of a rule found while carrying its effects out.
    pub fn note_error(&mut self, rule: RuleId, error: String) {
        let c = self.live.counters.entry(rule).or_default();
        c.errors += 1;
        c.last_error = Some(error);
    }

    /// Rules that fired since the engine started (for metrics and tests).
    pub fn fired_total(&self) -> u64 {
        self.live.fired_total
    }

    /// Feeds one message; returns the effects, in order (a called rule's effects follow
    /// the call).
    pub fn on_message(&mut self, m: &Message) -> Vec<Effect> {
        let mut out = Vec::new();
        let (producer, depth) = match m.origin {
            Origin::Device | Origin::Binding { .. } | Origin::Job { .. } | Origin::App { .. } => {
                (None, 0)
            }
            Origin::Rule { rule, depth } => (Some(rule), depth),
        };
        if let Some(tr) = self.rules.get(&m.tenant)
            && depth < MAX_DERIVED_DEPTH
        {
            let live = &mut self.live;
            with_models(model_scope(&self.models, m.tenant), || {
                for i in tr.candidates(m) {
                    if producer == Some(tr.rules[i].rule.id) {
                        continue;
                    }
                    if matches(&tr.rules[i].rule.document, m) {
                        run_rule(tr, i, live, m, &mut out, 0);
                    }
                }
            });
        }
        if let MessageKind::Telemetry(vs) = &m.kind {
            let l = self.live.latest.entry(m.device).or_default();
            for (k, v) in vs {
                match l.get_mut(k) {
                    Some(slot) => *slot = v.clone(),
                    None => {
                        l.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        self.live.message_no += 1;
        out
    }

    /// The clock moved on: rules with `no_data_seconds` fire for devices silent that
    /// long (once per silence).
    pub fn tick(&mut self, now_ms: i64) -> Vec<Effect> {
        let mut out = Vec::new();
        let mut limits: HashMap<RuleId, (TenantId, usize, i64)> = HashMap::new();
        for (t, tr) in &self.rules {
            for (i, c) in tr.rules.iter().enumerate() {
                if let Some(s) = c.rule.document.condition.no_data_seconds {
                    let limit = i64::try_from(s).unwrap_or(i64::MAX / 2) * 1000;
                    limits.insert(c.rule.id, (*t, i, limit));
                }
            }
        }
        if limits.is_empty() {
            return out;
        }
        let due: Vec<(RuleId, DeviceId, i64)> = self
            .live
            .state
            .iter()
            .filter_map(|((rule, device), st)| {
                let (_, _, limit) = limits.get(rule)?;
                let seen = st.last_seen_ms?;
                (!st.no_data_fired && now_ms - seen >= *limit).then_some((*rule, *device, seen))
            })
            .collect();
        for (rule, device, seen) in due {
            let Some(&(tenant, i, _)) = limits.get(&rule) else {
                continue;
            };
            let Some(c) = self.rules.get(&tenant).map(|t| &t.rules[i]) else {
                continue;
            };
            let live = &mut self.live;
            let Some(st) = live.state.get_mut(&(rule, device)) else {
                continue;
            };
            st.no_data_fired = true;
            let counters = live.counters.entry(rule).or_default();
            counters.matched += 1;
            let m = Message {
                tenant,
                device,
                device_name: st.device_name.as_str().into(),
                product_key: st.product_key.as_str().into(),
                groups: Arc::from(Vec::new()),
                attributes: Arc::new(serde_json::Map::new()),
                ts_ms: now_ms,
                kind: MessageKind::Event("no_data".into(), json!({"silent_ms": now_ms - seen})),
                origin: Origin::Device,
                pos: None,
            };
            let vars = |name: &str| match name {
                "device" => Some(ExprValue::Str(m.device_name.to_string())),
                "product" => Some(ExprValue::Str(m.product_key.to_string())),
                "ts" => Some(ExprValue::Num(now_ms as f64)),
                "event" => Some(ExprValue::Str("no_data".into())),
                "silent_ms" => Some(ExprValue::Num((now_ms - seen) as f64)),
                _ => None,
            };
            let mut effects = Vec::new();
            with_models(model_scope(&self.models, tenant), || {
                act(c, st, &m, true, &vars, &mut effects, counters)
            });
            counters.actions += effects.len() as u64;
            live.fired_total += 1;
            out.extend(effects);
        }
        out
    }

    /// The state worth keeping across a restart.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            states: self
                .live
                .state
                .iter()
                .map(|((r, d), st)| (*r, *d, st.clone()))
                .collect(),
            latest: self
                .live
                .latest
                .iter()
                .map(|(d, values)| SavedLatest::of(*d, values))
                .collect(),
        }
    }

    /// The state of the devices of each of `wanted` groups, devices grouped by `group`
    /// (cluster partitions), in `wanted`'s order.
    pub fn checkpoint_groups(
        &self,
        group: &dyn Fn(DeviceId) -> u32,
        wanted: &[u32],
    ) -> Vec<(u32, Checkpoint)> {
        let mut out: Vec<(u32, Checkpoint)> =
            wanted.iter().map(|&g| (g, Checkpoint::default())).collect();
        for ((r, d), st) in &self.live.state {
            let g = group(*d);
            if let Some(i) = wanted.iter().position(|&w| w == g) {
                out[i].1.states.push((*r, *d, st.clone()));
            }
        }
        for (d, values) in &self.live.latest {
            let g = group(*d);
            if let Some(i) = wanted.iter().position(|&w| w == g) {
                out[i].1.latest.push(SavedLatest::of(*d, values));
            }
        }
        out
    }

    /// Replaces the state of the devices `keep` selects with `cp`'s (a partition taken
    /// over from another node), as [`Engine::restore`] does.
    pub fn restore_of(&mut self, keep: &dyn Fn(DeviceId) -> bool, mut cp: Checkpoint) {
        self.live.state.retain(|(_, d), _| !keep(*d));
        self.live.latest.retain(|d, _| !keep(*d));
        cp.states.retain(|(_, d, _)| keep(*d));
        cp.latest.retain(|l| keep(l.device));
        self.restore(cp);
    }

    /// Takes a checkpoint back (after [`Engine::set_rules`]): state of rules that are
    /// gone or changed since is dropped; the devices' latest values are taken as they are.
    pub fn restore(&mut self, cp: Checkpoint) {
        let versions: HashMap<RuleId, (i64, usize)> = self
            .rules
            .values()
            .flat_map(|t| &t.rules)
            .map(|c| (c.rule.id, (c.rule.version, c.rule.document.windows.len())))
            .collect();
        for (r, d, st) in cp.states {
            if versions
                .get(&r)
                .is_some_and(|&(v, w)| st.version == v && st.windows.len() == w)
            {
                self.live.state.insert((r, d), st);
            }
        }
        for l in cp.latest {
            let values = l.values.into_iter().map(|(k, v)| (k, v.into())).collect();
            self.live.latest.insert(l.device, values);
        }
    }

    /// The store says this alarm of the rule is active on the device: the rule is firing
    /// there and will clear it (start-up and reloads).
    pub fn restore_alarm(&mut self, rule: RuleId, device: DeviceId, alarm_type: &str) {
        let Some(c) = self
            .rules
            .values()
            .flat_map(|t| &t.rules)
            .find(|c| c.rule.id == rule)
        else {
            return;
        };
        let st = self
            .live
            .state
            .entry((rule, device))
            .or_insert_with(|| new_state(c));
        st.fired = true;
        if !st.active_alarms.iter().any(|t| t == alarm_type) {
            st.active_alarms.push(alarm_type.to_owned());
        }
    }

    /// Alarms the engine believes active: (rule, device, type).
    pub fn active_alarms(&self) -> Vec<(RuleId, DeviceId, String)> {
        self.live
            .state
            .iter()
            .flat_map(|((r, d), st)| st.active_alarms.iter().map(|t| (*r, *d, t.clone())))
            .collect()
    }

    /// Forgets an alarm the store no longer has active (a user cleared it).
    pub fn forget_alarm(&mut self, rule: RuleId, device: DeviceId, alarm_type: &str) {
        if let Some(st) = self.live.state.get_mut(&(rule, device)) {
            st.active_alarms.retain(|t| t != alarm_type);
        }
    }
}

/// Whether evaluation failed only because an operand was null (`core::expr` names the
/// type it got).
fn is_null_operand(e: &ironloom_core::expr::ExprError) -> bool {
    e.message.ends_with("got null")
}

fn new_state(c: &Compiled) -> State {
    State {
        version: c.rule.version,
        windows: vec![Window::default(); c.rule.document.windows.len()],
        ..Default::default()
    }
}

fn matches(doc: &RuleDoc, m: &Message) -> bool {
    let s = &doc.source;
    if !s.products.is_empty() && !s.products.iter().any(|p| **p == *m.product_key) {
        return false;
    }
    if !s.devices.is_empty() && !s.devices.iter().any(|d| **d == *m.device_name) {
        return false;
    }
    if !s.groups.is_empty() && !s.groups.iter().any(|g| m.groups.contains(g)) {
        return false;
    }
    match &m.kind {
        MessageKind::Telemetry(values) => {
            s.telemetry
                && (s.properties.is_empty() || values.iter().any(|(k, _)| s.properties.contains(k)))
        }
        MessageKind::Event(name, _) => s.events.contains(name),
    }
}

/// Evaluates rule `i` on the message, then the rules it calls (to [`MAX_CALL_DEPTH`]).
fn run_rule(
    tr: &TenantRules,
    i: usize,
    live: &mut Live,
    m: &Message,
    out: &mut Vec<Effect>,
    depth: usize,
) {
    let c = &tr.rules[i];
    let start = out.len();
    eval(c, live, m, out);
    let calls: Vec<String> = out[start..]
        .iter()
        .filter_map(|e| match e {
            Effect::CallRule { rule_name, .. } => Some(rule_name.clone()),
            _ => None,
        })
        .collect();
    for name in calls {
        let problem = match tr.by_name.get(&name) {
            Some(&j) if depth < MAX_CALL_DEPTH => {
                run_rule(tr, j, live, m, out, depth + 1);
                continue;
            }
            Some(_) => {
                format!("rules call each other deeper than {MAX_CALL_DEPTH}: stopped at {name}")
            }
            None => format!("the called rule {name} does not exist or is disabled"),
        };
        let counters = live.counters.entry(c.rule.id).or_default();
        counters.errors += 1;
        counters.last_error = Some(problem);
    }
}

/// One rule on one message.
fn eval(c: &Compiled, live: &mut Live, m: &Message, out: &mut Vec<Effect>) {
    let key = (c.rule.id, m.device);
    let st = live.state.entry(key).or_insert_with(|| new_state(c));
    if st.device_name.as_str() != &*m.device_name {
        st.device_name = m.device_name.to_string();
        st.product_key = m.product_key.to_string();
    }
    let counters = live.counters.entry(c.rule.id).or_default();
    counters.evaluated += 1;
    st.last_seen_ms = Some(m.ts_ms);
    // Windows take the message's values first.
    let mut wvals: Vec<Option<f64>> = Vec::with_capacity(c.rule.document.windows.len());
    for (w, def) in st.windows.iter_mut().zip(&c.rule.document.windows) {
        let x = match &m.kind {
            MessageKind::Telemetry(vs) => vs
                .iter()
                .find(|(k, _)| *k == def.of)
                .and_then(|(_, v)| num(v)),
            MessageKind::Event(..) => None,
        };
        wvals.push(match x {
            Some(x) => w.push(def, m.ts_ms, x),
            None => w.value(def),
        });
    }
    let latest = live.latest.get(&m.device);
    // The previous values, out of the state while the variables read them.
    let mut prev = std::mem::take(&mut st.prev);
    let vars = |name: &str| -> Option<ExprValue> {
        let from_msg = |k: &str| match &m.kind {
            MessageKind::Telemetry(vs) => {
                vs.iter().find(|(p, _)| p == k).map(|(_, v)| expr_value(v))
            }
            MessageKind::Event(_, data) => data.get(k).map(json_expr_value),
        };
        // Windows, previous, latest and attribute values are null until there is one
        // (`is_null(prev.temp)` guards a rule; a comparison with null is false).
        if let Some(i) = c.rule.document.windows.iter().position(|w| w.name == name) {
            return Some(wvals[i].map_or(ExprValue::Null, ExprValue::Num));
        }
        match name {
            "device" => return Some(ExprValue::Str(m.device_name.to_string())),
            "product" => return Some(ExprValue::Str(m.product_key.to_string())),
            "ts" => return Some(ExprValue::Num(m.ts_ms as f64)),
            "event" => {
                return Some(match &m.kind {
                    MessageKind::Event(e, _) => ExprValue::Str(e.clone()),
                    MessageKind::Telemetry(_) => ExprValue::Str("telemetry".into()),
                });
            }
            _ => {}
        }
        if let Some(k) = name.strip_prefix("attr.") {
            return Some(m.attributes.get(k).map_or(ExprValue::Null, json_expr_value));
        }
        if let Some(k) = name.strip_prefix("latest.") {
            return Some(
                latest
                    .and_then(|l| l.get(k))
                    .map_or(ExprValue::Null, expr_value),
            );
        }
        if let Some(k) = name.strip_prefix("prev.") {
            return Some(prev.get(k).map_or(ExprValue::Null, |(_, v)| expr_value(v)));
        }
        if let Some(k) = name.strip_prefix("rate.") {
            let rate = || {
                let (t0, v0) = prev.get(k)?;
                let v1 = match from_msg(k)? {
                    ExprValue::Num(n) => n,
                    _ => return None,
                };
                let dt = (m.ts_ms - t0) as f64 / 1000.0;
                let x0 = num(v0)?;
                (dt > 0.0).then(|| ExprValue::Num((v1 - x0) / dt))
            };
            return Some(rate().unwrap_or(ExprValue::Null));
        }
        from_msg(name).or_else(|| latest.and_then(|l| l.get(name)).map(expr_value))
    };
    let outcome = c.condition.as_ref().map(|e| e.eval(&vars));
    let holds_now = match &outcome {
        None => false,
        Some(Ok(ExprValue::Bool(b))) => *b,
        Some(Ok(other)) => {
            counters.errors += 1;
            counters.last_error = Some(format!(
                "the condition gave {}, not true/false",
                other.type_name()
            ));
            false
        }
        // A value that is not there yet (null) makes the condition false, not an error.
        Some(Err(err)) if is_null_operand(err) => false,
        Some(Err(err)) => {
            counters.errors += 1;
            counters.last_error = Some(format!("condition {err}"));
            false
        }
    };
    let doc = &c.rule.document;
    if holds_now {
        st.consecutive = st.consecutive.saturating_add(1);
        st.since_ms.get_or_insert(m.ts_ms);
    } else {
        st.consecutive = 0;
        st.since_ms = None;
    }
    let long_enough = holds_now
        && doc
            .condition
            .for_samples
            .is_none_or(|n| st.consecutive >= n)
        && doc.condition.for_seconds.is_none_or(|s| {
            st.since_ms
                .is_some_and(|t0| m.ts_ms - t0 >= i64::try_from(s).unwrap_or(i64::MAX / 2) * 1000)
        });
    // A message ends a no-data firing.
    let mut effects = Vec::new();
    if st.no_data_fired {
        st.no_data_fired = false;
        if c.condition.is_none() {
            clear_alarms(c, st, m, &mut effects);
        }
    }
    let mut fired = false;
    if long_enough {
        counters.matched += 1;
        let first = !st.fired;
        st.fired = true;
        act(c, st, m, first, &vars, &mut effects, counters);
        if first {
            live.fired_total += 1;
            fired = true;
        }
    } else if st.fired && !holds_now {
        st.fired = false;
        clear_alarms(c, st, m, &mut effects);
    }
    // Alarms with their own clearing condition.
    for (i, a) in doc.actions.iter().enumerate() {
        if let (Action::Alarm { alarm_type, .. }, Some(cw)) = (a, &c.clear_when[i])
            && st.active_alarms.contains(alarm_type)
            && matches!(cw.eval(&vars), Ok(ExprValue::Bool(true)))
        {
            st.active_alarms.retain(|t| t != alarm_type);
            effects.push(Effect::ClearAlarm {
                rule: c.rule.id,
                tenant: m.tenant,
                device: m.device,
                alarm_type: alarm_type.clone(),
                ts_ms: m.ts_ms,
                source: m.pos,
            });
        }
    }
    if let Some(trace) = &mut live.trace {
        let variables = c
            .condition
            .as_ref()
            .map(|e| {
                e.variables()
                    .into_iter()
                    .map(|(v, _)| {
                        let x = vars(&v).map_or(Json::Null, |x| value_json(&x));
                        (v, x)
                    })
                    .collect()
            })
            .unwrap_or_default();
        trace.push(Step {
            message: live.message_no,
            rule: doc.name.clone(),
            variables,
            windows: doc
                .windows
                .iter()
                .zip(&wvals)
                .map(|(w, v)| (w.name.clone(), *v))
                .collect(),
            condition: match &outcome {
                None => Json::Null,
                Some(Ok(v)) => value_json(v),
                Some(Err(e)) => json!({"error": e.to_string()}),
            },
            holds: holds_now,
            consecutive: st.consecutive,
            held_ms: st.since_ms.map(|t0| m.ts_ms - t0),
            fired,
            firing: st.fired,
            effects: effects.iter().map(Effect::to_json).collect(),
        });
    }
    // Only the properties the rule reads as `prev.` or `rate.` are kept.
    if let MessageKind::Telemetry(vs) = &m.kind {
        for (k, v) in vs {
            if !c.prev_props.iter().any(|p| p == k) {
                continue;
            }
            match prev.get_mut(k) {
                Some(slot) => *slot = (m.ts_ms, v.clone()),
                None => {
                    prev.insert(k.clone(), (m.ts_ms, v.clone()));
                }
            }
        }
    }
    st.prev = prev;
    counters.actions += effects.len() as u64;
    out.extend(effects);
}

impl Effect {
    /// The effect as the dry run shows it.
    pub fn to_json(&self) -> Json {
        match self {
            Effect::RaiseAlarm {
                alarm_type,
                severity,
                details,
                ..
            } => {
                json!({"action": "alarm", "alarm_type": alarm_type, "severity": severity, "details": details})
            }
            Effect::ClearAlarm { alarm_type, .. } => {
                json!({"action": "clear_alarm", "alarm_type": alarm_type})
            }
            Effect::Command {
                device_name,
                method,
                params,
                properties,
                ..
            } => {
                json!({"action": "command", "device": device_name, "method": method, "params": params, "properties": properties})
            }
            Effect::Webhook {
                url,
                idempotency_key,
                body,
                ..
            } => {
                json!({"action": "webhook", "url": url, "idempotency_key": idempotency_key, "body": body})
            }
            Effect::Republish { topic, body, .. } => {
                json!({"action": "republish", "topic": topic, "body": body})
            }
            Effect::Telemetry {
                property, value, ..
            } => json!({"action": "telemetry", "property": property, "value": value}),
            Effect::CallRule { rule_name, .. } => json!({"action": "rule", "rule": rule_name}),
            Effect::CallApp {
                installation, body, ..
            } => json!({"action": "app", "installation": installation, "body": body}),
        }
    }
}

fn compile(rule: Rule) -> Compiled {
    let parse = |s: &str| Expr::parse(s).ok();
    let doc = &rule.document;
    let condition = doc.condition.expr.as_deref().and_then(parse);
    let mut clear_when = Vec::new();
    let mut details = Vec::new();
    let mut telemetry = Vec::new();
    let mut properties = Vec::new();
    for a in &doc.actions {
        clear_when.push(match a {
            Action::Alarm {
                clear_when: Some(c),
                ..
            } => parse(c),
            _ => None,
        });
        details.push(match a {
            Action::Alarm { details, .. } => details
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), parse(v)?)))
                .collect(),
            _ => Vec::new(),
        });
        telemetry.push(match a {
            Action::Telemetry { expr, .. } => parse(expr),
            _ => None,
        });
        properties.push(match a {
            Action::Command {
                properties: Some(p),
                ..
            } => Some(
                p.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().and_then(|s| s.strip_prefix('=')).and_then(parse),
                        )
                    })
                    .collect(),
            ),
            _ => None,
        });
    }
    let mut exprs: Vec<&Expr> = condition.iter().collect();
    exprs.extend(clear_when.iter().flatten());
    exprs.extend(details.iter().flatten().map(|(_, e)| e));
    exprs.extend(telemetry.iter().flatten());
    exprs.extend(
        properties
            .iter()
            .flatten()
            .flatten()
            .filter_map(|(_, e): &(String, Option<Expr>)| e.as_ref()),
    );
    let variables: Vec<String> = exprs
        .iter()
        .flat_map(|e| e.variables().into_iter().map(|(v, _)| v))
        .collect();
    let reads_attributes = variables.iter().any(|v| v.starts_with("attr."));
    let mut prev_props: Vec<String> = variables
        .iter()
        .filter_map(|v| v.strip_prefix("prev.").or_else(|| v.strip_prefix("rate.")))
        .map(str::to_owned)
        .collect();
    prev_props.sort();
    prev_props.dedup();
    Compiled {
        reads_attributes,
        prev_props,
        rule,
        condition,
        clear_when,
        details,
        telemetry,
        properties,
    }
}

fn clear_alarms(c: &Compiled, st: &mut State, m: &Message, out: &mut Vec<Effect>) {
    for (i, a) in c.rule.document.actions.iter().enumerate() {
        if let Action::Alarm { alarm_type, .. } = a
            && c.clear_when[i].is_none()
            && st.active_alarms.contains(alarm_type)
        {
            st.active_alarms.retain(|t| t != alarm_type);
            out.push(Effect::ClearAlarm {
                rule: c.rule.id,
                tenant: m.tenant,
                device: m.device,
                alarm_type: alarm_type.clone(),
                ts_ms: m.ts_ms,
                source: m.pos,
            });
        }
    }
}

/// The actions of a firing: all of them the first time; alarms again (repeats) while
/// the condition keeps holding.
fn act(
    c: &Compiled,
    st: &mut State,
    m: &Message,
    first: bool,
    vars: &dyn Fn(&str) -> Option<ExprValue>,
    out: &mut Vec<Effect>,
    counters: &mut RuleCounters,
) {
    let rule = c.rule.id;
    let event = || {
        let values = match &m.kind {
            MessageKind::Telemetry(vs) => {
                json!(
                    vs.iter()
                        .map(|(k, v)| (k.clone(), value_json(&expr_value(v))))
                        .collect::<serde_json::Map<_, _>>()
                )
            }
            MessageKind::Event(e, data) => json!({"event": e, "data": data}),
        };
        json!({
            "rule": c.rule.document.name, "rule_id": rule, "device": &*m.device_name,
            "device_id": m.device, "product": &*m.product_key, "ts": m.ts_ms, "values": values,
        })
    };
    let mut fail = |e: String| {
        counters.errors += 1;
        counters.last_error = Some(e);
    };
    for (i, a) in c.rule.document.actions.iter().enumerate() {
        match a {
            Action::Alarm {
                alarm_type,
                severity,
                ..
            } => {
                let mut details = serde_json::Map::new();
                for (k, e) in &c.details[i] {
                    match e.eval(vars) {
                        Ok(v) => {
                            details.insert(k.clone(), value_json(&v));
                        }
                        Err(err) => fail(format!("details.{k}: {err}")),
                    }
                }
                if !st.active_alarms.contains(alarm_type) {
                    st.active_alarms.push(alarm_type.clone());
                }
                out.push(Effect::RaiseAlarm {
                    rule,
                    tenant: m.tenant,
                    device: m.device,
                    alarm_type: alarm_type.clone(),
                    severity: *severity,
                    details: Json::Object(details),
                    ts_ms: m.ts_ms,
                    source: m.pos,
                });
            }
            _ if !first => {}
            Action::ClearAlarm { alarm_type } => {
                st.active_alarms.retain(|t| t != alarm_type);
                out.push(Effect::ClearAlarm {
                    rule,
                    tenant: m.tenant,
                    device: m.device,
                    alarm_type: alarm_type.clone(),
                    ts_ms: m.ts_ms,
                    source: m.pos,
                });
            }
            Action::Command {
                device,
                method,
                params,
                properties,
            } => {
                let mut props = properties.clone();
                if let (Some(p), Some(exprs)) = (&mut props, &c.properties[i]) {
                    for (k, e) in exprs {
                        if let Some(e) = e {
                            match e.eval(vars) {
                                Ok(v) => {
                                    p.insert(k.clone(), value_json(&v));
                                }
                                Err(err) => fail(format!("properties.{k}: {err}")),
                            }
                        }
                    }
                }
                out.push(Effect::Command {
                    rule,
                    tenant: m.tenant,
                    device: m.device,
                    device_name: device.clone(),
                    method: method.clone(),
                    params: params.clone(),
                    properties: props,
                });
            }
            Action::Webhook {
                url,
                headers,
                retries,
            } => out.push(Effect::Webhook {
                rule,
                tenant: m.tenant,
                url: url.clone(),
                headers: headers.clone(),
                retries: *retries,
                idempotency_key: format!("{rule}-{}-{}", m.device, m.ts_ms),
                body: event(),
            }),
            Action::Republish { topic } => out.push(Effect::Republish {
                rule,
                tenant: m.tenant,
                topic: topic.clone(),
                body: event(),
            }),
            Action::Telemetry { property, .. } => {
                match c.telemetry[i].as_ref().map(|e| e.eval(vars)) {
                    Some(Ok(v)) => {
                        let value = match v {
                            ExprValue::Num(n) => Value::F64(n),
                            ExprValue::Bool(b) => Value::Bool(b),
                            ExprValue::Str(s) => Value::Str(s),
                            ExprValue::Null => continue,
                        };
                        out.push(Effect::Telemetry {
                            rule,
                            tenant: m.tenant,
                            device: m.device,
                            property: property.clone(),
                            value,
                            ts_ms: m.ts_ms,
                            depth: match m.origin {
                                Origin::Device
                                | Origin::Binding { .. }
                                | Origin::Job { .. }
                                | Origin::App { .. } => 1,
                                Origin::Rule { depth, .. } => depth.saturating_add(1),
                            },
                        });
                    }
                    Some(Err(err)) => fail(format!("telemetry {property}: {err}")),
                    None => {}
                }
            }
            Action::Rule { rule: name } => out.push(Effect::CallRule {
                rule,
                tenant: m.tenant,
                rule_name: name.clone(),
            }),
            Action::App { installation } => out.push(Effect::CallApp {
                rule,
                tenant: m.tenant,
                installation: installation.clone(),
                telemetry: matches!(m.kind, MessageKind::Telemetry(_)),
                body: event(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn def(json: serde_json::Value) -> WindowDef {
        serde_json::from_value(json).unwrap()
    }

    /// Samples `xs` 10 ms apart.
    fn samples(xs: &[f64]) -> VecDeque<(i64, f64)> {
        xs.iter()
            .enumerate()
            .map(|(i, x)| (i as i64 * 10, *x))
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn streaming_window_functions_worked_by_hand() {
        let w = |f: &str, extra: serde_json::Value| {
            let mut j = serde_json::json!({"name": "w", "fn": f, "of": "x", "count": 100});
            j.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            def(j)
        };
        // EWMA, α = 0.5, seeded with the oldest: 1 → 1.5 → 2.25 → 3.125.
        let e = w("ewma", serde_json::json!({"alpha": 0.5}));
        assert_eq!(aggregate(&e, &samples(&[1.0, 2.0, 3.0, 4.0])), Some(3.125));
        // z of the newest: mean 2.8, sample sd √16.2.
        let z = aggregate(
            &w("zscore", serde_json::json!({})),
            &samples(&[1.0, 1.0, 1.0, 1.0, 10.0]),
        );
        assert!(close(z.unwrap(), 7.2 / 16.2f64.sqrt()));
        // CUSUM, target 10, k 0.5: 0 → 1.5 → 3 → 1.5 (high) and the mirror (low).
        let hi = w("cusum_high", serde_json::json!({"target": 10, "k": 0.5}));
        assert_eq!(
            aggregate(&hi, &samples(&[10.0, 12.0, 12.0, 9.0])),
            Some(1.5)
        );
        let lo = w("cusum_low", serde_json::json!({"target": 10, "k": 0.5}));
        assert_eq!(aggregate(&lo, &samples(&[10.0, 8.0, 8.0, 11.0])), Some(1.5));
        // A 5 Hz sine of amplitude 2 at 100 Hz for one second: A²/2 = 2 in its band,
        // nothing outside it.
        let sine: Vec<f64> = (0..100)
            .map(|i| 3.0 + 2.0 * (std::f64::consts::TAU * 5.0 * i as f64 / 100.0).sin())
            .collect();
        let band = |lo: f64, hi: f64| {
            aggregate(
                &w("band_energy", serde_json::json!({"band": [lo, hi]})),
                &samples(&sine),
            )
            .unwrap()
        };
        assert!(close(band(4.0, 6.0), 2.0), "{}", band(4.0, 6.0));
        assert!(band(10.0, 50.0) < 1e-20);
    }

    #[test]
    fn ewma_and_cusum_windows_agree_with_the_library() {
        use ironloom_core::model::{Catalogue, Datum};
        let library = ironloom_models::Library::get();
        let x: Vec<f64> = (0..500)
            .map(|i| 10.0 + ((i * 7919) % 997) as f64 / 100.0 - 5.0)
            .collect();
        let e = def(
            serde_json::json!({"name": "w", "fn": "ewma", "of": "x", "count": 500, "alpha": 0.2}),
        );
        let want = library
            .evaluate_data(
                "filter.ewma",
                vec![Datum::Series(x.clone()), Datum::Scalar(0.2)],
            )
            .unwrap();
        let got = aggregate(&e, &samples(&x)).unwrap();
        assert!(close(got, *want[0].series().last().unwrap()));
        let c = def(
            serde_json::json!({"name": "w", "fn": "cusum_high", "of": "x", "count": 500,
            "target": 9.5, "k": 0.25}),
        );
        let want = library
            .evaluate_data(
                "spc.cusum_series",
                vec![
                    Datum::Series(x.clone()),
                    Datum::Scalar(9.5),
                    Datum::Scalar(0.25),
                    Datum::Scalar(1e9),
                ],
            )
            .unwrap();
        let got = aggregate(&c, &samples(&x)).unwrap();
        assert!(close(got, *want[0].series().last().unwrap()));
    }

    #[test]
    fn window_parameters_belong_to_their_function() {
        let doc = |windows: serde_json::Value| -> ironloom_core::rule::RuleDoc {
            serde_json::from_value(serde_json::json!({"name": "r",
                "source": {"products": ["p"]}, "windows": windows,
                "condition": {"expr": "w > 1"}, "actions": []}))
            .unwrap()
        };
        let bad = [
            serde_json::json!({"name": "w", "fn": "ewma", "of": "x", "count": 10}),
            serde_json::json!({"name": "w", "fn": "ewma", "of": "x", "count": 10, "alpha": 1.5}),
            serde_json::json!({"name": "w", "fn": "avg", "of": "x", "count": 10, "alpha": 0.5}),
            serde_json::json!({"name": "w", "fn": "cusum_high", "of": "x", "count": 10}),
            serde_json::json!({"name": "w", "fn": "band_energy", "of": "x", "count": 10, "band": [5, 1]}),
        ];
        for w in bad {
            assert!(
                !doc(serde_json::json!([w.clone()])).check(None).is_empty(),
                "{w}"
            );
        }
        let good = serde_json::json!([{"name": "w", "fn": "cusum_low", "of": "x", "count": 10,
            "target": 3, "k": 0.1}]);
        assert!(doc(good).check(None).is_empty());
    }
}
