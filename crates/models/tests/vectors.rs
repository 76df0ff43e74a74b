//! Runs every test vector in `vectors/`: each case through the same path the API takes
//! (inputs in the caller's units, converted and range-checked; outputs in the units asked
//! for), compared within the case's relative tolerance; each refusal by its code.

// In tests a failed expect is a failed test, with the reason in the panic message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use ironloom_core::model::{self, Catalogue, Given, ModelError, OutputData};
use ironloom_models::Library;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
struct File {
    cases: Vec<Case>,
    #[serde(default)]
    refusals: Vec<RefusalCase>,
}

#[derive(Deserialize)]
struct Case {
    model: String,
    source: String,
    inputs: BTreeMap<String, Given>,
    #[serde(default)]
    units: BTreeMap<String, String>,
    /// A number, or for a series output an array (`null` where the output has a gap).
    expect: BTreeMap<String, serde_json::Value>,
    rel: f64,
    /// An absolute allowance beside `rel`, for series outputs that cross zero.
    #[serde(default)]
    abs: f64,
}

#[derive(Deserialize)]
struct RefusalCase {
    model: String,
    inputs: BTreeMap<String, Given>,
    code: String,
}

fn invoke(
    id: &str,
    inputs: &BTreeMap<String, Given>,
    units: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, OutputData>, ModelError> {
    let lib = Library::get();
    let card = lib
        .card(id)
        .ok_or_else(|| ModelError::UnknownModel(id.into()))?;
    let x = model::prepare_data(card, inputs)?;
    let y = lib.evaluate_data(id, x)?;
    model::present_data(card, y, units)
}

/// Whether an output matches its expectation within `rel`·|expected| + `abs` (a gap
/// matches `null`).
fn close(got: Option<&OutputData>, want: &serde_json::Value, rel: f64, abs: f64) -> bool {
    // An expected 0 (an empty spectral bin, a flag) allows rounding noise of 1e-12.
    let near = |g: f64, w: f64| {
        if w == 0.0 {
            g.abs() <= 1e-12_f64.max(abs)
        } else {
            (g - w).abs() <= rel * w.abs() + abs
        }
    };
    match (got, want) {
        (Some(OutputData::Value(v)), serde_json::Value::Number(w)) => {
            w.as_f64().is_some_and(|w| near(v.value, w))
        }
        (Some(OutputData::Series { values, .. }), serde_json::Value::Array(ws)) => {
            values.len() == ws.len()
                && values.iter().zip(ws).all(|(g, w)| match (g, w.as_f64()) {
                    (None, None) => w.is_null(),
                    (Some(g), Some(w)) => near(*g, w),
                    _ => false,
                })
        }
        // Texts match exactly.
        (Some(OutputData::Texts { texts }), serde_json::Value::Array(ws)) => {
            texts.len() == ws.len() && texts.iter().zip(ws).all(|(g, w)| w.as_str() == Some(g))
        }
        _ => false,
    }
}

fn files() -> Vec<(String, File)> {
    // `IRONLOOM_VECTORS_DIR` runs one built test against another checkout's vectors.
    let dir = std::env::var_os("IRONLOOM_VECTORS_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors"),
        std::path::PathBuf::from,
    );
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("vectors directory") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable vector file");
        let file: File =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((path.display().to_string(), file));
    }
    out
}

#[test]
fn every_vector_matches_its_source() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (path, file) in files() {
        // Trained models run only with the feature `onnx` (their cards are listed anyway).
        for c in file
            .cases
            .iter()
            .filter(|c| cfg!(feature = "onnx") || !c.model.starts_with("ml."))
        {
            count += 1;
            match invoke(&c.model, &c.inputs, &c.units) {
                Err(e) => failures.push(format!("{path}: {} ({}): {e}", c.model, c.source)),
                Ok(out) => {
                    for (name, want) in &c.expect {
                        let got = out.get(name.as_str());
                        if !close(got, want, c.rel, c.abs) {
                            failures.push(format!(
                                "{path}: {} {name}: got {got:?}, want {want} (rel {}; {})",
                                c.model, c.rel, c.source
                            ));
                        }
                    }
                }
            }
        }
        for r in &file.refusals {
            if !cfg!(feature = "onnx") && r.model.starts_with("ml.") {
                continue;
            }
            match invoke(&r.model, &r.inputs, &BTreeMap::new()) {
                Ok(out) => failures.push(format!(
                    "{path}: {} accepted {:?}: {out:?}",
                    r.model, r.inputs
                )),
                Err(e) if e.code() != r.code => failures.push(format!(
                    "{path}: {}: {e} is {}, want {}",
                    r.model,
                    e.code(),
                    r.code
                )),
                Err(_) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_model_has_at_least_three_cases_with_sources() {
    let mut cases: BTreeMap<String, usize> = BTreeMap::new();
    for (_, file) in files() {
        for c in file.cases {
            assert!(
                ["published:", "computed:", "hand:"]
                    .iter()
                    .any(|p| c.source.starts_with(p)),
                "{}: the source must say published:, computed: or hand: ({})",
                c.model,
                c.source
            );
            *cases.entry(c.model).or_default() += 1;
        }
    }
    let ids: BTreeSet<&str> = Library::get().cards().iter().map(|c| c.id).collect();
    for id in &ids {
        let n = cases.get(*id).copied().unwrap_or(0);
        assert!(n >= 3, "{id} has {n} test cases, needs at least 3");
    }
    for id in cases.keys() {
        assert!(
            ids.contains(id.as_str()),
            "vectors name an unknown model {id}"
        );
    }
}
