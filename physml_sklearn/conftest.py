"""pytest set-up for the doctests of the package (``pytest --doctest-modules``)."""

import os

import matplotlib
import torch
from threadpoolctl import threadpool_limits

matplotlib.use("Agg")

# Under pytest-xdist several workers share the cores: one intra-op thread each,
# otherwise they oversubscribe the machine and small networks crawl.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
    threadpool_limits(1)  # BLAS and OpenMP (numpy, scikit-learn) as well
