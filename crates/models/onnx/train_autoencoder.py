"""Trains the vibration autoencoder and writes vibration_autoencoder.onnx (see
vibration_autoencoder.md).

Reproducible like train_bearing.py (fixed seeds, the same pinned packages):

    ~/.cache/ironloom-models-venv/bin/python crates/models/onnx/train_autoencoder.py

An autoencoder learns to reproduce the bearing-fault features (bearing_signals.py) of
sound bearings only, through a bottleneck of 3 units; a window unlike those (a defect of
any kind, or something none of the classifier's classes describes) comes back with a larger
error. The network is scikit-learn's MLPRegressor (7 → 6 → 3 → 6 → 7, tanh) fitted to
reproduce its standardised input; the ONNX graph (opset 17) holds the standardisation, the
network and the score, the mean squared difference between the standardised features and
their reconstruction; the alarm threshold, the 99th percentile of the score over the sound
validation windows (three digits), is written in the model's metadata (`threshold`).
"""

import hashlib
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime
import sklearn
from onnx import TensorProto, helper, numpy_helper
from sklearn.metrics import roc_auc_score
from sklearn.neural_network import MLPRegressor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bearing_signals import CLASSES, FEATURES, features, random_case  # noqa: E402

SEED = 1919
SOUND_TRAIN, SOUND_VAL, FAULTY_VAL = 1200, 400, 200
HIDDEN = (6, 3, 6)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vibration_autoencoder.onnx")


def draw(rng, cls, count):
    xs, strengths = [], []
    for _ in range(count):
        signal, fs, rpm, (z, d, pitch, angle), strength = random_case(rng, cls)
        xs.append(features(signal, fs, rpm, z, d, pitch, angle))
        strengths.append(strength)
    return np.array(xs), np.array(strengths)


def to_onnx(mean, scale, net):
    f32 = lambda a, name: numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)  # noqa: E731
    init = [f32(mean, "mean"), f32(scale, "scale")]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["standardised"]),
    ]
    prev = "standardised"
    layers = len(net.coefs_)
    for i, (w, b) in enumerate(zip(net.coefs_, net.intercepts_)):
        init += [f32(w, f"w{i}"), f32(b, f"b{i}")]
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"m{i}"]))
        last = i == layers - 1
        nodes.append(helper.make_node("Add", [f"m{i}", f"b{i}"], ["reconstruction" if last else f"a{i}"]))
        if not last:
            nodes.append(helper.make_node("Tanh", [f"a{i}"], [f"h{i}"]))
            prev = f"h{i}"
    nodes += [
        helper.make_node("Sub", ["reconstruction", "standardised"], ["error"]),
        helper.make_node("Mul", ["error", "error"], ["squared"]),
        helper.make_node("ReduceMean", ["squared"], ["score"], axes=[1], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "vibration_autoencoder",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", len(FEATURES)])],
        [
            helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"]),
            helper.make_tensor_value_info("reconstruction", TensorProto.FLOAT, ["N", len(FEATURES)]),
        ],
        init,
    )
    model = helper.make_model(
        graph,
        producer_name="ironloom crates/models/onnx/train_autoencoder.py",
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    model.doc_string = (
        "Autoencoder of the bearing-fault features of sound bearings (see vibration_autoencoder.md). "
        "Input: features " + ", ".join(FEATURES) + ". Output: score, the mean squared reconstruction "
        "error of the standardised features."
    )
    helper.set_model_props(model, {"features": ",".join(FEATURES)})
    onnx.checker.check_model(model)
    return model


def main():
    rng = np.random.default_rng(SEED)
    x_train, _ = draw(rng, 0, SOUND_TRAIN)
    x_sound, _ = draw(rng, 0, SOUND_VAL)
    faulty = {cls: draw(rng, cls, FAULTY_VAL) for cls in range(1, len(CLASSES))}
    mean, scale = x_train.mean(axis=0), x_train.std(axis=0)
    zt = (x_train - mean) / scale
    net = MLPRegressor(hidden_layer_sizes=HIDDEN, activation="tanh", alpha=1e-4, max_iter=5000, random_state=SEED)
    net.fit(zt, zt)
    model = to_onnx(mean, scale, net)
    data = model.SerializeToString()
    sess = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])

    def score(x):
        return sess.run(["score"], {"features": x.astype(np.float32)})[0].astype(float)

    z_sound = (x_sound - mean) / scale
    ref = np.mean((net.predict(z_sound) - z_sound) ** 2, axis=1)
    gap = float(np.max(np.abs(score(x_sound) - ref) / np.maximum(ref, 1e-3)))
    assert gap < 1e-4, gap
    s_sound = score(x_sound)
    # Three significant digits: the threshold is quoted on the card and in ml.rs.
    threshold = float(f"{np.quantile(s_sound, 0.99):.3g}")
    helper.set_model_props(model, {"features": ",".join(FEATURES), "threshold": repr(threshold)})
    data = model.SerializeToString()
    per_class, strengths_hit = {}, {}
    all_scores, all_labels = [s_sound], [np.zeros(len(s_sound))]
    for cls, (x, strength) in faulty.items():
        s = score(x)
        per_class[CLASSES[cls]] = round(float(np.mean(s > threshold)), 4)
        all_scores.append(s)
        all_labels.append(np.ones(len(s)))
        for lo, hi in ((1.5, 3.0), (3.0, 6.0), (6.0, 15.0)):
            sel = (strength >= lo) & (strength < hi)
            strengths_hit.setdefault(f"{lo}-{hi}", []).extend(list(s[sel] > threshold))
    with open(OUT, "wb") as f:
        f.write(data)
    report = {
        "packages": {
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
        "samples": {"sound_train": SOUND_TRAIN, "sound_validation": SOUND_VAL, "faulty_validation_per_class": FAULTY_VAL},
        "threshold_p99_sound_validation": threshold,
        "false_alarms_sound_validation": round(float(np.mean(s_sound > threshold)), 4),
        "median_score_sound_train": float(np.median(np.mean((net.predict(zt) - zt) ** 2, axis=1))),
        "detected_by_class": per_class,
        "detected_by_strength": {k: round(float(np.mean(v)), 4) for k, v in strengths_hit.items()},
        "roc_auc_sound_vs_faulty": round(float(roc_auc_score(np.concatenate(all_labels), np.concatenate(all_scores))), 4),
        "onnxruntime_vs_sklearn_max_rel": gap,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
