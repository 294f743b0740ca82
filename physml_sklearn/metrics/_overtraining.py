"""Overtraining checks in the style of TMVA: train versus test score distributions."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd
from scipy.stats import kstwo
from sklearn.metrics import roc_curve
from sklearn.utils import assert_all_finite, check_array, column_or_1d
from sklearn.utils.multiclass import type_of_target, unique_labels

from .._weights import kish_size

__all__ = ["overtraining_test", "signal_efficiency_table"]


# ---------------------------------------------------------------------------
# Input validation shared by the two public functions
# ---------------------------------------------------------------------------


def _label(c):
    """A class label as the user wrote it: ``0.0``, not ``np.float64(0.0)``."""
    return repr(c.item() if isinstance(c, np.generic) else c)


def _check_labels(y, name):
    """Return ``y`` as a 1-D array of class labels, or raise a ValueError."""
    try:
        y = column_or_1d(y, input_name=name)
    except ValueError as exc:
        raise ValueError(
            f"{name} must be 1-D, one class label per event: {exc}"
        ) from exc
    if y.shape[0] == 0:
        raise ValueError(f"{name} is empty; it must hold the true class of each event.")
    if y.dtype.kind in "fc":
        assert_all_finite(y, input_name=name)
    target_type = type_of_target(y, input_name=name)
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            f"{name} must hold class labels, got target type {target_type!r}. "
            "Pass the true classes of the events, not the classifier scores."
        )
    return y


def _check_scores(score, name):
    """Return ``score`` as a finite float array with 1 or 2 dimensions."""
    score = check_array(
        score,
        ensure_2d=False,
        dtype=np.float64,
        ensure_all_finite=True,
        input_name=name,
    )
    if score.ndim == 2 and score.shape[1] == 1:
        score = score[:, 0]
    return score


def _check_weights(sample_weight, n_samples, name):
    """Return ``sample_weight`` as a finite float array (ones when ``None``)."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    sample_weight = check_array(
        sample_weight,
        ensure_2d=False,
        dtype=np.float64,
        ensure_all_finite=True,
        input_name=name,
    )
    if sample_weight.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with one weight per event, got an array of shape "
            f"{sample_weight.shape}."
        )
    return sample_weight


def _check_same_length(**arrays):
    """Raise a ValueError that names every array when their lengths differ."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(
            f"Found inconsistent numbers of events: {listing}. Every array of one "
            "sample must have one entry per event."
        )


def _validate_samples(
    y_train, score_train, y_test, score_test, sample_weight_train, sample_weight_test
):
    """Validate a train and a test sample; return them with the sorted classes."""
    y_train = _check_labels(y_train, "y_train")
    y_test = _check_labels(y_test, "y_test")
    score_train = _check_scores(score_train, "score_train")
    score_test = _check_scores(score_test, "score_test")
    w_train = _check_weights(sample_weight_train, len(y_train), "sample_weight_train")
    w_test = _check_weights(sample_weight_test, len(y_test), "sample_weight_test")
    _check_same_length(
        y_train=y_train, score_train=score_train, sample_weight_train=w_train
    )
    _check_same_length(y_test=y_test, score_test=score_test, sample_weight_test=w_test)

    try:
        unique_labels(y_train, y_test)
    except ValueError as exc:
        raise ValueError(
            f"y_train and y_test must use labels of the same kind: {exc}"
        ) from exc
    classes = unique_labels(y_train)
    if len(classes) < 2:
        raise ValueError(
            f"y_train holds a single class {classes.tolist()}; the test needs "
            "events of at least two classes."
        )
    unseen = np.setdiff1d(unique_labels(y_test), classes)
    if unseen.size:
        raise ValueError(
            f"y_test holds labels {unseen.tolist()} that are not in y_train "
            f"{classes.tolist()}; the test sample may only use the classes seen in "
            "training."
        )
    missing = np.setdiff1d(classes, unique_labels(y_test))
    if missing.size:
        raise ValueError(
            f"y_test has no events of the classes {missing.tolist()}; every class "
            "needs events in both the train and the test sample."
        )

    for score, name in ((score_train, "score_train"), (score_test, "score_test")):
        if score.ndim == 1 and len(classes) != 2:
            raise ValueError(
                f"{name} is 1-D, which describes a binary problem, but there are "
                f"{len(classes)} classes {classes.tolist()}. Pass the full output of "
                "predict_proba, with one column per class."
            )
        if score.ndim == 2 and score.shape[1] != len(classes):
            raise ValueError(
                f"{name} has {score.shape[1]} columns but there are {len(classes)} "
                f"classes {classes.tolist()}. Its columns must follow the sorted class "
                "labels, like predict_proba and classes_."
            )

    for y, w, name in (
        (y_train, w_train, "sample_weight_train"),
        (y_test, w_test, "sample_weight_test"),
    ):
        for c in classes:
            total = w[y == c].sum()
            if not total > 0:
                raise ValueError(
                    f"The {name} of the events of class {_label(c)} sum to {total:.6g}; the "
                    "weights of every class must have a positive sum."
                )
    return classes, y_train, score_train, w_train, y_test, score_test, w_test


# ---------------------------------------------------------------------------
# Weighted statistics
# ---------------------------------------------------------------------------


def _weighted_ks_2samp(a, b, weight_a, weight_b):
    """Two-sided two-sample Kolmogorov-Smirnov test with event weights.

    The statistic is the largest distance between the weighted empirical
    distribution functions ``F(x) = sum(w[a <= x]) / sum(w)``, evaluated at
    every value of the pooled sample. The p-value is
    ``scipy.stats.kstwo.sf(D, round(n))`` with ``n = n_a n_b / (n_a + n_b)``
    built from the effective sample sizes, as ``scipy.stats.ks_2samp`` does
    with ``method="asymp"`` (to which it is identical for unit weights).
    """
    values = np.concatenate([a, b])
    order = np.argsort(values, kind="mergesort")
    values = values[order]
    in_a = np.concatenate([np.ones(len(a), bool), np.zeros(len(b), bool)])[order]
    w = np.concatenate([weight_a, weight_b])[order]
    cdf_a = np.cumsum(np.where(in_a, w, 0.0)) / weight_a.sum()
    cdf_b = np.cumsum(np.where(in_a, 0.0, w)) / weight_b.sum()
    # Evaluate the ECDFs only after the last event of each group of ties.
    last_of_ties = np.append(values[1:] != values[:-1], True)
    statistic = float(np.max(np.abs(cdf_a - cdf_b)[last_of_ties]))

    n_a, n_b = kish_size(weight_a), kish_size(weight_b)
    n = max(1.0, np.round(n_a * n_b / (n_a + n_b)))
    pvalue = float(np.clip(kstwo.sf(statistic, n), 0.0, 1.0))
    return statistic, pvalue


def _weighted_roc(y_true, score, sample_weight, *, thresholds=False):
    """ROC curve with all thresholds kept (negative weights are allowed)."""
    fpr, tpr, cuts = roc_curve(
        y_true, score, sample_weight=sample_weight, drop_intermediate=False
    )
    return (fpr, tpr, cuts) if thresholds else (fpr, tpr)


def _weighted_auc(y_true, score, sample_weight):
    """Area under the weighted ROC curve by the trapezoidal rule.

    Equal to ``sklearn.metrics.roc_auc_score`` for non-negative weights. With
    negative weights the false positive rate may step back; the signed area is
    then still defined, where ``roc_auc_score`` refuses the curve.
    """
    fpr, tpr = _weighted_roc(y_true, score, sample_weight)
    return float(np.trapezoid(tpr, fpr))


def _class_scores(score, classes):
    """One score column per class (for a binary score ``p``: ``1 - p`` and ``p``)."""
    if score.ndim == 1:
        positive = score
    elif len(classes) == 2:
        positive = score[:, 1]
    else:
        return score
    return np.column_stack([1.0 - positive, positive])


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def overtraining_test(
    y_train,
    score_train,
    y_test,
    score_test,
    *,
    sample_weight_train=None,
    sample_weight_test=None,
):
    """Compare train and test classifier outputs per class, as TMVA does.

    For the events of each true class, the distribution of the classifier
    output on the training sample is compared with its distribution on the
    test sample by a two-sample Kolmogorov-Smirnov (KS) test. A small p-value
    means the classifier behaves differently on the events it was trained on:
    it has learnt fluctuations of the training sample (overtraining). The ROC
    AUC of "this class versus the rest" on both samples is reported beside
    it; a train AUC well above the test AUC tells the same story.

    Parameters
    ----------
    y_train : array-like of shape (n_train,)
        True classes of the training events.

    score_train : array-like of shape (n_train,) or (n_train, n_classes)
        Classifier output on the training events, as returned by
        ``predict_proba``. 1-D for a binary problem: the score of the positive
        class, which is the larger of the two sorted labels. 2-D with one
        column per class, the columns following the sorted labels (as
        ``classes_`` does); with two columns only column 1 is used.

    y_test : array-like of shape (n_test,)
        True classes of the test events. Every class of `y_train` must occur
        and no other.

    score_test : array-like of shape (n_test,) or (n_test, n_classes)
        Classifier output on the test events, in the same form as
        `score_train`.

    sample_weight_train : array-like of shape (n_train,), default=None
        Per-event weights of the training sample. Negative weights, as in NLO
        Monte Carlo, are allowed; see the Notes.

    sample_weight_test : array-like of shape (n_test,), default=None
        Per-event weights of the test sample.

    Returns
    -------
    result : pandas.DataFrame
        One row per class, in sorted label order, with the columns

        - ``class``: the class label;
        - ``ks_statistic``: largest distance between the train and test
          cumulative distributions of the score of that class, over the
          events of that class;
        - ``ks_pvalue``: the p-value of the KS test;
        - ``auc_train``, ``auc_test``: ROC AUC of that class versus the rest,
          from the score of that class.

    See Also
    --------
    signal_efficiency_table : Signal efficiency at fixed background
        efficiencies, train beside test.
    scipy.stats.ks_2samp : The unweighted two-sample KS test.
    sklearn.metrics.roc_auc_score : Area under the ROC curve.

    Notes
    -----
    **Which score.** The score of class ``c`` is column ``c`` of the
    ``predict_proba`` output. For a binary score ``p`` (1-D, or column 1 of a
    two-column array) the positive class gets ``p`` and the negative class
    ``1 - p``, which is what the two columns of ``predict_proba`` hold. The
    KS statistic does not change under this reflection, so the test of the
    negative class is the TMVA one (the distribution of the signal
    probability over the background events), and both rows of a binary
    problem share the same AUC.

    **Weights.** The weighted empirical distribution function of a sample is
    ``F(x) = sum(w[score <= x]) / sum(w)`` with the signed weights, so
    negative weights enter as they do in a histogram; the weights of every
    class must have a positive sum. The p-value uses the Kolmogorov
    distribution ``scipy.stats.kstwo`` at the effective sample sizes
    ``n_eff = (sum w)**2 / sum(w**2)`` (Kish), combined as
    ``n_train n_test / (n_train + n_test)`` and rounded, as ``ks_2samp`` does
    with ``method="asymp"``. The signed sum makes ``n_eff`` smaller when
    positive and negative weights cancel, which is the loss of precision they
    cause, so the p-value is not overconfident. For unit weights the result is
    that of ``ks_2samp(method="asymp")``; it is asymptotic, so a p-value from
    a few dozen events is approximate. The AUC is the trapezoidal area under
    the weighted ROC curve: equal to ``roc_auc_score`` with
    ``sample_weight`` for non-negative weights, and the signed area when
    negative weights make the curve step back.

    References
    ----------
    .. [1] A. Hoecker et al., "TMVA - Toolkit for Multivariate Data Analysis",
       arXiv:physics/0703039.
    .. [2] L. Kish, "Survey Sampling", Wiley, 1965.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.metrics import overtraining_test
    >>> rng = np.random.default_rng(3)
    >>> y_train, y_test = rng.integers(0, 2, 2000), rng.integers(0, 2, 2000)
    >>> score_train = 1 / (1 + np.exp(-(2 * y_train - 1 + rng.normal(size=2000))))
    >>> score_test = 1 / (1 + np.exp(-(2 * y_test - 1 + rng.normal(size=2000))))
    >>> result = overtraining_test(y_train, score_train, y_test, score_test)
    >>> list(result.columns)
    ['class', 'ks_statistic', 'ks_pvalue', 'auc_train', 'auc_test']
    >>> result["ks_pvalue"].round(1).tolist()
    [0.7, 0.9]
    >>> result["auc_test"].round(2).tolist()
    [0.92, 0.92]
    """
    classes, y_train, score_train, w_train, y_test, score_test, w_test = (
        _validate_samples(
            y_train,
            score_train,
            y_test,
            score_test,
            sample_weight_train,
            sample_weight_test,
        )
    )
    score_train = _class_scores(score_train, classes)
    score_test = _class_scores(score_test, classes)

    rows = []
    for k, c in enumerate(classes):
        is_c_train, is_c_test = y_train == c, y_test == c
        statistic, pvalue = _weighted_ks_2samp(
            score_train[is_c_train, k],
            score_test[is_c_test, k],
            w_train[is_c_train],
            w_test[is_c_test],
        )
        rows.append(
            {
                "class": c,
                "ks_statistic": statistic,
                "ks_pvalue": pvalue,
                "auc_train": _weighted_auc(is_c_train, score_train[:, k], w_train),
                "auc_test": _weighted_auc(is_c_test, score_test[:, k], w_test),
            }
        )
    return pd.DataFrame(
        rows, columns=["class", "ks_statistic", "ks_pvalue", "auc_train", "auc_test"]
    )


def _read_at(fpr, tpr, background_efficiency):
    """Signal efficiency where the ROC curve first passes a background efficiency.

    Moving from the tightest to the loosest cut, take the first point whose
    false positive rate exceeds ``background_efficiency`` and interpolate
    linearly from the point before it. On a monotone curve this is the largest
    signal efficiency reachable at that background efficiency. Also returns
    the index of the loosest ROC point whose events the (randomised) cut
    keeps: the upper end of the interpolation, or its lower end when the
    efficiency falls on it exactly.
    """
    beyond = fpr > background_efficiency
    if not beyond.any():
        return float(tpr[-1]), len(fpr) - 1
    k = int(np.argmax(beyond))
    fraction = (background_efficiency - fpr[k - 1]) / (fpr[k] - fpr[k - 1])
    return float(tpr[k - 1] + fraction * (tpr[k] - tpr[k - 1])), (k if fraction > 0 else k - 1)


def signal_efficiency_table(
    y_train,
    score_train,
    y_test,
    score_test,
    *,
    background_efficiencies=(0.01, 0.10, 0.30),
    sample_weight_train=None,
    sample_weight_test=None,
    pos_label=None,
):
    """Signal efficiency at fixed background efficiencies, train beside test.

    This is the efficiency table TMVA prints after training a binary
    classifier: cutting on the classifier output so as to keep a given
    fraction of the background, which fraction of the signal survives? A
    signal efficiency much higher on the training sample than on the test
    sample is a sign of overtraining.

    Parameters
    ----------
    y_train : array-like of shape (n_train,)
        True classes of the training events; exactly two classes.

    score_train : array-like of shape (n_train,) or (n_train, 2)
        Classifier output on the training events, higher for signal. 1-D: the
        score of `pos_label`. 2-D: the output of ``predict_proba`` with the
        columns following the sorted labels; the column of `pos_label` is
        used.

    y_test : array-like of shape (n_test,)
        True classes of the test events, the same two classes.

    score_test : array-like of shape (n_test,) or (n_test, 2)
        Classifier output on the test events, in the same form as
        `score_train`.

    background_efficiencies : array-like of float, default=(0.01, 0.10, 0.30)
        Background efficiencies, each in [0, 1], at which to read the signal
        efficiency.

    sample_weight_train : array-like of shape (n_train,), default=None
        Per-event weights of the training sample; negative weights allowed.

    sample_weight_test : array-like of shape (n_test,), default=None
        Per-event weights of the test sample.

    pos_label : int, float, bool or str, default=None
        The signal class. ``None`` takes the larger of the two sorted labels,
        the class whose probability ``predict_proba`` puts in column 1.

    Returns
    -------
    table : pandas.DataFrame
        One row per background efficiency, with the columns
        ``background_efficiency``, ``signal_efficiency_train``,
        ``signal_efficiency_test``, and the statistics behind them,
        ``background_events_train`` and ``background_events_test``: the
        number of simulated background events of each sample above the cut
        (above the looser of the two thresholds an interpolated efficiency
        lies between). A background efficiency of 1 % read from 50
        background events rests on at most one of them.

    See Also
    --------
    overtraining_test : KS test and AUC of train versus test, per class.
    sklearn.metrics.roc_curve : The ROC curve the efficiencies are read from.

    Notes
    -----
    The efficiencies are read from the weighted ROC curve
    (``sklearn.metrics.roc_curve`` with every threshold kept), interpolating
    linearly between its points, which is the efficiency of a cut randomised
    between two neighbouring thresholds. At a background efficiency where the
    curve rises vertically (events tied in score), the top of the rise is
    taken: the largest signal efficiency reachable with that background
    efficiency. Negative weights may make the curve step back; the signal
    efficiency is then read where the curve first passes the requested
    background efficiency, going from the tightest cut to the loosest.

    References
    ----------
    .. [1] A. Hoecker et al., "TMVA - Toolkit for Multivariate Data Analysis",
       arXiv:physics/0703039.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.metrics import signal_efficiency_table
    >>> rng = np.random.default_rng(0)
    >>> y_train, y_test = rng.integers(0, 2, 5000), rng.integers(0, 2, 5000)
    >>> score_train = y_train + rng.normal(size=5000)
    >>> score_test = y_test + rng.normal(size=5000)
    >>> table = signal_efficiency_table(y_train, score_train, y_test, score_test)
    >>> table["background_efficiency"].tolist()
    [0.01, 0.1, 0.3]
    >>> bool(table["signal_efficiency_test"].is_monotonic_increasing)
    True
    >>> table["signal_efficiency_test"].round(1).tolist()
    [0.1, 0.4, 0.7]
    """
    classes, y_train, score_train, w_train, y_test, score_test, w_test = (
        _validate_samples(
            y_train,
            score_train,
            y_test,
            score_test,
            sample_weight_train,
            sample_weight_test,
        )
    )
    if len(classes) != 2:
        raise ValueError(
            f"signal_efficiency_table needs a binary problem, but there are "
            f"{len(classes)} classes {classes.tolist()}. Keep the events of two "
            "classes, or use overtraining_test for a per-class summary."
        )
    if pos_label is None:
        pos_index = 1
    else:
        matches = np.flatnonzero(classes == pos_label)
        if matches.size == 0:
            raise ValueError(
                f"pos_label={pos_label!r} is not one of the classes "
                f"{classes.tolist()}. Pass one of them, or None for "
                f"{classes[1]!r}."
            )
        pos_index = int(matches[0])
    pos_label = classes[pos_index]

    efficiencies = np.asarray(background_efficiencies, dtype=np.float64)
    if (
        efficiencies.ndim > 1
        or efficiencies.size == 0
        or not np.all((efficiencies >= 0) & (efficiencies <= 1))
    ):
        raise ValueError(
            "background_efficiencies must be a non-empty list of numbers in "
            f"[0, 1], got {background_efficiencies!r}."
        )
    efficiencies = np.atleast_1d(efficiencies)

    columns = {"background_efficiency": efficiencies}
    events = {}
    for y, score, w, sample in (
        (y_train, score_train, w_train, "train"),
        (y_test, score_test, w_test, "test"),
    ):
        if score.ndim == 2:
            score = score[:, pos_index]
        is_signal = y == pos_label
        fpr, tpr, cuts = _weighted_roc(is_signal, score, w, thresholds=True)
        read = [_read_at(fpr, tpr, b) for b in efficiencies]
        columns[f"signal_efficiency_{sample}"] = [efficiency for efficiency, _ in read]
        background = np.sort(score[~is_signal])
        # the simulated background events above the loosest threshold used
        events[f"background_events_{sample}"] = [
            int(background.size - np.searchsorted(background, cuts[k], side="left"))
            for _, k in read
        ]
    return pd.DataFrame({**columns, **events})
