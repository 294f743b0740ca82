"""Machine learning for physics, the scikit-learn way.

Neural networks of a "Machine Learning for Physics" course as scikit-learn
estimators built on skorch and PyTorch, with toy physics data sets and the
diagnostics a physicist expects.
"""

from .autoencoder import AutoEncoder, AutoEncoderOutlierDetector
from .classifier import DropoutMLPClassifier, SoftmaxMLPClassifier
from .folding import FoldingClassifier
from .gan import GANSampler
from .persistence import load, save, to_onnx

__version__ = "0.1.0"

__all__ = [
    "AutoEncoder",
    "AutoEncoderOutlierDetector",
    "DropoutMLPClassifier",
    "FoldingClassifier",
    "GANSampler",
    "SoftmaxMLPClassifier",
    "__version__",
    "load",
    "save",
    "to_onnx",
]
