"""Event weights checked the same way everywhere (no torch: metrics and plots use it)."""

import numpy as np
from sklearn.utils import check_array


def check_weight_vector(weight, name, n_rows=None):
    """``weight`` as a 1-D float64 array, with errors that name the parameter.

    A column vector of shape (n, 1) is flattened, as scikit-learn's
    ``column_or_1d`` does; any other shape than one weight per row is refused
    with a message that names ``name`` (``column_or_1d`` calls every input
    ``y``), and so is a length other than ``n_rows`` (the rows of X) when it
    is given. Infinite and missing values are refused by ``check_array``.
    """
    weight = check_array(weight, ensure_2d=False, dtype=np.float64, input_name=name)
    if weight.ndim == 2 and weight.shape[1] == 1:
        weight = weight[:, 0]
    if weight.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, one weight per row; got an array of shape "
            f"{weight.shape}. Flatten it, e.g. with .ravel()."
        )
    if n_rows is not None and weight.shape[0] != n_rows:
        raise ValueError(f"{name} has {weight.shape[0]} entries but X has {n_rows} rows; "
                         "pass one weight per row.")
    return weight


def scaled_by_largest(weight):
    """``(weight / unit, unit)``, the unit the largest absolute weight (1.0 if none).

    Sums of squared weights are taken in this unit, so that weights of 1e300
    do not overflow and weights of 1e-300 do not underflow.
    """
    weight = np.asarray(weight, dtype=np.float64)
    unit = float(np.max(np.abs(weight), initial=0.0)) or 1.0
    return weight / unit, unit


def kish_size(weight):
    """Kish's effective number of events ``(sum w)**2 / sum w**2``; 0.0 when
    every weight is 0 (computed in the unit of the largest weight)."""
    w, _ = scaled_by_largest(weight)
    if not w.any():
        return 0.0
    return float(np.sum(w) ** 2 / np.sum(w**2))
