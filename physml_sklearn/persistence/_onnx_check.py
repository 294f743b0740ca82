"""What ``to_onnx`` does around a conversion: clear errors, a checked graph, a whole file."""

import numpy as np

#: rows of X_sample the graph is checked on
_CHECK_ROWS = 100


def _convert(function, model, *args, **kwargs):
    """Run a skl2onnx conversion; a model it cannot convert raises NotImplementedError."""
    try:
        return function(model, *args, **kwargs)
    except NotImplementedError:
        raise
    except (RuntimeError, TypeError, NameError, KeyError) as exc:
        # skl2onnx's MissingShapeCalculator / MissingConverter are RuntimeErrors
        raise NotImplementedError(
            f"to_onnx cannot export {_describe(model)}: skl2onnx could not convert it "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:400]}). to_onnx supports "
            "the package's estimators, FoldingClassifier and PermutationFeatureElimination "
            "around classifiers skl2onnx converts, and pipelines of scikit-learn "
            "transformers ending in one of them."
        ) from exc


def _describe(model):
    if hasattr(model, "steps"):
        return "Pipeline(" + ", ".join(type(step).__name__ for _, step in model.steps) + ")"
    inner = getattr(model, "estimator", None)
    if inner is not None and hasattr(inner, "get_params"):
        return f"{type(model).__name__}({_describe(inner)})"
    return type(model).__name__


def _check_graph(onx, model, feeds, X_model):
    """Refuse a graph that ONNX Runtime rejects, or whose probabilities are not the model's.

    Without onnxruntime installed, the ONNX checker (with type inference)
    stands in for it.
    """
    import warnings

    try:
        import onnxruntime
    except ImportError:
        import onnx

        try:
            onnx.checker.check_model(onx, full_check=True)
        except Exception as exc:  # the checker raises several types
            raise NotImplementedError(
                f"to_onnx built an invalid ONNX graph for {_describe(model)}: {exc}"
            ) from exc
        return
    # the first rows of X_sample are enough to show that the graph runs and agrees
    feeds = {name: value[:_CHECK_ROWS] for name, value in feeds.items()}
    if X_model is not None:
        X_model = X_model.iloc[:_CHECK_ROWS] if hasattr(X_model, "iloc") else \
            X_model[:_CHECK_ROWS]
    try:
        session = onnxruntime.InferenceSession(
            onx.SerializeToString(), providers=["CPUExecutionProvider"])
        outputs = session.run(None, feeds)
    except Exception as exc:  # onnxruntime raises its own types
        raise NotImplementedError(
            f"to_onnx cannot export {_describe(model)}: ONNX Runtime rejects the graph "
            f"({' '.join(str(exc).split())[:400]})."
        ) from exc
    names = [o.name for o in session.get_outputs()]
    if X_model is None or "probabilities" not in names or not hasattr(model, "predict_proba"):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(model.predict_proba(X_model), dtype=np.float64)
    actual = np.asarray(outputs[names.index("probabilities")], dtype=np.float64)
    if actual.shape != expected.shape or not np.allclose(actual, expected, rtol=1e-4, atol=1e-4):
        difference = (np.abs(actual - expected).max() if actual.shape == expected.shape
                      else f"shape {actual.shape} instead of {expected.shape}")
        raise NotImplementedError(
            f"to_onnx cannot export {_describe(model)}: the graph's probabilities differ "
            f"from predict_proba on X_sample (largest difference {difference})."
        )
