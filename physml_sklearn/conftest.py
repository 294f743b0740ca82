"""pytest set-up for the doctests of the package (``pytest --doctest-modules``)."""

import os

import matplotlib
import torch

matplotlib.use("Agg")

# Under pytest-xdist several workers share the cores: one intra-op thread each,
# otherwise they oversubscribe the machine and small networks crawl.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
