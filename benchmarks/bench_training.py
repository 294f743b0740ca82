"""Training and prediction speed of DropoutMLPClassifier against baselines.

Run: ``python benchmarks/bench_training.py [--quick]``

Times, in one run and on the same data (200,000 x 20 rows):

* our ``DropoutMLPClassifier`` with its default 128-128-64-64-32-16 network
  and dropout 0.5 (wall time of ``fit`` divided by the epochs, so the input
  validation and set-up are included);
* a minimal hand-written PyTorch loop with the same network: tensors built
  beforehand, a shuffled index, manual slicing, ``torch.optim.Adam``;
* scikit-learn's ``MLPClassifier`` with the same layers and solver;

at batch sizes 256 and 1024; then ``predict_proba`` on 1,000,000 rows for
ours against the raw model. Each timing is the best of several repeats,
interleaved so that a busy machine slows every contender alike. Prints every
figure, the ratios and PASS/FAIL against the targets (training <= 1.15x the
raw loop, prediction <= 1.25x, faster than MLPClassifier).
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from torch import nn

from physml_sklearn import DropoutMLPClassifier

LAYERS = (128, 128, 64, 64, 32, 16)


def raw_model(n_features):
    layers, width = [], n_features
    for size in LAYERS:
        layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(0.5)]
        width = size
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def raw_fit(X, y, *, epochs, batch_size):
    """The hand-written loop: pre-built tensors, shuffled index, slicing."""
    torch.manual_seed(0)
    model = raw_model(X.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    n = X.shape[0]
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
    return model


def raw_predict_proba(model, X, chunk=65536):
    model.eval()
    with torch.inference_mode():
        logit = torch.cat([model(c) for c in X.split(chunk)])
        return torch.sigmoid(logit)


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller problem, fewer repeats")
    args = parser.parse_args()
    n_train, n_pred, epochs, repeats = (
        (40_000, 200_000, 2, 2) if args.quick else (200_000, 1_000_000, 3, 3)
    )
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{n_train:,} x 20 training rows, {epochs} epochs per timing, best of {repeats}")

    X, y = make_classification(n_train, n_features=20, n_informative=10, random_state=0)
    Xt = torch.from_numpy(X.astype(np.float32))
    yt = torch.from_numpy(y.astype(np.float32)).reshape(-1, 1)

    results = {}
    for batch_size in (256, 1024):
        ours = DropoutMLPClassifier(max_epochs=epochs, batch_size=batch_size, random_state=0)
        t_ours = t_raw = np.inf
        for _ in range(repeats):  # interleaved
            t_ours = min(t_ours, best_of(lambda: ours.fit(X, y), 1) / epochs)
            t_raw = min(t_raw, best_of(
                lambda: raw_fit(Xt, yt, epochs=epochs, batch_size=batch_size), 1) / epochs)
        mlp = MLPClassifier(LAYERS, batch_size=batch_size, max_iter=1, shuffle=True,
                            random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t_mlp = best_of(lambda: mlp.fit(X, y), 1)
        results[batch_size] = (t_ours, t_raw, t_mlp)
        print(f"\nbatch {batch_size}: seconds per epoch")
        print(f"  DropoutMLPClassifier   {t_ours:7.3f}")
        print(f"  raw PyTorch loop       {t_raw:7.3f}   ours / raw = {t_ours / t_raw:5.2f}")
        print(f"  sklearn MLPClassifier  {t_mlp:7.3f}   ours / MLP = {t_ours / t_mlp:5.2f}")

    X_pred = np.random.RandomState(1).normal(size=(n_pred, 20))
    clf = DropoutMLPClassifier(max_epochs=1, random_state=0).fit(X[:10_000], y[:10_000])
    model = raw_model(20)
    model.load_state_dict(clf.net_.module_.state_dict())
    X_pred_t = torch.from_numpy(X_pred.astype(np.float32))
    np.testing.assert_allclose(
        clf.predict_proba(X_pred[:1000])[:, 1],
        raw_predict_proba(model, X_pred_t[:1000]).numpy().ravel(), rtol=1e-5, atol=1e-6,
    )
    t_pred = t_pred_raw = np.inf
    for _ in range(repeats):
        t_pred = min(t_pred, best_of(lambda: clf.predict_proba(X_pred), 1))
        t_pred_raw = min(t_pred_raw, best_of(lambda: raw_predict_proba(model, X_pred_t), 1))
    print(f"\npredict_proba on {n_pred:,} rows (seconds)")
    print(f"  DropoutMLPClassifier   {t_pred:7.3f}   (float64 input, validated and cast)")
    print(f"  raw PyTorch model      {t_pred_raw:7.3f}   ours / raw = {t_pred / t_pred_raw:5.2f}")

    print("\ntargets")
    checks = []
    for bs, (t_ours, t_raw, t_mlp) in results.items():
        checks.append((f"training, batch {bs}: ours <= 1.15x raw", t_ours / t_raw <= 1.15,
                       f"{t_ours / t_raw:.2f}x"))
        checks.append((f"training, batch {bs}: faster than MLPClassifier", t_ours < t_mlp,
                       f"{t_ours / t_mlp:.2f}x"))
    checks.append(("predict_proba: ours <= 1.25x raw", t_pred / t_pred_raw <= 1.25,
                   f"{t_pred / t_pred_raw:.2f}x"))
    for name, ok, figure in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:48s} {figure}")


if __name__ == "__main__":
    main()
