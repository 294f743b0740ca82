"""``AutoEncoder``: nonlinear dimensionality reduction and reconstruction."""


import numpy as np
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)

from ._base import _AutoEncoderBase


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
        Epoch whose weights the model holds, numbered from 1 as in ``history_``
        and ``loss_curve_``: the one with the lowest validation loss of the
        last fit with ``early_stopping``, else the last one.
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
    >>> import numpy as np
    >>> from physml_sklearn import AutoEncoder
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> X = load_digits().data[:500] / 16
    >>> ae = AutoEncoder(latent_dim=2, max_epochs=60, random_state=0).fit(X)
    >>> ae.transform(X[:3]).shape
    (3, 2)
    >>> ae.get_feature_names_out()
    array(['autoencoder0', 'autoencoder1'], dtype=object)
    >>> ae.predict(X[:3]).shape
    (3, 64)

    Through two latent values it reconstructs the digits better than PCA with
    two components does (``score`` is minus the mean squared error):

    >>> pca = PCA(n_components=2).fit(X)
    >>> pca_score = -np.mean((X - pca.inverse_transform(pca.transform(X))) ** 2)
    >>> bool(ae.score(X) > pca_score)
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
        return self._fit(X, y, sample_weight)

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
