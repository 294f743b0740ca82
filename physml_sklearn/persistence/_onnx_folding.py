"""ONNX converters of the meta-estimators: ``FoldingClassifier`` and feature selection.

A ``FoldingClassifier`` becomes its fold models side by side on the same
features, then one operator that combines their probabilities: their mean,
or, with a ``fold_column``, each event's from the model that did not train
on its fold. The fold rule ``event_number % n_folds`` is computed with
integer operators on an integer ``event_number`` input (or on the event
number column of a float64 ``X``, exact below ``2**53``).
"""

import numpy as np

from ._onnx import _ALIASES, _emit_labels, _Emitter


def _folding_parser(scope, model, inputs, custom_parsers=None):
    """The fold models on the features, then the operator that combines them.

    With a ``fold_column`` the graph has either two inputs, ``X`` (the
    features, float32) and ``event_number`` (int64 or uint64), or one float64
    ``X`` with every column, the event number among them.
    """
    from skl2onnx._parse import _apply_zipmap, _parse_sklearn
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    features = inputs
    event = []
    if model.fold_column is not None:
        if len(inputs) == 2 and _is_integer_type(inputs[1].type):
            features, event = [inputs[0]], [inputs[1]]
        elif len(inputs) == 1:
            select = scope.declare_local_operator("PhysmlFoldFeatures", model)
            select.inputs = inputs
            features = [scope.declare_local_variable("fold_features", FloatTensorType())]
            select.outputs.extend(features)
            event = inputs
        else:
            raise NotImplementedError(
                "A FoldingClassifier with a fold_column can be exported only as the model "
                "given to to_onnx (its event numbers are a graph input), not as a step of "
                "a pipeline or inside another model."
            )
    lacking = [type(e).__name__ for e in model.estimators_ if not hasattr(e, "predict_proba")]
    if lacking:
        raise NotImplementedError(
            f"to_onnx exports a FoldingClassifier as the probabilities of its fold models, "
            f"and its fold models ({lacking[0]}) have no predict_proba. Use a classifier "
            "with predict_proba inside (e.g. SVC(probability=True) instead of LinearSVC)."
        )
    probabilities = []
    for estimator in model.estimators_:
        outputs = _parse_sklearn(scope, estimator, features, custom_parsers=custom_parsers)
        if len(outputs) < 2:
            raise NotImplementedError(
                "Each fold model of the FoldingClassifier must give probabilities in ONNX."
            )
        probabilities.append(outputs[1])
    combine = scope.declare_local_operator(_ALIASES[type(model)], model)
    combine.inputs = list(event) + probabilities
    combine.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    combine.outputs.append(scope.declare_local_variable("probabilities", FloatTensorType()))
    options = scope.get_options(model, {"zipmap": False})
    if options.get("zipmap"):
        return _apply_zipmap(options["zipmap"], scope, model, inputs[0].type, combine.outputs)
    return combine.outputs


def _is_integer_type(variable_type):
    from skl2onnx.common.data_types import Int64TensorType, UInt64TensorType

    return isinstance(variable_type, (Int64TensorType, UInt64TensorType))


def _selected_columns(model):
    """The columns of the input that ``model`` hands to its inner estimators."""
    if hasattr(model, "support_"):  # a feature selector
        return np.flatnonzero(model.support_)
    return np.delete(np.arange(model.n_features_in_), _fold_column_index(model))


def _fold_features_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType

    n = operator.inputs[0].get_first_dimension()
    width = len(_selected_columns(operator.raw_operator))
    if hasattr(operator.raw_operator, "support_"):  # a selector keeps the input's type
        operator.outputs[0].type = operator.inputs[0].type.__class__([n, width])
    else:  # the features of the fold models, float32 as in every other graph
        operator.outputs[0].type = FloatTensorType([n, width])


def _selection_parser(scope, model, inputs, custom_parsers=None):
    """A feature selector with a predictor: its columns, then ``estimator_``."""
    from skl2onnx._parse import _parse_sklearn

    select = scope.declare_local_operator("PhysmlFoldFeatures", model)
    select.inputs = inputs
    selected = scope.declare_local_variable("selected_features", inputs[0].type.__class__())
    select.outputs.append(selected)
    return _parse_sklearn(scope, model.estimator_, [selected], custom_parsers=custom_parsers)


def _fold_column_index(model):
    return model._fold_index(model.n_features_in_)


def _convert_fold_features(scope, operator, container):
    em = _Emitter(scope, container)
    model = operator.raw_operator
    keep = _selected_columns(model)
    if len(operator.inputs) > 1:
        raise NotImplementedError(
            f"{type(model).__name__} takes its input as one matrix in ONNX; pass X_sample "
            "as an array (or a DataFrame) to to_onnx, not through a ColumnTransformer."
        )
    from skl2onnx.common.data_types import FloatTensorType

    source, target = operator.inputs[0], operator.outputs[0]
    if isinstance(target.type, FloatTensorType) and not isinstance(source.type, FloatTensorType):
        selected = em.node("Gather", [source.full_name, em.const(keep, dtype=np.int64)],
                           "selected", axis=1)
        from onnx import TensorProto

        em.node("Cast", [selected], outputs=[target.full_name], to=TensorProto.FLOAT)
        return
    em.node("Gather", [source.full_name, em.const(keep, dtype=np.int64)],
            outputs=[target.full_name], axis=1)


def _convert_folding(scope, operator, container):
    from onnx import TensorProto
    from skl2onnx.common.data_types import FloatTensorType, UInt64TensorType

    em = _Emitter(scope, container)
    model = operator.raw_operator
    n_folds = len(model.estimators_)
    has_event = getattr(model, "fold_column", None) is not None
    probas = [
        v.full_name if isinstance(v.type, FloatTensorType)
        else em.node("Cast", [v.full_name], "proba_float", to=TensorProto.FLOAT)
        for v in operator.inputs[int(has_event):]
    ]
    if not has_event:  # the average of the fold models
        total = probas[0]
        for p in probas[1:]:
            total = em.node("Add", [total, p], "sum")
        proba = em.node("Mul", [total, em.const(1.0 / n_folds)], "mean")
    else:  # each event from the model that did not train on its fold
        source = operator.inputs[0]
        if _is_integer_type(source.type):  # the event numbers themselves, exact
            event = source.full_name
            unsigned = isinstance(source.type, UInt64TensorType)
        else:  # the event-number column of a float64 X (exact below 2**53)
            column = em.node(
                "Gather", [source.full_name,
                           em.const([_fold_column_index(model)], dtype=np.int64)],
                "event", axis=1,
            )
            event = em.node("Cast", [column], "event_int", to=TensorProto.INT64)
            unsigned = False
        # Mod on integers; with fmod=0 the remainder takes the divisor's sign, so
        # a negative event number lands in [0, n_folds) as with Python's %
        divisor = em.const(n_folds, "n_folds", dtype=np.uint64 if unsigned else np.int64)
        fold = em.node("Mod", [event, divisor], "fold", fmod=0)
        if unsigned:
            fold = em.node("Cast", [fold], "fold_int", to=TensorProto.INT64)
        fold = em.node("Reshape", [fold, em.const([-1, 1], dtype=np.int64)], "fold")
        proba = probas[0]
        for k, p in enumerate(probas[1:], start=1):
            mask = em.node("Equal", [fold, em.const(k, dtype=np.int64)], "is_fold")
            proba = em.node("Where", [mask, p, proba], "by_fold")
    em.node("Identity", [proba], outputs=[operator.outputs[1].full_name])
    index = em.node("ArgMax", [proba], "index", axis=1, keepdims=0)
    _emit_labels(em, model.classes_, index, operator.outputs[0].full_name)


# -- the event-number input ------------------------------------------------------
def _event_number_type(model, X_sample):
    """The ONNX type of the event numbers of ``X_sample``, or None when they are floats."""
    from skl2onnx.common.data_types import Int64TensorType, UInt64TensorType

    if np.shape(X_sample)[1] != model.n_features_in_:
        raise ValueError(
            f"X_sample has {np.shape(X_sample)[1]} columns but the FoldingClassifier was "
            f"fitted on {model.n_features_in_} (the fold column included)."
        )
    index = model._fold_index(model.n_features_in_)
    if hasattr(X_sample, "iloc"):
        import pandas as pd

        dtype = X_sample.dtypes.iloc[index]
        if pd.api.types.is_unsigned_integer_dtype(dtype):
            return UInt64TensorType
        if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            return Int64TensorType
        column = X_sample.iloc[:, index].to_numpy()
    else:
        column = np.asarray(X_sample)[:, index]
    if column.dtype.kind == "u":
        return UInt64TensorType
    if column.dtype.kind == "i":
        return Int64TensorType
    if column.dtype == object and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
        for v in column
    ):
        return UInt64TensorType if min(int(v) for v in column) >= 2**63 else Int64TensorType
    return None


def _as_event_numbers(column, type_name):
    dtype = np.uint64 if type_name == "UInt64TensorType" else np.int64
    if hasattr(column, "to_numpy"):
        return column.to_numpy(dtype=dtype)
    return np.array([int(v) for v in column], dtype=dtype)
