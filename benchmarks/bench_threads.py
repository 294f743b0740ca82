"""Threads, prediction speed and start-up, each figure beside its baseline.

1. Training with the thread policy (``torch_threads="auto"``) against every
   fixed thread count, for batch sizes 256, 1024 and 4096: on a quiet machine
   (target: within 1.1x of the fastest count), then with one busy process per
   core competing (target: at most 2.5x slower than quiet; torch's default of
   one thread per core is printed beside it).
2. ``predict_proba`` of the default ``DropoutMLPClassifier`` on 1,000,000 rows
   against onnxruntime on the same network (exported with ``torch.onnx.export``),
   on 1 and 2 threads (target: within 1.25x).
3. ``import physml_sklearn`` against ``import torch`` alone (target: within
   1.3x), in fresh interpreters.

Run ``python benchmarks/bench_threads.py`` (``--quick`` for a check that it
works: fewer rows and repeats). Times are the best of the repeats.
"""

import argparse
import io
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import torch

import physml_sklearn
from physml_sklearn import DropoutMLPClassifier
from physml_sklearn._core._threads import policy_threads


def _busy():  # pragma: no cover - runs in a child process
    while True:
        pass


def best_time(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def training_data(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 10)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + X[:, 2] * X[:, 3] > 0).astype(int)
    return X, y


def time_fit(X, y, batch_size, epochs, repeat, threads):
    clf = DropoutMLPClassifier(batch_size=batch_size, max_epochs=epochs, random_state=0)
    with physml_sklearn.config_context(torch_threads=threads):
        return best_time(lambda: clf.fit(X, y), repeat)


def bench_training(args):
    n_cores = torch.get_num_threads()
    X, y = training_data(args.train_rows)
    print(f"\n1. Training the default DropoutMLPClassifier, {args.train_rows:,} events x "
          f"{args.epochs} epochs; torch.get_num_threads() = {n_cores}")
    quiet = {}
    print(f"{'batch':>6} {'policy':>7} {'policy s':>9} "
          + " ".join(f"{f'{k} thr s':>8}" for k in range(1, n_cores + 1))
          + f" {'policy/fastest':>15}")
    time_fit(X, y, 256, 1, 1, "auto")  # warm-up: first-call costs are nobody's
    for batch in args.batches:
        # the repeats interleaved, so that a burst of load hits every count alike
        runs = {}
        for _ in range(args.repeat):
            for k in [*range(1, n_cores + 1), "auto"]:
                runs.setdefault(k, []).append(time_fit(X, y, batch, args.epochs, 1, k))
        auto = min(runs.pop("auto"))
        fixed = {k: min(v) for k, v in runs.items()}
        clf = DropoutMLPClassifier(max_epochs=1).fit(X[:500], y[:500])
        work = 3 * batch * sum(p.numel() for p in clf.net_.module_.parameters())
        quiet[batch] = auto
        fastest = min(fixed.values())
        print(f"{batch:>6} {policy_threads(work):>7} {auto:>9.2f} "
              + " ".join(f"{fixed[k]:>8.2f}" for k in fixed)
              + f" {auto / fastest:>14.2f}x")
    print("   target: policy within 1.1x of the fastest fixed count on a quiet machine")

    busy = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(n_cores)]
    for p in busy:
        p.start()
    try:
        print(f"\n   with {n_cores} busy process(es) competing (one per core):")
        print(f"{'batch':>6} {'policy s':>9} {'vs quiet':>9} "
              f"{f'torch default ({n_cores} thr) s':>26} {'vs quiet policy':>16}")
        for batch in args.batches:
            auto = time_fit(X, y, batch, args.epochs, args.repeat, "auto")
            default = time_fit(X, y, batch, args.epochs, 1, "torch")
            print(f"{batch:>6} {auto:>9.2f} {auto / quiet[batch]:>8.2f}x "
                  f"{default:>26.2f} {default / quiet[batch]:>15.2f}x")
    finally:
        for p in busy:
            p.terminate()
    print("   target: policy under competition at most 2.5x slower than quiet")


def bench_prediction(args):
    import onnxruntime as ort

    n = args.predict_rows
    X, y = training_data(5000)
    clf = DropoutMLPClassifier(max_epochs=2, random_state=0).fit(X, y)
    rows = np.random.default_rng(1).normal(size=(n, 10))  # float64, as users pass them
    rows32 = rows.astype(np.float32)
    module = clf.net_.module_.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, torch.from_numpy(rows32[:64]), buffer, input_names=["x"],
                          output_names=["logit"], dynamic_axes={"x": {0: "n"}}, dynamo=False)
    print(f"\n2. predict_proba on {n:,} rows (float64 in) vs onnxruntime "
          f"{ort.__version__} on the same network (float32 in, logits out)")
    print(f"{'threads':>7} {'ours s':>8} {'onnxruntime s':>14} {'ours/ort':>9}")
    previous = torch.get_num_threads()
    for k in (1, 2):
        options = ort.SessionOptions()
        options.intra_op_num_threads = k
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(buffer.getvalue(), options,
                                       providers=["CPUExecutionProvider"])
        torch.set_num_threads(k)
        ours, theirs = [], []
        for _ in range(args.repeat + 2):  # interleaved, so that load hits both alike
            ours.append(best_time(lambda: clf.predict_proba(rows), 1))
            theirs.append(best_time(lambda: session.run(None, {"x": rows32}), 1))
        proba = clf.predict_proba(rows[:1000])[:, 1]
        logit = session.run(None, {"x": rows32[:1000]})[0][:, 0]
        assert np.allclose(proba, 1 / (1 + np.exp(-logit.astype(np.float64))), atol=1e-5)
        print(f"{k:>7} {min(ours):>8.3f} {min(theirs):>14.3f} {min(ours) / min(theirs):>8.2f}x"
              f"   (medians {statistics.median(ours):.3f} / {statistics.median(theirs):.3f})")
    torch.set_num_threads(previous)
    print("   target: ours within 1.25x of onnxruntime")


def import_time(statement, repeat):
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    times = [float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                  text=True, check=True).stdout)
             for _ in range(repeat)]
    return min(times)


def bench_import(args):
    print("\n3. Start-up, fresh interpreters")
    statements = [
        "import torch",
        "import physml_sklearn",
        "import torch, sklearn.base",
        "from physml_sklearn import DropoutMLPClassifier",
    ]
    times = {}
    for _ in range(args.repeat + 2):  # interleaved
        for s in statements:
            times.setdefault(s, []).append(import_time(s, 1))
    torch_time = min(times["import torch"])
    for s in statements:
        print(f"   {s:<50} {min(times[s]):6.2f} s  {min(times[s]) / torch_time:5.2f}x torch")
    print("   target: import physml_sklearn within 1.3x of import torch; the estimators "
          "themselves need torch + scikit-learn (third line)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rows and repeats")
    parser.add_argument("--only", choices=["training", "prediction", "import"], default=None)
    args = parser.parse_args(argv)
    args.batches = (256, 1024, 4096)
    if args.quick:
        args.train_rows, args.epochs, args.repeat, args.predict_rows = 8192, 1, 2, 200_000
    else:
        args.train_rows, args.epochs, args.repeat, args.predict_rows = 50_000, 2, 3, 1_000_000
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    if args.only in (None, "training"):
        bench_training(args)
    if args.only in (None, "prediction"):
        bench_prediction(args)
    if args.only in (None, "import"):
        bench_import(args)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
