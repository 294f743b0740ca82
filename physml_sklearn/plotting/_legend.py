"""Legends that never cover the data: drawn outside the axes."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

#: distance from the bottom of the axes to the top of a legend below it, in
#: inches: clears the tick labels and the x-axis label at the default sizes
_BELOW = 0.5


def legend_below(ax, handles=None, labels=None, *, ncol=2, fontsize="small"):
    """A legend under the axes, below the x-axis label, where no curve runs.

    ``loc="best"`` still covers a curve when every corner holds data (a
    yield curve across the whole axes, a vertical line at the last epoch);
    below the axes the legend is always free. ``tight_layout`` and
    ``savefig(bbox_inches="tight")`` make room for it.
    """
    from matplotlib.transforms import ScaledTranslation

    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    offset = ScaledTranslation(0, -_BELOW, ax.figure.dpi_scale_trans)
    return ax.legend(
        handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
        bbox_transform=ax.transAxes + offset, ncol=min(ncol, max(len(handles), 1)),
        fontsize=fontsize, frameon=False,
    )


def format_cut(threshold):
    """A cut value printed with the digits that tell it apart from 1.

    A classifier's best cuts crowd near 1 (``0.999447``), where ``{:.3g}``
    would print 0.999 for every one of them; there the number keeps three
    significant digits of its distance from 1. Elsewhere three significant
    digits. The report's legends, tables and prose all print cuts with it.
    """
    import math

    x = float(threshold)
    if 0.9 <= x < 1.0:
        decimals = min(10, 2 - math.floor(math.log10(1.0 - x)))
        return f"{x:.{decimals}f}"
    return f"{x:.3g}"
