"""Reference values for the trained (ONNX) models: onnxruntime on the same network.

Run by `tests/crosscheck.rs` (rows through the library, as the other scripts) and by
`tests/onnx.rs` (feature vectors straight into the network) with the interpreter of the
models' reference environment (numpy and onnxruntime, which scripts/install-test-peers.sh
pins). It prints `{"packages", "rows", "feature_vectors"}`:

* rows: synthetic vibration signals of every class (crates/models/onnx/bearing_signals.py),
  their features computed by numpy (compared with the Rust features to 1e-9) and the
  network's probabilities and class by onnxruntime (to 1e-5, tract running the network);
* feature_vectors: random feature vectors over and beyond the training ranges with
  onnxruntime's probabilities and label, and the autoencoder's score.

The same for the autoencoder (ml.vibration_autoencoder): its score to 1e-5, its threshold
as its metadata states it.
"""

import json
import math
import os
import sys
from importlib.metadata import version

import numpy as np
import onnxruntime

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "onnx"))
from bearing_signals import FEATURES, features, random_bearing, synthesize  # noqa: E402

rng = np.random.default_rng(20261219)
session = onnxruntime.InferenceSession(
    os.path.join(here, "..", "onnx", "bearing_fault.onnx"), providers=["CPUExecutionProvider"]
)
autoencoder = onnxruntime.InferenceSession(
    os.path.join(here, "..", "onnx", "vibration_autoencoder.onnx"), providers=["CPUExecutionProvider"]
)
THRESHOLD = float(autoencoder.get_modelmeta().custom_metadata_map["threshold"])
MODEL = "ml.bearing_fault_classifier"
AUTOENCODER = "ml.vibration_autoencoder"
OUT_FEATURES = ["ln_kurtosis", "crest_db", "env_bpfo_db", "env_bpfi_db", "env_2bsf_db", "env_fr_db", "env_ftf_db"]
assert len(OUT_FEATURES) == len(FEATURES)
PROBS = ["p_normal", "p_outer", "p_inner", "p_ball"]


def run(f):
    prob, label = session.run(None, {"features": np.asarray(f, dtype=np.float32).reshape(1, -1)})
    return [float(p) for p in prob[0]], int(label[0])


def score(f):
    return float(autoencoder.run(["score"], {"features": np.asarray(f, dtype=np.float32).reshape(1, -1)})[0][0])


rows = []
for i in range(8):
    cls = i % 4
    fs = float(rng.choice([12000.0, 25600.0]))
    rpm = float(rng.uniform(900.0, 3600.0))
    z, d, pitch, angle = random_bearing(rng)
    x, _ = synthesize(rng, cls, fs, rpm, (z, d, pitch, angle), rng.uniform(5.5, 8.0))
    x = np.round(x, 6)
    f = features(x, fs, rpm, z, d, pitch, angle)
    prob, label = run(f)
    inputs = {"x": [float(v) for v in x], "fs": fs, "speed": rpm, "z": z, "d": d, "pitch": pitch, "angle": angle}
    rows.append({"model": MODEL, "inputs": inputs, "expect": dict(zip(OUT_FEATURES, map(float, f))), "rel": 1e-9, "abs": 1e-9})
    rows.append(
        {"model": MODEL, "inputs": inputs, "expect": {**dict(zip(PROBS, prob)), "class": label}, "rel": 1e-5, "abs": 1e-6}
    )
    sc = score(f)
    if abs(sc - THRESHOLD) > 1e-4:  # an alarm flag right at the threshold could go either way
        expect = {"score": sc, "threshold": THRESHOLD, "alarm": float(sc > THRESHOLD)}
        rows.append({"model": AUTOENCODER, "inputs": inputs, "expect": expect, "rel": 1e-5, "abs": 1e-6})

# Over the training ranges (train_bearing.py's report) and a quarter beyond each end.
lo = np.array([-0.3, 9.1, -0.9, 0.5, -3.4, -3.7, -7.4])
hi = np.array([1.9, 21.8, 39.8, 39.8, 36.4, 32.7, 29.6])
span = hi - lo
vectors = []
for _ in range(300):
    f = np.asarray(rng.uniform(lo - span / 4, hi + span / 4), dtype=np.float32)
    prob, label = run(f)
    vectors.append({"features": [float(v) for v in f], "probabilities": prob, "label": label, "score": score(f)})

assert all(math.isfinite(v) for r in rows for v in r["expect"].values())
json.dump(
    {"packages": {p: version(p) for p in ["numpy", "onnxruntime"]}, "rows": rows, "feature_vectors": vectors},
    sys.stdout,
)
