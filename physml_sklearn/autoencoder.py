"""Autoencoders: nonlinear dimensionality reduction, deblurring and anomaly detection."""

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    OutlierMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, LRScheduler
from torch import nn

from ._core._base import NeuralEstimator
from ._core._modules import ACTIVATIONS, make_mlp, resolve_dropout
from ._core._validation import (
    as_tensor,
    check_features,
    check_sample_weight,
    check_target_array,
)

#: the reconstruction losses, each built with ``reduction="none"``
LOSSES = {
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "huber": nn.HuberLoss,
    "bce": nn.BCELoss,
}


class AutoEncoderModule(nn.Module):
    """An encoder and a decoder run one after the other.

    ``encoder`` maps a batch of rows to latent codes and ``decoder`` maps the
    codes back; the outputs of both are flattened to one row per sample.
    """

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, X):
        return self.decoder(self.encoder(X))


class OneCycleSchedule(Callback):
    """One-cycle learning rate over the epochs of one call to ``fit``.

    Over the first ``warmup`` fraction of the optimizer steps the learning
    rate rises along a half cosine from ``lr / div`` to the net's ``lr``, then
    falls along a half cosine to ``lr / (div * final_div)``. A short warm-up
    lets training start at a high ``lr`` without diverging, and the annealed
    end settles the weights in a minimum. A call that trains for one epoch
    (``partial_fit``) uses the constant ``lr``.
    """

    def __init__(self, warmup=0.3, div=25.0, final_div=1e4):
        self.warmup = warmup
        self.div = div
        self.final_div = final_div

    def on_train_begin(self, net, X=None, **kwargs):
        epochs = getattr(net, "epochs_planned", 1)
        n_batches = math.ceil(len(X) / net.batch_size) if X is not None else 0
        self.total_steps_ = epochs * n_batches if epochs > 1 else 0
        self.step_ = 0
        self._set_lr(net, net.lr)

    def on_batch_begin(self, net, training=False, **kwargs):
        if training and self.total_steps_:
            self._set_lr(net, self.lr_at(net.lr, self.step_ / self.total_steps_))
            self.step_ += 1

    def on_train_end(self, net, **kwargs):
        self._set_lr(net, net.lr)

    def lr_at(self, lr, progress):
        """The learning rate after ``progress`` (in [0, 1]) of the steps."""
        if progress < self.warmup:
            start, end, u = lr / self.div, lr, progress / self.warmup
        else:
            start, end = lr, lr / (self.div * self.final_div)
            u = (progress - self.warmup) / (1.0 - self.warmup)
        return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * u))

    @staticmethod
    def _set_lr(net, lr):
        for group in net.optimizer_.param_groups:
            group["lr"] = lr


def _user_module(spec, name):
    """A fresh :class:`torch.nn.Module` from the ``encoder`` / ``decoder`` parameter.

    An instance is deep-copied (the caller's module is never trained); a
    class, or any callable returning a module, is called without arguments.
    """
    if isinstance(spec, nn.Module):
        return copy.deepcopy(spec)
    try:
        module = spec()
    except TypeError as exc:
        raise ValueError(
            f"`{name}`={spec!r} could not be called without arguments ({exc}). Pass a "
            "torch.nn.Module instance, or a class or factory (e.g. functools.partial) "
            "that builds one without arguments."
        ) from exc
    if not isinstance(module, nn.Module):
        raise ValueError(
            f"`{name}`={spec!r} returned {type(module).__name__}, not a torch.nn.Module."
        )
    return module


def _output_width(module, n_inputs, name, expected, fix):
    """Run a 2-row batch of zeros through ``module``; check its output width."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            out = module(torch.zeros(2, n_inputs))
    except RuntimeError as exc:
        raise ValueError(
            f"The `{name}` module failed on a batch of shape (2, {n_inputs}): {exc}"
        ) from exc
    finally:
        module.train(was_training)
    width = int(np.prod(out.shape[1:]))
    if out.shape[0] != 2 or width != expected:
        raise ValueError(
            f"The `{name}` module maps a batch of shape (2, {n_inputs}) to "
            f"{tuple(out.shape)}, but {expected} values per row are needed; {fix}"
        )


class _AutoEncoderBase(NeuralEstimator):
    """What the autoencoder and the outlier detector share.

    The network, the losses, encoding, decoding and the per-row
    reconstruction error.
    """

    _parameter_constraints: dict = {
        **NeuralEstimator._parameter_constraints,
        "encoder_layers": ["array-like", Integral],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "decoder_layers": ["array-like", Integral, None],
        "loss": [StrOptions(set(LOSSES))],
        "output_activation": [StrOptions(set(ACTIVATIONS)), None],
        "encoder": [nn.Module, callable, None],
        "decoder": [nn.Module, callable, None],
    }

    # -- architecture -----------------------------------------------------
    @staticmethod
    def _layer_sizes(value, name):
        sizes = [value] if isinstance(value, Integral) else list(value)
        if any(not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(
                f"`{name}` must hold positive integers (the width of each hidden "
                f"layer); got {value!r}."
            )
        return [int(s) for s in sizes]

    def _encoder_sizes(self):
        return self._layer_sizes(self.encoder_layers, "encoder_layers")

    def _decoder_sizes(self):
        if self.decoder_layers is None:
            return self._encoder_sizes()[::-1]
        return self._layer_sizes(self.decoder_layers, "decoder_layers")

    def _dropout_rates(self):
        """Dropout of the built encoder's and decoder's hidden layers."""
        n_enc = 0 if self.encoder is not None else len(self._encoder_sizes())
        n_dec = 0 if self.decoder is not None else len(self._decoder_sizes())
        rates = resolve_dropout(self.dropout, n_enc + n_dec)
        return rates[:n_enc], rates[n_enc:]

    def _build_module(self, n_features, target):
        n_outputs = n_features if target is None else target.shape[1]
        enc_rates, dec_rates = self._dropout_rates()
        if self.encoder is None:
            encoder = make_mlp(
                n_features,
                self._encoder_sizes(),
                self.latent_dim,
                activation=self.activation,
                kernel_initializer=self.kernel_initializer,
                dropout=enc_rates,
            )
        else:
            encoder = nn.Sequential(_user_module(self.encoder, "encoder"), nn.Flatten())
            _output_width(
                encoder, n_features, "encoder", self.latent_dim,
                f"set latent_dim to the encoder's output width (latent_dim="
                f"{self.latent_dim} now) or change the encoder.",
            )
        if self.decoder is None:
            decoder = make_mlp(
                self.latent_dim,
                self._decoder_sizes(),
                n_outputs,
                activation=self.activation,
                kernel_initializer=self.kernel_initializer,
                dropout=dec_rates,
                output_activation=self.output_activation,
            )
        else:
            parts = [_user_module(self.decoder, "decoder"), nn.Flatten()]
            if self.output_activation is not None:
                parts.append(ACTIVATIONS[self.output_activation]())
            decoder = nn.Sequential(*parts)
            _output_width(
                decoder, self.latent_dim, "decoder", n_outputs,
                f"the decoder must output one value per target column ({n_outputs}).",
            )
        return AutoEncoderModule(encoder, decoder)

    def _build_criterion(self):
        return LOSSES[self.loss](reduction="none")

    def _training_callbacks(self):
        callbacks = super()._training_callbacks()
        if not any(isinstance(cb, LRScheduler) for _, cb in callbacks):
            callbacks.insert(0, ("lr_schedule", OneCycleSchedule()))
        return callbacks

    # -- data -------------------------------------------------------------
    def _check_loss_setup(self):
        if self.loss == "bce" and self.decoder is None and self.output_activation != "sigmoid":
            raise ValueError(
                f"loss='bce' needs outputs in [0, 1], but output_activation="
                f"{self.output_activation!r}; set output_activation='sigmoid' or "
                "choose another loss ('mse', 'l1', 'huber')."
            )

    def _check_bce_target(self, target, name):
        if self.loss != "bce":
            return
        low, high = float(np.min(target)), float(np.max(target))
        if low < 0 or high > 1:
            raise ValueError(
                f"loss='bce' needs targets in [0, 1], but {name} ranges from {low:g} "
                f"to {high:g}; scale it into [0, 1] (e.g. with MinMaxScaler) or use "
                "loss='mse'."
            )

    def _target(self, X, y):
        """The training target: ``y`` when it is a 2-D array, else None (``X``)."""
        if y is None or np.asarray(y).ndim < 2:
            return None
        return check_target_array(y, X.shape[0])

    def _prepare_fit_data(self, X, y, sample_weight, *, reset):
        self._check_loss_setup()
        X = check_features(self, X, reset=reset)
        target = self._target(X, y)
        width = X.shape[1] if target is None else target.shape[1]
        if not reset and width != self.n_outputs_:
            source = "X" if target is None else "y"
            raise ValueError(
                f"The network outputs {self.n_outputs_} values per row but the target "
                f"({source}) has {width} columns; continue training with a target of "
                f"{self.n_outputs_} columns, or refit without warm_start."
            )
        self._check_bce_target(X if target is None else target, "X" if target is None else "y")
        weight = check_sample_weight(sample_weight, X.shape[0])
        if reset:
            self.n_outputs_ = width
        return X, target, weight, None

    def _after_fit(self):
        self._n_features_out = self.latent_dim

    # -- encoding and decoding --------------------------------------------
    def _encode(self, X):
        return self._forward(X, module=self.net_.module_.encoder)

    def _decode(self, Z):
        check_is_fitted(self, "net_")
        Z = check_array(Z, dtype=np.float32, order="C", input_name="Z")
        if Z.shape[1] != self.latent_dim:
            raise ValueError(
                f"Z has {Z.shape[1]} columns but the latent space of this "
                f"{type(self).__name__} has latent_dim={self.latent_dim}; pass codes "
                "from transform."
            )
        out = self.net_.forward_chunks(as_tensor(Z), module=self.net_.module_.decoder)
        return out.numpy().astype(np.float64)

    def _reconstruction_error(self, X, y=None):
        """Per-row mean of the training loss between the output and the target."""
        check_is_fitted(self, "net_")
        X_checked = check_features(self, X, reset=False)
        output = self.net_.forward_chunks(as_tensor(X_checked)).numpy().astype(np.float64)
        target = self._target(X_checked, y)
        source = "X" if target is None else "y"
        if target is None:
            target = X_checked
        if target.shape[1] != output.shape[1]:
            raise ValueError(
                f"The network outputs {output.shape[1]} values per row but {source} has "
                f"{target.shape[1]} columns"
                + (
                    "; this model was trained on a target y of another width, pass y."
                    if source == "X"
                    else "."
                )
            )
        per_element = self._build_criterion()(
            torch.from_numpy(output), torch.from_numpy(target.astype(np.float64))
        )
        return per_element.mean(dim=1).numpy()

    def score_samples(self, X):
        """Minus the reconstruction error of each row: higher means more typical.

        The error is the training loss (``loss``) averaged over the row's
        output values, with ``X`` itself as the target.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus the per-row reconstruction error.
        """
        return -self._reconstruction_error(X)

    def transform(self, X):
        """Encode ``X`` into the latent space.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            Latent codes.
        """
        return self._encode(X)

    def inverse_transform(self, Z):
        """Decode latent codes back into the space of the target.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. from :meth:`transform`.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, `n_outputs_`)
            Decoded rows.
        """
        return self._decode(Z)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch on ``X``, keeping what was learned before.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of training rows.
        y : array-like of shape (n_samples, n_outputs), default=None
            Target rows; None trains to reproduce ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's loss term.

        Returns
        -------
        self : object
            The estimator.
        """
        self._fit(X, y, sample_weight, partial=True)
        self._after_fit()
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags



class AutoEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _AutoEncoderBase):
    """Autoencoder: nonlinear dimensionality reduction and reconstruction.

    An encoder network maps each row to a low-dimensional latent code and a
    decoder maps the code back; both are trained together to make the output
    match the target, by default the input itself. As a transformer it
    gives the latent codes (:meth:`transform`), for plots or as features for
    another estimator in a :class:`~sklearn.pipeline.Pipeline`; given a
    target ``y`` (e.g. blurred images in, clean images out) it learns to
    restore the input (:meth:`predict`).

    By default the encoder and decoder are fully connected networks built
    from ``encoder_layers`` and ``decoder_layers``; ``encoder`` and
    ``decoder`` replace either with any :class:`torch.nn.Module`, e.g. a
    convolutional network for images. Training uses a one-cycle learning
    rate schedule over the ``max_epochs`` of each call to :meth:`fit`:
    a warm-up to ``lr`` over the first 30 % of the steps, then a cosine
    decay to almost zero (see :ref:`autoencoder` in the user guide). Passing
    a :class:`skorch.callbacks.LRScheduler` in ``callbacks`` replaces it;
    :meth:`partial_fit` trains at the constant ``lr``.

    Parameters
    ----------
    encoder_layers : tuple of int, default=(64, 32)
        Width of each hidden layer of the encoder, from the input to the
        latent space (which is not listed). Ignored when ``encoder`` is given.
    latent_dim : int, default=2
        Dimension of the latent space: the width of the encoder's output and
        of the decoder's input, and the number of columns of
        :meth:`transform`.
    decoder_layers : tuple of int, default=None
        Width of each hidden layer of the decoder, from the latent space to
        the output. None mirrors the encoder (``encoder_layers`` reversed);
        the decoder may have another depth and width than the encoder.
        Ignored when ``decoder`` is given.
    loss : {"mse", "l1", "huber", "bce"}, default="mse"
        Reconstruction loss, averaged over the output values: mean squared
        error, mean absolute error, Huber loss (quadratic below 1, linear
        above) or binary cross-entropy. ``"bce"`` needs targets in [0, 1] and
        outputs in [0, 1]: use it with ``output_activation="sigmoid"``.
    output_activation : {"sigmoid", "tanh", "relu", ...} or None, default=None
        Activation after the decoder's last layer; None leaves the output
        linear. ``"sigmoid"`` bounds the output to [0, 1], e.g. for pixels.
    encoder : torch.nn.Module instance or class, default=None
        A custom encoder instead of the fully connected one. It must map a
        float32 batch of shape (n, n_features) to (n, latent_dim) (other
        output shapes are flattened per row). A class (or any callable that
        builds a module) is called without arguments at each fit, under the
        seed of ``random_state``; an instance is deep-copied, so its current
        weights are the starting point and it is never trained in place.
    decoder : torch.nn.Module instance or class, default=None
        A custom decoder instead of the fully connected one, mapping
        (n, latent_dim) to (n, n_outputs) (other output shapes are flattened
        per row), followed by ``output_activation`` when one is set.
    activation, kernel_initializer, dropout, optimizer, lr, weight_decay, \
batch_size, max_epochs, early_stopping, validation_fraction, patience, tol, \
callbacks, device, random_state, verbose, warm_start
        The parameters every neural estimator shares, described in the user
        guide (:ref:`shared_parameters`). ``dropout`` applies to the hidden
        layers of the built encoder and decoder (one value each, encoder
        first, when a sequence is given). The defaults are
        those of every estimator (``activation="relu"``,
        ``kernel_initializer="he_normal"``, ``dropout=0.0``,
        ``optimizer="adam"``, ``weight_decay=0.0``, ``max_epochs=100``,
        ``early_stopping=False``, ``validation_fraction=0.1``,
        ``patience=10``, ``tol=1e-4``, ``callbacks=None``, ``device="cpu"``,
        ``random_state=None``, ``verbose=0``, ``warm_start=False``) except
        ``lr=1e-2`` (the peak of the one-cycle schedule) and
        ``batch_size=64``, which reach a good reconstruction on data sets of
        a few thousand rows within the default 100 epochs.

    Attributes
    ----------
    n_outputs_ : int
        Number of output values per row: the number of columns of the
        target (``n_features_in_`` when trained to reproduce ``X``).
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_.encoder`` and
        ``net_.module_.decoder`` are the two halves.
    history_ : skorch.History
        Its training history.
    loss_curve_ : list of float
        Training loss per epoch.
    validation_loss_curve_ : list of float
        Validation loss per epoch (empty without ``early_stopping``).
    best_epoch_ : int
        Epoch (from 1) whose weights the model holds: the one with the lowest
        validation loss with ``early_stopping``, else the last one.
    n_iter_ : int
        Number of epochs trained.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame.

    See Also
    --------
    AutoEncoderOutlierDetector : The same network as an outlier detector.
    sklearn.decomposition.PCA : The linear counterpart, and the baseline.

    Notes
    -----
    The network computes in float32 and returns float64 arrays. To deblur or
    denoise, fit with the degraded rows as ``X`` and the clean rows as
    ``y``; then :meth:`predict` restores degraded rows. A noise-free blur is
    an invertible linear map, which a linear model such as
    :class:`~sklearn.linear_model.Ridge` inverts almost exactly; the
    autoencoder's bottleneck earns its keep when the input is also noisy,
    since it keeps the restored images on the manifold of clean ones.

    Examples
    --------
    >>> from physml_sklearn import AutoEncoder
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data[:500] / 16
    >>> ae = AutoEncoder(latent_dim=2, max_epochs=10, random_state=0).fit(X)
    >>> ae.transform(X[:3]).shape
    (3, 2)
    >>> ae.get_feature_names_out()
    array(['autoencoder0', 'autoencoder1'], dtype=object)
    >>> ae.predict(X[:3]).shape
    (3, 64)
    >>> bool(ae.score(X) > -0.1)
    True
    """

    _parameter_constraints: dict = {**_AutoEncoderBase._parameter_constraints}

    def __init__(
        self,
        encoder_layers=(64, 32),
        latent_dim=2,
        decoder_layers=None,
        *,
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder to map ``X`` to ``y`` (or to ``X`` itself).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training rows (the input).
        y : array-like of shape (n_samples, n_outputs), default=None
            Target rows, e.g. the clean images when ``X`` holds blurred ones;
            usually of the shape of ``X``. None (or a 1-D array, such as the
            class labels a :class:`~sklearn.pipeline.Pipeline` passes on)
            trains the network to reproduce ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's loss term; negative weights are allowed.

        Returns
        -------
        self : object
            The fitted autoencoder.
        """
        self._fit(X, y, sample_weight)
        self._after_fit()
        return self

    def predict(self, X):
        """Reconstruct ``X``: encode, then decode.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to reconstruct (or to restore, when trained with a target).

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, `n_outputs_`)
            The network's output.
        """
        return self._forward(X)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`: minus the mean reconstruction error.

        Higher is better, so :class:`~sklearn.model_selection.GridSearchCV`
        can tune an autoencoder without a ``scoring``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Input rows.
        y : array-like of shape (n_samples, n_outputs), default=None
            Target rows to compare the output with; None (or 1-D labels)
            compares with ``X``.

        Returns
        -------
        score : float
            Minus the mean per-row reconstruction error.
        """
        return float(-np.mean(self._reconstruction_error(X, y)))


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
    loss, output_activation, encoder, decoder
        As in :class:`AutoEncoder`; ``loss`` also defines the error that is
        scored.
    activation, kernel_initializer, dropout, optimizer, lr, weight_decay, \
batch_size, max_epochs, early_stopping, validation_fraction, patience, tol, \
callbacks, device, random_state, verbose, warm_start
        The shared parameters, with the defaults of :class:`AutoEncoder`.

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
        Number of epochs trained.
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

    def _set_offset(self, X):
        """Set ``offset_`` from the scores of the training rows ``X``."""
        scores = self.score_samples(X)
        if self.contamination == "auto":
            errors = -scores
            q1, q3 = np.percentile(errors, [25.0, 75.0])
            self.offset_ = float(-(q3 + 1.5 * (q3 - q1)))
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))

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
        self._fit(X, None, sample_weight)
        self._after_fit()
        self._set_offset(X)
        return self

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
        self._fit(X, None, sample_weight, partial=True)
        self._after_fit()
        self._set_offset(X)
        return self

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
