"""The regressor: a dropout MLP for calibrating energies and other continuous targets."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._core._base import NeuralEstimator
from ._core._modules import make_mlp
from ._core._validation import FLOAT32_MAX, check_features_target, check_sample_weight

#: the losses of ``DropoutMLPRegressor``, by the name of the ``loss`` parameter
LOSSES = ("squared_error", "absolute_error", "huber", "quantile")


class QuantileLoss(nn.Module):
    """Pinball loss at ``quantile``, per element (``reduction="none"``).

    ``max(q (y - f), (q - 1) (y - f))``: its minimiser over ``f`` is the
    ``q`` quantile of ``y``.
    """

    def __init__(self, quantile=0.5):
        super().__init__()
        self.quantile = float(quantile)

    def forward(self, y_pred, y_true):
        diff = y_true - y_pred
        return torch.maximum(self.quantile * diff, (self.quantile - 1.0) * diff)


def _extreme_unit(peak):
    """Per column, the number to divide values of largest magnitude ``peak`` by.

    The peak itself where it lies beyond 1e150 or below 1e-150, whose
    squares would overflow (or underflow to 0); else 1, so that ordinary
    values are computed as they are.
    """
    extreme = (peak > 1e150) | ((peak > 0) & (peak < 1e-150))
    return np.where(extreme, peak, 1.0)


def _mean_and_scale(y):
    """The mean and standard deviation of each column of ``y``; 1 for a constant one.

    Computed from the values divided by :func:`_extreme_unit`: a standard
    deviation of inf (or 0) would make the network learn nothing and
    predict inf (or noise) in the units of ``y``.
    """
    unit = _extreme_unit(np.abs(y).max(axis=0))
    scaled = y / unit
    mean = scaled.mean(axis=0) * unit
    scale = scaled.std(axis=0) * unit
    constant = np.ptp(y, axis=0) == 0
    return mean, np.where(constant | ~(scale > 0), 1.0, scale)


class DropoutMLPRegressor(RegressorMixin, NeuralEstimator):
    """MLP regressor with dropout: energy calibration, TMVA's Regression.

    A fully connected network with one linear output per target, trained on
    the same core as :class:`DropoutMLPClassifier` (mini-batches, event
    weights, early stopping that restores the best epoch, ``warm_start`` and
    :meth:`partial_fit`). ``y`` may have one column or several; :meth:`predict`
    returns the shape of the ``y`` the model was fitted on.

    With ``target_scaling=True`` (the default) the network learns the
    standardised target ``(y - y_mean_) / y_scale_``, and :meth:`predict`
    maps its output back. Energies in GeV, whose values and spread are tens
    or hundreds, then train at the default ``lr`` like any standardised
    target. The loss (``loss_curve_``, ``validation_loss_curve_``) and
    ``huber_delta`` are in the units of the scaled target.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Width of each hidden layer. Two layers of 64 are enough for the
        smooth functions of a few shower variables that calibrations learn.
    loss : {"squared_error", "absolute_error", "huber", "quantile"}, \
default="squared_error"
        What the network minimises: the squared error (it predicts the mean
        of ``y`` given ``X``), the absolute error (the median), the Huber
        loss (squared below ``huber_delta``, linear above: robust to tails)
        or the pinball loss at ``quantile`` (that quantile of ``y``, for
        resolution bands).
    huber_delta : float, default=1.0
        Where the Huber loss turns from quadratic to linear, in units of the
        scaled target (standard deviations of ``y`` with ``target_scaling``).
    quantile : float, default=0.5
        The quantile, in (0, 1), that ``loss="quantile"`` predicts.
    target_scaling : bool, default=True
        Whether the network learns the standardised target (mean 0, standard
        deviation 1 per column, computed unweighted in the first fit or
        ``partial_fit``) instead of ``y`` itself.
    dropout : float or tuple of float, default=0.0
        Dropout probability after every hidden layer, or one per layer.
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"}, default="relu"
        Activation function after every hidden layer.
    kernel_initializer : {"he_normal", "he_uniform", "glorot_normal", \
"glorot_uniform", "torch"}, default="he_normal"
        How the weights are drawn before training: He or Glorot, normal or
        uniform, biases at zero; ``"torch"`` keeps PyTorch's own default.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or type, default="adam"
        The optimizer, or a subclass of :class:`torch.optim.Optimizer`.
    lr : float, default=1e-3
        Learning rate of the optimizer.
    weight_decay : float, default=0.0
        L2 penalty on the weights, passed to the optimizer.
    batch_size : int, default=256
        Events per mini-batch, i.e. per optimizer step.
    max_epochs : int, default=100
        Upper bound on the number of passes over the training data; the number
        itself with ``early_stopping=False``.
    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the data, stop after
        ``patience`` epochs without an improvement of the validation loss by
        ``tol``, and restore the weights of the best epoch.
    validation_fraction : float, default=0.1
        Fraction of the data held out as the validation set when
        ``early_stopping=True``.
    patience : int, default=10
        Epochs in a row without improvement of the validation loss before the
        training stops (with ``early_stopping=True``).
    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as an improvement.
    callbacks : list or None, default=None
        Extra skorch callbacks, as callbacks or ``(name, callback)`` pairs;
        they are copied at each fit.
    device : str, default="cpu"
        Torch device to train and predict on; ``"auto"`` picks CUDA when
        available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, dropout and the
        validation split; the same int gives bit-identical results on the CPU.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per fit.
    warm_start : bool, default=False
        Whether a new call to :meth:`fit` continues from the weights (and
        the target scaling) of the previous fit instead of starting again.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets (columns of ``y``).
    y_mean_ : ndarray of shape (`n_outputs_`,)
        Mean of each target column subtracted before training (zeros with
        ``target_scaling=False``).
    y_scale_ : ndarray of shape (`n_outputs_`,)
        Standard deviation each target column is divided by (ones with
        ``target_scaling=False``; 1 for a constant column).
    net_ : skorch.NeuralNet
        The trained skorch net.
    history_ : skorch.History
        Its training history.
    loss_curve_ : list of float
        Training loss per epoch, in the units of the scaled target.
    validation_loss_curve_ : list of float
        Validation loss per epoch (empty without ``early_stopping``).
    best_epoch_ : int
        Epoch (from 1) whose weights the model holds.
    n_iter_ : int
        Number of epochs trained.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame.

    See Also
    --------
    physml_sklearn.metrics.response_resolution : Response and resolution per bin.
    physml_sklearn.plotting.ResolutionDisplay : Their plot against the true value.
    sklearn.neural_network.MLPRegressor : scikit-learn's own MLP.

    Examples
    --------
    Calibrate the energy of a calorimeter shower from its measured energy
    and shapes:

    >>> from physml_sklearn import DropoutMLPRegressor
    >>> from physml_sklearn.datasets import make_calorimeter
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = make_calorimeter(3000, random_state=0, return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), DropoutMLPRegressor(
    ...     max_epochs=20, random_state=0))
    >>> reg.fit(X_train, y_train).predict(X_test[:3]).shape
    (3,)
    >>> bool(reg.score(X_test, y_test) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **NeuralEstimator._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Integral],
        "loss": [StrOptions(set(LOSSES))],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
        "target_scaling": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64, 64),
        *,
        loss="squared_error",
        huber_delta=1.0,
        quantile=0.5,
        target_scaling=True,
        dropout=0.0,
        activation="relu",
        kernel_initializer="he_normal",
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs=100,
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.loss = loss
        self.huber_delta = huber_delta
        self.quantile = quantile
        self.target_scaling = target_scaling
        self.dropout = dropout
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # -- the hooks of the core ------------------------------------------
    def _hidden_layers(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers (the width of each "
                f"hidden layer); got {self.hidden_layer_sizes!r}."
            )
        return sizes

    def _prepare_fit_data(self, X, y, sample_weight, *, reset):
        X, y = check_features_target(self, X, y, reset=reset, multi_output=True,
                                     y_dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 0:
            raise ValueError("y has no column; pass at least one target column.")
        y2 = y.reshape(y.shape[0], -1)
        if reset:
            self.n_outputs_ = y2.shape[1]
            if self.target_scaling:
                self.y_mean_, self.y_scale_ = _mean_and_scale(y2)
            else:
                self.y_mean_ = np.zeros(y2.shape[1])
                self.y_scale_ = np.ones(y2.shape[1])
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} target column(s) but the regressor was fitted on "
                f"{self.n_outputs_}; pass y with {self.n_outputs_} column(s), or refit "
                "(warm_start=False) to change the targets."
            )
        target = (y2 - self.y_mean_) / self.y_scale_
        largest = float(np.abs(target).max()) if target.size else 0.0
        if largest > FLOAT32_MAX:
            raise ValueError(
                f"y holds values up to {float(np.abs(y2).max()):.3g}, beyond the range of "
                "float32 in which the network computes. Use target_scaling=True or "
                "change the units of y."
            )
        weight = check_sample_weight(sample_weight, X.shape[0])
        self._y_ndim = y.ndim  # predict answers in the shape of the latest y
        return X, target.astype(np.float32), weight, None

    def _build_module(self, n_features, target):
        return make_mlp(
            n_features,
            self._hidden_layers(),
            target.shape[1],
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            dropout=self.dropout,
        )

    def _build_criterion(self):
        if self.loss == "squared_error":
            return nn.MSELoss(reduction="none")
        if self.loss == "absolute_error":
            return nn.L1Loss(reduction="none")
        if self.loss == "huber":
            return nn.HuberLoss(reduction="none", delta=float(self.huber_delta))
        return QuantileLoss(self.quantile)

    def _divergence_advice(self):
        advice = super()._divergence_advice()
        if not self.target_scaling:
            advice += " Or set target_scaling=True (a target in large units needs it)."
        return advice

    # -- the public methods ---------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X`` and the targets ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training events.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values (e.g. the true energy).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each event's loss term; negative weights are allowed
            (their sum must be positive).

        Returns
        -------
        self : object
            The fitted regressor.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, keeping what was learned before.

        The first call fixes the target scaling (from its chunk of ``y``)
        and the number of targets.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of training events.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Their target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each event's loss term.

        Returns
        -------
        self : object
            The regressor.
        """
        return self._fit(X, y, sample_weight, partial=True)

    def predict(self, X):
        """Predict the target of each event.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The predictions, in the units of ``y`` and in its shape in ``fit``.
        """
        check_is_fitted(self, "net_")
        out = self._forward(X) * self.y_scale_ + self.y_mean_
        if getattr(self, "_y_ndim", 2) == 1:
            return out[:, 0]
        return out

    def score(self, X, y, sample_weight=None):
        """The coefficient of determination R² of :meth:`predict` on ``(X, y)``.

        1 for perfect predictions, 0 for always predicting the mean of
        ``y``; for several targets, the mean of their R² (as
        :func:`sklearn.metrics.r2_score` with ``multioutput="uniform_average"``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Their true target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights.

        Returns
        -------
        score : float
            R² of the predictions.
        """
        from sklearn.metrics import r2_score

        predicted = self.predict(X)
        if hasattr(y, "to_numpy"):
            y = y.to_numpy()
        y = np.asarray(y, dtype=np.float64)
        # R² does not change when a column and its predictions are divided by
        # one number: values beyond 1e150 (or below 1e-150) are, so that the
        # sums of squares neither overflow (R² NaN) nor underflow (R² 1)
        rows = y.reshape(len(y), -1) if y.ndim else y
        predicted_rows = predicted.reshape(len(predicted), -1)
        # (other shapes, or values that are not finite: r2_score says what is wrong)
        if rows.shape == predicted_rows.shape and rows.size and np.isfinite(rows).all():
            unit = _extreme_unit(np.maximum(np.abs(rows).max(axis=0),
                                            np.abs(predicted_rows).max(axis=0)))
            if (unit != 1.0).any():
                y = (rows / unit).reshape(y.shape)
                predicted = (predicted_rows / unit).reshape(predicted.shape)
        return float(r2_score(y, predicted, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
