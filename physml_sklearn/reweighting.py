"""Simulation reweighted to data: a classifier turned into a density ratio."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._meta import no_sample_weight_reason, sample_weight_param
from ._weights import check_weight_vector
from .classifier import DropoutMLPClassifier
from .folding import FoldingClassifier

__all__ = ["ClassifierReweighter"]

#: probabilities are kept this far from 0 and 1, so that p / (1 - p) stays finite
_EPS = 1e-12

#: the default network (see the class docstring for the reasons)
DEFAULT_NETWORK = dict(
    hidden_layer_sizes=(64, 64),
    dropout=0.0,
    activation="gelu",
    lr=1e-3,
    weight_decay=5e-4,
    batch_size=256,
    max_epochs=200,
    early_stopping=True,
    validation_fraction=0.1,
    patience=20,
    tol=0.0,
)


def _default_estimator(random_state):
    """``StandardScaler`` + ``DropoutMLPClassifier`` with early stopping."""
    return Pipeline([
        ("standardscaler", StandardScaler()),
        ("dropoutmlpclassifier",
         DropoutMLPClassifier(**DEFAULT_NETWORK, random_state=random_state)),
    ])


def _refuse_series(X, name):
    """A pandas Series is one feature: say how to pass it (it has no reshape)."""
    if hasattr(X, "iloc") and getattr(X, "ndim", 2) == 1:
        raise ValueError(
            f"{name} is a pandas Series; it must be 2-D, one row per event and one "
            f"column per feature. Pass {name}.to_frame() for a single feature, or the "
            "DataFrame of the features."
        )


def _takes_sample_weight(estimator):
    return sample_weight_param(estimator) is not None


class ClassifierReweighter(BaseEstimator):
    """Reweight simulation to data with a classifier (the density-ratio trick).

    A classifier is trained to tell the ``target`` rows (data) from the
    ``original`` rows (simulation), the two classes balanced by their weight
    sums. Its probability ``p`` that a row is a target row gives the density
    ratio ``p_target(x) / p_original(x) = p / (1 - p)`` (DCTR, Andreassen and
    Nachman, arXiv:1907.08209), and each original row is weighted by it, so
    that the reweighted simulation follows the data in every feature and every
    correlation the classifier can see.

    The interface is that of hep_ml's ``GBReweighter``: ``fit(original,
    target, original_weight, target_weight)`` and ``predict_weights(original,
    original_weight)``. The classifier is trained inside a
    :class:`~physml_sklearn.FoldingClassifier`, so that every original row of
    the fit gets its weight from a model that never saw it
    (``original_weights_``).

    Parameters
    ----------
    estimator : classifier or None, default=None
        Any scikit-learn classifier with ``predict_proba``, or a
        :class:`~sklearn.pipeline.Pipeline` ending in one; it is cloned, never
        fitted itself. It must take ``sample_weight`` in ``fit`` (at its last
        step for a pipeline; in every member for scikit-learn's voting and
        stacking ensembles) unless the fit gets no weights. ``None`` uses
        ``StandardScaler`` followed by ``DropoutMLPClassifier(hidden_layer_sizes=(64, 64),
        dropout=0.0, activation="gelu", weight_decay=5e-4, batch_size=256,
        max_epochs=200, early_stopping=True, patience=20, tol=0.0)``: a
        network small enough that two folds of 50,000 + 50,000 rows train in
        less time than hep_ml's ``GBReweighter``; a smooth activation and an
        L2 penalty because a density ratio is smooth and one learned from
        fluctuations weights events by noise; early stopping on the
        validation loss as the guard against overtraining, patient (20
        epochs, any decrease counts) because the validation loss between two
        samples that differ by a few percent falls slowly and in noise (in
        many epochs by less than the classifier's default ``tol`` of 1e-4),
        so that an impatient stop ends the training before the ratio is
        learned; batches of 256, whose noisier steps, twice as many per epoch
        as with 512, left the ratio closer to the truth where most features
        carry none of it (the WZ events of ``benchmarks/bench_reweighting.py``,
        17 features of which 2 make the ratio).
    n_folds : int, default=2
        Number of folds, hence of classifiers (at least 2). Each one trains on
        a fraction ``1 - 1 / n_folds`` of the rows.
    fold_column : str, int or None, default=None
        An event-number column of ``original`` and ``target`` (a column name
        of DataFrames, or an index): a row belongs to fold
        ``event_number % n_folds``, and :meth:`predict_weights` weights each
        row with the model that did not train on its fold, on any rows. The
        column is not a feature. ``None`` makes stratified random folds.
    clip : float or None, default=100.0
        The ratio is clipped to ``[1 / clip, clip]`` before it multiplies the
        weights (at least 1); ``None`` does not clip. A few rows where the
        simulation has almost no events but the data has some would otherwise
        take huge weights and dominate every histogram.
    normalize : bool, default=True
        Scale the new weights so that their sum equals the sum of the target
        weights seen in :meth:`fit` (the number of data events when they are
        unweighted). ``False`` returns ``original_weight * ratio`` as it is,
        whose sum estimates the same number only as well as the classifier
        is calibrated.
    n_bootstrap : int, default=0
        Number of bootstrap replicas for weight uncertainties: each replica
        multiplies every weight of both samples by a Poisson(1) draw (the
        bootstrap of weighted events) and trains its own classifiers on the
        same folds. ``predict_weights(..., return_std=True)`` then returns the
        standard deviation of each row's weight over the replicas; at least 2
        are needed. Each replica costs one more fit.
    random_state : int, RandomState instance or None, default=None
        Seeds the random folds, the Poisson draws of the bootstrap and the
        default network. A given ``estimator`` keeps its own
        ``random_state``. The same int gives the same weights.
    n_jobs : int, default=None
        Number of folds trained in parallel (see
        :class:`~physml_sklearn.FoldingClassifier`).

    Attributes
    ----------
    estimator_ : FoldingClassifier
        The fitted folds; class 0 is ``original``, class 1 is ``target``.
    bootstrap_estimators_ : list of FoldingClassifier
        The fitted replicas (empty without ``n_bootstrap``).
    original_weights_ : ndarray of shape (n_original,)
        The new weights of the ``original`` rows of :meth:`fit`, each from a
        model that did not train on it, clipped and normalised as by
        :meth:`predict_weights`.
    original_weights_std_ : ndarray of shape (n_original,)
        Their bootstrap standard deviation (only with ``n_bootstrap >= 2``).
    target_weight_sum_ : float
        The sum of the target weights of :meth:`fit`, the sum of the new
        weights with ``normalize=True``.
    n_features_in_ : int
        Number of columns seen in :meth:`fit`, the fold column included.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Their names, when :meth:`fit` was given DataFrames with string
        column names.

    See Also
    --------
    physml_sklearn.FoldingClassifier : The cross-training inside.
    physml_sklearn.metrics.classifier_two_sample_auc : Judges a reweighting
        (0.5 when the reweighted simulation cannot be told from the data).
    physml_sklearn.metrics.effective_sample_size : What the weights cost in
        statistics.
    physml_sklearn.plotting.ReweightingDisplay : Each feature before and
        after reweighting.

    Notes
    -----
    Normalisation, once: the ratio is learned with the two classes balanced
    (each sample's weights scaled to the same sum), so ``p / (1 - p)``
    estimates ``p_target(x) / p_original(x)`` of the two *normalised*
    densities. ``normalize=True`` then scales the new weights so that they
    sum to the target weight sum of :meth:`fit`, on whatever rows
    :meth:`predict_weights` is given.

    Without ``fold_column``, :meth:`predict_weights` averages the fold models:
    right for new rows, but each row of the fit was seen by all models but
    one. Use ``original_weights_`` for the rows of the fit, or pass a
    ``fold_column``.

    Negative weights (sWeights, NLO generators) are allowed in both samples;
    they enter the classifier's loss with their sign, and the new weight of a
    row keeps the sign of its original weight. Each sample's weights must
    have a positive sum.

    The bootstrap standard deviation covers the statistical fluctuation of
    both training samples and the randomness of the training; it does not
    cover a bias of the classifier (a ratio too smooth, or a feature it cannot
    see), nor the clipping.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn import ClassifierReweighter
    >>> from physml_sklearn.datasets import make_reweighting
    >>> from physml_sklearn.metrics import classifier_two_sample_auc
    >>> data = make_reweighting(2000, n_features=2, random_state=0)
    >>> reweighter = ClassifierReweighter(random_state=0).fit(data.original, data.target)
    >>> weights = reweighter.original_weights_
    >>> weights.shape, bool(np.isclose(weights.sum(), 2000))
    ((2000,), True)
    >>> before = classifier_two_sample_auc(data.original, data.target, random_state=0)
    >>> after = classifier_two_sample_auc(data.original, data.target,
    ...                                   sample_weight_X=weights, random_state=0)
    >>> bool(after < before)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_folds": [Interval(Integral, 2, None, closed="left")],
        "fold_column": [str, Interval(Integral, None, None, closed="neither"), None],
        "clip": [Interval(Real, 1, None, closed="left"), None],
        "normalize": ["boolean"],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, estimator=None, *, n_folds=2, fold_column=None, clip=100.0,
                 normalize=True, n_bootstrap=0, random_state=None, n_jobs=None):
        self.estimator = estimator
        self.n_folds = n_folds
        self.fold_column = fold_column
        self.clip = clip
        self.normalize = normalize
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- input handling ------------------------------------------------------
    def _allow_nan(self):
        if self.estimator is None:
            return False
        return get_tags(self.estimator).input_tags.allow_nan

    def _check_sample(self, X, name, *, reset):
        """The checked rows of one sample, and the form the folds take them in."""
        _refuse_series(X, name)
        try:
            checked = validate_data(
                self, X, dtype=None, reset=reset,
                ensure_all_finite=not self._allow_nan(),
            )
        except ValueError as exc:
            message = str(exc)
            if "Expected 2D array" in message:
                raise ValueError(
                    f"{name} must be 2-D, one row per event and one column per "
                    f"feature; got a 1-D array. Reshape a single feature with "
                    f"{name}.reshape(-1, 1)."
                ) from exc
            if "contains NaN" in message or "contains infinity" in message:
                # (an estimator that takes NaN gets the rows unchecked)
                try:
                    finite = np.isfinite(np.asarray(X, dtype=np.float64))
                except (TypeError, ValueError):  # text among the numbers
                    raise exc from None
                rows = np.flatnonzero(~finite.all(axis=1))
                user = "the estimator" if self.estimator is not None else "the default network"
                raise ValueError(
                    f"{name} holds NaN or infinite values in {rows.size} row(s), the first "
                    f"at row {rows[0]} (counting from 0), which {user} cannot use. Remove "
                    "or fill those rows, or pass an estimator that accepts NaN (e.g. "
                    "HistGradientBoostingClassifier)."
                ) from exc
            if "features" in message and not reset:
                reference = ("original has" if name == "target"
                             else "the reweighter was fitted on")
                raise ValueError(
                    f"{name} has {np.shape(X)[1] if np.ndim(X) == 2 else '?'} columns "
                    f"but {reference} {self.n_features_in_}; pass the same columns, in "
                    "the same order."
                ) from exc
            raise
        if checked.dtype.kind not in "biuf":
            checked = check_array(checked, dtype=np.float64, input_name=name,
                                  ensure_all_finite=not self._allow_nan())
        return checked

    def _frame(self, X, checked):
        """The rows as the folds take them: a DataFrame when fitted on one."""
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return checked
        if hasattr(X, "iloc") and list(X.columns) == list(names):
            return X
        return pd.DataFrame(checked, columns=names)

    @staticmethod
    def _check_weight(weight, n_rows, name):
        if weight is None:
            return np.ones(n_rows)
        weight = check_weight_vector(weight, name).copy()
        if weight.shape[0] != n_rows:
            sample = name.replace("_weight", "")
            raise ValueError(
                f"{name} has {weight.shape[0]} entries but {sample} has {n_rows} "
                "rows; pass one weight per row."
            )
        return weight

    # -- fitting ---------------------------------------------------------------
    def _fit_folds(self, estimator, X, y, weight, seed):
        folding = FoldingClassifier(
            estimator, n_folds=self.n_folds, fold_column=self.fold_column,
            random_state=seed, n_jobs=self.n_jobs,
        )
        if weight is None:
            return folding.fit(X, y)
        return folding.fit(X, y, sample_weight=weight)

    def _balanced(self, w_original, w_target):
        """Both samples scaled to the same sum, with a mean weight of one."""
        n_total = w_original.size + w_target.size
        half = n_total / 2.0
        return np.concatenate([
            w_original * (half / w_original.sum()),
            w_target * (half / w_target.sum()),
        ])

    @_fit_context(
        # the inner estimator is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, original, target, original_weight=None, target_weight=None):
        """Learn the density ratio of ``target`` to ``original``.

        Parameters
        ----------
        original : array-like or DataFrame of shape (n_original, n_features)
            The rows to reweight (simulation); with ``fold_column``, one column
            holds the event number.
        target : array-like or DataFrame of shape (n_target, n_features)
            The rows to match (data), with the same columns.
        original_weight : array-like of shape (n_original,), default=None
            Weights of the original rows (negative weights allowed); None means
            all 1.
        target_weight : array-like of shape (n_target,), default=None
            Weights of the target rows (sWeights allowed); None means all 1.

        Returns
        -------
        self : object
            The fitted reweighter.
        """
        state = dict(self.__dict__)
        try:
            return self._fit(original, target, original_weight, target_weight)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    def _fit(self, original, target, original_weight, target_weight):
        if target is None:
            raise ValueError(
                "fit requires y to be passed, but the target y is None: pass the "
                "sample to reweight to (the data) as `target`."
            )
        _refuse_series(original, "original")
        _refuse_series(target, "target")
        if hasattr(original, "iloc") != hasattr(target, "iloc"):
            raise ValueError(
                "original and target must both be DataFrames or both be arrays; got "
                f"{type(original).__name__} and {type(target).__name__}."
            )
        if hasattr(original, "iloc") and list(original.columns) != list(target.columns):
            raise ValueError(
                f"original and target have different columns: {list(original.columns)} "
                f"and {list(target.columns)}. Select the same columns in the same "
                "order, e.g. target[original.columns]."
            )
        X_original = self._check_sample(original, "original", reset=True)
        X_target = self._check_sample(target, "target", reset=False)
        if self.fold_column is None:
            for name, rows in (("original", X_original), ("target", X_target)):
                if rows.shape[0] < self.n_folds:
                    raise ValueError(
                        f"{name} has {rows.shape[0]} row(s), but n_folds="
                        f"{self.n_folds} needs at least one row of each sample in "
                        "every fold. Pass more rows, or fewer folds."
                    )
        w_original = self._check_weight(original_weight, X_original.shape[0],
                                        "original_weight")
        w_target = self._check_weight(target_weight, X_target.shape[0], "target_weight")
        for name, w in (("original_weight", w_original), ("target_weight", w_target)):
            if not w.sum() > 0:
                raise ValueError(
                    f"{name} sums to {w.sum():g}; each sample's weights must have a "
                    "positive sum (negative weights are allowed, but not a negative "
                    "or zero total)."
                )
        n_original = X_original.shape[0]
        if hasattr(original, "iloc"):
            X = pd.concat([original, target], ignore_index=True)
        else:
            X = np.concatenate([X_original, X_target])
        y = np.r_[np.zeros(n_original, dtype=np.int64),
                  np.ones(X_target.shape[0], dtype=np.int64)]

        rng = check_random_state(self.random_state)
        fold_seed = rng.randint(np.iinfo(np.int32).max)
        if self.estimator is None:
            template = _default_estimator(rng.randint(np.iinfo(np.int32).max))
        else:
            template = clone(self.estimator)
        weighted = original_weight is not None or target_weight is not None
        if _takes_sample_weight(template):
            weight = self._balanced(w_original, w_target)
            prior = 1.0
        elif weighted:
            raise ValueError(
                f"{no_sample_weight_reason(template)}, so it cannot learn from "
                "weighted samples (original_weight or target_weight was given). Use "
                "a classifier that takes sample_weight (or a Pipeline whose last "
                "step does), or no weights."
            )
        elif self.n_bootstrap:
            raise ValueError(
                f"n_bootstrap={self.n_bootstrap} draws Poisson weights, but "
                f"{no_sample_weight_reason(template)}. Use a classifier that takes "
                "sample_weight, or n_bootstrap=0."
            )
        else:
            # unweighted classes: correct p / (1 - p) by the class sizes
            weight = None
            prior = n_original / X_target.shape[0]
        folding = self._fit_folds(template, X, y, weight, fold_seed)

        replicas = []
        for _ in range(self.n_bootstrap):
            counts = rng.poisson(1.0, size=y.size).astype(np.float64)
            w_o, w_t = w_original * counts[:n_original], w_target * counts[n_original:]
            if not (w_o.sum() > 0 and w_t.sum() > 0):
                raise ValueError(
                    "a bootstrap replica drew weights with a non-positive sum; the "
                    "samples are too small (or too dominated by negative weights) for "
                    "n_bootstrap. Pass more rows or n_bootstrap=0."
                )
            if self.estimator is None:
                replica = _default_estimator(rng.randint(np.iinfo(np.int32).max))
            else:
                replica = clone(self.estimator)
            replicas.append(self._fit_folds(replica, X, y, self._balanced(w_o, w_t),
                                            fold_seed))

        self.estimator_ = folding
        self.bootstrap_estimators_ = replicas
        self._prior = prior
        self.target_weight_sum_ = float(w_target.sum())
        self.original_weights_ = self._weights(
            folding.out_of_fold_proba_[:n_original, 1], w_original
        )
        if len(replicas) >= 2:
            self.original_weights_std_ = np.std(
                [self._weights(r.out_of_fold_proba_[:n_original, 1], w_original)
                 for r in replicas],
                axis=0, ddof=1,
            )
        elif hasattr(self, "original_weights_std_"):
            del self.original_weights_std_
        return self

    def _check_loaded_state(self):
        """Raise if the fitted attributes do not fit together (a model file's)."""
        for name in ("_prior", "target_weight_sum_"):
            value = getattr(self, name)
            if not (isinstance(value, float) and np.isfinite(value) and value > 0):
                raise ValueError(f"{name}={value!r} is not a positive finite number")
        if not isinstance(self.estimator_, FoldingClassifier) or list(
                self.estimator_.classes_) != [0, 1]:
            raise ValueError("estimator_ is not a FoldingClassifier of the classes [0, 1]")
        if self.estimator_.n_features_in_ != self.n_features_in_:
            raise ValueError(
                f"estimator_ takes {self.estimator_.n_features_in_} columns and the "
                f"reweighter {self.n_features_in_}"
            )
        if not isinstance(self.bootstrap_estimators_, list) or not all(
                isinstance(r, FoldingClassifier) for r in self.bootstrap_estimators_):
            raise ValueError("bootstrap_estimators_ is not a list of FoldingClassifier")

    # -- weights ---------------------------------------------------------------
    def _ratio(self, p):
        p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
        ratio = p / (1.0 - p) * self._prior
        if self.clip is not None:
            ratio = np.clip(ratio, 1.0 / self.clip, self.clip)
        return ratio

    def _weights(self, p, weight):
        new = weight * self._ratio(p)
        if self.normalize:
            total = new.sum()
            if not total > 0:
                raise ValueError(
                    f"the new weights sum to {total:g}, so they cannot be normalised "
                    "to the target weight sum; the original_weight of these rows "
                    "has a non-positive total. Pass rows whose weights sum to a "
                    "positive number, or normalize=False."
                )
            new *= self.target_weight_sum_ / total
        return new

    def predict_weights(self, original, original_weight=None, *, return_std=False):
        """New weights of original rows: ``original_weight * ratio``.

        The ratio is clipped to ``[1 / clip, clip]``; with ``normalize=True``
        the weights are scaled to sum to the target weight sum of :meth:`fit`.
        With ``fold_column`` each row is weighted by the model that did not
        train on its fold (on the rows of the fit, the same weights as
        ``original_weights_``); without it by the average of the fold
        models, which saw the rows of the fit: use ``original_weights_`` for
        those.

        Parameters
        ----------
        original : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            The rows to weight, with the fold column when there is one.
        original_weight : array-like of shape (n_samples,), default=None
            Their present weights; None means all 1.
        return_std : bool, default=False
            Also return the bootstrap standard deviation of each new weight
            (needs ``n_bootstrap >= 2``).

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            The new weights.
        std : ndarray of shape (n_samples,)
            Their standard deviation over the bootstrap replicas (only with
            ``return_std=True``).
        """
        check_is_fitted(self)
        if return_std and len(self.bootstrap_estimators_) < 2:
            raise ValueError(
                f"return_std=True needs bootstrap replicas, but the reweighter was "
                f"fitted with n_bootstrap={self.n_bootstrap}. Fit it with "
                "n_bootstrap=2 or more (e.g. 20)."
            )
        checked = self._check_sample(original, "original", reset=False)
        X = self._frame(original, checked)
        weight = self._check_weight(original_weight, checked.shape[0], "original_weight")
        weights = self._weights(self.estimator_.predict_proba(X)[:, 1], weight)
        if not return_std:
            return weights
        replicas = [self._weights(r.predict_proba(X)[:, 1], weight)
                    for r in self.bootstrap_estimators_]
        return weights, np.std(replicas, axis=0, ddof=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan()
        tags.target_tags.required = True
        return tags
