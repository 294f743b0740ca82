"""``SignificanceDisplay``: expected significance against the cut on the score."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from ..metrics import significance_scan
from ._legend import format_cut, legend_below
from ._working_point import signal_score

__all__ = ["SignificanceDisplay"]

_METHOD_LABELS = {"asimov": "Asimov significance $Z_A$", "s_sqrt_b": r"$s / \sqrt{b}$"}


class SignificanceDisplay:
    """Expected significance of a cut on the classifier output, the best cut marked.

    The significance of keeping the events with ``score >= threshold`` (see
    :func:`~physml_sklearn.metrics.significance_scan`) on the left axis, the
    signal and background yields above the cut on a second, logarithmic,
    axis on the right, and the best working point (the highest
    significance) marked with a star and a vertical line. With physics
    weights the yields are the expected numbers of events, and the scan
    shows how far the cut can be tightened before the signal runs out.
    With ``min_background_events`` the cuts that keep fewer simulated
    background events are shaded grey and left out of the curve and of the
    choice of the best cut. The legend sits under the axes, where it covers
    no curve.

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_predictions`. All parameters are stored as attributes.

    Parameters
    ----------
    threshold : ndarray of shape (n_thresholds,)
        Increasing cut values on the score.
    significance : ndarray of shape (n_thresholds,)
        Expected significance of each cut.
    signal : ndarray of shape (n_thresholds,)
        Signal yield above each cut.
    background : ndarray of shape (n_thresholds,)
        Background yield above each cut.
    method : {"asimov", "s_sqrt_b"}, default="asimov"
        The formula used, for the axis label.
    background_uncertainty : float or "mc", default=0.0
        The background uncertainty used (relative, or ``"mc"`` for the Monte
        Carlo statistical one), for the legend.
    estimator_name : str, default=None
        Name of the model, for the legend.
    n_background : ndarray of shape (n_thresholds,), default=None
        Raw number of background events above each cut (the
        ``n_background`` column of the scan); needed to shade the cuts that
        ``min_background_events`` excludes.
    min_background_events : int, default=0
        Fewest raw background events a cut may keep; cuts with fewer are
        shaded and never the best one.

    Attributes
    ----------
    best_threshold_ : float
        The cut of highest significance.
    best_significance_ : float
        Its significance.
    line_ : matplotlib.lines.Line2D
        The significance curve.
    best_marker_ : matplotlib.lines.Line2D
        The star at the best cut.
    best_line_ : matplotlib.lines.Line2D
        The vertical line at the best cut.
    excluded_span_ : matplotlib.patches.Rectangle or None
        The grey band over the cuts with fewer than ``min_background_events``
        background events (None when there is none).
    signal_line_, background_line_ : matplotlib.lines.Line2D
        The yields, on ``ax_yields_``.
    ax_ : matplotlib.axes.Axes
        The axes of the significance.
    ax_yields_ : matplotlib.axes.Axes
        The twin axes of the yields.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    physml_sklearn.metrics.significance_scan : The scan in numbers.
    RejectionCurveDisplay : Background rejection against signal efficiency.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.plotting import SignificanceDisplay
    >>> y = np.array([1, 1, 1, 0, 0, 0, 0])
    >>> score = np.array([0.9, 0.8, 0.4, 0.7, 0.3, 0.2, 0.1])
    >>> weight = np.array([2.0, 2.0, 2.0, 1.5, 1.5, 1.5, 1.5])

    Seven events are far too few for the default floor of 10 simulated
    background events; the bare curve (every cut) is drawn with
    ``min_background_events=0``:

    >>> disp = SignificanceDisplay.from_predictions(y, score, sample_weight=weight,
    ...                                             min_background_events=0)
    >>> float(disp.best_threshold_), round(float(disp.best_significance_), 3)
    (0.4, 3.484)
    >>> disp.best_marker_.get_xdata().tolist()
    [0.4]

    Cuts resting on fewer than 3 simulated background events left out:

    >>> disp = SignificanceDisplay.from_predictions(
    ...     y, score, sample_weight=weight, min_background_events=3)
    >>> float(disp.best_threshold_)
    0.2
    """

    def __init__(self, *, threshold, significance, signal, background, method="asimov",
                 background_uncertainty=0.0, estimator_name=None, n_background=None,
                 min_background_events=0):
        self.threshold = threshold
        self.significance = significance
        self.signal = signal
        self.background = background
        self.method = method
        self.background_uncertainty = background_uncertainty
        self.estimator_name = estimator_name
        self.n_background = n_background
        self.min_background_events = min_background_events

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the scan.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        name : str, default=None
            Legend label; None uses ``estimator_name``.
        **kwargs : dict
            Keyword arguments for the :meth:`~matplotlib.axes.Axes.plot` of the
            significance curve.

        Returns
        -------
        display : SignificanceDisplay
            The display, with ``ax_``, ``ax_yields_`` and ``figure_`` set.
        """
        check_matplotlib_support("SignificanceDisplay.plot")
        import matplotlib.pyplot as plt

        threshold = np.asarray(self.threshold, dtype=np.float64)
        z = np.asarray(self.significance, dtype=np.float64)
        s = np.asarray(self.signal, dtype=np.float64)
        b = np.asarray(self.background, dtype=np.float64)
        if not (threshold.shape == z.shape == s.shape == b.shape) or threshold.ndim != 1:
            raise ValueError(
                "threshold, significance, signal and background must be 1-D of one "
                f"length; got shapes {threshold.shape}, {z.shape}, {s.shape}, {b.shape}."
            )
        if threshold.size == 0:
            raise ValueError("the scan is empty: there is no threshold to draw.")
        allowed = np.ones(threshold.shape, dtype=bool)
        if self.min_background_events:
            if self.n_background is None:
                raise ValueError(
                    f"min_background_events={self.min_background_events} needs "
                    "n_background, the raw background count above each cut (the "
                    "n_background column of significance_scan)."
                )
            n_background = np.asarray(self.n_background)
            if n_background.shape != threshold.shape:
                raise ValueError(
                    f"n_background has shape {n_background.shape}; it needs one count "
                    f"per threshold, shape {threshold.shape}."
                )
            allowed = n_background >= self.min_background_events
            if not allowed.any():
                raise ValueError(
                    f"no cut keeps min_background_events={self.min_background_events} "
                    "background events; lower min_background_events."
                )
        if ax is None:
            fig, ax = plt.subplots(layout="constrained")  # room for the legend below
        else:
            fig = ax.figure
        best = int(np.argmax(np.where(allowed, z, -np.inf)))
        self.best_threshold_ = threshold[best]
        self.best_significance_ = z[best]

        label = name if name is not None else self.estimator_name
        if isinstance(self.background_uncertainty, str):
            extra = "MC stat. bkg. uncertainty"
        elif self.background_uncertainty:
            extra = f"{100 * self.background_uncertainty:g} % bkg. uncertainty"
        else:
            extra = None
        if extra:
            label = f"{label}, {extra}" if label else extra
        (self.line_,) = ax.plot(threshold, np.where(allowed, z, np.nan),
                                **{"label": label, "color": "C0", **kwargs})
        color = self.line_.get_color()
        (self.best_marker_,) = ax.plot(
            [threshold[best]], [z[best]], marker="*", markersize=14, linestyle="none",
            color=color,
            label=f"best cut: score $\\geq$ {format_cut(threshold[best])}, Z = {z[best]:.2f}",
        )
        self.best_line_ = ax.axvline(threshold[best], color=color, linestyle="--",
                                     linewidth=1)
        self.excluded_span_ = None
        if not allowed.all():
            # the scan runs in increasing threshold: the excluded cuts are the tightest
            first = int(np.flatnonzero(~allowed)[0])
            self.excluded_span_ = ax.axvspan(
                threshold[first], threshold[-1], color="0.85", zorder=0,
                label=f"< {self.min_background_events} simulated background events",
            )
        ax.set_xlabel("cut on the classifier output (keep score $\\geq$ cut)")
        ax.set_ylabel(_METHOD_LABELS.get(self.method, "significance"))
        ax.set_ylim(0, 1.1 * max(float(np.nanmax(np.where(allowed, z, np.nan))), 1e-12))

        ax2 = ax.twinx()
        (self.signal_line_,) = ax2.plot(threshold, s, color="C2", linestyle=":",
                                        label="signal $s$")
        (self.background_line_,) = ax2.plot(threshold, b, color="C3", linestyle=":",
                                            label="background $b$")
        if np.all(s > 0) and np.all(b[b != 0] > 0):
            ax2.set_yscale("log")
        ax2.set_ylabel("expected events above the cut")
        handles = ax.get_legend_handles_labels()
        handles2 = ax2.get_legend_handles_labels()
        legend_below(ax, handles[0] + handles2[0], handles[1] + handles2[1])
        self.ax_ = ax
        self.ax_yields_ = ax2
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, sample_weight=None, method="asimov",
                       background_uncertainty=0.0, min_background_events=10, pos_label=None,
                       name=None, ax=None, **kwargs):
        """Scan the cuts on the output of a fitted classifier.

        Parameters
        ----------
        estimator : estimator instance
            A fitted classifier with ``predict_proba`` or
            ``decision_function``, or a pipeline ending in one.
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events to evaluate (not the training events).
        y : array-like of shape (n_samples,)
            Their classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights, e.g. cross section x luminosity / generated events,
            so that the yields are expected events; negative weights allowed.
        method : {"asimov", "s_sqrt_b"}, default="asimov"
            The significance formula.
        background_uncertainty : float or "mc", default=0.0
            Relative uncertainty on the background yield, or ``"mc"`` for the
            Monte Carlo statistical uncertainty ``sqrt(sum of w^2)``.
        min_background_events : int, default=10
            Fewest raw background events a cut may keep to be the best one;
            the cuts with fewer are shaded. 0 draws the bare curve.
        pos_label : int, float, bool or str, default=None
            The signal class: ``classes_[1]`` for a binary classifier when
            None; required for a multiclassifier.
        name : str, default=None
            Legend label; None uses the class name of the estimator.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keyword arguments for the significance curve.

        Returns
        -------
        display : SignificanceDisplay
            The display, drawn.
        """
        is_signal, score = signal_score(estimator, X, y, pos_label)
        name = type(estimator).__name__ if name is None else name
        return cls.from_predictions(
            is_signal, score, sample_weight=sample_weight, method=method,
            background_uncertainty=background_uncertainty,
            min_background_events=min_background_events, name=name, ax=ax, **kwargs,
        )

    @classmethod
    def from_predictions(cls, y_true, y_score, *, sample_weight=None, method="asimov",
                         background_uncertainty=0.0, min_background_events=10,
                         pos_label=None, name=None, ax=None, **kwargs):
        """Scan the cuts on given scores.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True classes: signal (``pos_label``) or background.
        y_score : array-like of shape (n_samples,)
            Classifier output, higher for signal.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights; negative weights allowed.
        method : {"asimov", "s_sqrt_b"}, default="asimov"
            The significance formula.
        background_uncertainty : float or "mc", default=0.0
            Relative uncertainty on the background yield, or ``"mc"`` for the
            Monte Carlo statistical uncertainty ``sqrt(sum of w^2)``.
        min_background_events : int, default=10
            Fewest raw background events a cut may keep to be the best one;
            the cuts with fewer are shaded. 0 draws the bare curve.
        pos_label : int, float, bool or str, default=None
            The signal label; None takes 1 for labels {0, 1} or {-1, 1}.
        name : str, default=None
            Legend label.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keyword arguments for the significance curve.

        Returns
        -------
        display : SignificanceDisplay
            The display, drawn.
        """
        scan = significance_scan(
            y_true, y_score, sample_weight=sample_weight, pos_label=pos_label,
            method=method, background_uncertainty=background_uncertainty,
            min_background_events=min_background_events,
        )
        display = cls(
            threshold=scan.threshold.to_numpy(),
            significance=scan.significance.to_numpy(),
            signal=scan.signal.to_numpy(),
            background=scan.background.to_numpy(),
            method=method,
            background_uncertainty=background_uncertainty,
            estimator_name=name,
            n_background=scan.n_background.to_numpy(),
            min_background_events=min_background_events,
        )
        return display.plot(ax=ax, **kwargs)
