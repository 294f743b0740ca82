"""``ReweightingDisplay``: each feature of target and original, before and after."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.utils import check_array
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from .._weights import check_weight_vector, scaled_by_largest
from ._text import plain_label

__all__ = ["ReweightingDisplay"]


def _weights(weight, n_rows, name):
    if weight is None:
        return np.ones(n_rows)
    weight = check_weight_vector(weight, name)
    if weight.shape[0] != n_rows:
        raise ValueError(
            f"{name} has {weight.shape[0]} entries but the sample has {n_rows} rows; "
            "pass one weight per row."
        )
    return weight


def _column_indices(columns, names, n_features):
    """Indices of ``columns`` (names or indices) among ``n_features`` columns."""
    if columns is None:
        return list(range(n_features))
    if isinstance(columns, (str, Integral)):
        columns = [columns]
    indices = []
    for c in columns:
        if isinstance(c, str):
            if names is None or c not in names:
                raise ValueError(
                    f"columns names {c!r}, which is not a column of the samples"
                    + (f"; the columns are {names}." if names is not None else
                       " (they have no column names; pass column indices).")
                )
            indices.append(names.index(c))
        elif isinstance(c, Integral) and not isinstance(c, bool) and 0 <= c < n_features:
            indices.append(int(c))
        else:
            raise ValueError(
                f"columns must hold column names or indices in [0, {n_features - 1}]; "
                f"got {c!r}."
            )
    if not indices:
        raise ValueError("columns is empty; name at least one column to plot.")
    return indices


def _histogram(x, weight, edges):
    """Weighted histogram normalised to unit area (under- and overflow excluded).

    Returns the density and its statistical uncertainty per bin, the square
    root of the sum of the squared weights in the bin, normalised the same way.
    """
    weight, _ = scaled_by_largest(weight)  # normalised below: the unit drops out
    counts, _ = np.histogram(x, bins=edges, weights=weight)
    squares, _ = np.histogram(x, bins=edges, weights=weight**2)
    total = counts.sum()
    if total <= 0:
        return np.zeros_like(counts), np.zeros_like(counts)
    scale = total * np.diff(edges)
    return counts / scale, np.sqrt(squares) / scale


def _ratio(numerator, denominator):
    """``numerator / denominator`` of two (density, uncertainty) pairs.

    Returns the ratio (NaN where the denominator is not positive) and its
    uncertainty, the two relative uncertainties added in quadrature (the
    histograms are of independent samples); NaN where either is not positive.
    """
    (n, n_error), (d, d_error) = numerator, denominator
    positive = (n > 0) & (d > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d > 0, n / d, np.nan)
        error = ratio * np.hypot(n_error / n, d_error / d)
    return ratio, np.where(positive, error, np.nan)


class ReweightingDisplay:
    """Each feature of the target and the original, before and after reweighting.

    One column of panels per feature: on top, the normalised distributions
    of the target (black points), of the original before reweighting (grey)
    and after (coloured); below, a ratio panel, target over original before
    and after. A good reweighting brings the coloured ratio to 1 in every
    feature, within its error bars: the statistical uncertainty of each bin
    (the square root of the sum of the squared weights, so that large
    weights count as few events), that of the target and that of the
    original added in quadrature in the ratios. The histograms are
    normalised to unit area, so the panels compare shapes; the bins span the
    0.5 to 99.5 % quantiles of both samples.

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_predictions`. All parameters are stored as attributes.

    Parameters
    ----------
    original : ndarray of shape (n_original, n_columns)
        The plotted columns of the original rows.
    target : ndarray of shape (n_target, n_columns)
        The plotted columns of the target rows.
    weights : ndarray of shape (n_original,)
        The new weights of the original rows.
    original_weight : ndarray of shape (n_original,) or None, default=None
        Their weights before reweighting; None means all 1.
    target_weight : ndarray of shape (n_target,) or None, default=None
        The weights of the target rows; None means all 1.
    feature_names : list of str or None, default=None
        Names of the columns, for the axes; None names them ``x0``, ``x1``...
    bins : int, default=30
        Number of bins of each histogram.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes of shape (2, n_columns)
        The distributions (first row) and the ratio panels (second row).
    figure_ : matplotlib.figure.Figure
        The figure.
    bin_edges_ : list of ndarray
        The bin edges of each column.
    ratio_before_ : list of ndarray
        Target over original, per bin, before reweighting (NaN where the
        original is empty).
    ratio_after_ : list of ndarray
        The same after reweighting.
    ratio_before_error_ : list of ndarray
        The statistical uncertainty of ``ratio_before_`` per bin (NaN where
        the ratio is NaN or the target bin is empty).
    ratio_after_error_ : list of ndarray
        The same for ``ratio_after_``.

    See Also
    --------
    physml_sklearn.ClassifierReweighter : Learns the weights.
    physml_sklearn.metrics.classifier_two_sample_auc : The comparison in one
        number, over all the features at once.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.datasets import make_reweighting
    >>> from physml_sklearn.plotting import ReweightingDisplay
    >>> data = make_reweighting(5000, n_features=2, random_state=0)
    >>> weights = data.true_ratio(data.original)
    >>> disp = ReweightingDisplay.from_predictions(data.original, data.target, weights)
    >>> disp.ax_.shape
    (2, 2)
    >>> before = np.nanmean(np.abs(disp.ratio_before_[0] - 1))
    >>> after = np.nanmean(np.abs(disp.ratio_after_[0] - 1))
    >>> bool(after < before)
    True
    """

    def __init__(self, *, original, target, weights, original_weight=None,
                 target_weight=None, feature_names=None, bins=30):
        self.original = original
        self.target = target
        self.weights = weights
        self.original_weight = original_weight
        self.target_weight = target_weight
        self.feature_names = feature_names
        self.bins = bins

    def plot(self, ax=None):
        """Draw the distributions and the ratio panels.

        Parameters
        ----------
        ax : array of matplotlib Axes of shape (2, n_columns) or None, default=None
            Axes to draw on (distributions in the first row, ratios in the
            second); None makes a figure.

        Returns
        -------
        display : ReweightingDisplay
            The display, with ``ax_`` and ``figure_``.
        """
        check_matplotlib_support("ReweightingDisplay.plot")
        import matplotlib.pyplot as plt

        original = np.asarray(self.original, dtype=np.float64)
        target = np.asarray(self.target, dtype=np.float64)
        n_columns = original.shape[1]
        names = self.feature_names or [f"x{i}" for i in range(n_columns)]
        w_before = _weights(self.original_weight, original.shape[0], "original_weight")
        w_after = _weights(self.weights, original.shape[0], "weights")
        w_target = _weights(self.target_weight, target.shape[0], "target_weight")
        if ax is None:
            fig, axes = plt.subplots(
                2, n_columns, figsize=(3.6 * n_columns, 4.6), sharex="col", squeeze=False,
                gridspec_kw={"height_ratios": [3, 1.3]}, layout="constrained",
            )
        else:
            axes = np.asarray(ax, dtype=object).reshape(2, -1)
            if axes.shape[1] != n_columns:
                raise ValueError(
                    f"The display has 2 x {n_columns} panels but {axes.size} axes were "
                    f"passed; pass an array of shape (2, {n_columns}), or None."
                )
            fig = axes[0, 0].figure
        self.bin_edges_, self.ratio_before_, self.ratio_after_ = [], [], []
        self.ratio_before_error_, self.ratio_after_error_ = [], []
        for j in range(n_columns):
            both = np.concatenate([original[:, j], target[:, j]])
            low, high = np.nanquantile(both, [0.005, 0.995])
            if not high > low:
                low, high = low - 0.5, high + 0.5
            edges = np.linspace(low, high, self.bins + 1)
            centres = 0.5 * (edges[1:] + edges[:-1])
            h_target = _histogram(target[:, j], w_target, edges)
            h_before = _histogram(original[:, j], w_before, edges)
            h_after = _histogram(original[:, j], w_after, edges)
            top, bottom = axes[0, j], axes[1, j]
            top.stairs(h_before[0], edges, color="0.55", label="original")
            top.stairs(h_after[0], edges, color="C0", linewidth=1.6, label="reweighted")
            top.errorbar(centres, h_target[0], yerr=h_target[1], fmt="o", color="k",
                         markersize=3, linewidth=1, label="target")
            top.set_ylabel("density" if j == 0 else "")
            before, before_error = _ratio(h_target, h_before)
            after, after_error = _ratio(h_target, h_after)
            bottom.axhline(1.0, color="k", linewidth=0.8)
            bottom.errorbar(centres, before, yerr=before_error, fmt="s", color="0.55",
                            markersize=3, linewidth=1)
            bottom.errorbar(centres, after, yerr=after_error, fmt="o", color="C0",
                            markersize=3, linewidth=1)
            bottom.set_xlabel(plain_label(names[j]))
            bottom.set_ylabel("target / original" if j == 0 else "")
            self.bin_edges_.append(edges)
            self.ratio_before_.append(before)
            self.ratio_before_error_.append(before_error)
            self.ratio_after_.append(after)
            self.ratio_after_error_.append(after_error)
        axes[0, 0].legend(frameon=False, fontsize="small")
        self.ax_ = axes
        self.figure_ = fig
        return self

    @classmethod
    def from_predictions(cls, original, target, weights, *, original_weight=None,
                         target_weight=None, columns=None, bins=30, ax=None):
        """Plot given new weights of the original rows.

        Parameters
        ----------
        original : array-like or DataFrame of shape (n_original, n_features)
            The original rows.
        target : array-like or DataFrame of shape (n_target, n_features)
            The target rows, with the same columns.
        weights : array-like of shape (n_original,)
            The new weights of the original rows.
        original_weight : array-like of shape (n_original,), default=None
            Their weights before reweighting; None means all 1.
        target_weight : array-like of shape (n_target,), default=None
            The weights of the target rows; None means all 1.
        columns : list of str or int, or None, default=None
            The columns to plot (names of DataFrame columns, or indices); None
            plots every column.
        bins : int, default=30
            Number of bins of each histogram.
        ax : array of matplotlib Axes of shape (2, n_columns) or None, default=None
            Axes to draw on; None makes a figure.

        Returns
        -------
        display : ReweightingDisplay
            The display, drawn.
        """
        names = list(map(str, original.columns)) if hasattr(original, "columns") else None
        original = check_array(original, dtype=np.float64, input_name="original",
                               ensure_all_finite="allow-nan")
        target = check_array(target, dtype=np.float64, input_name="target",
                             ensure_all_finite="allow-nan")
        if original.shape[1] != target.shape[1]:
            raise ValueError(
                f"original has {original.shape[1]} columns but target has "
                f"{target.shape[1]}; pass the same columns."
            )
        indices = _column_indices(columns, names, original.shape[1])
        feature_names = [names[i] if names else f"x{i}" for i in indices]
        return cls(
            original=original[:, indices], target=target[:, indices],
            weights=_weights(weights, original.shape[0], "weights"),
            original_weight=original_weight, target_weight=target_weight,
            feature_names=feature_names, bins=bins,
        ).plot(ax=ax)

    @classmethod
    def from_estimator(cls, reweighter, original, target, *, original_weight=None,
                       target_weight=None, columns=None, bins=30, ax=None):
        """Plot the weights a fitted reweighter gives the original rows.

        The weights are ``reweighter.predict_weights(original, original_weight)``:
        pass rows the reweighter did not train on, or a reweighter with a
        ``fold_column`` (to plot the rows of the fit without one, use
        :meth:`from_predictions` with ``original_weights_``). The fold column
        is not plotted.

        Parameters
        ----------
        reweighter : ClassifierReweighter
            A fitted reweighter (anything with ``predict_weights``).
        original : array-like or DataFrame of shape (n_original, n_features)
            The original rows, as the reweighter takes them.
        target : array-like or DataFrame of shape (n_target, n_features)
            The target rows, with the same columns.
        original_weight : array-like of shape (n_original,), default=None
            Weights of the original rows before reweighting; None means all 1.
        target_weight : array-like of shape (n_target,), default=None
            The weights of the target rows; None means all 1.
        columns : list of str or int, or None, default=None
            The columns to plot; None plots every feature.
        bins : int, default=30
            Number of bins of each histogram.
        ax : array of matplotlib Axes of shape (2, n_columns) or None, default=None
            Axes to draw on; None makes a figure.

        Returns
        -------
        display : ReweightingDisplay
            The display, drawn.
        """
        check_is_fitted(reweighter)
        weights = reweighter.predict_weights(original, original_weight)
        if columns is None:
            n_features = np.shape(original)[1]
            columns = list(range(n_features))
            fold_column = getattr(reweighter, "fold_column", None)
            if fold_column is not None:
                names = list(getattr(reweighter, "feature_names_in_", []))
                index = names.index(fold_column) if isinstance(fold_column, str) \
                    else fold_column % n_features
                columns.remove(index)
        return cls.from_predictions(
            original, target, weights, original_weight=original_weight,
            target_weight=target_weight, columns=columns, bins=bins, ax=ax,
        )
