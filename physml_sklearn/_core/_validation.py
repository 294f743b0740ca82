"""Input validation: one pass over the user's data, float32 copies, labels, weights.

The caller's arrays are never written to: every cast makes a copy, and
arrays that already are float32 are only read.
"""

import numpy as np
import torch
from sklearn.utils import check_array
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from .._weights import scaled_by_largest

#: the largest float32, the arithmetic of the networks
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: the mean weights kept in the user's units; others are divided by their mean
_WEIGHT_MEANS = (1e-20, 1e20)


def _explain_bad_features(X, dtype):
    """Raise a clearer error than ``validate_data``'s when the cause is known.

    Called after ``validate_data`` failed on ``X``: names the non-numeric
    columns of a DataFrame, and tells finite values beyond the float32
    range (which the cast turns into infinity) from true infinities.
    """
    if hasattr(X, "columns") and hasattr(X, "dtypes"):
        if len(X.columns) == 0:
            raise ValueError(
                f"X is a DataFrame without columns (shape {X.shape}); pass at least "
                "one feature column."
            )
        bad = {}
        for position, column in enumerate(X.columns):
            values = X.iloc[:, position]  # by position: a name may be repeated
            if getattr(values.dtype, "kind", "O") in "biufcmM":
                continue  # numeric (or dates, which validate_data names itself)
            try:
                np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError):
                example = next(
                    (v for v in values if not isinstance(v, (int, float, np.number))),
                    values.iloc[0] if len(values) else None,
                )
                bad[column] = example
        if bad:
            names = ", ".join(repr(c) for c in bad)
            column, example = next(iter(bad.items()))
            raise ValueError(
                f"X has non-numeric values in column(s) {names} (e.g. {example!r} in "
                f"{column!r}); the networks take numbers only. Drop those columns or "
                "encode them (e.g. with OneHotEncoder in a ColumnTransformer)."
            )
    if np.dtype(dtype) != np.float32:
        return
    try:
        values = np.asarray(X)
        if values.dtype.kind == "c":
            return
        values = values.astype(np.float64)
    except (TypeError, ValueError):
        return
    if values.size and np.isfinite(values).all():
        largest = float(np.abs(values).max())
        if largest > FLOAT32_MAX:
            raise ValueError(
                f"X holds values up to {largest:.3g}, beyond the range of float32 "
                f"(±{FLOAT32_MAX:.3g}) in which the networks compute, so they would "
                "overflow to infinity. Scale the inputs (e.g. with StandardScaler "
                "in a Pipeline, or change their units)."
            )


def _validate(estimator, X, y="no_validation", *, dtype=np.float32, **kwargs):
    """``validate_data`` with clearer errors for non-numeric and huge values."""
    try:
        with np.errstate(over="ignore"):  # finite values beyond float32: see below
            return validate_data(estimator, X, y, dtype=dtype, order="C", **kwargs)
    except (TypeError, ValueError):
        _explain_bad_features(X, dtype)
        raise


def check_features(estimator, X, *, reset, dtype=np.float32):
    """Validate ``X`` and return it as a C-ordered array (float32 by default).

    Records ``n_features_in_`` / ``feature_names_in_`` when ``reset`` and
    checks them otherwise.
    """
    return _validate(estimator, X, reset=reset, dtype=dtype)


def check_features_target(estimator, X, y, *, reset, multi_output=False, y_dtype=None):
    """Validate ``X`` and ``y`` together; ``X`` comes back as float32."""
    X, y = _validate(
        estimator,
        X,
        y,
        reset=reset,
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
    finite and must not sum to zero or less. Weights whose mean lies outside
    1e-20 to 1e20 come back divided by their mean, computed in float64: every
    loss divides the weights by their mean anyway, and weights of 1e-40 or
    1e40 (a cross section in the wrong unit) would underflow to 0 or overflow
    to infinity in float32.
    """
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
    )
    if sample_weight.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D (one weight per row) or a scalar; got an "
            f"array of shape {sample_weight.shape}. Flatten it, e.g. with .ravel()."
        )
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {sample_weight.shape[0]} entries but X has "
            f"{n_samples} rows; pass one weight per row."
        )
    # summed on the scale of the largest weight, which cannot overflow
    scaled, scale = scaled_by_largest(sample_weight)
    if not scaled.sum() > 0:
        with np.errstate(over="ignore"):
            total = sample_weight.sum()
        raise ValueError(
            f"sample_weight sums to {total:g}; the weights must have a positive sum "
            "(negative weights are allowed, but not a net negative or zero total)."
        )
    scaled_mean = float(scaled.mean())
    if not _WEIGHT_MEANS[0] <= scaled_mean * scale <= _WEIGHT_MEANS[1]:
        # out of float32's comfortable range: in units of their mean
        return (scaled / scaled_mean).astype(np.float32)
    return sample_weight.astype(np.float32)  # in the user's units, for the messages


def check_network_output(output, X, *, name="X"):
    """Return ``output`` when it is finite; raise a ``ValueError`` otherwise.

    The parameters of a fitted network are finite (the fit checks them), so
    a non-finite output means that the finite inputs ``X`` are so large that
    the float32 arithmetic overflowed.
    """
    finite = np.isfinite(output)
    if finite.all():
        return output
    bad = int((~finite.reshape(finite.shape[0], -1).all(axis=1)).sum())
    largest = float(np.abs(X).max()) if X.size else 0.0
    raise ValueError(
        f"The network's output overflows for {bad} of the {finite.shape[0]} rows of "
        f"{name}, whose values reach {largest:.3g}: the networks compute in float32 "
        f"(largest value {FLOAT32_MAX:.3g}). Scale the inputs as in training (e.g. "
        "with the same StandardScaler in a Pipeline) or remove such rows."
    )


def check_label_types(labels, name="y"):
    """Raise a ``ValueError`` when ``labels`` mix strings with other values.

    numpy cannot sort such labels (its ``TypeError`` names no argument),
    and a list of them silently becomes strings (``1`` turning into
    ``"1"``). Lists, tuples, pandas objects and object arrays are checked;
    arrays of one numpy dtype hold one kind of label by construction.
    """
    dtype = getattr(labels, "dtype", None)
    if dtype is not None and dtype != object:
        return
    if dtype is None and not isinstance(labels, (list, tuple)):
        return
    values = np.asarray(labels, dtype=object).ravel()
    is_text = np.fromiter((isinstance(v, (str, bytes)) for v in values), bool, len(values))
    if is_text.all() or not is_text.any():
        return
    text, other = values[is_text][0], values[~is_text][0]
    raise ValueError(
        f"`{name}` mixes strings and other labels (e.g. {text!r} and {other!r} of "
        f"type {type(other).__name__}); the labels of a classifier must be all "
        f"strings or all numbers. Convert them to one type first, e.g. "
        f"{name} = np.asarray({name}).astype(str)."
    )


def check_same_classes(classes, classes_):
    """Raise like scikit-learn when ``classes`` differ from those of the first ``partial_fit``."""
    given = np.unique(np.asarray(classes))
    if given.shape != classes_.shape or not np.array_equal(given, classes_):
        raise ValueError(
            f"classes={given.tolist()} is not the same as the classes of the model, "
            f"classes_={classes_.tolist()} (set by fit or by the first call to "
            "partial_fit). Pass the same classes (or none) to the later calls, or "
            "call fit to start again."
        )


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
