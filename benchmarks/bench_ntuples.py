"""load_ntuples on a large ROOT file: peak memory and time against bare uproot.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_ntuples.py [--n-events 1000000] [--repeat 3] [--quick]

Writes a ROOT file of ``--n-events`` events x 30 float64 branches (zlib, uproot's
default compression) to a temporary folder, then reads 10 of the branches

- with ``load_ntuples({"events": "file.root:events"}, features=<10 branches>)``
  (streams the tree in chunks with ``TTree.iterate``, returns a Bunch whose
  ``data`` is a DataFrame), and
- with the baseline ``uproot.open(path)["events"].arrays(branches, library="pd")``.

Memory: each reader runs in a fresh subprocess that first imports everything
(uproot, pandas, physml_sklearn) and reads one branch (so that the modules a
reader imports on first use are loaded), then resets the kernel's peak-RSS counter
(``echo 5 > /proc/self/clear_refs``, Linux) and reads; the figure is the peak
resident set size during the read (``VmHWM``) minus the RSS before it, i.e. the
extra memory the read needed at its peak, the result included, compared with the
size of the 10 columns as float64 (``n_events * 10 * 8`` bytes). The target is a ratio
<= 2. Time: the median of ``--repeat`` reads in one process, alternating the two
readers, and the ratio load_ntuples / baseline (target <= 1.5).

The same subprocesses also report the tracemalloc peak of the read (Python and
NumPy allocations only; uproot decompression in C is not traced), as a check.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

N_BRANCHES = 30
READ = [f"x{i:02d}" for i in range(0, N_BRANCHES, 3)]  # 10 of the 30 branches

_CHILD = r"""
import json, sys, time, tracemalloc
import numpy as np, pandas as pd, uproot
from physml_sklearn.datasets import load_ntuples

path, reader, branches, trace = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))
def read(columns):
    if reader == "load_ntuples":
        return load_ntuples({"events": f"{path}:events"}, features=columns).data
    return uproot.open(path)["events"].arrays(columns, library="pd")
read(branches[:1])  # warm-up: the modules each reader imports on first use
if trace == "1":
    tracemalloc.start()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak RSS (VmHWM) to the current RSS
before = status("VmRSS")
start = time.perf_counter()
out = read(branches)
elapsed = time.perf_counter() - start
peak_traced = tracemalloc.get_traced_memory()[1] if trace == "1" else None
print(json.dumps({"rss_delta": status("VmHWM") - before, "traced_peak": peak_traced,
                  "time": elapsed, "shape": list(out.shape)}))
"""


def write_file(path, n_events, chunk=20_000):
    import uproot

    rng = np.random.default_rng(0)
    names = [f"x{i:02d}" for i in range(N_BRANCHES)]
    with uproot.recreate(path) as f:
        f.mktree("events", {name: np.float64 for name in names})
        for start in range(0, n_events, chunk):
            n = min(chunk, n_events - start)
            f["events"].extend({name: rng.normal(size=n) for name in names})


def child(path, reader, trace):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, path, reader, ",".join(READ), "1" if trace else "0"],
        capture_output=True, text=True, env=env, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="200,000 events, one timing run: checks that the benchmark works")
    args = parser.parse_args()
    if args.quick:
        args.n_events, args.repeat = 200_000, 1

    import uproot

    from physml_sklearn.datasets import load_ntuples

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "events.root")
        start = time.perf_counter()
        write_file(path, args.n_events)
        size = os.path.getsize(path)
        print(f"wrote {args.n_events:_} events x {N_BRANCHES} branches "
              f"({size / 1e6:.0f} MB on disk) in {time.perf_counter() - start:.1f} s; "
              f"reading {len(READ)} branches")
        budget = args.n_events * len(READ) * 8
        print(f"10 columns as float64: {budget / 1e6:.0f} MB")

        for reader in ("load_ntuples", "uproot.arrays"):
            rss = child(path, reader, trace=False)
            traced = child(path, reader, trace=True)
            print(f"{reader:>14}: peak RSS growth {rss['rss_delta'] / 1e6:7.1f} MB "
                  f"= {rss['rss_delta'] / budget:.2f} x the columns; tracemalloc peak "
                  f"{traced['traced_peak'] / 1e6:7.1f} MB = "
                  f"{traced['traced_peak'] / budget:.2f} x; shape {rss['shape']}")

        times = {"load_ntuples": [], "uproot.arrays": []}
        load_ntuples({"events": f"{path}:events"}, features=READ)  # warm-up: page cache
        for _ in range(args.repeat):
            start = time.perf_counter()
            load_ntuples({"events": f"{path}:events"}, features=READ)
            times["load_ntuples"].append(time.perf_counter() - start)
            start = time.perf_counter()
            uproot.open(path)["events"].arrays(READ, library="pd")
            times["uproot.arrays"].append(time.perf_counter() - start)
        median = {k: float(np.median(v)) for k, v in times.items()}
        for reader, value in median.items():
            print(f"{reader:>14}: median {value:.2f} s over {args.repeat} runs")
        print(f"time ratio load_ntuples / uproot.arrays: "
              f"{median['load_ntuples'] / median['uproot.arrays']:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
