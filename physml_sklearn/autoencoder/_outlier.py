"""``AutoEncoderOutlierDetector``: anomaly detection by reconstruction error."""

from numbers import Real

import numpy as np
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    OutlierMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._core._net import DivergedError
from ._base import _AutoEncoderBase


class AutoEncoderOutlierDetector(
    OutlierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _AutoEncoderBase
):
    """Outlier detection by reconstruction error.

    An autoencoder (see :class:`AutoEncoder`) is trained to reproduce the
    training rows through a narrow latent space, so it learns what typical
    rows look like; a row it reconstructs badly is unlike the training data.
    The interface is that of :class:`~sklearn.ensemble.IsolationForest`:
    :meth:`score_samples` is minus the reconstruction error,
    :meth:`decision_function` subtracts the threshold ``offset_`` (negative
    means outlier) and :meth:`predict` returns +1 for inliers and -1 for
    outliers.

    Parameters
    ----------
    encoder_layers : tuple of int, default=(64, 32)
        Width of each hidden layer of the encoder. Ignored when ``encoder``
        is given.
    latent_dim : int, default=2
        Dimension of the latent space. A narrow bottleneck makes the network
        learn the structure of typical rows rather than copy any row.
    decoder_layers : tuple of int, default=None
        Width of each hidden layer of the decoder; None mirrors the encoder.
    contamination : "auto" or float, default="auto"
        How the threshold ``offset_`` is set from the reconstruction errors
        of the training rows. A float in (0, 0.5] is the expected fraction
        of outliers in the training data: that fraction of the training
        rows, those with the largest errors, is flagged. ``"auto"`` uses
        Tukey's boxplot rule: a row is an outlier when its error exceeds
        ``Q3 + 1.5 * (Q3 - Q1)``, where Q1 and Q3 are the quartiles of the
        training errors. The rule is robust (the outliers do not move the
        quartiles) and flags only a few per cent of the rows of a clean
        training set. :class:`~sklearn.ensemble.IsolationForest`'s
        ``offset_ = -0.5`` does not transfer: reconstruction errors have no
        fixed scale.
    loss : {"mse", "l1", "huber", "bce"}, default="mse"
        Reconstruction loss, averaged over the output values: mean squared
        error, mean absolute error, Huber loss or binary cross-entropy. It is
        both what the network is trained on and the error that
        :meth:`score_samples` reports, so ``"huber"`` or ``"l1"`` make the
        training less sensitive to the outliers it is meant to find.
    output_activation : {"sigmoid", "tanh", "relu", ...} or None, default=None
        Activation after the decoder's last layer; None leaves the output
        linear. ``"sigmoid"`` bounds the output to [0, 1], e.g. for pixels.
    encoder : torch.nn.Module instance or class, default=None
        A custom encoder instead of the fully connected one, mapping
        (n, n_features) to (n, latent_dim); see :class:`AutoEncoder`.
    decoder : torch.nn.Module instance or class, default=None
        A custom decoder instead of the fully connected one, mapping
        (n, latent_dim) to (n, n_features).
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"}, default="relu"
        Activation function after every hidden layer of the built encoder and decoder.
    kernel_initializer : {"he_normal", "he_uniform", "glorot_normal", \
"glorot_uniform", "torch"}, default="he_normal"
        How the weights are drawn before training: He (scaled for ReLU-like
        activations) or Glorot (scaled for tanh and sigmoid), normal or uniform,
        with the biases at zero; ``"torch"`` keeps PyTorch's own default.
    dropout : float or tuple of float, default=0.0
        Dropout probability after every hidden layer of the built encoder and
        decoder, in [0, 1), or a sequence with one value per hidden layer
        (encoder first).
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or type, default="adam"
        The optimizer: Adam, AdamW, SGD with momentum 0.9 or RMSprop, or a
        subclass of :class:`torch.optim.Optimizer` (built with ``lr`` and
        ``weight_decay``).
    lr : float, default=1e-2
        Learning rate: the peak of the one-cycle schedule. With ``1e-2`` (the
        classifiers use ``1e-3``) and ``batch_size=64`` the network reaches a
        good reconstruction of a few thousand rows within 100 epochs.
    weight_decay : float, default=0.0
        L2 penalty on the weights, passed to the optimizer.
    batch_size : int, default=64
        Rows per mini-batch, i.e. per optimizer step (see ``lr`` for why 64).
    max_epochs : int, default=100
        Upper bound on the number of passes over the training data; the number
        itself with ``early_stopping=False``.
    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the data, stop after
        ``patience`` epochs without an improvement of the validation loss by
        ``tol``, and restore the weights of the best epoch.
    validation_fraction : float, default=0.1
        Fraction of the data held out as the validation set when
        ``early_stopping=True``; it also fills ``validation_loss_curve_``.
    patience : int, default=10
        Epochs in a row without improvement of the validation loss before the
        training stops (with ``early_stopping=True``).
    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as an improvement.
    callbacks : list or None, default=None
        Extra skorch callbacks (e.g. :class:`skorch.callbacks.Checkpoint`), as
        callbacks or ``(name, callback)`` pairs; they are copied at each fit.
    device : str, default="cpu"
        Torch device to train and predict on (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ``"mps"`` ...); ``"auto"`` picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling of the mini-batches,
        dropout and the validation split; the same int gives bit-identical
        results on the CPU for the same data and torch thread count, whatever
        the load of the machine (see the user guide's thread policy).
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per fit (tqdm) with the latest
        training and validation losses.
    warm_start : bool, default=False
        Whether a new call to :meth:`fit` continues from the weights of the
        previous fit instead of starting again.

    Attributes
    ----------
    offset_ : float
        Threshold on :meth:`score_samples`: rows that score below it are
        outliers (``decision_function = score_samples - offset_``).
    n_outputs_ : int
        Number of output values per row (``n_features_in_``).
    net_ : skorch.NeuralNet
        The trained skorch net.
    history_ : skorch.History
        Its training history.
    loss_curve_ : list of float
        Training loss per epoch.
    validation_loss_curve_ : list of float
        Validation loss per epoch (empty without ``early_stopping``).
    best_epoch_ : int
        Epoch (from 1) whose weights the model holds.
    n_iter_ : int
        Number of epochs trained by the last call to ``fit`` or
        ``partial_fit`` (1 for ``partial_fit``), as in scikit-learn; ``history_``
        and ``loss_curve_`` hold every epoch since the network was built.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame.

    See Also
    --------
    AutoEncoder : The autoencoder as a transformer.
    sklearn.ensemble.IsolationForest : The baseline outlier detector.

    Notes
    -----
    Scale the features first (e.g. with
    :class:`~sklearn.preprocessing.StandardScaler` in a pipeline): the error
    sums over the features, so one in GeV would drown the others.
    Reconstruction errors measure how hard a row is to compress, not only
    how rare it is: a detector trained on simple rows flags complex ones
    readily, while one trained on complex rows may reconstruct simple
    anomalies well and miss them.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn import AutoEncoderOutlierDetector
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data[:500] / 16
    >>> det = AutoEncoderOutlierDetector(latent_dim=4, contamination=0.1,
    ...                                  max_epochs=10, random_state=0)
    >>> labels = det.fit_predict(X)
    >>> sorted(np.unique(labels).tolist())
    [-1, 1]
    >>> round(float(np.mean(labels == -1)), 2)
    0.1
    """

    _parameter_constraints: dict = {
        **_AutoEncoderBase._parameter_constraints,
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
    }

    def __init__(
        self,
        encoder_layers=(64, 32),
        latent_dim=2,
        decoder_layers=None,
        *,
        contamination="auto",
        loss="mse",
        output_activation=None,
        encoder=None,
        decoder=None,
        activation="relu",
        kernel_initializer="he_normal",
        dropout=0.0,
        optimizer="adam",
        lr=1e-2,
        weight_decay=0.0,
        batch_size=64,
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
        self.encoder_layers = encoder_layers
        self.latent_dim = latent_dim
        self.decoder_layers = decoder_layers
        self.contamination = contamination
        self.loss = loss
        self.output_activation = output_activation
        self.encoder = encoder
        self.decoder = decoder
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.dropout = dropout
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

    def _target(self, X, y):
        # an outlier detector reconstructs its input; y is ignored
        return None

    def _after_training(self, X):
        """Set ``offset_`` from the errors of the (validated) training rows ``X``."""
        super()._after_training(X)
        try:
            scores = -self._errors(X, None)
        except ValueError as exc:  # the output overflows on the training rows
            raise DivergedError(
                f"The detector cannot set its threshold offset_: {exc}"
            ) from exc
        if self.contamination == "auto":
            errors = -scores
            q1, q3 = np.percentile(errors, [25.0, 75.0])
            offset = float(-(q3 + 1.5 * (q3 - q1)))
        else:
            offset = float(np.percentile(scores, 100.0 * self.contamination))
        if not np.isfinite(offset):
            raise DivergedError(
                f"Training diverged: the threshold offset_ became {offset} (the "
                "reconstruction errors of the training rows overflow). Lower the "
                f"learning rate (lr={self.lr:g} now) and standardise the inputs "
                "(e.g. with StandardScaler in a Pipeline)."
            )
        self.offset_ = offset

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder on ``X`` and set the threshold ``offset_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training rows, mostly (or only) inliers.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's loss term in training. The threshold is
            set from the unweighted training errors.

        Returns
        -------
        self : object
            The fitted detector.
        """
        return self._fit(X, None, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch on ``X`` and reset ``offset_`` from this chunk.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of training rows.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's loss term.

        Returns
        -------
        self : object
            The detector.
        """
        return self._fit(X, None, sample_weight, partial=True)

    def decision_function(self, X):
        """Score minus threshold: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        check_is_fitted(self, "offset_")
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each row: +1 for an inlier, -1 for an outlier.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 where ``decision_function(X) >= 0``, else -1.
        """
        decision = self.decision_function(X)
        labels = np.ones(decision.shape[0], dtype=int)
        labels[decision < 0] = -1
        return labels
