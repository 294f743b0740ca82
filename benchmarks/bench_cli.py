"""Time the ``physml-sklearn`` command: --help, train, apply.

Run from the repository root::

    python benchmarks/bench_cli.py [--quick] [--keep DIR]

Targets (issue: the TMVA Factory as one command):

- ``physml-sklearn --help`` and ``train --help`` well under 1 s (no torch import);
  the baseline is a bare ``python -c pass`` in the same run;
- ``train`` on two Parquet files of 50,000 events each, 2 folds, default
  settings: under 5 minutes on 2 cores, peak memory under 2 GB;
- ``apply`` on 1,000,000 events: at least 300,000 events/s end to end
  (interpreter start, imports, model load, read, score, write), for the model
  of the ``train`` run (random folds: the fold models averaged) and for one
  trained with ``--fold-column`` (one model per event);
- the fixed cost of ``apply``: the seconds to start Python and import what
  reading a model's scoring summary needs, against a bare ``python -c pass``,
  and which heavy modules that pulls in (``python -X importtime`` gives the
  detail); and the whole command on 1,000 events written as CSV, which takes
  the full way (``load`` and ``predict_proba``).

Every figure comes from the command run as a user runs it, in a subprocess
(``python -m physml_sklearn``); peak memory is the largest resident set of a
child process (``getrusage(RUSAGE_CHILDREN)``). ``--quick`` shrinks the data
(5,000 + 5,000 training events, 3 epochs, 100,000 events to score) to check
that the script works.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command(*args, check=True):
    """Run ``python -m physml_sklearn ARGS``; return (seconds, peak RSS in MB of any child)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "physml_sklearn", *map(str, args)],
                            env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if check and result.returncode != 0:
        raise SystemExit(f"command failed: {args}\n{result.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, after.ru_maxrss / 1024, result


def _time(argv):
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True,
                   env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return time.perf_counter() - start


HEAVY = ("torch", "torch._dynamo", "sklearn", "pandas", "pyarrow", "skops", "skorch",
         "scipy", "matplotlib", "onnx", "skl2onnx")


def import_cost():
    """Seconds to import the apply path and its model reader; heavy modules it loads."""
    code = ("import sys, physml_sklearn._cli.apply, physml_sklearn.persistence._scoring\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    best, modules = float("inf"), ""
    for _ in range(3):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                text=True, check=True)
        best = min(best, time.perf_counter() - start)
        modules = result.stdout.strip()
    return best, modules


def write_sources(folder, n_per_class, random_state):
    """Signal (WZ) and background (ZZ) Parquet files of n_per_class events each."""
    import numpy as np

    from physml_sklearn.datasets import make_diboson

    data = make_diboson(2 * n_per_class, processes=("WZ", "ZZ"), random_state=random_state,
                        as_frame=True)
    frame = data.data.copy()
    frame["weight"] = data.sample_weight
    frame["event_number"] = np.arange(len(frame), dtype=np.int64)
    target = data.target.to_numpy()
    paths = []
    for label, name in ((0, "signal"), (1, "background")):
        path = folder / f"{name}_{random_state}.parquet"
        frame[target == label].iloc[:n_per_class].to_parquet(path, index=False)
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small data, to check that the script works")
    parser.add_argument("--keep", type=Path, default=None,
                        help="folder for the files (default: a temporary folder)")
    args = parser.parse_args()
    n_train = 5_000 if args.quick else 50_000
    n_apply = 100_000 if args.quick else 1_000_000
    extra = ["--max-epochs", "3"] if args.quick else []

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)

        # --help, against a bare interpreter
        bare = min(_time([sys.executable, "-c", "pass"]) for _ in range(5))
        for argv in (["--help"], ["train", "--help"]):
            best = min(_time([sys.executable, "-m", "physml_sklearn", *argv])
                       for _ in range(5))
            print(f"physml-sklearn {' '.join(argv)}: best of 5 {best:.3f} s "
                  f"(bare python -c pass: {bare:.3f} s; target < 1 s)")
        seconds, modules = import_cost()
        print(f"apply's imports (the command module and its model reader): best "
              f"of 3 {seconds:.2f} s = {seconds / bare:.0f} x a bare interpreter; heavy "
              f"modules loaded: {modules or 'none'}")

        # train: 2 x n_train events, 2 folds, default settings
        signal, background = write_sources(folder, n_train, random_state=0)
        out = folder / "train"
        elapsed, peak, result = command(
            "train", "--signal", signal, "--background", background, "--weight", "weight",
            "--out", out, "--overwrite", *extra,
        )
        print(f"train, 2 x {n_train:,} events, 2 folds, defaults: {elapsed:.0f} s "
              f"({result.cpu:.0f} s of CPU time), peak memory {peak:.0f} MB "
              "(targets: < 300 s on 2 cores, < 2048 MB)")
        print("  " + result.stderr.strip().splitlines()[-1])
        out_fold = folder / "train_fold"
        command("train", "--signal", signal, "--background", background, "--weight",
                "weight", "--fold-column", "event_number", "--out", out_fold,
                "--max-epochs", "3", "--overwrite")

        # apply: n_apply events in one Parquet file
        import pandas as pd

        a, b = write_sources(folder, n_apply // 2, random_state=1)
        source = folder / "apply.parquet"
        pd.concat([pd.read_parquet(a), pd.read_parquet(b)]).to_parquet(source, index=False)
        for name, model in (("random folds: the 2 fold models averaged", out),
                            ("fold column: one fold model per event", out_fold)):
            scored = folder / "scored.parquet"
            elapsed, _, result = command("apply", model / "model.physml", source,
                                         "--out", scored)
            inside = "; ".join(result.stdout.strip().splitlines()[-2:])
            print(f"apply, {n_apply:,} events ({name}): {elapsed:.1f} s for the whole "
                  f"command ({result.cpu:.1f} s of CPU time) = {n_apply / elapsed:,.0f} "
                  "events/s (target >= 300,000)\n"
                  f"  the command's own report: "
                  f"{inside}")

        # the full way (load + predict_proba), which other inputs and outputs take:
        # a CSV output of 1,000 events, so that the time is the command's fixed cost
        small = folder / "small.parquet"
        pd.read_parquet(source).iloc[:1000].to_parquet(small, index=False)
        best = min(command("apply", out / "model.physml", small, "--out",
                           folder / "small.csv")[0] for _ in range(3))
        print(f"apply the full way (load and predict_proba: a CSV output), 1,000 events: "
              f"best of 3 {best:.1f} s for the whole command")


if __name__ == "__main__":
    main()
