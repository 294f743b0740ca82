"""``LossCurveDisplay``: training and validation loss per epoch."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from ._legend import legend_below

__all__ = ["LossCurveDisplay"]


def _model_with_loss_curve(estimator):
    """The estimator holding ``loss_curve_``: itself, a pipeline's last step, or
    the ``best_estimator_`` / ``estimator_`` of a meta-estimator."""
    current = estimator
    while not hasattr(current, "loss_curve_"):
        if hasattr(current, "steps"):
            current = current[-1]
        elif hasattr(current, "best_estimator_"):
            current = current.best_estimator_
        elif hasattr(current, "estimator_"):
            current = current.estimator_
        else:
            check_is_fitted(current)
            raise ValueError(
                "LossCurveDisplay needs an estimator that records its loss per "
                f"epoch in `loss_curve_`, but {type(current).__name__} has no such "
                "attribute. Pass a fitted neural estimator of physml_sklearn (or a "
                "pipeline or search ending in one), or scikit-learn's MLPClassifier "
                "/ MLPRegressor."
            )
    return current


def _stop_epoch(model, n_epochs, has_validation):
    """The epoch at which early stopping ended the training, or None."""
    if not has_validation:
        return None
    max_epochs = getattr(model, "max_epochs", None)
    if max_epochs is not None and getattr(model, "warm_start", False) is False:
        return n_epochs if n_epochs < max_epochs else None
    return None


class LossCurveDisplay:
    """Training and validation loss per epoch, with the best epoch marked.

    The curve that answers "is my network overtrained, and where should the
    training stop?": the training loss keeps falling while the validation
    loss flattens and rises once the network starts learning the
    fluctuations of its training sample. The epoch with the lowest validation
    loss (whose weights early stopping restores) is marked, and a dotted line
    shows where early stopping ended the training.

    With dropout, the validation curve usually lies below the training
    curve. That is expected: the training loss is measured with dropout
    active (a random fraction of the hidden units switched off in each step,
    so less confident predictions) and averaged over the steps of the epoch,
    while the validation loss is computed at the end of the epoch with the
    full network in evaluation mode. Overtraining shows in the shape, a
    validation loss that turns up while the training loss keeps falling, not
    in the order of the curves.

    It is recommended to create a display with :meth:`from_estimator`. All
    parameters are stored as attributes.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss per epoch.
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss per epoch; None (or empty) without a validation set.
    best_epoch : int, default=None
        Epoch (counted from 1) to mark as the best one; None marks nothing.
    stop_epoch : int, default=None
        Epoch after which early stopping ended the training; None when it ran
        its full ``max_epochs``.
    estimator_name : str, default=None
        Name of the model, used as the title.

    Attributes
    ----------
    line_ : matplotlib.lines.Line2D
        The training loss curve.
    validation_line_ : matplotlib.lines.Line2D or None
        The validation loss curve.
    best_epoch_line_ : matplotlib.lines.Line2D or None
        Vertical line at the best epoch.
    best_epoch_marker_ : matplotlib.lines.Line2D or None
        Marker on the validation curve at the best epoch.
    stop_line_ : matplotlib.lines.Line2D or None
        Vertical line where early stopping ended the training.
    ax_ : matplotlib.axes.Axes
        The axes.
    figure_ : matplotlib.figure.Figure
        The figure.

    See Also
    --------
    ScoreDistributionDisplay : Train versus test classifier output.
    physml_sklearn.metrics.overtraining_test : The overtraining check in numbers.

    Examples
    --------
    >>> from physml_sklearn import DropoutMLPClassifier
    >>> from physml_sklearn.datasets import make_diboson
    >>> from physml_sklearn.plotting import LossCurveDisplay
    >>> X, y = make_diboson(1000, random_state=0, return_X_y=True)
    >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(16,), early_stopping=True,
    ...                            lr=1e-2, random_state=0).fit(X, y)
    >>> bool(clf.best_epoch_ < clf.n_iter_)  # stopped by early stopping
    True
    >>> disp = LossCurveDisplay.from_estimator(clf)
    >>> len(disp.line_.get_xdata()) == clf.n_iter_
    True
    >>> disp.best_epoch == clf.best_epoch_
    True
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        best_epoch=None,
        stop_epoch=None,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.best_epoch = best_epoch
        self.stop_epoch = stop_epoch
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, train_kw=None, validation_kw=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        name : str, default=None
            Title; None uses ``estimator_name``.
        train_kw : dict, default=None
            Keyword arguments for the :meth:`~matplotlib.axes.Axes.plot` of the
            training curve.
        validation_kw : dict, default=None
            Keyword arguments for the validation curve.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support("LossCurveDisplay.plot")
        import matplotlib.pyplot as plt

        train = np.asarray(self.loss_curve, dtype=np.float64).ravel()
        valid = (
            np.asarray([], dtype=np.float64)
            if self.validation_loss_curve is None
            else np.asarray(self.validation_loss_curve, dtype=np.float64).ravel()
        )
        if train.size == 0:
            raise ValueError("loss_curve is empty: the model has not trained any epoch.")
        if ax is None:
            fig, ax = plt.subplots(layout="constrained")  # room for the legend below
        else:
            fig = ax.figure

        (self.line_,) = ax.plot(
            np.arange(1, train.size + 1), train,
            **{"label": "training loss", "color": "C0", **(train_kw or {})},
        )
        self.validation_line_ = None
        if valid.size:
            (self.validation_line_,) = ax.plot(
                np.arange(1, valid.size + 1), valid,
                **{"label": "validation loss", "color": "C1", **(validation_kw or {})},
            )

        self.best_epoch_line_ = self.best_epoch_marker_ = None
        if self.best_epoch is not None:
            best = int(self.best_epoch)
            self.best_epoch_line_ = ax.axvline(
                best, color="grey", linestyle="--", linewidth=1,
                label=f"best epoch {best}",
            )
            if 1 <= best <= valid.size:
                (self.best_epoch_marker_,) = ax.plot(
                    [best], [valid[best - 1]], marker="*", markersize=12,
                    color="C1", linestyle="none",
                )
        self.stop_line_ = None
        if self.stop_epoch is not None:
            self.stop_line_ = ax.axvline(
                int(self.stop_epoch), color="black", linestyle=":", linewidth=1,
                label=f"early stop after epoch {int(self.stop_epoch)}",
            )

        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        title = name if name is not None else self.estimator_name
        if title:
            ax.set_title(title)
        legend_below(ax)  # the best-epoch line often runs where 'best' would put it
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, train_kw=None,
                       validation_kw=None):
        """Plot the loss curves recorded by a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted neural estimator with ``loss_curve_`` (and
            ``validation_loss_curve_`` / ``best_epoch_`` when it has them); a
            pipeline is read through its last step, a search or selector
            through its ``best_estimator_`` / ``estimator_``.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        name : str, default=None
            Title; None uses the class name of the model.
        train_kw : dict, default=None
            Keyword arguments for the training curve.
        validation_kw : dict, default=None
            Keyword arguments for the validation curve.

        Returns
        -------
        display : LossCurveDisplay
            The display, drawn.
        """
        model = _model_with_loss_curve(estimator)
        train = list(model.loss_curve_)
        valid = list(getattr(model, "validation_loss_curve_", None) or [])
        best_epoch = getattr(model, "best_epoch_", None) if valid else None
        display = cls(
            loss_curve=train,
            validation_loss_curve=valid or None,
            best_epoch=best_epoch,
            stop_epoch=_stop_epoch(model, len(train), bool(valid)),
            estimator_name=type(model).__name__,
        )
        return display.plot(ax=ax, name=name, train_kw=train_kw, validation_kw=validation_kw)
