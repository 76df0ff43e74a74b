//! The library against maintained open implementations on the same inputs, in the test
//! run: `crosscheck.py` (with `crosscheck_mech.py` for the plant, air, solar and
//! operations models) draws rows inside each model's valid region and computes them with
//! iapws, fluids, ht, PsychroLib, pvlib and scipy (in the interpreter
//! `$IRONLOOM_MODELS_PYTHON`, which `scripts/install-test-peers.sh` sets up); every row
//! must agree within its tolerance.

// In tests a failed expect is a failed test, with the reason in the panic message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use ironloom_core::model::{self, Catalogue, Given, OutputData};
use ironloom_models::Library;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::process::Command;

#[derive(Deserialize)]
struct Output {
    packages: BTreeMap<String, String>,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    model: String,
    /// Numbers, or arrays for series inputs.
    inputs: BTreeMap<String, Given>,
    /// Numbers, or arrays for series outputs (`null` for a gap).
    expect: BTreeMap<String, serde_json::Value>,
    rel: f64,
}

/// Pairs of (ours, reference) values of an output; `None` when the shapes differ or a
/// gap is not where the reference has one.
fn values(got: &OutputData, want: &serde_json::Value) -> Option<Vec<(f64, f64)>> {
    match (got, want) {
        (OutputData::Value(v), serde_json::Value::Number(w)) => Some(vec![(v.value, w.as_f64()?)]),
        (OutputData::Series { values, .. }, serde_json::Value::Array(ws))
            if values.len() == ws.len() =>
        {
            let mut out = Vec::new();
            for (g, w) in values.iter().zip(ws) {
                match (g, w.as_f64()) {
                    (None, None) if w.is_null() => {}
                    (Some(g), Some(w)) => out.push((*g, w)),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// The reference interpreter, or None (a skip, unless the peers are required).
fn python() -> Option<String> {
    let found = std::env::var("IRONLOOM_MODELS_PYTHON").ok().filter(|py| {
        Command::new(py)
            .args(["-c", "import iapws, fluids, ht, psychrolib, pvlib"])
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("IRONLOOM_REQUIRE_PEERS").is_none(),
            "IRONLOOM_REQUIRE_PEERS is set but $IRONLOOM_MODELS_PYTHON names no Python with iapws, fluids, ht, psychrolib and pvlib"
        );
        println!(
            "SKIPPED: no reference Python (eval \"$(scripts/install-test-peers.sh)\" installs it)"
        );
    }
    found
}

#[test]
fn models_agree_with_iapws_fluids_and_ht_on_random_inputs() {
    let Some(py) = python() else { return };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crosscheck.py");
    let out = Command::new(&py)
        .arg(&script)
        .output()
        .expect("run crosscheck.py");
    assert!(
        out.status.success(),
        "crosscheck.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data: Output = serde_json::from_slice(&out.stdout).expect("crosscheck.py output");
    let lib = Library::get();
    let mut failures = Vec::new();
    // Per model: rows compared and the largest relative difference.
    let mut seen: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for row in &data.rows {
        let card = lib.card(&row.model).expect("a model of the library");
        let ours = model::prepare_data(card, &row.inputs)
            .and_then(|x| lib.evaluate_data(card.id, x))
            .and_then(|y| model::present_data(card, y, &BTreeMap::new()));
        let ours = match ours {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{} {:?}: refused: {e}", row.model, row.inputs));
                continue;
            }
        };
        let entry = seen.entry(row.model.clone()).or_default();
        entry.0 += 1;
        for (name, want) in &row.expect {
            let Some(pairs) = ours.get(name.as_str()).and_then(|got| values(got, want)) else {
                failures.push(format!(
                    "{} {name}: the shape or the gaps differ",
                    row.model
                ));
                continue;
            };
            for (got, want) in pairs {
                // Relative to the value; near zero (a flag, an empty sum) to 1e-9.
                let rel = (got - want).abs() / want.abs().max(1e-9);
                entry.1 = entry.1.max(rel);
                if rel > row.rel {
                    failures.push(format!(
                        "{} {name}: ours {got}, reference {want} (rel {rel:.2e} > {})",
                        row.model, row.rel
                    ));
                }
            }
        }
    }
    println!("packages: {:?}", data.packages);
    for (model, (n, worst)) in &seen {
        println!("{model}: {n} rows, largest relative difference {worst:.2e}");
    }
    assert!(seen.len() >= 10, "rows for only {} models", seen.len());
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
