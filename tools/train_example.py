"""Train and export the shipped runnable example: examples/wdbc-cytology-mlp/.

A small multilayer perceptron that classifies breast fine-needle-aspirate cytology as benign or
malignant from the 30 nuclear features of the Wisconsin Diagnostic Breast Cancer data (UCI, CC BY
4.0; the copy bundled with scikit-learn). Everything the example card states about data, training
and performance is measured here and written to the example's evidence folder.

    pip install numpy scikit-learn onnx onnxruntime
    python tools/train_example.py

The output is deterministic for a given NumPy build: fixed seeds, full-batch training.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_breast_cancer

HERE = Path(__file__).resolve().parent.parent / "examples" / "wdbc-cytology-mlp"
SEED = 20240501
HIDDEN = 16
EPOCHS = 400
LR = 0.01
L2 = 1e-4


def split(y: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Stratified 60/20/20 split by class."""
    parts = {"train": [], "validation": [], "test": []}
    for cls in (0, 1):
        idx = rng.permutation(np.flatnonzero(y == cls))
        n = len(idx)
        a, b = int(round(n * 0.6)), int(round(n * 0.8))
        parts["train"] += idx[:a].tolist()
        parts["validation"] += idx[a:b].tolist()
        parts["test"] += idx[b:].tolist()
    return {k: np.array(sorted(v)) for k, v in parts.items()}


def forward(params, x):
    w1, b1, w2, b2 = params
    h = np.maximum(x @ w1 + b1, 0)
    z = h @ w2 + b2
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return h, e / e.sum(axis=1, keepdims=True)


def loss_and_grads(params, x, y):
    w1, b1, w2, b2 = params
    h, p = forward(params, x)
    n = len(x)
    onehot = np.eye(2)[y]
    loss = -np.mean(np.log(p[np.arange(n), y] + 1e-12)) + L2 * (np.sum(w1 ** 2) + np.sum(w2 ** 2))
    dz = (p - onehot) / n
    gw2 = h.T @ dz + 2 * L2 * w2
    gb2 = dz.sum(0)
    dh = dz @ w2.T * (h > 0)
    gw1 = x.T @ dh + 2 * L2 * w1
    gb1 = dh.sum(0)
    return loss, [gw1, gb1, gw2, gb2]


def auc(scores, y):
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    # average ranks for ties
    for s in np.unique(scores):
        tie = scores == s
        ranks[tie] = ranks[tie].mean()
    pos = y == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    data = load_breast_cancer()
    x_all = data.data.astype(np.float64)
    # scikit-learn codes malignant as 0; the model's class 1 is malignant.
    y_all = (data.target == 0).astype(int)
    rng = np.random.default_rng(SEED)
    parts = split(y_all, rng)
    xtr, ytr = x_all[parts["train"]], y_all[parts["train"]]
    mean, std = xtr.mean(0), xtr.std(0)
    norm = lambda x: (x - mean) / std  # noqa: E731

    params = [rng.normal(0, np.sqrt(2 / 30), (30, HIDDEN)), np.zeros(HIDDEN),
              rng.normal(0, np.sqrt(2 / HIDDEN), (HIDDEN, 2)), np.zeros(2)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    curves, best = [], (np.inf, None, -1)
    xv, yv = norm(x_all[parts["validation"]]), y_all[parts["validation"]]
    for epoch in range(1, EPOCHS + 1):
        loss, grads = loss_and_grads(params, norm(xtr), ytr)
        for i, g in enumerate(grads):  # Adam
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] = params[i] - LR * (m[i] / (1 - 0.9 ** epoch)) / (np.sqrt(v[i] / (1 - 0.999 ** epoch)) + 1e-8)
        val_loss, _ = loss_and_grads(params, xv, yv)
        curves.append({"epoch": epoch, "train_loss": round(float(loss), 6), "validation_loss": round(float(val_loss), 6)})
        if val_loss < best[0]:
            best = (val_loss, [p.copy() for p in params], epoch)
    params = best[1]

    results = {}
    for name in ("validation", "test"):
        idx = parts[name]
        _, p = forward(params, norm(x_all[idx]))
        score, y = p[:, 1], y_all[idx]
        pred = (score >= 0.5).astype(int)
        tp, fp = int(((pred == 1) & (y == 1)).sum()), int(((pred == 1) & (y == 0)).sum())
        tn, fn = int(((pred == 0) & (y == 0)).sum()), int(((pred == 0) & (y == 1)).sum())
        results[name] = {"n": len(idx), "malignant": int(y.sum()), "auc": round(float(auc(score, y)), 4),
                         "sensitivity": round(tp / (tp + fn), 4), "specificity": round(tn / (tn + fp), 4),
                         "accuracy": round((tp + tn) / len(idx), 4),
                         "confusion_matrix": {"true_positives": tp, "false_positives": fp,
                                              "true_negatives": tn, "false_negatives": fn}}

    # Perturbation test: each test feature multiplied by (1 + e), e ~ N(0, 0.05), 20 repeats.
    prng = np.random.default_rng(SEED + 1)
    xt, yt = x_all[parts["test"]], y_all[parts["test"]]
    aucs, sens = [], []
    for _ in range(20):
        _, p = forward(params, norm(xt * (1 + prng.normal(0, 0.05, xt.shape))))
        aucs.append(auc(p[:, 1], yt))
        pred = p[:, 1] >= 0.5
        sens.append((pred & (yt == 1)).sum() / (yt == 1).sum())
    results["perturbation"] = {"repeats": 20, "noise": "multiplicative N(0, 0.05)",
                               "mean_auc": round(float(np.mean(aucs)), 4), "min_auc": round(float(np.min(aucs)), 4),
                               "mean_sensitivity": round(float(np.mean(sens)), 4)}

    # ONNX graph: standardise, Gemm, Relu, Gemm, Softmax; the batch axis is symbolic.
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(f32(mean), "scaler.mean"), numpy_helper.from_array(f32(std), "scaler.std"),
             numpy_helper.from_array(f32(params[0]), "fc1.weight"), numpy_helper.from_array(f32(params[1]), "fc1.bias"),
             numpy_helper.from_array(f32(params[2]), "fc2.weight"), numpy_helper.from_array(f32(params[3]), "fc2.bias")]
    nodes = [helper.make_node("Sub", ["features", "scaler.mean"], ["centred"], name="scaler_sub"),
             helper.make_node("Div", ["centred", "scaler.std"], ["standardised"], name="scaler_div"),
             helper.make_node("Gemm", ["standardised", "fc1.weight", "fc1.bias"], ["hidden_pre"], name="fc1"),
             helper.make_node("Relu", ["hidden_pre"], ["hidden"], name="relu1"),
             helper.make_node("Gemm", ["hidden", "fc2.weight", "fc2.bias"], ["logits"], name="fc2"),
             helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1, name="softmax")]
    graph = helper.make_graph(
        nodes, "wdbc_cytology_mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 30])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 2]),
         helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", HIDDEN])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="modelcard-spec tools/train_example.py", producer_version="1.0.0",
                              ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    model_path = HERE / "model" / "wdbc_cytology_mlp_1.0.0.onnx"
    model_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, model_path)

    # Test vectors: the first eight test cases; expected outputs from a float32 NumPy forward pass.
    ev = HERE / "evidence"
    ev.mkdir(parents=True, exist_ok=True)
    xin = f32(x_all[parts["test"][:8]])
    h = np.maximum(((xin - f32(mean)) / f32(std)) @ f32(params[0]) + f32(params[1]), 0)
    z = h @ f32(params[2]) + f32(params[3])
    e = np.exp(z - z.max(1, keepdims=True))
    np.save(ev / "test_inputs.npy", xin)
    np.savez(ev / "test_expected.npz", probabilities=f32(e / e.sum(1, keepdims=True)), hidden=f32(h))
    for name, idx in parts.items():  # one sample index per line, as the split rule reads them
        (ev / f"split_{name}.txt").write_text("".join(f"wdbc-{i:03d}\n" for i in idx))
    (ev / "training_curves.json").write_text(json.dumps(curves, indent=1) + "\n")
    summary = {"seed": SEED, "epochs": EPOCHS, "best_epoch": best[2], "learning_rate": LR, "l2": L2,
               "parameters": int(sum(p.size for p in params) + 2 * 30), "results": results,
               "class_counts": {"malignant": int(y_all.sum()), "benign": int((1 - y_all).sum())},
               "split_sizes": {k: len(v) for k, v in parts.items()}}
    (ev / "performance.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    for f in sorted([model_path] + sorted(ev.iterdir())):
        print(f"{f.relative_to(HERE)}  {f.stat().st_size}  {sha256(f)}")
    print(json.dumps(summary, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
