"""Machine learning for physics, the scikit-learn way.

Neural networks of a "Machine Learning for Physics" course as scikit-learn
estimators built on skorch and PyTorch, with toy physics data sets and the
diagnostics a physicist expects.

The top-level names are imported on first use (PEP 562), so that importing
the package, or running ``physml-sklearn --help``, does not load torch.
"""

from ._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> the submodule that defines it
_LAZY = {
    "AutoEncoder": "autoencoder",
    "AutoEncoderOutlierDetector": "autoencoder",
    "ClassifierReweighter": "reweighting",
    "DropoutMLPClassifier": "classifier",
    "DropoutMLPRegressor": "regressor",
    "FoldingClassifier": "folding",
    "GANSampler": "gan",
    "SoftmaxMLPClassifier": "classifier",
    "config_context": "_core._threads",
    "get_config": "_core._threads",
    "set_config": "_core._threads",
    "load": "persistence",
    "save": "persistence",
    "to_onnx": "persistence",
}

__all__ = sorted(_LAZY) + ["__version__"]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
