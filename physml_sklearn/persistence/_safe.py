"""``save`` and ``load``: a fitted model in one file, without pickle.

The file is a zip archive:

* ``model.json``: the format version, the versions of the package and of its
  libraries, and the model as a tree of JSON nodes: plain values, lists,
  tuples, dicts, numpy scalars, classes by name, and objects by class name
  with their attributes (parameters and fitted attributes);
* ``arrays/*.npy``: the fitted numpy arrays (``allow_pickle=False``);
* ``weights/*.safetensors``: the network weights of each neural estimator
  (``tensors/*.safetensors``: fitted attributes that are torch tensors);
* ``skops/*.skops``: the scikit-learn objects that hold no neural network
  (scalers, column transformers...), written by :mod:`skops.io`.

Loading imports only classes of physml_sklearn, scikit-learn, numpy and
scipy (and ``torch.optim`` optimizer classes named by the ``optimizer``
parameter); it refuses any other name before anything is built.
"""

import importlib
import io
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch

from .._core._base import NeuralEstimator

#: identifies the files written by :func:`save`
FORMAT = "physml-sklearn-model"
#: version of the file layout
FORMAT_VERSION = 1
#: the packages whose classes a file may name
TRUSTED_PREFIXES = ("physml_sklearn", "sklearn", "numpy", "scipy")
#: the libraries whose versions are recorded and compared on load
LIBRARIES = ("physml_sklearn", "sklearn", "numpy", "scipy", "torch", "skorch", "skops",
             "safetensors")
#: the kinds of JSON nodes a model file holds
_NODE_KINDS = frozenset({
    "float", "scalar", "tuple", "dict", "array", "object_array", "type", "object", "neural",
    "skops", "tensor",
})
#: attributes of the estimators that are not saved (rebuilt on load)
_NET_ATTRIBUTES = ("net_", "history_")


class ModelFileError(ValueError):
    """Raised when a model file is not one :func:`save` wrote, or is damaged."""


class UntrustedTypeError(TypeError):
    """Raised when a model file, or a model to save, names a class that is not trusted."""


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


def _major(version):
    """The part of a version that changes on incompatible releases."""
    parts = version.split("+")[0].split(".")
    if parts[0] == "0" and len(parts) > 1:  # 0.x: the minor version is the major one
        return ".".join(parts[:2])
    return parts[0]


def _check_versions(saved):
    current = _versions()
    different = [
        f"{name} {version} (installed: {current[name]})"
        for name, version in saved.items()
        if name in current and name != "python" and _major(version) != _major(current[name])
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


# -- names of classes ----------------------------------------------------------
def _class_name(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


def _is_trusted_module(module):
    return isinstance(module, str) and any(
        module == p or module.startswith(p + ".") for p in TRUSTED_PREFIXES
    )


def _resolve_class(name, *, what="class"):
    """Import the class ``name`` ("module:qualname") if it is trusted, else raise."""
    if not isinstance(name, str) or name.count(":") != 1:
        raise ModelFileError(f"The model file names an invalid {what}: {name!r}.")
    module_name, qualname = name.split(":")
    torch_optimizer = module_name.startswith("torch.optim")
    if not (_is_trusted_module(module_name) or torch_optimizer):
        raise UntrustedTypeError(_untrusted_message(name.replace(":", ".")))
    try:
        obj = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ModelFileError(
            f"The model file names the {what} {name.replace(':', '.')}, which the "
            "installed packages do not have; install the versions the file was written "
            "with (see physml_sklearn.persistence.read_versions)."
        ) from exc
    # the name must lead to a class defined in a trusted package, not to a
    # function some trusted module happens to import
    if not isinstance(obj, type):
        raise UntrustedTypeError(_untrusted_message(name.replace(":", "."), "is not a class"))
    if torch_optimizer:
        import torch

        if not issubclass(obj, torch.optim.Optimizer):
            raise UntrustedTypeError(_untrusted_message(name.replace(":", ".")))
    elif not _is_trusted_module(obj.__module__):
        raise UntrustedTypeError(_untrusted_message(f"{obj.__module__}.{obj.__qualname__}"))
    return obj


def _untrusted_message(name, why="is not trusted"):
    return (
        f"The model file names the type {name}, which {why}: load only rebuilds "
        f"classes of {', '.join(TRUSTED_PREFIXES)}. The file was not written by "
        "physml_sklearn.save or was edited; do not load it."
    )


# -- writing -------------------------------------------------------------------
class _Writer:
    """Encodes a model into JSON nodes and the members of the zip file."""

    def __init__(self):
        self.members = {}  # name -> (bytes, compress)
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
        if type(obj) is dict:
            return {
                "__kind__": "dict",
                "items": [
                    [self.encode(k, f"{path} key"), self.encode(v, f"{path}[{k!r}]")]
                    for k, v in obj.items()
                ],
            }
        if type(obj) is np.ndarray:
            return self._array(obj, path)
        if isinstance(obj, type):
            return {"__kind__": "type", "name": _trusted_class_name(obj, path)}
        if type(obj) is torch.Tensor:
            from safetensors.torch import save as save_tensors

            data = save_tensors({"tensor": obj.detach().cpu().contiguous()})
            return {"__kind__": "tensor", "file": self._member("tensors", "safetensors", data)}
        if isinstance(obj, NeuralEstimator):
            return self._neural(obj, path)
        if _holds_network(obj):
            return self._object(obj, path)
        return self._skops(obj, path)

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
            "class": _trusted_class_name(type(obj), path),
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
            "class": _trusted_class_name(cls, path),
            "state": self._state(est, path, skip=_NET_ATTRIBUTES),
            "net_state": self.encode(net_state, f"{path}.net_"),
            "history": self.encode(history, f"{path}.history_"),
            "weights": self._member("weights", "safetensors", save_tensors(tensors)),
        }

    def _skops(self, obj, path):
        import skops.io as sio

        try:
            data = sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)
        except Exception as exc:  # skops raises various types for unsupported objects
            raise UntrustedTypeError(
                f"{path} holds an object of type {type(obj).__module__}."
                f"{type(obj).__qualname__} that cannot be saved without pickle ({exc})."
            ) from exc
        for name in sio.get_untrusted_types(data=data):
            if not _is_trusted_module(name):
                raise UntrustedTypeError(
                    f"{path} holds an object of type {name}; only objects of "
                    f"{', '.join(TRUSTED_PREFIXES)} can be saved. Replace it (or its "
                    "parameter) by one of those before saving."
                )
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


def _trusted_class_name(cls, path):
    module = cls.__module__
    if _is_trusted_module(module):
        return _class_name(cls)
    if module.startswith("torch.optim"):
        import torch

        if issubclass(cls, torch.optim.Optimizer):
            return _class_name(cls)
    raise UntrustedTypeError(
        f"{path} is (or holds) an object of type {module}.{cls.__qualname__}; only "
        f"objects of {', '.join(TRUSTED_PREFIXES)} can be saved without pickle."
    )


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


def save(model, path):
    """Save a fitted model to one file that holds no pickle.

    The parameters and fitted attributes are stored as JSON and numpy arrays,
    the network weights as `safetensors <https://huggingface.co/docs/safetensors>`_,
    the scikit-learn objects that hold no network with :mod:`skops.io`, and
    the versions of the package and its libraries with them. Works for every
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
        (a user-defined class, a callback, a torch module as a parameter).

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
    _check_fitted(model)
    writer = _Writer()
    root = writer.encode(model, type(model).__name__)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "model": root,
    }
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        archive.writestr(
            "model.json",
            json.dumps(manifest, separators=(",", ":"), allow_nan=False),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        for name, (data, compress) in writer.members.items():
            archive.writestr(
                name, data, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            )
    os.replace(partial, path)  # a failed write never leaves a half-written model file
    return path


# -- reading -------------------------------------------------------------------
class _Reader:
    def __init__(self, archive, device):
        self.archive = archive
        self.device = device

    def read(self, name):
        if not isinstance(name, str):
            raise ModelFileError(f"The model file names an invalid member {name!r}.")
        try:
            return self.archive.read(name)
        except KeyError as exc:
            raise ModelFileError(
                f"The model file lacks its member {name!r}: it is truncated or damaged."
            ) from exc

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or "__kind__" not in node:
            raise ModelFileError(f"The model file holds an unknown node {str(node)[:80]!r}.")
        kind = node["__kind__"]
        if kind not in _NODE_KINDS:
            raise ModelFileError(f"The model file holds an unknown node kind {kind!r}.")
        return getattr(self, "_" + kind)(node)

    def _float(self, node):
        return float(node["value"])

    def _scalar(self, node):
        dtype = np.dtype(node["dtype"])
        if dtype.hasobject:
            raise ModelFileError("The model file holds an object scalar.")
        value = node["value"]
        if dtype.kind == "c":
            value = complex(float(value[0]), float(value[1]))
        elif dtype.kind == "f":
            value = float(value)
        elif dtype.kind == "S":
            value = value.encode("latin-1")
        return np.array(value, dtype=dtype)[()]

    def _tuple(self, node):
        return tuple(self.decode(v) for v in node["items"])

    def _dict(self, node):
        return {self._key(k): self.decode(v) for k, v in node["items"]}

    def _key(self, node):
        key = self.decode(node)
        if isinstance(key, list):
            raise ModelFileError("The model file holds a dict with a list as a key.")
        return key

    def _array(self, node):
        data = self.read(node["file"])
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise ModelFileError(
                f"The array {node['file']!r} of the model file is damaged."
            ) from exc

    def _object_array(self, node):
        items = [self.decode(v) for v in node["items"]]
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(node["shape"])

    def _tensor(self, node):
        from safetensors import SafetensorError
        from safetensors.torch import load as load_tensors

        try:
            tensor = load_tensors(self.read(node["file"]))["tensor"]
        except (SafetensorError, ValueError, RuntimeError, KeyError) as exc:
            raise ModelFileError(
                f"The tensor {node['file']!r} of the model file is damaged."
            ) from exc
        return tensor if self.device is None else tensor.to(self.device)

    def _type(self, node):
        return _resolve_class(node["name"])

    def _build(self, node, base):
        cls = _resolve_class(node["class"])
        if not issubclass(cls, base) and not (
            base is not NeuralEstimator and cls.__module__.startswith("physml_sklearn.")
        ):
            raise UntrustedTypeError(
                _untrusted_message(node["class"].replace(":", "."), f"is not a {base.__name__}")
            )
        state = self.decode({"__kind__": "dict", "items": [[k, v] for k, v in
                                                             node["state"].items()]})
        obj = cls.__new__(cls)
        obj.__dict__.update(state)
        if isinstance(obj, NeuralEstimator) and self.device is not None:
            obj.device = self.device  # unfitted templates (a meta-estimator's) too
        return obj

    def _object(self, node):
        from sklearn.base import BaseEstimator

        return self._build(node, BaseEstimator)

    def _neural(self, node):
        import torch
        from safetensors import SafetensorError
        from safetensors.torch import load as load_tensors
        from skorch.history import History

        est = self._build(node, NeuralEstimator)
        try:
            tensors = load_tensors(self.read(node["weights"]))
        except (SafetensorError, ValueError, RuntimeError) as exc:
            raise ModelFileError(
                f"The network weights {node['weights']!r} of the model file are damaged."
            ) from exc
        modules = est._net_modules(rebuild=True)
        for module_name, module in modules.items():
            prefix = module_name + "."
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            try:
                module.load_state_dict(state, strict=True)
            except RuntimeError as exc:
                raise ModelFileError(
                    f"The weights of {type(est).__name__}.{module_name} in the model file "
                    f"do not fit the network its parameters build: {exc}"
                ) from exc
        unused = [k for k in tensors if k.split(".")[0] not in modules]
        if unused:
            raise ModelFileError(f"The model file holds unknown weights: {unused[:5]}.")
        with torch.no_grad():
            for module in modules.values():
                module.eval()
        for name, value in self.decode(node["net_state"]).items():
            setattr(est.net_, name, value)
        history = History(self.decode(node["history"]))
        est.net_.history_ = history
        est.history_ = history
        return est

    def _skops(self, node):
        import skops.io as sio

        data = self.read(node["file"])
        try:
            untrusted = sio.get_untrusted_types(data=data)
        except Exception as exc:
            raise ModelFileError(
                f"The scikit-learn object {node['file']!r} of the model file is damaged."
            ) from exc
        for name in untrusted:
            module, _, qualname = name.rpartition(".")
            # resolving checks that the name leads to a class of a trusted package
            if not _is_trusted_module(module):
                raise UntrustedTypeError(_untrusted_message(name))
            _check_skops_name(module, qualname, name)
        try:
            return sio.loads(data, trusted=untrusted)
        except (UntrustedTypeError, ModelFileError):
            raise
        except Exception as exc:
            raise ModelFileError(
                f"The scikit-learn object {node['file']!r} of the model file could not be "
                f"rebuilt ({type(exc).__name__}: {exc}); the file is damaged or was "
                "written with other library versions."
            ) from exc


def _check_skops_name(module, qualname, name):
    """Refuse a name that skops does not trust by default unless it leads to a
    scikit-learn estimator, a class of this package, or a numpy / scipy type
    or function."""
    from sklearn.base import BaseEstimator

    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return  # skops raises its own error on names it cannot import
    owner = getattr(obj, "__module__", None)
    if owner is not None and not _is_trusted_module(owner):
        raise UntrustedTypeError(_untrusted_message(f"{owner}.{getattr(obj, '__qualname__', '')}"))
    if isinstance(obj, type) and not (
        issubclass(obj, BaseEstimator)
        or (owner or module).startswith(("numpy", "scipy", "physml_sklearn"))
    ):
        raise UntrustedTypeError(_untrusted_message(name, "is not an estimator"))


def _open(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No model file at {str(path)!r}.")
    try:
        archive = zipfile.ZipFile(path)
        manifest = json.loads(archive.read("model.json"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError, OSError,
            UnicodeDecodeError, json.JSONDecodeError, zipfile.error) as exc:
        raise ModelFileError(
            f"{str(path)!r} is not a model file written by physml_sklearn.save, or it is "
            f"truncated or damaged ({type(exc).__name__}: {exc})."
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        archive.close()
        raise ModelFileError(f"{str(path)!r} is not a model file written by physml_sklearn.save.")
    if manifest.get("format_version") != FORMAT_VERSION:
        archive.close()
        raise ModelFileError(
            f"{str(path)!r} has format version {manifest.get('format_version')!r}; this "
            f"physml_sklearn reads version {FORMAT_VERSION}. Load it with the version "
            f"that wrote it ({manifest.get('versions', {}).get('physml_sklearn')})."
        )
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

    Examples
    --------
    >>> import os, tempfile
    >>> from physml_sklearn import SoftmaxMLPClassifier, save
    >>> from physml_sklearn.persistence import read_versions
    >>> clf = SoftmaxMLPClassifier((4,), max_epochs=1).fit([[0.], [1.]], [0, 1])
    >>> path = save(clf, os.path.join(tempfile.mkdtemp(), "clf.physml"))
    >>> sorted(read_versions(path))[:3]
    ['numpy', 'physml_sklearn', 'python']
    """
    archive, manifest = _open(path)
    archive.close()
    return dict(manifest.get("versions", {}))


def load(path, *, device="cpu"):
    """Load a model written by :func:`save`, without unpickling anything.

    Only classes of physml_sklearn, scikit-learn, numpy and scipy are
    rebuilt; a file that names any other type is refused before anything is
    built. The predictions of the loaded model equal those of the saved one,
    bit for bit.

    Parameters
    ----------
    path : str or path-like
        The file written by :func:`save`.
    device : str or None, default="cpu"
        Torch device to put the networks on; the ``device`` parameter of
        each neural estimator is set to it, so a model trained on
        ``"cuda"`` loads on a machine without a GPU. None keeps each
        estimator's own ``device``.

    Returns
    -------
    model : estimator
        The fitted model.

    Raises
    ------
    ModelFileError
        When the file is not a model file, is truncated or damaged.
    UntrustedTypeError
        When the file names a type outside the trusted packages.

    Warns
    -----
    UserWarning
        When the file was written with other major versions of the package
        or of its libraries.

    See Also
    --------
    save : Write a model.

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
    if device is not None:
        from .._core._base import resolve_device

        device = resolve_device(device)
    archive, manifest = _open(path)
    with archive:
        versions = manifest.get("versions")
        if isinstance(versions, dict):
            _check_versions(versions)
        try:
            return _Reader(archive, device).decode(manifest.get("model"))
        except (zipfile.BadZipFile, zipfile.error, EOFError, OSError) as exc:
            raise ModelFileError(
                f"{str(path)!r} is truncated or damaged ({type(exc).__name__}: {exc})."
            ) from exc
        except (KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
            if isinstance(exc, (UntrustedTypeError, ModelFileError)):
                raise
            raise ModelFileError(
                f"{str(path)!r} is not a valid model file ({type(exc).__name__}: {exc})."
            ) from exc


__all__ = [
    "ModelFileError",
    "UntrustedTypeError",
    "load",
    "read_versions",
    "save",
]
