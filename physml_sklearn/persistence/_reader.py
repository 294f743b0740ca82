"""Rebuilding a model from the JSON tree and the members of a model file.

Every name goes through the registry (:mod:`._registry`); every member is
read once, within its declared size (:mod:`._audit`); every neural network
is first built on torch's ``meta`` device, which allocates nothing, and its
tensor shapes compared with the weights' headers before the real network is
built; the fitted attributes it is built from are checked first.
"""

import keyword
import math
from numbers import Integral

import numpy as np
import torch

from .._core._base import NeuralEstimator
from ._audit import (
    ModelFileError,
    UntrustedTypeError,
    check_dtype,
    read_npy,
    safetensors_header,
    skops_names,
    untrusted,
)
from ._registry import resolve

#: the kinds of JSON nodes a model file holds
NODE_KINDS = frozenset({
    "float", "scalar", "tuple", "dict", "array", "object_array", "type", "object", "neural",
    "skops", "tensor", "bunch",
})
#: the types of the values ``net_state`` may set on a rebuilt net
_NET_STATE_TYPES = (bool, int, float, str)
#: torch dtypes as safetensors writes them
_SAFETENSORS_CODES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16",
    torch.int32: "I32", torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.float32: "F32", torch.float64: "F64",
}


def untrusted_message(names, *, writing=False):
    names = sorted(names)
    listed = ", ".join(names)
    if writing:
        return (
            f"The model holds {listed}, which load does not trust by default (it trusts "
            "the package's estimators, scikit-learn's, numpy types and the numpy ufuncs "
            "of physml_sklearn.persistence.TRUSTED_UFUNCS). Replace it, or, to write the "
            f"file anyway, pass trusted={names!r} to save and to load."
        )
    return (
        f"The model file names the type {listed}, which is not trusted: load rebuilds "
        "only the package's estimators, scikit-learn's, numpy types and the numpy ufuncs "
        "of physml_sklearn.persistence.TRUSTED_UFUNCS. If you trust the origin of the "
        f"file, pass trusted={names!r} to load; otherwise do not load it."
    )


def _invalid(what, value):
    return ModelFileError(f"The model file holds an invalid {what}: {str(value)[:80]!r}.")


class Reader:
    """Decodes the manifest tree of an opened :class:`~._audit.Archive`."""

    def __init__(self, archive, device, trusted):
        self.archive = archive
        self.device = device
        self.trusted = trusted
        self.used = set()

    # -- members and names ------------------------------------------------------
    def read(self, name):
        if not isinstance(name, str) or name == "model.json":
            raise _invalid("member name", name)
        if name in self.used:
            raise ModelFileError(
                f"The model file names its member {name!r} twice; save writes each once."
            )
        self.used.add(name)
        return self.archive.read(name)

    def check_all_used(self):
        unused = sorted(set(self.archive.infos) - self.used - {"model.json"})
        if unused:
            raise ModelFileError(
                f"The model file holds members its manifest does not name: {unused[:5]}; "
                "save never writes such a file."
            )

    def resolve(self, name):
        """The class or function ``name`` names, if trusted."""
        if not isinstance(name, str) or name.count(":") != 1:
            raise _invalid("type name", name)
        try:
            obj = resolve(name, self.trusted)
        except (ImportError, AttributeError) as exc:
            raise ModelFileError(
                f"The model file names {name}, which the installed packages do not have; "
                "install the versions the file was written with (see "
                "physml_sklearn.persistence.read_versions)."
            ) from exc
        if obj is None:
            raise UntrustedTypeError(untrusted_message([name]))
        return obj

    # -- the tree ------------------------------------------------------------------
    def decode(self, node):
        if node is None or isinstance(node, (bool, int, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or node.get("__kind__") not in NODE_KINDS:
            raise _invalid("node", node)
        return getattr(self, "_" + node["__kind__"])(node)

    def _float(self, node):
        value = node["value"]
        if not isinstance(value, str):
            raise _invalid("float", value)
        return float(value)

    def _scalar(self, node):
        if not isinstance(node["dtype"], str):
            raise _invalid("scalar dtype", node["dtype"])
        dtype = np.dtype(node["dtype"])
        check_dtype(dtype, "A scalar")
        value = node["value"]
        if dtype.kind == "c":
            value = complex(float(value[0]), float(value[1]))
        elif dtype.kind == "f":
            value = float(value)
        elif dtype.kind == "S":
            value = value.encode("latin-1")
        if dtype.kind in "SU":
            # the item size is that of the value: a short string cannot
            # declare a huge dtype
            natural = np.array(value).dtype.itemsize
            if dtype.itemsize > max(natural, 4 if dtype.kind == "U" else 1):
                raise ModelFileError(
                    f"The model file holds a scalar of dtype {dtype.str!r} for a value of "
                    f"{natural} bytes; save never writes such a file."
                )
        elif not isinstance(value, (bool, int, float, complex, str)):
            raise _invalid("scalar", value)
        return np.array(value, dtype=dtype)[()]

    def _tuple(self, node):
        if not isinstance(node["items"], list):
            raise _invalid("tuple", node)
        return tuple(self.decode(v) for v in node["items"])

    def _dict(self, node):
        items = node["items"]
        if not isinstance(items, list) or not all(
            isinstance(i, list) and len(i) == 2 for i in items
        ):
            raise _invalid("dict", node)
        out = {}
        for key, value in items:
            key = self.decode(key)
            if isinstance(key, (list, dict, set)):
                raise _invalid("dict key", key)
            out[key] = self.decode(value)
        return out

    def _bunch(self, node):
        from sklearn.utils import Bunch

        items = self._dict(node)
        if not all(isinstance(key, str) for key in items):
            raise _invalid("Bunch key", next(k for k in items if not isinstance(k, str)))
        return Bunch(**items)

    def _array(self, node):
        return read_npy(self.read(node["file"]), f"The array {node['file']!r}")

    def _object_array(self, node):
        shape, items = node["shape"], node["items"]
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)
                and isinstance(items, list) and math.prod(shape) == len(items)):
            raise _invalid("object array", node)
        array = np.empty(len(items), dtype=object)
        array[:] = [self.decode(v) for v in items] if items else []
        return array.reshape(shape)

    def _tensor(self, node):
        from safetensors.torch import load as load_tensors

        where = f"The tensor {node['file']!r}"
        data = self.read(node["file"])
        if set(safetensors_header(data, where)) != {"tensor"}:
            raise ModelFileError(f"{where} of the model file is damaged.")
        tensor = load_tensors(data)["tensor"]
        return tensor if self.device is None else tensor.to(self.device)

    def _type(self, node):
        obj = self.resolve(node["name"])
        if not isinstance(obj, type):
            raise UntrustedTypeError(
                f"The model file names {node['name']} as a class, and it is not one."
            )
        return obj

    def _build(self, node, base):
        cls = self.resolve(node["class"])
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise UntrustedTypeError(
                f"The model file names the type {node['class'].replace(':', '.')}, "
                f"which is not a {base.__name__}; save never writes such a file."
            )
        if not isinstance(node["state"], dict):
            raise _invalid("state", node["state"])
        for key in node["state"]:
            _check_attribute(cls, key)
        state = self._dict({"items": [[k, v] for k, v in node["state"].items()]})
        obj = cls.__new__(cls)
        obj.__dict__.update(state)
        if isinstance(obj, NeuralEstimator) and self.device is not None:
            obj.device = self.device  # unfitted templates (a meta-estimator's) too
        return obj

    def _object(self, node):
        from sklearn.base import BaseEstimator

        est = self._build(node, BaseEstimator)
        _check_estimator_state(est, type(est).__name__)
        return est

    def _neural(self, node):
        from safetensors.torch import load as load_tensors
        from skorch.history import History

        est = self._build(node, NeuralEstimator)
        where = f"The network weights {node['weights']!r}"
        data = self.read(node["weights"])
        header = safetensors_header(data, where)
        name = type(est).__name__
        _check_fitted_attributes(est, name)
        expected = _expected_tensors(est, name)
        for key in sorted(set(expected) | set(header)):
            if expected.get(key) != header.get(key):
                raise ModelFileError(
                    f"The weights of {name} in the model file do not fit the network its "
                    f"parameters build: {key} is {header.get(key)} in the weights and "
                    f"{expected.get(key)} in the network (shape, dtype)."
                )
        net_state = self.decode(node["net_state"])
        history = self.decode(node["history"])
        if not (isinstance(net_state, dict) and isinstance(history, list)
                and all(isinstance(row, dict) for row in history)):
            raise _invalid("network state", node["net_state"])
        tensors = load_tensors(data)
        modules = est._net_modules(rebuild=True)
        for module_name, module in modules.items():
            prefix = module_name + "."
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            try:
                module.load_state_dict(state, strict=True)
            except RuntimeError as exc:  # pragma: no cover - the shapes were compared
                raise ModelFileError(
                    f"The weights of {name}.{module_name} in the model file do not fit "
                    f"the network its parameters build: {exc}"
                ) from exc
            module.eval()
        for key, value in net_state.items():
            current = getattr(est.net_, key, None) if isinstance(key, str) else None
            if not (isinstance(key, str) and key.endswith("_") and not key.startswith("_")
                    and type(current) in _NET_STATE_TYPES and type(value) is type(current)):
                raise ModelFileError(
                    f"The model file sets the attribute {key!r} of the network of {name} "
                    f"to {value!r}; it may set only the plain attributes a net has."
                )
            setattr(est.net_, key, value)
        history = History(history)
        est.net_.history_ = history
        est.history_ = history
        return est

    def _skops(self, node):
        import skops.io as sio

        where = f"The scikit-learn object {node['file']!r}"
        data = self.read(node["file"])
        names = skops_names(data, where)
        refused = untrusted(names, self.trusted)
        if refused:
            raise UntrustedTypeError(untrusted_message(refused))
        dotted = {n.replace(":", ".") for n in names}
        try:
            flagged = sio.get_untrusted_types(data=data)
        except Exception as exc:
            raise ModelFileError(f"{where} of the model file is damaged ({exc}).") from exc
        unseen = [n for n in flagged if n not in dotted]
        if unseen:  # a name skops resolves that the audit did not see
            raise UntrustedTypeError(untrusted_message(unseen))
        try:
            return sio.loads(data, trusted=sorted(dotted))
        except Exception as exc:
            raise ModelFileError(
                f"{where} of the model file could not be rebuilt ({type(exc).__name__}: "
                f"{exc}); the file is damaged or was written with other library versions."
            ) from exc


def _check_attribute(cls, key):
    """Refuse a state entry that is not a plain attribute name, or that would
    hide a method or property of ``cls``."""
    import inspect

    if not (isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)
            and not key.startswith("__")):
        raise _invalid("attribute name", key)
    static = inspect.getattr_static(cls, key, None)
    if static is not None and (callable(static) or hasattr(type(static), "__get__")):
        raise ModelFileError(
            f"The model file sets the attribute {key!r} of {cls.__name__}, which would "
            "hide its method or property; save never writes such a file."
        )


def _check_features(est, name):
    n = getattr(est, "n_features_in_", None)
    if type(n) is not int or n < 1:
        raise ModelFileError(
            f"The model file gives {name} n_features_in_={n!r}; it must be a positive int."
        )
    names = getattr(est, "feature_names_in_", None)
    if names is not None and not (isinstance(names, np.ndarray) and names.shape == (n,)):
        raise ModelFileError(
            f"The model file gives {name} {getattr(names, 'shape', names)!r} feature names "
            f"for n_features_in_={n}."
        )


def _check_params(est, name):
    try:
        est._validate_params()
    except Exception as exc:
        raise ModelFileError(
            f"The model file gives {name} invalid parameters: {exc}"
        ) from exc


def _is_fitted(est):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(est)
    except NotFittedError:
        return False
    return True


def _check_estimator_state(est, name):
    """Any other estimator: its parameters and input width of the right types.

    A file whose parameters were edited into values the estimator refuses
    would otherwise load and fail at predict with a TypeError from inside.
    """
    if hasattr(est, "n_features_in_"):
        _check_features(est, name)
    if hasattr(type(est), "_parameter_constraints"):
        _check_params(est, name)
    # a fitted meta-estimator of the package checks that its parts fit
    # together (the unfitted template another one holds as a parameter has none)
    check = getattr(type(est), "_check_loaded_state", None)
    if check is not None and _is_fitted(est):
        if "classes_" in vars(est):
            _check_classes(est, name)
        try:
            check(est)
        except Exception as exc:
            raise ModelFileError(
                f"The model file gives {name} fitted attributes that do not fit together "
                f"({exc}); it is damaged or was edited."
            ) from exc


def _check_fitted_attributes(est, name):
    """The fitted attributes the network is built from: of the right types."""
    _check_features(est, name)
    for attr in ("n_outputs_", "n_conditions_"):
        value = getattr(est, attr, None)
        if value is not None and (not isinstance(value, Integral) or isinstance(value, bool)
                                  or value < 0):
            raise ModelFileError(f"The model file gives {name} {attr}={value!r}.")
    if hasattr(est, "classes_"):
        _check_classes(est, name)
    _check_params(est, name)


def _check_classes(est, name):
    classes = est.classes_
    if not (isinstance(classes, np.ndarray) and classes.ndim == 1 and len(classes) >= 2
            and len(np.unique(classes)) == len(classes)):
        raise ModelFileError(
            f"The model file gives {name} classes_={classes!r}: they must be an "
            "array of at least two distinct labels."
        )


def _output_shape(module, n_features):
    """The shape of ``module``'s output for one row, on the meta device.

    A plain stack of layers ending in a linear layer (every classifier of the
    package) is read off that layer: a forward pass on meta tensors goes
    through torch's decompositions, which import ``torch._dynamo`` (seconds).
    """
    layers = list(module) if isinstance(module, torch.nn.Sequential) else []
    linear = [layer for layer in layers if isinstance(layer, torch.nn.Linear)]
    if linear and all(not any(True for _ in layer.parameters())
                      for layer in layers[layers.index(linear[-1]) + 1:]):
        return (1, linear[-1].out_features)
    return module(torch.empty((1, n_features), device="meta")).shape


def _expected_tensors(est, name):
    """``{name: (shape, dtype code)}`` of every tensor of the network that the
    parameters and fitted attributes of ``est`` build, built on the meta
    device: nothing is allocated."""
    from sklearn.base import is_classifier

    width = getattr(est, "n_outputs_", None) or getattr(est, "n_conditions_", None)
    target = np.empty((0, width), np.float32) if width else None
    try:
        with torch.device("meta"), torch.random.fork_rng(devices=[]):
            net = est._make_net(est.n_features_in_, target, "meta", [])
            net._initialize_module()  # skorch's module set-up, without the optimizer
            modules = {"module_": net.module_}
            for attr, value in vars(net).items():
                if attr.endswith("_") and isinstance(value, torch.nn.Module):
                    modules.setdefault(attr, value)
            out = None
            if is_classifier(est):
                out = _output_shape(net.module_, est.n_features_in_)
    except (ModelFileError, UntrustedTypeError):
        raise
    except Exception as exc:
        raise ModelFileError(
            f"The parameters of {name} in the model file do not build a network "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    if out is not None:
        units = out[-1] if len(out) == 2 else 0
        if len(est.classes_) != (2 if units == 1 else units):
            raise ModelFileError(
                f"The model file gives {name} {len(est.classes_)} classes and a network "
                f"with {units} output units."
            )
    return {
        f"{module_name}.{key}": (tuple(tensor.shape), _SAFETENSORS_CODES.get(tensor.dtype))
        for module_name, module in modules.items()
        for key, tensor in module.state_dict().items()
    }
