"""``to_onnx``: a fitted model as one ONNX graph, built on skl2onnx.

Each estimator of the package is registered with skl2onnx
(``update_registered_converter``): a shape calculator and a converter that
writes the estimator's network into the graph. Networks made of the
package's layers (linear layers, the activations, dropout, flatten) are
written with ONNX operators straight from their weights, in evaluation
mode: dropout is the identity. Any other torch module (a user's encoder)
is exported with :func:`torch.onnx.export` and its graph inlined. The batch
dimension stays dynamic throughout.

The converters of ``FoldingClassifier`` and of feature selection are in
``_onnx_folding``; the checks made around a conversion (a clear error for
what skl2onnx cannot convert, the graph run in ONNX Runtime before it is
returned, the file written whole) in ``_onnx_check``.

Nothing here is imported with the package: onnx, skl2onnx and torch's
exporter load on the first call of :func:`to_onnx`.
"""

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._core._base import NeuralEstimator

#: whether the converters are registered with skl2onnx
_REGISTERED = False


# -- writing nodes --------------------------------------------------------------
class _Emitter:
    """Adds nodes and constants to a skl2onnx container with unique names."""

    def __init__(self, scope, container):
        self.scope = scope
        self.container = container

    @property
    def opset(self):
        return self.container.target_opset

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def const(self, value, hint="c", dtype=np.float32):
        from onnx import numpy_helper

        array = np.asarray(value)
        name = self.name(hint)
        if array.dtype.kind in "US" or array.dtype == object:
            from onnx import TensorProto

            values = [str(v).encode() for v in array.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(array.shape), values)
            return name
        if dtype is not None:
            array = array.astype(dtype)
        tensor = numpy_helper.from_array(array, name)
        self.container.add_initializer(name, tensor.data_type, list(array.shape), tensor)
        return name

    def node(self, op, inputs, hint=None, *, outputs=None, domain="", op_version=None, **attrs):
        if outputs is None:
            outputs = [self.name(hint or op.lower())]
        kwargs = {"op_domain": domain} if domain else {}
        if op_version is not None:
            kwargs["op_version"] = op_version
        self.container.add_node(
            op, list(inputs), list(outputs), name=self.scope.get_unique_operator_name(op),
            **kwargs, **attrs,
        )
        return outputs[0] if len(outputs) == 1 else outputs

    def input_matrix(self, operator):
        """The operator's inputs as one float32 matrix (concatenated when several)."""
        names = [self.float_input(v) for v in operator.inputs]
        return names[0] if len(names) == 1 else self.node("Concat", names, "x_all", axis=1)

    def float_input(self, variable):
        """The name of ``variable`` as float32 (cast when it is not)."""
        from skl2onnx.common.data_types import FloatTensorType

        if isinstance(variable.type, FloatTensorType):
            return variable.full_name
        from onnx import TensorProto

        return self.node("Cast", [variable.full_name], "x_float", to=TensorProto.FLOAT)


_ACTIVATION_OPS = ("ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "GELU")


def _writable(module):
    """Whether ``module`` is made only of layers written here as ONNX operators."""
    from torch import nn

    from .._core._modules import Dropout

    if isinstance(module, nn.Sequential):
        return all(_writable(child) for child in module)
    if type(module).__name__ == "AutoEncoderModule":
        return _writable(module.encoder) and _writable(module.decoder)
    if isinstance(module, (nn.Dropout, Dropout)) or type(module) in (nn.Identity, nn.Linear):
        return True
    if type(module) is nn.GELU:
        return module.approximate == "none"
    if type(module) is nn.Flatten:
        return module.start_dim == 1 and module.end_dim == -1
    return type(module).__module__.startswith("torch.nn") and (
        type(module).__name__ in _ACTIVATION_OPS
    )


def _emit_module(em, module, x, width):
    """Write ``module`` applied to ``x`` (float32, ``width`` columns); return its name."""
    from torch import nn

    if not _writable(module):
        return _emit_exported(em, module, x, width)
    if isinstance(module, nn.Sequential):
        for child in module:
            x = _emit_module(em, child, x, width)
            width = getattr(child, "out_features", width)
        return x
    if type(module).__name__ == "AutoEncoderModule":
        code = _emit_module(em, module.encoder, x, width)
        return _emit_module(em, module.decoder, code, _output_width(module.encoder, width))
    if type(module) is nn.Linear:
        weight = module.weight.detach().cpu().numpy()
        inputs = [x, em.const(weight, "W")]
        if module.bias is not None:
            inputs.append(em.const(module.bias.detach().cpu().numpy(), "B"))
        return em.node("Gemm", inputs, "linear", transB=1)
    if type(module) is nn.ReLU:
        return em.node("Relu", [x])
    if type(module) is nn.Tanh:
        return em.node("Tanh", [x])
    if type(module) is nn.Sigmoid:
        return em.node("Sigmoid", [x])
    if type(module) is nn.LeakyReLU:
        return em.node("LeakyRelu", [x], alpha=float(module.negative_slope))
    if type(module) is nn.ELU:
        return em.node("Elu", [x], alpha=float(module.alpha))
    if type(module) is nn.GELU:
        # 0.5 x (1 + erf(x / sqrt(2))), valid in every opset
        erf = em.node("Erf", [em.node("Mul", [x, em.const(1.0 / math.sqrt(2.0))])])
        half_x = em.node("Mul", [x, em.const(0.5)])
        return em.node("Mul", [half_x, em.node("Add", [erf, em.const(1.0)])])
    if type(module) is nn.Flatten:
        return em.node("Flatten", [x], axis=1)
    return x  # dropout and identity: evaluation mode


def _output_width(module, width):
    import torch

    was_training = module.training
    module.eval()
    with torch.no_grad():
        out = module(torch.zeros(2, width))
    module.train(was_training)
    return int(out.reshape(2, -1).shape[1])


def _emit_exported(em, module, x, width):
    """Export ``module`` with :func:`torch.onnx.export` and inline its graph."""
    import warnings

    import torch
    from onnx import helper, numpy_helper

    module = module.eval()
    batch = torch.export.Dim("batch")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.export's own deprecations
            program = torch.onnx.export(
                module,
                (torch.zeros(2, width),),
                input_names=["x"],
                output_names=["y"],
                dynamic_shapes=({0: batch},),
                opset_version=max(em.opset, 18),
                dynamo=True,
                verbose=False,
            )
    except Exception as exc:  # the exporter raises many types
        raise NotImplementedError(
            f"The torch module {type(module).__name__} could not be exported to ONNX by "
            f"torch.onnx.export: {exc}"
        ) from exc
    model = program.model_proto
    if len(model.functions):
        raise NotImplementedError(
            f"The ONNX export of {type(module).__name__} holds local functions, which "
            "cannot be inlined into the scikit-learn graph."
        )
    graph = model.graph
    names = {graph.input[0].name: x}
    for init in graph.initializer:
        new = em.name("t_" + init.name.replace(".", "_"))
        array = numpy_helper.to_array(init)
        tensor = numpy_helper.from_array(array, new)
        em.container.add_initializer(new, tensor.data_type, list(array.shape), tensor)
        names[init.name] = new
    for node in graph.node:
        inputs = [names.get(i, i) if i else "" for i in node.input]
        outputs = []
        for o in node.output:
            names[o] = em.name("t_" + o.replace(".", "_"))
            outputs.append(names[o])
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        em.node(node.op_type, inputs, outputs=outputs, domain=node.domain, **attrs)
    return names[graph.output[0].name]


def _network_output(em, estimator, operator, module=None):
    """The net of ``estimator`` (or its ``module``) applied to the operator's input."""
    x = em.input_matrix(operator)
    module = estimator.net_.module_ if module is None else module
    return _emit_module(em, module, x, estimator.n_features_in_)


# -- labels --------------------------------------------------------------------
def _label_type(classes):
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    classes = np.asarray(classes)
    if classes.dtype.kind in "biu":
        return Int64TensorType
    if classes.dtype.kind == "f" and np.all(classes == np.round(classes)):
        return Int64TensorType
    if classes.dtype.kind in "USO" and all(isinstance(c, str) for c in classes.tolist()):
        return StringTensorType
    raise NotImplementedError(
        f"Class labels of dtype {classes.dtype} cannot be ONNX labels; use integer or "
        "string labels."
    )


def _labels_const(em, classes):
    classes = np.asarray(classes)
    if _label_type(classes).__name__ == "Int64TensorType":
        return em.const(classes.astype(np.int64), "classes", dtype=np.int64)
    return em.const(classes.astype(object), "classes", dtype=None)


def _classifier_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType

    classes = operator.raw_operator.classes_
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _label_type(classes)([n])
    if len(operator.outputs) > 1:
        operator.outputs[1].type = FloatTensorType([n, len(classes)])


def _emit_labels(em, classes, index, output):
    """``classes[index]`` into ``output`` (``index``: int64 of shape (N,))."""
    em.node("Gather", [_labels_const(em, classes), index], outputs=[output], axis=0)


def _convert_binary(scope, operator, container):
    from onnx import TensorProto

    em = _Emitter(scope, container)
    est = operator.raw_operator
    logit = _network_output(em, est, operator)  # (N, 1)
    p = em.node("Sigmoid", [logit], "p")
    q = em.node("Sub", [em.const(np.ones((1, 1))), p], "q")
    if len(operator.outputs) > 1:
        em.node("Concat", [q, p], outputs=[operator.outputs[1].full_name], axis=1)
    # the label as in predict: the positive class where the logit is > 0
    positive = em.node("Greater", [logit, em.const(np.zeros((1, 1)))], "positive")
    index = em.node("Cast", [positive], "index", to=TensorProto.INT64)
    index = em.node("Reshape", [index, em.const([-1], dtype=np.int64)], "index")
    _emit_labels(em, est.classes_, index, operator.outputs[0].full_name)


def _convert_softmax(scope, operator, container):
    em = _Emitter(scope, container)
    est = operator.raw_operator
    logits = _network_output(em, est, operator)
    if len(operator.outputs) > 1:
        em.node("Softmax", [logits], outputs=[operator.outputs[1].full_name], axis=1)
    index = em.node("ArgMax", [logits], "index", axis=1, keepdims=0)
    _emit_labels(em, est.classes_, index, operator.outputs[0].full_name)


# -- regressor -------------------------------------------------------------------
def _regressor_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType

    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([n, operator.raw_operator.n_outputs_])


def _convert_regressor(scope, operator, container):
    """The network's output mapped back to the units of ``y``: ``out * y_scale_ + y_mean_``."""
    em = _Emitter(scope, container)
    est = operator.raw_operator
    out = _network_output(em, est, operator)  # (N, n_outputs)
    scaled = em.node("Mul", [out, em.const(np.asarray(est.y_scale_).reshape(1, -1))], "scaled")
    em.node("Add", [scaled, em.const(np.asarray(est.y_mean_).reshape(1, -1))],
            outputs=[operator.outputs[0].full_name])


def _register_regressor(update_registered_converter):
    """Register the converter of ``DropoutMLPRegressor`` (output ``variable``)."""
    from ..regressor import DropoutMLPRegressor

    _ALIASES[DropoutMLPRegressor] = "PhysmlDropoutMLPRegressor"
    update_registered_converter(DropoutMLPRegressor, "PhysmlDropoutMLPRegressor",
                                _regressor_shapes, _convert_regressor)


# -- autoencoders ----------------------------------------------------------------
def _autoencoder_parser(scope, model, inputs, custom_parsers=None):
    from skl2onnx.common.data_types import FloatTensorType

    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = inputs
    for name in ("transform", "reconstruction"):
        operator.outputs.append(scope.declare_local_variable(name, FloatTensorType()))
    return operator.outputs


def _autoencoder_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType

    est = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([n, est.latent_dim])
    operator.outputs[1].type = FloatTensorType([n, est.n_outputs_])


def _convert_autoencoder(scope, operator, container):
    em = _Emitter(scope, container)
    est = operator.raw_operator
    module = est.net_.module_
    code = _network_output(em, est, operator, module.encoder)
    em.node("Identity", [code], outputs=[operator.outputs[0].full_name])
    out = _emit_module(em, module.decoder, code, est.latent_dim)
    em.node("Identity", [out], outputs=[operator.outputs[1].full_name])


def _outlier_parser(scope, model, inputs, custom_parsers=None):
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("scores", FloatTensorType()))
    return operator.outputs


def _outlier_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = Int64TensorType([n])
    operator.outputs[1].type = FloatTensorType([n, 1])


def _emit_row_loss(em, loss, output, target):
    """Per-row mean of the reconstruction loss, shape (N, 1)."""
    diff = em.node("Sub", [output, target], "diff")
    if loss == "mse":
        per = em.node("Mul", [diff, diff], "sq")
    elif loss == "l1":
        per = em.node("Abs", [diff], "abs")
    elif loss == "huber":  # delta = 1: 0.5 d^2 where |d| < 1, else |d| - 0.5
        absd = em.node("Abs", [diff], "abs")
        small = em.node("Less", [absd, em.const(1.0)], "small")
        quad = em.node("Mul", [em.node("Mul", [diff, diff]), em.const(0.5)], "quad")
        lin = em.node("Sub", [absd, em.const(0.5)], "lin")
        per = em.node("Where", [small, quad, lin], "huber")
    elif loss == "bce":  # torch clamps the logarithms at -100
        low = em.const(-100.0)
        log_o = em.node("Max", [em.node("Log", [output]), low], "log_o")
        one_minus = em.node("Sub", [em.const(1.0), output], "one_minus")
        log_1mo = em.node("Max", [em.node("Log", [one_minus]), low], "log_1mo")
        t_log = em.node("Mul", [target, log_o])
        rest = em.node("Mul", [em.node("Sub", [em.const(1.0), target]), log_1mo])
        per = em.node("Neg", [em.node("Add", [t_log, rest])], "bce")
    else:  # pragma: no cover - guarded by parameter validation
        raise NotImplementedError(f"loss={loss!r}")
    axes = em.const([1], dtype=np.int64)
    return em.node("ReduceMean", [per, axes], "row_loss", keepdims=1)


def _convert_outlier(scope, operator, container):
    from onnx import TensorProto

    em = _Emitter(scope, container)
    est = operator.raw_operator
    x = em.input_matrix(operator)
    out = _emit_module(em, est.net_.module_, x, est.n_features_in_)
    error = _emit_row_loss(em, est.loss, out, x)
    decision = em.node(
        "Sub", [em.node("Neg", [error]), em.const(np.full((1, 1), est.offset_))], "decision"
    )
    em.node("Identity", [decision], outputs=[operator.outputs[1].full_name])
    inlier = em.node("GreaterOrEqual", [decision, em.const(np.zeros((1, 1)))], "inlier")
    index = em.node("Cast", [inlier], "index", to=TensorProto.INT64)
    index = em.node("Reshape", [index, em.const([-1], dtype=np.int64)], "index")
    _emit_labels(em, np.array([-1, 1]), index, operator.outputs[0].full_name)


# -- the GAN ---------------------------------------------------------------------
def _gan_parser(scope, model, inputs, custom_parsers=None):
    from skl2onnx.common.data_types import FloatTensorType

    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("samples", FloatTensorType()))
    return operator.outputs


def _gan_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType

    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([n, operator.raw_operator.n_features_in_])


def _convert_gan(scope, operator, container):
    em = _Emitter(scope, container)
    est = operator.raw_operator
    x = em.float_input(operator.inputs[0])
    if len(operator.inputs) > 1:  # the condition, after the latent noise
        x = em.node("Concat", [x, em.float_input(operator.inputs[1])], "z_y", axis=1)
    width = est.net_.generator_average_[0].in_features
    rows = _emit_module(em, est.net_.generator_average_, x, width)
    # rows in the original units, in float64 as sample() computes them
    from onnx import TensorProto

    rows = em.node("Cast", [rows], "rows64", to=TensorProto.DOUBLE)
    scaled = em.node("Mul", [rows, em.const(est.scale_[None, :], dtype=np.float64)])
    shifted = em.node("Add", [scaled, em.const(est.mean_[None, :], dtype=np.float64)])
    em.node("Cast", [shifted], outputs=[operator.outputs[0].full_name], to=TensorProto.FLOAT)


def _check_gan_exportable(gan):
    """Raise a clear error for a sampler whose generation the graph would not reproduce.

    The graph computes ``generator_average_(z) * scale_ + mean_``; this is
    checked against :meth:`GANSampler.sample` on a few latent vectors drawn
    as ``sample`` draws them, so that a sampler with another preprocessing
    (or a conditional one) is refused rather than exported wrongly.
    """
    import torch
    from sklearn.base import BaseEstimator
    from sklearn.utils import check_random_state

    from .._core._modules import seed_from, torch_generator

    others = [
        name for name, value in vars(gan).items()
        if name.endswith("_") and name != "net_" and value is not None
        and (isinstance(value, BaseEstimator) or hasattr(value, "inverse_transform"))
    ]
    if others:
        raise NotImplementedError(
            f"This GANSampler preprocesses its rows with {', '.join(others)} "
            f"({', '.join(type(getattr(gan, n)).__name__ for n in others)}), which has no "
            "exact ONNX form: to_onnx cannot export it. Use the saved model (save / load) "
            "to sample in Python."
        )
    generator = gan.net_.generator_average_
    width = generator[0].in_features
    if width != gan.latent_dim:
        raise NotImplementedError("to_onnx does not export conditional GANSampler models yet.")
    if not {"mean_", "scale_"} <= set(vars(gan)):
        raise NotImplementedError(
            "to_onnx exports a GANSampler that standardises its rows (mean_ and scale_); "
            "this one preprocesses them otherwise."
        )
    seed = 20240601
    z = torch.randn(64, width, generator=torch_generator(seed_from(check_random_state(seed))))
    with torch.inference_mode():
        rows = generator.eval()(z.to(gan.net_.device)).cpu().numpy().astype(np.float64)
    rows = rows * gan.scale_ + gan.mean_
    try:
        expected = np.asarray(gan.sample(64, random_state=seed), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise NotImplementedError(
            f"to_onnx cannot export this GANSampler: sampling it needs more than latent "
            f"noise ({exc})."
        ) from exc
    if not np.allclose(rows, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max()):
        raise NotImplementedError(
            "to_onnx cannot export this GANSampler: its samples are not the averaged "
            "generator's output scaled back with mean_ and scale_ (another preprocessing)."
        )


# -- registration ----------------------------------------------------------------
_ALIASES = {}


def _register():
    """Register the converters of the package's estimators with skl2onnx (once)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from skl2onnx import update_registered_converter
    from skl2onnx.common._registration import (
        register_converter,
        register_shape_calculator,
    )

    from ..autoencoder import AutoEncoder, AutoEncoderOutlierDetector
    from ..classifier import DropoutMLPClassifier, SoftmaxMLPClassifier
    from ..gan import GANSampler
    from ._onnx_folding import (
        _convert_fold_features,
        _convert_folding,
        _fold_features_shapes,
        _folding_parser,
        _selection_parser,
    )

    classifier_options = {"zipmap": [True, False, "columns"], "nocl": [True, False]}
    for cls, convert in ((DropoutMLPClassifier, _convert_binary),
                         (SoftmaxMLPClassifier, _convert_softmax)):
        _ALIASES[cls] = "Physml" + cls.__name__
        update_registered_converter(cls, _ALIASES[cls], _classifier_shapes, convert,
                                    options=classifier_options)
    _register_regressor(update_registered_converter)
    for cls, parser, shapes, convert in (
        (AutoEncoder, _autoencoder_parser, _autoencoder_shapes, _convert_autoencoder),
        (AutoEncoderOutlierDetector, _outlier_parser, _outlier_shapes, _convert_outlier),
        (GANSampler, _gan_parser, _gan_shapes, _convert_gan),
    ):
        _ALIASES[cls] = "Physml" + cls.__name__
        update_registered_converter(cls, _ALIASES[cls], shapes, convert, parser=parser)
    try:
        from ..folding import FoldingClassifier
    except ImportError:  # pragma: no cover - the folding module is optional here
        FoldingClassifier = None
    if FoldingClassifier is not None:
        _ALIASES[FoldingClassifier] = "PhysmlFoldingClassifier"
        update_registered_converter(
            FoldingClassifier, "PhysmlFoldingClassifier", _classifier_shapes,
            _convert_folding, parser=_folding_parser,
            options={"zipmap": [True, False, "columns"]},
        )
    register_converter("PhysmlFoldFeatures", _convert_fold_features, overwrite=True)
    register_shape_calculator("PhysmlFoldFeatures", _fold_features_shapes, overwrite=True)
    from ..inspection import PermutationFeatureElimination

    _ALIASES[PermutationFeatureElimination] = "PhysmlPermutationFeatureElimination"
    update_registered_converter(
        PermutationFeatureElimination, "PhysmlPermutationFeatureElimination",
        _classifier_shapes, _convert_folding, parser=_selection_parser,
        options={"zipmap": [True, False, "columns"]},  # passed on to estimator_
    )
    _REGISTERED = True


def _classifier_classes():
    return tuple(
        cls for cls in _ALIASES
        if cls.__name__ in ("DropoutMLPClassifier", "SoftmaxMLPClassifier", "FoldingClassifier",
                            "PermutationFeatureElimination")
    )


def _starts_with_column_transformer(model):
    from sklearn.compose import ColumnTransformer

    first = model.steps[0][1] if hasattr(model, "steps") else model
    return isinstance(first, ColumnTransformer)


def _has_fold_column(model):
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    return getattr(last, "fold_column", None) is not None and hasattr(last, "estimators_")


def _classifiers_within(model):
    """Every classifier in ``model``: itself, its steps, its fold and selected models."""
    from sklearn.base import is_classifier

    found, stack = [], [model]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
            continue
        if not hasattr(obj, "get_params"):
            continue
        if is_classifier(obj) and not hasattr(obj, "steps"):
            found.append(obj)
        for attr in ("steps", "transformers_", "estimators_", "estimator_"):
            value = getattr(obj, attr, None)
            if value is not None:
                stack.append(value)
    return found


def to_onnx(model, X_sample, path=None, *, target_opset=None):
    """Export a fitted model as one ONNX graph.

    Built on `skl2onnx <https://onnx.ai/sklearn-onnx/>`_, with converters for
    the estimators of the package, so that a whole
    ``Pipeline(StandardScaler(), DropoutMLPClassifier())`` becomes one graph
    that ONNX Runtime (Python, C++, C#, Java...) or ROOT's TMVA SOFIE runs.
    The networks are written in evaluation mode (dropout off) and the batch
    dimension is dynamic.

    The graph's input ``X`` is a float32 tensor of shape
    ``(n_samples, n_features)``, its columns in the order of the training
    data, also when ``X_sample`` is a DataFrame; a pipeline that starts with a
    :class:`~sklearn.compose.ColumnTransformer` selecting columns by name
    has one input per column instead, named after it. A
    ``FoldingClassifier`` with a ``fold_column`` takes its event numbers as
    ``X_sample`` holds them:

    - as integers (an integer column of a DataFrame, or an integer array):
      two inputs, ``X`` (float32, the features without the fold column, in
      the order of ``get_feature_names_out()``) and ``event_number`` (int64
      of shape ``(n_samples,)``; uint64 when the column is uint64). The fold
      rule is computed with integer operators (``Mod``), exact for every
      event number, as in :meth:`~physml_sklearn.FoldingClassifier.predict_proba`;
    - as floats: one float64 input ``X`` with every column, the event number
      among them, exact only for event numbers below ``2**53``.

    Its outputs:

    - a classifier (the package's, or a scikit-learn one that skl2onnx
      converts), or :class:`~physml_sklearn.folding.FoldingClassifier` around
      any of them (the average of its fold models' probabilities, or each
      event from the model that did not train on its fold when it has a
      ``fold_column``): ``label`` (the
      ``predict`` labels, int64 or string) and ``probabilities`` (float32,
      shape ``(n_samples, n_classes)``, the ``predict_proba`` columns) — a
      plain tensor, as with skl2onnx's option ``zipmap=False``;
    - :class:`~physml_sklearn.inspection.PermutationFeatureElimination`: the
      outputs of its ``estimator_`` on the selected features;
    - :class:`~physml_sklearn.DropoutMLPRegressor`: ``variable`` (float32,
      shape ``(n_samples, n_targets)``, also for a 1-D ``y``; the
      ``predict`` values, with the target scaling undone inside the graph),
      as skl2onnx names the output of a regressor;
    - :class:`~physml_sklearn.AutoEncoder`: ``transform`` (the latent codes)
      and ``reconstruction`` (``predict``); it must be the last step;
    - :class:`~physml_sklearn.AutoEncoderOutlierDetector`: ``label`` (+1
      inlier, -1 outlier, as ``predict``) and ``scores``
      (``decision_function``, shape ``(n_samples, 1)``);
    - :class:`~physml_sklearn.GANSampler`: the input is ``z``, standard
      normal latent noise of shape ``(n_samples, latent_dim)``, and the
      output ``samples`` the rows its averaged generator makes of it, in the
      original units. The rows of ``sample(n, random_state=s)`` are the
      graph's output for the latent noise the sampler draws with that seed.

    Parameters
    ----------
    model : estimator
        A fitted estimator of the package, a ``FoldingClassifier``, a
        ``PermutationFeatureElimination`` around a classifier, or a
        :class:`~sklearn.pipeline.Pipeline` of scikit-learn transformers
        ending in one.
    X_sample : array-like or DataFrame of shape (n_samples, n_features)
        A few input rows, valid input of ``model``: their number of columns
        and types shape the graph's inputs, and the graph is checked on them
        (see Raises). For a ``GANSampler``, None or latent vectors of shape
        ``(n_samples, latent_dim)``.
    path : str or path-like, default=None
        When given, the graph is also written to this file (``.onnx``),
        whole or not at all: a temporary file in the same folder, renamed
        into place.
    target_opset : int, default=None
        The ONNX opset of the graph; None takes the newest one skl2onnx
        supports.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The graph.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        When the model is not fitted.
    NotImplementedError
        For a part of the model that has no exact ONNX form, a model that
        skl2onnx cannot convert (a ``FoldingClassifier`` around a classifier
        without ``predict_proba``, a ``FoldingClassifier`` with a
        ``fold_column`` inside a pipeline), or a graph that fails the check
        made before it is returned: ONNX Runtime (when installed, else the
        ONNX checker with type inference) must load it and run it on
        ``X_sample``, and its ``probabilities`` must equal ``predict_proba``
        on ``X_sample`` to 1e-4.

    See Also
    --------
    save : Keep the model itself, for Python.

    Notes
    -----
    Needs the optional dependencies: ``pip install "physml-sklearn[onnx]"``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from physml_sklearn import DropoutMLPClassifier
    >>> from physml_sklearn.persistence import to_onnx
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X = np.random.RandomState(0).normal(size=(500, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = make_pipeline(StandardScaler(), DropoutMLPClassifier(
    ...     (16, 8), max_epochs=5, random_state=0)).fit(X, y)
    >>> onx = to_onnx(model, X[:1])
    >>> session = ort.InferenceSession(onx.SerializeToString())
    >>> label, proba = session.run(None, {"X": X.astype(np.float32)})
    >>> bool(np.abs(proba - model.predict_proba(X)).max() < 1e-5)
    True
    >>> bool((label == model.predict(X)).all())
    True
    """
    try:
        import skl2onnx
        from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    except ImportError as exc:
        raise ImportError(
            "to_onnx needs onnx and skl2onnx: pip install 'physml-sklearn[onnx]'."
        ) from exc
    from .._io_atomic import write_bytes
    from ..gan import GANSampler
    from ._onnx_check import _check_graph, _convert
    from ._onnx_folding import _as_event_numbers, _event_number_type

    if isinstance(model, NeuralEstimator):
        check_is_fitted(model, "net_")
    else:
        check_is_fitted(model)
    _register()
    options = {cls: {"zipmap": False} for cls in _classifier_classes()}
    ours = tuple(_classifier_classes())
    for estimator in _classifiers_within(model):
        if not isinstance(estimator, ours):  # a scikit-learn classifier inside
            options[id(estimator)] = {"zipmap": False}
    if _has_fold_column(model) and hasattr(model, "steps"):
        raise NotImplementedError(
            "to_onnx exports a FoldingClassifier with a fold_column only as the model "
            "itself, not as the last step of a pipeline (the steps before it would "
            "transform the event numbers too): put the pipeline inside the "
            "FoldingClassifier, FoldingClassifier(make_pipeline(...), fold_column=...)."
        )
    model_input = X_sample
    if isinstance(model, GANSampler):
        if X_sample is not None and np.shape(X_sample)[-1] != model.latent_dim:
            raise ValueError(
                f"X_sample for a GANSampler is latent noise with latent_dim={model.latent_dim} "
                f"columns (or None); got {np.shape(X_sample)[-1]} columns."
            )
        _check_gan_exportable(model)
        initial_types = [("z", FloatTensorType([None, model.latent_dim]))]
        z = np.zeros((2, model.latent_dim)) if X_sample is None else np.asarray(X_sample)
        feeds = {"z": z.astype(np.float32)}
        model_input = None
        onx = _convert(skl2onnx.convert_sklearn, model, initial_types=initial_types,
                       target_opset=target_opset, options=options)
    elif hasattr(X_sample, "columns") and _starts_with_column_transformer(model):
        # one input per column: the column transformer selects them by name
        frame = X_sample.copy()
        for name in frame.columns:
            if frame[name].dtype.kind == "f":
                frame[name] = frame[name].astype(np.float32)
        feeds = {name: frame[[name]].to_numpy() for name in frame.columns}
        onx = _convert(skl2onnx.to_onnx, model, frame, target_opset=target_opset,
                       options=options)
    else:  # one matrix: the columns in the order of the training data
        if np.ndim(X_sample) != 2:
            raise ValueError(
                f"X_sample must be 2-D, (n_samples, n_features); got shape "
                f"{np.shape(X_sample)}."
            )
        n_columns = np.shape(X_sample)[1]
        expected = getattr(model, "n_features_in_", None)
        if expected is not None and n_columns != expected:
            raise ValueError(
                f"X_sample has {n_columns} columns but the model was fitted on "
                f"{expected}; pass rows of the training data, e.g. X[:5]."
            )
        event_type = _event_number_type(model, X_sample) if _has_fold_column(model) else None
        if event_type is not None:
            # the features as float32, the event numbers as integers: exact
            index = model._fold_index(model.n_features_in_)
            column = X_sample.iloc[:, index] if hasattr(X_sample, "iloc") else \
                np.asarray(X_sample)[:, index]
            values = np.delete(np.asarray(X_sample, dtype=object), index, axis=1)
            feeds = {
                "X": values.astype(np.float32),
                "event_number": _as_event_numbers(column, event_type.__name__),
            }
            initial_types = [("X", FloatTensorType([None, n_columns - 1])),
                             ("event_number", event_type([None]))]
        else:
            # a fold column given as floats: one float64 X, exact below 2**53
            dtype = np.float64 if _has_fold_column(model) else np.float32
            input_type = DoubleTensorType if _has_fold_column(model) else FloatTensorType
            feeds = {"X": np.asarray(X_sample, dtype=dtype)}
            initial_types = [("X", input_type([None, n_columns]))]
        onx = _convert(skl2onnx.convert_sklearn, model, initial_types=initial_types,
                       target_opset=target_opset, options=options)
    _check_graph(onx, model, feeds, model_input)
    if path is not None:
        write_bytes(path, onx.SerializeToString())
    return onx
