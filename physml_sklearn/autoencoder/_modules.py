"""The torch parts of the autoencoders: the network, the losses, the LR schedule."""

import copy
import math

import numpy as np
import torch
from skorch.callbacks import Callback
from torch import nn

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
