"""Mass sculpting: how much a cut on a tagger bends the background mass spectrum."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np

from .._weights import kish_size
from ._overtraining import _check_same_length
from ._working_point import _check_binary

__all__ = ["mass_sculpting"]


def _check_mass(mass, n_events):
    try:
        mass = np.asarray(mass, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("mass must hold numbers, one value per event.") from exc
    if mass.ndim != 1:
        raise ValueError(f"mass must be 1-D, one value per event; got shape {mass.shape}.")
    if not np.all(np.isfinite(mass)):
        raise ValueError("mass contains NaN or infinity; every event needs a finite mass.")
    _check_same_length(y_true=np.empty(n_events), mass=mass)
    return mass


def _check_efficiency(value, name="signal_efficiency"):
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a number in (0, 1]; got {value!r}.")
    return float(value)


def _mass_edges(bins, mass):
    """Histogram edges of the background mass from ``bins`` (an int or edges)."""
    if isinstance(bins, Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"bins must be a positive integer or an array of edges; got {bins}.")
        low, high = float(mass.min()), float(mass.max())
        if high == low:
            high = low + 1.0
        return np.linspace(low, high, int(bins) + 1)
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError(
            "bins must be a positive integer or an increasing 1-D array of at least two "
            f"edges; got {bins!r}."
        )
    return edges


def _threshold(score, weight, efficiency):
    """The highest cut ``score >= t`` keeping at least ``efficiency`` of the weight."""
    order = np.argsort(-score, kind="stable")
    cumulative = np.cumsum(weight[order])
    total = cumulative[-1]
    reached = np.flatnonzero(cumulative >= efficiency * total * (1 - 1e-12))
    return float(score[order][reached[0] if reached.size else -1])


def _histogram(mass, weight, edges):
    counts, _ = np.histogram(mass, bins=edges, weights=weight)
    counts = np.clip(counts, 0.0, None)
    total = counts.sum()
    return counts / total if total > 0 else None


def jensen_shannon(p, q):
    """Jensen-Shannon divergence, base 2, of two normalised histograms (in [0, 1])."""
    m = 0.5 * (p + q)

    def kl(a):
        nonzero = a > 0
        return float(np.sum(a[nonzero] * np.log2(a[nonzero] / m[nonzero])))

    return max(0.5 * kl(p) + 0.5 * kl(q), 0.0)


def jsd_floor(mass, weight, passed, edges):
    """The JSD that the finite statistics alone give, and what it rests on.

    Histograms of ``n_pass`` and ``n_fail`` events drawn from one spectrum
    over ``k`` occupied bins differ by chance; to second order their JSD
    (base 2) is on average ``(k - 1) (1 / n_pass + 1 / n_fail) / (8 ln 2)``
    (Kish's effective numbers of events with weights). A cut that does not
    sculpt at all shows this JSD, so a measured JSD near it is no
    measurement of the sculpting: ``1 / JSD`` is then set by the number of
    simulated events, not by the tagger.

    Returns
    -------
    floor : float
        The expected JSD of a cut that does not sculpt.
    n_pass, n_fail : float
        The effective numbers of passing and failing background events in
        the histogram's range.
    n_bins : int
        The number of occupied bins.
    """
    inside = (mass >= edges[0]) & (mass <= edges[-1])
    n_pass = kish_size(weight[inside & passed])
    n_fail = kish_size(weight[inside & ~passed])
    counts, _ = np.histogram(mass[inside], bins=edges, weights=weight[inside])
    n_bins = int(np.count_nonzero(counts > 0))
    if n_pass <= 0 or n_fail <= 0:
        return np.inf, n_pass, n_fail, n_bins
    floor = max(n_bins - 1, 0) * (1.0 / n_pass + 1.0 / n_fail) / (8.0 * np.log(2.0))
    return float(floor), n_pass, n_fail, n_bins


def mass_sculpting(
    y_true, y_score, mass, *, signal_efficiency=0.5, bins=50, sample_weight=None,
    pos_label=None,
):
    """Background rejection and mass sculpting of a cut on a tagger's score.

    The cut ``y_score >= threshold`` keeps ``signal_efficiency`` of the
    (weighted) signal. Its background rejection is R = 1 / (background
    efficiency) (R50 at 50 % signal efficiency). The sculpting is the
    Jensen-Shannon divergence, base 2, between the normalised histograms of
    the background mass that passes and that fails the cut: 0 when the cut
    leaves the background mass spectrum unchanged, up to 1 when the two
    spectra do not overlap. This is the metric of the DisCo (Kasieczka &
    Shih, arXiv:2001.05310) and MoDe (Kitouni et al., arXiv:2010.09745)
    papers, which quote R50 against 1 / JSD.

    Parameters
    ----------
    y_true : array-like of shape (n_events,)
        True classes: signal (``pos_label``) or background.
    y_score : array-like of shape (n_events,)
        Tagger output, higher for signal (e.g. ``predict_proba(X)[:, 1]``).
    mass : array-like of shape (n_events,)
        The variable whose background distribution must not change (the jet
        mass, in GeV).
    signal_efficiency : float, default=0.5
        Fraction of the signal weight the cut keeps, in (0, 1].
    bins : int or array-like, default=50
        Number of equal-width mass bins between the smallest and the largest
        background mass, or the bin edges.
    sample_weight : array-like of shape (n_events,), default=None
        Event weights. Histogram bins whose weight sums are negative are
        counted as empty.
    pos_label : int, float, bool or str, default=None
        The signal label; None means 1 (labels {0, 1} or {-1, 1}).

    Returns
    -------
    result : dict
        ``threshold`` (the cut on the score), ``signal_efficiency`` (the
        signal fraction kept, at least the one asked for),
        ``background_efficiency``, ``background_rejection`` (R, infinite
        when the passing background weights do not sum to a positive
        number), ``background_rejection_uncertainty`` (the statistical
        uncertainty of R from the simulated background that passes, ``R
        sqrt(sum w^2) / sum w`` over those events; ``R / sqrt(n)`` without
        weights), ``background_events`` (the number n of simulated background
        events that pass: the statistics behind R), ``jsd`` and
        ``inverse_jsd`` (1 / JSD, infinite when the spectra are identical),
        ``jsd_floor`` (the JSD that a cut which does not sculpt at all shows
        on average with these statistics, ``(k - 1) (1 / n_pass + 1 /
        n_fail) / (8 ln 2)`` for ``k`` occupied bins and the effective
        numbers of background events that pass and fail: a ``jsd`` near it
        measures the size of the sample, not the tagger, and ``inverse_jsd``
        cannot reliably exceed ``1 / jsd_floor``).

    Raises
    ------
    ValueError
        When no background event passes or none fails the cut (the JSD
        between the two spectra is then undefined), or when fewer background
        events (effective numbers, with weights) pass or fail than there are
        occupied mass bins: the histograms are then mostly empty bins.

    See Also
    --------
    physml_sklearn.plotting.SculptingDisplay : The background mass after cuts.
    physml_sklearn.metrics.background_rejection_curve : R at every efficiency.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.metrics import mass_sculpting
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 5000)
    >>> mass = np.where(y == 1, rng.normal(80, 8, 10_000), rng.uniform(30, 300, 10_000))
    >>> score = y + rng.normal(0, 1, 10_000)  # blind to the mass
    >>> flat = mass_sculpting(y, score, mass, bins=20)
    >>> round(flat["background_rejection"], 1), round(flat["jsd"], 4)
    (6.3, 0.0032)

    That JSD is below what 793 passing events show by chance alone: no
    sculpting is resolved with this sample.

    >>> flat["background_events"], round(flat["jsd_floor"], 4)
    (793, 0.0051)

    A score that also cuts a mass window rejects more background and
    sculpts it:

    >>> window = score - np.abs(mass - 80) / 30
    >>> sculpted = mass_sculpting(y, window, mass, bins=20)
    >>> round(sculpted["background_rejection"], 1), round(sculpted["jsd"], 2)
    (44.2, 0.48)
    """
    is_signal, y_score, weight, _ = _check_binary(y_true, y_score, sample_weight, pos_label)
    mass = _check_mass(mass, len(y_score))
    signal_efficiency = _check_efficiency(signal_efficiency)
    signal_total = weight[is_signal].sum()
    background = ~is_signal
    threshold = _threshold(y_score[is_signal], weight[is_signal], signal_efficiency)
    passed = y_score >= threshold
    kept_signal = weight[is_signal & passed].sum() / signal_total
    background_total = weight[background].sum()
    background_efficiency = weight[background & passed].sum() / background_total
    rejection = 1.0 / background_efficiency if background_efficiency > 0 else np.inf

    edges = _mass_edges(bins, mass[background])
    p = _histogram(mass[background & passed], weight[background & passed], edges)
    q = _histogram(mass[background & ~passed], weight[background & ~passed], edges)
    if p is None or q is None:
        side = "passes" if p is None else "fails"
        raise ValueError(
            f"no background event {side} the cut at signal_efficiency="
            f"{signal_efficiency:g} (threshold {threshold:.6g}): the JSD between the "
            "passing and failing background mass spectra is undefined. Use more "
            "background events or another signal_efficiency."
        )
    floor, n_pass, n_fail, n_bins = jsd_floor(
        mass[background], weight[background], passed[background], edges)
    if min(n_pass, n_fail) < n_bins:
        raise ValueError(
            f"too few background events for the JSD at signal_efficiency="
            f"{signal_efficiency:g}: {n_pass:.0f} pass and {n_fail:.0f} fail the cut "
            f"(effective numbers), fewer than the {n_bins} occupied mass bins, so the "
            "two spectra are mostly empty bins and their JSD measures the binning, not "
            "the sculpting. Pass fewer bins (e.g. bins=10) or more background events."
        )
    jsd = jensen_shannon(p, q)
    kept = weight[background & passed]
    if kept.sum() > 0:
        # the Monte Carlo uncertainty of the passing background, sqrt(sum w^2)
        # R sqrt(sum w^2) / sum w, as R / sqrt(n_eff): no overflow of w^2
        uncertainty = rejection / np.sqrt(kish_size(kept))
    else:
        uncertainty = np.inf
    return {
        "threshold": threshold,
        "signal_efficiency": float(kept_signal),
        "background_efficiency": float(background_efficiency),
        "background_rejection": float(rejection),
        "background_rejection_uncertainty": float(uncertainty),
        "background_events": int(kept.size),
        "jsd": jsd,
        "inverse_jsd": 1.0 / jsd if jsd > 0 else np.inf,
        "jsd_floor": floor,
    }
