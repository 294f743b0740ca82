"""The skorch net used by every estimator.

skorch gives the training loop, callbacks, ``History``, device handling and
checkpointing. This subclass replaces its data path with one that costs
nothing on top of a hand-written PyTorch loop:

* the data are tensors from the start (:class:`TensorData`); each epoch
  shuffles them with one gather and yields contiguous slices
  (:class:`TensorBatchIterator`) instead of collating rows in a DataLoader;
* the loss is weighted per event when sample weights are given;
* inference runs in cache-sized chunks under :func:`torch.inference_mode`,
  plain MLPs with in-place activations (:func:`inference_steps`).
"""

import copy
import math
import sys
from functools import partial

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring
from skorch.callbacks import EarlyStopping as SkorchEarlyStopping
from skorch.utils import TeeGenerator
from torch import nn

from ._modules import Dropout
from ._threads import thread_policy

#: rows per forward pass at prediction time: the activations of a chunk of a
#: few thousand rows stay in the CPU caches, those of 65,536 rows do not
PREDICT_CHUNK = 4096
#: rows per batch of the validation loss (at least the training batch size)
VALID_CHUNK = 8192
#: inference pads the rows to a multiple of this (see ``forward_chunks``)
ROW_BLOCK = 64
#: rows on which the loss is measured before and after a fit (``mean_loss``)
LOSS_CHECK_ROWS = 2048


class TensorData:
    """Training data as tensors: inputs ``X``, target ``y`` and weights ``w``.

    ``y`` may be ``X`` itself (an autoencoder's target); it is then sliced
    once per batch, not twice. ``w`` is None for unweighted data. ``d`` is
    the variable a decorrelation penalty acts on (``fit(...,
    decorrelate=...)``), or None.
    """

    def __init__(self, X, y=None, w=None, d=None):
        self.X = X
        self.y = y
        self.w = w
        self.d = d

    def __len__(self):
        return self.X.shape[0]

    def subset(self, index):
        """The rows ``index`` as a new :class:`TensorData`."""
        X = self.X[index]
        y = None if self.y is None else (X if self.y is self.X else self.y[index])
        w = None if self.w is None else self.w[index]
        d = None if self.d is None else self.d[index]
        return TensorData(X, y, w, d)


class TensorBatchIterator:
    """Iterate over a :class:`TensorData` in mini-batches of tensor slices.

    With ``shuffle``, every pass draws a new permutation from ``generator``
    and gathers the data once in that order. A batch is ``(X, y)``, or
    ``(X, (y, w))`` when the data carry weights, or ``(X, (y, w, d))`` (``w``
    possibly None) when they carry a variable to decorrelate from.
    """

    def __init__(self, data, batch_size, *, shuffle=False, generator=None):
        self.data = data
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return math.ceil(len(self.data) / self.batch_size)

    def __iter__(self):
        data = self.data
        if self.shuffle:
            perm = torch.randperm(len(data), generator=self.generator, device="cpu")
            data = data.subset(perm.to(data.X.device))
        X, y, w, d = data.X, data.y, data.w, data.d
        bs = self.batch_size
        for start in range(0, X.shape[0], bs):
            stop = start + bs
            Xb = X[start:stop]
            yb = None if y is None else (Xb if y is X else y[start:stop])
            if d is not None:
                yield Xb, (yb, None if w is None else w[start:stop], d[start:stop])
            else:
                yield (Xb, yb) if w is None else (Xb, (yb, w[start:stop]))


class EpochProgressBar(Callback):
    """A tqdm bar over the epochs of one fit, showing the latest losses."""

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.epochs_planned, unit="epoch", file=sys.stderr, leave=True)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {k: f"{row[k]:.4g}" for k in ("train_loss", "valid_loss") if k in row}
        self.bar_.set_postfix(losses, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("bar_", None)
        return state


class BestEpochStopping(Callback):
    """Early stopping that keeps the epoch with the lowest validation loss.

    After every epoch, a validation loss lower than the best so far, by any
    amount, makes that epoch the best one: its weights are kept, and put
    back into the network when the training ends. ``tol`` only decides when
    to stop, by scikit-learn's rule: an epoch whose loss is not below the
    best loss before it by at least ``tol`` counts as one without
    improvement, and the training stops after ``patience`` such epochs in a
    row. (skorch's ``EarlyStopping(threshold=tol)`` instead keeps the last
    epoch that improved by ``tol``, which can be far from the lowest loss.)

    Parameters
    ----------
    patience : int
        Epochs in a row without an improvement by ``tol`` before stopping.
    tol : float
        Smallest decrease of the loss that counts as an improvement.
    monitor : str, default="valid_loss"
        The key of the net's history to watch.

    Attributes
    ----------
    best_epoch_ : int
        Epoch (the history's numbering, from 1) with the lowest loss; 0
        before the first epoch.
    best_loss_ : float
        Its loss.
    n_without_improvement_ : int
        Epochs in a row without an improvement by ``tol`` so far.
    """

    def __init__(self, patience, tol, monitor="valid_loss"):
        self.patience = patience
        self.tol = tol
        self.monitor = monitor

    def on_train_begin(self, net, **kwargs):
        self.best_epoch_ = 0
        self.best_loss_ = math.inf
        self.n_without_improvement_ = 0
        self.best_state_ = None

    def on_epoch_end(self, net, **kwargs):
        loss = float(net.history[-1, self.monitor])
        if loss > self.best_loss_ - self.tol:
            self.n_without_improvement_ += 1
        else:
            self.n_without_improvement_ = 0
        if loss < self.best_loss_:
            self.best_loss_ = loss
            self.best_epoch_ = int(net.history[-1, "epoch"])
            self.best_state_ = {
                k: v.detach().clone() for k, v in net.module_.state_dict().items()
            }
        if self.n_without_improvement_ >= self.patience:
            net.stop_training()

    def on_train_end(self, net, **kwargs):
        if self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)
        self.best_state_ = None  # the weights live in the net; keep no copy

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("best_state_", None)
        return state


def snapshot_net(net):
    """Return a function that puts the skorch ``net`` back in its current state.

    Keeps copies of the weights and buffers of its modules and of the states
    of its optimizers, its attributes (callbacks, counters) and the length
    of its history, which training only appends to. Cheap: one copy of the
    tensors, no pickling.
    """
    attributes = dict(vars(net))
    n_history = len(net.history)
    modules, optimizers = {}, {}
    for name, value in attributes.items():
        if not name.endswith("_"):
            continue
        if isinstance(value, torch.nn.Module):
            modules[name] = {k: v.detach().clone() for k, v in value.state_dict().items()}
        elif isinstance(value, torch.optim.Optimizer):
            optimizers[name] = copy.deepcopy(value.state_dict())

    def restore():
        vars(net).clear()
        vars(net).update(attributes)
        del net.history[n_history:]
        for name, state in modules.items():
            getattr(net, name).load_state_dict(state)
        for name, state in optimizers.items():
            getattr(net, name).load_state_dict(state)

    return restore


class DivergedError(FloatingPointError):
    """Raised when training diverges; the estimator is left as it was.

    Raised when an epoch's loss is not finite, when a weight of the network
    is not finite at the end of a fit, and when the loss explodes while
    staying finite: more than ``LOSS_GROWTH_LIMIT`` (100) times the loss at
    the start of the call (see ``NeuralEstimator._check_trained_net`` and
    the section "When a fit fails" of the user guide).
    """


class PhysNet(NeuralNet):
    """skorch net on tensors with a fast batch iterator and a weighted loss.

    It is driven by :meth:`fit_tensors`; ``criterion`` must be built with
    ``reduction="none"`` so that per-event weights can be applied.
    """

    def get_default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
        ]

    # -- training -------------------------------------------------------
    def fit_tensors(self, train, valid=None, *, epochs, seed, penalty=None):
        """Train for ``epochs`` epochs on the :class:`TensorData` ``train``.

        ``valid`` (a :class:`TensorData` or None) gives the validation loss
        that early stopping watches; ``seed`` seeds the shuffling;
        ``penalty`` (a ``_penalties.DecorrelationTerm`` or None) is added to
        the loss of every batch of data that carry ``d``.

        Unlike skorch's ``partial_fit``, a :class:`KeyboardInterrupt` (Ctrl-C)
        is not taken for the end of the training: it propagates, and the
        estimator that called this puts itself back as it was. Callbacks end
        the training early through :meth:`stop_training` instead (a skorch
        :class:`~skorch.callbacks.EarlyStopping` among the user's callbacks
        does so too, see :meth:`notify`).
        """
        if not self.initialized_:
            self.initialize()
        self.initialize_pending_optimizer()
        self.epochs_planned = epochs
        self.valid_data = valid
        self.shuffle_generator = torch.Generator().manual_seed(int(seed))
        self._stop_requested = False
        self.decorrelation_term = penalty
        try:
            self.notify("on_train_begin", X=train, y=None)
            self.fit_loop(train, None, epochs=epochs)
            self.notify("on_train_end", X=train, y=None)
        except BaseException:
            for _, cb in self.callbacks_:  # no progress bar left open
                if isinstance(cb, EpochProgressBar) and hasattr(cb, "bar_"):
                    cb.bar_.close()
            raise
        finally:
            # data and generator are not part of the fitted model
            del self.valid_data, self.shuffle_generator, self.epochs_planned
            del self.decorrelation_term
            del self._stop_requested
        return self

    def stop_training(self):
        """Ask the training to end after the current epoch (for callbacks)."""
        self._stop_requested = True

    def notify(self, method_name, **cb_kwargs):
        """Call ``method_name`` of the net and of every callback.

        skorch's own :class:`~skorch.callbacks.EarlyStopping` ends a training
        by raising :class:`KeyboardInterrupt`; coming from that callback, the
        exception is taken as :meth:`stop_training`. Any other
        ``KeyboardInterrupt`` (Ctrl-C) propagates.
        """
        getattr(self, method_name)(self, **cb_kwargs)
        for _, cb in self.callbacks_:
            try:
                getattr(cb, method_name)(self, **cb_kwargs)
            except KeyboardInterrupt:
                if not isinstance(cb, SkorchEarlyStopping):
                    raise
                self.stop_training()

    # -- the optimizer, built when the training starts ----------------------
    def _initialize_optimizer(self, reason=None):
        # ``initialize`` builds the modules only: creating an optimizer costs
        # seconds of imports (torch._dynamo) that a model loaded to predict
        # never needs. It is built by the first training, before any
        # callback runs (``initialize_pending_optimizer``).
        if self.initialized_ and not getattr(self, "_optimizer_pending", False):
            return super()._initialize_optimizer(reason=reason)
        self._optimizer_pending = True
        return self

    def _validate_params(self):
        if not getattr(self, "_optimizer_pending", False):
            return super()._validate_params()
        # the optimizers' ``optimizer*__`` arguments name optimizers that
        # are not built yet, so not yet known to skorch
        pending = {
            key.split("__")[0]
            for key in self._params_to_validate
            if key.startswith("optimizer") and "__" in key
        }
        known = self.prefixes_
        self.prefixes_ = [*known, "optimizer", *sorted(pending)]
        try:
            return super()._validate_params()
        finally:
            self.prefixes_ = known

    def initialize_pending_optimizer(self):
        """Build the optimizer(s) if :meth:`initialize` left them for the training."""
        if getattr(self, "_optimizer_pending", False):
            super()._initialize_optimizer()
            self._optimizer_pending = False
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        self.check_training_readiness()
        epochs = self.max_epochs if epochs is None else epochs
        train, valid = X, self.valid_data
        iterator_train = self.get_iterator(train, training=True)
        iterator_valid = None if valid is None else self.get_iterator(valid, training=False)
        kwargs = {"dataset_train": train, "dataset_valid": valid}
        for _ in range(epochs):
            self.notify("on_epoch_begin", **kwargs)
            self.run_single_epoch(
                iterator_train, training=True, prefix="train", step_fn=self.train_step
            )
            self.run_single_epoch(
                iterator_valid, training=False, prefix="valid", step_fn=self.validation_step
            )
            self.notify("on_epoch_end", **kwargs)
            if self._stop_requested:
                break
        return self

    def get_iterator(self, dataset, training=False):
        if training:
            return TensorBatchIterator(
                dataset, self.batch_size, shuffle=True, generator=self.shuffle_generator
            )
        if dataset.d is not None:  # a batch penalty: measured on training-sized batches
            return TensorBatchIterator(dataset, self.batch_size)
        return TensorBatchIterator(dataset, max(self.batch_size, VALID_CHUNK))

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        self._set_training(training)
        history = self.history
        total, batch_count = 0.0, 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss = step["loss"].item()
            history.record_batch(prefix + "_loss", loss)
            history.record_batch(prefix + "_batch_size", batch[0].shape[0])
            self.notify("on_batch_end", batch=batch, training=training, **step)
            total += loss
            batch_count += 1
        history.record(prefix + "_batch_count", batch_count)
        if not math.isfinite(total):
            raise DivergedError(
                f"Training diverged: the {prefix} loss became {total} in epoch "
                f"{len(history)}. Lower the learning rate (lr={self.lr:g} now), "
                "standardise the inputs (e.g. with StandardScaler) or check "
                "sample_weight for extreme values."
            )

    def train_step(self, batch, **fit_params):
        # one optimizer step; the training mode is set once per epoch
        Xi, yi = batch
        self.optimizer_.zero_grad(set_to_none=True)
        y_pred = self.module_(Xi)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        self.optimizer_.step()
        return {"loss": loss.detach(), "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        Xi, yi = batch
        with torch.inference_mode():
            y_pred = self.module_(Xi)
            loss = self.get_loss(y_pred, yi, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Mean loss over the batch, weighted per event when weights are given."""
        if isinstance(y_true, tuple):
            target, weight, *decorrelate = y_true
            per_element = self.criterion_(y_pred, target)
            per_event = per_element.reshape(per_element.shape[0], -1).mean(dim=1)
            loss = per_event.mean() if weight is None else (per_event * weight).mean()
            term = getattr(self, "decorrelation_term", None)
            if decorrelate and term is not None:
                loss = loss + term(y_pred, target, weight, decorrelate[0])
            return loss
        return self.criterion_(y_pred, y_true).mean()

    def mean_loss(self, data, max_rows=LOSS_CHECK_ROWS, *, return_rows=False):
        """Unweighted mean loss of the network on the :class:`TensorData` ``data``.

        Measured in evaluation mode on at most ``max_rows`` evenly spaced
        rows, without touching any random number generator: a float (NaN or
        inf when the output overflows), or None without rows. With
        ``return_rows``, ``(loss, output, inputs)`` of those rows (CPU tensors).
        """
        n = len(data)
        if n == 0:
            return (None, None, None) if return_rows else None
        if n > max_rows:
            index = torch.linspace(0, n - 1, max_rows).round().long()
            data = data.subset(index.to(data.X.device))
        output = self.forward_chunks(data.X)
        target = data.X if data.y is None else data.y
        with torch.inference_mode():
            loss = float(self.criterion_(output, target.cpu()).double().mean())
        return (loss, output, data.X.cpu()) if return_rows else loss

    def reference_losses(self, data, max_rows=LOSS_CHECK_ROWS, *, seed=0):
        """The losses at the start of a fit that its end is compared with.

        Returns ``(without_dropout, with_dropout)``, or None without rows:

        * ``without_dropout``: the unweighted mean loss in evaluation mode,
          as :meth:`mean_loss` measures it;
        * ``with_dropout``: the loss as the epoch losses are measured: that
          of :meth:`get_loss` (weighted per event when ``data`` has weights),
          with the dropout layers active and every other layer in
          evaluation mode (no batch statistics are updated). The dropout
          masks come from ``seed`` in a forked random state, so no generator
          of the training is touched.

        Each is at least the same loss of an output of zeros (a logit of 0,
        a reconstruction of zeros): once a network has learned its task,
        its loss can be a thousand times lower than that, and a hundredfold
        rise from there is noise, not divergence. Measured on at most
        ``max_rows`` evenly spaced rows.
        """
        n = len(data)
        if n == 0:
            return None
        if n > max_rows:
            index = torch.linspace(0, n - 1, max_rows).round().long()
            data = data.subset(index.to(data.X.device))
        module = self.module_
        was_training = module.training
        module.eval()
        for layer in module.modules():
            if isinstance(layer, nn.modules.dropout._DropoutNd):
                layer.train()
        device = data.X.device
        devices = [device.index or 0] if device.type == "cuda" else []
        target = data.X if data.y is None else data.y
        y_true = target if data.w is None else (target, data.w)
        try:
            with torch.random.fork_rng(devices=devices), torch.inference_mode():
                torch.manual_seed(seed)
                with thread_policy(module, len(data)):
                    output = module(data.X)
                zeros = torch.zeros_like(output)
                with_dropout = float(self.get_loss(output, y_true, X=data.X, training=True))
                zero_weighted = float(self.get_loss(zeros, y_true, X=data.X, training=True))
                zero_plain = float(self.criterion_(zeros, target).double().mean())
        finally:
            module.train(was_training)
        without_dropout = self.mean_loss(data, max_rows=len(data))
        return max(without_dropout, zero_plain), max(abs(with_dropout), abs(zero_weighted))

    # -- inference ------------------------------------------------------
    def forward_chunks(self, X, *, module=None, chunk_size=None):
        """Output of ``module`` (default ``module_``) for the float32 tensor ``X``.

        Runs in no-grad chunks of ``chunk_size`` rows (default
        ``PREDICT_CHUNK``) in evaluation mode, with the threads of the thread
        policy (:mod:`._threads`).

        Returns a float32 CPU tensor. The rows are padded with zeros to a
        multiple of ``ROW_BLOCK``: matrix-multiply kernels treat a ragged tail
        of rows differently, so without the padding an event's float32 output
        could change in the last bit with the number of events predicted
        together. With it, predicting a subset gives exactly the same numbers.
        """
        module = self.module_ if module is None else module
        chunk_size = PREDICT_CHUNK if chunk_size is None else chunk_size
        module.eval()
        n = X.shape[0]
        steps = inference_steps(module)
        with torch.inference_mode(), thread_policy(module, n):
            X = X.to(self.device)
            pad = -n % ROW_BLOCK
            if pad:
                X = torch.cat([X, X.new_zeros((pad,) + tuple(X.shape[1:]))])
            if steps is None:
                outs = [module(chunk) for chunk in X.split(chunk_size)]
            else:
                outs = [run_steps(steps, chunk) for chunk in X.split(chunk_size)]
            out = outs[0] if len(outs) == 1 else torch.cat(outs)
        return out[:n].cpu()


# activations that have an in-place form, and how to call it
_IN_PLACE = {
    nn.ReLU: lambda layer: torch.relu_,
    nn.Tanh: lambda layer: torch.tanh_,
    nn.Sigmoid: lambda layer: torch.sigmoid_,
    nn.LeakyReLU: lambda layer: partial(F.leaky_relu_, negative_slope=layer.negative_slope),
    nn.ELU: lambda layer: partial(F.elu_, alpha=layer.alpha),
}


def inference_steps(module):
    """The evaluation-mode forward pass of a plain MLP as a list of steps, or None.

    For a :class:`torch.nn.Sequential` of linear layers, activations and
    dropout (the networks ``make_mlp`` builds), each step is ``(function,
    in_place)``: a linear layer, or an activation that overwrites its input
    (the output of the linear layer before it, never the caller's data).
    Dropout is the identity in evaluation mode and is left out. The numbers
    are those of ``module(X)``; the time is not: each activation costs no
    new tensor, and with chunks of :data:`PREDICT_CHUNK` rows the
    intermediate activations stay in the CPU caches. Any other module, or
    one with hooks, returns None and runs as it is.
    """
    if type(module) is not nn.Sequential:
        return None
    steps = []
    for layer in module:
        if layer._forward_hooks or layer._forward_pre_hooks:
            return None
        kind = type(layer)
        if kind is nn.Linear:
            steps.append((partial(F.linear, weight=layer.weight, bias=layer.bias), False))
        elif kind in _IN_PLACE:
            steps.append((_IN_PLACE[kind](layer), True))
        elif kind in (nn.Dropout, nn.Identity, Dropout):
            continue
        elif kind is nn.GELU:
            steps.append((layer, False))
        else:
            return None
    if module._forward_hooks or module._forward_pre_hooks:
        return None
    return steps


def run_steps(steps, X):
    """Apply :func:`inference_steps` to the rows ``X`` (which are never written to)."""
    owned = False  # may the current tensor be overwritten?
    for function, in_place in steps:
        if in_place and owned:
            function(X)
        elif in_place:  # an activation first: work on a copy
            X = function(X.clone())
            owned = True
        else:
            X = function(X)
            owned = True
    return X
