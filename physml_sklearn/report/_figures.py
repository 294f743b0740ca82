"""The report's own figures: input distributions and their correlations."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..plotting._text import plain_label

SIGNAL_COLOR, BACKGROUND_COLOR = "#1f5fa8", "#c0392b"
#: correlations below this (in percent) are left blank in the matrices
MIN_CORRELATION_SHOWN = 5


def axis_label(name, units=None):
    """``met [GeV]`` when the unit of ``met`` is known, else ``met``."""
    unit = (units or {}).get(name)
    return plain_label(f"{name} [{unit}]" if unit else name)


def bin_edges(values, n_bins=40):
    """Bin edges for one input.

    Integer-valued columns (jet and vertex counts) get edges half-way
    between integers, one or more whole values per bin, so that no bin holds
    one more integer than its neighbour (a comb); other columns get
    ``n_bins`` bins over their 0.5-99.5 % quantiles, so that a tail does not
    squash the peak.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.linspace(0, 1, 2)
    if np.all(finite == np.round(finite)):
        unique = np.unique(finite)
        if unique.size <= 30:  # every value its own bin, the rare ones too
            low, high = unique[0], unique[-1]
        else:
            low, high = np.floor(np.quantile(finite, [0.005, 0.995]))
        width = max(1, int(np.ceil((high - low + 1) / n_bins)))
        return np.arange(low - 0.5, high + width, width, dtype=float)
    low, high = np.quantile(finite, [0.005, 0.995])
    if high <= low:
        low, high = finite.min() - 0.5, finite.max() + 0.5
    return np.linspace(low, high, n_bins + 1)


def input_distributions(X, is_signal, weight, *, units=None, n_cols=4):
    """Normalised, weighted distribution of every input per class, TMVA style."""
    import matplotlib.pyplot as plt

    names = list(X.columns)
    n_rows = int(np.ceil(len(names) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.4 * n_cols, 2.6 * n_rows),
                             squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        values = X[name].to_numpy(dtype=float)
        edges = bin_edges(values)
        clipped = np.clip(values, edges[0], edges[-1])  # over/underflow into the end bins
        for mask, label, color, style in (
            (is_signal, "signal", SIGNAL_COLOR, dict(histtype="stepfilled", alpha=0.35)),
            (~is_signal, "background", BACKGROUND_COLOR,
             dict(histtype="step", linewidth=1.5)),
        ):
            w = weight[mask]
            total = w.sum()
            if total == 0:
                continue
            ax.hist(clipped[mask], bins=edges, weights=w / total, color=color, label=label,
                    **style)
        ax.set_xlabel(axis_label(name, units))
        ax.set_ylabel("fraction of events")
        ax.tick_params(labelsize=8)
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncol=2, fontsize=9, frameon=False)
    fig.suptitle("Input variables per class (weighted, each normalised to 1; "
                 "first and last bins hold the overflow)", x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return fig


def weighted_correlation(X, weight):
    """Pearson correlation matrix with per-event (signed) weights."""
    values = X.to_numpy(dtype=float)
    total = weight.sum()
    mean = weight @ values / total
    centred = values - mean
    cov = (centred * weight[:, None]).T @ centred / total
    scale = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(scale, scale)
    corr[~np.isfinite(corr)] = 0.0
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, -1.0, 1.0)


def correlation_text(percent):
    """The number printed in a cell: whole percent, blank below 5 %, never ``-0``."""
    value = int(np.round(percent))
    if abs(value) < MIN_CORRELATION_SHOWN:
        return ""
    return str(value)


def correlation_matrices(X, is_signal, weight):
    """Linear correlations of the inputs in percent: one figure per class.

    Each figure is drawn at the size it is shown (no scaling down on the
    page), so the numbers stay readable; a cell holds the whole-percent
    correlation where it reaches 5 %, nothing below.
    """
    import matplotlib.pyplot as plt

    names = list(X.columns)
    n = len(names)
    size = max(4.0, 0.42 * n + 1.6)
    fontsize = 9 if n <= 12 else 8 if n <= 24 else 6
    figures = []
    for mask, label in ((is_signal, "signal"), (~is_signal, "background")):
        fig, ax = plt.subplots(figsize=(size + 1.3, size), layout="constrained")
        corr = 100 * weighted_correlation(X[mask], weight[mask])
        image = ax.imshow(corr, cmap="RdBu_r", vmin=-100, vmax=100)
        labels = [plain_label(name) for name in names]
        ax.set_xticks(range(n), labels, rotation=90, fontsize=fontsize + 1)
        ax.set_yticks(range(n), labels, fontsize=fontsize + 1)
        if n <= 40:
            for i in range(n):
                for j in range(n):
                    text = correlation_text(corr[i, j])
                    if text:
                        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                                color="white" if abs(corr[i, j]) > 60 else "black")
        ax.set_title(f"Correlation matrix, {label} (%)")
        fig.colorbar(image, ax=ax, shrink=0.8, label="linear correlation coefficient (%)")
        figures.append(fig)
    return figures
