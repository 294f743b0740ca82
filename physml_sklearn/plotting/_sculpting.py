"""``SculptingDisplay``: the background mass spectrum after successive cuts."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from ..metrics._sculpting import (
    _check_efficiency,
    _check_mass,
    _histogram,
    _mass_edges,
    _threshold,
    jensen_shannon,
    jsd_floor,
)
from ..metrics._working_point import _check_binary
from ._working_point import signal_score

__all__ = ["SculptingDisplay"]


class SculptingDisplay:
    """The background mass distribution after cuts on a tagger, normalised.

    One step histogram per signal efficiency: the background events with
    ``score >= threshold``, the cut that keeps that fraction of the signal,
    each normalised to unit area so that only the shape is compared. A
    tagger that does not sculpt draws the same shape at every cut; one that
    learned the mass bends the background towards the signal peak. The
    legend gives the Jensen-Shannon divergence (base 2) between the
    background that passes and that fails each cut, as
    :func:`~physml_sklearn.metrics.mass_sculpting` computes it, with the
    JSD that the sample's statistics alone give (``jsd_floor``): a JSD near
    it resolves no sculpting. A signal efficiency of 1 draws the background
    before any cut.

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_predictions`. All parameters are stored as attributes.

    Parameters
    ----------
    edges : ndarray of shape (n_bins + 1,)
        Mass bin edges (GeV).
    densities : list of ndarray of shape (n_bins,)
        Normalised background mass histogram after each cut (unit area).
    signal_efficiencies : list of float
        The signal efficiency of each cut.
    jsd : list of float or None
        The JSD of each cut; None where nothing fails the cut, or where
        fewer background events (effective numbers) pass or fail it than
        there are occupied bins (too few to estimate a JSD).
    jsd_floor : list of float or None, default=None
        The JSD of each cut that the statistics alone give (see
        :func:`~physml_sklearn.metrics.mass_sculpting`); None where
        ``jsd`` is None. None for the whole list leaves it out of the legend.
    estimator_name : str, default=None
        Name of the model, for the title.

    Attributes
    ----------
    lines_ : list of matplotlib.patches.Polygon
        The histograms, one per cut.
    ax_ : matplotlib.axes.Axes
        The axes.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    physml_sklearn.metrics.mass_sculpting : R and the JSD at one cut.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.plotting import SculptingDisplay
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 5000)
    >>> mass = np.where(y == 1, rng.normal(80, 8, 10_000), rng.uniform(30, 300, 10_000))
    >>> score = y + rng.normal(0, 1, 10_000) - np.abs(mass - 80) / 60
    >>> disp = SculptingDisplay.from_predictions(y, score, mass, bins=20)
    >>> [None if j is None else round(j, 3) for j in disp.jsd]
    [None, 0.335, 0.414, None]

    The cut at 10 % keeps 11 background events, too few for 20 bins. Beside
    each JSD, the JSD of a cut that does not sculpt, with these statistics:

    >>> [None if j is None else round(j, 3) for j in disp.jsd_floor]
    [None, 0.019, 0.108, None]
    >>> disp.ax_.get_xlabel()
    'm [GeV]'
    """

    def __init__(self, *, edges, densities, signal_efficiencies, jsd, jsd_floor=None,
                 estimator_name=None):
        self.edges = edges
        self.densities = densities
        self.signal_efficiencies = signal_efficiencies
        self.jsd = jsd
        self.jsd_floor = jsd_floor
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the histograms.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        name : str, default=None
            Title; None uses ``estimator_name``.
        **kwargs : dict
            Keyword arguments for every :meth:`~matplotlib.axes.Axes.stairs`.

        Returns
        -------
        display : SculptingDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        check_matplotlib_support("SculptingDisplay.plot")
        import matplotlib.pyplot as plt

        if len(self.densities) != len(self.signal_efficiencies) or len(self.jsd) != len(
            self.densities
        ):
            raise ValueError(
                "densities, signal_efficiencies and jsd must have one entry per cut; got "
                f"{len(self.densities)}, {len(self.signal_efficiencies)} and {len(self.jsd)}."
            )
        if ax is None:
            fig, ax = plt.subplots()
        else:
            fig = ax.figure
        floors = self.jsd_floor
        if floors is not None and len(floors) != len(self.jsd):
            raise ValueError(
                f"jsd_floor must have one entry per cut, like jsd; got {len(floors)} and "
                f"{len(self.jsd)}."
            )
        self.lines_ = []
        for k, (density, eff, jsd) in enumerate(
            zip(self.densities, self.signal_efficiencies, self.jsd)
        ):
            floor = None if floors is None else floors[k]
            if eff == 1:
                label = f"$\\varepsilon_S$ = {100 * eff:g} % (no cut)"
            elif jsd is None:
                label = f"$\\varepsilon_S$ = {100 * eff:g} %, too few events for a JSD"
            elif floor is None:
                label = f"$\\varepsilon_S$ = {100 * eff:g} %, JSD = {jsd:.3g}"
            else:
                label = (f"$\\varepsilon_S$ = {100 * eff:g} %, JSD = {jsd:.3g} "
                         f"(stat. {floor:.2g})")
            style = {"label": label, "color": f"C{k}", "linewidth": 1.5, **kwargs}
            self.lines_.append(ax.stairs(density, self.edges, **style))
        ax.set_xlabel("m [GeV]")
        ax.set_ylabel("background, normalised [1/GeV]")
        ax.set_ylim(bottom=0)
        title = name if name is not None else self.estimator_name
        if title:
            ax.set_title(title)
        ax.legend(loc="best", fontsize="small")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, mass, *, signal_efficiencies=(1.0, 0.5, 0.2, 0.1),
                       sample_weight=None, bins=50, pos_label=None, name=None, ax=None,
                       **kwargs):
        """Draw the background mass after cuts on a fitted classifier's output.

        Parameters
        ----------
        estimator : estimator instance
            A fitted classifier with ``predict_proba`` or
            ``decision_function``, or a pipeline ending in one.
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events to evaluate (not the training events).
        y : array-like of shape (n_samples,)
            Their classes.
        mass : array-like of shape (n_samples,)
            Their mass (GeV), or any variable the background must keep.
        signal_efficiencies : sequence of float, default=(1.0, 0.5, 0.2, 0.1)
            The cuts, as fractions of the signal kept, each in (0, 1].
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights.
        bins : int or array-like, default=50
            Number of equal-width bins over the background mass, or the edges.
        pos_label : int, float, bool or str, default=None
            The signal class: ``classes_[1]`` for a binary classifier when None.
        name : str, default=None
            Title; None uses the class name of the estimator.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keyword arguments for the histograms.

        Returns
        -------
        display : SculptingDisplay
            The display, drawn.
        """
        is_signal, score = signal_score(estimator, X, y, pos_label)
        name = type(estimator).__name__ if name is None else name
        return cls.from_predictions(
            is_signal, score, mass, signal_efficiencies=signal_efficiencies,
            sample_weight=sample_weight, bins=bins, name=name, ax=ax, **kwargs,
        )

    @classmethod
    def from_predictions(cls, y_true, y_score, mass, *,
                         signal_efficiencies=(1.0, 0.5, 0.2, 0.1), sample_weight=None,
                         bins=50, pos_label=None, name=None, ax=None, **kwargs):
        """Draw the background mass after cuts on given scores.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True classes: signal (``pos_label``) or background.
        y_score : array-like of shape (n_samples,)
            Tagger output, higher for signal.
        mass : array-like of shape (n_samples,)
            The mass of each event (GeV).
        signal_efficiencies : sequence of float, default=(1.0, 0.5, 0.2, 0.1)
            The cuts, as fractions of the signal kept, each in (0, 1].
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights.
        bins : int or array-like, default=50
            Number of equal-width bins over the background mass, or the edges.
        pos_label : int, float, bool or str, default=None
            The signal label; None takes 1 for labels {0, 1} or {-1, 1}.
        name : str, default=None
            Title.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keyword arguments for the histograms.

        Returns
        -------
        display : SculptingDisplay
            The display, drawn.
        """
        is_signal, score, weight, _ = _check_binary(y_true, y_score, sample_weight, pos_label)
        mass = _check_mass(mass, len(score))
        efficiencies = [_check_efficiency(e, "signal_efficiencies")
                        for e in np.atleast_1d(np.asarray(signal_efficiencies, dtype=object))]
        if not efficiencies:
            raise ValueError("signal_efficiencies is empty; give at least one efficiency.")
        background = ~is_signal
        edges = _mass_edges(bins, mass[background])
        densities, divergences, floors = [], [], []
        for eff in efficiencies:
            # an efficiency of 1 is the background before any cut
            threshold = -np.inf if eff == 1 else _threshold(
                score[is_signal], weight[is_signal], eff)
            passed = background & (score >= threshold)
            failed = background & (score < threshold)
            p = _histogram(mass[passed], weight[passed], edges)
            q = _histogram(mass[failed], weight[failed], edges)
            if p is None:
                raise ValueError(
                    f"no background event passes the cut at signal efficiency {eff:g}; "
                    "use more background events or larger signal_efficiencies."
                )
            densities.append(p / np.diff(edges))
            floor, n_pass, n_fail, n_bins = jsd_floor(
                mass[background], weight[background], passed[background], edges)
            if q is None or min(n_pass, n_fail) < n_bins:
                divergences.append(None)
                floors.append(None)
            else:
                divergences.append(jensen_shannon(p, q))
                floors.append(floor)
        display = cls(edges=edges, densities=densities, signal_efficiencies=efficiencies,
                      jsd=divergences, jsd_floor=floors, estimator_name=name)
        return display.plot(ax=ax, **kwargs)
