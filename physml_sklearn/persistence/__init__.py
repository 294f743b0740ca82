"""Saving models without pickle and exporting them to ONNX."""

from ._onnx import to_onnx
from ._safe import ModelFileError, UntrustedTypeError, load, read_versions, save

__all__ = ["ModelFileError", "UntrustedTypeError", "load", "read_versions", "save", "to_onnx"]
