//! tract against onnxruntime on the same network: random feature vectors over and beyond
//! the training ranges (`crosscheck_onnx.py`) go straight into the bearing-fault
//! classifier and the vibration autoencoder; the probabilities and the scores must agree
//! within 1e-5 (relative for a score) and the predicted class must be the same. (The features themselves and whole signals are compared in `crosscheck.rs`.)

#![cfg(feature = "onnx")]
// In tests a failed expect is a failed test, with the reason in the panic message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use ironloom_models::ml::{FEATURES, autoencoder_score, classify_bearing_features};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::process::Command;

#[derive(Deserialize)]
struct Output {
    packages: BTreeMap<String, String>,
    feature_vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    features: Vec<f64>,
    probabilities: Vec<f64>,
    label: usize,
    score: f64,
}

/// Largest allowed difference of a probability.
const TOLERANCE: f64 = 1e-5;

fn python() -> Option<String> {
    let found = std::env::var("IRONLOOM_MODELS_PYTHON").ok().filter(|py| {
        Command::new(py)
            .args(["-c", "import numpy, onnxruntime"])
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("IRONLOOM_REQUIRE_PEERS").is_none(),
            "IRONLOOM_REQUIRE_PEERS is set but $IRONLOOM_MODELS_PYTHON names no Python with numpy and onnxruntime"
        );
        println!(
            "SKIPPED: no reference Python (eval \"$(scripts/install-test-peers.sh)\" installs it)"
        );
    }
    found
}

#[test]
fn tract_agrees_with_onnxruntime_on_random_feature_vectors() {
    let Some(py) = python() else { return };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crosscheck_onnx.py");
    let out = Command::new(&py)
        .arg(&script)
        .output()
        .expect("run crosscheck_onnx.py");
    assert!(
        out.status.success(),
        "crosscheck_onnx.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data: Output = serde_json::from_slice(&out.stdout).expect("its output");
    assert!(data.feature_vectors.len() >= 100);
    let (mut worst, mut worst_score) = (0.0f64, 0.0f64);
    let mut failures = Vec::new();
    for v in &data.feature_vectors {
        let f: [f64; FEATURES] = v.features.as_slice().try_into().expect("7 features");
        let (p, label) = classify_bearing_features(&f).expect("tract runs the network");
        let diff = p
            .iter()
            .zip(&v.probabilities)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        worst = worst.max(diff);
        let score = autoencoder_score(&f).expect("tract runs the autoencoder");
        let rel = (score - v.score).abs() / v.score.abs().max(1e-6);
        worst_score = worst_score.max(rel);
        if rel > TOLERANCE {
            failures.push(format!(
                "{:?}: autoencoder score tract {score}, onnxruntime {}",
                v.features, v.score
            ));
        }
        // Two classes within the tolerance of each other may come out in either order.
        let tie = (p[label] - p[v.label]).abs() <= TOLERANCE;
        if diff > TOLERANCE || (label != v.label && !tie) {
            failures.push(format!(
                "{:?}: tract {p:?} class {label}, onnxruntime {:?} class {}",
                v.features, v.probabilities, v.label
            ));
        }
    }
    println!(
        "packages: {:?}; {} vectors, largest probability difference {worst:.2e}, \
         largest relative score difference {worst_score:.2e}",
        data.packages,
        data.feature_vectors.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
