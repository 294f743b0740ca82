"""Scaling out: a search on loky and on a Dask cluster, and out-of-core training.

1. ``GridSearchCV`` of 8 candidates x 3 folds on 50,000 events, the default
   ``DropoutMLPClassifier`` trained for 10 epochs per fit (a short but real
   training), and again for 3 epochs, where the workers' start-up weighs
   three times as much:
   - ``n_jobs=1`` (the baseline);
   - ``n_jobs=2`` on joblib's loky backend, *including* the start of its
     worker processes (target: at least 1.3x faster than ``n_jobs=1``);
   - a warm 2-worker ``LocalCluster`` (1 thread each) under
     ``joblib.parallel_config("dask")`` (target: at least 1.6x faster); warm:
     its workers have run a small search before, as a cluster in use has.
   The three give the same ``cv_results_`` (checked).
2. Out-of-core: a Parquet data set 3x larger than a worker's ``memory_limit``
   trains through dask-ml's ``Incremental`` (one pass); the peak resident
   memory of each worker is printed beside its limit.

Run ``python benchmarks/bench_scale.py`` (``--quick`` for fewer events and
epochs and a smaller data set).
"""

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import parallel_config
from joblib.externals.loky import get_reusable_executor
from sklearn.model_selection import GridSearchCV

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson

GRID = {"lr": [1e-3, 3e-3], "hidden_layer_sizes": [(64, 32), (128, 64), (32, 16), (16,)]}


def search(n_jobs, epochs):
    return GridSearchCV(
        DropoutMLPClassifier(dropout=0.2, max_epochs=epochs, random_state=0),
        GRID, cv=3, n_jobs=n_jobs,
    )


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def bench_search(args, client):
    X, y = make_diboson(args.events, processes=("WZ", "ZZ"), random_state=0, return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    # warm the cluster: a small search imports and initialises what the big one needs
    with parallel_config("dask"):
        search(-1, 1).fit(X[:600], y[:600])
    for epochs in args.epochs:
        search_figures(X, y, epochs, args)


def search_figures(X, y, epochs, args):
    n_candidates = len(GRID["lr"]) * len(GRID["hidden_layer_sizes"])
    print(f"\n1. GridSearchCV, {n_candidates} candidates x 3 folds, {args.events:,} events, "
          f"{epochs} epoch(s) per fit")
    args = argparse.Namespace(**{**vars(args), "epochs": epochs})
    t1, ref = timed(lambda: search(1, args.epochs).fit(X, y))
    get_reusable_executor().shutdown(wait=True)  # loky starts its workers inside the timing
    t_loky, loky = timed(lambda: search(2, args.epochs).fit(X, y))
    with parallel_config("dask"):
        t_dask, dask = timed(lambda: search(-1, args.epochs).fit(X, y))
    for name, other in (("loky", loky), ("dask", dask)):
        same = np.array_equal(other.cv_results_["mean_test_score"],
                              ref.cv_results_["mean_test_score"])
        print(f"   {name}: cv_results_ identical to n_jobs=1: {same}")
    n_fits = 3 * n_candidates + 1
    print(f"   n_jobs=1                          {t1:7.1f} s   ({t1 / n_fits:.2f} s per fit "
          f"and score, {n_fits} fits with the refit)")
    print(f"   loky n_jobs=2 (cold workers)      {t_loky:7.1f} s   {t1 / t_loky:5.2f}x faster "
          "(target >= 1.3x)")
    print(f"   Dask LocalCluster 2x1 (warm)      {t_dask:7.1f} s   {t1 / t_dask:5.2f}x faster "
          "(target >= 1.6x)")


def partition(i, rows, n_features):
    rng = np.random.default_rng(1000 + i)
    X = rng.standard_normal((rows, n_features), dtype=np.float32)
    y = (2 * X[:, 0] - 1.5 * X[:, 1] + X[:, 2] * X[:, 3] + rng.logistic(size=rows) > 0)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(n_features)])
    frame["label"] = y.astype(np.float32)
    return frame


def bench_out_of_core(args):
    import dask
    import dask.dataframe as dd
    from dask_ml.wrappers import Incremental
    from distributed import Client, LocalCluster

    limit = args.memory_limit
    rows, n_features = 40_000, 100
    part_bytes = rows * (n_features + 1) * 4
    n_parts = int(np.ceil(args.data_factor * limit / part_bytes))
    # a worker that pauses at 80% of its limit would wait forever; with pausing
    # off, one that goes over 95% is killed, which the restart check reports
    with dask.config.set({"distributed.worker.memory.pause": False}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, memory_limit=limit,
                               silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp)
            for i in range(n_parts):
                partition(i, rows, n_features).to_parquet(
                    path / f"part.{i:03d}.parquet", index=False, compression=None)
            size = sum(f.stat().st_size for f in path.glob("*.parquet"))
            print(f"\n2. Out-of-core: {n_parts} Parquet files, {n_parts * part_bytes / 1e6:,.0f} MB"
                  f" of float32 in memory ({size / 1e6:,.0f} MB on disk) = "
                  f"{n_parts * part_bytes / limit:.1f}x a worker's memory_limit of "
                  f"{limit / 1e6:,.0f} MB")
            pids = client.run(os.getpid)
            table = dd.read_parquet(str(path)).to_dask_array()
            X, y = table[:, :-1], table[:, -1].astype(np.int64)
            model = Incremental(DropoutMLPClassifier(hidden_layer_sizes=(64, 32), dropout=0.0,
                                                     batch_size=4096, random_state=0),
                                random_state=0)
            t, _ = timed(lambda: model.fit(X, y, classes=[0, 1]))
            test = partition(n_parts + 1, rows, n_features)
            accuracy = model.estimator_.score(test.iloc[:, :-1], test["label"].astype(int))

            def peak():
                # VmHWM, the worker's own high-water mark (ru_maxrss carries
                # the peak of the process that spawned it over the exec)
                with open("/proc/self/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            return int(line.split()[1]) * 1024  # kB

            peaks = client.run(peak)
            print(f"   one pass in {t:.1f} s ({n_parts * rows / t:,.0f} events/s), "
                  f"test accuracy {accuracy:.3f}; workers restarted: "
                  f"{client.run(os.getpid) != pids}")
            for worker, value in sorted(peaks.items()):
                print(f"   {worker}: peak RSS {value / 1e6:,.0f} MB / limit {limit / 1e6:,.0f} MB"
                      f" ({value / limit:.0%})")
    finally:
        client.close()
        cluster.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events, one epoch")
    parser.add_argument("--only", choices=["search", "out-of-core"], default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.epochs, args.memory_limit, args.data_factor = 10_000, [1], 1e9, 1.2
    else:
        args.events, args.epochs, args.memory_limit, args.data_factor = (
            50_000, [10, 3], 1e9, 3.0)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if args.only in (None, "search"):
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        try:
            bench_search(args, client)
        finally:
            client.close()
            cluster.close()
    if args.only in (None, "out-of-core"):
        bench_out_of_core(args)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
