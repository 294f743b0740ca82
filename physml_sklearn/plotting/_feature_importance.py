"""``FeatureImportanceDisplay``: ranked permutation importances with error bars."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from ..inspection import rank_features
from ._text import plain_label

__all__ = ["FeatureImportanceDisplay"]

_RANKING_COLUMNS = ("feature", "importance_mean", "importance_std")


class FeatureImportanceDisplay:
    """Permutation importances as horizontal bars, most important on top.

    Each bar is the mean drop of the model's score when one input variable is
    shuffled, the error bar its standard deviation over the shuffles. A bar
    whose error bar reaches zero marks a variable the model can do without;
    :class:`~physml_sklearn.inspection.PermutationFeatureElimination` checks
    it by retraining without them.

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_ranking`. All parameters are stored as attributes.

    Parameters
    ----------
    feature_names : array-like of str of shape (n_features,)
        Names of the variables.
    importances_mean : array-like of shape (n_features,)
        Mean importance of each variable.
    importances_std : array-like of shape (n_features,)
        Its standard deviation over the repeats.
    score_name : str, default=None
        Name of the score whose drop is shown, for the x label.

    Attributes
    ----------
    bars_ : matplotlib.container.BarContainer
        The bars, from the most important (top) to the least.
    errorbars_ : matplotlib.container.ErrorbarContainer
        Their error bars.
    features_ : list of str
        The variables in the order drawn, from the top.
    ax_ : matplotlib.axes.Axes
        The axes.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    physml_sklearn.inspection.rank_features : The ranking drawn here.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from physml_sklearn.plotting import FeatureImportanceDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3))
    >>> y = (X[:, 2] + 0.5 * X[:, 0] > 0).astype(int)
    >>> clf = LogisticRegression().fit(X, y)
    >>> disp = FeatureImportanceDisplay.from_estimator(
    ...     clf, X, y, scoring="roc_auc", n_repeats=5, random_state=0)
    >>> disp.features_
    ['x2', 'x0', 'x1']
    >>> disp.ax_.get_xlabel()
    'decrease in roc_auc when the variable is permuted'
    """

    def __init__(self, *, feature_names, importances_mean, importances_std, score_name=None):
        self.feature_names = feature_names
        self.importances_mean = importances_mean
        self.importances_std = importances_std
        self.score_name = score_name

    def plot(self, ax=None, *, max_features=None, bar_kw=None):
        """Draw the ranked bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure sized to the number of
            bars.
        max_features : int, default=None
            Draw only this many most important variables; None draws all.
        bar_kw : dict, default=None
            Keyword arguments for :meth:`matplotlib.axes.Axes.barh`.

        Returns
        -------
        display : FeatureImportanceDisplay
            The display, with ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support("FeatureImportanceDisplay.plot")
        import matplotlib.pyplot as plt

        names = np.asarray([str(n) for n in self.feature_names], dtype=object)
        mean = np.asarray(self.importances_mean, dtype=np.float64).ravel()
        std = np.asarray(self.importances_std, dtype=np.float64).ravel()
        if not names.size == mean.size == std.size:
            raise ValueError(
                f"feature_names ({names.size}), importances_mean ({mean.size}) and "
                f"importances_std ({std.size}) must have one entry per variable."
            )
        if max_features is not None and (
            not isinstance(max_features, Integral) or max_features < 1
        ):
            raise ValueError(
                f"max_features must be a positive int or None; got {max_features!r}."
            )
        order = np.argsort(-mean, kind="stable")[:max_features]
        n_bars = order.size
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.4, 1.0 + 0.32 * n_bars), layout="constrained")
        else:
            fig = ax.figure

        positions = np.arange(n_bars)[::-1]  # the most important on top
        self.bars_ = ax.barh(
            positions,
            mean[order],
            xerr=std[order],
            **{"color": "C0", "alpha": 0.8, "capsize": 3, **(bar_kw or {})},
        )
        self.errorbars_ = self.bars_.errorbar
        self.features_ = names[order].tolist()
        ax.set_yticks(positions, [plain_label(name) for name in self.features_])
        ax.axvline(0.0, color="black", linewidth=0.8)
        score = self.score_name or "score"
        ax.set_xlabel(f"decrease in {score} when the variable is permuted")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_ranking(cls, ranking, *, ax=None, max_features=None, score_name=None,
                     bar_kw=None):
        """Plot a ranking returned by :func:`~physml_sklearn.inspection.rank_features`.

        Parameters
        ----------
        ranking : pandas.DataFrame
            A table with the columns ``feature``, ``importance_mean`` and
            ``importance_std``.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        max_features : int, default=None
            Draw only this many most important variables.
        score_name : str, default=None
            Name of the score, for the x label.
        bar_kw : dict, default=None
            Keyword arguments for :meth:`matplotlib.axes.Axes.barh`.

        Returns
        -------
        display : FeatureImportanceDisplay
            The display, drawn.
        """
        missing = [c for c in _RANKING_COLUMNS if c not in getattr(ranking, "columns", ())]
        if missing:
            raise ValueError(
                "ranking must be the DataFrame returned by rank_features, with the "
                f"columns {list(_RANKING_COLUMNS)}; missing {missing}."
            )
        display = cls(
            feature_names=ranking["feature"].to_numpy(),
            importances_mean=ranking["importance_mean"].to_numpy(),
            importances_std=ranking["importance_std"].to_numpy(),
            score_name=score_name,
        )
        return display.plot(ax=ax, max_features=max_features, bar_kw=bar_kw)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, max_features=None, bar_kw=None,
                       **rank_features_kwargs):
        """Rank the variables of a fitted model by permutation importance and plot them.

        Parameters
        ----------
        estimator : estimator instance
            A fitted model (or pipeline).
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events, ideally held out from the fit.
        y : array-like of shape (n_samples,)
            Their targets.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        max_features : int, default=None
            Draw only this many most important variables.
        bar_kw : dict, default=None
            Keyword arguments for :meth:`matplotlib.axes.Axes.barh`.
        **rank_features_kwargs
            ``scoring``, ``n_repeats``, ``sample_weight``, ``random_state``,
            ``n_jobs`` of :func:`~physml_sklearn.inspection.rank_features`.

        Returns
        -------
        display : FeatureImportanceDisplay
            The display, drawn.
        """
        ranking = rank_features(estimator, X, y, **rank_features_kwargs)
        scoring = rank_features_kwargs.get("scoring")
        score_name = scoring if isinstance(scoring, str) else None
        return cls.from_ranking(
            ranking, ax=ax, max_features=max_features, score_name=score_name, bar_kw=bar_kw
        )
