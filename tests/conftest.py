import os

import matplotlib
import pytest
import torch
from threadpoolctl import threadpool_limits

matplotlib.use("Agg")

# Several pytest-xdist workers on a small machine: one intra-op thread each,
# otherwise the workers oversubscribe the cores and small networks crawl.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
    threadpool_limits(1)  # BLAS and OpenMP (numpy, scikit-learn) as well


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
