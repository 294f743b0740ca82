"""Input validation: one pass over the user's data, float32 copies, labels, weights.

The caller's arrays are never written to: every cast makes a copy, and
arrays that already are float32 are only read.
"""

import numpy as np
import torch
from sklearn.utils import check_array, column_or_1d
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data


def check_features(estimator, X, *, reset):
    """Validate ``X`` and return it as a C-ordered float32 array.

    Records ``n_features_in_`` / ``feature_names_in_`` when ``reset`` and
    checks them otherwise.
    """
    return validate_data(estimator, X, reset=reset, dtype=np.float32, order="C")


def check_features_target(estimator, X, y, *, reset, multi_output=False, y_dtype=None):
    """Validate ``X`` and ``y`` together; ``X`` comes back as float32."""
    X, y = validate_data(
        estimator,
        X,
        y,
        reset=reset,
        dtype=np.float32,
        order="C",
        multi_output=multi_output,
        y_numeric=y_dtype is not None,
    )
    if y_dtype is not None:
        y = np.asarray(y, dtype=y_dtype)
    return X, y


def check_target_array(y, n_samples, *, name="y"):
    """Validate a 2-D numeric target (autoencoders) and return it as float32."""
    y = check_array(y, dtype=np.float32, order="C", input_name=name)
    if y.shape[0] != n_samples:
        raise ValueError(
            f"`{name}` has {y.shape[0]} rows but X has {n_samples}; "
            f"pass one target row per input row."
        )
    return y


def check_sample_weight(sample_weight, n_samples):
    """Return ``sample_weight`` as a float32 array of length ``n_samples``, or None.

    Negative weights (as in NLO Monte Carlo) are allowed; the weights must be
    finite and must not sum to zero or less.
    """
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    sample_weight = column_or_1d(
        check_array(
            sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
        ),
        warn=False,
    )
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {sample_weight.shape[0]} entries but X has "
            f"{n_samples} rows; pass one weight per row."
        )
    total = sample_weight.sum()
    if not total > 0:
        raise ValueError(
            f"sample_weight sums to {total:g}; the weights must have a positive sum "
            "(negative weights are allowed, but not a net negative or zero total)."
        )
    return sample_weight.astype(np.float32)


def encode_labels(y, classes):
    """Map the labels ``y`` onto their indices in the sorted ``classes``."""
    idx = np.searchsorted(classes, y)
    idx = np.clip(idx, 0, len(classes) - 1)
    unknown = classes[idx] != y
    if np.any(unknown):
        raise ValueError(
            f"y contains labels {np.unique(np.asarray(y)[unknown]).tolist()} that are "
            f"not in classes_ {classes.tolist()}; pass every label in `classes` "
            "on the first call to partial_fit, or refit."
        )
    return idx


def target_type(y):
    """The scikit-learn target type of ``y`` (``binary``, ``multiclass`` ...)."""
    return type_of_target(y, input_name="y")


def as_tensor(array, device="cpu"):
    """A torch tensor viewing ``array`` (copied only when it is read-only)."""
    if array is None:
        return None
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(np.ascontiguousarray(array)).to(device)
