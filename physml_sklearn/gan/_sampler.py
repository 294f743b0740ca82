"""``GANSampler``: learn a distribution, then sample from it."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._core._base import NeuralEstimator, resolve_device, resolve_optimizer
from .._core._modules import make_mlp, seed_from, torch_generator
from .._core._validation import check_features, check_sample_weight
from .._memory import available_memory
from ..metrics import energy_distance
from ._losses import BCEGANLoss, WassersteinGPLoss
from ._net import GENERATED_PER_REAL, GANNet, HoldThenAnneal, SampleSnapshots
from ._preprocessing import ConditionalStandardizer, QuantileNormalizer

#: Adam's (beta1, beta2) for both networks: a short memory of past gradients,
#: as GANs need (Radford et al. 2015, Gulrajani et al. 2017)
ADAM_BETAS = (0.5, 0.9)
#: ``max_epochs="auto"`` trains for as many epochs as make about this many
#: generator updates
AUTO_UPDATES = 4000
#: ... and this many when the rows and conditions have at most
#: ``FEW_COLUMNS`` columns together: a 2-D shape is learned in fewer
AUTO_UPDATES_FEW_COLUMNS = 2000
FEW_COLUMNS = 2
#: with at most ``FEW_COLUMNS`` columns the discriminator judges rows in packs
#: of two (see GANNet) and sees this many generated rows per real row: a
#: curve (an ellipse) is otherwise learnt with an arc missing; with more
#: columns packing halves what the discriminator resolves of each row
PACK_FEW_COLUMNS = 2
GENERATED_PER_REAL_FEW_COLUMNS = 8
#: ``score`` compares at most this many rows, drawn with ``SCORE_SEED``
SCORE_ROWS = 5000
SCORE_SEED = 0
#: a conditional model's generated residuals are calibrated on about this
#: many rows generated (from ``CALIBRATION_SEED``) for the training conditions
CALIBRATION_ROWS = 100_000
CALIBRATION_SEED = 1


def _layer_sizes(value, name):
    sizes = [value] if isinstance(value, Integral) else list(value)
    if any(not isinstance(s, Integral) or s < 1 for s in sizes):
        raise ValueError(
            f"`{name}` must hold positive integers (the width of each hidden "
            f"layer); got {value!r}."
        )
    return [int(s) for s in sizes]


def _check_conditions(y, *, n_rows, n_conditions):
    """Validate the conditions ``y``; return them as a float64 (n, k) array.

    ``n_rows`` (or None) is the number of rows they must have, ``n_conditions``
    (or None) the number of columns.
    """
    try:
        arr = check_array(
            y, ensure_2d=False, dtype=np.float64, ensure_all_finite=False, input_name="y"
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "`y` (the conditions) must be numeric, one or more columns of "
            f"numbers per row; it could not be read as numbers: {exc}"
        ) from exc
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(
            f"`y` (the conditions) must be 1-D or 2-D; got an array of shape {arr.shape}."
        )
    if not np.isfinite(arr).all():
        raise ValueError(
            "`y` (the conditions) contains NaN or infinite values; every row "
            "needs finite conditions (drop or impute those rows)."
        )
    if n_rows is not None and arr.shape[0] != n_rows:
        raise ValueError(
            f"`y` (the conditions) has {arr.shape[0]} rows but X has {n_rows}; "
            "pass one row of conditions per row of X."
        )
    if n_conditions is not None and arr.shape[1] != n_conditions:
        raise ValueError(
            f"`y` (the conditions) has {arr.shape[1]} column(s) but the model was "
            f"fitted with {n_conditions}; pass the same conditions as in fit."
        )
    return arr


class GANSampler(NeuralEstimator):
    """Generative adversarial network: learn the distribution of rows, then sample.

    A generator network turns random latent vectors into rows; a
    discriminator network is trained to tell them from the training rows,
    and the generator to fool it. The two are updated in turn, one
    generator step after every ``n_critic`` discriminator steps, until the
    generated rows cannot be told from the real ones. Both networks are
    built and trained inside one skorch net (``net_``, a :class:`GANNet`).

    **Conditional generation** (fast simulation): ``fit(X, y)`` with numeric
    conditions ``y`` (e.g. the true particle energy) learns the distribution
    of ``X`` given ``y``: both networks take the conditions as extra inputs,
    and ``sample(n, y=...)`` generates rows for given conditions.

    **Preprocessing**: each column of ``X`` that needs it goes through its
    own quantile transform onto a standard normal (the networks then see
    Gaussian-like inputs however long the tails of the data); point masses
    (``ht = 0`` in events without jets) are generated exactly, with the
    learned frequency, and columns that hold only integers (``n_jets``) come
    back as integers. Values of the quantile-transformed columns stay within
    the range of the training data. See Notes and :ref:`gans` in the user guide.

    Parameters
    ----------
    latent_dim : int, default=16
        Dimension of the generator's input, standard normal random vectors.
        Sixteen dimensions leave room for ten or more correlated columns.
    generator_layers : tuple of int, default=(128, 128)
        Width of each hidden layer of the generator.
    discriminator_layers : tuple of int, default=(128, 128)
        Width of each hidden layer of the discriminator.
    loss : {"bce", "wgan-gp"}, default="bce"
        ``"bce"``: the classic GAN, a discriminator trained with binary
        cross-entropy and the non-saturating generator loss.
        ``"wgan-gp"``: Wasserstein GAN whose critic is kept 1-Lipschitz by a
        gradient penalty (weight 0.1 on the networks' normal scale); give it
        several critic steps, ``n_critic=5``.
    n_critic : int, default=1
        Discriminator steps per generator step.
    lr_generator : float, default=3e-3
        Learning rate of the generator's optimizer (see Notes for the
        choice).
    lr_discriminator : float, default=3e-3
        Learning rate of the discriminator's optimizer.
    snapshot_epochs : list of int, default=None
        Epochs (counted from 1 over all fits of a warm start) at whose end
        rows are generated and kept in ``snapshots_``, to watch the
        distribution form. An epoch beyond the last one of a call to
        :meth:`fit` raises an error; :meth:`partial_fit` takes those it reaches.
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"}, \
default="gelu"
        Activation of the hidden layers of both networks. GELU, not the
        shared default ReLU: smooth distributions want a smooth generator
        (see Notes).
    kernel_initializer : {"he_normal", "he_uniform", "glorot_normal", \
"glorot_uniform", "torch"}, default="he_normal"
        Initialisation of the weights of both networks.
    dropout : float or list of float, default=0.0
        Dropout after the discriminator's hidden layers (one value, or one
        per layer); the generator has none.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch.optim.Optimizer \
subclass, default="adam"
        Optimizer of both networks; Adam and AdamW run with betas
        (0.5, 0.9), as GANs need.
    lr : float, default=1e-3
        Not used: each network has its own learning rate. A value other
        than the default raises an error that points to ``lr_generator``
        and ``lr_discriminator``.
    weight_decay : float, default=0.0
        L2 penalty of both optimizers.
    batch_size : int, default=256
        Real rows per discriminator step; each step generates four times as
        many rows (eight times with at most two columns, see Notes). An epoch is one pass of the discriminator over the
        training rows, so it makes ``ceil(n_samples / batch_size) /
        n_critic`` generator updates.
    max_epochs : int or "auto", default="auto"
        Number of epochs of a call to ``fit``; the learning rates are held
        for 70 % of them and then annealed to zero. ``"auto"`` trains for as
        many epochs as make about 4,000 generator updates (100 epochs of
        10,000 rows, 51 of 20,000 at the default batch size), or 2,000 when
        the rows and the conditions have at most two columns together
        (250 epochs of 2,000 rows of a 2-D shape, which needs no more), so
        that the cost of a fit does not grow with the sample: a GAN learns
        from the number of updates, and a large sample gives each update
        fresh rows.
    early_stopping : bool, default=False
        Must stay False: a GAN's losses measure the balance of the two
        networks, not the quality of the samples, so there is no validation
        loss to stop on. True raises an error; compare ``snapshot_epochs``
        or :meth:`score` held-out rows instead.
    validation_fraction : float, default=0.1
        Not used (no early stopping).
    patience : int, default=10
        Not used (no early stopping).
    tol : float, default=1e-4
        Not used (no early stopping).
    callbacks : list of skorch callbacks or (name, callback) pairs, \
default=None
        Extra skorch callbacks for the training loop.
    device : str, default="cpu"
        Torch device to train on; ``"auto"`` picks CUDA when present. A
        model trained on a GPU samples on a CPU after unpickling.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling, the latent vectors of training and
        the spreading of tied values over their quantile interval: the same
        int gives the same model on a CPU.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per fit with the losses.
    warm_start : bool, default=False
        Continue from the previous fit (same transforms, same conditions)
        instead of starting anew.

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
        Number of epochs trained by the last call to ``fit`` or
        ``partial_fit`` (1 for ``partial_fit``), as in scikit-learn; ``history_``
        and ``loss_curve_`` hold every epoch since the network was built.
    n_generator_updates_ : int
        Number of generator steps made.
    snapshots_ : dict of int to ndarray of shape (n_rows, `n_features_in_`)
        Rows generated at the end of each of ``snapshot_epochs``, in the
        original units, from the same latent points (and, for a conditional
        model, the conditions of the first training rows) at every epoch;
        empty without ``snapshot_epochs``.
    transformer_ : QuantileNormalizer
        The fitted per-column transform of ``X``: ``quantile_columns_`` says
        which columns go through the quantile transform (``quantiles_``),
        ``integer_columns_`` which are rounded, ``mean_`` / ``scale_``
        standardise the others.
    condition_transformer_ : QuantileNormalizer or None
        The same for the conditions (ties not spread, nothing rounded);
        None for an unconditional model.
    condition_standardizer_ : ConditionalStandardizer or None
        For a conditional model, the fitted mean and spread of each
        transformed column given the transformed conditions; the networks
        learn the standardised residuals, whose generated conditional mean
        and spread are calibrated after training (see Notes). None otherwise.
    n_conditions_ : int
        Number of condition columns; 0 for an unconditional model.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of str
        Column names of ``X``, when it was a DataFrame.

    See Also
    --------
    sklearn.neighbors.KernelDensity : A non-parametric density estimate that
        can also sample; the baseline of the benchmarks.
    physml_sklearn.datasets.make_calorimeter : The known answer for
        conditional generation.

    Notes
    -----
    **Preprocessing.** A column goes through the quantile transform when it
    holds only integers, has a point mass (one value shared by at least 1 %
    of the rows) or a heavy tail (skewness above 1 in size or excess
    kurtosis above 1); its training values are mapped through their empirical
    distribution function onto a standard normal, the rows that share one
    value spread at random over the interval the value occupies, and
    generated values are mapped back through the empirical quantile
    function, an interval of a point mass to exactly its value. The other
    columns (bounded or Gaussian-like shapes, the cubic and the ellipse) are
    standardised: a quantile transform would stretch the ends of a bounded
    shape into long normal tails. The conditions are transformed the same
    way without the random spreading, so a condition is one input.
    Conditions outside the training range act as the nearest training
    extreme for a column in the quantile transform; a GAN does not
    extrapolate.

    **Defaults.** They are the values that meet the quality targets of the
    benchmark ``benchmarks/bench_gan.py`` with ``GANSampler()`` as it comes:
    the cubic and the ellipse of 2,000 points, ten columns of WZ diboson
    kinematics with ``n_jets`` from 10,000 events, and the conditional
    calorimeter of 20,000 photons. The two-layer networks of 32 ReLU units
    that the lecture starts from, at learning rates of 1e-3, reach neither
    the shape of the cubic in 1,000 updates nor the ten-dimensional
    correlations of the diboson columns. Two layers of 128 units with a
    latent space of 16 dimensions hold the correlations of ten columns;
    GELU gives a smooth generator for smooth densities; learning rates of
    3e-3 train these widths in 4,000 updates (2,000 for two columns) without
    the oscillations that 1e-2 causes in networks this wide;
    ``max_epochs="auto"`` fixes the number of updates rather than of passes
    over the data.

    **Calibration of the marginals.** After each fit of an unconditional
    model, 100,000 generated rows give each quantile-transformed column its
    generated distribution function; :meth:`sample` maps a generated value
    through it, instead of through the normal one, onto the training
    quantiles. The map is monotone in each column, so the dependence between
    columns that the generator learnt is kept, while every marginal, a
    point mass's frequency (the share of ``ht = 0``) and an integer column's
    frequencies included, is the training rows' to sampling precision
    rather than to the precision of the training.

    **Calibration of a conditional model.** After each fit, the generator
    makes residuals for the training conditions; their conditional mean and
    spread (mean absolute deviation), fitted on the same splines as those of
    the real residuals, are matched to the real ones by a shift and a scale
    per condition, which :meth:`sample` applies. Where a column spreads
    widely about its conditional mean (a calorimeter at a few GeV, where
    ``sigma_E / E`` is 17 %), an offset of a few hundredths of the spread
    left by the training would otherwise show as a bias of the response.

    Training choices, all internal: Adam (and AdamW) run with betas
    (0.5, 0.9); each discriminator step sees ``batch_size`` real rows and
    four times as many generated ones, and each generator step generates as
    many; when the rows and the conditions have at most two columns
    together, the discriminator judges the rows two at a time (packing,
    Lin et al. 2018) and sees eight generated rows per real one: a curve
    such as the ellipse was otherwise learnt with an arc missing on one seed
    in three, while packing ten columns halved what the discriminator
    resolved of each row and cost the diboson events their correlations; the learning rates are held for the first 70 % of the steps of each
    call to ``fit`` and then cosine-annealed to zero (constant in
    ``partial_fit``); :meth:`sample` uses an exponential moving average of
    the generator weights (decay 0.99), which smooths the jitter of the last
    steps; the latent vectors are standard normal; the gradient penalty of
    ``"wgan-gp"`` has weight 0.1, not the usual 10, which on two-dimensional
    shapes held the critic so flat that the samples stayed a blur.

    :meth:`score` is minus the energy distance between the given rows and as
    many generated rows, both on the networks' normal scale (so that every
    column counts alike and the tails do not dominate), from a fixed seed:
    the same model gives the same score.

    Examples
    --------
    Learn a two-column distribution with a heavy tail and a point mass, then
    sample from it:

    >>> import numpy as np
    >>> from physml_sklearn import GANSampler
    >>> rng = np.random.RandomState(0)
    >>> n_jets = rng.poisson(0.7, 2000)
    >>> ht = np.where(n_jets > 0, 30.0 + n_jets * rng.exponential(40.0, 2000), 0.0)
    >>> X = np.column_stack([n_jets, ht])
    >>> gan = GANSampler(max_epochs=50, random_state=0).fit(X)
    >>> S = gan.sample(5000, random_state=0)
    >>> S.shape
    (5000, 2)
    >>> bool(np.all(S[:, 0] == np.round(S[:, 0])))   # n_jets: integers
    True
    >>> print(f"ht = 0: {np.mean(X[:, 1] == 0):.2f} true, {np.mean(S[:, 1] == 0):.2f} generated")
    ht = 0: 0.50 true, 0.50 generated

    Conditional: the distribution of ``X`` given ``y``.

    >>> y = rng.uniform(1.0, 3.0, 2000)
    >>> X = np.column_stack([y + 0.1 * rng.standard_normal(2000)])
    >>> gan = GANSampler(max_epochs=30, random_state=0).fit(X, y)
    >>> low, high = gan.sample(1000, random_state=0, y=1.5), gan.sample(1000, y=2.5)
    >>> print(f"{low.mean():.1f} {high.mean():.1f}")
    1.5 2.5
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
        "max_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    }

    _net_class = GANNet

    def __init__(
        self,
        latent_dim=16,
        generator_layers=(128, 128),
        discriminator_layers=(128, 128),
        *,
        loss="bce",
        n_critic=1,
        lr_generator=3e-3,
        lr_discriminator=3e-3,
        snapshot_epochs=None,
        activation="gelu",
        kernel_initializer="he_normal",
        dropout=0.0,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs="auto",
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
    def _prepare_fit_data(self, X, y, sample_weight, *, reset, whole_fit=False):
        self._check_gan_parameters()
        snapshot_epochs = self._snapshot_epochs()
        conditional = y is not None
        if not reset and conditional != bool(self.n_conditions_):
            raise ValueError(
                "`y` must be given to every call of fit / partial_fit of a "
                "conditional model and to none of an unconditional one: this model "
                f"was fitted {'with' if self.n_conditions_ else 'without'} conditions. "
                "Refit from scratch (warm_start=False) to change."
            )
        X = check_features(self, X, reset=reset, dtype=np.float64)
        weight = check_sample_weight(sample_weight, X.shape[0])
        if snapshot_epochs and whole_fit:
            done = 0 if reset else len(self.net_.history)
            n_conditions = 0 if y is None else (1 if np.ndim(y) == 1 else np.shape(y)[1])
            last = done + self._epochs(X.shape[0], X.shape[1] + n_conditions)
            if max(snapshot_epochs) > last:
                raise ValueError(
                    f"snapshot_epochs asks for epoch {max(snapshot_epochs)}, but this fit "
                    f"ends at epoch {last} (max_epochs={self.max_epochs!r}"
                    + (f" after {done} epochs of warm start" if done else "")
                    + "); raise max_epochs or drop the later snapshot epochs."
                )
        if reset:
            with np.errstate(over="ignore", invalid="ignore"):
                spread = X.std(axis=0)
            if not np.isfinite(spread).all():
                raise ValueError(
                    f"X holds values up to {np.abs(X).max():.3g}, too large for their "
                    "mean and spread to be computed (they overflow float64); scale the "
                    "inputs (e.g. change their units)."
                )
        conditions = None
        if conditional:
            conditions = _check_conditions(
                y, n_rows=X.shape[0], n_conditions=None if reset else self.n_conditions_
            )
        rng = check_random_state(self.random_state)
        if reset:
            self.n_conditions_ = 0 if conditions is None else conditions.shape[1]
            self.condition_transformer_ = None
            self.condition_standardizer_ = None
            C = None
            if conditions is not None:
                self.condition_transformer_ = QuantileNormalizer(
                    randomize_ties=False, round_integers=False, output="uniform"
                ).fit(conditions)
                C = self.condition_transformer_.transform(conditions)
            self.transformer_ = QuantileNormalizer().fit(X, C)
        # the ties are spread by a seed of their own, so that the networks'
        # seeds drawn by the core from random_state stay the same
        tie_rng = np.random.RandomState(seed_from(rng) ^ 0x5EED)
        Z = self.transformer_.transform(X, tie_rng)
        target = None
        if conditions is not None:
            C = self.condition_transformer_.transform(conditions)
            if reset:
                self.condition_standardizer_ = ConditionalStandardizer().fit(Z, C)
            Z = self.condition_standardizer_.transform(Z, C)
            target = np.ascontiguousarray(C, dtype=np.float32)
            # kept for the calibration after training (_after_training)
            self._calibration_conditions = C
        return np.ascontiguousarray(Z, dtype=np.float32), target, weight, None

    def _build_module(self, n_features, target):
        n_conditions = 0 if target is None else target.shape[1]
        return make_mlp(
            self.latent_dim + n_conditions,
            _layer_sizes(self.generator_layers, "generator_layers"),
            n_features,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
        )

    def _epochs(self, n_samples, n_columns=None):
        """Epochs of a fit on ``n_samples`` rows; ``n_columns`` counts the
        columns of the rows and of the conditions (default: the fitted ones)."""
        if self.max_epochs != "auto":
            return self.max_epochs
        if n_columns is None:
            n_columns = self.n_features_in_ + self.n_conditions_
        updates = AUTO_UPDATES_FEW_COLUMNS if n_columns <= FEW_COLUMNS else AUTO_UPDATES
        steps = -(-n_samples // self.batch_size)
        return max(1, -(-updates * self.n_critic // steps))

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
        few = self.n_features_in_ + self.n_conditions_ <= FEW_COLUMNS
        pack = PACK_FEW_COLUMNS if few else 1
        discriminator = make_mlp(
            (self.n_features_in_ + self.n_conditions_) * pack,
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
            "n_conditions": self.n_conditions_,
            "pack": pack,
            "generated_per_real": GENERATED_PER_REAL_FEW_COLUMNS if few else GENERATED_PER_REAL,
        }

    def _training_callbacks(self):
        callbacks = super()._training_callbacks()
        callbacks.insert(0, ("lr_schedule", HoldThenAnneal()))
        epochs = self._snapshot_epochs()
        if epochs:
            callbacks.append(("snapshots", SampleSnapshots(epochs)))
        return callbacks

    def _after_training(self, X):
        conditions = self.__dict__.pop("_calibration_conditions", None)
        if conditions is None:
            # the generated marginals of the quantile-transformed columns
            # (point masses, integers, tails) matched to the training rows';
            # without such columns (the cubic, the ellipse) nothing to generate
            generated = None
            if np.any(self.transformer_.quantile_columns_):
                generated = self._generate(CALIBRATION_ROWS, CALIBRATION_SEED)
            self.transformer_.calibrate(generated)
            return
        # the generated residuals' conditional mean and spread, matched to the
        # training rows' (see ConditionalStandardizer.calibrate)
        standardizer = self.condition_standardizer_
        standardizer.calibrate(None, None, None, None)
        # each training condition is generated for several times, so that the
        # generated side of the comparison adds little noise
        repeats = max(1, CALIBRATION_ROWS // len(conditions))
        C = np.tile(conditions, (repeats, 1))[:max(CALIBRATION_ROWS, len(conditions))]
        generated = self._generate(len(C), CALIBRATION_SEED, C)
        R = np.asarray(X, dtype=np.float64)
        standardizer.calibrate(R, generated, conditions, C)

    def _record_history(self):
        super()._record_history()
        self.discriminator_loss_curve_ = list(self.loss_curve_)
        self.generator_loss_curve_ = [
            float(row.get("generator_loss", np.nan)) for row in self.history_
        ]
        self.n_generator_updates_ = int(self.net_.generator_steps_)
        self.snapshots_ = {
            epoch: self._to_original(rows, None if cond is None else cond.astype(np.float64))
            for epoch, (rows, cond) in sorted(self.net_.snapshots_.items())
        }

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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the distribution of the rows of ``X`` (given ``y``, when given).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training rows, drawn from the distribution to learn.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions), \
default=None
            The conditions: numeric values per row (e.g. the true energy of
            the particle) that the distribution of ``X`` depends on. With
            ``y`` the model is conditional: both networks see the conditions,
            and :meth:`sample` needs them. None learns the distribution of
            ``X`` alone.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each real row's term in the discriminator loss;
            negative weights are allowed.

        Returns
        -------
        self : object
            The fitted sampler.
        """
        return self._fit(X, y, sample_weight, whole_fit=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch on ``X``, keeping what was learned before.

        The first call fixes the quantile transforms with its rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of training rows.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions), \
default=None
            The conditions of the rows, for a conditional model (given on
            every call or on none).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each real row's term in the discriminator loss.

        Returns
        -------
        self : object
            The sampler.
        """
        return self._fit(X, y, sample_weight, partial=True)

    # -- sampling ------------------------------------------------------------
    def _to_original(self, rows, conditions=None):
        """Rows of the networks' scale (for the conditions, on theirs) in the
        original units."""
        Z = np.asarray(rows, dtype=np.float64)
        if conditions is not None:
            Z = self.condition_standardizer_.inverse_transform(Z, conditions)
        return self.transformer_.inverse_transform(Z)

    def _sample_conditions(self, y, n_samples):
        """The conditions of ``n_samples`` rows on the networks' scale, or None."""
        if not self.n_conditions_:
            if y is not None:
                raise ValueError(
                    "This GANSampler was fitted without conditions, so `y` must be "
                    "None; fit(X, y) with the conditions to sample given y."
                )
            return None
        if y is None:
            raise ValueError(
                f"This GANSampler is conditional (fitted with {self.n_conditions_} "
                "condition column(s)), so `y` is required: pass one condition for "
                "all rows or one per row, e.g. sample(1000, y=10.0)."
            )
        k = self.n_conditions_
        arr = np.asarray(y) if not hasattr(y, "iloc") else y
        if np.ndim(arr) == 0 or (np.ndim(arr) == 1 and k > 1 and len(arr) == k):
            arr = np.reshape(np.asarray(arr, dtype=object), (1, -1))
        conditions = _check_conditions(arr, n_rows=None, n_conditions=k)
        if conditions.shape[0] == 1:
            conditions = np.repeat(conditions, n_samples, axis=0)
        elif conditions.shape[0] != n_samples:
            raise ValueError(
                f"`y` has {conditions.shape[0]} rows but n_samples={n_samples}: pass "
                "one condition (repeated for every row) or exactly one per row, "
                "e.g. sample(len(y), y=y)."
            )
        return self.condition_transformer_.transform(conditions)

    def _generate(self, n_samples, random_state, conditions=None):
        """``n_samples`` rows (float64) on the networks' scale from the averaged generator."""
        seed = seed_from(check_random_state(random_state))
        cond = None if conditions is None else torch.as_tensor(conditions, dtype=torch.float32)
        rows = self.net_.generate(n_samples, torch_generator(seed), cond).numpy()
        rows = rows.astype(np.float64)
        if not np.isfinite(rows).all():
            raise ValueError(
                "The generator produced non-finite values: its training diverged. "
                "Refit with lower lr_generator and lr_discriminator."
            )
        return rows

    def sample(self, n_samples=1, random_state=None, *, y=None):
        """Generate rows from the learned distribution.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the latent vectors: the same int gives the same rows.
        y : float or array-like of shape (n_samples,), (n_samples, n_conditions) \
or (n_conditions,), default=None
            The conditions, for a conditional model (required then, refused
            otherwise): one condition, repeated for every row, or one row of
            conditions per generated row.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`) or DataFrame
            The rows in the units of the training data (columns that held only
            integers hold integers); a DataFrame with the training columns
            when ``fit`` was given a DataFrame.
        """
        check_is_fitted(self, "net_")
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(
                f"n_samples must be a positive integer (the number of rows to "
                f"generate); got {n_samples!r}."
            )
        n_samples = int(n_samples)
        # the rows, the generator's noise and its float32 output: said before
        # the allocation fails deep inside torch
        need = n_samples * (self.n_features_in_ * 3 + self.latent_dim) * 8
        free = available_memory()
        if free is not None and need > free:
            raise MemoryError(
                f"sample({n_samples:,}) needs about {need / 1e9:.3g} GB, more than the "
                f"{free / 1e9:.3g} GB of memory available; draw fewer rows per call (e.g. "
                "in a loop of smaller samples with their own random_state)."
            )
        conditions = self._sample_conditions(y, n_samples)
        X = self._to_original(self._generate(n_samples, random_state, conditions), conditions)
        if hasattr(self, "feature_names_in_"):
            import pandas as pd

            return pd.DataFrame(X, columns=self.feature_names_in_)
        return X

    def score(self, X, y=None):
        """Minus the energy distance between ``X`` and as many generated rows.

        Higher is better (0 for a perfect match, up to the statistical
        fluctuation of the two samples), so
        :class:`~sklearn.model_selection.GridSearchCV` can tune a GAN on
        held-out rows without a ``scoring``. For a conditional model the
        generated rows are made for the conditions ``y`` of the given rows and
        the distance is between ``[X, y]`` and ``[sample(y=y), y]``. Both sides
        are compared on the networks' normal scale (each column through its
        quantile transform, so that every column counts alike and the tails
        do not dominate); the generated rows and the spreading of ties come
        from a fixed seed, so a fitted model always gives the same score.
        Above 5,000 rows, a fixed random subset of 5,000 rows is used.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows from the true distribution, ideally not used in training.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions), \
default=None
            Their conditions, for a conditional model (required then).

        Returns
        -------
        score : float
            Minus the energy distance.
        """
        check_is_fitted(self, "net_")
        X = check_features(self, X, reset=False, dtype=np.float64)
        if (y is None) != (not self.n_conditions_):
            self._sample_conditions(y, X.shape[0])  # raises the right error
        conditions = None
        if y is not None:
            conditions = _check_conditions(y, n_rows=X.shape[0], n_conditions=self.n_conditions_)
        if X.shape[0] > SCORE_ROWS:
            rows = np.sort(
                np.random.RandomState(SCORE_SEED).choice(X.shape[0], SCORE_ROWS, replace=False)
            )
            X = X[rows]
            conditions = None if conditions is None else conditions[rows]
        cond = None
        if conditions is not None:
            cond = self.condition_transformer_.transform(conditions)
        generated = self._to_original(self._generate(X.shape[0], SCORE_SEED, cond), cond)
        real = self.transformer_.transform(X, np.random.RandomState(SCORE_SEED))
        fake = self.transformer_.transform(generated, np.random.RandomState(SCORE_SEED + 1))
        if cond is not None:
            real, fake = np.hstack([real, cond]), np.hstack([fake, cond])
        return -energy_distance(real, fake)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
