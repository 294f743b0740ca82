"""Doctests of ``to_onnx`` run only where the ``onnx`` extra and onnxruntime are installed."""

import importlib.util

collect_ignore = (
    []
    if all(importlib.util.find_spec(m) for m in ("onnx", "skl2onnx", "onnxruntime"))
    else ["_onnx.py"]
)
