"""Time make_diboson for one million events on one thread.

Run from an installed checkout (``pip install -e .``)::

    python benchmarks/bench_datasets.py [--n-samples 1000000] [--repeat 3]

The generator is pure NumPy and single-threaded by design; the thread limits below
only keep BLAS or OpenMP pools from muddying the figure.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

from threadpoolctl import threadpool_limits  # noqa: E402

from physml_sklearn.datasets import make_diboson  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    make_diboson(10_000, random_state=0)  # warm-up: imports, page faults
    with threadpool_limits(limits=1):
        for processes in [("WZ", "ZZ"), ("WZ", "ZZ", "ttZ")]:
            times = []
            for seed in range(args.repeat):
                start = time.perf_counter()
                make_diboson(args.n_samples, processes=processes, random_state=seed)
                times.append(time.perf_counter() - start)
            median = sorted(times)[len(times) // 2]
            print(
                f"make_diboson({args.n_samples:_}, processes={processes}): "
                f"best {min(times):.2f} s, median {median:.2f} s "
                f"over {args.repeat} runs, 1 thread"
            )


if __name__ == "__main__":
    main()
