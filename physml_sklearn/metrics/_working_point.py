"""Choosing a working point: background rejection and expected significance."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from .._weights import scaled_by_largest
from ._overtraining import _check_labels, _check_same_length, _check_weights

__all__ = ["background_rejection_curve", "significance_scan"]

_METHODS = ("asimov", "s_sqrt_b")


def _check_binary(y_true, y_score, sample_weight, pos_label):
    """Validate a binary problem; return (is_signal, score, weight, pos_label)."""
    y_true = _check_labels(y_true, "y_true")
    y_score = np.asarray(y_score)
    if y_score.ndim == 2 and y_score.shape[1] == 2:
        raise ValueError(
            "y_score has two columns; pass one score per event, the signal "
            "probability: predict_proba(X)[:, 1]."
        )
    try:
        y_score = np.asarray(y_score, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("y_score must hold numbers, one score per event.") from exc
    if y_score.ndim != 1:
        raise ValueError(
            f"y_score must be 1-D, one score per event; got shape {y_score.shape}."
        )
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score contains NaN or infinity; every event needs a finite score.")
    weight = _check_weights(sample_weight, len(y_true), "sample_weight")
    _check_same_length(y_true=y_true, y_score=y_score, sample_weight=weight)
    labels = np.unique(y_true)
    if labels.size > 2:
        raise ValueError(
            f"y_true holds {labels.size} classes; a working point needs signal against "
            "background: pass y_true == signal_class."
        )
    if pos_label is None:
        if not (set(labels.tolist()) <= {0, 1} or set(labels.tolist()) <= {-1, 1}):
            raise ValueError(
                f"y_true holds the labels {labels.tolist()}; pass pos_label= the signal "
                "label (pos_label=None assumes {0, 1} or {-1, 1} with 1 as signal)."
            )
        pos_label = 1
    is_signal = y_true == pos_label
    if not is_signal.any():
        raise ValueError(
            f"y_true holds no signal event (pos_label={pos_label!r}); pass the label of "
            "the signal class as pos_label."
        )
    if is_signal.all():
        raise ValueError("y_true holds no background event; both classes are needed.")
    for name, events in (("signal", is_signal), ("background", ~is_signal)):
        total = weight[events].sum()
        if not total > 0:
            raise ValueError(
                f"sample_weight of the {name} events sums to {total:.6g}; each class "
                "needs a positive total weight (negative weights are allowed, a "
                "non-positive total is not). Check the sign of the weights."
            )
    return is_signal, y_score, weight, pos_label


def background_rejection_curve(y_true, y_score, *, sample_weight=None, pos_label=None):
    """Background rejection against signal efficiency, as flavour-tagging papers show it.

    For each threshold on the score, the signal efficiency is the (weighted)
    fraction of signal events at or above it, and the background rejection is
    the inverse of the background efficiency, ``1 / FPR``: the number of
    background events one has to see for one to pass. It is the ROC curve of
    :func:`sklearn.metrics.roc_curve` (computed by it, every threshold kept)
    in the coordinates where high-purity working points are visible: a log
    scale of the rejection spreads out the region of small background
    efficiency that a linear ROC curve squeezes against its axis.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes: signal (``pos_label``) or background.
    y_score : array-like of shape (n_samples,)
        Classifier output, higher for signal (e.g. ``predict_proba(X)[:, 1]``).
    sample_weight : array-like of shape (n_samples,), default=None
        Event weights; negative weights (NLO Monte Carlo) are allowed and
        summed as they are.
    pos_label : int, float, bool or str, default=None
        The signal label. ``None`` takes 1 when the labels are {0, 1} or
        {-1, 1}.

    Returns
    -------
    signal_efficiency : ndarray of shape (n_thresholds,)
        Weighted fraction of signal events with ``y_score >= thresholds[i]``.
    background_rejection : ndarray of shape (n_thresholds,)
        ``1 / background efficiency`` at the same thresholds.
    thresholds : ndarray of shape (n_thresholds,)
        Decreasing thresholds, as in ``roc_curve``. Thresholds where the
        background efficiency is not positive (no background left, so an
        infinite rejection, or a negative weighted sum) are left out.

    See Also
    --------
    sklearn.metrics.roc_curve : The same curve as false against true positive rate.
    significance_scan : The expected significance at each threshold.
    physml_sklearn.plotting.RejectionCurveDisplay : Draws the curve.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.metrics import background_rejection_curve
    >>> y = np.array([0, 0, 0, 0, 1, 1])
    >>> score = np.array([0.1, 0.2, 0.3, 0.8, 0.7, 0.9])
    >>> eff, rejection, thresholds = background_rejection_curve(y, score)
    >>> eff.tolist(), rejection.tolist()
    ([0.5, 1.0, 1.0, 1.0, 1.0], [4.0, 4.0, 2.0, 1.3333333333333333, 1.0])
    >>> thresholds.tolist()
    [0.8, 0.7, 0.3, 0.2, 0.1]
    """
    is_signal, y_score, weight, _ = _check_binary(y_true, y_score, sample_weight, pos_label)
    fpr, tpr, thresholds = roc_curve(
        is_signal, y_score, sample_weight=weight, drop_intermediate=False
    )
    keep = fpr > 0
    return tpr[keep], 1.0 / fpr[keep], thresholds[keep]


def asimov_significance(s, b, background_uncertainty=0.0, *, sigma_b=None):
    """Median discovery significance of an Asimov data set, element-wise.

    ``Z = sqrt(2((s+b) ln(1+s/b) - s))`` (Cowan, Cranmer, Gross and Vitells,
    arXiv:1007.1727); with a background uncertainty ``sigma_b =
    background_uncertainty * b`` (or the absolute ``sigma_b`` given, one per
    element) the profile-likelihood form of G. Cowan, "Discovery sensitivity
    for a counting experiment with background uncertainty" (2012). Zero where
    ``s <= 0`` or ``b <= 0``.
    """
    s = np.asarray(s, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    valid = (s > 0) & (b > 0)
    s_ok = np.where(valid, s, 1.0)
    b_ok = np.where(valid, b, 1.0)
    if sigma_b is None:
        sigma = np.abs(background_uncertainty * b_ok)
    else:
        sigma = np.broadcast_to(np.abs(np.asarray(sigma_b, dtype=np.float64)), b_ok.shape)
    plain = (s_ok + b_ok) * np.log1p(s_ok / b_ok) - s_ok
    # in r = s / b and v = sigma_b^2 / b (taken as (sigma_b / b) sigma_b, which
    # does not overflow for weights far from 1; an infinite v gives Z = 0):
    # q / b = (1 + r) ln(1 + r / (1 + (1 + r) v)) - ln(1 + r / (1 + 1 / v)) / v
    with_var = sigma > 0
    r = s_ok / b_ok
    with np.errstate(over="ignore"):
        v = np.where(with_var, sigma / b_ok * sigma, 1.0)
    first = (s_ok + b_ok) * np.log1p(r / (1.0 + (1.0 + r) * v))
    second = b_ok * (np.log1p(r / (1.0 + 1.0 / v)) / v)
    q = np.where(with_var, first - second, plain)
    return np.where(valid, np.sqrt(2.0 * np.clip(q, 0.0, None)), 0.0)


def significance_scan(
    y_true,
    y_score,
    *,
    sample_weight=None,
    pos_label=None,
    method="asimov",
    background_uncertainty=0.0,
    min_background_events=10,
):
    """Expected significance of a cut on the classifier score, at every threshold.

    For each threshold the signal and background yields ``s`` and ``b`` are
    the weighted numbers of events with ``y_score >= threshold``; with
    physics weights (cross section x luminosity / generated events) they are
    the expected event counts of the analysis. The significance of each cut:

    - ``method="asimov"``: the median discovery significance of the Asimov
      data set, ``Z = sqrt(2((s+b) ln(1+s/b) - s))`` (Cowan, Cranmer, Gross
      and Vitells, Eur. Phys. J. C 71 (2011) 1554, arXiv:1007.1727). With an
      uncertainty ``sigma_b`` on the background yield, its profile-likelihood
      form (G. Cowan, "Discovery sensitivity for a counting experiment with
      background uncertainty", 2012)::

          Z = sqrt(2 [(s+b) ln((s+b)(b+sigma_b^2) / (b^2+(s+b) sigma_b^2))
                      - (b^2/sigma_b^2) ln(1 + sigma_b^2 s / (b (b+sigma_b^2)))])

      which is never above the plain one and, unlike it, does not grow
      without bound as the cut tightens.
    - ``method="s_sqrt_b"``: ``s / sqrt(b + sigma_b^2)``, the large-``b``
      approximation (``s / sqrt(b)`` without uncertainty), too optimistic
      when ``b`` is small.

    ``sigma_b`` is ``background_uncertainty * b`` for a number (a relative
    systematic uncertainty), or, with ``background_uncertainty="mc"``, the
    Monte Carlo statistical uncertainty of the background yield,
    ``sigma_b = sqrt(sum of w^2)`` over the background events above the cut:
    a yield that rests on a few heavily weighted simulated events is then
    known to be uncertain, and the significance says so.

    The tightest cuts keep only a handful of simulated background events, and
    a yield from one event is no estimate: ``min_background_events`` (10 by
    default, a background known to about 30 %) sets the significance of a
    cut with fewer raw (unweighted) background events above it to 0, so that
    such a cut is never the best one. ``min_background_events=0`` gives the
    bare curve, every cut with its significance.

    The best working point is ``scan.loc[scan.significance.idxmax()]``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes: signal (``pos_label``) or background.
    y_score : array-like of shape (n_samples,)
        Classifier output, higher for signal.
    sample_weight : array-like of shape (n_samples,), default=None
        Event weights, e.g. ``sigma * L / N`` per event; negative weights
        are allowed and summed as they are. ``None``: every event counts 1.
    pos_label : int, float, bool or str, default=None
        The signal label. ``None`` takes 1 when the labels are {0, 1} or
        {-1, 1}.
    method : {"asimov", "s_sqrt_b"}, default="asimov"
        The significance formula.
    background_uncertainty : float or "mc", default=0.0
        Relative uncertainty on the background yield (0.1 for 10 %), or
        ``"mc"`` for the Monte Carlo statistical uncertainty
        ``sqrt(sum of w^2)`` of the background events above each cut.
    min_background_events : int, default=10
        Fewest raw (unweighted) background events above a cut for its
        significance to count; cuts with fewer get 0. A sample with fewer
        background events in all is refused. 0 keeps every cut.

    Returns
    -------
    scan : pandas.DataFrame
        One row per distinct score value, in increasing order of threshold,
        with the columns

        - ``threshold``;
        - ``signal``, ``background``: weighted yields with ``y_score >=
          threshold``;
        - ``background_error``: the Monte Carlo statistical uncertainty of
          ``background``, ``sqrt(sum of w^2)`` over its events;
        - ``n_signal``, ``n_background``: the raw numbers of events above
          the cut;
        - ``significance``: set to 0 where ``s <= 0`` or ``b <= 0`` (no
          signal, or the background simulation has run out) or where
          ``n_background < min_background_events``, so such a cut is never
          the best one.

    See Also
    --------
    background_rejection_curve : The rejection at each signal efficiency.
    physml_sklearn.plotting.SignificanceDisplay : Draws the scan.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.metrics import significance_scan
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[np.ones(1000), np.zeros(10000)].astype(int)
    >>> score = np.r_[rng.normal(1, 1, 1000), rng.normal(-1, 1, 10000)]
    >>> weight = np.r_[np.full(1000, 0.05), np.full(10000, 0.1)]
    >>> scan = significance_scan(y, score, sample_weight=weight)
    >>> best = scan.loc[scan.significance.idxmax()]
    >>> bool(0.5 < best.threshold < 2.5)
    True
    >>> loosest = scan.iloc[0]  # every event passes: s = 50, b = 1000
    >>> round(float(loosest.signal), 6), round(float(loosest.background), 6)
    (50.0, 1000.0)
    >>> round(float(loosest.significance), 3)
    1.568
    >>> s, b = 50.0, 1000.0
    >>> round(float(np.sqrt(2 * ((s + b) * np.log(1 + s / b) - s))), 3)
    1.568
    >>> with_syst = significance_scan(y, score, sample_weight=weight,
    ...                               background_uncertainty=0.1)
    >>> bool((with_syst.significance <= scan.significance + 1e-12).all())
    True

    A working point that rests on at least 10 simulated background events,
    with their Monte Carlo uncertainty in Z:

    >>> safe = significance_scan(y, score, sample_weight=weight,
    ...                          background_uncertainty="mc",
    ...                          min_background_events=10)
    >>> best = safe.loc[safe.significance.idxmax()]
    >>> int(best.n_background) >= 10
    True
    >>> bool(np.isclose(best.background_error, 0.1 * np.sqrt(best.n_background)))
    True
    """
    if method not in _METHODS:
        raise ValueError(f"method={method!r} is not one of {list(_METHODS)}.")
    mc = isinstance(background_uncertainty, str) and background_uncertainty == "mc"
    if not mc and (
        not isinstance(background_uncertainty, Real)
        or isinstance(background_uncertainty, bool)
        or not np.isfinite(background_uncertainty)
        or background_uncertainty < 0
    ):
        raise ValueError(
            "background_uncertainty must be a finite number >= 0, the relative "
            "uncertainty on the background (0.1 for 10 %), or 'mc' for the Monte "
            f"Carlo statistical uncertainty; got {background_uncertainty!r}."
        )
    if (
        not isinstance(min_background_events, Integral)
        or isinstance(min_background_events, bool)
        or min_background_events < 0
    ):
        raise ValueError(
            "min_background_events must be an integer >= 0, the fewest simulated "
            f"background events a cut may keep; got {min_background_events!r}."
        )
    is_signal, y_score, weight, _ = _check_binary(y_true, y_score, sample_weight, pos_label)
    n_background_total = int((~is_signal).sum())
    if n_background_total < min_background_events:
        raise ValueError(
            f"min_background_events={min_background_events} but there are only "
            f"{n_background_total} background events in all, so no cut qualifies; "
            "lower min_background_events or simulate more background."
        )
    order = np.argsort(-y_score, kind="stable")
    score = y_score[order]
    signal_sorted = is_signal[order]
    w = weight[order]
    s_cum = np.cumsum(np.where(signal_sorted, w, 0.0))
    b_cum = np.cumsum(np.where(signal_sorted, 0.0, w))
    # the squares of the weights in units of the largest: 1e200 squared overflows
    scaled, unit = scaled_by_largest(w)
    b2_cum = np.cumsum(np.where(signal_sorted, 0.0, scaled**2))
    ns_cum = np.cumsum(signal_sorted)
    nb_cum = np.cumsum(~signal_sorted)
    # the last event of each run of equal scores: the yields at that threshold
    last = np.r_[np.flatnonzero(np.diff(score) != 0), score.size - 1][::-1]
    s, b, threshold = s_cum[last], b_cum[last], score[last]
    error = np.sqrt(b2_cum[last]) * unit
    n_signal, n_background = ns_cum[last], nb_cum[last]
    with np.errstate(over="ignore"):  # an uncertainty beyond 1e308: Z = 0
        sigma_b = error if mc else float(background_uncertainty) * np.abs(b)
    if method == "asimov":
        z = asimov_significance(s, b, sigma_b=sigma_b)
    else:  # s / sqrt(b + sigma_b^2), the root taken as a hypot: sigma_b^2 may overflow
        valid = (s > 0) & (b > 0)
        z = np.where(valid, s / np.hypot(np.sqrt(np.where(valid, b, 1.0)), sigma_b), 0.0)
    z = np.where(n_background >= min_background_events, z, 0.0)
    return pd.DataFrame({
        "threshold": threshold, "signal": s, "background": b,
        "background_error": error, "n_signal": n_signal.astype(np.int64),
        "n_background": n_background.astype(np.int64), "significance": z,
    })
