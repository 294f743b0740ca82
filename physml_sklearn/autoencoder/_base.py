"""What the autoencoder and the outlier detector share."""

from numbers import Integral

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._set_output import _SetOutputMixin
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import LRScheduler
from torch import nn

from .._core._base import NeuralEstimator
from .._core._modules import ACTIVATIONS, make_mlp, resolve_dropout
from .._core._validation import (
    as_tensor,
    check_features,
    check_network_output,
    check_sample_weight,
    check_target_array,
)
from ._modules import (
    LOSSES,
    AutoEncoderModule,
    OneCycleSchedule,
    _output_width,
    _user_module,
)


class _AutoEncoderBase(_SetOutputMixin, NeuralEstimator):
    """What the autoencoder and the outlier detector share.

    The network, the losses, encoding, decoding and the per-row
    reconstruction error. A :class:`~sklearn.utils._set_output._SetOutputMixin`,
    so that :meth:`transform`, defined here, follows ``set_output``.
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

    def _after_training(self, X):
        self._n_features_out = self.latent_dim

    # -- encoding and decoding --------------------------------------------
    def _encode(self, X):
        check_is_fitted(self, "net_")
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
        return check_network_output(out.numpy(), Z, name="Z").astype(np.float64)

    def _reconstruction_error(self, X, y=None):
        """Per-row mean of the training loss between the output and the target."""
        check_is_fitted(self, "net_")
        X_checked = check_features(self, X, reset=False)
        return self._errors(X_checked, self._target(X_checked, y))

    def _errors(self, X_checked, target):
        """Per-row reconstruction errors of the validated float32 rows ``X_checked``."""
        output = self.net_.forward_chunks(as_tensor(X_checked)).numpy()
        output = check_network_output(output, X_checked).astype(np.float64)
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
        return self._fit(X, y, sample_weight, partial=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
