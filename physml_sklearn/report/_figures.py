"""The report's own figures: input distributions and their correlations."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

SIGNAL_COLOR, BACKGROUND_COLOR = "#1f5fa8", "#c0392b"


def _bins(values, n_bins=40):
    """Integer-valued columns with few values get one bin per value; others 40
    bins over the 0.5-99.5 % quantiles, so that a tail does not squash the peak."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.linspace(0, 1, 2)
    unique = np.unique(finite)
    if unique.size <= 30 and np.all(unique == np.round(unique)):
        return np.arange(unique[0] - 0.5, unique[-1] + 1.5)
    low, high = np.quantile(finite, [0.005, 0.995])
    if high <= low:
        low, high = unique[0] - 0.5, unique[-1] + 0.5
    return np.linspace(low, high, n_bins + 1)


def input_distributions(X, is_signal, weight, *, n_cols=4):
    """Normalised, weighted distribution of every input per class, TMVA style."""
    import matplotlib.pyplot as plt

    names = list(X.columns)
    n_rows = int(np.ceil(len(names) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.4 * n_cols, 2.6 * n_rows),
                             squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        values = X[name].to_numpy(dtype=float)
        edges = _bins(values)
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
        ax.set_xlabel(name)
        ax.set_ylabel("fraction of events")
        ax.tick_params(labelsize=8)
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Input variables per class (weighted, each normalised to 1; "
                 "first and last bins hold the overflow)", y=1.0)
    fig.tight_layout()
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


def correlation_matrices(X, is_signal, weight):
    """Linear correlations of the inputs in percent, signal beside background."""
    import matplotlib.pyplot as plt

    names = list(X.columns)
    n = len(names)
    size = max(5.0, 0.42 * n + 2.0)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size + 1.0, size))
    for ax, mask, label in ((axes[0], is_signal, "signal"), (axes[1], ~is_signal, "background")):
        corr = 100 * weighted_correlation(X[mask], weight[mask])
        image = ax.imshow(corr, cmap="RdBu_r", vmin=-100, vmax=100)
        ax.set_xticks(range(n), names, rotation=90, fontsize=8)
        ax.set_yticks(range(n), names, fontsize=8)
        if n <= 25:
            for i in range(n):
                for j in range(n):
                    ax.text(j, i, f"{corr[i, j]:.0f}", ha="center", va="center",
                            fontsize=6, color="white" if abs(corr[i, j]) > 60 else "black")
        ax.set_title(f"Correlation matrix, {label} (%)")
    fig.colorbar(image, ax=axes, shrink=0.8, label="linear correlation coefficient (%)")
    return fig
