"""The scoring summary of a model file, and a numpy scorer read from it.

:func:`~physml_sklearn.save` adds to the manifest of a classifier whose
prediction is a plain chain of array operations a *scoring summary*
(``"scoring"`` beside ``"model"`` in ``model.json``): the input columns,
the fold rule or the average of a
:class:`~physml_sklearn.FoldingClassifier`, the ``StandardScaler`` of a
``Pipeline`` as numbers, and each network as its layers: which tensor of
the file's own ``weights/*.safetensors`` member is the weight and the bias
of each linear layer, and the activation after it. Models with anything
else (another transformer, a GELU, a GAN...) get no summary.

:func:`read_scorer` turns a summary into a :class:`Scorer` that predicts
with numpy alone: no torch, skorch, scikit-learn, skops or pandas import,
which is what ``physml-sklearn apply`` spends most of its time on for a
million events otherwise. It computes what the estimators compute (the
scaler in float64, the network in float32, the logistic or softmax in
float64); the matrix products come from numpy's BLAS instead of torch's, so
the probabilities agree with ``predict_proba`` of the loaded model to the
rounding of float32 (about 1e-7), not bit for bit. The rows are scored in
chunks of :data:`CHUNK_ROWS`, one chunk per thread on a single-threaded
BLAS: the numbers do not depend on the number of threads (BLAS kernels
round a row differently with its position in the block, so they may change
in the last float32 bit with the rows scored before it).

The reader is careful in the same ways as :func:`~physml_sklearn.load`:
every member is read within its declared size, the safetensors header is
checked against the data, the layer shapes against each other, and no name
in the file is imported. A file whose manifest or scikit-learn members name
anything beyond the few classes a summarised model holds, whose versions
differ from the installed ones, or whose summary is missing or
inconsistent gives None: the caller then loads the file the full way, which
accepts or refuses it as :func:`~physml_sklearn.load` does.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .._fold_rule import integer_folds
from ._audit import (
    LIBRARIES,
    Archive,
    ModelFileError,
    UntrustedTypeError,
    major_version,
    manifest_names,
    parse_json,
    safetensors_header,
    skops_names,
)

#: version of the summary's layout
SCORING_VERSION = 1
#: rows scored together: the activations of a chunk stay in the CPU caches
CHUNK_ROWS = 8192

# every class a summarised model's manifest and scikit-learn members may name
_SUMMARY_NAMES = frozenset({
    "physml_sklearn.folding:FoldingClassifier",
    "physml_sklearn.classifier:DropoutMLPClassifier",
    "physml_sklearn.classifier:SoftmaxMLPClassifier",
    "sklearn.pipeline:Pipeline",
    "sklearn.preprocessing._data:StandardScaler",
    "builtins:dict", "builtins:list", "builtins:str", "builtins:tuple", "builtins:int",
    "builtins:float", "builtins:bool", "builtins:NoneType",
    "numpy:ndarray", "numpy:float64", "numpy:float32", "numpy:int64", "numpy:int32",
})
# the hidden-layer activations numpy computes here, by torch module class name
_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid",
                "LeakyReLU": "leaky_relu", "ELU": "elu"}


class _Unsupported(Exception):
    """The model, or the data, is not one the summary scores."""


# -- writing (inside save: torch and scikit-learn are loaded) ---------------------
def scoring_summary(model, weights_members):
    """The scoring summary of ``model`` as a JSON-ready dict, or None.

    Parameters
    ----------
    model : estimator
        The fitted model being saved.
    weights_members : dict
        ``id(estimator)`` -> name of the member holding the estimator's
        network weights, for every neural estimator written.
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return None
    try:
        node = _summary_node(model, weights_members)
        features = [_plain(name, str) for name in names]
    except _Unsupported:
        return None
    return {"version": SCORING_VERSION, "features": features, "model": node}


def _plain(value, *types):
    """``value`` as a JSON value of one of ``types`` (numpy scalars included)."""
    if isinstance(value, np.generic):
        value = value.item()
    if type(value) not in types:
        raise _Unsupported
    return value


def _classes(estimator):
    return [_plain(c, str, int) for c in estimator.classes_]


def _summary_node(estimator, weights_members):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from ..classifier import DropoutMLPClassifier, SoftmaxMLPClassifier
    from ..folding import FoldingClassifier

    kind = type(estimator)
    if kind is FoldingClassifier:
        index = None
        if estimator.fold_column is not None:
            index = int(estimator._fold_index(estimator.n_features_in_))
        models = []
        for fold_model in estimator.estimators_:
            columns = np.searchsorted(estimator.classes_, fold_model.classes_)
            models.append({"node": _summary_node(fold_model, weights_members),
                           "columns": [int(c) for c in columns]})
        return {"kind": "folding", "n_folds": int(estimator.n_folds), "fold_index": index,
                "classes": _classes(estimator), "models": models}
    if kind is Pipeline:
        steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
        if not steps or getattr(estimator, "transform_input", None):
            raise _Unsupported
        return {"kind": "pipeline",
                "steps": [_summary_node(step, weights_members) for step in steps]}
    if kind is StandardScaler:
        mean = estimator.mean_ if estimator.with_mean else None
        scale = estimator.scale_ if estimator.with_std else None
        return {"kind": "standard_scaler",
                "mean": None if mean is None else [float(v) for v in mean],
                "scale": None if scale is None else [float(v) for v in scale]}
    if kind in (DropoutMLPClassifier, SoftmaxMLPClassifier):
        member = weights_members.get(id(estimator))
        if member is None:
            raise _Unsupported
        return {"kind": "mlp", "classes": _classes(estimator),
                "output": "logistic" if kind is DropoutMLPClassifier else "softmax",
                "weights": member, "layers": _layers(estimator.net_.module_)}
    raise _Unsupported


def _layers(module):
    """Each linear layer's tensors and the activation after it."""
    from torch import nn

    from .._core._modules import Dropout

    if type(module) is not nn.Sequential or module._forward_hooks or module._forward_pre_hooks:
        raise _Unsupported
    layers = []
    for index, layer in module.named_children():
        if layer._forward_hooks or layer._forward_pre_hooks:
            raise _Unsupported
        kind = type(layer)
        if kind is nn.Linear and layer.bias is not None:
            layers.append({"weight": f"module_.{index}.weight", "bias": f"module_.{index}.bias",
                           "activation": None})
        elif kind in (nn.Dropout, Dropout, nn.Identity):
            continue
        elif kind.__name__ in _ACTIVATIONS and kind.__module__.startswith("torch.nn"):
            if not layers or layers[-1]["activation"] is not None:
                raise _Unsupported
            activation = {"name": _ACTIVATIONS[kind.__name__]}
            if kind is nn.LeakyReLU:
                activation["negative_slope"] = float(layer.negative_slope)
            elif kind is nn.ELU:
                activation["alpha"] = float(layer.alpha)
            layers[-1]["activation"] = activation
        else:
            raise _Unsupported
    if not layers or layers[-1]["activation"] is not None:
        raise _Unsupported
    return layers


# -- reading (no torch, scikit-learn, skops or pandas) ----------------------------------
def read_scorer(path):
    """The :class:`Scorer` of the model file at ``path``, or None.

    None when the file has no scoring summary, names a class beyond those
    of a summarised model, was written with other major versions of the
    libraries, or is damaged in any way: load it with
    :func:`~physml_sklearn.load` then, which refuses or accepts it with its
    own messages.
    """
    try:
        with Archive(Path(path)) as archive:
            manifest = parse_json(archive.read("model.json"), "The manifest")
            if not (isinstance(manifest, dict)
                    and manifest.get("format") == "physml-sklearn-model"
                    and manifest.get("format_version") == 1):
                return None
            summary = manifest.get("scoring")
            if not isinstance(summary, dict) or summary.get("version") != SCORING_VERSION:
                return None
            names = set(manifest_names(manifest.get("model")))
            for member in archive.infos:
                if member.startswith("skops/"):
                    names |= skops_names(archive.read(member), member)
            if not names <= _SUMMARY_NAMES or not _same_versions(manifest.get("versions")):
                return None
            features = summary.get("features")
            if not (isinstance(features, list) and features
                    and all(isinstance(f, str) for f in features)):
                return None
            model = _build(summary.get("model"), archive, len(features), set())
            if not isinstance(model, (_Folding, _Chain)):
                return None
            return Scorer(features, model)
    except (ModelFileError, UntrustedTypeError, _Unsupported, KeyError, TypeError,
            ValueError, IndexError):
        return None


def _same_versions(saved):
    """Whether the libraries the file was written with have the installed major versions."""
    from importlib import metadata

    if not isinstance(saved, dict):
        return False
    for name, distribution in LIBRARIES.items():
        if name not in saved:
            continue
        try:
            installed = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return False
        if not isinstance(saved[name], str) or major_version(saved[name]) != major_version(installed):
            return False
    return True


def _vector(values, n):
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (n,) or not np.isfinite(array).all():
        raise _Unsupported
    return array


def _build(node, archive, n_inputs, members):
    """The scoring object of the summary ``node`` taking ``n_inputs`` columns."""
    if not isinstance(node, dict):
        raise _Unsupported
    kind = node.get("kind")
    if kind == "folding":
        n_folds, index = node["n_folds"], node["fold_index"]
        classes = node["classes"]
        if not (type(n_folds) is int and n_folds >= 2 and isinstance(classes, list)
                and len(node["models"]) == n_folds):
            raise _Unsupported
        if index is not None and not (type(index) is int and 0 <= index < n_inputs):
            raise _Unsupported
        width = n_inputs - (index is not None)
        models = []
        for entry in node["models"]:
            chain = _build(entry["node"], archive, width, members)
            columns = entry["columns"]
            if not (isinstance(chain, _Chain) and isinstance(columns, list)
                    and len(columns) == chain.n_classes
                    and all(type(c) is int and 0 <= c < len(classes) for c in columns)
                    and [classes[c] for c in columns] == chain.classes):
                raise _Unsupported
            models.append((chain, np.asarray(columns)))
        return _Folding(n_folds, index, classes, models)
    if kind == "pipeline":
        steps = node["steps"]
        if not (isinstance(steps, list) and steps):
            raise _Unsupported
        scalers = [_build(step, archive, n_inputs, members) for step in steps[:-1]]
        last = _build(steps[-1], archive, n_inputs, members)
        if not (all(isinstance(s, _Scaler) for s in scalers) and isinstance(last, _Chain)):
            raise _Unsupported
        return _Chain(scalers + last.scalers, last.network, last.classes)
    if kind == "standard_scaler":
        mean = None if node["mean"] is None else _vector(node["mean"], n_inputs)
        scale = None if node["scale"] is None else _vector(node["scale"], n_inputs)
        if scale is not None and not (scale > 0).all():
            raise _Unsupported
        return _Scaler(mean, scale)
    if kind == "mlp":
        classes = node["classes"]
        if not (isinstance(classes, list) and len(classes) >= 2
                and all(type(c) in (str, int) for c in classes)):
            raise _Unsupported
        network = _network(node, archive, n_inputs, members)
        return _Chain([], network, classes)
    raise _Unsupported


def _network(node, archive, n_inputs, members):
    from safetensors.numpy import load as load_tensors

    member, output = node["weights"], node["output"]
    if not (isinstance(member, str) and member.startswith("weights/")) or member in members:
        raise _Unsupported
    members.add(member)
    data = archive.read(member)
    header = safetensors_header(data, f"The member {member!r}")
    tensors = load_tensors(data)
    layers, width = [], n_inputs
    for layer in node["layers"]:
        weight_key, bias_key = layer["weight"], layer["bias"]
        if header.get(weight_key, (None, None))[1] != "F32" or header.get(
                bias_key, (None, None))[1] != "F32":
            raise _Unsupported
        weight, bias = tensors[weight_key], tensors[bias_key]
        if weight.ndim != 2 or weight.shape[1] != width or bias.shape != weight.shape[:1]:
            raise _Unsupported
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise _Unsupported
        activation = layer["activation"]
        if activation is not None:
            if not (isinstance(activation, dict)
                    and activation.get("name") in _ACTIVATIONS.values()):
                raise _Unsupported
            for key in ("negative_slope", "alpha"):
                if key in activation and not isinstance(activation[key], (int, float)):
                    raise _Unsupported
        layers.append((np.ascontiguousarray(weight.T), bias.copy(), activation))
        width = weight.shape[0]
    if not layers or layers[-1][2] is not None:
        raise _Unsupported
    n_classes = len(node["classes"])
    if output == "logistic" and (width != 1 or n_classes != 2):
        raise _Unsupported
    if output == "softmax" and width != n_classes:
        raise _Unsupported
    if output not in ("logistic", "softmax"):
        raise _Unsupported
    return _Network(layers, output)


class _Scaler:
    """``StandardScaler.transform``: ``(X - mean_) / scale_`` in float64."""

    def __init__(self, mean, scale):
        self.mean, self.scale = mean, scale

    def __call__(self, X):
        if self.mean is not None:
            X -= self.mean
        if self.scale is not None:
            X /= self.scale
        return X


def _activate(h, activation):
    """The activation, in place on the float32 array ``h``."""
    name = activation["name"]
    if name == "relu":
        np.maximum(h, 0, out=h)
    elif name == "tanh":
        np.tanh(h, out=h)
    elif name == "sigmoid":
        np.negative(h, out=h)
        np.exp(h, out=h)
        h += 1
        np.reciprocal(h, out=h)
    elif name == "leaky_relu":
        np.multiply(h, np.float32(activation.get("negative_slope", 0.01)), out=h,
                    where=h < 0)
    else:  # elu
        negative = h < 0
        np.expm1(h, out=h, where=negative)
        np.multiply(h, np.float32(activation.get("alpha", 1.0)), out=h, where=negative)
    return h


class _Network:
    """A plain MLP in evaluation mode: linear layers and activations, float32."""

    def __init__(self, layers, output):
        self.layers, self.output = layers, output

    def proba(self, X):
        """Class probabilities (float64) of the float32 rows ``X``."""
        h = X
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            for i, (weight, bias, activation) in enumerate(self.layers):
                h = np.matmul(h, weight, out=_buffer((self, i), (len(h), len(bias)),
                                                     np.float32))
                h += bias
                if activation is not None:
                    _activate(h, activation)
        if not np.isfinite(h).all():  # the estimator raises here: let it say so
            raise _Unsupported
        logits = h.astype(np.float64)
        if self.output == "logistic":
            p = _expit(logits[:, 0])
            return np.column_stack([1.0 - p, p])
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits


def _expit(x):
    """The logistic function, computed as ``scipy.special.expit`` computes it."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


class _Chain:
    """Scalers then a network: a Pipeline, or a bare classifier."""

    def __init__(self, scalers, network, classes):
        self.scalers, self.network, self.classes = scalers, network, classes
        self.n_classes = len(classes)

    def proba(self, columns, rows=None):
        """Class probabilities of ``rows`` (all when None) of the 1-D ``columns``."""
        n = columns[0].shape[0] if rows is None else rows.shape[0]
        out = np.empty((n, self.n_classes))

        def score(start):
            stop = min(start + CHUNK_ROWS, n)
            part = slice(start, stop) if rows is None else rows[start:stop]
            X = _buffer((self, "X"), (stop - start, len(columns)), np.float64)
            for j, column in enumerate(columns):
                X[:, j] = column[part]
            if not np.isfinite(X).all():  # the estimator raises on such rows: let it
                raise _Unsupported
            for scaler in self.scalers:
                X = scaler(X)
            X32 = _buffer((self, "X32"), X.shape, np.float32)
            with np.errstate(over="ignore"):  # an overflow is caught after the network
                np.copyto(X32, X, casting="same_kind")
            out[start:stop] = self.network.proba(X32)

        _run_chunks(score, range(0, n, CHUNK_ROWS))
        return out


class _Buffers(threading.local):
    """Each thread's arrays, reused from chunk to chunk.

    A chunk's arrays are megabytes, which the allocator takes from and gives
    back to the system each time: reusing them saves the page faults, a
    third of the time of a chunk.
    """

    def __init__(self):
        self.arrays = {}


_BUFFERS = _Buffers()


def _buffer(key, shape, dtype):
    """This thread's array for ``key`` (an owner and a name), of ``shape`` and ``dtype``."""
    key = (id(key[0]), key[1])
    array = _BUFFERS.arrays.get(key)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = _BUFFERS.arrays[key] = np.empty(shape, dtype)
    return array


def _threads():
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _run_chunks(function, starts):
    """``function(start)`` for every start, on one thread per core.

    Each chunk is computed on one thread with a single-threaded BLAS, so the
    numbers do not depend on the number of threads, and no BLAS thread
    spins waiting for work on a busy machine. numpy releases the GIL in the
    matrix products and the element-wise operations that dominate a chunk.
    """
    starts = list(starts)
    n_threads = min(_threads(), len(starts), 16)
    with _single_threaded_blas():
        if n_threads <= 1:
            for start in starts:
                function(start)
            return
        pool = ThreadPoolExecutor(n_threads)
        try:
            for future in [pool.submit(function, start) for start in starts]:
                future.result()
        finally:  # on an error or an interrupt, the chunks not yet started never run
            pool.shutdown(wait=True, cancel_futures=True)
    _BUFFERS.arrays.clear()  # the calling thread's (the pool's went with its threads)


@contextlib.contextmanager
def _single_threaded_blas():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


class _Folding:
    """A FoldingClassifier: its fold rule, or the mean of its fold models."""

    def __init__(self, n_folds, index, classes, models):
        self.n_folds, self.index, self.classes, self.models = n_folds, index, classes, models

    def proba(self, columns):
        n = columns[0].shape[0]
        if self.index is None:  # the mean of the fold models
            out = np.zeros((n, len(self.classes)))
            for chain, positions in self.models:
                out[:, positions] += chain.proba(columns)
            out /= len(self.models)
            return out
        folds = integer_folds(columns[self.index], self.n_folds)
        if folds is None:  # float event numbers: the estimator's own checks decide
            raise _Unsupported
        features = columns[:self.index] + columns[self.index + 1:]
        out = np.zeros((n, len(self.classes)))
        for k, (chain, positions) in enumerate(self.models):
            rows = np.flatnonzero(folds == k)
            if rows.size:
                full = np.zeros((rows.size, len(self.classes)))
                full[:, positions] = chain.proba(features, rows)
                out[rows] = full
        return out


class Scorer:
    """Class probabilities of a saved classifier, computed with numpy.

    Built by :func:`read_scorer`; ``features`` are the input columns in
    order and ``classes`` the model's ``classes_`` (as JSON values).
    """

    def __init__(self, features, model):
        self.features, self.model, self.classes = features, model, model.classes

    def predict_proba(self, columns):
        """``predict_proba`` of the model for the 1-D arrays ``columns`` (one per feature).

        Returns None when the rows hold values the model's own validation
        would refuse (NaN, infinities, an overflowing network, float event
        numbers): predict with the loaded model then, which says why.
        """
        columns = [np.asarray(c) for c in columns]
        if len(columns) != len(self.features) or any(
                c.ndim != 1 or c.shape != columns[0].shape or c.dtype.kind not in "biuf"
                for c in columns):
            return None
        try:
            return self.model.proba(columns)
        except _Unsupported:
            return None
