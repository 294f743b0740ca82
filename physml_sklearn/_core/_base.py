"""``NeuralEstimator``: parameters in, a trained skorch net out.

Every neural estimator of the package is a :class:`NeuralEstimator`. The
subclass says what the network is (:meth:`NeuralEstimator._build_module`),
what it is trained against (:meth:`NeuralEstimator._build_criterion`) and how
the user's data become inputs and targets
(:meth:`NeuralEstimator._prepare_fit_data`); this class does the rest:
seeding, the validation split, early stopping, the optimizer, callbacks,
``warm_start`` / ``partial_fit`` and the fitted attributes.
"""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import EarlyStopping
from skorch.utils import noop

from ._modules import ACTIVATIONS, INITIALIZERS, seed_from
from ._net import EpochProgressBar, PhysNet, TensorData
from ._validation import as_tensor, check_features

#: optimizer names and the keyword arguments we give them
OPTIMIZERS = {
    "adam": (torch.optim.Adam, {"fused": True}),
    "adamw": (torch.optim.AdamW, {"fused": True}),
    "sgd": (torch.optim.SGD, {"momentum": 0.9, "fused": True}),
    "rmsprop": (torch.optim.RMSprop, {"foreach": True}),
}

#: the parameter constraints every neural estimator shares
SHARED_CONSTRAINTS = {
    "activation": [StrOptions(set(ACTIVATIONS))],
    "kernel_initializer": [StrOptions(set(INITIALIZERS))],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "optimizer": [StrOptions(set(OPTIMIZERS)), type],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "callbacks": [list, None],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
}


def resolve_device(device):
    """Turn the ``device`` parameter into a torch device string."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu', 'cuda', "
            "'cuda:0', 'mps' or 'auto' (CUDA when present)."
        ) from exc
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available on this machine; "
            "use device='cpu' or device='auto'."
        )
    return device


def resolve_optimizer(optimizer, device, *, name="optimizer"):
    """Return ``(optimizer class, keyword arguments)`` for the net."""
    if isinstance(optimizer, str):
        cls, kwargs = OPTIMIZERS[optimizer]
        kwargs = dict(kwargs)
        if "fused" in kwargs and not str(device).startswith(("cpu", "cuda")):
            kwargs.pop("fused")
        return cls, kwargs
    if not issubclass(optimizer, torch.optim.Optimizer):
        raise ValueError(
            f"`{name}` must be one of {sorted(OPTIMIZERS)} or a subclass of "
            f"torch.optim.Optimizer; got {optimizer!r}."
        )
    return optimizer, {}


def named_callbacks(callbacks):
    """Copies of the user's callbacks as ``(name, callback)`` pairs."""
    pairs = []
    for i, item in enumerate(callbacks or ()):
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[0], str):
                raise ValueError(
                    "`callbacks` entries must be skorch callbacks or (name, callback) "
                    f"pairs; got {item!r}."
                )
            name, cb = item
        else:
            name, cb = f"user_callback_{i}", item
        pairs.append((name, copy.deepcopy(cb)))
    return pairs


class NeuralEstimator(BaseEstimator):
    """Base class of the neural estimators: builds and trains a skorch net.

    Not to be used directly. Subclasses define ``__init__`` with their own
    parameters plus the shared ones (see ``SHARED_CONSTRAINTS``) and
    implement the ``_build_*`` and ``_prepare_fit_data`` hooks.
    """

    _parameter_constraints: dict = dict(SHARED_CONSTRAINTS)

    #: the skorch net class the estimator trains
    _net_class = PhysNet

    # -- hooks for subclasses -------------------------------------------
    def _prepare_fit_data(self, X, y, sample_weight, *, reset, **kwargs):
        """Validate the data; return ``(X, target, weight, stratify)`` arrays.

        ``X`` is float32, ``target`` what the criterion compares the output
        with (or None when it is ``X`` itself), ``weight`` float32 or None,
        ``stratify`` the labels to stratify the validation split on, or None.
        """
        raise NotImplementedError

    def _build_module(self, n_features, target):
        """Return the :class:`torch.nn.Module` to train."""
        raise NotImplementedError

    def _build_criterion(self):
        """Return the loss as a module with ``reduction="none"``."""
        raise NotImplementedError

    def _net_kwargs(self):
        """Extra keyword arguments for the skorch net (used by the GAN)."""
        return {}

    # -- the shared machinery --------------------------------------------
    def _is_continuing(self, partial):
        return (partial or self.warm_start) and hasattr(self, "net_")

    def _fit(self, X, y=None, sample_weight=None, *, partial=False, **kwargs):
        continuing = self._is_continuing(partial)
        X, target, weight, stratify = self._prepare_fit_data(
            X, y, sample_weight, reset=not continuing, **kwargs
        )
        rng = check_random_state(self.random_state)
        init_seed, train_seed, split_seed, shuffle_seed = (seed_from(rng) for _ in range(4))
        device = resolve_device(self.device)
        n_done = len(self.net_.history) if continuing else 0
        if n_done:
            train_seed = (train_seed + 7919 * n_done) % np.iinfo(np.int32).max
            shuffle_seed = (shuffle_seed + 7919 * n_done) % np.iinfo(np.int32).max

        use_validation = self.early_stopping and not partial
        if use_validation:
            idx_train, idx_valid = train_test_split(
                np.arange(X.shape[0]),
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=split_seed,
            )
        fork_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=fork_devices):
            callbacks = self._training_callbacks()
            if not use_validation:  # partial_fit: nothing to stop on
                callbacks = [(n, cb) for n, cb in callbacks if n != "early_stopping"]
            if not continuing:
                torch.manual_seed(init_seed)
                self.net_ = self._make_net(X.shape[1], target, device, callbacks)
                self.net_.initialize()
            else:  # the current early_stopping / verbose / callbacks apply
                self.net_.callbacks = callbacks
                self.net_.initialize_callbacks()
            inputs = as_tensor(X, device)
            data = TensorData(
                inputs,
                inputs if target is None else as_tensor(target, device),
                None if weight is None else as_tensor(weight, device),
            )
            valid = None
            if use_validation:
                valid = data.subset(torch.as_tensor(idx_valid, device=device))
                data = data.subset(torch.as_tensor(idx_train, device=device))
            for part in (data, valid):  # each loss is a mean over weights ~ 1
                if part is not None and part.w is not None:
                    part.w = part.w / part.w.mean()
            torch.manual_seed(train_seed)
            self.net_.fit_tensors(
                data, valid, epochs=1 if partial else self.max_epochs, seed=shuffle_seed
            )
        self._record_history()
        return self

    def _training_callbacks(self):
        """The skorch callbacks of a fit: the user's, early stopping, progress."""
        callbacks = named_callbacks(self.callbacks)
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.patience,
                        threshold=self.tol,
                        threshold_mode="abs",
                        lower_is_better=True,
                        load_best=True,
                        sink=noop,
                    ),
                )
            )
        if self.verbose:
            callbacks.append(("progress_bar", EpochProgressBar()))
        return callbacks

    def _make_net(self, n_features, target, device, callbacks):
        optimizer, optimizer_kwargs = resolve_optimizer(self.optimizer, device)
        kwargs = {f"optimizer__{k}": v for k, v in optimizer_kwargs.items()}
        if self.weight_decay:
            kwargs["optimizer__weight_decay"] = self.weight_decay
        kwargs.update(self._net_kwargs())
        return self._net_class(
            module=self._build_module(n_features, target),
            criterion=self._build_criterion(),
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=None,
            callbacks=callbacks,
            device=device,
            verbose=0,
            **kwargs,
        )

    def _record_history(self):
        history = self.net_.history
        self.history_ = history
        self.loss_curve_ = [float(row["train_loss"]) for row in history if "train_loss" in row]
        self.validation_loss_curve_ = [
            float(row["valid_loss"]) for row in history if "valid_loss" in row
        ]
        self.n_iter_ = len(history)
        stopper = dict(self.net_.callbacks_).get("early_stopping")
        if stopper is not None and getattr(stopper, "best_epoch_", 0):
            self.best_epoch_ = int(stopper.best_epoch_)
        else:
            self.best_epoch_ = self.n_iter_

    def _forward(self, X, module=None):
        """Validated ``X`` through ``module`` (default: the whole network).

        Returns a float64 array.
        """
        check_is_fitted(self, "net_")
        X = check_features(self, X, reset=False)
        out = self.net_.forward_chunks(as_tensor(X), module=module)
        return out.numpy().astype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags

    # -- the persistence hook ----------------------------------------------
    def _net_modules(self, *, rebuild=False):
        """Every torch module of the fitted net, by attribute name.

        The one hook :mod:`physml_sklearn.persistence` uses for the network
        weights: it saves the ``state_dict`` of each module returned, and on
        loading calls ``_net_modules(rebuild=True)`` on the estimator rebuilt
        from its parameters and fitted attributes, then loads the weights
        into the modules returned. The modules are ``net_.module_`` and every
        other module the net holds as an attribute ending in ``_`` (the
        GAN's ``discriminator_`` and ``generator_average_``).

        Parameters
        ----------
        rebuild : bool, default=False
            First build a new, untrained ``net_`` on ``device`` from the
            parameters and the fitted attributes (``n_features_in_``,
            ``classes_``, ``n_outputs_``...), as ``fit`` does; the global
            torch random state is left untouched.

        Returns
        -------
        modules : dict of str to torch.nn.Module
        """
        if rebuild:
            # ``_build_module`` reads the width of the training target only:
            # an autoencoder's ``n_outputs_``, a conditional GAN's conditions
            width = getattr(self, "n_outputs_", None) or getattr(self, "n_conditions_", None)
            target = np.empty((0, width), np.float32) if width else None
            with torch.random.fork_rng(devices=[]):
                self.net_ = self._make_net(
                    self.n_features_in_, target, resolve_device(self.device), []
                )
                self.net_.initialize()
        check_is_fitted(self, "net_")
        modules = {"module_": self.net_.module_}
        for name, value in vars(self.net_).items():
            if name.endswith("_") and isinstance(value, torch.nn.Module):
                modules.setdefault(name, value)
        return modules
