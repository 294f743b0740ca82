"""Saving models without pickle and exporting them to ONNX.

The names are imported on first use (PEP 562): the command's ``apply``
reads a model's scoring summary (:mod:`._scoring`) without loading torch.
"""

from .._lazy import lazy_exports

_LAZY = {
    "PACKAGE_ESTIMATORS": "_registry",
    "TRUSTED_UFUNCS": "_registry",
    "ModelFileError": "_audit",
    "UntrustedTypeError": "_audit",
    "get_untrusted_types": "_safe",
    "load": "_safe",
    "read_versions": "_safe",
    "save": "_safe",
    "to_onnx": "_onnx",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
