"""``save`` and ``load``: a fitted model in one file, without pickle.

The file is a zip archive:

* ``model.json``: the format version, the versions of the package and of its
  libraries, and the model as a tree of JSON nodes: plain values, lists,
  tuples, dicts (and scikit-learn's ``Bunch``), numpy scalars, classes by
  name, and objects by class name with their attributes (parameters and
  fitted attributes); for classifiers
  that are plain chains of array operations, also their scoring summary
  (:mod:`._scoring`), which ``physml-sklearn apply`` scores with numpy;
* ``arrays/*.npy``: the fitted numpy arrays (``allow_pickle=False``);
* ``weights/*.safetensors``: the network weights of each neural estimator
  (``tensors/*.safetensors``: fitted attributes that are torch tensors);
* ``skops/*.skops``: the scikit-learn objects that hold no neural network
  (scalers, column transformers...), written by :mod:`skops.io`.

Loading resolves every class or function the file names against a fixed
registry (:mod:`._registry`), never importing a module the file names;
every member is read within the size the zip directory declares, and
sizes, ``.npy`` headers, safetensors headers and network shapes are checked
against each other before anything is built (:mod:`._audit`,
:mod:`._reader`).
"""

import importlib
import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from sklearn.utils import Bunch

from .._core._base import NeuralEstimator
from .._io_atomic import atomic_path
from ._audit import (
    LIBRARIES,
    Archive,
    ModelFileError,
    UntrustedTypeError,
    major_version,
    manifest_names,
    parse_json,
    skops_names,
    untrusted,
)
from ._reader import Reader, untrusted_message
from ._registry import is_trusted, name_of, normalize_trusted
from ._scoring import scoring_summary

#: identifies the files written by :func:`save`
FORMAT = "physml-sklearn-model"
#: version of the file layout
FORMAT_VERSION = 1
#: attributes of the estimators that are not saved (rebuilt on load)
_NET_ATTRIBUTES = ("net_", "history_")


# -- versions ------------------------------------------------------------------
def _versions():
    versions = {}
    for name in LIBRARIES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - all are dependencies
            continue
        versions[name] = str(getattr(module, "__version__", "unknown"))
    import platform

    versions["python"] = platform.python_version()
    return versions


def _check_versions(saved):
    current = _versions()
    different = [
        f"{name} {version} (installed: {current[name]})"
        for name, version in saved.items()
        if name in current and name != "python"
        and major_version(version) != major_version(current[name])
    ]
    if different:
        warnings.warn(
            "The model file was written with other major versions of "
            + ", ".join(different)
            + "; its predictions may differ from the original ones. Check them, or "
            "refit the model with the installed versions.",
            UserWarning,
            stacklevel=3,
        )


# -- writing -------------------------------------------------------------------
class _Writer:
    """Encodes a model into JSON nodes and the members of the zip file."""

    def __init__(self, trusted=frozenset()):
        self.members = {}  # name -> (bytes, compress)
        self.trusted = trusted
        self.refused = {}  # untrusted name -> where the model holds it
        self.weights_members = {}  # id(neural estimator) -> its weights member
        self._count = 0

    def _member(self, folder, suffix, data, compress=False):
        name = f"{folder}/{self._count}.{suffix}"
        self._count += 1
        self.members[name] = (data, compress)
        return name

    def encode(self, obj, path):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if type(obj) is int:
            return obj
        if type(obj) is float:
            return {"__kind__": "float", "value": repr(obj)}
        if isinstance(obj, np.generic) and not isinstance(obj, np.object_):
            return {"__kind__": "scalar", "dtype": obj.dtype.str, "value": _scalar_json(obj)}
        if type(obj) is list:
            return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        if type(obj) is tuple:
            return {
                "__kind__": "tuple",
                "items": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)],
            }
        if type(obj) is dict or type(obj) is Bunch:
            # a Bunch (a voting or stacking ensemble's named_estimators_) is a
            # dict whose keys are also attributes: stored as one, rebuilt as one
            return {
                "__kind__": "dict" if type(obj) is dict else "bunch",
                "items": [
                    [self.encode(k, f"{path} key"), self.encode(v, f"{path}[{k!r}]")]
                    for k, v in obj.items()
                ],
            }
        if type(obj) is np.ndarray:
            return self._array(obj, path)
        if isinstance(obj, type):
            return {"__kind__": "type", "name": self._class_name(obj, path)}
        if type(obj) is torch.Tensor:
            from safetensors.torch import save as save_tensors

            data = save_tensors({"tensor": obj.detach().cpu().contiguous()})
            return {"__kind__": "tensor", "file": self._member("tensors", "safetensors", data)}
        if isinstance(obj, NeuralEstimator):
            return self._neural(obj, path)
        if _holds_network(obj):
            return self._object(obj, path)
        return self._skops(obj, path)

    def _class_name(self, cls, path):
        name = name_of(cls)
        if not is_trusted(name, self.trusted):
            self.refused.setdefault(name, path)
        return name

    def check(self):
        """Raise UntrustedTypeError naming what load would refuse."""
        if self.refused:
            where = "; ".join(f"{name} at {path}" for name, path in sorted(self.refused.items()))
            raise UntrustedTypeError(
                untrusted_message(self.refused, writing=True) + f" ({where})"
            )

    def _array(self, array, path):
        if array.dtype.hasobject:
            return {
                "__kind__": "object_array",
                "shape": list(array.shape),
                "items": [self.encode(v, f"{path}[...]") for v in array.ravel().tolist()],
            }
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return {"__kind__": "array", "file": self._member("arrays", "npy", buffer.getvalue())}

    def _state(self, obj, path, skip=()):
        state = {}
        for name, value in vars(obj).items():
            if name in skip:
                continue
            state[name] = self.encode(value, f"{path}.{name}")
        return state

    def _object(self, obj, path):
        return {
            "__kind__": "object",
            "class": self._class_name(type(obj), path),
            "state": self._state(obj, path),
        }

    def _neural(self, est, path):
        from safetensors.torch import save as save_tensors

        cls = type(est)
        if not hasattr(est, "net_"):  # an unfitted template, e.g. a meta-estimator's
            return self._object(est, path)
        if est.callbacks:
            raise UntrustedTypeError(
                f"{path} has callbacks={est.callbacks!r}: callbacks are arbitrary "
                "objects that cannot be stored without pickle, and act only during "
                "training. Set callbacks=None (e.g. model.set_params("
                "<step>__callbacks=None) in a pipeline) before saving."
            )
        tensors = {}
        for module_name, module in est._net_modules().items():
            for key, tensor in module.state_dict().items():
                tensors[f"{module_name}.{key}"] = tensor.detach().cpu().contiguous()
        net = est.net_
        net_state = {
            name: value
            for name, value in vars(net).items()
            if name.endswith("_") and not name.startswith("_")
            and type(value) in (bool, int, float, str)
        }
        history = [
            {k: v for k, v in row.items() if k != "batches"} for row in est.net_.history
        ]
        return {
            "__kind__": "neural",
            "class": self._class_name(cls, path),
            "state": self._state(est, path, skip=_NET_ATTRIBUTES),
            "net_state": self.encode(net_state, f"{path}.net_"),
            "history": self.encode(history, f"{path}.history_"),
            "weights": self._weights(est, save_tensors(tensors)),
        }

    def _weights(self, est, data):
        name = self._member("weights", "safetensors", data)
        self.weights_members[id(est)] = name
        return name

    def _skops(self, obj, path):
        import skops.io as sio

        try:
            data = sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)
        except Exception as exc:  # skops raises various types for unsupported objects
            raise UntrustedTypeError(
                f"{path} holds an object of type {type(obj).__module__}."
                f"{type(obj).__qualname__} that cannot be saved without pickle ({exc})."
            ) from exc
        for name in untrusted(skops_names(data, path), self.trusted):
            self.refused.setdefault(name, path)
        return {"__kind__": "skops", "file": self._member("skops", "skops", data)}


def _scalar_json(value):
    item = value.item()
    if isinstance(item, float):
        return repr(item)
    if isinstance(item, complex):
        return [repr(item.real), repr(item.imag)]
    if isinstance(item, bytes):
        return item.decode("latin-1")
    return item


def _holds_network(obj, _depth=0):
    """Whether ``obj`` holds a neural estimator in its attributes (recursively)."""
    if isinstance(obj, NeuralEstimator):
        return True
    if _depth > 50:
        return False
    if isinstance(obj, (list, tuple)):
        return any(_holds_network(v, _depth + 1) for v in obj)
    if isinstance(obj, dict):
        return any(_holds_network(v, _depth + 1) for v in obj.values())
    if isinstance(obj, np.ndarray):
        return obj.dtype.hasobject and any(_holds_network(v, _depth + 1) for v in obj.flat)
    if isinstance(obj, type) or not hasattr(obj, "get_params"):  # only estimators hold one
        return False
    return any(_holds_network(v, _depth + 1) for v in vars(obj).values())


def _check_fitted(model):
    """Raise NotFittedError unless ``model`` is fitted (its estimators included)."""
    from sklearn.utils.validation import check_is_fitted

    if isinstance(model, NeuralEstimator):
        check_is_fitted(model, "net_")
    else:
        check_is_fitted(model)


def save(model, path, *, trusted=None):
    """Save a fitted model to one file that holds no pickle.

    The parameters and fitted attributes are stored as JSON and numpy arrays,
    the network weights as `safetensors <https://huggingface.co/docs/safetensors>`_,
    the scikit-learn objects that hold no network with :mod:`skops.io`, and
    the versions of the package and its libraries with them. A classifier
    whose prediction is a plain chain of array operations (a
    ``DropoutMLPClassifier`` or ``SoftmaxMLPClassifier`` of linear layers
    and ReLU, tanh, sigmoid, leaky ReLU or ELU activations, alone, after
    ``StandardScaler`` steps of a ``Pipeline``, or as the fold models of a
    ``FoldingClassifier``, fitted on a DataFrame) also gets a scoring
    summary, with which ``physml-sklearn apply`` scores Parquet files
    without importing torch. Works for every
    estimator of the package, :class:`~physml_sklearn.inspection.PermutationFeatureElimination`,
    the folding meta-estimator and pipelines / column transformers made of
    scikit-learn transformers around them. The per-batch entries of the
    training ``history_`` are not kept (its per-epoch entries are), nor the
    optimizer's state: a model that continues training after :func:`load`
    starts with a fresh optimizer.

    Parameters
    ----------
    model : estimator
        A fitted estimator or pipeline. Its neural estimators must have
        ``callbacks=None``.
    path : str or path-like
        File to write (conventionally ending in ``.physml``); overwritten
        when it exists.
    trusted : list of str, default=None
        Names (``"module:qualname"``) of classes and functions beyond the
        ones :func:`load` trusts by default that the model may hold, e.g.
        ``["numpy:clip"]`` for a ``FunctionTransformer(np.clip)``. Without
        them, :func:`save` refuses to write a file that :func:`load` would
        refuse; a file written with them loads only with the same
        ``trusted`` given to :func:`load`.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        When the model is not fitted.
    UntrustedTypeError
        When the model holds an object that cannot be stored without pickle
        (a user-defined class, a callback, a torch module as a parameter),
        or a class or function that :func:`load` does not trust by default
        and that is not listed in ``trusted`` (e.g. a ``FunctionTransformer``
        of a function other than the numpy ufuncs of
        :data:`~physml_sklearn.persistence.TRUSTED_UFUNCS`).

    See Also
    --------
    load : Read the model back.
    to_onnx : Export the model as an ONNX graph, for C++ and other runtimes.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from physml_sklearn import DropoutMLPClassifier, load, save
    >>> from physml_sklearn.datasets import make_diboson
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = make_diboson(1000, random_state=0, return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), DropoutMLPClassifier(
    ...     hidden_layer_sizes=(16, 8), max_epochs=5, random_state=0)).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.physml")
    >>> _ = save(model, path)
    >>> loaded = load(path)
    >>> bool(np.array_equal(loaded.predict_proba(X), model.predict_proba(X)))
    True
    """
    trusted = normalize_trusted(trusted)
    _check_fitted(model)
    writer = _Writer(trusted)
    root = writer.encode(model, type(model).__name__)
    writer.check()
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "model": root,
    }
    summary = scoring_summary(model, writer.weights_members)
    if summary is not None:
        manifest["scoring"] = summary
    path = Path(path)
    # a temporary file beside ``path``, fsynced and renamed: a failed or interrupted
    # write never leaves a half-written model file, and an old one stays as it was
    with atomic_path(path) as partial, zipfile.ZipFile(partial, "w") as archive:
        archive.writestr(
            "model.json",
            json.dumps(manifest, separators=(",", ":"), allow_nan=False),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        for name, (data, compress) in writer.members.items():
            method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=method)
    return path


# -- reading -------------------------------------------------------------------
def _open(path):
    """The :class:`~._audit.Archive` of ``path`` and its checked manifest."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No model file at {str(path)!r}.")
    archive = Archive(path)
    try:
        manifest = parse_json(archive.read("model.json"), f"The manifest of {str(path)!r}")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ModelFileError(
                f"{str(path)!r} is not a model file written by physml_sklearn.save."
            )
        versions = manifest.get("versions")
        if not (isinstance(versions, dict)
                and all(isinstance(v, str) for v in versions.values())):
            raise ModelFileError(
                f"{str(path)!r} has an invalid list of versions {str(versions)[:80]!r}; "
                "it is damaged or was edited."
            )
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(
                f"{str(path)!r} has format version {manifest.get('format_version')!r}; "
                f"this physml_sklearn reads version {FORMAT_VERSION}. Load it with the "
                f"version that wrote it ({versions.get('physml_sklearn')})."
            )
        if "model" not in manifest:
            raise ModelFileError(f"{str(path)!r} holds no model: it is damaged or was edited.")
    except BaseException:
        archive.close()
        raise
    return archive, manifest


def read_versions(path):
    """The versions of the package and libraries a model file was written with.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`~physml_sklearn.save`.

    Returns
    -------
    versions : dict
        Library name to version string.

    Raises
    ------
    ModelFileError
        When the file is not a model file, is truncated or damaged.

    Examples
    --------
    >>> import os, tempfile
    >>> from physml_sklearn import SoftmaxMLPClassifier, save
    >>> from physml_sklearn.persistence import read_versions
    >>> clf = SoftmaxMLPClassifier((4,), max_epochs=1, random_state=0).fit([[0.], [1.]], [0, 1])
    >>> path = save(clf, os.path.join(tempfile.mkdtemp(), "clf.physml"))
    >>> sorted(read_versions(path))[:3]
    ['numpy', 'physml_sklearn', 'python']
    """
    archive, manifest = _open(path)
    archive.close()
    return dict(manifest["versions"])


def get_untrusted_types(path):
    """The classes and functions a model file names that :func:`load` does not
    trust by default, without loading it.

    Nothing named by the file is imported and no array is read: the names
    come from the manifest and from the schemas of the scikit-learn
    objects. Review them, and pass those you trust as ``trusted`` to
    :func:`~physml_sklearn.load`.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`~physml_sklearn.save`.

    Returns
    -------
    names : list of str
        Sorted ``"module:qualname"`` names; empty when :func:`load` trusts
        everything the file names.

    Raises
    ------
    ModelFileError
        When the file is not a model file, is truncated or damaged.

    See Also
    --------
    load : Load the file, with ``trusted`` listing the names you trust.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from physml_sklearn import DropoutMLPClassifier, load, save
    >>> from physml_sklearn.persistence import get_untrusted_types
    >>> X = np.random.RandomState(0).normal(size=(100, 3))
    >>> model = make_pipeline(FunctionTransformer(np.clip, kw_args={"a_min": -2, "a_max": 2}),
    ...                       DropoutMLPClassifier((4,), max_epochs=1, random_state=0))
    >>> model = model.fit(X, X[:, 0] > 0)
    >>> path = os.path.join(tempfile.mkdtemp(), "m.physml")
    >>> _ = save(model, path, trusted=["numpy:clip"])
    >>> get_untrusted_types(path)
    ['numpy:clip']
    >>> loaded = load(path, trusted=["numpy:clip"])
    """
    archive, manifest = _open(path)
    with archive:
        return _untrusted_types(archive, manifest, frozenset())


def _untrusted_types(archive, manifest, trusted):
    names = manifest_names(manifest["model"])
    for name in archive.infos:
        if name.startswith("skops/"):
            names |= skops_names(archive.read(name), f"The scikit-learn object {name!r}")
    return untrusted(names, trusted)


def load(path, *, device="cpu", trusted=None):
    """Load a model written by :func:`save`, without unpickling anything.

    A model file runs no code: :func:`load` rebuilds only the classes and
    functions of a fixed allowlist (below) and those the caller lists in
    ``trusted``, resolving each name against that list before anything is
    imported or built. Every member of the file is read within the size its
    zip directory declares, and the sizes, the arrays' headers and the
    networks' shapes are checked against each other before anything is
    allocated. The predictions of the loaded model equal those of the saved
    one, bit for bit.

    The allowlist: the package's estimators, the scikit-learn estimators
    (transformers, ``Pipeline``, ``ColumnTransformer``, the classifiers a
    ``FoldingClassifier`` may hold) and the loss objects they hold, numpy
    arrays, dtypes and random generators, the ``torch.optim`` optimizer
    classes, and as functions only the numpy ufuncs of
    :data:`~physml_sklearn.persistence.TRUSTED_UFUNCS`.

    Parameters
    ----------
    path : str or path-like
        The file written by :func:`save`.
    device : str or None, default="cpu"
        Torch device to put the networks on; the ``device`` parameter of
        each neural estimator is set to it, so a model trained on
        ``"cuda"`` loads on a machine without a GPU. None keeps each
        estimator's own ``device``.
    trusted : list of str, default=None
        Names (``"module:qualname"``, as
        :func:`~physml_sklearn.persistence.get_untrusted_types` lists them)
        of further classes and functions to trust, e.g. ``["numpy:clip"]``.
        Only list what you know the file should hold: a trusted function is
        called when the model predicts.

    Returns
    -------
    model : estimator
        The fitted model.

    Raises
    ------
    ModelFileError
        When the file is not a model file, is truncated, damaged or
        inconsistent (never another exception type).
    UntrustedTypeError
        When the file names a type or function that is neither in the
        allowlist nor in ``trusted``; the message names it.

    Warns
    -----
    UserWarning
        When the file was written with other major versions of the package
        or of its libraries.

    See Also
    --------
    save : Write a model.
    physml_sklearn.persistence.get_untrusted_types : The names a file holds
        beyond the allowlist.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from physml_sklearn import AutoEncoder, load, save
    >>> X = np.random.RandomState(0).normal(size=(200, 4))
    >>> ae = AutoEncoder(encoder_layers=(8,), latent_dim=2, max_epochs=5,
    ...                  random_state=0).fit(X)
    >>> path = save(ae, os.path.join(tempfile.mkdtemp(), "ae.physml"))
    >>> bool(np.array_equal(load(path).transform(X), ae.transform(X)))
    True
    """
    trusted = normalize_trusted(trusted)
    if device is not None:
        from .._core._base import resolve_device

        device = resolve_device(device)
    archive, manifest = _open(path)
    with archive:
        _check_versions(manifest["versions"])
        refused = _untrusted_types(archive, manifest, trusted)
        if refused:  # all of them at once, before anything is built
            raise UntrustedTypeError(untrusted_message(refused))
        try:
            reader = Reader(archive, device, trusted)
            model = reader.decode(manifest["model"])
            reader.check_all_used()
            _check_model(model, path)
        except (ModelFileError, UntrustedTypeError):
            raise
        except Exception as exc:  # whatever an inconsistent file provokes
            raise ModelFileError(
                f"{str(path)!r} is not a valid model file ({type(exc).__name__}: {exc})."
            ) from exc
    return model


def _check_model(model, path):
    """The loaded object is a fitted estimator."""
    from sklearn.base import BaseEstimator

    if not isinstance(model, BaseEstimator):
        raise ModelFileError(
            f"{str(path)!r} holds {type(model).__name__} {str(model)[:40]!r}, not an "
            "estimator: it is damaged or was edited."
        )
    try:
        _check_fitted(model)
    except Exception as exc:
        raise ModelFileError(
            f"{str(path)!r} holds an unfitted {type(model).__name__}: it is damaged or was "
            "edited."
        ) from exc


__all__ = [
    "ModelFileError",
    "UntrustedTypeError",
    "get_untrusted_types",
    "load",
    "read_versions",
    "save",
]
