"""Saving, loading and ONNX export of the default DropoutMLPClassifier.

Run: ``python benchmarks/bench_persistence.py [--quick]``

In one run, for a ``Pipeline(StandardScaler(), DropoutMLPClassifier())`` with
the default 128-128-64-64-32-16 network trained on 20 features:

* ``save`` / ``load`` against ``pickle.dumps`` / ``pickle.loads`` (time and
  size), and ``to_onnx``;
* prediction throughput on 1,000,000 rows: onnxruntime on the exported graph
  against ``predict_proba``, both on 1 and on 2 threads.

Each timing is the best of several repeats, interleaved so that a busy
machine slows every contender alike. Prints every figure and the ratios.
"""

import argparse
import os
import pickle
import tempfile
import time

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from physml_sklearn import DropoutMLPClassifier, load, save, to_onnx


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and repeats")
    args = parser.parse_args()
    n_rows = 100_000 if args.quick else 1_000_000
    repeats = 2 if args.quick else 5

    import onnxruntime as ort

    X, y = make_classification(20_000, 20, n_informative=10, random_state=0)
    model = make_pipeline(StandardScaler(), DropoutMLPClassifier(max_epochs=2, random_state=0))
    model.fit(X, y)
    n_weights = sum(p.numel() for p in model[-1].net_.module_.parameters())
    print(f"default DropoutMLPClassifier: {n_weights} weights "
          f"({n_weights * 4 / 1024:.1f} KiB as float32)")

    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "model.physml")
    times = {
        "save": best_of(lambda: save(model, path), repeats),
        "pickle.dumps": best_of(lambda: pickle.dumps(model), repeats),
        "load": best_of(lambda: load(path), repeats),
    }
    blob = pickle.dumps(model)
    times["pickle.loads"] = best_of(lambda: pickle.loads(blob), repeats)
    onnx_path = os.path.join(folder, "model.onnx")
    to_onnx(model, X[:1], onnx_path)  # registers the converters, imports skl2onnx
    times["to_onnx"] = best_of(lambda: to_onnx(model, X[:1], onnx_path), repeats)
    print("\nsave / load / export (best of %d, ms):" % repeats)
    for name, seconds in times.items():
        print(f"  {name:<13} {1000 * seconds:8.2f}")
    print(f"  save / pickle.dumps: {times['save'] / times['pickle.dumps']:.2f}x, "
          f"load / pickle.loads: {times['load'] / times['pickle.loads']:.2f}x")
    print(f"file sizes: model.physml {os.path.getsize(path) / 1024:.1f} KiB, pickle "
          f"{len(blob) / 1024:.1f} KiB, model.onnx {os.path.getsize(onnx_path) / 1024:.1f} KiB")

    rows = np.random.RandomState(1).normal(size=(n_rows, 20))
    rows32 = rows.astype(np.float32)
    proba = model.predict_proba(rows)
    print(f"\nprediction throughput on {n_rows:,} rows (M rows/s, best of {repeats}):")
    for threads in (1, 2):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        _, onnx_proba = session.run(None, {"X": rows32})
        diff = np.abs(onnx_proba - proba).max()
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            with threadpool_limits(threads):
                t_ours = best_of(lambda: model.predict_proba(rows), repeats)
                t_onnx = best_of(lambda: session.run(None, {"X": rows32}), repeats)
        finally:
            torch.set_num_threads(previous)
        print(f"  {threads} thread(s): predict_proba {n_rows / t_ours / 1e6:6.2f}, "
              f"onnxruntime {n_rows / t_onnx / 1e6:6.2f}  (onnxruntime / predict_proba: "
              f"{t_ours / t_onnx:.2f}x; largest difference {diff:.1e})")


if __name__ == "__main__":
    main()
