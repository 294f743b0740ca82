"""Saving models without pickle and exporting them to ONNX."""

from ._audit import ModelFileError, UntrustedTypeError
from ._onnx import to_onnx
from ._registry import PACKAGE_ESTIMATORS, TRUSTED_UFUNCS
from ._safe import get_untrusted_types, load, read_versions, save

__all__ = [
    "PACKAGE_ESTIMATORS",
    "TRUSTED_UFUNCS",
    "ModelFileError",
    "UntrustedTypeError",
    "get_untrusted_types",
    "load",
    "read_versions",
    "save",
    "to_onnx",
]
