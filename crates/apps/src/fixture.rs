//! Recorded-fixture tests of an app (`ironloom app test`, docs/apps.md "Testing an app"):
//! the fixture format, a tap on the host services that records what the app asked the
//! platform to do, and the comparison of that with what the fixture expects.
//!
//! The platform the fixture runs against is assembled by the binary (real metadata
//! store, time-series engine and ingest path in a temporary directory); this module
//! holds only what does not need them.

use crate::engine::{Invocation, RunError};
use crate::host::{HostError, HostOp, HostServices, Scope};
use ironloom_core::app::{AppManifest, Permission};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Relative tolerance for numbers when a fixture names none.
pub const DEFAULT_REL: f64 = 1e-9;
/// Numbers this close to an expected zero match.
const ABS_NEAR_ZERO: f64 = 1e-12;

/// One fixture file: a small world (devices, their data, the app's state), the events
/// delivered to the app in order, and what the app should have done.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default)]
    pub description: String,
    /// The installation's configuration (the schema's defaults are filled in).
    #[serde(default = "empty_object")]
    pub config: Value,
    /// The grant: permission names (`"models"`) or objects (`{"kind": "http", "hosts": […]}`);
    /// by default everything the manifest asks for.
    #[serde(default)]
    pub grant: Option<Vec<Value>>,
    /// Product keys the installation covers; by default every product of `devices`.
    #[serde(default)]
    pub products: Option<Vec<String>>,
    /// Thing models by product key (as the product API takes them); a product without
    /// one accepts any property.
    #[serde(default)]
    pub thing_models: BTreeMap<String, Value>,
    pub devices: BTreeMap<String, FixtureDevice>,
    /// The installation's state before the first event.
    #[serde(default)]
    pub kv: BTreeMap<String, Value>,
    pub events: Vec<Value>,
    #[serde(default)]
    pub expect: Expect,
    /// Relative tolerance for numbers in `expect`.
    #[serde(default)]
    pub rel: Option<f64>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A device of the fixture and the data it has before the first event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureDevice {
    pub product: String,
    /// Latest values: property → `{"ts", "value"}` (ms).
    #[serde(default)]
    pub latest: BTreeMap<String, TimedValue>,
    /// History: property → `[[ts, value]…]` (ms).
    #[serde(default)]
    pub history: BTreeMap<String, Vec<(i64, Value)>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedValue {
    pub ts: i64,
    pub value: Value,
}

/// What the app should have done; each list is compared in order and in full, each
/// object by the keys it lists.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Per event: the status the app returned, `null` for an event that did not trigger
    /// it, or why it stopped (`out_of_fuel`, `timeout`, `memory_limit`, `trap`, `start`).
    pub results: Option<Vec<Value>>,
    /// `write` requests.
    pub writes: Option<Vec<Value>>,
    /// `alarm.raise` and `alarm.clear` requests, each with `"op": "raise" | "clear"`.
    pub alarms: Option<Vec<Value>>,
    /// `command` requests.
    pub commands: Option<Vec<Value>>,
    /// The answers to HTTP events (`{"status", "body"}`).
    pub replies: Option<Vec<Value>>,
    /// The state after the last event, for the keys listed.
    pub kv: Option<Map<String, Value>>,
    /// Substrings each found in some log line.
    pub logs: Option<Vec<String>>,
}

impl Fixture {
    /// The tolerance for numbers.
    pub fn rel(&self) -> f64 {
        self.rel.unwrap_or(DEFAULT_REL)
    }

    /// Product keys the installation covers.
    pub fn product_keys(&self) -> Vec<String> {
        match &self.products {
            Some(p) => p.clone(),
            None => {
                let mut keys: Vec<String> =
                    self.devices.values().map(|d| d.product.clone()).collect();
                keys.sort();
                keys.dedup();
                keys
            }
        }
    }

    /// The grant: the fixture's, or what the manifest asks for.
    pub fn grant(&self, manifest: &AppManifest) -> Result<Vec<Permission>, String> {
        let Some(list) = &self.grant else {
            return Ok(manifest.permissions.clone());
        };
        list.iter()
            .map(|p| {
                let v = match p {
                    Value::String(kind) => json!({ "kind": kind }),
                    other => other.clone(),
                };
                serde_json::from_value(v).map_err(|e| format!("grant: {p}: {e}"))
            })
            .collect()
    }
}

/// One host call the app made and the platform's answer.
#[derive(Debug, Clone)]
pub struct Call {
    pub op: HostOp,
    pub request: Value,
    pub reply: Result<Value, HostError>,
}

/// Host services that pass every call to the platform's and keep a record of it.
#[derive(Debug)]
pub struct Tap {
    inner: Arc<dyn HostServices>,
    calls: Mutex<Vec<Call>>,
}

impl Tap {
    pub fn new(inner: Arc<dyn HostServices>) -> Tap {
        Tap {
            inner,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// The calls so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl HostServices for Tap {
    fn call(&self, scope: &Scope, op: HostOp, request: &Value) -> Result<Value, HostError> {
        let reply = self.inner.call(scope, op, request);
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Call {
                op,
                request: request.clone(),
                reply: reply.clone(),
            });
        reply
    }
}

/// What an app did over a fixture's events.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub results: Vec<Value>,
    pub writes: Vec<Value>,
    pub alarms: Vec<Value>,
    pub commands: Vec<Value>,
    pub replies: Vec<Value>,
    pub kv: Map<String, Value>,
    pub logs: Vec<String>,
    /// Fuel and host calls over all events.
    pub fuel: u64,
    pub host_calls: u64,
    /// Host operations refused for want of a permission, over all events.
    pub denied: std::collections::BTreeSet<String>,
}

impl Observed {
    /// Records one event's invocation (`None`: the event did not trigger the app).
    pub fn invocation(&mut self, inv: Option<&Invocation>) {
        let Some(inv) = inv else {
            self.results.push(Value::Null);
            return;
        };
        self.denied.extend(inv.denied.iter().cloned());
        self.results.push(match &inv.result {
            Ok(code) => json!(code),
            Err(e) => {
                self.logs.push(e.to_string());
                json!(stop_code(e))
            }
        });
        self.logs.extend(inv.logs.iter().map(|l| l.message.clone()));
        if let Some(r) = &inv.reply {
            self.replies.push(r.clone());
        }
        self.fuel = self.fuel.saturating_add(inv.fuel);
        self.host_calls = self.host_calls.saturating_add(inv.host_calls);
    }

    /// Sorts the recorded host calls into writes, alarms and commands.
    pub fn calls(&mut self, calls: &[Call]) {
        for c in calls {
            match c.op {
                HostOp::Write => self.writes.push(c.request.clone()),
                HostOp::AlarmRaise | HostOp::AlarmClear => {
                    let mut v = c.request.clone();
                    if let Some(o) = v.as_object_mut() {
                        let op = if c.op == HostOp::AlarmRaise {
                            "raise"
                        } else {
                            "clear"
                        };
                        o.insert("op".into(), json!(op));
                    }
                    self.alarms.push(v);
                }
                HostOp::Command => self.commands.push(c.request.clone()),
                _ => {}
            }
        }
    }
}

/// The short name of why an invocation stopped.
pub fn stop_code(e: &RunError) -> &'static str {
    match e {
        RunError::OutOfFuel { .. } => "out_of_fuel",
        RunError::Timeout { .. } => "timeout",
        RunError::MemoryLimit { .. } => "memory_limit",
        RunError::Trap { .. } => "trap",
        RunError::Start { .. } => "start",
    }
}

/// Every difference between what the fixture expects and what the app did.
pub fn compare(expect: &Expect, seen: &Observed, rel: f64) -> Vec<String> {
    let mut out = Vec::new();
    let lists = [
        ("results", &expect.results, &seen.results),
        ("writes", &expect.writes, &seen.writes),
        ("alarms", &expect.alarms, &seen.alarms),
        ("commands", &expect.commands, &seen.commands),
        ("replies", &expect.replies, &seen.replies),
    ];
    for (name, want, got) in lists {
        if let Some(want) = want {
            matches(
                name,
                &Value::Array(want.clone()),
                &Value::Array(got.clone()),
                rel,
                &mut out,
            );
        }
    }
    if let Some(kv) = &expect.kv {
        for (k, want) in kv {
            let got = seen.kv.get(k).unwrap_or(&Value::Null);
            matches(&format!("kv.{k}"), want, got, rel, &mut out);
        }
    }
    for want in expect.logs.iter().flatten() {
        if !seen.logs.iter().any(|l| l.contains(want.as_str())) {
            out.push(format!("logs: no line contains {want:?}"));
        }
    }
    out
}

/// Whether `got` matches `want`: objects by the keys `want` lists, arrays element by
/// element and of the same length, numbers within `rel`; each difference goes to `out`.
pub fn matches(path: &str, want: &Value, got: &Value, rel: f64, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => matches(&format!("{path}.{k}"), wv, gv, rel, out),
                    None => out.push(format!("{path}.{k}: missing (expected {wv})")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                out.push(format!(
                    "{path}: {} expected, {} seen: {}",
                    w.len(),
                    g.len(),
                    short(got)
                ));
                return;
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                matches(&format!("{path}[{i}]"), wv, gv, rel, out);
            }
        }
        (Value::Number(w), Value::Number(g)) => {
            let (w, g) = (
                w.as_f64().unwrap_or(f64::NAN),
                g.as_f64().unwrap_or(f64::NAN),
            );
            let tol = (rel * w.abs()).max(ABS_NEAR_ZERO);
            if (w - g).abs() > tol || w.is_nan() != g.is_nan() {
                out.push(format!(
                    "{path}: expected {w}, seen {g} (tolerance {tol:e})"
                ));
            }
        }
        (w, g) if w == g => {}
        (w, g) => out.push(format!("{path}: expected {w}, seen {}", short(g))),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn diff(want: Value, got: Value, rel: f64) -> Vec<String> {
        let mut out = vec![];
        matches("x", &want, &got, rel, &mut out);
        out
    }

    #[test]
    fn objects_match_by_the_keys_expected_and_numbers_within_the_tolerance() {
        assert!(diff(json!({"a": 1.0}), json!({"a": 1.0000001, "b": 2}), 1e-6).is_empty());
        assert_eq!(diff(json!({"a": 1.0}), json!({"a": 1.01}), 1e-6).len(), 1);
        assert_eq!(
            diff(json!({"a": 1}), json!({"b": 1}), 1e-6),
            vec!["x.a: missing (expected 1)".to_string()]
        );
        assert!(diff(json!(0.0), json!(1e-13), 1e-9).is_empty());
        assert_eq!(diff(json!(0.0), json!(1e-6), 1e-9).len(), 1);
        assert_eq!(diff(json!("zone C"), json!("zone D"), 1.0).len(), 1);
        assert_eq!(diff(json!(1), json!("1"), 1.0).len(), 1);
    }

    #[test]
    fn lists_must_have_the_same_length_and_order() {
        assert_eq!(diff(json!([1, 2]), json!([1]), 0.0).len(), 1);
        assert_eq!(diff(json!([1, 2]), json!([2, 1]), 0.0).len(), 2);
        assert!(
            diff(
                json!([{"op": "raise"}]),
                json!([{"op": "raise", "type": "t"}]),
                0.0
            )
            .is_empty()
        );
    }

    #[test]
    fn the_comparison_names_every_difference() {
        let expect: Expect = serde_json::from_value(json!({
            "results": [0, null],
            "writes": [{"device": "d", "values": {"eff": 0.5}}],
            "kv": {"n": 2},
            "logs": ["hello"]
        }))
        .unwrap();
        let seen = Observed {
            results: vec![json!(0), json!("trap")],
            writes: vec![json!({"device": "d", "values": {"eff": 0.6}})],
            kv: serde_json::from_value(json!({"n": 2})).unwrap(),
            logs: vec!["hello world".into()],
            ..Observed::default()
        };
        let d = compare(&expect, &seen, 1e-6);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].starts_with("results[1]"));
        assert!(d[1].starts_with("writes[0].values.eff"));
    }

    #[test]
    fn fixtures_refuse_unknown_fields_and_read_grants_by_name() {
        let bad =
            serde_json::from_value::<Fixture>(json!({"devices": {}, "events": [], "expct": {}}));
        assert!(bad.is_err());
        let f: Fixture = serde_json::from_value(json!({
            "devices": {"p1": {"product": "pump"}, "p2": {"product": "pump"}, "f": {"product": "fan"}},
            "grant": ["models", {"kind": "http", "hosts": ["example.com"]}],
            "events": []
        }))
        .unwrap();
        assert_eq!(
            f.product_keys(),
            vec!["fan".to_string(), "pump".to_string()]
        );
        let manifest: AppManifest = serde_json::from_value(json!({
            "format": 1, "id": "a.b", "version": "1.0.0", "name": {"en": "A", "zh-CN": "甲"},
            "description": {"en": "A", "zh-CN": "甲"}, "publisher": "p",
            "modules": [{"name": "main", "path": "modules/main.wasm"}]
        }))
        .unwrap();
        let g = f.grant(&manifest).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[1].as_str(), "http");
    }
}
