"""Test vectors of the trained (ONNX) models: `vectors/ml.json`.

    $IRONLOOM_MODELS_PYTHON crates/models/tests/make_vectors_ml.py

One synthetic signal of each class (crates/models/onnx/bearing_signals.py, a 6205 bearing
at 3600 r/min sampled at 12 kHz, 8 revolutions; the first seed the classifier gets right),
its features by numpy and the networks' outputs (classifier, autoencoder) by onnxruntime;
and windows they refuse.
"""

import json
import os
import sys
from importlib.metadata import version

import numpy as np
import onnxruntime

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "onnx"))
from bearing_signals import CLASSES, features, synthesize  # noqa: E402

MODEL = "ml.bearing_fault_classifier"
NAMES = ["ln_kurtosis", "crest_db", "env_bpfo_db", "env_bpfi_db", "env_2bsf_db", "env_fr_db", "env_ftf_db"]
PROBS = ["p_normal", "p_outer", "p_inner", "p_ball"]
BEARING = (9, 7.94, 39.04, 0.0)
FS, RPM = 12000.0, 3600.0

session = onnxruntime.InferenceSession(
    os.path.join(here, "..", "onnx", "bearing_fault.onnx"), providers=["CPUExecutionProvider"]
)
autoencoder = onnxruntime.InferenceSession(
    os.path.join(here, "..", "onnx", "vibration_autoencoder.onnx"), providers=["CPUExecutionProvider"]
)
THRESHOLD = float(autoencoder.get_modelmeta().custom_metadata_map["threshold"])
source = (
    f"computed: onnxruntime {version('onnxruntime')} on features by numpy {version('numpy')} "
    "(crates/models/onnx/bearing_signals.py), synthetic {} signal, seed {}"
)
cases = []
for cls in range(len(CLASSES)):
    # The first seed from 1 whose signal the network classifies right (a clear example).
    for seed in range(1, 100):
        rng = np.random.default_rng(seed)
        x, _ = synthesize(rng, cls, FS, RPM, BEARING, 8.0)
        x = np.round(x, 4)
        f = features(x, FS, RPM, *BEARING)
        prob, label = session.run(None, {"features": f.astype(np.float32).reshape(1, -1)})
        if int(label[0]) == cls:
            break
    cases.append(
        {
            "model": MODEL,
            "source": source.format(CLASSES[cls], seed),
            "inputs": {"x": [float(v) for v in x], "fs": FS, "speed": RPM},
            "expect": {**dict(zip(NAMES, map(float, f))), **dict(zip(PROBS, map(float, prob[0]))), "class": cls},
            "rel": 1e-6,
            "abs": 1e-6,
        }
    )
    (score,) = autoencoder.run(["score"], {"features": f.astype(np.float32).reshape(1, -1)})[0]
    cases.append(
        {
            "model": "ml.vibration_autoencoder",
            "source": source.format(CLASSES[cls], seed) + "; threshold from the model's metadata",
            "inputs": {"x": [float(v) for v in x], "fs": FS, "speed": RPM},
            "expect": {"score": float(score), "threshold": THRESHOLD, "alarm": float(score > THRESHOLD)},
            "rel": 1e-5,
            "abs": 1e-6,
        }
    )
short = [float(v) for v in np.round(np.random.default_rng(5).normal(0, 1, 400), 4)]
refusals = [
    # 400 samples at 12 kHz are 2 revolutions at 3600 r/min.
    {"model": MODEL, "inputs": {"x": short, "fs": FS, "speed": RPM}, "code": "model_refused"},
    # At 2 kHz, 2·BPFI·1.02 = 2·325 Hz·1.02 is above f_s/8 = 250 Hz.
    {"model": MODEL, "inputs": {"x": short, "fs": 2000.0, "speed": RPM}, "code": "model_refused"},
    # A constant signal has no shape.
    {"model": MODEL, "inputs": {"x": [1.0] * 1600, "fs": FS, "speed": RPM}, "code": "model_refused"},
    {"model": "ml.vibration_autoencoder", "inputs": {"x": short, "fs": FS, "speed": RPM}, "code": "model_refused"},
]
with open(os.path.join(here, "..", "vectors", "ml.json"), "w") as out:
    json.dump({"cases": cases, "refusals": refusals}, out)
