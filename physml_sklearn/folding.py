"""k-fold cross-training, the way collider analyses do it (TMVA's CrossValidation)."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import difflib
import os
import sys
from contextlib import contextmanager
from numbers import Integral

import numpy as np
import pandas as pd
from joblib import cpu_count, effective_n_jobs
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import _safe_indexing, check_array, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import threadpool_limits

from ._fold_rule import integer_folds
from ._meta import index_params, no_sample_weight_reason, sample_weight_param
from ._weights import check_weight_vector

__all__ = ["FoldingClassifier"]


def _estimator_has(attr):
    """For ``available_if``: the fitted folds, else ``estimator``, have ``attr``."""

    def check(self):
        if hasattr(self, "estimators_"):
            return all(hasattr(est, attr) for est in self.estimators_)
        return hasattr(self.estimator, attr)

    return check


@contextmanager
def _thread_limit(n_threads, main_pid):
    """Cap the BLAS, OpenMP and torch threads of a worker process at ``n_threads``.

    Nothing is touched when ``n_threads`` is None (a sequential fit) or in the
    user's own process (a threading backend): thread settings are
    process-wide, so only a worker process of its own may change them.
    """
    if n_threads is None or os.getpid() == main_pid:
        yield
        return
    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=n_threads):
        if torch is not None:
            torch.set_num_threads(n_threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(previous)


def _fit_fold(estimator, X, y, fit_params, n_threads, main_pid):
    """Fit one clone (in a joblib worker)."""
    with _thread_limit(n_threads, main_pid):
        return estimator.fit(X, y, **fit_params)


class FoldingClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """k-fold cross-training: every event scored by a model that never saw it.

    The events are split into ``n_folds`` folds and ``n_folds`` clones of
    ``estimator`` are trained, clone *i* on every fold but fold *i*. Each
    training event then has an unbiased score, from the clone that did not
    train on it (``out_of_fold_proba_``), so that all the simulated events
    serve for training *and* for the measurement, as with TMVA's
    ``CrossValidation`` or the ``FoldingClassifier`` of the REP package.

    Two ways to make the folds:

    - ``fold_column=None``: stratified random folds, seeded by
      ``random_state``. On new data :meth:`predict_proba` averages the
      ``n_folds`` models.
    - ``fold_column``: a column of ``X`` that holds an integer event number.
      A row goes to fold ``event_number % n_folds``. The column is not a
      feature: the inner estimators never see it. :meth:`predict_proba` scores
      each row with the model that did not train on its fold, on any data:
      on the training events that is the out-of-fold score, on new events the
      deterministic application rule of TMVA (the same event always gets the
      same score, whatever else is in the file).

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn classifier or a :class:`~sklearn.pipeline.Pipeline`
        ending in one; it is cloned, never fitted itself.
    n_folds : int, default=2
        Number of folds, hence of trained models (at least 2). Each model
        trains on a fraction ``1 - 1 / n_folds`` of the events.
    fold_column : str, int or None, default=None
        The event-number column: a column name of a DataFrame ``X`` or a
        column index. ``None`` makes stratified random folds. The fold
        ``event_number % n_folds`` is computed on exact integers: an integer
        column (int64, uint64, pandas' nullable integers) keeps every digit,
        event numbers above ``2**63`` included. Floating-point event numbers
        (an array that mixes them with float features is float64) are exact
        only below ``2**53`` (``2**24`` for float32); larger ones raise a
        ``ValueError``: pass a DataFrame with an integer column. A negative
        event number goes to a fold in ``[0, n_folds)`` as Python's ``%``
        gives it (``-1 % 2 == 1``), not C's (``-1 % 2 == -1``).
    random_state : int, RandomState instance or None, default=None
        Seeds the random folds (unused with ``fold_column``). It does not seed
        ``estimator``: give it its own ``random_state`` for reproducible fits.
    n_jobs : int, default=None
        Number of folds trained in parallel, through joblib (so
        ``joblib.parallel_config`` chooses the backend, Dask included).
        ``None`` means 1 unless in a ``joblib.parallel_config`` context. With
        more than one job each worker process caps its BLAS, OpenMP and torch
        threads at ``cpu_count // n_jobs``, so that the jobs do not
        oversubscribe the cores; a sequential fit, or a threading backend,
        leaves every thread setting of your process alone.

    Attributes
    ----------
    estimators_ : list of estimator objects
        The fitted clones; ``estimators_[i]`` trained on every fold but ``i``.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    folds_ : ndarray of shape (n_samples,)
        The fold of each training event.
    out_of_fold_proba_ : ndarray of shape (n_samples, n_classes)
        Each training event's ``predict_proba`` from the model that did not
        train on it (when the estimator has ``predict_proba``). Columns
        follow ``classes_``.
    n_features_in_ : int
        Number of columns seen in ``fit``, the fold column included.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Their names, when ``fit`` was given a DataFrame with string columns;
        the fold column is among them. :meth:`get_feature_names_out` gives
        the features the inner estimators see.

    See Also
    --------
    sklearn.model_selection.cross_val_predict : Out-of-fold predictions
        without keeping the fold models.

    Notes
    -----
    Without ``fold_column``, :meth:`predict_proba` on the *training* events
    averages models that did see them, so it is biased: use
    ``out_of_fold_proba_`` for them. With ``fold_column`` the two agree.

    The fold models are combined in one space, the probabilities:
    :meth:`predict_proba` averages them (or takes each row's from its fold
    model), and :meth:`decision_function` and :meth:`predict` are derived
    from the result, so that the three rank and classify events alike. Only
    when the inner estimator has no ``predict_proba`` are the decision
    functions averaged.

    ``sample_weight`` goes to every clone, restricted to its training events.
    A :class:`~sklearn.pipeline.Pipeline` receives it at its last step
    (``<last step>__sample_weight``, the usual place for event weights; a
    scaler before it is not weighted); scikit-learn's voting and stacking
    ensembles pass it on to each of their estimators, which must all take it.
    With metadata routing enabled
    (``sklearn.set_config(enable_metadata_routing=True)``) the requests of
    the inner estimator decide instead, and other fit parameters are routed
    the same way.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from physml_sklearn import FoldingClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> y = (X[:, 0] + 0.5 * rng.normal(size=400) > 0).astype(int)
    >>> event_number = np.arange(400)
    >>> X_events = np.column_stack([event_number, X])
    >>> folding = FoldingClassifier(LogisticRegression(), n_folds=2,
    ...                             fold_column=0).fit(X_events, y)
    >>> len(folding.estimators_), folding.estimators_[0].n_features_in_
    (2, 3)
    >>> bool(np.allclose(folding.predict_proba(X_events), folding.out_of_fold_proba_))
    True
    >>> float(np.mean(folding.out_of_fold_proba_.argmax(axis=1) == y)) > 0.8
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "n_folds": [Interval(Integral, 2, None, closed="left")],
        "fold_column": [str, Interval(Integral, None, None, closed="neither"), None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, estimator, *, n_folds=2, fold_column=None, random_state=None,
                 n_jobs=None):
        self.estimator = estimator
        self.n_folds = n_folds
        self.fold_column = fold_column
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- input handling ------------------------------------------------------
    def _allow_nan(self):
        return get_tags(self.estimator).input_tags.allow_nan

    def _fold_index(self, n_features):
        """The position of ``fold_column`` among the columns seen in ``fit``."""
        column = self.fold_column
        names = getattr(self, "feature_names_in_", None)
        if isinstance(column, str):
            if names is None:
                raise ValueError(
                    f"fold_column={column!r} is a column name but X has no column "
                    "names; pass a DataFrame, or the column's index as an int."
                )
            hits = np.flatnonzero(names == column)
            if hits.size == 0:
                close = difflib.get_close_matches(column, [str(n) for n in names], n=3)
                hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
                raise ValueError(
                    f"fold_column={column!r} is not a column of X.{hint} "
                    f"The columns are {list(names)}."
                )
            return int(hits[0])
        if not -n_features <= column < n_features:
            raise ValueError(
                f"fold_column={column} is out of range for X with {n_features} "
                "columns; pass a column index or name."
            )
        if n_features < 2:
            raise ValueError(
                "X holds only the fold column; the inner estimators need at least "
                "one feature besides it."
            )
        return int(column) % n_features

    def _split_input(self, X, X_checked):
        """(the fold of each row or None, the features in the form the folds take)."""
        n_features = X_checked.shape[1]
        keep = np.arange(n_features)
        folds = None
        if self.fold_column is not None:
            index = self._fold_index(n_features)
            # from the DataFrame itself when there is one: its integer column
            # keeps every digit, a float64 array would not
            column = X.iloc[:, index] if hasattr(X, "iloc") else X_checked[:, index]
            folds = self._folds_of(column)
            keep = np.delete(keep, index)
        if hasattr(self, "feature_names_in_"):
            names = self.feature_names_in_[keep]
            if hasattr(X, "iloc") and list(X.columns) == list(self.feature_names_in_):
                features = X.iloc[:, keep]
            else:
                features = pd.DataFrame(X_checked[:, keep], columns=names)
        else:
            features = X_checked[:, keep]
            if features.dtype == object:
                features = check_array(
                    features, dtype="numeric", ensure_all_finite=not self._allow_nan()
                )
        return folds, features

    def _folds_of(self, column):
        """``event_number % n_folds`` of each row, computed on exact integers.

        Integer columns (int8 ... int64, uint8 ... uint64, pandas' nullable
        integers) and Python integers are reduced as integers, whatever their
        size. Floating-point event numbers are exact only up to
        ``2**(mantissa bits + 1)`` (``2**53`` for float64): beyond that two
        neighbouring event numbers share one value, so they are refused.
        The remainder follows Python: it has the sign of ``n_folds``, so a
        negative event number also lands in a fold in ``[0, n_folds)``.
        """
        n_folds = self.n_folds
        fix = ("Pass X as a DataFrame whose event-number column has an integer "
               "dtype (int64, or uint64).")
        if hasattr(column, "dtype") and isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
            if pd.api.types.is_integer_dtype(column.dtype):
                if column.isna().any():
                    raise ValueError(
                        f"fold_column={self.fold_column!r} has missing event numbers "
                        f"(row {int(np.flatnonzero(column.isna().to_numpy())[0])}); every "
                        "event needs one to be given a fold."
                    )
                unsigned = pd.api.types.is_unsigned_integer_dtype(column.dtype)
                column = column.to_numpy(dtype=np.uint64 if unsigned else np.int64)
            else:
                column = column.to_numpy(dtype=object)
        column = np.asarray(column)
        folds = integer_folds(column, n_folds)
        if folds is not None:
            return folds
        if column.dtype == object and column.size and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
            for v in column
        ):
            return np.fromiter((int(v) % n_folds for v in column), dtype=np.int64,
                               count=column.size)
        if column.dtype.kind == "b":
            raise ValueError(
                f"fold_column={self.fold_column!r} must hold integer event numbers; "
                "it holds booleans."
            )
        try:
            values = np.asarray(column, dtype=np.float64 if column.dtype.kind != "f" else None)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"fold_column={self.fold_column!r} must hold integer event numbers; "
                "it holds non-numeric values."
            ) from exc
        if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
            raise ValueError(
                f"fold_column={self.fold_column!r} must hold integer event numbers; "
                "it holds non-integer or non-finite values. Pass the column with "
                "the event number, not a feature."
            )
        # beyond 2**(nmant + 1) a float cannot tell neighbouring integers apart
        limit = 2.0 ** (np.finfo(values.dtype).nmant + 1)
        inexact = np.abs(values) >= limit
        if np.any(inexact):
            row = int(np.flatnonzero(inexact)[0])
            raise ValueError(
                f"fold_column={self.fold_column!r} holds event numbers as {values.dtype} "
                f"values, and {values[row]:.17g} (row {row}) is at least "
                f"2**{np.finfo(values.dtype).nmant + 1} = {limit:.0f}: {values.dtype} "
                "cannot represent such integers exactly, so the event would land in "
                f"the wrong fold. {fix} (an array mixing event numbers with float "
                "features is float64)."
            )
        return np.mod(values.astype(np.int64), np.int64(n_folds))

    def _validate(self, X, *, reset, y=None):
        kwargs = dict(
            dtype=None,
            ensure_all_finite=not self._allow_nan(),
            reset=reset,
        )
        try:
            if y is None:
                return validate_data(self, X, **kwargs), None
            return validate_data(self, X, y, **kwargs)
        except ValueError as exc:
            if self.fold_column is not None and (
                    "contains NaN" in str(exc) or "contains infinity" in str(exc)):
                self._refuse_missing_event_numbers(X, exc)
            raise

    def _refuse_missing_event_numbers(self, X, exc):
        """Name the fold column when it is the column holding NaN or infinity."""
        column = self.fold_column
        try:
            if hasattr(X, "iloc"):
                values = (X[column] if isinstance(column, str) else X.iloc[:, column])
                values = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
            else:
                values = np.asarray(X, dtype=np.float64)[:, column]
        except (KeyError, IndexError, TypeError, ValueError):
            return  # not a column of X: the usual message follows
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(
                f"fold_column={column!r} has missing or infinite event numbers "
                f"({int(bad.sum())} row(s), the first row {int(np.flatnonzero(bad)[0])}); "
                "every event needs one to be given a fold."
            ) from exc

    # -- fitting ---------------------------------------------------------------
    def _make_folds(self, X, y, folds):
        n_samples = X.shape[0]
        if folds is not None:  # from the event numbers
            return folds
        labels, counts = np.unique(y, return_counts=True)
        if counts.min() < self.n_folds:
            label = labels[np.argmin(counts)]
            label = label.item() if isinstance(label, np.generic) else label
            raise ValueError(
                f"n_folds={self.n_folds} stratified folds need at least {self.n_folds} "
                f"events of each class, but class {label!r} has "
                f"{counts.min()}. Use fewer folds, or more events."
            )
        folds = np.empty(n_samples, dtype=np.int64)
        cv = StratifiedKFold(self.n_folds, shuffle=True, random_state=self.random_state)
        for k, (_, test) in enumerate(cv.split(np.zeros((n_samples, 1)), y)):
            folds[test] = k
        return folds

    def _fit_params(self, sample_weight, fit_params):
        """The parameters of ``estimator.fit``, for all the events."""
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **fit_params)
            return dict(routed.estimator.fit)
        params = dict(fit_params)
        if sample_weight is None:
            return params
        name = sample_weight_param(self.estimator)
        if name is not None:
            params[name] = sample_weight
        else:
            raise ValueError(
                f"sample_weight was given but {no_sample_weight_reason(self.estimator)}"
                ". Use an estimator that does, or enable "
                "metadata routing and request the weights from the step that "
                "uses them."
            )
        return params

    @_fit_context(
        # the inner estimator is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Train one clone of ``estimator`` per fold, on all the other folds.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training events; with ``fold_column``, one column holds the event
            number.
        y : array-like of shape (n_samples,)
            Their classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights (negative weights allowed where the estimator
            allows them), passed to every clone for its training events.
        **fit_params : dict
            Further parameters of ``estimator.fit`` (routed when metadata
            routing is enabled); those with one entry per event are split
            with the folds.

        Returns
        -------
        self : object
            The fitted meta-estimator.
        """
        state = dict(self.__dict__)
        try:
            return self._fit(X, y, sample_weight, fit_params)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    def _fit(self, X, y, sample_weight, fit_params):
        X_checked, y = self._validate(X, reset=True, y=y)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(
                f"y holds only one class ({classes[0]!r}); a classifier needs at "
                "least two classes."
            )
        n_samples = X_checked.shape[0]
        if sample_weight is not None:
            sample_weight = check_weight_vector(sample_weight, "sample_weight", n_samples)
        folds, features = self._split_input(X, X_checked)
        folds = self._make_folds(X_checked, y, folds)
        for k in range(self.n_folds):
            if not np.any(folds == k):
                raise ValueError(
                    f"fold {k} holds no event (fold_column={self.fold_column!r}, "
                    f"event_number % {self.n_folds} == {k} never occurs); check that "
                    "the column holds event numbers, or use fewer folds."
                )
        for k in range(self.n_folds):
            missing = np.setdiff1d(classes, y[folds != k])
            if missing.size:
                raise ValueError(
                    f"the training events of fold {k} (every fold but {k}) hold no "
                    f"event of class {missing[0]}: each class needs events in at "
                    "least two folds. Use fewer folds or more events."
                )
        params = self._fit_params(sample_weight, fit_params)

        n_workers = min(effective_n_jobs(self.n_jobs), self.n_folds)
        n_threads = None if n_workers <= 1 else max(1, cpu_count() // n_workers)
        main_pid = os.getpid()
        trains = [np.flatnonzero(folds != k) for k in range(self.n_folds)]
        estimators = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_fold)(
                clone(self.estimator),
                _safe_indexing(features, train),
                y[train],
                index_params(params, train, n_samples),
                n_threads,
                main_pid,
            )
            for train in trains
        )
        self.estimators_ = estimators
        self.classes_ = classes
        self.folds_ = folds
        if all(hasattr(est, "predict_proba") for est in estimators):
            self.out_of_fold_proba_ = self._by_fold(features, folds, "predict_proba")
        elif hasattr(self, "out_of_fold_proba_"):
            del self.out_of_fold_proba_
        return self

    def _check_loaded_state(self):
        """Raise if the fitted attributes do not fit together (a model file's).

        ``classes_`` itself is checked by the reader, as a network's is.
        """
        classes = self.classes_
        if not isinstance(self.estimators_, list) or len(self.estimators_) != self.n_folds:
            raise ValueError(f"estimators_ is not a list of n_folds={self.n_folds} models")
        width = self.n_features_in_ - (self.fold_column is not None)
        for estimator in self.estimators_:
            if getattr(estimator, "n_features_in_", width) != width:
                raise ValueError(
                    f"a fold model takes {estimator.n_features_in_} features, not {width}"
                )
            seen = getattr(estimator, "classes_", None)
            if seen is None or not np.all(np.isin(seen, classes)):
                raise ValueError(f"a fold model's classes {seen!r} are not among {classes!r}")

    # -- prediction ------------------------------------------------------------
    def _aligned(self, estimator, method, X):
        """``estimator.<method>(X)`` with its columns aligned to ``classes_``."""
        out = np.asarray(getattr(estimator, method)(X))
        if method != "predict_proba":
            if not np.array_equal(estimator.classes_, self.classes_):
                raise ValueError(
                    f"a fold model saw the classes {estimator.classes_.tolist()}, "
                    f"not {self.classes_.tolist()}; {method} cannot be combined."
                )
            return out
        full = np.zeros((out.shape[0], self.classes_.size))
        full[:, np.searchsorted(self.classes_, estimator.classes_)] = out
        return full

    def _by_fold(self, features, folds, method):
        """Each row from the model that did not train on its fold."""
        out = None
        for k, estimator in enumerate(self.estimators_):
            rows = np.flatnonzero(folds == k)
            if rows.size == 0:
                continue
            part = self._aligned(estimator, method, _safe_indexing(features, rows))
            if out is None:
                out = np.empty((folds.shape[0],) + part.shape[1:], dtype=np.float64)
            out[rows] = part
        return out

    def _combine(self, X, method):
        """The output of ``method``: by the fold rule, or averaged over the folds."""
        check_is_fitted(self)
        X_checked, _ = self._validate(X, reset=False)
        folds, features = self._split_input(X, X_checked)
        if folds is not None:
            return self._by_fold(features, folds, method)
        outputs = [self._aligned(est, method, features) for est in self.estimators_]
        return np.mean(outputs, axis=0)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities: by the fold rule, or averaged over the fold models.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events, with the fold column when the model has one.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``. With ``fold_column`` each row comes
            from the model that did not train on its fold; otherwise it is
            the mean of the ``n_folds`` models.
        """
        return self._combine(X, "predict_proba")

    @available_if(_estimator_has("predict_proba"))
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events, with the fold column when the model has one.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function, derived from :meth:`predict_proba` so that both rank alike.

        When the fold models have ``predict_proba``, the probabilities are
        combined (by the fold rule, or averaged) and the decision function is
        computed from them: for two classes the logit of the combined
        probability of ``classes_[1]``, ``log(p1) - log(p0)``; for more, the
        logarithm of each combined probability. Averaging the fold models'
        own decision functions instead would rank the events differently
        from :meth:`predict_proba` (a mean of logits is not the logit of a
        mean). When the fold models have no ``predict_proba`` (a
        :class:`~sklearn.svm.LinearSVC`), their decision functions are
        combined directly.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events, with the fold column when the model has one.

        Returns
        -------
        score : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive where ``classes_[1]`` is the more
            probable. Probabilities of exactly 0 or 1 (a saturated model)
            give finite values of about -708 and +708
            (``log`` of the smallest normal float64).
        """
        if not _estimator_has("predict_proba")(self):
            return self._combine(X, "decision_function")
        proba = self.predict_proba(X)
        log_proba = np.log(np.maximum(proba, np.finfo(np.float64).tiny))
        if self.classes_.size == 2:
            return log_proba[:, 1] - log_proba[:, 0]
        return log_proba

    def predict(self, X):
        """Predicted class: the most probable one (or the decision, or the votes).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Events, with the fold column when the model has one.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The class of highest combined probability; when the inner
            estimator has no ``predict_proba``, from the combined
            ``decision_function``, else the majority vote of the fold models.
        """
        check_is_fitted(self)
        if _estimator_has("predict_proba")(self):
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        if _estimator_has("decision_function")(self):
            score = self.decision_function(X)
            if score.ndim == 1:
                return self.classes_[(score > 0).astype(int)]
            return self.classes_[np.argmax(score, axis=1)]
        X_checked, _ = self._validate(X, reset=False)
        folds, features = self._split_input(X, X_checked)
        if folds is not None:
            labels = np.empty(X_checked.shape[0], dtype=self.classes_.dtype)
            for k, est in enumerate(self.estimators_):
                rows = np.flatnonzero(folds == k)
                if rows.size:
                    labels[rows] = est.predict(_safe_indexing(features, rows))
            return labels
        votes = np.zeros((X_checked.shape[0], self.classes_.size))
        for est in self.estimators_:
            index = np.searchsorted(self.classes_, est.predict(features))
            votes[np.arange(votes.shape[0]), index] += 1
        return self.classes_[np.argmax(votes, axis=1)]

    def get_feature_names_out(self, input_features=None):
        """The features the inner estimators see: the input minus the fold column.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``None`` uses ``feature_names_in_`` (or
            ``x0 ... x{n-1}``).

        Returns
        -------
        feature_names_out : ndarray of str objects
            The names, without the fold column.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        if self.fold_column is None:
            return names
        return np.delete(names, self._fold_index(self.n_features_in_))

    # -- metadata routing and tags -------------------------------------------
    def get_metadata_routing(self):
        """Metadata routing of this object: ``fit`` parameters go to ``estimator.fit``.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`.
        """
        return MetadataRouter(owner=self).add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        # each model trains on a fraction of the events
        tags.classifier_tags.poor_score = True
        return tags
