"""Trains the bearing-fault classifier and writes bearing_fault.onnx (see bearing_fault.md).

Reproducible: fixed seeds, pinned packages (numpy, scikit-learn, onnx and onnxruntime at
the versions scripts/install-test-peers.sh installs in the models' environment):

    ~/.cache/ironloom-models-venv/bin/python crates/models/onnx/train_bearing.py

The data are synthetic (bearing_signals.py). The classifier is scikit-learn's
MLPClassifier on standardised features; its weights are written as a plain ONNX graph
(Sub, Div, MatMul, Add, Relu, MatMul, Add, Softmax, ArgMax; opset 17, no ai.onnx.ml
operators) so any ONNX runtime, tract included, runs it. The script checks onnxruntime's
probabilities against scikit-learn's before writing, and prints the validation accuracy
and confusion matrix the data card quotes.
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
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bearing_signals import CLASSES, FEATURES, features, random_case  # noqa: E402

SEED = 19
PER_CLASS = 600
HIDDEN = 16
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bearing_fault.onnx")


def dataset():
    rng = np.random.default_rng(SEED)
    xs, ys, strengths = [], [], []
    for i in range(PER_CLASS):
        for cls in range(len(CLASSES)):
            signal, fs, rpm, (z, d, pitch, angle), strength = random_case(rng, cls)
            xs.append(features(signal, fs, rpm, z, d, pitch, angle))
            ys.append(cls)
            strengths.append(strength)
    return np.array(xs), np.array(ys), np.array(strengths)


def to_onnx(mean, scale, clf):
    (w1, w2), (b1, b2) = clf.coefs_, clf.intercepts_
    f32 = lambda a, name: numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)  # noqa: E731
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["standardised"]),
        helper.make_node("MatMul", ["standardised", "w1"], ["h1"]),
        helper.make_node("Add", ["h1", "b1"], ["h1b"]),
        helper.make_node("Relu", ["h1b"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "w2"], ["h2"]),
        helper.make_node("Add", ["h2", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "bearing_fault",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", len(FEATURES)])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(CLASSES)]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        ],
        [f32(mean, "mean"), f32(scale, "scale"), f32(w1, "w1"), f32(b1, "b1"), f32(w2, "w2"), f32(b2, "b2")],
    )
    model = helper.make_model(
        graph,
        producer_name="ironloom crates/models/onnx/train_bearing.py",
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    model.doc_string = (
        "Rolling-bearing fault classifier trained on synthetic vibration (see bearing_fault.md). "
        "Input: features " + ", ".join(FEATURES) + ". Classes: " + ", ".join(CLASSES) + "."
    )
    helper.set_model_props(model, {"classes": ",".join(CLASSES), "features": ",".join(FEATURES)})
    onnx.checker.check_model(model)
    return model


def main():
    x, y, strength = dataset()
    x_train, x_val, y_train, y_val, _, s_val = train_test_split(
        x, y, strength, test_size=0.25, random_state=SEED, stratify=y
    )
    mean, scale = x_train.mean(axis=0), x_train.std(axis=0)
    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-3, max_iter=3000, random_state=SEED)
    clf.fit((x_train - mean) / scale, y_train)
    pred = clf.predict((x_val - mean) / scale)
    acc = accuracy_score(y_val, pred)
    train_acc = accuracy_score(y_train, clf.predict((x_train - mean) / scale))
    model = to_onnx(mean, scale, clf)
    data = model.SerializeToString()
    sess = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    prob, label = sess.run(None, {"features": x_val.astype(np.float32)})
    ref = clf.predict_proba((x_val - mean) / scale)
    gap = float(np.max(np.abs(prob - ref)))
    assert gap < 1e-5, gap
    assert (label == pred).mean() > 0.999
    with open(OUT, "wb") as f:
        f.write(data)
    report = {
        "packages": {
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
        "samples": {"train": len(y_train), "validation": len(y_val)},
        "train_accuracy": round(train_acc, 4),
        "validation_accuracy": round(acc, 4),
        "confusion_validation": confusion_matrix(y_val, pred).tolist(),
        # Defects by impact strength (peak impact over the noise's standard deviation).
        "validation_accuracy_by_strength": {
            f"{lo}-{hi}": round(accuracy_score(y_val[sel], pred[sel]), 4)
            for lo, hi in ((1.5, 3.0), (3.0, 6.0), (6.0, 15.0))
            for sel in [(s_val >= lo) & (s_val < hi)]
        },
        "onnxruntime_vs_sklearn_max_abs": gap,
        "feature_ranges": {
            f: [round(float(lo), 2), round(float(hi), 2)] for f, lo, hi in zip(FEATURES, x.min(0), x.max(0))
        },
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
