"""``ScoreDistributionDisplay``: the TMVA overtraining plot."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.utils import check_array, column_or_1d
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.multiclass import unique_labels

from .._weights import check_weight_vector, scaled_by_largest
from ..metrics import overtraining_test
from ._legend import legend_below
from ._text import plain_label

__all__ = ["ScoreDistributionDisplay"]


def _outputs(score, n_classes, name):
    """The scores as (n_samples, n_outputs): one column for a binary problem."""
    score = check_array(score, ensure_2d=False, dtype=np.float64, input_name=name)
    if score.ndim == 1:
        score = score[:, None]
    if score.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {score.shape}.")
    n_columns = score.shape[1]
    if n_classes == 2 and n_columns in (1, 2):
        return score[:, -1:]
    if n_columns == n_classes:
        return score
    raise ValueError(
        f"{name} has {n_columns} columns but the labels hold {n_classes} classes. "
        "Pass the output of predict_proba: 1-D or two columns for a binary "
        "problem, one column per class otherwise."
    )


def _weights(sample_weight, n_samples, name):
    if sample_weight is None:
        return np.ones(n_samples)
    weight = check_weight_vector(sample_weight, name)
    if weight.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {weight.shape[0]} entries for {n_samples} events; pass one "
            "weight per event."
        )
    return weight


def _bin_edges(bins, train, test):
    """Bin edges for one output: fixed ones, or ``bins`` bins over [0, 1] or the data."""
    if not isinstance(bins, Integral):
        edges = np.asarray(bins, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(
                f"bins must be a number of bins or increasing bin edges; got {bins!r}."
            )
        return edges
    if bins < 1:
        raise ValueError(f"bins must be a positive number of bins; got {bins}.")
    low = min(train.min(), test.min())
    high = max(train.max(), test.max())
    if low >= 0 and high <= 1:  # probabilities
        low, high = 0.0, 1.0
    elif low == high:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def _density(values, weight, edges):
    """Histogram normalised to unit area and its statistical error per bin."""
    weight, _ = scaled_by_largest(weight)  # normalised below: the unit drops out
    counts, _ = np.histogram(values, bins=edges, weights=weight)
    sum_w2, _ = np.histogram(values, bins=edges, weights=weight**2)
    area = counts.sum() * np.diff(edges)
    if counts.sum() <= 0:
        return np.zeros_like(counts), np.zeros_like(counts)
    return counts / area, np.sqrt(sum_w2) / area


class ScoreDistributionDisplay:
    """Train versus test distributions of a classifier output: the overtraining plot.

    For every output node, the distribution of the classifier output is drawn
    per true class: the test sample as filled histograms (step outlines for
    three classes and more, whose fills would hide each other), the training
    sample as markers with statistical error bars, each normalised to unit
    area, as in TMVA. When the markers leave the filled histograms the network behaves
    differently on the events it was trained on: it is overtrained. The
    legend gives the p-value of the Kolmogorov-Smirnov test of train against
    test for each class (see
    :func:`~physml_sklearn.metrics.overtraining_test`); a small p-value flags
    the difference in numbers.

    A binary classifier has one panel, the probability of ``classes_[1]``; a
    multiclassifier has one panel per output node (per class). With
    ``log=True`` the vertical axis is logarithmic: a well-trained classifier
    piles most events up near 0 and 1, and on a linear scale those peaks hide
    the tails, where an overtrained network differs between training and
    test events.

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_predictions`. All parameters are stored as attributes.

    Parameters
    ----------
    bin_edges : ndarray of shape (n_outputs, n_bins + 1)
        Bin edges of each output.
    hist_train : ndarray of shape (n_outputs, n_classes, n_bins)
        Normalised training distributions, per output and true class.
    hist_test : ndarray of shape (n_outputs, n_classes, n_bins)
        Normalised test distributions.
    err_train : ndarray of shape (n_outputs, n_classes, n_bins)
        Statistical errors of ``hist_train``.
    ks_pvalues : ndarray of shape (n_outputs, n_classes)
        KS p-value of train against test, per output and class.
    class_names : list of str
        Names of the classes.
    output_names : list of str
        Names of the outputs, used as the x labels.
    estimator_name : str, default=None
        Name of the classifier, used in the title.

    Attributes
    ----------
    test_hists_ : ndarray of shape (n_outputs, n_classes), dtype=object
        The test histograms (:class:`matplotlib.patches.StepPatch`): filled
        for two classes, step outlines for more.
    train_errorbars_ : ndarray of shape (n_outputs, n_classes), dtype=object
        The training markers (:class:`matplotlib.container.ErrorbarContainer`).
    axes_ : ndarray of shape (n_outputs,), dtype=object
        One axes per output.
    ax_ : matplotlib.axes.Axes or ndarray of Axes
        The axes for a binary classifier; for a multiclassifier the same
        array as ``axes_``.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    physml_sklearn.metrics.overtraining_test : The KS test and train/test AUC
        per class, as a table.
    LossCurveDisplay : Training and validation loss per epoch.

    Examples
    --------
    >>> from sklearn.model_selection import train_test_split
    >>> from physml_sklearn import DropoutMLPClassifier
    >>> from physml_sklearn.datasets import make_diboson
    >>> from physml_sklearn.plotting import ScoreDistributionDisplay
    >>> data = make_diboson(2000, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     data.data, data.target, random_state=0)
    >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(16,), max_epochs=10,
    ...                            random_state=0).fit(X_train, y_train)
    >>> disp = ScoreDistributionDisplay.from_estimator(
    ...     clf, X_train, y_train, X_test, y_test, class_names=data.target_names)
    >>> disp.hist_test.shape
    (1, 2, 40)
    >>> [t.get_text().split(",")[0] for t in disp.ax_.get_legend().get_texts()]
    ['WZ test', 'WZ train', 'ZZ test', 'ZZ train']
    """

    def __init__(
        self,
        *,
        bin_edges,
        hist_train,
        hist_test,
        err_train,
        ks_pvalues,
        class_names,
        output_names,
        estimator_name=None,
    ):
        self.bin_edges = bin_edges
        self.hist_train = hist_train
        self.hist_test = hist_test
        self.err_train = err_train
        self.ks_pvalues = ks_pvalues
        self.class_names = class_names
        self.output_names = output_names
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, log=False):
        """Draw the distributions.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            For one output an Axes, for several outputs one Axes per output;
            None makes a new figure with one panel per output.
        name : str, default=None
            Title; None uses ``estimator_name``.
        log : bool, default=False
            Logarithmic vertical axis, to see the tails of the distributions.

        Returns
        -------
        display : ScoreDistributionDisplay
            The display, with ``ax_``, ``axes_`` and ``figure_`` set.
        """
        check_matplotlib_support("ScoreDistributionDisplay.plot")
        import matplotlib.pyplot as plt

        hist_test = np.asarray(self.hist_test, dtype=np.float64)
        hist_train = np.asarray(self.hist_train, dtype=np.float64)
        err_train = np.asarray(self.err_train, dtype=np.float64)
        edges = np.asarray(self.bin_edges, dtype=np.float64)
        pvalues = np.asarray(self.ks_pvalues, dtype=np.float64)
        n_outputs, n_classes, _ = hist_test.shape

        if ax is None:
            # a multiclass panel is wider: its legend runs below it, a column per class
            width, height = (5.5, 4.2) if n_classes <= 2 else (2.2 * n_classes, 4.8)
            fig, axes = plt.subplots(
                1, n_outputs, figsize=(width * n_outputs, height), squeeze=False,
                layout="constrained",
            )
            axes = axes[0]
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if axes.size != n_outputs:
                raise ValueError(
                    f"ax holds {axes.size} axes but the display has {n_outputs} "
                    f"outputs; pass {n_outputs} axes (one per output node) or "
                    "ax=None."
                )
            fig = axes[0].figure

        title = name if name is not None else self.estimator_name
        self.test_hists_ = np.empty((n_outputs, n_classes), dtype=object)
        self.train_errorbars_ = np.empty((n_outputs, n_classes), dtype=object)
        # two translucent fills stay readable, three and more mix into one colour
        filled = n_classes <= 2
        test_style = (
            {"fill": True, "alpha": 0.35} if filled else {"fill": False, "linewidth": 1.5}
        )
        for k, panel in enumerate(axes):
            centres = 0.5 * (edges[k, 1:] + edges[k, :-1])
            for c, class_name in enumerate(self.class_names):
                color = f"C{c % 10}"
                self.test_hists_[k, c] = panel.stairs(
                    hist_test[k, c], edges[k], color=color, label=plain_label(f"{class_name} test"),
                    **test_style,
                )
                self.train_errorbars_[k, c] = panel.errorbar(
                    centres, hist_train[k, c], yerr=err_train[k, c], fmt="o",
                    markersize=3, linewidth=1, color=color,
                    label=plain_label(f"{class_name} train, KS p = {pvalues[k, c]:.3g}"),
                )
            panel.set_xlabel(plain_label(self.output_names[k]))
            panel.set_ylabel("normalised events / bin width")
            if log:
                panel.set_yscale("log")
                drawn = np.concatenate([hist_test[k].ravel(), hist_train[k].ravel()])
                if np.any(drawn > 0):
                    # down to half the smallest filled bin (empty bins fall
                    # off), up to three times the peak (the legend sits below the axes)
                    panel.set_ylim(0.5 * drawn[drawn > 0].min(), 3 * drawn.max())
            handles = [
                artist
                for c in range(n_classes)
                for artist in (self.test_hists_[k, c], self.train_errorbars_[k, c])
            ]
            # under the axes, a column per class (test above train): the class
            # peaks fill the corners "best" would pick
            legend_below(panel, handles, [h.get_label() for h in handles],
                         ncol=max(n_classes, 2))
            if title:
                panel.set_title(plain_label(
                    title if n_outputs == 1 else f"{title}: {self.output_names[k]}"))

        self.axes_ = axes
        self.ax_ = axes[0] if n_outputs == 1 else axes
        self.figure_ = fig
        return self

    @classmethod
    def from_predictions(
        cls,
        y_train,
        score_train,
        y_test,
        score_test,
        *,
        sample_weight_train=None,
        sample_weight_test=None,
        class_names=None,
        bins=40,
        ax=None,
        name=None,
        log=False,
    ):
        """Plot the overtraining check from classifier outputs.

        Parameters
        ----------
        y_train : array-like of shape (n_train,)
            True classes of the training events.
        score_train : array-like of shape (n_train,) or (n_train, n_classes)
            ``predict_proba`` on the training events (1-D: the probability of
            the larger label of a binary problem).
        y_test : array-like of shape (n_test,)
            True classes of the test events, the same classes.
        score_test : array-like of shape (n_test,) or (n_test, n_classes)
            ``predict_proba`` on the test events.
        sample_weight_train : array-like of shape (n_train,), default=None
            Event weights of the training sample.
        sample_weight_test : array-like of shape (n_test,), default=None
            Event weights of the test sample.
        class_names : list of str, default=None
            Names of the sorted classes; None uses the labels.
        bins : int or array-like, default=40
            Number of bins (over [0, 1] for probabilities, else over the range
            of the scores), or the bin edges.
        ax : matplotlib Axes or array-like of Axes, default=None
            Where to draw (see :meth:`plot`).
        name : str, default=None
            Title.
        log : bool, default=False
            Logarithmic vertical axis, to see the tails of the distributions.

        Returns
        -------
        display : ScoreDistributionDisplay
            The display, drawn.
        """
        y_train = column_or_1d(y_train)
        y_test = column_or_1d(y_test)
        classes = unique_labels(y_train, y_test)
        n_classes = len(classes)
        if class_names is None:
            class_names = [str(c) for c in classes]
        class_names = [str(c) for c in class_names]
        if len(class_names) != n_classes:
            raise ValueError(
                f"class_names has {len(class_names)} names for {n_classes} classes "
                f"{classes.tolist()}; pass one name per class, in sorted label order."
            )
        s_train = _outputs(score_train, n_classes, "score_train")
        s_test = _outputs(score_test, n_classes, "score_test")
        w_train = _weights(sample_weight_train, s_train.shape[0], "sample_weight_train")
        w_test = _weights(sample_weight_test, s_test.shape[0], "sample_weight_test")
        n_outputs = s_train.shape[1]
        if n_outputs == 1:
            output_names = [f"P({class_names[1]})"]
        else:
            output_names = [f"P({c})" for c in class_names]

        edges = np.array([_bin_edges(bins, s_train[:, k], s_test[:, k]) for k in range(n_outputs)])
        n_bins = edges.shape[1] - 1
        shape = (n_outputs, n_classes, n_bins)
        hist_train, hist_test, err_train = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        pvalues = np.zeros((n_outputs, n_classes))
        for k in range(n_outputs):
            for c, label in enumerate(classes):
                in_train, in_test = y_train == label, y_test == label
                hist_train[k, c], err_train[k, c] = _density(
                    s_train[in_train, k], w_train[in_train], edges[k]
                )
                hist_test[k, c], _ = _density(s_test[in_test, k], w_test[in_test], edges[k])
                # the KS test of output k over the events of class c: the row
                # of the class True (the last) of a one-versus-rest test
                table = overtraining_test(
                    in_train, s_train[:, k], in_test, s_test[:, k],
                    sample_weight_train=w_train, sample_weight_test=w_test,
                )
                pvalues[k, c] = table["ks_pvalue"].iloc[-1]

        display = cls(
            bin_edges=edges,
            hist_train=hist_train,
            hist_test=hist_test,
            err_train=err_train,
            ks_pvalues=pvalues,
            class_names=class_names,
            output_names=output_names,
            estimator_name=name,
        )
        return display.plot(ax=ax, log=log)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X_train,
        y_train,
        X_test,
        y_test,
        *,
        sample_weight_train=None,
        sample_weight_test=None,
        class_names=None,
        bins=40,
        ax=None,
        name=None,
        log=False,
    ):
        """Plot the overtraining check of a fitted classifier.

        Parameters
        ----------
        estimator : estimator instance
            A fitted classifier (or pipeline) with ``predict_proba``.
        X_train : array-like or DataFrame of shape (n_train, n_features)
            The events it was trained on.
        y_train : array-like of shape (n_train,)
            Their classes.
        X_test : array-like or DataFrame of shape (n_test, n_features)
            Events it has not seen.
        y_test : array-like of shape (n_test,)
            Their classes.
        sample_weight_train : array-like of shape (n_train,), default=None
            Event weights of the training sample.
        sample_weight_test : array-like of shape (n_test,), default=None
            Event weights of the test sample.
        class_names : list of str, default=None
            Names of ``estimator.classes_``; None uses the labels.
        bins : int or array-like, default=40
            Number of bins over [0, 1], or the bin edges.
        ax : matplotlib Axes or array-like of Axes, default=None
            Where to draw (see :meth:`plot`).
        name : str, default=None
            Title; None uses the class name of the estimator (its last step
            for a pipeline).
        log : bool, default=False
            Logarithmic vertical axis, to see the tails of the distributions.

        Returns
        -------
        display : ScoreDistributionDisplay
            The display, drawn.
        """
        if not hasattr(estimator, "predict_proba"):
            raise ValueError(
                "ScoreDistributionDisplay needs a classifier with predict_proba; "
                f"{type(estimator).__name__} has none."
            )
        if name is None:
            final = estimator[-1] if hasattr(estimator, "steps") else estimator
            name = type(final).__name__
        return cls.from_predictions(
            y_train,
            estimator.predict_proba(X_train),
            y_test,
            estimator.predict_proba(X_test),
            sample_weight_train=sample_weight_train,
            sample_weight_test=sample_weight_test,
            class_names=class_names,
            bins=bins,
            ax=ax,
            name=name,
            log=log,
        )
