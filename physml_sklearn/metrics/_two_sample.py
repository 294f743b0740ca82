"""Two-sample distances and tests: are two sets of rows drawn from one distribution?"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.base import clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils import check_array

from .._meta import no_sample_weight_reason, sample_weight_param
from .._weights import check_weight_vector, kish_size

__all__ = ["classifier_two_sample_auc", "effective_sample_size", "energy_distance"]

# Largest number of pairwise distances held in memory at once (32 MiB of float64).
_CHUNK_DISTANCES = 2**22
# Larger absolute values are scaled down before the distances are computed.
_LARGEST_UNSCALED = 1e150


def _check_two_samples(X, Y, *, ensure_all_finite=True):
    """Validate two samples of rows; return them as 2-D float arrays."""
    columns_x, columns_y = getattr(X, "columns", None), getattr(Y, "columns", None)
    X = check_array(
        X,
        ensure_2d=False,
        dtype=np.float64,
        ensure_all_finite=ensure_all_finite,
        input_name="X",
    )
    Y = check_array(
        Y,
        ensure_2d=False,
        dtype=np.float64,
        ensure_all_finite=ensure_all_finite,
        input_name="Y",
    )
    X = X.reshape(-1, 1) if X.ndim == 1 else X
    Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features but Y has {Y.shape[1]}; both samples must "
            "describe the same features, in the same order."
        )
    if columns_x is not None and columns_y is not None:
        if list(columns_x) != list(columns_y):
            raise ValueError(
                f"X and Y are DataFrames with different columns: {list(columns_x)} "
                f"and {list(columns_y)}. Select the same columns in the same order, "
                "e.g. Y[X.columns]."
            )
    return X, Y


def _sorted_rows(A):
    """The rows of ``A`` in lexicographic order."""
    return A[np.lexsort(A.T[::-1])]


def _sum_of_distances(A, B):
    """Sum of the Euclidean distances between all rows of ``A`` and of ``B``.

    Works through ``A`` in chunks of rows so that at most about
    ``_CHUNK_DISTANCES`` distances are held in memory at once.
    """
    rows_per_chunk = max(1, _CHUNK_DISTANCES // B.shape[0])
    total = 0.0
    for start in range(0, A.shape[0], rows_per_chunk):
        total += cdist(A[start : start + rows_per_chunk], B).sum()
    return total


def _canonical_pair(A, B):
    """Put two sorted samples in an order that does not depend on argument order."""
    if A.shape != B.shape:
        return (A, B) if A.shape[0] < B.shape[0] else (B, A)
    differ = (A != B).ravel()
    if not differ.any():
        return A, B
    first = np.argmax(differ)
    return (A, B) if A.ravel()[first] < B.ravel()[first] else (B, A)


def energy_distance(X, Y):
    """Multivariate energy distance between two samples of rows.

    The energy distance of Székely and Rizzo,
    ``2 E|X - Y| - E|X - X'| - E|Y - Y'|``, with ``|.|`` the Euclidean norm
    and ``X'``, ``Y'`` independent copies of ``X``, ``Y``. It is zero if and
    only if the two distributions are the same, and it sees every difference
    between them (location, scale, correlations, shape), in any number of
    dimensions.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_features) or (n_samples_X,)
        First sample, one event per row. A 1-D array is one feature.

    Y : array-like of shape (n_samples_Y, n_features) or (n_samples_Y,)
        Second sample, with the same features as `X`. DataFrames must have
        the same columns in the same order.

    Returns
    -------
    distance : float
        The energy distance, in the units of the features. Non-negative, and
        exactly ``0.0`` when `X` and `Y` hold the same rows (in any order).

    See Also
    --------
    classifier_two_sample_auc : A two-sample test by a classifier.
    scipy.stats.energy_distance : The 1-D version, whose value is the square
        root of this one.

    Notes
    -----
    The expectations are the means over all pairs of rows, self-pairs
    included (the V-statistic): this is the energy distance between the two
    empirical distributions, so it is never negative and vanishes for
    identical samples. The U-statistic, which leaves out the self-pairs, is
    unbiased but can be negative and is not zero for identical samples. For
    1-D samples ``scipy.stats.energy_distance(x, y)`` equals
    ``sqrt(energy_distance(x, y))``.

    The distances are computed exactly, for all ``n_X n_Y + n_X**2 + n_Y**2``
    pairs, with ``scipy.spatial.distance.cdist`` on chunks of rows, so memory
    stays bounded (about 32 MiB) whatever the sample sizes; two samples of
    5,000 rows take a fraction of a second. Features with very different
    scales should be standardised first, as the distance is Euclidean.

    The rows of each sample are sorted first, so the result does not depend
    on the order of the rows, and the sums are arranged so that
    ``energy_distance(X, Y) == energy_distance(Y, X)`` exactly.

    References
    ----------
    .. [1] G. J. Székely and M. L. Rizzo, "Energy statistics: A class of
       statistics based on distances", Journal of Statistical Planning and
       Inference 143 (2013) 1249-1272.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.metrics import energy_distance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> energy_distance(X, X)
    0.0
    >>> bool(energy_distance(X, rng.normal(size=(500, 2))) < 0.05)
    True
    >>> round(energy_distance(X, rng.normal(loc=3.0, size=(500, 2))), 1)
    5.5
    """
    X, Y = _check_two_samples(X, Y)
    # beyond about 1e150 the squared differences overflow: compute on rows
    # divided by a power of two (exact) and scale the distance back
    largest = max(np.abs(X).max(initial=0.0), np.abs(Y).max(initial=0.0))
    scale = 1.0
    if largest > _LARGEST_UNSCALED:
        scale = float(2.0 ** np.ceil(np.log2(largest)))
        X, Y = X / scale, Y / scale
    A, B = _canonical_pair(_sorted_rows(X), _sorted_rows(Y))
    n_a, n_b = float(A.shape[0]), float(B.shape[0])
    between = 2.0 * _sum_of_distances(A, B) / (n_a * n_b)
    within = _sum_of_distances(A, A) / (n_a * n_a) + _sum_of_distances(B, B) / (
        n_b * n_b
    )
    return float(max(between - within, 0.0) * scale)


def effective_sample_size(weights):
    """Kish's effective sample size of weighted events: ``(sum w)**2 / sum w**2``.

    The number of unweighted events that would give the same statistical
    precision on a sum as the weighted ones. It equals the number of events
    when all weights are equal, and drops as the weights spread: a
    reweighting that gives a few events large weights costs statistics.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        The event weights; negative weights are allowed.

    Returns
    -------
    n_eff : float
        ``(sum w)**2 / sum w**2``; 0.0 when every weight is 0.

    See Also
    --------
    physml_sklearn.ClassifierReweighter : Produces such weights.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.metrics import effective_sample_size
    >>> effective_sample_size(np.ones(100))
    100.0
    >>> round(effective_sample_size([1.0, 1.0, 2.0, 4.0]), 3)  # 8**2 / 22
    2.909
    """
    return kish_size(check_weight_vector(weights, "weights"))


def _check_sample_weight(weight, n_rows, name, sample):
    if weight is None:
        return None
    weight = check_weight_vector(weight, name)
    if weight.shape[0] != n_rows:
        raise ValueError(
            f"{name} has {weight.shape[0]} entries but {sample} has {n_rows} rows; "
            "pass one weight per row."
        )
    if not weight.sum() > 0:
        raise ValueError(
            f"{name} sums to {weight.sum():g}; the weights of a sample must have a "
            "positive sum."
        )
    return weight


def _fit_weighted(estimator, X, y, weight):
    """``estimator.fit`` with ``sample_weight`` (where ``sample_weight_param`` finds it)."""
    name = sample_weight_param(estimator)
    if name is not None:
        return estimator.fit(X, y, **{name: weight})
    raise ValueError(
        "sample_weight_X or sample_weight_Y was given but "
        f"{no_sample_weight_reason(estimator)}. Pass an estimator that does, such as the "
        "default (estimator=None)."
    )


def _positive_score(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)[:, 1]
    return estimator.decision_function(X)


def _leaf_size(cv, data, labels, default=20):
    """``min_samples_leaf`` of the default trees: small enough that they can split.

    ``HistGradientBoostingClassifier`` keeps at least 20 rows in a leaf, so a
    training fold of fewer than 40 rows cannot be split at all: every row
    gets the same score and the AUC is 0.5 even for samples that do not
    overlap. The leaf size is lowered to a quarter of the smallest training
    fold, which leaves room for splits; from 80 training rows on it is the
    default 20.
    """
    smallest = min(len(train) for train, _ in cv.split(data, labels))
    return int(min(default, max(1, smallest // 4)))


def classifier_two_sample_auc(X, Y, *, sample_weight_X=None, sample_weight_Y=None,
                              estimator=None, cv=5, random_state=None):
    """Classifier two-sample test: the AUC of a classifier separating X from Y.

    A classifier is trained to separate the rows of `X` (label 0) from the
    rows of `Y` (label 1), and its ROC AUC is measured on held-out folds. If
    the two samples come from the same distribution no classifier can do
    better than chance and the AUC is close to 0.5; the closer to 1, the more
    different the samples.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_features) or (n_samples_X,)
        First sample, one event per row. A 1-D array is one feature. Missing
        values (NaN) are passed on to the estimator, which the default one
        handles.

    Y : array-like of shape (n_samples_Y, n_features) or (n_samples_Y,)
        Second sample, with the same features as `X`.

    sample_weight_X : array-like of shape (n_samples_X,), default=None
        Weights of the rows of `X` (e.g. a reweighting of a simulation);
        negative weights are allowed, their sum must be positive. None means
        all 1.

    sample_weight_Y : array-like of shape (n_samples_Y,), default=None
        Weights of the rows of `Y`, likewise.

    estimator : classifier, default=None
        The classifier to train; it is cloned, never fitted in place. It must
        have ``predict_proba`` or ``decision_function``. ``None`` uses
        ``HistGradientBoostingClassifier(random_state=random_state)``.

    cv : int or cross-validation splitter, default=5
        An int is the number of folds of a
        ``StratifiedKFold(shuffle=True, random_state=random_state)``; each
        sample needs at least that many rows. A splitter is used as given.

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of the folds and the default estimator. Pass an
        int for reproducible results. A given `estimator` keeps its own
        ``random_state``.

    Returns
    -------
    auc : float
        Mean ROC AUC over the folds: 0.5 for indistinguishable samples, 1 for
        fully separated ones.

    See Also
    --------
    energy_distance : A distance between two samples, without training.
    sklearn.model_selection.cross_val_score : Runs the cross-validation.

    Notes
    -----
    The default classifier is a gradient-boosted tree ensemble because the
    test is only as sharp as the classifier. A linear model can only learn a
    half-space: two samples with the same mean that differ in shape (points
    along the curve ``y = x**3`` against a Gaussian blob, a ring against a
    disc) give it nothing to separate, and it would call any such pair of
    samples alike. Trees cut the feature space into boxes and can follow any
    shape, need no scaling of the features and handle missing values. Their
    leaves keep at least 20 rows, or a quarter of the smallest training fold
    when that is fewer (a fold of under 40 rows could not be split at all,
    and every pair of samples would score 0.5).

    With weights, each sample is compared as the weighted distribution its
    weights describe: the classifier trains with the weights of both samples,
    each sample's weights scaled to the same sum (so that a sample's size or
    normalisation is not something to separate), and the held-out ROC AUC is
    weighted by them. Judging a reweighting this way is the same test as
    before reweighting, with the new weights.

    When the samples differ in size the AUC is still 0.5 under the null
    hypothesis, since it does not depend on the class proportions. With few
    rows the mean AUC scatters around 0.5 by a few hundredths; to turn it into
    a p-value, compare it with the AUCs obtained after permuting the labels.

    References
    ----------
    .. [1] D. Lopez-Paz and M. Oquab, "Revisiting Classifier Two-Sample Tests",
       ICLR 2017, arXiv:1610.06545.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.metrics import classifier_two_sample_auc
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2))
    >>> same = classifier_two_sample_auc(X, rng.normal(size=(400, 2)), random_state=0)
    >>> bool(abs(same - 0.5) < 0.1)
    True
    >>> shifted = rng.normal(loc=3.0, size=(400, 2))
    >>> bool(classifier_two_sample_auc(X, shifted, random_state=0) > 0.95)
    True

    Weights that turn `X` into the distribution of `Y` make them alike again:

    >>> from scipy.stats import norm
    >>> Z = rng.normal(loc=0.8, size=(2000, 1))
    >>> U = rng.normal(size=(2000, 1))
    >>> ratio = norm.pdf(U[:, 0], loc=0.8) / norm.pdf(U[:, 0])
    >>> bool(classifier_two_sample_auc(U, Z, random_state=0) > 0.6)
    True
    >>> bool(classifier_two_sample_auc(U, Z, sample_weight_X=ratio, random_state=0) < 0.55)
    True
    """
    X, Y = _check_two_samples(X, Y, ensure_all_finite="allow-nan")
    default = estimator is None
    if default:
        estimator = HistGradientBoostingClassifier(random_state=random_state)
    elif not is_classifier(estimator):
        raise ValueError(
            f"estimator must be a classifier, got {estimator!r}. Pass a classifier "
            "with predict_proba or decision_function, or None for "
            "HistGradientBoostingClassifier."
        )
    else:
        estimator = clone(estimator)

    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(
                f"cv must be an int of at least 2 (the number of folds), got {cv}."
            )
        smallest = min(X.shape[0], Y.shape[0])
        if smallest < cv:
            raise ValueError(
                f"cv={cv} folds need at least {cv} rows in each sample, but the "
                f"smaller sample has {smallest}. Lower cv or pass more rows."
            )
        cv = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    elif not (hasattr(cv, "split") and hasattr(cv, "get_n_splits")):
        raise ValueError(
            f"cv must be an int (the number of folds) or a cross-validation "
            f"splitter with split and get_n_splits, such as StratifiedKFold, got "
            f"{cv!r}."
        )

    weight_X = _check_sample_weight(sample_weight_X, X.shape[0], "sample_weight_X", "X")
    weight_Y = _check_sample_weight(sample_weight_Y, Y.shape[0], "sample_weight_Y", "Y")
    data = np.vstack([X, Y])
    labels = np.concatenate([np.zeros(X.shape[0], int), np.ones(Y.shape[0], int)])
    if default:
        estimator.set_params(min_samples_leaf=_leaf_size(cv, data, labels))
    if weight_X is None and weight_Y is None:
        scores = cross_val_score(
            estimator, data, labels, cv=cv, scoring="roc_auc", error_score="raise"
        )
        return float(np.mean(scores))
    # each sample weighted to the same sum, its mean weight over both being 1
    n_total = data.shape[0]
    weight_X = np.ones(X.shape[0]) if weight_X is None else weight_X
    weight_Y = np.ones(Y.shape[0]) if weight_Y is None else weight_Y
    weight = np.concatenate([
        weight_X * (n_total / 2 / weight_X.sum()),
        weight_Y * (n_total / 2 / weight_Y.sum()),
    ])
    scores = []
    for train, test in cv.split(data, labels):
        model = _fit_weighted(clone(estimator), data[train], labels[train], weight[train])
        scores.append(roc_auc_score(labels[test], _positive_score(model, data[test]),
                                    sample_weight=weight[test]))
    return float(np.mean(scores))
