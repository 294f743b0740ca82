"""``RejectionCurveDisplay``: background rejection against signal efficiency."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from ..metrics import background_rejection_curve
from ._working_point import signal_score

__all__ = ["RejectionCurveDisplay"]


class RejectionCurveDisplay:
    """Background rejection (log scale) against signal efficiency.

    The ROC curve the way flavour-tagging and trigger papers draw it: for
    each cut on the classifier output, the fraction of signal kept on the x
    axis and the background rejection ``1 / background efficiency`` on a log
    y axis, so that the tight working points (rejections of 10 to 1000),
    squeezed against the axis of a linear ROC curve, can be read off. Draw
    several models on one ``ax`` to compare them: at a fixed signal
    efficiency, the higher curve rejects more background.

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_predictions`. All parameters are stored as attributes.

    Parameters
    ----------
    signal_efficiency : ndarray of shape (n_thresholds,)
        Signal efficiency at each threshold.
    background_rejection : ndarray of shape (n_thresholds,)
        Background rejection at the same thresholds.
    estimator_name : str, default=None
        Name of the model, for the legend.

    Attributes
    ----------
    line_ : matplotlib.lines.Line2D
        The curve.
    ax_ : matplotlib.axes.Axes
        The axes.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    physml_sklearn.metrics.background_rejection_curve : The curve in numbers.
    SignificanceDisplay : The expected significance of each cut.
    sklearn.metrics.RocCurveDisplay : The linear ROC curve.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.plotting import RejectionCurveDisplay
    >>> y = np.array([0, 0, 0, 0, 1, 1])
    >>> score = np.array([0.1, 0.2, 0.3, 0.8, 0.7, 0.9])
    >>> disp = RejectionCurveDisplay.from_predictions(y, score, name="toy")
    >>> disp.line_.get_xdata().tolist(), disp.line_.get_ydata().tolist()
    ([0.5, 1.0, 1.0, 1.0, 1.0], [4.0, 4.0, 2.0, 1.3333333333333333, 1.0])
    >>> disp.ax_.get_yscale()
    'log'
    """

    def __init__(self, *, signal_efficiency, background_rejection, estimator_name=None):
        self.signal_efficiency = signal_efficiency
        self.background_rejection = background_rejection
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on (another model's curve may already be there);
            None makes a new figure.
        name : str, default=None
            Legend label; None uses ``estimator_name``.
        **kwargs : dict
            Keyword arguments for :meth:`~matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RejectionCurveDisplay
            The display, with ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support("RejectionCurveDisplay.plot")
        import matplotlib.pyplot as plt

        eff = np.asarray(self.signal_efficiency, dtype=np.float64)
        rejection = np.asarray(self.background_rejection, dtype=np.float64)
        if eff.shape != rejection.shape or eff.ndim != 1:
            raise ValueError(
                "signal_efficiency and background_rejection must be 1-D of one "
                f"length; got shapes {eff.shape} and {rejection.shape}."
            )
        if ax is None:
            fig, ax = plt.subplots()
        else:
            fig = ax.figure
        label = name if name is not None else self.estimator_name
        (self.line_,) = ax.plot(eff, rejection, **{"label": label, **kwargs})
        ax.set_yscale("log")
        ax.set_xlim(0, 1)
        ax.set_xlabel("signal efficiency")
        ax.set_ylabel("background rejection (1 / background efficiency)")
        ax.grid(True, which="both", alpha=0.3)
        if any(line.get_label() and not line.get_label().startswith("_")
               for line in ax.get_lines()):
            # the curve falls from the top left: the top right is free of it
            ax.legend(loc="upper right")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, sample_weight=None, name=None, ax=None,
                       pos_label=None, **kwargs):
        """Draw the rejection curve of a fitted classifier.

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
            Event weights; negative weights allowed.
        name : str, default=None
            Legend label; None uses the class name of the estimator.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        pos_label : int, float, bool or str, default=None
            The signal class: ``classes_[1]`` for a binary classifier when
            None; required for a multiclassifier, whose output for that class
            is then the score and every other class the background.
        **kwargs : dict
            Keyword arguments for :meth:`~matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RejectionCurveDisplay
            The display, drawn.
        """
        is_signal, score = signal_score(estimator, X, y, pos_label)
        name = type(estimator).__name__ if name is None else name
        return cls.from_predictions(is_signal, score, sample_weight=sample_weight,
                                    name=name, ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, y_true, y_score, *, sample_weight=None, pos_label=None,
                         name=None, ax=None, **kwargs):
        """Draw the rejection curve of given scores.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True classes: signal (``pos_label``) or background.
        y_score : array-like of shape (n_samples,)
            Classifier output, higher for signal.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights; negative weights allowed.
        pos_label : int, float, bool or str, default=None
            The signal label; None takes 1 for labels {0, 1} or {-1, 1}.
        name : str, default=None
            Legend label.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keyword arguments for :meth:`~matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : RejectionCurveDisplay
            The display, drawn.
        """
        eff, rejection, _ = background_rejection_curve(
            y_true, y_score, sample_weight=sample_weight, pos_label=pos_label
        )
        display = cls(signal_efficiency=eff, background_rejection=rejection,
                      estimator_name=name)
        return display.plot(ax=ax, **kwargs)
