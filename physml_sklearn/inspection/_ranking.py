"""Rank the input variables of a fitted model by permutation importance."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import _num_samples

from .._weights import check_weight_vector

__all__ = ["rank_features"]


def _feature_names(estimator, X):
    """Column names of ``X``, else the estimator's ``feature_names_in_``, else x0, x1 ..."""
    n_features = X.shape[1]
    columns = getattr(X, "columns", None)
    if columns is not None:
        return np.asarray([str(c) for c in columns], dtype=object)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and len(names) == n_features:
        return np.asarray(names, dtype=object)
    return np.asarray([f"x{i}" for i in range(n_features)], dtype=object)


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like"],
        "y": ["array-like", None],
        "scoring": [str, callable, None],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def rank_features(
    estimator,
    X,
    y,
    *,
    scoring=None,
    n_repeats=10,
    sample_weight=None,
    random_state=None,
    n_jobs=None,
):
    """Rank the input variables of a fitted model by permutation importance.

    Each column of ``X`` in turn is shuffled ``n_repeats`` times, breaking its
    relation to the target while keeping its distribution, and the drop of
    the model's score is recorded: the larger the drop, the more the model
    relies on that variable. This is
    :func:`sklearn.inspection.permutation_importance` returned as a table
    sorted from the most to the least important variable, which is what a
    physicist reads to decide which inputs to keep. It needs nothing but
    ``predict`` / ``predict_proba`` / ``score``, so it works for neural
    networks that have no ``coef_`` or ``feature_importances_``.

    Compute it on held-out events (a test sample): on the training sample an
    overtrained model looks as if it relied on variables whose fluctuations it
    has learnt.

    Parameters
    ----------
    estimator : estimator object
        A fitted estimator (or pipeline) that ``scoring`` can evaluate.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Events on which to measure the importances, ideally not used in the
        fit.
    y : array-like of shape (n_samples,) or None
        Their targets (``None`` for unsupervised scoring).
    scoring : str or callable, default=None
        Score whose drop measures the importance: a scikit-learn scorer name
        (``"roc_auc"``, ``"neg_log_loss"`` ...) or a callable
        ``scorer(estimator, X, y)``. ``None`` uses ``estimator.score``
        (the accuracy for a classifier).
    n_repeats : int, default=10
        Number of shuffles of each column.
    sample_weight : array-like of shape (n_samples,), default=None
        Event weights used in scoring (e.g. cross-section weights).
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles; an int gives the same ranking every call.
    n_jobs : int, default=None
        Number of jobs computing the columns in parallel; ``None`` means 1.

    Returns
    -------
    ranking : pandas.DataFrame
        One row per input variable, sorted from the most to the least
        important, with the columns

        - ``feature``: the name of the variable, taken from the columns of
          ``X`` when it is a DataFrame, else from the estimator's
          ``feature_names_in_``, else ``x0``, ``x1`` ...;
        - ``importance_mean``: mean drop of the score over the repeats;
        - ``importance_std``: its standard deviation over the repeats;
        - ``rank``: 1 for the most important variable, 2 for the next ...

        Ties keep the column order of ``X``.

    See Also
    --------
    sklearn.inspection.permutation_importance : The computation underneath.
    PermutationFeatureElimination : Drop the least important variables and
        retrain, with the score of every step cross-validated.
    physml_sklearn.plotting.FeatureImportanceDisplay : Plot a ranking.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from physml_sklearn.inspection import rank_features
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3))
    >>> y = (X[:, 2] + 0.5 * X[:, 0] > 0).astype(int)
    >>> clf = LogisticRegression().fit(X, y)
    >>> ranking = rank_features(clf, X, y, n_repeats=5, random_state=0)
    >>> ranking["feature"].tolist()
    ['x2', 'x0', 'x1']
    >>> ranking["rank"].tolist()
    [1, 2, 3]
    """
    if sample_weight is not None:  # scikit-learn's message would not name it
        sample_weight = check_weight_vector(sample_weight, "sample_weight", _num_samples(X))
    result = permutation_importance(
        estimator,
        X,
        y,
        scoring=scoring,
        n_repeats=n_repeats,
        n_jobs=n_jobs,
        random_state=random_state,
        sample_weight=sample_weight,
    )
    ranking = pd.DataFrame(
        {
            "feature": _feature_names(estimator, X),
            "importance_mean": result.importances_mean,
            "importance_std": result.importances_std,
        }
    )
    order = np.argsort(-result.importances_mean, kind="stable")
    ranking = ranking.iloc[order].reset_index(drop=True)
    ranking["rank"] = np.arange(1, len(ranking) + 1)
    return ranking
