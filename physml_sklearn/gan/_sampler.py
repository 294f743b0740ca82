"""``GANSampler``: learn a distribution, then sample from it."""

from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._core._base import NeuralEstimator, resolve_device, resolve_optimizer
from .._core._modules import make_mlp, seed_from, torch_generator
from .._core._validation import check_features, check_sample_weight
from ..metrics import energy_distance
from ._losses import BCEGANLoss, WassersteinGPLoss
from ._net import GANNet, HoldThenAnneal, SampleSnapshots

#: Adam's (beta1, beta2) for both networks: a short memory of past gradients,
#: as GANs need (Radford et al. 2015, Gulrajani et al. 2017)
ADAM_BETAS = (0.5, 0.9)
#: ``score`` compares at most this many rows, drawn with ``SCORE_SEED``
SCORE_ROWS = 5000
SCORE_SEED = 0
#: networks up to this width train and sample on one CPU thread
ONE_THREAD_WIDTH = 256


@contextmanager
def _torch_threads(n_threads):
    """Run the block with ``n_threads`` torch threads (None: leave them alone)."""
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _layer_sizes(value, name):
    sizes = [value] if isinstance(value, Integral) else list(value)
    if any(not isinstance(s, Integral) or s < 1 for s in sizes):
        raise ValueError(
            f"`{name}` must hold positive integers (the width of each hidden "
            f"layer); got {value!r}."
        )
    return [int(s) for s in sizes]


class GANSampler(NeuralEstimator):
    """Generative adversarial network: learn the distribution of rows, then sample.

    A generator network turns random latent vectors into rows; a
    discriminator network is trained to tell them from the training rows,
    and the generator to fool it. The two are updated in turn, one
    generator step after every ``n_critic`` discriminator steps, until the
    generated rows cannot be told from the real ones. Both networks are
    built and trained inside one skorch net (``net_``, a :class:`GANNet`).
    The columns of ``X`` are standardised internally and :meth:`sample`
    returns rows in the original units. See :ref:`gans` in the user guide.

    Parameters
    ----------
    latent_dim : int, default=5
        Dimension of the generator's input, standard normal random vectors.
    generator_layers : tuple of int, default=(32, 32)
        Width of each hidden layer of the generator.
    discriminator_layers : tuple of int, default=(32, 32)
        Width of each hidden layer of the discriminator.
    loss : {"bce", "wgan-gp"}, default="bce"
        ``"bce"``: the classic GAN, a discriminator trained with binary
        cross-entropy and the non-saturating generator loss.
        ``"wgan-gp"``: Wasserstein GAN whose critic is kept 1-Lipschitz by a
        gradient penalty (weight 0.1 on the standardised data); give it
        several critic steps, ``n_critic=5``.
    n_critic : int, default=1
        Discriminator steps per generator step.
    lr_generator : float, default=1e-3
        Learning rate of the generator's optimizer.
    lr_discriminator : float, default=1e-3
        Learning rate of the discriminator's optimizer.
    snapshot_epochs : list of int, default=None
        Epochs (counted from 1 over all fits of a warm start) at whose end
        rows are generated and kept in ``snapshots_``, to watch the
        distribution form. An epoch beyond the last one of a call to
        :meth:`fit` raises an error; :meth:`partial_fit` takes those it reaches.
    activation, kernel_initializer, dropout, optimizer, lr, weight_decay, \
batch_size, max_epochs, early_stopping, validation_fraction, patience, tol, \
callbacks, device, random_state, verbose, warm_start
        The parameters every neural estimator shares, described in the user
        guide (:ref:`shared_parameters`), with the defaults of its table.
        For a GAN: ``activation`` and ``kernel_initializer`` apply to both
        networks, ``dropout`` to the discriminator's hidden layers only, and
        ``optimizer`` and ``weight_decay`` to both optimizers. ``lr`` is not
        used, since each network has its own learning rate: a value other
        than its default ``1e-3`` raises an error that points to
        ``lr_generator`` and ``lr_discriminator``. ``batch_size`` is the
        number of real rows per discriminator step (each step generates
        four times as many rows); an epoch is one pass of the discriminator over the
        training rows, so it makes ``ceil(n_samples / batch_size) /
        n_critic`` generator updates. ``early_stopping=True`` raises an
        error: a GAN's losses measure the balance of the two networks, not
        the quality of the samples, so there is no validation loss to stop
        on (``validation_fraction``, ``patience`` and ``tol`` are unused).

    Attributes
    ----------
    net_ : GANNet
        The trained skorch net: ``net_.module_`` is the generator,
        ``net_.discriminator_`` the discriminator and
        ``net_.generator_average_`` the averaged generator that samples.
    history_ : skorch.History
        Its training history; each epoch holds ``generator_loss`` and
        ``discriminator_loss`` (means over the epoch's steps).
    loss_curve_ : list of float
        Discriminator loss per epoch.
    discriminator_loss_curve_ : list of float
        The same, under its own name.
    generator_loss_curve_ : list of float
        Generator loss per epoch (NaN for an epoch without a generator step).
    validation_loss_curve_ : list of float
        Always empty: a GAN has no validation loss.
    best_epoch_ : int
        The last epoch.
    n_iter_ : int
        Number of epochs trained.
    n_generator_updates_ : int
        Number of generator steps made.
    snapshots_ : dict of int to ndarray of shape (n_rows, `n_features_in_`)
        Rows generated at the end of each of ``snapshot_epochs``, in the
        original units, from the same latent points at every epoch; empty
        without ``snapshot_epochs``.
    mean_ : ndarray of shape (`n_features_in_`,)
        Mean of each column of the training rows, removed before training.
    scale_ : ndarray of shape (`n_features_in_`,)
        Standard deviation of each column (1 for a constant column), divided
        out before training.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame.

    See Also
    --------
    physml_sklearn.plotting.GANSamplesDisplay : Real and generated rows, per snapshot.
    physml_sklearn.metrics.classifier_two_sample_auc : Judge the samples.
    sklearn.neighbors.KernelDensity : The classic density estimate, which
        also samples; a strong baseline in a few dimensions.

    Notes
    -----
    Training choices, all internal: Adam (and AdamW) run with betas
    (0.5, 0.9); each discriminator step sees ``batch_size`` real rows and
    four times as many generated ones, and each generator step generates as
    many; the learning rates are held for the first 70 % of the steps of each
    call to ``fit`` and then cosine-annealed to zero (constant in
    ``partial_fit``); :meth:`sample` uses an exponential moving average of
    the generator weights (decay 0.99), which smooths the jitter of the last
    steps; the latent vectors are standard normal; the gradient penalty of
    ``"wgan-gp"`` has weight 0.1, not the usual 10, which on standardised
    two-dimensional shapes held the critic so flat that the samples stayed
    a blur (median distance to the cubic 0.02-0.04 instead of 0.003).

    The defaults (two hidden layers of 32 units, ReLU, learning rates 1e-3)
    are a cautious choice. On ``make_cubic(2000)``, 1,000 generator updates put the samples
    on the curve (median distance 0.002) but not yet with the right density
    along it; with ``activation="gelu"`` (a smooth curve wants a smooth
    generator) and ``lr_generator=lr_discriminator=1e-2``, the same 1,000
    updates give samples that a gradient-boosting classifier tells from
    fresh true points with a ROC AUC of about 0.62, as well as a tuned
    :class:`~sklearn.neighbors.KernelDensity`. ``benchmarks/bench_gan.py``
    measures both.

    On the CPU, networks whose hidden layers have at most 256 units train
    and sample on one torch thread (the setting is restored afterwards):
    their steps are too small to share between threads, and the
    synchronisation made the default GAN 10 to 90 times slower on two cores.

    :meth:`score` is minus the energy distance between the given rows and as
    many generated rows, both standardised with ``mean_`` and ``scale_`` (so
    that every feature counts alike), from a fixed seed: the same model
    gives the same score.

    Examples
    --------
    >>> from physml_sklearn import GANSampler
    >>> from physml_sklearn.datasets import make_cubic
    >>> X = make_cubic(1000, random_state=0)
    >>> gan = GANSampler(max_epochs=20, snapshot_epochs=[10, 20], random_state=0)
    >>> gan.fit(X).sample(5, random_state=0).shape
    (5, 2)
    >>> sorted(gan.snapshots_)
    [10, 20]
    >>> gan.n_generator_updates_
    80
    >>> bool(gan.score(make_cubic(500, random_state=1)) < 0)
    True
    """

    _parameter_constraints: dict = {
        **NeuralEstimator._parameter_constraints,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "generator_layers": ["array-like", Integral],
        "discriminator_layers": ["array-like", Integral],
        "loss": [StrOptions({"bce", "wgan-gp"})],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "lr_generator": [Interval(Real, 0, None, closed="neither")],
        "lr_discriminator": [Interval(Real, 0, None, closed="neither")],
        "snapshot_epochs": ["array-like", Integral, None],
    }

    _net_class = GANNet

    def __init__(
        self,
        latent_dim=5,
        generator_layers=(32, 32),
        discriminator_layers=(32, 32),
        *,
        loss="bce",
        n_critic=1,
        lr_generator=1e-3,
        lr_discriminator=1e-3,
        snapshot_epochs=None,
        activation="relu",
        kernel_initializer="he_normal",
        dropout=0.0,
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
        self.latent_dim = latent_dim
        self.generator_layers = generator_layers
        self.discriminator_layers = discriminator_layers
        self.loss = loss
        self.n_critic = n_critic
        self.lr_generator = lr_generator
        self.lr_discriminator = lr_discriminator
        self.snapshot_epochs = snapshot_epochs
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

    # -- hooks of the core ------------------------------------------------
    def _prepare_fit_data(self, X, y, sample_weight, *, reset):
        X = check_features(self, X, reset=reset, dtype=np.float64)
        weight = check_sample_weight(sample_weight, X.shape[0])
        if reset:
            with np.errstate(over="ignore", invalid="ignore"):
                mean, scale = X.mean(axis=0), X.std(axis=0)
            if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
                raise ValueError(
                    f"X holds values up to {np.abs(X).max():.3g}, too large for their "
                    "mean and spread to be computed (they overflow float64); scale the "
                    "inputs (e.g. change their units)."
                )
            scale[~(scale > 0)] = 1.0
            self.mean_, self.scale_ = mean, scale
        X = np.ascontiguousarray((X - self.mean_) / self.scale_, dtype=np.float32)
        return X, None, weight, None

    def _build_module(self, n_features, target):
        return make_mlp(
            self.latent_dim,
            _layer_sizes(self.generator_layers, "generator_layers"),
            n_features,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
        )

    def _build_criterion(self):
        return WassersteinGPLoss() if self.loss == "wgan-gp" else BCEGANLoss()

    def _net_kwargs(self):
        _, optimizer_kwargs = resolve_optimizer(self.optimizer, resolve_device(self.device))
        if self.optimizer in ("adam", "adamw"):
            optimizer_kwargs["betas"] = ADAM_BETAS
        if self.weight_decay:
            optimizer_kwargs["weight_decay"] = self.weight_decay
        kwargs = {}
        for prefix, lr in (("optimizer", self.lr_generator),
                           ("optimizer_discriminator", self.lr_discriminator)):
            kwargs.update({f"{prefix}__{k}": v for k, v in optimizer_kwargs.items()})
            kwargs[f"{prefix}__lr"] = lr
        discriminator = make_mlp(
            self.n_features_in_,
            _layer_sizes(self.discriminator_layers, "discriminator_layers"),
            1,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            dropout=self.dropout,
        )
        return {
            **kwargs,
            "discriminator": discriminator,
            "latent_dim": self.latent_dim,
            "n_critic": self.n_critic,
        }

    def _training_callbacks(self):
        callbacks = super()._training_callbacks()
        callbacks.insert(0, ("lr_schedule", HoldThenAnneal()))
        epochs = self._snapshot_epochs()
        if epochs:
            callbacks.append(("snapshots", SampleSnapshots(epochs)))
        return callbacks

    # -- fitting -----------------------------------------------------------
    def _snapshot_epochs(self):
        if self.snapshot_epochs is None:
            return set()
        epochs = self.snapshot_epochs
        epochs = [epochs] if isinstance(epochs, Integral) else list(epochs)
        if any(isinstance(e, bool) or not isinstance(e, Integral) or e < 1 for e in epochs):
            raise ValueError(
                "`snapshot_epochs` must be a list of positive integers (epochs "
                f"counted from 1); got {self.snapshot_epochs!r}."
            )
        return {int(e) for e in epochs}

    def _cpu_threads(self, device=None):
        """1 for small networks on the CPU, whose steps are too small to share
        between threads; None (torch's setting) otherwise. ``device`` is where
        the network runs (default: the ``device`` parameter, for a fit)."""
        device = resolve_device(self.device) if device is None else str(device)
        if not device.startswith("cpu"):
            return None
        widths = _layer_sizes(self.generator_layers, "generator_layers") + _layer_sizes(
            self.discriminator_layers, "discriminator_layers"
        )
        return 1 if max(widths, default=0) <= ONE_THREAD_WIDTH else None

    def _divergence_advice(self):
        return (
            f"Lower the learning rates (lr_generator={self.lr_generator:g}, "
            f"lr_discriminator={self.lr_discriminator:g} now), e.g. by a factor of 10."
        )

    def _check_gan_parameters(self):
        if self.early_stopping:
            raise ValueError(
                "GANSampler does not support early_stopping=True: the losses of a "
                "GAN measure the balance between generator and discriminator, not "
                "the quality of the samples, so there is no validation loss to stop "
                "on. Set early_stopping=False and choose max_epochs; compare "
                "snapshot_epochs or score held-out rows to find a good number."
            )
        if self.lr != 1e-3:
            raise ValueError(
                f"GANSampler does not use lr (got lr={self.lr!r}): its two networks "
                "have their own learning rates. Set lr_generator and "
                "lr_discriminator instead, and leave lr at its default."
            )

    def _fit(self, X, y=None, sample_weight=None, *, partial=False, **kwargs):
        self._check_gan_parameters()
        snapshot_epochs = self._snapshot_epochs()
        if snapshot_epochs and not partial:
            done = len(self.net_.history) if self._is_continuing(partial) else 0
            if max(snapshot_epochs) > done + self.max_epochs:
                raise ValueError(
                    f"snapshot_epochs asks for epoch {max(snapshot_epochs)}, but this fit "
                    f"ends at epoch {done + self.max_epochs} (max_epochs={self.max_epochs}"
                    + (f" after {done} epochs of warm start" if done else "")
                    + "); raise max_epochs or drop the later snapshot epochs."
                )
        previous = getattr(self, "snapshots_", {}) if self._is_continuing(partial) else {}
        with _torch_threads(self._cpu_threads()):
            super()._fit(X, None, sample_weight, partial=partial, **kwargs)
        history = self.history_
        self.discriminator_loss_curve_ = list(self.loss_curve_)
        self.generator_loss_curve_ = [
            float(row.get("generator_loss", np.nan)) for row in history
        ]
        self.n_generator_updates_ = int(self.net_.generator_steps_)
        snapshots = dict(self.net_.callbacks_).get("snapshots")
        new = {} if snapshots is None else snapshots.samples_
        self.snapshots_ = {
            **previous,
            **{epoch: self._to_original(rows) for epoch, rows in new.items()},
        }
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the distribution of the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training rows, drawn from the distribution to learn.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each real row's term in the discriminator loss;
            negative weights are allowed.

        Returns
        -------
        self : object
            The fitted sampler.
        """
        return self._fit(X, None, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch on ``X``, keeping what was learned before.

        The first call standardises with the mean and spread of its rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of training rows.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each real row's term in the discriminator loss.

        Returns
        -------
        self : object
            The sampler.
        """
        return self._fit(X, None, sample_weight, partial=True)

    # -- sampling ------------------------------------------------------------
    def _to_original(self, rows):
        return np.asarray(rows, dtype=np.float64) * self.scale_ + self.mean_

    def _generate(self, n_samples, random_state):
        """``n_samples`` standardised rows (float64) from the averaged generator."""
        seed = seed_from(check_random_state(random_state))
        with _torch_threads(self._cpu_threads(self.net_.device)):
            rows = self.net_.generate(n_samples, torch_generator(seed)).numpy()
        rows = rows.astype(np.float64)
        if not np.isfinite(rows).all():
            raise ValueError(
                "The generator produced non-finite values: its training diverged. "
                "Refit with lower lr_generator and lr_discriminator."
            )
        return rows

    def sample(self, n_samples=1, random_state=None):
        """Generate rows from the learned distribution.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the latent vectors: the same int gives the same rows.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`) or DataFrame
            The rows in the units of the training data; a DataFrame with the
            training columns when ``fit`` was given a DataFrame.
        """
        check_is_fitted(self, "net_")
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(
                f"n_samples must be a positive integer (the number of rows to "
                f"generate); got {n_samples!r}."
            )
        X = self._to_original(self._generate(int(n_samples), random_state))
        if hasattr(self, "feature_names_in_"):
            import pandas as pd

            return pd.DataFrame(X, columns=self.feature_names_in_)
        return X

    def score(self, X, y=None):
        """Minus the energy distance between ``X`` and as many generated rows.

        Higher is better (0 for a perfect match, up to the statistical
        fluctuation of the two samples), so
        :class:`~sklearn.model_selection.GridSearchCV` can tune a GAN on
        held-out rows without a ``scoring``. Both samples are standardised
        with ``mean_`` and ``scale_``; the generated rows come from a fixed
        seed, so a fitted model always gives the same score. Above 5,000
        rows, a fixed random subset of 5,000 rows of ``X`` is used.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows from the true distribution, ideally not used in training.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            Minus the energy distance.
        """
        check_is_fitted(self, "net_")
        X = check_features(self, X, reset=False, dtype=np.float64)
        if X.shape[0] > SCORE_ROWS:
            rows = np.random.RandomState(SCORE_SEED).choice(X.shape[0], SCORE_ROWS, replace=False)
            X = X[np.sort(rows)]
        real = (X - self.mean_) / self.scale_
        return -energy_distance(real, self._generate(real.shape[0], SCORE_SEED))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
