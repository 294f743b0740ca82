"""``GANSamplesDisplay``: real and generated rows, one panel per training epoch."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral
from string import ascii_lowercase

import numpy as np
from sklearn.utils import check_array
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from ._text import plain_label

__all__ = ["GANSamplesDisplay"]

#: generated rows drawn for the final panel when the GAN kept no snapshots
FINAL_ROWS = 2000


def _feature_indices(features, n_features, names):
    """Two column indices from ``features`` (indices or column names)."""
    try:
        pair = list(features)
    except TypeError:
        pair = []
    if len(pair) != 2:
        raise ValueError(
            f"features must be a pair of columns to plot, e.g. (0, 1); got {features!r}."
        )
    indices = []
    for f in pair:
        if isinstance(f, str):
            if names is None or f not in list(names):
                raise ValueError(
                    f"features names the column {f!r}, but the GAN was fitted on "
                    + ("an array without column names; pass column indices."
                       if names is None else f"the columns {list(names)}.")
                )
            indices.append(list(names).index(f))
        elif isinstance(f, Integral) and 0 <= f < n_features:
            indices.append(int(f))
        else:
            raise ValueError(
                f"features must hold column indices in [0, {n_features - 1}] or column "
                f"names; got {features!r}."
            )
    return indices


def _panel_axes(ax, n_panels):
    """The axes of the panels, and the figure, for the ``ax`` given to ``plot``."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    if ax is None:
        fig, axes = plt.subplots(
            1, n_panels, figsize=(3.4 * n_panels, 3.5), sharex=True, sharey=True,
            squeeze=False, layout="constrained",
        )
        # room between the panels, so that neighbouring tick labels stay apart
        fig.get_layout_engine().set(w_pad=0.08, wspace=0.06)
        return np.asarray(axes).ravel(), fig
    if isinstance(ax, Axes):
        if n_panels == 1:
            return np.array([ax], dtype=object), ax.figure
        # a single axes is the bounding box of the panels, as in
        # scikit-learn's PartialDependenceDisplay
        fig = ax.figure
        spec = ax.get_subplotspec()
        if spec is None:
            raise ValueError(
                f"The display has {n_panels} panels; pass {n_panels} axes, or an axes "
                "made with subplots so that its area can be divided."
            )
        ax.set_axis_off()
        grid = spec.subgridspec(1, n_panels)
        first = fig.add_subplot(grid[0, 0])
        axes = [first] + [
            fig.add_subplot(grid[0, i], sharex=first, sharey=first) for i in range(1, n_panels)
        ]
        return np.array(axes, dtype=object), fig
    axes = np.asarray(ax, dtype=object).ravel()
    if axes.size != n_panels:
        raise ValueError(
            f"The display has {n_panels} panels (one per snapshot epoch) but "
            f"{axes.size} axes were passed; pass one axes per panel, a single axes "
            "to divide, or None."
        )
    return axes, axes[0].figure


class GANSamplesDisplay:
    """Real and generated rows, one panel per snapshot epoch.

    The picture of a GAN learning: each panel shows the rows the generator
    produced at the end of one epoch (orange) and, drawn on top of them in
    small black points, the real rows, so that a row of panels, labelled
    (a), (b), (c) ..., follows the generated distribution as it forms onto
    the truth, which no generated row hides. With more than two features, two columns are
    shown. All panels share the axes, whose limits frame the real rows with a
    margin. Generated rows beyond those limits are not drawn; like the
    overflow of a histogram, their fraction is written below the panel
    ("2.3 % of generated rows beyond the axes") and kept in ``outside_``.

    It is recommended to create a display with :meth:`from_estimator`. All
    parameters are stored as attributes.

    Parameters
    ----------
    real : ndarray of shape (n_real, 2)
        The real rows, the two plotted columns.
    generated : list of ndarray of shape (n_generated, 2)
        The generated rows of each panel, the same two columns.
    epochs : list of int or None, default=None
        The epoch of each panel, for its title; None (or a None entry) titles
        the panel "generated".
    feature_names : tuple of str, default=None
        Labels of the horizontal and vertical axes; None labels them ``x``
        and ``y``.
    estimator_name : str, default=None
        Name of the model, shown in the figure's title.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes of shape (n_panels,)
        The axes of the panels, in order.
    figure_ : matplotlib.figure.Figure
        The figure.
    real_scatters_ : list of matplotlib.collections.PathCollection
        The real rows of each panel.
    generated_scatters_ : list of matplotlib.collections.PathCollection
        The generated rows of each panel.
    outside_ : ndarray of shape (n_panels,)
        Fraction of the generated rows of each panel beyond the axes limits
        (in either coordinate), hence not drawn.
    outside_texts_ : list of matplotlib.text.Annotation or None
        The note below each panel that states that fraction; None for a
        panel whose rows all lie within the limits (to 0.05 %).

    See Also
    --------
    physml_sklearn.GANSampler : The GAN; ``snapshot_epochs`` chooses the panels.
    physml_sklearn.metrics.classifier_two_sample_auc : The same comparison in
        one number.

    Examples
    --------
    >>> from physml_sklearn import GANSampler
    >>> from physml_sklearn.datasets import make_cubic
    >>> from physml_sklearn.plotting import GANSamplesDisplay
    >>> X = make_cubic(500, random_state=0)
    >>> gan = GANSampler(max_epochs=12, snapshot_epochs=[1, 4, 12],
    ...                  random_state=0).fit(X)
    >>> disp = GANSamplesDisplay.from_estimator(gan, make_cubic(500, random_state=1))
    >>> [ax.get_title() for ax in disp.ax_]
    ['(a) epoch 1', '(b) epoch 4', '(c) epoch 12']
    """

    def __init__(self, *, real, generated, epochs=None, feature_names=None,
                 estimator_name=None):
        self.real = real
        self.generated = generated
        self.epochs = epochs
        self.feature_names = feature_names
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, real_kw=None, generated_kw=None, margin=0.3):
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One axes per panel; a single axes, whose area is divided into
            the panels; or None for a new figure with one row of panels.
        real_kw : dict, default=None
            Keyword arguments for the :meth:`~matplotlib.axes.Axes.scatter` of
            the real rows.
        generated_kw : dict, default=None
            Keyword arguments for the scatter of the generated rows.
        margin : float, default=0.3
            Margin around the real rows, as a fraction of their range, that
            sets the axes limits.

        Returns
        -------
        display : GANSamplesDisplay
            The display, with ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support("GANSamplesDisplay.plot")
        real = check_array(self.real, dtype=np.float64, input_name="real")
        generated = [
            check_array(g, dtype=np.float64, input_name="generated") for g in self.generated
        ]
        if not generated:
            raise ValueError("generated is empty: pass the generated rows of at least one panel.")
        if real.shape[1] != 2 or any(g.shape[1] != 2 for g in generated):
            raise ValueError(
                "real and every entry of generated must have two columns (the two "
                "plotted features); use from_estimator(..., features=(i, j)) to pick them."
            )
        epochs = list(self.epochs) if self.epochs is not None else [None] * len(generated)
        if len(epochs) != len(generated):
            raise ValueError(
                f"epochs has {len(epochs)} entries but generated has {len(generated)} "
                "panels; pass one epoch per panel."
            )
        axes, fig = _panel_axes(ax, len(generated))

        low, high = real.min(axis=0), real.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        low, high = low - margin * span, high + margin * span
        # the truth thin and on top, the generated rows beneath: where they
        # gather on the truth, it still shows through
        real_style = {"s": 0.5, "color": "k", "alpha": 0.8, "label": "real",
                      "rasterized": True, "zorder": 3, "linewidths": 0, **(real_kw or {})}
        generated_style = {"s": 4, "color": "C1", "alpha": 0.6, "label": "generated",
                           "rasterized": True, "zorder": 2, "linewidths": 0,
                           **(generated_kw or {})}
        from matplotlib.ticker import MaxNLocator

        xlabel, ylabel = (plain_label(name) for name in self.feature_names or ("x", "y"))

        self.real_scatters_, self.generated_scatters_ = [], []
        self.outside_texts_ = []
        outside = []
        for i, (panel, rows, epoch) in enumerate(zip(axes, generated, epochs)):
            self.real_scatters_.append(panel.scatter(real[:, 0], real[:, 1], **real_style))
            self.generated_scatters_.append(
                panel.scatter(rows[:, 0], rows[:, 1], **generated_style)
            )
            inside = np.all((rows >= low) & (rows <= high), axis=1)
            outside.append(1.0 - inside.mean())
            letter = f"({ascii_lowercase[i]}) " if i < len(ascii_lowercase) else ""
            panel.set_title(letter + ("generated" if epoch is None else f"epoch {epoch}"))
            panel.set_xlim(low[0], high[0])
            panel.set_ylim(low[1], high[1])
            panel.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
            panel.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
            panel.set_xlabel(xlabel)
            note = None
            if outside[-1] >= 0.0005:  # shown to one decimal of a percent
                # below the axis label, off the data, like a histogram's overflow
                note = panel.annotate(
                    f"{100 * outside[-1]:.1f} % of generated rows beyond the axes",
                    xy=(0.5, 0.0), xycoords=panel.xaxis.label, xytext=(0, -2),
                    textcoords="offset points", ha="center", va="top", fontsize=7,
                    color="0.3",
                )
            self.outside_texts_.append(note)
            if i == 0:
                panel.set_ylabel(ylabel)
                legend = panel.legend(loc="upper left", fontsize=8)
                for handle in legend.legend_handles:  # markers a reader can see
                    handle.set_sizes([16])
        if self.estimator_name:
            fig.suptitle(self.estimator_name)
        self.outside_ = np.asarray(outside)
        self.ax_ = axes
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X_real, *, epochs=None, features=(0, 1), ax=None,
                       real_kw=None, generated_kw=None):
        """Plot the snapshots of a fitted GAN beside real rows.

        Parameters
        ----------
        estimator : GANSampler
            A fitted GAN. With ``snapshot_epochs``, one panel per snapshot in
            ``snapshots_``; without, one panel of rows sampled from the final
            model.
        X_real : array-like or DataFrame of shape (n_samples, n_features)
            Real rows, ideally a fresh draw not used in training.
        epochs : list of int, default=None
            The snapshot epochs to show; None shows them all.
        features : pair of int or str, default=(0, 1)
            The two columns to plot, as indices or as column names of the
            training DataFrame.
        ax : matplotlib Axes or array-like of Axes, default=None
            See :meth:`plot`.
        real_kw : dict, default=None
            Keyword arguments for the scatter of the real rows.
        generated_kw : dict, default=None
            Keyword arguments for the scatter of the generated rows.

        Returns
        -------
        display : GANSamplesDisplay
            The display, drawn.
        """
        check_is_fitted(estimator, "n_features_in_")
        if not hasattr(estimator, "snapshots_") or not hasattr(estimator, "sample"):
            raise ValueError(
                "GANSamplesDisplay needs a fitted GANSampler (with snapshots_ and "
                f"sample); got {type(estimator).__name__}."
            )
        n_features = estimator.n_features_in_
        real = check_array(X_real, dtype=np.float64, input_name="X_real")
        if real.shape[1] != n_features:
            raise ValueError(
                f"X_real has {real.shape[1]} features but the GAN was fitted on "
                f"{n_features}; pass rows with the training columns."
            )
        names = getattr(estimator, "feature_names_in_", None)
        columns = _feature_indices(features, n_features, names)

        snapshots = estimator.snapshots_
        if epochs is None:
            epochs = sorted(snapshots)
        else:
            missing = [e for e in epochs if e not in snapshots]
            if missing:
                raise ValueError(
                    f"No snapshot for epochs {missing}; the GAN has snapshots at "
                    f"{sorted(snapshots)}. Fit it with snapshot_epochs={list(epochs)}."
                )
        if epochs:
            generated = [np.asarray(snapshots[e])[:, columns] for e in epochs]
        else:
            rows = np.asarray(estimator.sample(FINAL_ROWS, random_state=0))
            generated, epochs = [rows[:, columns]], [getattr(estimator, "n_iter_", None)]
        if names is not None:
            labels = tuple(str(names[c]) for c in columns)
        elif n_features == 2:
            labels = ("x", "y")[columns[0]], ("x", "y")[columns[1]]
        else:
            labels = tuple(f"column {c}" for c in columns)
        display = cls(
            real=real[:, columns],
            generated=generated,
            epochs=list(epochs),
            feature_names=labels,
            estimator_name=type(estimator).__name__,
        )
        return display.plot(ax=ax, real_kw=real_kw, generated_kw=generated_kw)
