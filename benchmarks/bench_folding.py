"""FoldingClassifier: two folds trained in parallel (n_jobs=2) against one after the other.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_folding.py [--n-samples 20000] \
        [--max-epochs 20] [--repeat 3] [--quick]

A ``FoldingClassifier(n_folds=2)`` around ``StandardScaler`` + ``DropoutMLPClassifier``
trains on ``make_diboson`` events, with ``n_jobs=1`` (the folds one after the
other, torch with its default threads in this process) and with ``n_jobs=2``
(joblib's loky workers, one per fold, each capped at ``cpu_count // 2`` torch and
BLAS threads by the FoldingClassifier), and, as a second baseline, ``n_jobs=1``
with torch set to one thread by the user. The inner network records the number of
torch threads it trained with, so the benchmark prints what each worker used.
The loky workers are started (and import torch) in an untimed warm-up fit; the
timed fits reuse them. Prints the median wall time of each and the speed-up.
"""

import argparse
import os
import time

import numpy as np
import torch
from joblib import cpu_count
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier, FoldingClassifier
from physml_sklearn.datasets import make_diboson


class ThreadRecordingMLP(DropoutMLPClassifier):
    """The dropout MLP, remembering the torch threads and the process it trained in."""

    def fit(self, X, y, sample_weight=None):
        self.torch_threads_ = torch.get_num_threads()
        self.pid_ = os.getpid()
        return super().fit(X, y, sample_weight=sample_weight)


def make_model(n_jobs, max_epochs):
    net = ThreadRecordingMLP(hidden_layer_sizes=(64, 64, 32), dropout=0.2,
                             max_epochs=max_epochs, batch_size=256, random_state=0)
    return FoldingClassifier(make_pipeline(StandardScaler(), net), n_folds=2,
                             random_state=0, n_jobs=n_jobs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="4,000 events, 5 epochs, one run: checks the benchmark works")
    args = parser.parse_args()
    if args.quick:
        args.n_samples, args.max_epochs, args.repeat = 4_000, 5, 1

    events = make_diboson(args.n_samples, random_state=0)
    X, y, w = events.data, events.target, events.sample_weight
    threads_before = torch.get_num_threads()
    print(f"{args.n_samples:_} events, {args.max_epochs} epochs, 2 folds; "
          f"{cpu_count()} cores, torch threads in this process: {threads_before}")

    make_model(2, 1).fit(X, y, sample_weight=w)  # warm-up: start the workers
    # n_jobs=1 as it comes (torch's default threads), n_jobs=1 on one torch thread
    # (set by the user), n_jobs=2 (one fold per worker)
    configs = {"n_jobs=1": (1, None), "n_jobs=1, 1 torch thread": (1, 1), "n_jobs=2": (2, None)}
    times = {name: [] for name in configs}
    models = {}
    for _ in range(args.repeat):
        for name, (n_jobs, threads) in configs.items():
            if threads is not None:
                torch.set_num_threads(threads)
            start = time.perf_counter()
            models[name] = make_model(n_jobs, args.max_epochs).fit(X, y, sample_weight=w)
            times[name].append(time.perf_counter() - start)
            torch.set_num_threads(threads_before)
    for name, model in models.items():
        inner = [est[-1] for est in model.estimators_]
        where = "this process" if all(m.pid_ == os.getpid() for m in inner) else "workers"
        print(f"{name:>25}: median {np.median(times[name]):6.2f} s over {args.repeat} runs; "
              f"torch threads per fold {[m.torch_threads_ for m in inner]} ({where})")
    # same folds, same seeds: the parallel fit gives the same model
    np.testing.assert_allclose(models["n_jobs=1"].out_of_fold_proba_,
                               models["n_jobs=2"].out_of_fold_proba_, atol=1e-4)
    assert torch.get_num_threads() == threads_before, "the fit changed the user's threads"
    parallel = np.median(times["n_jobs=2"])
    print(f"speed-up of n_jobs=2: {np.median(times['n_jobs=1']) / parallel:.2f} x over "
          f"n_jobs=1, {np.median(times['n_jobs=1, 1 torch thread']) / parallel:.2f} x over "
          f"n_jobs=1 on one torch thread (out-of-fold scores agree to 1e-4; this process "
          f"kept its {threads_before} threads)")


if __name__ == "__main__":
    main()
