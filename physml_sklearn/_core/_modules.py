"""Torch building blocks: activations, weight initialisers and the MLP."""

from numbers import Real

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}

INITIALIZERS = ("he_normal", "he_uniform", "glorot_normal", "glorot_uniform", "torch")

# the gain that He initialisation is derived for, per activation
_HE_NONLINEARITY = {"relu": "relu", "leaky_relu": "leaky_relu", "elu": "relu", "gelu": "relu"}


class Dropout(nn.Dropout):
    """Inverted dropout whose mask comes from :func:`torch.rand`.

    The same layer as :class:`torch.nn.Dropout`; on the CPU, PyTorch draws
    the latter's mask with a serial ``bernoulli_`` that costs several times
    a small layer's matrix multiply, while a uniform draw compared with ``p``
    is vectorised. On other devices the fused kernel is used.
    """

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        if x.device.type != "cpu":
            return super().forward(x)
        keep = torch.rand_like(x) >= self.p
        return x * keep * (1.0 / (1.0 - self.p))


def resolve_dropout(dropout, n_hidden, *, name="dropout"):
    """Return one dropout probability per hidden layer.

    Parameters
    ----------
    dropout : float or sequence of float
        One probability for every hidden layer, or one per hidden layer.
    n_hidden : int
        Number of hidden layers.
    name : str, default="dropout"
        Parameter name used in error messages.

    Returns
    -------
    rates : list of float
    """
    if isinstance(dropout, Real):
        rates = [float(dropout)] * n_hidden
    else:
        rates = [float(p) for p in dropout]
        if len(rates) != n_hidden:
            raise ValueError(
                f"`{name}` has {len(rates)} values but the network has {n_hidden} "
                f"hidden layers; pass one float for all layers or exactly "
                f"{n_hidden} values."
            )
    for p in rates:
        if not 0.0 <= p < 1.0:
            raise ValueError(
                f"`{name}` must be in [0, 1); got {p}. Use 0 for no dropout."
            )
    return rates


def init_linear(layer, kernel_initializer, activation, *, dropout=0.0):
    """Initialise the weights of a linear (or convolutional) layer in place.

    ``dropout`` is the dropout rate applied to the layer's input. Inverted
    dropout keeps the mean of its output but multiplies its second moment by
    ``1 / (1 - p)``; the weights are scaled by ``sqrt(1 - p)`` so that the
    variance stays what the initialiser is designed for during training
    (Hendrycks & Gimpel, 2016). Without it, the lecture's six-layer network
    with dropout 0.5 starts with logits 8 times too wide and spends its first
    epochs undoing that.
    """
    weight = layer.weight
    # a network built on the "meta" device (load's shape check) has no values
    # to draw; torch's meta normal_ would also import torch._dynamo (seconds)
    if kernel_initializer == "torch" or weight.is_meta:
        return
    if kernel_initializer.startswith("he_"):
        nonlinearity = _HE_NONLINEARITY.get(activation, "linear")
        if activation in ("tanh", "sigmoid"):
            nonlinearity = activation
        fn = nn.init.kaiming_normal_ if kernel_initializer == "he_normal" else nn.init.kaiming_uniform_
        fn(weight, nonlinearity=nonlinearity)
    elif kernel_initializer == "glorot_normal":
        nn.init.xavier_normal_(weight)
    elif kernel_initializer == "glorot_uniform":
        nn.init.xavier_uniform_(weight)
    else:  # pragma: no cover - guarded by parameter validation
        raise ValueError(f"unknown kernel_initializer {kernel_initializer!r}")
    if dropout:
        with torch.no_grad():
            weight.mul_((1.0 - dropout) ** 0.5)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def make_mlp(
    n_inputs,
    hidden_layer_sizes,
    n_outputs,
    *,
    activation="relu",
    kernel_initializer="he_normal",
    dropout=0.0,
    output_activation=None,
):
    """Build a fully connected network as a :class:`torch.nn.Sequential`.

    Each hidden layer is ``Linear -> activation [-> Dropout]``; the output
    layer is linear, followed by ``output_activation`` when one is given.

    Parameters
    ----------
    n_inputs : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer (may be empty).
    n_outputs : int
        Width of the output layer.
    activation : str, default="relu"
        Name of the hidden-layer activation, a key of ``ACTIVATIONS``.
    kernel_initializer : str, default="he_normal"
        One of ``INITIALIZERS``.
    dropout : float or sequence of float, default=0.0
        Dropout probability after every hidden layer, or one per layer.
    output_activation : str or None, default=None
        Activation after the output layer, a key of ``ACTIVATIONS``.

    Returns
    -------
    module : torch.nn.Sequential
    """
    hidden = [int(h) for h in hidden_layer_sizes]
    rates = resolve_dropout(dropout, len(hidden))
    layers = []
    width = int(n_inputs)
    previous_rate = 0.0
    for size, rate in zip(hidden, rates):
        linear = nn.Linear(width, size)
        init_linear(linear, kernel_initializer, activation, dropout=previous_rate)
        layers += [linear, ACTIVATIONS[activation]()]
        if rate > 0:
            layers.append(Dropout(rate))
        width, previous_rate = size, rate
    out = nn.Linear(width, int(n_outputs))
    init_linear(out, kernel_initializer, output_activation or "linear", dropout=previous_rate)
    layers.append(out)
    if output_activation is not None:
        layers.append(ACTIVATIONS[output_activation]())
    return nn.Sequential(*layers)


def seed_from(random_state):
    """Draw a 31-bit integer seed from a :class:`numpy.random.RandomState`."""
    return int(random_state.randint(np.iinfo(np.int32).max))


def torch_generator(seed, device="cpu"):
    """A :class:`torch.Generator` on ``device`` seeded with ``seed``."""
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen
