//! Entry points for fuzz targets, also run by the test suite over mutated inputs: a rule
//! document as the API receives it, checked, and when it passes, run by the engine over
//! messages and clock ticks made from the same bytes. Nothing may panic, and an
//! evaluation must stay bounded.
//!
//! A failed invariant panics on purpose: that is how a fuzzer reports it.
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use ironloom_core::ids::{DeviceId, RuleId, TenantId};
use ironloom_core::rule::{Rule, RuleDoc};
use ironloom_core::telemetry::Value;

use crate::engine::{Engine, Message, MessageKind};

/// Bytes → rule document → check → engine run (when the check passes).
pub fn fuzz_rule(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<RuleDoc>(data) else {
        return;
    };
    let problems = doc.check(None);
    for p in &problems {
        let _ = p.to_string();
    }
    if !problems.is_empty() {
        return;
    }
    let tenant = TenantId::new();
    let rule = Rule {
        id: RuleId::new(),
        tenant_id: tenant,
        version: 1,
        document: doc,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let names: Vec<String> = rule
        .document
        .windows
        .iter()
        .map(|w| w.of.clone())
        .chain(rule.document.source.properties.iter().cloned())
        .chain(["temp".to_string()])
        .collect();
    let mut engine = Engine::with_trace();
    engine.set_rules(vec![rule]);
    let device = DeviceId::new();
    let mut ts = 0i64;
    for b in data.iter().take(64) {
        ts += i64::from(*b) * 100;
        let x = f64::from(*b) - 100.0;
        let kind = if b % 7 == 0 {
            MessageKind::Event("disconnected".into(), serde_json::json!({"reason": "lost"}))
        } else {
            MessageKind::Telemetry(names.iter().map(|n| (n.clone(), Value::F64(x))).collect())
        };
        let m = Message {
            tenant,
            device,
            device_name: "d".into(),
            product_key: "p".into(),
            groups: Arc::from(vec!["g".to_string()]),
            attributes: Arc::new(serde_json::Map::new()),
            ts_ms: ts,
            kind,
            origin: ironloom_core::ingest::Origin::Device,
            pos: None,
        };
        for e in engine.on_message(&m) {
            let _ = e.to_json();
        }
        if b % 5 == 0 {
            let _ = engine.tick(ts + 3_600_000);
        }
    }
    let _ = engine.take_trace();
    let cp = serde_json::to_vec(&engine.checkpoint()).expect("a checkpoint serialises");
    let back: crate::engine::Checkpoint =
        serde_json::from_slice(&cp).expect("a checkpoint reads back");
    engine.restore(back);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_testkit::{Edit, Mutator, Rng};

    #[test]
    fn rule_documents_survive_mutations() {
        let doc = br#"{"name":"r","source":{"properties":["temp"],"events":["disconnected"]},
            "windows":[{"name":"w","fn":"stddev","of":"temp","kind":"tumbling","seconds":2},
                       {"name":"v","fn":"avg","of":"temp","count":3}],
            "condition":{"expr":"w > 1 && v < 50 || rate.temp > 2 || prev.temp == null","for_samples":2,"no_data_seconds":60},
            "actions":[{"type":"alarm","alarm_type":"a","severity":"major","clear_when":"temp < 0","details":{"x":"w * 2"}},
                       {"type":"command","properties":{"sp":"=v + 1"}},
                       {"type":"telemetry","property":"d","expr":"temp ^ 2"},
                       {"type":"rule","rule":"r"}]}"#;
        fuzz_rule(doc);
        // Characters of expressions and JSON written over the document: most mutations
        // still parse, so they reach the rule checks and the expression compiler.
        let alphabet: Vec<[u8; 1]> = b" 0123456789.+-*/()<>=!&|\"e,:{}[]"
            .iter()
            .map(|b| [*b])
            .collect();
        let mutator = Mutator::new()
            .edits(&[Edit::Overwrite])
            .dictionary(&alphabet)
            .max_edits(3);
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut ran = 0;
        for _ in 0..2000 {
            let d = mutator.mutate(&mut rng, doc);
            if serde_json::from_slice::<RuleDoc>(&d).is_ok() {
                ran += 1;
            }
            fuzz_rule(&d);
        }
        assert!(ran > 100, "mutations that still parse: {ran}");
    }
}
