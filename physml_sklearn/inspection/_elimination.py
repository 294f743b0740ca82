"""Backward feature elimination by permutation importance on held-out folds."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from copy import deepcopy
from functools import partial
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.feature_selection import SelectorMixin
from sklearn.inspection import permutation_importance
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import (
    _safe_indexing,
    check_random_state,
    get_tags,
)
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt
from sklearn.utils.metadata_routing import (
    UNUSED,
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from .._meta import index_params
from .._weights import check_weight_vector

__all__ = ["PermutationFeatureElimination"]


def _estimator_has(attr):
    """For ``available_if``: the fitted ``estimator_``, else ``estimator``, has ``attr``."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


def _fit_and_rank(
    estimator,
    X,
    y,
    train,
    test,
    features,
    *,
    scorer,
    score_params,
    fit_params,
    n_repeats,
    random_state,
    need_importances,
):
    """Fit on the train rows of ``features``; score and rank them on the test rows.

    Returns the held-out score and the permutation importance of each of
    ``features`` on the held-out rows (None when not needed).
    """
    n_samples = X.shape[0]
    X_train = _safe_indexing(_safe_indexing(X, train), features, axis=1)
    X_test = _safe_indexing(_safe_indexing(X, test), features, axis=1)
    y_train, y_test = _safe_indexing(y, train), _safe_indexing(y, test)
    estimator.fit(X_train, y_train, **index_params(fit_params, train, n_samples))
    score_kwargs = index_params(score_params, test, n_samples)
    score = scorer(estimator, X_test, y_test, **score_kwargs)
    importances = None
    if need_importances:
        weight_test = score_kwargs.pop("sample_weight", None)
        # permutation_importance passes on sample_weight only; bind the rest
        permuted_scorer = partial(scorer, **score_kwargs) if score_kwargs else scorer
        importances = permutation_importance(
            estimator,
            X_test,
            y_test,
            scoring=permuted_scorer,
            n_repeats=n_repeats,
            random_state=random_state,
            sample_weight=weight_test,
        ).importances_mean
    return score, importances


class PermutationFeatureElimination(SelectorMixin, MetaEstimatorMixin, BaseEstimator):
    """Backward feature elimination ranked by permutation importance, cross-validated.

    Like :class:`~sklearn.feature_selection.RFECV`, but the variables are
    ranked by their permutation importance on held-out events instead of by
    ``coef_`` or ``feature_importances_``, so it works for any model,
    neural networks included. Starting from all the variables, each step
    clones ``estimator`` for every cross-validation fold, fits it on the
    training part of the fold using the variables still in play, scores it on
    the held-out part and measures there the permutation importance of every
    variable. The ``step`` variables with the lowest importance, averaged over
    the folds, are dropped and the next step retrains without them. The
    held-out score of every number of variables is kept in ``cv_results_``:
    it answers "if I drop the worst variables and retrain, does it make a
    difference?".

    Finally the selected variables are those of the step with the best mean
    held-out score (or the fixed number ``n_features_to_select``), and a clone
    of ``estimator`` is refitted on all the data with them: ``estimator_``,
    which ``predict``, ``predict_proba`` and ``score`` use.

    Parameters
    ----------
    estimator : estimator object
        The model (or pipeline) to fit at every step; it is cloned, never
        fitted itself.
    n_features_to_select : int, float or None, default=None
        How many variables to keep. ``None``: as many as give the best mean
        held-out score, the elimination running down to one variable (as
        ``RFECV`` does); of equal scores the smaller number wins. An int: that
        many; a float in (0, 1]: that fraction of the variables (at least
        one). With a fixed number the elimination stops there, so
        ``cv_results_`` covers the numbers from all the variables down to it.
    step : int or float, default=1
        Variables dropped per step: an int (>= 1), or a float in (0, 1) for
        that fraction of the initial number of variables (at least one). The
        last step drops no more than needed to reach the smallest number.
    scoring : str or callable, default=None
        The score of the held-out folds, of the permutation importances and of
        :meth:`score`: a scikit-learn scorer name (``"roc_auc"``,
        ``"neg_log_loss"`` ...) or a callable ``scorer(estimator, X, y)``.
        ``None`` uses ``estimator.score`` (the accuracy for a classifier).
    n_repeats : int, default=5
        Shuffles of each variable when measuring its permutation importance.
    cv : int, cross-validation generator or iterable, default=5
        The folds, as for :func:`~sklearn.model_selection.cross_validate`:
        an int gives ``StratifiedKFold`` for a classifier and ``KFold``
        otherwise.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles of the permutation importances. It does not seed
        ``estimator``: give it its own ``random_state`` for a reproducible
        elimination.
    n_jobs : int, default=None
        Number of folds fitted in parallel at each step; ``None`` means 1.

    Attributes
    ----------
    estimator_ : estimator object
        Clone of ``estimator`` fitted on all the data, selected variables only.
    n_features_ : int
        Number of selected variables.
    support_ : ndarray of shape (`n_features_in_`,)
        Mask of the selected variables.
    ranking_ : ndarray of shape (`n_features_in_`,)
        1 for the selected variables; a variable dropped at the last step
        before the selection gets 2, one dropped a step earlier 3, and so on.
    cv_results_ : dict of ndarrays
        One entry per number of variables tried, in increasing order:

        - ``n_features``: the number of variables;
        - ``mean_test_score``, ``std_test_score``: the held-out score over the
          folds;
        - ``split{k}_test_score``: the held-out score of fold ``k``;
        - ``features``: the names of the variables in play (tuples).

        ``pandas.DataFrame(cv_results_)`` makes it a table.
    classes_ : ndarray of shape (n_classes,)
        The classes, when ``estimator`` is a classifier.
    n_features_in_ : int
        Number of variables seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Their names, when ``fit`` was given a DataFrame with string columns.

    See Also
    --------
    rank_features : The permutation ranking of one fitted model.
    sklearn.feature_selection.RFECV : The same search by ``coef_`` or
        ``feature_importances_``.

    Notes
    -----
    All the folds drop the same variables at every step (the importances are
    averaged over the folds), so every entry of ``cv_results_`` is the
    cross-validated score of one definite set of variables, the set that
    ``support_`` holds when that entry is chosen. The importances are measured
    on held-out events only: an overtrained model can rely on the
    fluctuations of a useless variable in its training sample, which an
    in-sample permutation would reward. As in ``RFECV``, the held-out folds
    also steer which variables are dropped, so the best ``mean_test_score`` is
    slightly optimistic; judge the final model on a separate test sample.

    When the data are a DataFrame with string column names, ``estimator``
    receives DataFrames of the selected columns (so column-based pipelines
    keep working and ``estimator_.feature_names_in_`` names the selection).

    The cost is about ``n_splits * n_steps`` fits plus
    ``n_splits * n_steps * n_repeats * n_features`` predictions on a fold;
    raise ``step`` for many variables.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from physml_sklearn.inspection import PermutationFeatureElimination
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 5))
    >>> y = (X[:, 0] - X[:, 3] > 0).astype(int)
    >>> selector = PermutationFeatureElimination(
    ...     LogisticRegression(), n_repeats=3, cv=3, random_state=0).fit(X, y)
    >>> selector.support_
    array([ True, False, False,  True, False])
    >>> selector.cv_results_["n_features"]
    array([1, 2, 3, 4, 5])
    >>> selector.get_feature_names_out()
    array(['x0', 'x3'], dtype=object)
    """

    # sample_weight and groups are routed to the estimator, scorer and splitter
    __metadata_request__fit = {"groups": UNUSED, "sample_weight": UNUSED}
    __metadata_request__score = {"sample_weight": UNUSED}

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "n_features_to_select": [
            None,
            Interval(RealNotInt, 0, 1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "step": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "scoring": [str, callable, None],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator,
        *,
        n_features_to_select=None,
        step=1,
        scoring=None,
        n_repeats=5,
        cv=5,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.n_features_to_select = n_features_to_select
        self.step = step
        self.scoring = scoring
        self.n_repeats = n_repeats
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs

    @property
    def classes_(self):
        """The class labels of ``estimator_``, when it is a classifier."""
        return self.estimator_.classes_

    def _smallest_n_features(self, n_features):
        """The number of variables at which the elimination stops."""
        target = self.n_features_to_select
        if target is None:
            return 1
        if isinstance(target, Integral):
            if target > n_features:
                warnings.warn(
                    f"n_features_to_select={target} is larger than the {n_features} "
                    "features of X; all of them are kept. Pass at most "
                    f"{n_features}, a fraction, or None to choose by the "
                    "cross-validated score.",
                    UserWarning,
                )
            return min(target, n_features)
        return max(1, int(target * n_features))

    def _n_dropped_per_step(self, n_features):
        if isinstance(self.step, Integral):
            return self.step
        return max(1, int(self.step * n_features))

    def _uses_frames(self, X):
        """Whether ``estimator`` receives DataFrames with the column names."""
        return hasattr(X, "iloc") and hasattr(self, "feature_names_in_")

    def _needs_finite(self):
        # NaN in a dropped column would never reach the estimator: check all
        return not get_tags(self.estimator).input_tags.allow_nan

    def _names(self):
        if hasattr(self, "feature_names_in_"):
            return np.asarray(self.feature_names_in_, dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)

    @_fit_context(
        # the inner estimator is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, groups=None, sample_weight=None, **fit_params):
        """Run the cross-validated elimination and refit on the selected variables.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training events.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group-aware ``cv`` (e.g. ``GroupKFold``).
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights. By default they weight the held-out scores and
            the permutation importances, and are passed to ``estimator.fit``
            when it takes ``sample_weight`` (a ``Pipeline`` does not: give it
            ``<step>__sample_weight`` in ``fit_params`` too). With
            ``sklearn.set_config(enable_metadata_routing=True)`` they go,
            like any other metadata, exactly where they were requested: to
            the fits of the estimator (or of a pipeline step) that called
            ``set_fit_request(sample_weight=True)``, and to the scores when
            the scorer (or, for ``scoring=None``, the estimator) called
            ``set_score_request(sample_weight=True)``.
        **fit_params : dict
            Further parameters of ``estimator.fit`` (with metadata routing:
            further metadata, routed as requested); those with one entry per
            event are split with the folds.

        Returns
        -------
        self : object
            The fitted selector.
        """
        X_checked, y = validate_data(
            self, X, y, dtype=None, ensure_all_finite=self._needs_finite(),
            multi_output=True,
        )
        X_data = X if self._uses_frames(X) else X_checked
        n_samples, n_features = X_checked.shape
        if sample_weight is not None:
            sample_weight = check_weight_vector(sample_weight, "sample_weight", n_samples)
        if _routing_enabled():
            metadata = dict(fit_params)
            if sample_weight is not None:
                metadata["sample_weight"] = sample_weight
            if groups is not None:
                metadata["groups"] = groups
            routed = process_routing(self, "fit", **metadata)
            fit_params = dict(routed.estimator.fit)
            score_params = dict(routed.scorer.score)
            split_params = dict(routed.splitter.split)
        else:
            score_params = {} if sample_weight is None else {"sample_weight": sample_weight}
            split_params = {"groups": groups}
            if sample_weight is not None and has_fit_parameter(
                self.estimator, "sample_weight"
            ):
                fit_params = {**fit_params, "sample_weight": sample_weight}

        n_min = self._smallest_n_features(n_features)
        n_drop = self._n_dropped_per_step(n_features)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X_checked, y, **split_params))
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        rng = check_random_state(self.random_state)
        parallel = Parallel(n_jobs=self.n_jobs)

        support = np.ones(n_features, dtype=bool)
        step_features, step_scores, dropped = [], [], []
        while True:
            features = np.flatnonzero(support)
            need_importances = features.size > n_min
            seeds = rng.randint(np.iinfo(np.int32).max, size=len(splits))
            results = parallel(
                delayed(_fit_and_rank)(
                    clone(self.estimator),
                    X_data,
                    y,
                    train,
                    test,
                    features,
                    scorer=scorer,
                    score_params=score_params,
                    fit_params=fit_params,
                    n_repeats=self.n_repeats,
                    random_state=seed,
                    need_importances=need_importances,
                )
                for (train, test), seed in zip(splits, seeds)
            )
            step_features.append(features)
            step_scores.append([score for score, _ in results])
            if not need_importances:
                break
            importances = np.mean([imp for _, imp in results], axis=0)
            worst = np.argsort(importances, kind="stable")[: min(n_drop, features.size - n_min)]
            support[features[worst]] = False
            dropped.append(features[worst])

        scores = np.asarray(step_scores, dtype=np.float64)  # (n_steps, n_splits)
        mean_scores = scores.mean(axis=1)
        if self.n_features_to_select is None:
            # the steps go from many to few variables: of equal scores take the fewest
            chosen = int(np.flatnonzero(mean_scores == np.nanmax(mean_scores))[-1])
        else:
            chosen = len(step_features) - 1

        self.support_ = np.zeros(n_features, dtype=bool)
        self.support_[step_features[chosen]] = True
        self.n_features_ = int(self.support_.sum())
        self.ranking_ = np.ones(n_features, dtype=np.int64)
        for k, features in enumerate(dropped[:chosen]):
            self.ranking_[features] = 1 + chosen - k

        names = self._names()
        order = slice(None, None, -1)  # increasing number of variables
        features_column = np.empty(len(step_features), dtype=object)
        features_column[:] = [tuple(names[f].tolist()) for f in step_features[order]]
        self.cv_results_ = {
            "n_features": np.array([f.size for f in step_features[order]]),
            "mean_test_score": mean_scores[order],
            "std_test_score": scores.std(axis=1)[order],
            **{f"split{k}_test_score": scores[order, k] for k in range(scores.shape[1])},
            "features": features_column,
        }

        selected = np.flatnonzero(self.support_)
        self.estimator_ = clone(self.estimator).fit(
            _safe_indexing(X_data, selected, axis=1), y, **fit_params
        )
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def _check_loaded_state(self):
        """Raise if the fitted attributes do not fit together (a model file's)."""
        support = self.support_
        if not (isinstance(support, np.ndarray) and support.dtype == bool
                and support.shape == (self.n_features_in_,) and support.any()):
            raise ValueError(
                f"support_ is not a boolean mask of the {self.n_features_in_} features "
                "that keeps at least one"
            )
        width = getattr(self.estimator_, "n_features_in_", None)
        if width is not None and width != int(support.sum()):
            raise ValueError(
                f"estimator_ takes {width} features and support_ keeps {int(support.sum())}"
            )

    def _select(self, X):
        """``X`` reduced to the selected variables, in the form ``estimator_`` was fitted on."""
        check_is_fitted(self)
        X_checked = validate_data(
            self, X, reset=False, dtype=None, ensure_all_finite=self._needs_finite()
        )
        selected = np.flatnonzero(self.support_)
        if not hasattr(self, "feature_names_in_"):
            return X_checked[:, selected]
        if hasattr(X, "iloc"):
            return X.iloc[:, selected]
        return pd.DataFrame(X_checked[:, selected], columns=self.feature_names_in_[selected])

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with ``estimator_`` on the selected variables.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events with all the variables seen in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predictions of ``estimator_``.
        """
        X = self._select(X)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from ``estimator_`` on the selected variables.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events with all the variables seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        X = self._select(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from ``estimator_`` on the selected variables.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events with all the variables seen in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        X = self._select(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of ``estimator_`` on the selected variables.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events with all the variables seen in ``fit``.

        Returns
        -------
        score : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The output of ``estimator_.decision_function``.
        """
        X = self._select(X)
        return self.estimator_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """The ``scoring`` of ``estimator_`` on the selected variables.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events with all the variables seen in ``fit``.
        y : array-like of shape (n_samples,)
            Their targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights. With metadata routing enabled, they reach the
            scorer only when it requested them (see :meth:`fit`).

        Returns
        -------
        score : float
            The score named by ``scoring`` (``estimator_.score`` when None),
            as in ``cv_results_``.
        """
        X = self._select(X)
        scorer = check_scoring(self.estimator_, scoring=self.scoring)
        if _routing_enabled():
            metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
            kwargs = dict(process_routing(self, "score", **metadata).scorer.score)
        else:
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return scorer(self.estimator_, X, y, **kwargs)

    def get_metadata_routing(self):
        """Where the metadata of ``fit`` and ``score`` go, with metadata routing.

        Used when ``sklearn.set_config(enable_metadata_routing=True)``; see
        scikit-learn's metadata routing user guide.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            ``fit`` routes to ``estimator.fit``, to the ``cv`` splitter's
            ``split`` and to the scorer; ``score`` routes to the scorer.
        """
        return (
            MetadataRouter(owner=self)
            .add(
                estimator=self.estimator,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(
                scorer=check_scoring(self.estimator, scoring=self.scoring),
                method_mapping=MethodMapping()
                .add(caller="fit", callee="score")
                .add(caller="score", callee="score"),
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        # selecting variables on small data may cost a little accuracy
        if tags.classifier_tags is not None:
            tags.classifier_tags.poor_score = True
        if tags.regressor_tags is not None:
            tags.regressor_tags.poor_score = True
        tags.target_tags.required = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
