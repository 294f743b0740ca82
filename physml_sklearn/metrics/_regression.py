"""Regression quality the physicist's way: response and resolution per bin."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
import pandas as pd

from .._weights import kish_size

__all__ = ["response_resolution"]

#: fewest (effective) events in a bin to quote a 16-84 % width: below it the
#: 16 % quantile rests on fewer than about 5 events
MIN_EVENTS = 30
#: bootstrap resamples of a bin for ``resolution_error``
N_BOOTSTRAP = 200


def _as_1d(values, name):
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers, one per event.") from exc
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, one value per event; got shape {values.shape}. "
            "For a multi-output regressor pass one column, e.g. y_pred[:, 0]."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or infinity; every event needs a finite value.")
    return values


def weighted_quantile(values, quantiles, weight=None):
    """Quantiles of ``values`` under the event weights ``weight``.

    The empirical distribution function of the weighted events, each event
    at the middle of its step (for equal weights, numpy's ``"linear"``
    interpolation up to the end points), interpolated linearly. Negative
    weights are allowed as long as the sum is positive; the cumulative sum
    is made non-decreasing before inverting it.
    """
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    v = values[order]
    if weight is None:
        return np.quantile(v, quantiles)
    w = np.asarray(weight, dtype=np.float64)[order]
    cum = np.cumsum(w) - 0.5 * w
    cum = np.maximum.accumulate(cum) / w.sum()
    return np.interp(quantiles, cum, v)


def _ratio_summary(ratio, weight):
    q16, q50, q84 = weighted_quantile(ratio, [0.16, 0.5, 0.84], weight)
    return q50, 0.5 * (q84 - q16)


def _bootstrap_resolution(ratio, weight, rng):
    """Resolutions of ``N_BOOTSTRAP`` bootstrap resamples of one bin.

    A Poisson bootstrap: a resample takes each event a Poisson(1) number of
    times (for many events, the same as drawing n events with replacement);
    with the events sorted once, its weighted quantiles need no new sort.
    """
    order = np.argsort(ratio, kind="stable")
    r = ratio[order]
    w = np.ones(r.size) if weight is None else weight[order]
    n = r.size
    boot = np.empty(N_BOOTSTRAP)
    for b in range(N_BOOTSTRAP):
        wb = w * rng.poisson(1.0, n)
        cum = np.maximum.accumulate(np.cumsum(wb) - 0.5 * wb)
        total = cum[-1] + 0.5 * wb[-1]
        if not total > 0:
            boot[b] = np.nan
            continue
        q16, q84 = np.interp([0.16, 0.84], cum / total, r)
        boot[b] = 0.5 * (q84 - q16)
    return boot[np.isfinite(boot)]


def response_resolution(y_true, y_pred, *, bins=10, sample_weight=None):
    """Response and resolution of a regression in bins of the true value.

    For each bin of ``y_true`` the distribution of ``y_pred / y_true``: its
    median is the *response* (1 for an unbiased calibration) and half the
    width between its 16 % and 84 % quantiles the relative *resolution*
    (sigma / E for a Gaussian; robust to the tails a standard deviation
    would chase). These are TMVA's regression deviation plots in numbers.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true values (e.g. the true energy); they must be positive, since
        the ratio ``y_pred / y_true`` is studied.
    y_pred : array-like of shape (n_samples,)
        The predictions (or the raw measurement, as a baseline).
    bins : int or array-like of float, default=10
        An int makes that many bins of equal (weighted) event count, whose
        edges are quantiles of ``y_true``: narrow where events are many,
        wide in a falling spectrum's tail. An array gives the edges
        themselves, increasing; events outside them are left out.
    sample_weight : array-like of shape (n_samples,), default=None
        Event weights; the quantiles are then weighted quantiles. Negative
        weights are allowed; each bin needs a positive sum of weights.

    Returns
    -------
    table : pandas.DataFrame
        One row per bin, columns ``low`` and ``high`` (the bin edges; a bin
        holds ``low <= y_true < high``, the last one also its upper edge),
        ``n`` (events in it), ``response`` (median of ``y_pred / y_true``),
        ``resolution`` (half the 16-84 % width of ``y_pred / y_true``) and
        ``resolution_error``: the standard deviation of the resolution over
        200 Poisson bootstrap resamples of the bin's events (each event taken
        a Poisson(1) number of times, with its weight), drawn with a fixed
        seed so that the same input gives the same table.

    Raises
    ------
    ValueError
        When a bin holds fewer than 30 events (effective events
        ``(sum w)**2 / sum w**2`` with weights): too few to quote a 16-84 %
        width. Pass fewer or wider ``bins``.

    See Also
    --------
    physml_sklearn.plotting.ResolutionDisplay : The table as a figure.

    Examples
    --------
    A measurement with a 10 % Gaussian resolution and a 2 % bias:

    >>> import numpy as np
    >>> from physml_sklearn.metrics import response_resolution
    >>> rng = np.random.default_rng(0)
    >>> e_true = rng.uniform(10, 100, size=20_000)
    >>> e_pred = 1.02 * e_true * (1 + 0.1 * rng.normal(size=e_true.size))
    >>> table = response_resolution(e_true, e_pred, bins=4)
    >>> table.columns.tolist()
    ['low', 'high', 'n', 'response', 'resolution', 'resolution_error']
    >>> table["n"].tolist()
    [5000, 5000, 5000, 5000]
    >>> bool(np.allclose(table["response"], 1.02, atol=0.005))
    True
    >>> bool(np.allclose(table["resolution"], 0.102, atol=0.005))
    True
    """
    y_true = _as_1d(y_true, "y_true")
    y_pred = _as_1d(y_pred, "y_pred")
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_true has {y_true.size} events but y_pred has {y_pred.size}; pass one "
            "prediction per event."
        )
    if y_true.size == 0:
        raise ValueError("y_true is empty; pass at least one event.")
    if np.any(y_true <= 0):
        raise ValueError(
            f"y_true holds {int(np.sum(y_true <= 0))} values <= 0 (smallest "
            f"{y_true.min():g}); the response y_pred / y_true needs positive true "
            "values. Remove those events or shift the target."
        )
    if sample_weight is None:
        weight = None
    else:
        weight = _as_1d(sample_weight, "sample_weight")
        if weight.shape != y_true.shape:
            raise ValueError(
                f"sample_weight has {weight.size} entries but y_true has {y_true.size}; "
                "pass one weight per event."
            )
        if not weight.sum() > 0:
            raise ValueError(
                f"sample_weight sums to {weight.sum():g}; the events need a positive "
                "total weight (negative weights are allowed, a non-positive total is "
                "not). Check the sign of the weights."
            )
    if isinstance(bins, Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"bins={bins} must be at least 1 (or an array of edges).")
        edges = weighted_quantile(y_true, np.linspace(0, 1, bins + 1), weight)
        edges[0], edges[-1] = y_true.min(), y_true.max()
        if np.any(np.diff(edges) <= 0):
            raise ValueError(
                f"bins={bins} equal-count bins of y_true have coinciding edges (y_true "
                "repeats values); pass fewer bins or explicit edges."
            )
    else:
        edges = _as_1d(bins, "bins")
        if edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(
                "bins as an array must hold at least two strictly increasing edges; "
                f"got {edges.tolist()[:10]}."
            )
    index = np.searchsorted(edges, y_true, side="right") - 1
    index[y_true == edges[-1]] = edges.size - 2
    ratio = y_pred / y_true
    rng = np.random.default_rng(0)
    rows = []
    for k in range(edges.size - 1):
        sel = index == k
        n = int(sel.sum())
        r = ratio[sel]
        w = None if weight is None else weight[sel]
        if w is None:
            n_eff = float(n)
        else:
            total = float(w.sum())
            if not total > 0:
                raise ValueError(
                    f"The sample_weight of the bin [{edges[k]:g}, {edges[k + 1]:g}) sums "
                    f"to {total:g}; each bin needs a positive sum of weights. Pass "
                    "fewer or wider bins."
                )
            n_eff = kish_size(w)
        if n_eff < MIN_EVENTS:
            raise ValueError(
                f"The bin [{edges[k]:g}, {edges[k + 1]:g}) of y_true holds {n} events "
                + (f"({n_eff:.1f} effective) " if w is not None else "")
                + f"and a resolution needs at least {MIN_EVENTS}. Pass fewer or wider "
                "bins, or restrict the edges to where the events are."
            )
        response, resolution = _ratio_summary(r, w)
        boot = _bootstrap_resolution(r, w, rng)
        rows.append((edges[k], edges[k + 1], n, response, resolution, float(np.std(boot))))
    return pd.DataFrame(
        rows, columns=["low", "high", "n", "response", "resolution", "resolution_error"]
    )
