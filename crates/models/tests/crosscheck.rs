//! The library against maintained open implementations on the same inputs, in the test
//! run: `crosscheck.py` (with `crosscheck_mech.py` for the plant, air, solar and
//! operations models) draws rows inside each model's valid region and computes them with
//! iapws, fluids, ht, PsychroLib, pvlib and scipy, `crosscheck_algorithms.py` (with the
//! second half it runs, `crosscheck_algorithms_more.py`) does the same for the data
//! algorithms with numpy, scipy, pandas, statsmodels, scikit-learn, ruptures, PyWavelets,
//! dtaidistance and pymannkendall, `crosscheck_text.py` and `crosscheck_arima.py` for text
//! analysis (scikit-learn) and ARIMA (statsmodels), and with the feature `onnx`
//! `crosscheck_onnx.py` runs the trained models with onnxruntime (in the interpreter
//! `$IRONLOOM_MODELS_PYTHON`, which `scripts/install-test-peers.sh` sets up); every row
//! must agree within its tolerance.

// In tests a failed expect is a failed test, with the reason in the panic message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use ironloom_core::model::{self, Catalogue, Given, ModelKind, OutputData};
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
    /// An absolute allowance beside `rel`, for outputs that cross zero (a filtered
    /// signal): a value passes within `rel`·|reference| + `abs`.
    #[serde(default)]
    abs: f64,
    /// For a randomised algorithm: its ranking of labelled anomalies instead of values.
    #[serde(default)]
    auc: Option<AucCheck>,
}

/// The ROC-AUC of an output series against labels (1: anomaly) must reach `at_least`
/// (the reference's AUC less the stated allowance).
#[derive(Deserialize)]
struct AucCheck {
    output: String,
    labels: Vec<f64>,
    at_least: f64,
}

/// The ROC-AUC of scores against 0/1 labels (the Mann–Whitney statistic, ties counted
/// half).
fn auc(scores: &[f64], labels: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            ranks[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&l| l == 1.0).count() as f64;
    let neg = labels.len() as f64 - pos;
    let sum: f64 = ranks
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l == 1.0)
        .map(|(r, _)| r)
        .sum();
    (sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
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

/// What the scripts import.
const IMPORTS: &str = if cfg!(feature = "onnx") {
    "import iapws, fluids, ht, psychrolib, pvlib, numpy, scipy, pandas, statsmodels, \
     sklearn, ruptures, pywt, dtaidistance, pymannkendall, onnxruntime"
} else {
    "import iapws, fluids, ht, psychrolib, pvlib, numpy, scipy, pandas, statsmodels, \
     sklearn, ruptures, pywt, dtaidistance, pymannkendall"
};

/// The scripts, each printing `{"packages", "rows"}`; the trained models' only with the
/// runtime that runs them here.
const SCRIPTS: &[&str] = if cfg!(feature = "onnx") {
    &[
        "tests/crosscheck.py",
        "tests/crosscheck_algorithms.py",
        "tests/crosscheck_text.py",
        "tests/crosscheck_arima.py",
        "tests/crosscheck_onnx.py",
    ]
} else {
    &[
        "tests/crosscheck.py",
        "tests/crosscheck_algorithms.py",
        "tests/crosscheck_text.py",
        "tests/crosscheck_arima.py",
    ]
};

/// Trained models, evaluated only with the feature `onnx`.
fn needs_onnx(id: &str) -> bool {
    id.starts_with("ml.") && !cfg!(feature = "onnx")
}

/// The reference interpreter, or None (a skip, unless the peers are required).
fn python() -> Option<String> {
    let found = std::env::var("IRONLOOM_MODELS_PYTHON").ok().filter(|py| {
        Command::new(py)
            .args(["-c", IMPORTS])
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("IRONLOOM_REQUIRE_PEERS").is_none(),
            "IRONLOOM_REQUIRE_PEERS is set but $IRONLOOM_MODELS_PYTHON names no Python with the reference packages ({IMPORTS})"
        );
        println!(
            "SKIPPED: no reference Python (eval \"$(scripts/install-test-peers.sh)\" installs it)"
        );
    }
    found
}

#[test]
fn models_agree_with_the_reference_packages_on_random_inputs() {
    let Some(py) = python() else { return };
    let mut packages = BTreeMap::new();
    let mut rows = Vec::new();
    for name in SCRIPTS {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
        let out = Command::new(&py)
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("run {name}: {e}"));
        assert!(
            out.status.success(),
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let data: Output =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name} output: {e}"));
        packages.extend(data.packages);
        rows.extend(data.rows);
    }
    let lib = Library::get();
    let mut failures = Vec::new();
    // Per model: rows compared and the largest relative difference.
    let mut seen: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for row in &rows {
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
        if let Some(check) = &row.auc {
            let scores: Vec<f64> = match ours.get(check.output.as_str()) {
                Some(OutputData::Series { values, .. }) => {
                    values.iter().map(|v| v.unwrap_or(f64::NAN)).collect()
                }
                _ => Vec::new(),
            };
            let got = auc(&scores, &check.labels);
            println!(
                "{}: ROC-AUC {got:.4}, reference less allowance {:.4}",
                row.model, check.at_least
            );
            if scores.len() != check.labels.len() || got.is_nan() || got < check.at_least {
                failures.push(format!(
                    "{} {}: ROC-AUC {got:.4} below {:.4}",
                    row.model, check.output, check.at_least
                ));
            }
        }
        for (name, want) in &row.expect {
            // Texts (keywords, labels) must be the same, in the same order.
            if let Some(OutputData::Texts { texts }) = ours.get(name.as_str()) {
                let same = want.as_array().is_some_and(|ws| {
                    ws.len() == texts.len()
                        && ws.iter().zip(texts).all(|(w, g)| w.as_str() == Some(g))
                });
                if !same {
                    failures.push(format!(
                        "{} {name}: ours {texts:?}, reference {want}",
                        row.model
                    ));
                }
                continue;
            }
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
                if rel > row.rel && (got - want).abs() > row.rel * want.abs() + row.abs {
                    failures.push(format!(
                        "{} {name}: ours {got}, reference {want} (rel {rel:.2e} > {})",
                        row.model, row.rel
                    ));
                }
            }
        }
    }
    println!("packages: {packages:?}");
    for (model, (n, worst)) in &seen {
        println!("{model}: {n} rows, largest relative difference {worst:.2e}");
    }
    assert!(seen.len() >= 10, "rows for only {} models", seen.len());
    // Every data algorithm is compared with a third-party implementation, but for these
    // older ones (closed-form chart limits and counts, checked by their vectors).
    const VECTORS_ONLY: &[&str] = &[
        "dq.completeness",
        "quality.cp_cpk",
        "spc.c_chart",
        "spc.cusum_series",
        "spc.individuals_mr_limits",
        "spc.np_chart",
        "spc.p_chart",
        "spc.u_chart",
        "spc.xbar_r_limits",
        "spc.xbar_s_limits",
    ];
    let unchecked: Vec<&str> = lib
        .cards()
        .iter()
        .filter(|c| c.kind == ModelKind::Algorithm && !VECTORS_ONLY.contains(&c.id))
        .map(|c| c.id)
        .filter(|id| !seen.contains_key(*id) && !needs_onnx(id))
        .collect();
    assert!(
        unchecked.is_empty(),
        "data algorithms without cross-check rows: {unchecked:?}"
    );
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
