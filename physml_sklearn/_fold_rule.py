"""The fold rule on integer event numbers, with numpy alone.

Shared by :class:`~physml_sklearn.FoldingClassifier` and the scorer that
``physml-sklearn apply`` reads from a model file's scoring summary, which
must not import pandas or scikit-learn.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


def integer_folds(column, n_folds):
    """``column % n_folds`` of an integer numpy array, on exact integers; else None.

    Unsigned columns are reduced as uint64, signed ones as int64 (the
    remainder has the sign of ``n_folds``, as in Python, so a negative event
    number also lands in ``[0, n_folds)``). Returns int64 folds, or None when
    ``column`` has no integer dtype (the caller decides about the others).
    """
    if column.dtype.kind == "u":
        return np.mod(column.astype(np.uint64), np.uint64(n_folds)).astype(np.int64)
    if column.dtype.kind == "i":
        return np.mod(column.astype(np.int64), np.int64(n_folds))
    return None
