"""``ResolutionDisplay``: response and resolution against the true value."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from ..metrics import response_resolution
from ._text import plain_label

__all__ = ["ResolutionDisplay"]


class ResolutionDisplay:
    """Response and resolution of a regression against the true value.

    TMVA's regression deviation plots, binned: the upper panel shows the
    response (median of ``y_pred / y_true``) in each bin of the true value,
    with a line at 1; the lower panel the relative resolution (half the
    16-84 % width of ``y_pred / y_true``) with its bootstrap error. Each
    point sits at the middle of its bin, and horizontal bars span the bin.
    Draw several models on the same two axes to compare them.

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_predictions`. All parameters are stored as attributes.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`~physml_sklearn.metrics.response_resolution`.
    estimator_name : str, default=None
        Name of the model, for the legend.
    target_name : str, default="E_true [GeV]"
        Label of the x axis: the true value and its unit.

    Attributes
    ----------
    response_lines_ : matplotlib.container.ErrorbarContainer
        The response points.
    resolution_lines_ : matplotlib.container.ErrorbarContainer
        The resolution points with their errors.
    ax_ : ndarray of matplotlib Axes of shape (2,)
        The response axes and the resolution axes.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    physml_sklearn.metrics.response_resolution : The figures in numbers.
    physml_sklearn.DropoutMLPRegressor : A regressor to calibrate energies.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.plotting import ResolutionDisplay
    >>> rng = np.random.default_rng(0)
    >>> e_true = rng.uniform(2, 100, size=5000)
    >>> e_pred = e_true * (1 + 0.1 * rng.normal(size=e_true.size))
    >>> disp = ResolutionDisplay.from_predictions(e_true, e_pred, bins=5, name="raw")
    >>> [ax.get_ylabel() for ax in disp.ax_]
    ['response (median E_pred / E_true)', 'resolution (half 16-84 % width)']
    >>> disp.ax_[1].get_xlabel()
    'E_true [GeV]'
    >>> better = e_true * (1 + 0.05 * rng.normal(size=e_true.size))
    >>> disp2 = ResolutionDisplay.from_predictions(e_true, better, bins=5,
    ...                                            name="calibrated", ax=disp.ax_)
    >>> len(disp2.ax_[1].containers)
    2
    """

    def __init__(self, *, table, estimator_name=None, target_name="E_true [GeV]"):
        self.table = table
        self.estimator_name = estimator_name
        self.target_name = target_name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the response and resolution panels.

        Parameters
        ----------
        ax : array-like of two matplotlib Axes, default=None
            The response and the resolution axes (another model's points may
            already be there, e.g. ``other_display.ax_``); None makes a new
            figure with two panels sharing the x axis.
        name : str, default=None
            Legend label; None uses ``estimator_name``.
        **kwargs : dict
            Keyword arguments for :meth:`~matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : ResolutionDisplay
            The display, with ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support("ResolutionDisplay.plot")
        import matplotlib.pyplot as plt

        missing = {"low", "high", "response", "resolution", "resolution_error"} - set(
            getattr(self.table, "columns", ())
        )
        if missing:
            raise ValueError(
                f"table lacks the column(s) {sorted(missing)}; pass the DataFrame of "
                "physml_sklearn.metrics.response_resolution."
            )
        if ax is None:
            fig, ax = plt.subplots(2, 1, sharex=True, figsize=(6.4, 6.4), layout="constrained")
        else:
            ax = np.asarray(ax, dtype=object).ravel()
            if ax.size != 2:
                raise ValueError(
                    f"ax must be two Axes (response, resolution), e.g. the ax_ of "
                    f"another ResolutionDisplay; got {ax.size}."
                )
            fig = ax[0].figure
        ax = np.asarray(ax, dtype=object).ravel()
        low = self.table["low"].to_numpy(dtype=float)
        high = self.table["high"].to_numpy(dtype=float)
        centre = 0.5 * (low + high)
        xerr = [centre - low, high - centre]
        label = name if name is not None else self.estimator_name
        style = {"fmt": "o", "markersize": 4, "capsize": 0, **kwargs}
        self.response_lines_ = ax[0].errorbar(
            centre, self.table["response"], xerr=xerr, label=label, **style
        )
        style.setdefault("color", self.response_lines_[0].get_color())
        style["color"] = self.response_lines_[0].get_color()
        self.resolution_lines_ = ax[1].errorbar(
            centre, self.table["resolution"], xerr=xerr,
            yerr=self.table["resolution_error"], label=label, **style
        )
        if not any(getattr(line, "_physml_unit", False) for line in ax[0].get_lines()):
            unit = ax[0].axhline(1.0, color="grey", linestyle="--", linewidth=1)
            unit._physml_unit = True
        ax[0].set_ylabel("response (median E_pred / E_true)")
        ax[1].set_ylabel("resolution (half 16-84 % width)")
        ax[1].set_xlabel(plain_label(self.target_name))
        for a in ax:
            a.grid(True, alpha=0.3)
        if any(c.get_label() and not str(c.get_label()).startswith("_")
               for c in ax[0].containers):
            ax[0].legend(loc="best", fontsize="small")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, sample_weight=None, bins=10, name=None,
                       target_name="E_true [GeV]", ax=None, **kwargs):
        """Draw the response and resolution of a fitted regressor.

        Parameters
        ----------
        estimator : estimator instance
            A fitted regressor with one target, or a pipeline ending in one.
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events to evaluate (not the training events).
        y : array-like of shape (n_samples,)
            Their true values, positive.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights; negative weights allowed.
        bins : int or array-like of float, default=10
            Bins of the true value, as in
            :func:`~physml_sklearn.metrics.response_resolution`.
        name : str, default=None
            Legend label; None uses the class name of the estimator.
        target_name : str, default="E_true [GeV]"
            Label of the x axis.
        ax : array-like of two matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keyword arguments for :meth:`~matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : ResolutionDisplay
            The display, drawn.
        """
        y_pred = estimator.predict(X)
        name = type(estimator).__name__ if name is None else name
        return cls.from_predictions(y, y_pred, sample_weight=sample_weight, bins=bins,
                                    name=name, target_name=target_name, ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, y_true, y_pred, *, sample_weight=None, bins=10, name=None,
                         target_name="E_true [GeV]", ax=None, **kwargs):
        """Draw the response and resolution of given predictions.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True values, positive.
        y_pred : array-like of shape (n_samples,)
            Predictions (or a raw measurement).
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights; negative weights allowed.
        bins : int or array-like of float, default=10
            Bins of the true value, as in
            :func:`~physml_sklearn.metrics.response_resolution`.
        name : str, default=None
            Legend label.
        target_name : str, default="E_true [GeV]"
            Label of the x axis.
        ax : array-like of two matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Keyword arguments for :meth:`~matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : ResolutionDisplay
            The display, drawn.
        """
        table = response_resolution(y_true, y_pred, bins=bins, sample_weight=sample_weight)
        display = cls(table=table, estimator_name=name, target_name=target_name)
        return display.plot(ax=ax, **kwargs)
