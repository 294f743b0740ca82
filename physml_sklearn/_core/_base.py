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
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from ._modules import ACTIVATIONS, INITIALIZERS, seed_from
from ._net import (
    BestEpochStopping,
    DivergedError,
    EpochProgressBar,
    PhysNet,
    TensorData,
    snapshot_net,
)
from ._penalties import check_decorrelate, make_penalty
from ._threads import fit_threads, thread_policy
from ._validation import as_tensor, check_features, check_network_output

#: optimizer names and the keyword arguments we give them
OPTIMIZERS = {
    "adam": (torch.optim.Adam, {"fused": True}),
    "adamw": (torch.optim.AdamW, {"fused": True}),
    "sgd": (torch.optim.SGD, {"momentum": 0.9, "fused": True}),
    "rmsprop": (torch.optim.RMSprop, {"foreach": True}),
}

#: a fit whose mean training loss grows more than this many times raises
#: :class:`DivergedError` (see ``NeuralEstimator._check_trained_net``)
LOSS_GROWTH_LIMIT = 100.0

#: how the warning of a training that ran out of epochs begins (the command
#: line filters it where its progress display says the same)
EPOCH_LIMIT_WARNING = "Maximum epochs"


def epoch_limit_window(patience, n_epochs):
    """The last epochs in which an improvement means the limit cut the training short.

    ``patience``, or half the epochs when the patience is longer than that
    (set so as to watch every epoch, as when looking for overtraining): a
    loss that turned in the first half and did not improve in the second is
    not a training cut short.
    """
    return min(patience, max(1, n_epochs // 2))


def cut_short(validation_losses, *, tol, patience, max_epochs):
    """Whether a fit with these validation losses, one per epoch, ran out of epochs.

    True when it ran all ``max_epochs`` epochs and early stopping would not
    have stopped it there: by the rule of the early stopping itself, the loss
    improved by more than ``tol`` within the last
    :func:`epoch_limit_window` epochs, so more epochs could still have
    lowered it.
    """
    n_epochs = len(validation_losses)
    if n_epochs < max_epochs:
        return False
    best, without_improvement = math.inf, 0
    for loss in validation_losses:
        without_improvement = without_improvement + 1 if loss > best - tol else 0
        best = min(best, loss)
    return without_improvement < epoch_limit_window(patience, n_epochs)


def ended_at_epoch_limit(estimator):
    """Whether the last fit of ``estimator`` ran out of epochs before early stopping.

    :func:`cut_short` of the fit's validation losses, for a fit that held
    out validation rows (``early_stopping=True``). Read off the fitted
    attributes (``n_iter_``, ``validation_loss_curve_``), so that it also
    holds for a loaded model.
    """
    n_iter = getattr(estimator, "n_iter_", None)
    if not getattr(estimator, "early_stopping", False) or n_iter is None:
        return False
    curve = list(getattr(estimator, "validation_loss_curve_", []))[-n_iter:]
    if len(curve) < n_iter:
        return False
    return cut_short(curve, tol=estimator.tol, patience=estimator.patience,
                     max_epochs=estimator.max_epochs)


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
    parsed = torch.device(device)
    kind = parsed.type
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available on this machine; "
            "use device='cpu' or device='auto'."
        )
    if kind == "cuda" and (parsed.index or 0) >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} but this machine has {torch.cuda.device_count()} CUDA "
            "device(s), numbered from 0; use device='cuda' or 'cuda:0'."
        )
    if kind == "meta":
        raise ValueError(
            f"device={device!r} holds no data (torch's meta device); use 'cpu', 'cuda', "
            "'mps' or 'auto'."
        )
    if kind not in ("cpu", "cuda"):
        # torch.backends.mps, torch.xpu, ...: each accelerator says if it is there
        backend = getattr(torch.backends, kind, None) or getattr(torch, kind, None)
        is_available = getattr(backend, "is_available", None)
        if is_available is None or not is_available():
            raise ValueError(
                f"device={device!r} but torch has no {kind!r} device on this machine; "
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


def _is_callback(cb):
    return isinstance(cb, Callback) or (isinstance(cb, type) and issubclass(cb, Callback))


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
        if not (_is_callback(cb) or (cb is None and isinstance(item, tuple))):
            raise ValueError(
                f"`callbacks` entry {i} is {cb!r}, not a skorch callback: pass "
                "instances (or subclasses) of skorch.callbacks.Callback, or "
                "(name, callback) pairs."
            )
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

    def _epochs(self, n_samples):
        """Epochs of one call to ``fit`` on ``n_samples`` rows."""
        return self.max_epochs

    # -- the shared machinery --------------------------------------------
    def _is_continuing(self, partial):
        return (partial or self.warm_start) and hasattr(self, "net_")

    def _fit(self, X, y=None, sample_weight=None, *, partial=False, **kwargs):
        """Train, and on any error leave the estimator exactly as it was.

        A fresh fit builds a new net and replaces the old one only when it
        succeeds; a continued one (``warm_start``, ``partial_fit``) trains the
        current net after a snapshot of its weights, optimizer states,
        attributes and history length, put back on failure. So a fit that
        raises, a :class:`DivergedError` or anything else, leaves a fitted
        estimator with its previous weights and attributes, and an unfitted
        one unfitted.
        """
        saved = dict(self.__dict__)
        restore_net = snapshot_net(self.net_) if self._is_continuing(partial) else None
        try:
            with fit_threads():
                self._train(X, y, sample_weight, partial=partial, **kwargs)
        except BaseException:
            if restore_net is not None:
                restore_net()
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return self

    def _split(self, n_samples, stratify, seed):
        """Indices of the training and validation rows for early stopping."""
        n_valid = math.ceil(self.validation_fraction * n_samples)
        advice = (
            "Pass more rows, raise validation_fraction, or set early_stopping=False."
        )
        if n_samples - n_valid < 1:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction:g} of the {n_samples} rows, which leaves "
                f"no row to train on. Pass more rows, lower validation_fraction, or "
                "set early_stopping=False."
            )
        try:
            return train_test_split(
                np.arange(n_samples),
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=seed,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping=True cannot hold out validation_fraction="
                f"{self.validation_fraction:g} of the {n_samples} rows"
                + (" stratified by class" if stratify is not None else "")
                + f": {exc} {advice}"
            ) from exc

    @staticmethod
    def _normalise_weights(data, valid, weight):
        """Divide the weights of both splits by one positive number.

        That number is the mean weight of all the training rows before the
        split, so each loss stays a mean over weights of about 1 and the
        validation loss keeps its sign. A split whose weights do not sum to
        a positive number has no meaningful loss to minimise: that raises.
        """
        total_mean = float(np.mean(weight, dtype=np.float64))
        if not total_mean > 0:
            raise ValueError(
                f"The event weights (sample_weight times class_weight) sum to "
                f"{total_mean * len(weight):g}; they must have a positive sum "
                "(negative weights are allowed, but not a net negative or zero total)."
            )
        for part, name in ((data, "training"), (valid, "validation")):
            if part is None or part.w is None:
                continue
            part.w = part.w / total_mean
            if valid is not None and not float(part.w.sum()) > 0:
                raise ValueError(
                    f"The sample_weight of the {name} split of early stopping sums to "
                    f"{float(part.w.sum()) * total_mean:.4g}: with negative weights, each "
                    "split needs a positive sum of weights for its loss to mean "
                    "anything. Raise validation_fraction (a larger validation split), "
                    "pass more rows, or set early_stopping=False."
                )

    def _decorrelation_term(self):
        """The batch penalty of the ``decorrelation*`` parameters, or None.

        Estimators without those parameters have no penalty.
        """
        return make_penalty(
            getattr(self, "decorrelation", None),
            getattr(self, "decorrelation_strength", 0.0),
            getattr(self, "decorrelation_order", 0),
        )

    def _train(self, X, y=None, sample_weight=None, *, partial=False, decorrelate=None,
               **kwargs):
        continuing = self._is_continuing(partial)
        X, target, weight, stratify = self._prepare_fit_data(
            X, y, sample_weight, reset=not continuing, **kwargs
        )
        penalty = self._decorrelation_term()
        decorrelate = check_decorrelate(
            decorrelate, getattr(self, "decorrelation", None), X.shape[0]
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
            idx_train, idx_valid = self._split(X.shape[0], stratify, split_seed)
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
                None if decorrelate is None else as_tensor(decorrelate, device),
            )
            valid = None
            if use_validation:
                valid = data.subset(torch.as_tensor(idx_valid, device=device))
                data = data.subset(torch.as_tensor(idx_train, device=device))
            if weight is not None:
                self._normalise_weights(data, valid, weight)
            loss_before = self.net_.reference_losses(data)
            torch.manual_seed(train_seed)
            with thread_policy(self.net_.module_, min(self.batch_size, len(data)), training=True):
                self.net_.fit_tensors(
                    data,
                    valid,
                    epochs=1 if partial else self._epochs(len(data)),
                    seed=shuffle_seed,
                    penalty=penalty,
                )
            self._check_trained_net(data, loss_before, X)
        self._record_history()
        # as in scikit-learn: the epochs of this call (history_ holds them all)
        self.n_iter_ = len(self.net_.history) - n_done
        self._after_training(X)
        if use_validation and ended_at_epoch_limit(self):
            # as MLPClassifier's "Maximum iterations reached": the kept epoch
            # is the best of too few
            warnings.warn(
                f"{EPOCH_LIMIT_WARNING} (max_epochs={self.max_epochs}) reached and early "
                f"stopping had not stopped the training: the validation loss still "
                f"improved by more than tol={self.tol:g} within the last "
                f"{epoch_limit_window(self.patience, self.n_iter_)} epochs (best epoch "
                f"{self.best_epoch_} of {self.n_iter_}), so the network may be "
                "undertrained. Raise max_epochs.",
                ConvergenceWarning,
                stacklevel=5,
            )
        return self

    def _check_trained_net(self, data, loss_before, X):
        """Raise :class:`DivergedError` when the trained network is broken.

        The rules, checked at the end of every fit and partial_fit:

        * every parameter and buffer of the net's modules is finite (the
          epoch loss is computed before the last optimizer step, so a last
          step that overflows is only seen here);
        * the loss of the trained network on the training rows is finite;
        * no loss grows more than ``LOSS_GROWTH_LIMIT`` times over the call,
          each compared with the same loss at the start of the call: the
          loss without dropout (evaluation mode, unweighted) of the trained
          network, and the training loss of the epoch whose weights the net
          holds (the last one, or the best one with early stopping; as in
          ``loss_curve_``: with dropout, weighted) against the loss measured
          the same way before the first step. A loss that explodes while
          staying finite means a learning rate too high for the scale of
          the inputs. A loss with dropout is never compared with one
          without (once a network separates the classes, its loss without
          dropout can be a hundred times lower than with it), and each
          start value is at least the loss of an output of zeros, so that
          the noise of a tiny loss is not taken for growth
          (``PhysNet.reference_losses``).

        And a :class:`~sklearn.exceptions.ConvergenceWarning` when the
        network gives the same output for every training row although the
        rows differ: its hidden units are all inactive ("dead"), so it has
        learned nothing about the inputs.

        ``loss_before`` is what ``PhysNet.reference_losses`` returned at the
        start of the call, or None when the net has no such losses (the GAN).
        """
        net = self.net_
        advice = self._divergence_advice()
        for name, value in vars(net).items():
            if not (name.endswith("_") and isinstance(value, torch.nn.Module)):
                continue
            tensors = [*value.named_parameters(), *value.named_buffers()]
            for tensor_name, tensor in tensors:
                if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                    raise DivergedError(
                        f"Training diverged: the weights of the network ({name}."
                        f"{tensor_name}) became non-finite in epoch {len(net.history)}. "
                        + advice
                    )
        if loss_before is None:
            return
        eval_before, train_before = loss_before
        loss_after, output, inputs = net.mean_loss(data, return_rows=True)
        scale = f" The largest absolute input value is {float(np.max(np.abs(X))):.3g}."
        if not math.isfinite(loss_after):
            raise DivergedError(
                f"Training diverged: the network's output on the training rows "
                f"overflows (mean loss {loss_after}). " + advice + scale
            )
        # the epoch whose weights the net holds: early stopping may restore an earlier one
        stopper = dict(net.callbacks_).get("early_stopping")
        kept = getattr(stopper, "best_epoch_", 0) or len(net.history)
        kept_loss = abs(float(net.history[kept - 1].get("train_loss", 0.0)))
        growth = LOSS_GROWTH_LIMIT
        reason = (
            f"more than {growth:g} times the larger of its value at the start of this "
            "fit and the loss of an output of zeros. "
        )
        if train_before > 0 and kept_loss > growth * train_before:
            raise DivergedError(
                f"Training diverged: the training loss grew from {train_before:.4g} to "
                f"{kept_loss:.4g} in epoch {kept}, " + reason + advice + scale
            )
        if eval_before > 0 and loss_after > growth * eval_before:
            raise DivergedError(
                f"Training diverged: the loss without dropout grew from {eval_before:.4g} "
                f"to {loss_after:.4g} at the end of this fit, " + reason + advice + scale
            )
        if (
            output.shape[0] > 1
            and bool((output == output[0]).all())
            and bool((inputs != inputs[0]).any())
        ):
            warnings.warn(
                "The trained network gives the same output for every training row: its "
                "hidden units are all inactive, so it has learned nothing about the "
                "inputs. " + advice + " A smaller network may also need another "
                "random_state or activation.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _divergence_advice(self):
        """What to change when a fit diverges (ends the ``DivergedError`` message)."""
        return (
            f"Lower the learning rate (lr={self.lr:g} now) and standardise the inputs "
            "(e.g. with StandardScaler in a Pipeline)."
        )

    def _after_training(self, X):
        """Set the estimator's own fitted attributes from the validated ``X``.

        Runs inside the fit, so an error here also leaves the estimator as
        it was before the call.
        """

    def _training_callbacks(self):
        """The skorch callbacks of a fit: the user's, early stopping, progress."""
        callbacks = named_callbacks(self.callbacks)
        if self.early_stopping:
            callbacks.append(
                ("early_stopping", BestEpochStopping(patience=self.patience, tol=self.tol))
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
        stopper = dict(self.net_.callbacks_).get("early_stopping")
        if stopper is not None and getattr(stopper, "best_epoch_", 0):
            self.best_epoch_ = int(stopper.best_epoch_)
        else:
            self.best_epoch_ = len(history)

    def _forward(self, X, module=None):
        """Validated ``X`` through ``module`` (default: the whole network).

        Returns a float64 array.
        """
        check_is_fitted(self, "net_")
        X = check_features(self, X, reset=False)
        out = self.net_.forward_chunks(as_tensor(X), module=module).numpy()
        return check_network_output(out, X).astype(np.float64)

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
