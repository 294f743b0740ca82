"""Speed of ``rank_features`` on our classifier against a minimal PyTorch model.

Run: ``python benchmarks/bench_ranking.py [--quick]``

``rank_features`` is permutation importance: for each of the 20 columns and
each of the ``n_repeats=5`` shuffles, the whole sample goes through the
classifier once more, so its cost is all prediction. This times, in one run and
on the same 40,000 x 20 float64 rows,

* ``rank_features`` on a fitted ``DropoutMLPClassifier`` with its default
  128-128-64-64-32-16 network (input validation, float32 cast, chunked
  no-grad forward, sigmoid);
* the same call on a minimal hand-written scikit-learn wrapper of a plain
  ``torch.nn.Sequential`` holding the very same weights: ``predict_proba``
  casts to float32, runs the model under ``torch.inference_mode`` and applies
  the sigmoid, nothing else;

with ``scoring="roc_auc"`` (``predict_proba``) and with the default scoring
(accuracy through ``predict``). The two rankings must be identical. Each
timing is the best of several repeats, interleaved so that a busy machine
slows both alike. Prints every figure, the ratios and PASS/FAIL against the
target (ours <= 1.25x the raw model).
"""

import argparse
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from torch import nn

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.inspection import rank_features

LAYERS = (128, 128, 64, 64, 32, 16)
TARGET = 1.25


def raw_model(n_features):
    layers, width = [], n_features
    for size in LAYERS:
        layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(0.5)]
        width = size
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


class RawTorchClassifier(ClassifierMixin, BaseEstimator):
    """The least a scikit-learn wrapper of a torch model can do."""

    def __init__(self, model=None):
        self.model = model

    def fit(self, X, y):  # the weights are copied in, not trained here
        self.classes_ = np.unique(y)
        self.model.eval()
        return self

    def predict_proba(self, X):
        with torch.inference_mode():
            logit = self.model(torch.from_numpy(np.asarray(X, dtype=np.float32)))
            p = torch.sigmoid(logit[:, 0]).numpy().astype(np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows, fewer repeats")
    args = parser.parse_args()
    n_rows, repeats = (10_000, 2) if args.quick else (40_000, 3)
    n_repeats = 5
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; rank_features "
          f"on {n_rows:,} x 20 rows, n_repeats={n_repeats}, best of {repeats}")

    X, y = make_classification(
        n_rows, n_features=20, n_informative=6, n_redundant=2, random_state=0
    )
    ours = DropoutMLPClassifier(max_epochs=3, random_state=0).fit(X, y)
    raw = RawTorchClassifier(raw_model(20))
    raw.model.load_state_dict(ours.net_.module_.state_dict())
    raw.fit(X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X[:1000]), raw.predict_proba(X[:1000]), rtol=1e-5, atol=1e-6
    )

    results = {}
    for scoring in ("roc_auc", None):
        kwargs = dict(scoring=scoring, n_repeats=n_repeats, random_state=0)
        t_ours = t_raw = np.inf
        for _ in range(repeats):  # interleaved
            t0 = time.perf_counter()
            ranking_ours = rank_features(ours, X, y, **kwargs)
            t_ours = min(t_ours, time.perf_counter() - t0)
            t0 = time.perf_counter()
            ranking_raw = rank_features(raw, X, y, **kwargs)
            t_raw = min(t_raw, time.perf_counter() - t0)
        same = ranking_ours["feature"].tolist() == ranking_raw["feature"].tolist()
        results[scoring] = (t_ours, t_raw, same)
        n_calls = 20 * n_repeats + 1
        label = scoring or "default (accuracy)"
        print(f"\nscoring={label}: seconds per rank_features call ({n_calls} predictions)")
        print(f"  DropoutMLPClassifier   {t_ours:7.3f}   "
              f"({1e3 * t_ours / n_calls:.1f} ms per prediction)")
        print(f"  raw PyTorch model      {t_raw:7.3f}   ours / raw = {t_ours / t_raw:5.2f}")
        print(f"  identical ranking: {same}")

    print("\ntargets")
    for scoring, (t_ours, t_raw, same) in results.items():
        label = scoring or "default scoring"
        ok = t_ours / t_raw <= TARGET and same
        print(f"  {'PASS' if ok else 'FAIL'}  rank_features, {label}: ours <= {TARGET}x raw"
              f"{'' if same else ' (rankings differ)'}   {t_ours / t_raw:.2f}x")


if __name__ == "__main__":
    main()
