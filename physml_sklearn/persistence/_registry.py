"""The names a model file may use, and what they resolve to.

:func:`~physml_sklearn.load` never imports a module because a file names
it: every class or function a file names is looked up in the registry
built here from the lists below (modules named by this package's own code,
never by the file), or, when the caller listed it in ``trusted``, imported
then. The default registry holds:

* the package's estimators (:data:`PACKAGE_ESTIMATORS`) and the helper
  classes they hold as fitted attributes (:data:`PACKAGE_CLASSES`);
* the scikit-learn estimators (those :func:`sklearn.utils.all_estimators`
  lists, checked one name at a time: see :func:`sklearn_estimator`) and
  the internal loss / link / binning classes of the gradient-boosting
  models that skops also trusts;
* numpy arrays, dtypes and scalar types, numpy's random generators,
  the builtin containers and scalars;
* the ``torch.optim`` optimizer classes an ``optimizer`` parameter may name
  (:data:`OPTIMIZERS`);
* as functions, only the numpy ufuncs of :data:`TRUSTED_UFUNCS` (the
  ``func`` of a :class:`~sklearn.preprocessing.FunctionTransformer`) and
  the array conversion function scipy's ``BSpline`` keeps.

A new estimator of the package is registered by adding its public import
path to :data:`PACKAGE_ESTIMATORS`.
"""

import functools
import importlib
import re
import threading

#: the package's estimators, by public import path ("module:name"); the
#: one place to list a new estimator so that files holding it load
PACKAGE_ESTIMATORS = (
    "physml_sklearn.classifier:DropoutMLPClassifier",
    "physml_sklearn.classifier:SoftmaxMLPClassifier",
    "physml_sklearn.regressor:DropoutMLPRegressor",
    "physml_sklearn.autoencoder:AutoEncoder",
    "physml_sklearn.autoencoder:AutoEncoderOutlierDetector",
    "physml_sklearn.gan:GANSampler",
    "physml_sklearn.folding:FoldingClassifier",
    "physml_sklearn.inspection:PermutationFeatureElimination",
    "physml_sklearn.reweighting:ClassifierReweighter",
)

#: classes of the package that estimators hold as fitted attributes
PACKAGE_CLASSES = (
    "physml_sklearn.gan._preprocessing:ConditionalStandardizer",
    "physml_sklearn.gan._preprocessing:QuantileNormalizer",
)

#: the numpy ufuncs a file may name as a function (a FunctionTransformer's
#: ``func``, ``inverse_func``); any other function needs ``trusted``
TRUSTED_UFUNCS = (
    "absolute", "arcsinh", "arctanh", "cbrt", "exp", "exp2", "expm1", "log", "log10",
    "log1p", "log2", "negative", "reciprocal", "sign", "sinh", "sqrt", "square", "tanh",
)

#: the optimizer classes an ``optimizer`` parameter may name
OPTIMIZERS = (
    "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "ASGD", "NAdam", "RAdam", "RMSprop",
    "Rprop", "SGD",
)

#: classes of scikit-learn that are no estimators but that fitted estimators
#: hold (the same list as skops' default); ``sklearn.tree._tree.Tree`` and
#: the histogram gradient boosting's ``TreePredictor`` are not in it: their
#: node arrays are indexed without bounds checks, so a crafted file could
#: crash the process (list them in ``trusted`` to load such models)
_SKLEARN_INTERNAL = (
    "sklearn._loss.link:HalfLogitLink", "sklearn._loss.link:IdentityLink",
    "sklearn._loss.link:Interval", "sklearn._loss.link:LogitLink",
    "sklearn._loss.link:LogLink", "sklearn._loss.link:MultinomialLogit",
    "sklearn._loss.loss:AbsoluteError", "sklearn._loss.loss:ExponentialLoss",
    "sklearn._loss.loss:HalfBinomialLoss", "sklearn._loss.loss:HalfGammaLoss",
    "sklearn._loss.loss:HalfMultinomialLoss", "sklearn._loss.loss:HalfPoissonLoss",
    "sklearn._loss.loss:HalfSquaredError", "sklearn._loss.loss:HuberLoss",
    "sklearn._loss.loss:PinballLoss",
    "sklearn.ensemble._hist_gradient_boosting.binning:_BinMapper",
    "scipy.interpolate:BSpline",
)

_BUILTINS = (bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set,
             frozenset, slice, type(None))

_lock = threading.Lock()
_registry = None


def name_of(obj):
    """The ``"module:qualname"`` name of a class or function."""
    return f"{obj.__module__}:{getattr(obj, '__qualname__', obj.__name__)}"


def _lookup(path):
    """The object at the import path ``path`` ("module:attr.attr") of this
    package's own lists."""
    module, _, qualname = path.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _build():
    import numpy as np
    import torch

    entries = {}

    def add(obj, name=None):
        entries[name or name_of(obj)] = obj

    for path in PACKAGE_ESTIMATORS + PACKAGE_CLASSES:
        add(_lookup(path))
    for path in _SKLEARN_INTERNAL:
        try:
            add(_lookup(path))
        except (ImportError, AttributeError):  # pragma: no cover - other versions
            pass
    from sklearn._loss import _loss

    for attr in dir(_loss):  # the Cython losses the loss objects above hold
        if attr.startswith("Cy") and isinstance(getattr(_loss, attr), type):
            add(getattr(_loss, attr))
    for cls in _BUILTINS:
        add(cls, f"builtins:{cls.__name__}")
    add(np.ndarray)
    add(np.dtype)
    add(np.ma.MaskedArray)
    for scalar_type in set(np.sctypeDict.values()):
        if scalar_type is not np.object_:
            add(scalar_type)
            add(scalar_type, f"numpy:{scalar_type.__name__}")
    for dtype_class in vars(getattr(np, "dtypes", object)).values():  # numpy >= 1.25
        if isinstance(dtype_class, type) and issubclass(dtype_class, np.dtype):
            if dtype_class.type is not np.object_:
                add(dtype_class)
    add(np.random.RandomState)
    add(np.random.Generator)
    add(np.random.SeedSequence)
    for attr in dir(np.random):
        obj = getattr(np.random, attr)
        if isinstance(obj, type) and issubclass(obj, np.random.BitGenerator):
            add(obj)
            add(obj, f"numpy.random:{attr}")
    for name in TRUSTED_UFUNCS:
        add(getattr(np, name), f"numpy:{name}")
    for name in OPTIMIZERS:
        add(getattr(torch.optim, name))
    from scipy.interpolate import BSpline

    converter = getattr(BSpline(np.arange(8.0), np.ones(4), 3), "_asarray", None)
    if converter is not None:  # scipy >= 1.15 keeps its array namespace's asarray
        add(converter, f"{converter.__module__}:{converter.__name__}")
    return entries


def default_registry():
    """The trusted names, ``{"module:qualname": object}`` (built once)."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = _build()
        return _registry


# the parts of module names that sklearn.utils.all_estimators skips
_IGNORED_PARTS = frozenset({"tests", "setup", "experimental", "conftest", "externals",
                            "estimator_checks"})
_SKLEARN_NAME = re.compile(r"sklearn(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z][A-Za-z0-9_]*")


def _is_estimator_class(cls):
    from sklearn.base import BaseEstimator

    return (isinstance(cls, type) and issubclass(cls, BaseEstimator)
            and cls is not BaseEstimator and not cls.__name__.startswith("_")
            and not getattr(cls, "__abstractmethods__", None))


@functools.lru_cache(maxsize=1)
def _all_estimators():
    """``{name: class}`` of :func:`sklearn.utils.all_estimators` (imports all of scikit-learn)."""
    from sklearn.utils import all_estimators

    return {name_of(cls): cls for _, cls in all_estimators()
            if cls.__module__.startswith("sklearn.")}


@functools.lru_cache(maxsize=4096)  # bounded: the names come from files
def sklearn_estimator(name):
    """The scikit-learn estimator class ``"module:qualname"`` names, or None.

    The classes trusted are those :func:`sklearn.utils.all_estimators`
    lists: the public, concrete ``BaseEstimator`` subclasses that a public
    module of scikit-learn exports. Walking every module for that list
    imports all of scikit-learn (a second or two), so a name is first
    checked directly: the public package above its module (``sklearn.
    preprocessing`` for ``sklearn.preprocessing._data:StandardScaler``) must
    export a class of that name defined in that module. Only names that
    fail this check are looked up in the full list. Nothing outside
    scikit-learn is imported, and the module the name ends in only as the
    public package imports it.
    """
    if not isinstance(name, str) or not _SKLEARN_NAME.fullmatch(name):
        return None
    module, _, qualname = name.partition(":")
    parts = module.split(".")
    if any(part in _IGNORED_PARTS for part in parts):
        return None
    public = []
    for part in parts:
        if part.startswith("_"):
            break
        public.append(part)
    try:
        cls = getattr(importlib.import_module(".".join(public)), qualname, None)
    except ImportError:
        cls = None
    if _is_estimator_class(cls) and name_of(cls) == name:
        return cls
    return _all_estimators().get(name)


def is_trusted(name, trusted=frozenset()):
    """Whether :func:`resolve` would give ``name`` an object."""
    return name in default_registry() or name in trusted or sklearn_estimator(name) is not None


def normalize_trusted(trusted):
    """``trusted`` as a frozenset of ``"module:qualname"`` strings.

    Raises a ValueError naming the parameter on anything else.
    """
    if trusted is None:
        return frozenset()
    if isinstance(trusted, (str, bytes)) or not hasattr(trusted, "__iter__"):
        raise ValueError(
            f"trusted must be a list of 'module:qualname' strings (as "
            f"get_untrusted_types returns them); got {trusted!r}. Write "
            f"trusted=[{trusted!r}] for one name."
        )
    names = []
    for item in trusted:
        if isinstance(item, str):
            if item.count(":") != 1 or not all(item.split(":")):
                raise ValueError(
                    f"trusted holds {item!r}, which is not a 'module:qualname' string "
                    "such as 'numpy:clip'; use the names get_untrusted_types returns."
                )
            names.append(item)
        elif hasattr(item, "__module__") and hasattr(item, "__qualname__"):
            names.append(name_of(item))
        else:
            raise ValueError(
                f"trusted holds {item!r}; give 'module:qualname' strings such as "
                "'numpy:clip' (or the classes / functions themselves)."
            )
    return frozenset(names)


def resolve(name, trusted):
    """The object ``name`` names, from the registry or, when listed in
    ``trusted``, by importing it; None when it is neither."""
    registry = default_registry()
    if name in registry:
        return registry[name]
    cls = sklearn_estimator(name)
    if cls is not None:
        return cls
    if name in trusted:
        return _lookup(name)
    return None
