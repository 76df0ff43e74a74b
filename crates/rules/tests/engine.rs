//! The engine's behaviour, message by message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ironloom_core::ids::{DeviceId, RuleId, TenantId};
use ironloom_core::rule::{Rule, RuleDoc, Severity};
use ironloom_core::telemetry::Value;
use ironloom_rules::{Effect, Engine, Message, MessageKind};
use serde_json::{Value as Json, json};

fn rule(tenant: TenantId, doc: Json) -> Rule {
    let document: RuleDoc = serde_json::from_value(doc).unwrap();
    assert_eq!(document.check(None), [], "the test rule is valid");
    Rule {
        id: RuleId::new(),
        tenant_id: tenant,
        version: 1,
        document,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    }
}

struct Dev {
    tenant: TenantId,
    id: DeviceId,
}

impl Dev {
    fn new(tenant: TenantId) -> Dev {
        Dev {
            tenant,
            id: DeviceId::new(),
        }
    }

    fn msg(&self, ts_s: i64, values: &[(&str, f64)]) -> Message {
        Message {
            tenant: self.tenant,
            device: self.id,
            device_name: "boiler-1".into(),
            product_key: "boiler".into(),
            groups: Arc::from(vec!["line-1".to_string()]),
            attributes: Arc::new(json!({"limit": 95}).as_object().unwrap().clone()),
            ts_ms: ts_s * 1000,
            kind: MessageKind::Telemetry(
                values
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::F64(*v)))
                    .collect(),
            ),
            origin: ironloom_core::ingest::Origin::Device,
            pos: None,
        }
    }
}

fn kinds(effects: &[Effect]) -> Vec<&'static str> {
    effects
        .iter()
        .map(|e| match e {
            Effect::RaiseAlarm { .. } => "raise",
            Effect::ClearAlarm { .. } => "clear",
            Effect::Command { .. } => "command",
            Effect::Webhook { .. } => "webhook",
            Effect::Republish { .. } => "republish",
            Effect::Telemetry { .. } => "telemetry",
            Effect::CallRule { .. } => "call",
            Effect::CallApp { .. } => "app",
        })
        .collect()
}

fn alarm_rule(t: TenantId, condition: Json) -> Rule {
    rule(
        t,
        json!({"name": "hot", "source": {"products": ["boiler"]}, "condition": condition,
               "actions": [{"type": "alarm", "alarm_type": "overheat", "severity": "major",
                            "details": {"temp": "temp"}}]}),
    )
}

#[test]
fn a_threshold_raises_repeats_and_clears_an_alarm() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let mut e = Engine::new();
    let r = alarm_rule(t, json!({"expr": "temp > 80"}));
    let id = r.id;
    e.set_rules(vec![r]);
    assert!(e.on_message(&d.msg(0, &[("temp", 70.0)])).is_empty());
    let fx = e.on_message(&d.msg(1, &[("temp", 85.0)]));
    assert_eq!(kinds(&fx), ["raise"]);
    let Effect::RaiseAlarm {
        severity,
        details,
        alarm_type,
        ..
    } = &fx[0]
    else {
        panic!()
    };
    assert_eq!(
        (severity, alarm_type.as_str(), details),
        (&Severity::Major, "overheat", &json!({"temp": 85}))
    );
    assert_eq!(
        kinds(&e.on_message(&d.msg(2, &[("temp", 90.0)]))),
        ["raise"]
    );
    assert_eq!(
        kinds(&e.on_message(&d.msg(3, &[("temp", 75.0)]))),
        ["clear"]
    );
    assert!(e.on_message(&d.msg(4, &[("temp", 70.0)])).is_empty());
    let c = e.counters(id);
    assert_eq!((c.evaluated, c.matched, c.actions, c.errors), (5, 2, 3, 0));
    // Another product's device is not watched.
    let mut other = d.msg(5, &[("temp", 99.0)]);
    other.product_key = "pump".into();
    assert!(e.on_message(&other).is_empty());
}

#[test]
fn durations_in_samples_and_in_time() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let mut e = Engine::new();
    e.set_rules(vec![alarm_rule(
        t,
        json!({"expr": "temp > 80", "for_samples": 3}),
    )]);
    assert!(e.on_message(&d.msg(0, &[("temp", 85.0)])).is_empty());
    assert!(e.on_message(&d.msg(1, &[("temp", 85.0)])).is_empty());
    assert_eq!(
        kinds(&e.on_message(&d.msg(2, &[("temp", 85.0)]))),
        ["raise"]
    );
    // Broken by one false sample: counting starts again.
    assert_eq!(
        kinds(&e.on_message(&d.msg(3, &[("temp", 70.0)]))),
        ["clear"]
    );
    assert!(e.on_message(&d.msg(4, &[("temp", 85.0)])).is_empty());

    let mut e = Engine::new();
    e.set_rules(vec![alarm_rule(
        t,
        json!({"expr": "temp > 80", "for_seconds": 10}),
    )]);
    assert!(e.on_message(&d.msg(100, &[("temp", 85.0)])).is_empty());
    assert!(e.on_message(&d.msg(105, &[("temp", 86.0)])).is_empty());
    assert_eq!(
        kinds(&e.on_message(&d.msg(111, &[("temp", 87.0)]))),
        ["raise"]
    );
    assert_eq!(
        kinds(&e.on_message(&d.msg(112, &[("temp", 60.0)]))),
        ["clear"]
    );
}

#[test]
fn sliding_and_tumbling_windows() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let mut e = Engine::new();
    e.set_rules(vec![rule(
        t,
        json!({"name": "avg", "source": {},
               "windows": [{"name": "avg_temp", "fn": "avg", "of": "temp", "seconds": 10}],
               "condition": {"expr": "avg_temp > 80"},
               "actions": [{"type": "telemetry", "property": "avg_temp", "expr": "avg_temp"}]}),
    )]);
    assert!(e.on_message(&d.msg(0, &[("temp", 70.0)])).is_empty());
    // (70 + 95) / 2 = 82.5
    let fx = e.on_message(&d.msg(5, &[("temp", 95.0)]));
    assert_eq!(kinds(&fx), ["telemetry"]);
    let Effect::Telemetry { value, .. } = &fx[0] else {
        panic!()
    };
    assert_eq!(value, &Value::F64(82.5));
    // At 12 s the window holds 5 s and 12 s: (95 + 60) / 2 = 77.5, false again.
    assert!(e.on_message(&d.msg(12, &[("temp", 60.0)])).is_empty());

    let mut e = Engine::new();
    e.set_rules(vec![rule(
        t,
        json!({"name": "max3", "source": {},
               "windows": [{"name": "peak", "fn": "max", "of": "temp", "kind": "tumbling", "count": 3}],
               "condition": {"expr": "peak > 90"},
               "actions": [{"type": "alarm", "alarm_type": "peak", "severity": "minor"}]}),
    )]);
    // The value is that of the last complete window of 3: none until the third sample.
    assert!(e.on_message(&d.msg(0, &[("temp", 95.0)])).is_empty());
    assert!(e.on_message(&d.msg(1, &[("temp", 70.0)])).is_empty());
    assert_eq!(
        kinds(&e.on_message(&d.msg(2, &[("temp", 70.0)]))),
        ["raise"]
    );
    assert_eq!(
        kinds(&e.on_message(&d.msg(3, &[("temp", 99.0)]))),
        ["raise"]
    );
    assert!(e.on_message(&d.msg(4, &[("temp", 70.0)])).len() == 1);
    // Window of 99, 70, 70 closes: still above; then 70, 70, 70: below, cleared.
    assert_eq!(
        kinds(&e.on_message(&d.msg(5, &[("temp", 70.0)]))),
        ["raise"]
    );
    e.on_message(&d.msg(6, &[("temp", 70.0)]));
    e.on_message(&d.msg(7, &[("temp", 70.0)]));
    assert_eq!(
        kinds(&e.on_message(&d.msg(8, &[("temp", 70.0)]))),
        ["clear"]
    );
}

#[test]
fn no_data_fires_once_per_silence_and_clears_on_the_next_message() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let mut e = Engine::new();
    e.set_rules(vec![rule(
        t,
        json!({"name": "silent", "source": {}, "condition": {"no_data_seconds": 60},
               "actions": [{"type": "alarm", "alarm_type": "no_data", "severity": "warning"}]}),
    )]);
    assert!(e.on_message(&d.msg(0, &[("temp", 1.0)])).is_empty());
    assert!(e.tick(30_000).is_empty());
    assert_eq!(kinds(&e.tick(61_000)), ["raise"]);
    assert!(e.tick(120_000).is_empty(), "once per silence");
    assert_eq!(
        kinds(&e.on_message(&d.msg(130, &[("temp", 1.0)]))),
        ["clear"]
    );
}

#[test]
fn rates_previous_latest_and_attributes() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let mut e = Engine::new();
    e.set_rules(vec![rule(
        t,
        json!({"name": "climb", "source": {"properties": ["temp"]},
               "condition": {"expr": "rate.temp > 1 && prev.temp < temp && latest.pressure > 2 && temp < attr.limit"},
               "actions": [{"type": "alarm", "alarm_type": "climb", "severity": "minor"}]}),
    )]);
    e.on_message(&d.msg(0, &[("pressure", 3.0)]));
    assert!(
        e.on_message(&d.msg(10, &[("temp", 50.0)])).is_empty(),
        "no previous value yet"
    );
    // +20 in 10 s = 2 /s
    assert_eq!(
        kinds(&e.on_message(&d.msg(20, &[("temp", 70.0)]))),
        ["raise"]
    );
    // Above attr.limit (95): false, cleared.
    assert_eq!(
        kinds(&e.on_message(&d.msg(30, &[("temp", 96.0)]))),
        ["clear"]
    );
}

#[test]
fn actions_run_once_per_firing_and_clear_when_holds_alarms_until_it_is_true() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let mut e = Engine::new();
    let r = rule(
        t,
        json!({"name": "cool", "source": {},
        "condition": {"expr": "temp > 80"},
        "actions": [
          {"type": "alarm", "alarm_type": "hot", "severity": "critical", "clear_when": "temp < 60"},
          {"type": "command", "properties": {"setpoint": "=temp - 20", "mode": "eco"}},
          {"type": "webhook", "url": "http://127.0.0.1:1/hook"},
          {"type": "republish", "topic": "alerts/hot"}
        ]}),
    );
    let rid = r.id;
    e.set_rules(vec![r]);
    let fx = e.on_message(&d.msg(0, &[("temp", 90.0)]));
    assert_eq!(kinds(&fx), ["raise", "command", "webhook", "republish"]);
    let Effect::Command { properties, .. } = &fx[1] else {
        panic!()
    };
    // Whole numbers go out as integers (an int property takes them).
    assert_eq!(properties.as_ref().unwrap()["setpoint"], json!(70));
    assert_eq!(properties.as_ref().unwrap()["mode"], json!("eco"));
    let Effect::Webhook {
        idempotency_key,
        body,
        ..
    } = &fx[2]
    else {
        panic!()
    };
    assert_eq!(idempotency_key, &format!("{rid}-{}-0", d.id));
    assert_eq!(body["values"]["temp"], 90.0);
    // While it holds: the alarm repeats, nothing else.
    assert_eq!(
        kinds(&e.on_message(&d.msg(1, &[("temp", 91.0)]))),
        ["raise"]
    );
    // Below 80 but not below 60: the alarm stays (hysteresis).
    assert!(e.on_message(&d.msg(2, &[("temp", 70.0)])).is_empty());
    assert_eq!(
        kinds(&e.on_message(&d.msg(3, &[("temp", 55.0)]))),
        ["clear"]
    );
}

#[test]
fn tenants_and_errors_stay_apart() {
    let (a, b) = (TenantId::new(), TenantId::new());
    let mut e = Engine::new();
    let r = alarm_rule(a, json!({"expr": "100 / (temp - 80) > 1"}));
    let id = r.id;
    e.set_rules(vec![r]);
    // B's device with the same product and values: A's rule never sees it.
    assert!(
        e.on_message(&Dev::new(b).msg(0, &[("temp", 90.0)]))
            .is_empty()
    );
    assert_eq!(e.counters(id).evaluated, 0);
    // Division by zero: an error of the rule, counted, the condition false.
    let d = Dev::new(a);
    assert!(e.on_message(&d.msg(0, &[("temp", 80.0)])).is_empty());
    let c = e.counters(id);
    assert_eq!(c.errors, 1);
    assert!(c.last_error.unwrap().contains("division by zero"));
    // Disabled rules do nothing, at once.
    let mut disabled = alarm_rule(a, json!({"expr": "temp > 0"}));
    disabled.document.enabled = false;
    e.set_rules(vec![disabled]);
    assert!(e.on_message(&d.msg(1, &[("temp", 90.0)])).is_empty());
}

#[test]
fn a_checkpoint_keeps_durations_windows_and_alarms_across_a_restart() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let r = rule(
        t,
        json!({"name": "hot", "source": {},
               "windows": [{"name": "avg3", "fn": "avg", "of": "temp", "count": 3}],
               "condition": {"expr": "avg3 > 80", "for_samples": 2},
               "actions": [{"type": "alarm", "alarm_type": "hot", "severity": "major"}]}),
    );
    let mut e = Engine::new();
    e.set_rules(vec![r.clone()]);
    // avg3 90 (holds once): not yet.
    assert!(e.on_message(&d.msg(0, &[("temp", 90.0)])).is_empty());
    let saved = serde_json::to_vec(&e.checkpoint()).unwrap();

    // A new engine with the same rule takes the checkpoint back: the second sample fires.
    let mut e2 = Engine::new();
    e2.set_rules(vec![r.clone()]);
    e2.restore(serde_json::from_slice(&saved).unwrap());
    let fx = e2.on_message(&d.msg(1, &[("temp", 90.0)]));
    assert_eq!(kinds(&fx), ["raise"]);
    // Without it, the count starts again.
    let mut cold = Engine::new();
    cold.set_rules(vec![r.clone()]);
    assert!(cold.on_message(&d.msg(1, &[("temp", 90.0)])).is_empty());

    // An alarm the store has active: the restarted engine clears it when the condition
    // ends, and does not fire its actions again while it still holds.
    let mut e3 = Engine::new();
    e3.set_rules(vec![r.clone()]);
    e3.restore_alarm(r.id, d.id, "hot");
    assert_eq!(e3.active_alarms(), [(r.id, d.id, "hot".to_string())]);
    assert!(e3.on_message(&d.msg(2, &[("temp", 95.0)])).is_empty());
    let before = e3.fired_total();
    // Still hot: a repeat of the alarm (the store updates it), not a new firing.
    assert_eq!(
        kinds(&e3.on_message(&d.msg(3, &[("temp", 95.0)]))),
        ["raise"]
    );
    assert_eq!(e3.fired_total(), before);
    let fx = e3.on_message(&d.msg(4, &[("temp", 20.0)]));
    assert_eq!(kinds(&fx), ["clear"]);
    assert!(e3.active_alarms().is_empty());
    // A user cleared it meanwhile: forgotten, nothing to clear.
    let mut e4 = Engine::new();
    e4.set_rules(vec![r.clone()]);
    e4.restore(serde_json::from_slice(&saved).unwrap());
    e4.restore_alarm(r.id, d.id, "hot");
    e4.forget_alarm(r.id, d.id, "hot");
    assert!(e4.active_alarms().is_empty());

    // A changed rule (new version) drops the old windows.
    let mut changed = r;
    changed.version = 2;
    let mut e5 = Engine::new();
    e5.set_rules(vec![changed]);
    e5.restore(serde_json::from_slice(&saved).unwrap());
    assert!(e5.on_message(&d.msg(1, &[("temp", 90.0)])).is_empty());
}

/// Cluster mode: a partition's state (its devices' windows, durations and latest values)
/// moves to another engine; the rest of that engine's state stays.
#[test]
fn a_partitions_state_moves_to_another_engine_and_no_other() {
    let t = TenantId::new();
    let (moved, stays) = (Dev::new(t), Dev::new(t));
    let r = rule(
        t,
        json!({"name": "hot", "source": {},
               "condition": {"expr": "temp > 80 && pressure > 1", "for_samples": 2},
               "actions": [{"type": "alarm", "alarm_type": "hot", "severity": "major"}]}),
    );
    let group = |d: DeviceId| u32::from(d != moved.id);
    let mut old = Engine::new();
    old.set_rules(vec![r.clone()]);
    // One sample of two for both devices; `pressure` only as a latest value.
    for d in [&moved, &stays] {
        assert!(old.on_message(&d.msg(0, &[("pressure", 2.0)])).is_empty());
        assert!(old.on_message(&d.msg(1, &[("temp", 90.0)])).is_empty());
    }
    let mut parts = old.checkpoint_groups(&group, &[0, 7]);
    assert_eq!(parts[1].0, 7);
    let (_, part) = parts.remove(0);
    let saved = serde_json::to_vec(&part).unwrap();
    // The new owner of group 0 had state for `moved` (stale) and for `stays` (its own).
    let mut new = Engine::new();
    new.set_rules(vec![r]);
    assert!(
        new.on_message(&stays.msg(0, &[("pressure", 2.0)]))
            .is_empty()
    );
    assert!(new.on_message(&stays.msg(1, &[("temp", 90.0)])).is_empty());
    assert!(
        new.on_message(&moved.msg(0, &[("pressure", 0.0)]))
            .is_empty()
    );
    new.restore_of(&|d| group(d) == 0, serde_json::from_slice(&saved).unwrap());
    // `moved` goes on where the old engine was: its second sample fires, `pressure` (2)
    // read from the latest values that came with it.
    assert_eq!(
        kinds(&new.on_message(&moved.msg(2, &[("temp", 95.0)]))),
        ["raise"]
    );
    // `stays` kept its own state: its second sample fires too.
    assert_eq!(
        kinds(&new.on_message(&stays.msg(2, &[("temp", 95.0)]))),
        ["raise"]
    );
}

#[test]
fn rules_call_rules_and_a_loop_of_calls_stops() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let first = rule(
        t,
        json!({"name": "first", "source": {"products": ["boiler"]},
               "condition": {"expr": "temp > 80"},
               "actions": [{"type": "rule", "rule": "second"}]}),
    );
    // `second` watches nothing by itself (another product); it runs only when called.
    let second = rule(
        t,
        json!({"name": "second", "source": {"products": ["other"]},
               "condition": {"expr": "temp > 85"},
               "actions": [{"type": "alarm", "alarm_type": "very_hot", "severity": "critical"}]}),
    );
    let mut e = Engine::new();
    e.set_rules(vec![first, second.clone()]);
    assert_eq!(
        kinds(&e.on_message(&d.msg(0, &[("temp", 90.0)]))),
        ["call", "raise"]
    );
    assert_eq!(e.counters(second.id).evaluated, 1);

    // A chain of calls longer than the limit stops there, as an error of the rule that
    // would go deeper. (A rule calling itself stops at once: it has fired already.)
    let chain: Vec<Rule> = (0..10)
        .map(|i| {
            let product = if i == 0 { "boiler" } else { "other" };
            rule(
                t,
                json!({"name": format!("c{i}"), "source": {"products": [product]},
                       "condition": {"expr": "true"},
                       "actions": [{"type": "rule", "rule": format!("c{}", i + 1)}]}),
            )
        })
        .collect();
    let (deepest, last) = (chain[ironloom_rules::MAX_CALL_DEPTH].id, chain[9].id);
    let mut e = Engine::new();
    e.set_rules(chain);
    let fx = e.on_message(&d.msg(0, &[("temp", 1.0)]));
    assert_eq!(fx.len(), ironloom_rules::MAX_CALL_DEPTH + 1);
    let c = e.counters(deepest);
    assert_eq!(c.errors, 1);
    assert!(c.last_error.unwrap().contains("deeper than"));
    assert_eq!(e.counters(last).evaluated, 0);
}

#[test]
fn a_trace_shows_each_step() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let mut e = Engine::with_trace();
    e.set_rules(vec![rule(
        t,
        json!({"name": "hot", "source": {},
               "windows": [{"name": "avg2", "fn": "avg", "of": "temp", "count": 2}],
               "condition": {"expr": "avg2 > 80 && attr.limit < 100", "for_samples": 2},
               "actions": [{"type": "alarm", "alarm_type": "hot", "severity": "major"}]}),
    )]);
    e.on_message(&d.msg(0, &[("temp", 90.0)]));
    e.on_message(&d.msg(1, &[("temp", 100.0)]));
    let steps = e.take_trace();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].message, 0);
    assert_eq!(steps[0].windows["avg2"], Some(90.0));
    assert_eq!(steps[0].variables["attr.limit"], json!(95));
    assert_eq!(steps[0].condition, json!(true));
    assert!(steps[0].holds && !steps[0].fired && steps[0].effects.is_empty());
    assert_eq!(steps[1].consecutive, 2);
    assert_eq!(steps[1].held_ms, Some(1000));
    assert!(steps[1].fired && steps[1].firing);
    assert_eq!(steps[1].effects[0]["action"], "alarm");
}

#[test]
fn values_not_there_yet_are_null_and_make_the_condition_false_without_an_error() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let r = rule(
        t,
        json!({"name": "jump", "source": {},
               "windows": [{"name": "max1s", "fn": "max", "of": "temp", "kind": "tumbling", "seconds": 1}],
               "condition": {"expr": "abs(temp - prev.temp) > 10 || max1s > 100 || attr.missing > 1"},
               "actions": [{"type": "alarm", "alarm_type": "jump", "severity": "minor"}]}),
    );
    let id = r.id;
    let guarded = rule(
        t,
        json!({"name": "guarded", "source": {},
               "condition": {"expr": "is_null(prev.temp) || latest.pressure == null"},
               "actions": [{"type": "alarm", "alarm_type": "first", "severity": "minor"}]}),
    );
    let gid = guarded.id;
    let mut e = Engine::new();
    e.set_rules(vec![r, guarded]);
    // No previous value, no complete bucket, no such attribute: false, no error.
    let fx = e.on_message(&d.msg(0, &[("temp", 50.0)]));
    assert_eq!(kinds(&fx), ["raise"], "only the guarded rule fires");
    assert_eq!(e.counters(id).errors, 0);
    assert_eq!(e.counters(gid).errors, 0);
    // Then a jump: the previous value is there (and the guarded rule repeats its alarm).
    assert_eq!(
        kinds(&e.on_message(&d.msg(0, &[("temp", 70.0)]))),
        ["raise", "raise"]
    );
    assert_eq!(e.counters(id).matched, 1);
}

#[test]
fn device_events_reach_rules_that_watch_them() {
    let t = TenantId::new();
    let d = Dev::new(t);
    let offline = rule(
        t,
        json!({"name": "offline", "source": {"events": ["disconnected"], "telemetry": false},
               "condition": {"expr": "event == \"disconnected\" && reason != \"normal\""},
               "actions": [{"type": "alarm", "alarm_type": "offline", "severity": "major",
                            "details": {"reason": "reason"}}]}),
    );
    let back = rule(
        t,
        json!({"name": "back", "source": {"events": ["connected"], "telemetry": false},
               "condition": {"expr": "true"},
               "actions": [{"type": "clear_alarm", "alarm_type": "offline"}]}),
    );
    let mut e = Engine::new();
    e.set_rules(vec![offline, back]);
    let event = |name: &str, data: Json| {
        let mut m = d.msg(5, &[]);
        m.kind = MessageKind::Event(name.into(), data);
        m
    };
    // Telemetry is not seen by either.
    assert!(e.on_message(&d.msg(0, &[("temp", 1.0)])).is_empty());
    let fx = e.on_message(&event(
        "disconnected",
        json!({"reason": "keep_alive_timeout"}),
    ));
    assert_eq!(kinds(&fx), ["raise"]);
    let Effect::RaiseAlarm { details, .. } = &fx[0] else {
        panic!()
    };
    assert_eq!(details["reason"], "keep_alive_timeout");
    assert_eq!(
        kinds(&e.on_message(&event("connected", json!({"transport": "mqtt 3.1.1"})))),
        ["clear"]
    );
    // A clean disconnect raises nothing (the rule only lets go of its alarm, which the
    // other rule cleared already: clearing it in the store again changes nothing).
    let fx = e.on_message(&event("disconnected", json!({"reason": "normal"})));
    assert!(!kinds(&fx).contains(&"raise"), "{fx:?}");
}

#[test]
fn the_engine_wants_the_devices_its_rules_read() {
    use ironloom_bus::Sources;
    let (a, b, c) = (TenantId::new(), TenantId::new(), TenantId::new());
    let by_product = |t, products: Json, devices: Json| {
        rule(
            t,
            json!({
                "name": "r", "source": {"products": products, "devices": devices},
                "condition": {"expr": "x > 1"},
                "actions": [{"type": "alarm", "alarm_type": "high", "severity": "minor"}]
            }),
        )
    };
    let mut e = Engine::new();
    e.set_rules(vec![
        by_product(a, json!(["pump"]), json!([])),
        by_product(a, json!([]), json!(["boiler-1"])),
        // A rule naming neither product nor device reads the whole tenant.
        by_product(b, json!(["pump"]), json!([])),
        by_product(b, json!([]), json!([])),
    ]);
    let sources: std::collections::HashMap<TenantId, Sources> = e.sources().collect();
    assert_eq!(sources.len(), 2, "tenant C has no rule: {sources:?}");
    assert!(!sources.contains_key(&c));
    let sa = &sources[&a];
    assert!(sa.covers("pump", "pump-7"));
    assert!(sa.covers("boiler", "boiler-1"));
    assert!(!sa.covers("boiler", "boiler-2"));
    assert_eq!(sources[&b], Sources::All);
}
