"""Property-based tests: random data, weights and parameters for every estimator.

Whatever the input, a call either gives a finite answer or raises a clear
``ValueError`` / ``TypeError`` (a ``DivergedError`` for a fit that diverges,
a ``NotFittedError`` before fit); it never returns NaN from finite input,
never fails inside torch, and never modifies the caller's data. A failed fit
leaves the estimator unfitted.

The search is derandomised (the same examples in every run) and bounded:
tiny networks, one or two epochs, a few dozen rows.
"""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from physml_sklearn import (
    AutoEncoder,
    AutoEncoderOutlierDetector,
    DropoutMLPClassifier,
    GANSampler,
    SoftmaxMLPClassifier,
)
from physml_sklearn._core._net import DivergedError

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: what a call may raise: a clear error about the input or the parameters
CLEAR_ERRORS = (ValueError, TypeError)
#: and a fit, in addition: the training diverged
FIT_ERRORS = CLEAR_ERRORS + (DivergedError,)

SPECIAL = [np.nan, np.inf, -np.inf, 3e38, -3e38, 1e300, -1e300, 1e-300, 0.0]
DTYPES = ["float64", "float32", "float16", "int64", "int8", "uint8", "bool", "object"]


# -- strategies -------------------------------------------------------------------
@st.composite
def matrices(draw, n_features=None, clean=None):
    """A 2-D input: a clean one (finite, of a sensible shape and scale), or
    one of any shape, dtype, container and values."""
    if clean is None:
        clean = draw(st.booleans(), label="clean")
    rng = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    if clean:
        n = draw(st.integers(8, 40))
        p = draw(st.integers(1, 5)) if n_features is None else n_features
        scale = draw(st.sampled_from([1.0, 1e-2, 1e2]))
        dtype = draw(st.sampled_from(["float64", "float32", "float16", "int64"]))
        values = rng.normal(size=(n, p)) * scale
        if dtype == "int64":
            values = np.rint(values * 5)
    else:
        n = draw(st.integers(0, 40))
        p = draw(st.integers(0, 5)) if n_features is None else n_features
        scale = draw(st.sampled_from([1.0, 1e-3, 1e3, 1e20]))
        dtype = draw(st.sampled_from(DTYPES))
        values = rng.normal(size=(n, p)) * scale
        if draw(st.booleans()) and values.size:  # special values, here and there or all
            special = draw(st.sampled_from(SPECIAL))
            mask = rng.uniform(size=values.shape) < draw(st.sampled_from([0.05, 0.5, 1.0]))
            values[mask] = special
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dtype in ("int64", "int8", "uint8", "bool"):
            values = np.clip(np.nan_to_num(values, posinf=100, neginf=-100), -100, 100)
        X = values.astype(dtype)
    container = draw(st.sampled_from(["array", "frame", "list", "fortran"]))
    if container == "frame":
        return pd.DataFrame(X, columns=[f"f{i}" for i in range(p)])
    if container == "list":
        return X.tolist()
    if container == "fortran":
        return np.asfortranarray(X)
    return X


@st.composite
def labels(draw, n, *, n_classes, clean):
    rng = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    if clean:  # every class present
        y = np.r_[np.arange(n_classes), rng.randint(0, n_classes, size=max(n - n_classes, 0))]
        y = y[rng.permutation(n)] if n >= n_classes else y[:n]
    else:
        y = rng.randint(0, draw(st.sampled_from([1, 3, 4, 5])), size=n)
    kind = draw(st.sampled_from(["int", "str", "float"]))
    if kind == "str":
        return np.array(["WZ", "ZZ", "ttZ", "tZq", "ttW"])[y]
    y = y.astype(float) if kind == "float" else y
    if not clean and kind == "float" and n and draw(st.booleans()):
        y[0] = draw(st.sampled_from([np.nan, np.inf, 0.5]))
    return y


@st.composite
def weights(draw, n, *, clean):
    rng = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    if clean:
        kind = draw(st.sampled_from(["none", "positive", "signed", "scalar"]))
        if kind == "none":
            return None
        if kind == "positive":
            return rng.uniform(0.0, 3.0, n)
        if kind == "scalar":
            return 2.0
        w = rng.uniform(0.2, 2.0, n)  # NLO-like: some negative weights, a positive sum
        w[rng.uniform(size=n) < 0.2] *= -0.5
        return w
    kind = draw(st.sampled_from(["signed", "special", "2d", "length", "scalar"]))
    if kind == "signed":
        return rng.uniform(-2.0, 1.0, n)
    if kind == "special":
        w = rng.uniform(0.5, 1.5, n)
        if n:
            w[rng.randint(n)] = draw(st.sampled_from([np.nan, np.inf, 1e300, -1e30, 0.0]))
        return w
    if kind == "2d":
        return np.ones((n, 1))
    if kind == "length":
        return np.ones(n + 1)
    return draw(st.sampled_from([0.0, -1.0]))


def shared_params(draw, clean):
    return dict(
        activation=draw(st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "elu",
                                         "gelu"])),
        kernel_initializer=draw(st.sampled_from(["he_normal", "glorot_uniform", "torch"])),
        optimizer=draw(st.sampled_from(["adam", "adamw", "sgd", "rmsprop"])),
        weight_decay=draw(st.sampled_from([0.0, 1e-2])),
        batch_size=draw(st.sampled_from([1, 7, 64])),
        max_epochs=draw(st.integers(1, 2)),
        random_state=draw(st.integers(0, 3)),
    )


def neural_params(draw, clean):
    params = shared_params(draw, clean)
    params.update(
        lr=draw(st.sampled_from([1e-3, 1e-2] if clean else [10.0, 1e6])),
        dropout=draw(st.sampled_from([0.0, 0.3])),
        early_stopping=draw(st.booleans()),
        validation_fraction=draw(st.sampled_from([0.2, 0.5] if clean else [0.01, 0.99])),
        patience=1,
    )
    return params


@st.composite
def estimators(draw, name, *, clean, labels):
    if name in ("dropout", "softmax"):
        cls = DropoutMLPClassifier if name == "dropout" else SoftmaxMLPClassifier
        present = np.unique(labels).tolist() if labels is not None and len(labels) else [0]
        class_weight = draw(st.sampled_from(
            [None, "balanced", {present[0]: 2.0}] if clean
            else [{"unknown": 1.0}, {present[0]: np.nan}, {present[0]: -1.0}]
        ))
        return cls(
            hidden_layer_sizes=draw(st.sampled_from([(1,), (4,), (3, 2)])),
            class_weight=class_weight,
            **neural_params(draw, clean),
        )
    if name in ("autoencoder", "detector"):
        loss = draw(st.sampled_from(["mse", "l1", "huber"] + ([] if clean else ["bce"])))
        extra = {}
        if name == "detector":
            extra["contamination"] = draw(st.sampled_from(["auto", 0.1, 0.5]))
        return (AutoEncoder if name == "autoencoder" else AutoEncoderOutlierDetector)(
            encoder_layers=draw(st.sampled_from([(3,), (4, 2)])),
            latent_dim=draw(st.integers(1, 3)),
            loss=loss,
            output_activation="sigmoid" if loss == "bce" else None,
            **neural_params(draw, clean),
            **extra,
        )
    rates = [1e-3, 1e-2] if clean else [1e6]
    return GANSampler(
        latent_dim=draw(st.integers(1, 3)),
        generator_layers=(4,),
        discriminator_layers=(4,),
        loss=draw(st.sampled_from(["bce", "wgan-gp"])),
        n_critic=draw(st.integers(1, 2)),
        lr_generator=draw(st.sampled_from(rates)),
        lr_discriminator=draw(st.sampled_from(rates)),
        snapshot_epochs=draw(st.sampled_from([None, [1]] if clean else [[3]])),
        **shared_params(draw, clean),
    )


# -- helpers ----------------------------------------------------------------------
def _snapshot(obj):
    return copy.deepcopy(obj)


def _assert_unchanged(before, after):
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(after, before)
    elif isinstance(before, np.ndarray):
        assert after.dtype == before.dtype and after.shape == before.shape
        np.testing.assert_array_equal(after, before)
        assert after.flags.f_contiguous == before.flags.f_contiguous
    else:
        assert after == before or (after is None and before is None)


def _assert_finite(out, method):
    values = out.to_numpy() if isinstance(out, pd.DataFrame) else np.asarray(out)
    if values.dtype.kind in "fc" or values.dtype == object and method != "predict":
        assert np.isfinite(values.astype(float)).all(), (method, values)


def _prediction_calls(est, X):
    calls = []
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function",
                   "transform", "score_samples"):
        if hasattr(est, method):
            calls.append((method, (X,)))
    if hasattr(est, "inverse_transform"):
        calls.append(("inverse_transform", (X,)))
    if isinstance(est, (AutoEncoder, GANSampler)):
        calls.append(("score", (X,)))
    return calls


def _check_predictions(est, X):
    X_before = _snapshot(X)
    for method, args in _prediction_calls(est, X):
        try:
            out = getattr(est, method)(*args)
        except CLEAR_ERRORS:
            continue
        _assert_finite(out, method)
        if method == "predict" and isinstance(est, (DropoutMLPClassifier,
                                                     SoftmaxMLPClassifier)):
            assert set(np.unique(out)) <= set(est.classes_)
        if method == "predict" and isinstance(est, AutoEncoderOutlierDetector):
            assert set(np.unique(out)) <= {-1, 1}
        _assert_unchanged(X_before, X)


def _fuzz(name, data):
    # at most one thing is wrong: the data, the labels, the weights or a parameter
    fault = data.draw(st.sampled_from(["none", "none", "none", "X", "y", "weights",
                                       "params"]), label="fault")
    X = data.draw(matrices(clean=fault != "X"), label="X")
    n = len(X)
    y = None
    if name in ("dropout", "softmax"):
        n_classes = 2 if name == "dropout" else data.draw(st.sampled_from([2, 3]))
        y = data.draw(labels(n, n_classes=n_classes, clean=fault != "y"), label="y")
    w = data.draw(weights(n, clean=fault != "weights"), label="sample_weight")
    est = data.draw(estimators(name, clean=fault != "params", labels=y), label="estimator")
    X_before, y_before, w_before = _snapshot(X), _snapshot(y), _snapshot(w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if data.draw(st.booleans(), label="partial_fit") and name not in ("dropout",
                                                                              "softmax"):
                est.partial_fit(X, y, sample_weight=w)
            elif name in ("dropout", "softmax") and data.draw(st.booleans()):
                est.partial_fit(X, y, classes=None if y is None else np.unique(y),
                                sample_weight=w)
            else:
                est.fit(X, y, sample_weight=w)
            fitted = True
            event(f"fitted ({fault} wrong)")
        except FIT_ERRORS as exc:
            fitted = False
            lr = est.get_params().get("lr_generator", est.get_params()["lr"])
            if isinstance(exc, DivergedError):
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    big = np.nanmax(np.abs(np.asarray(X, dtype=float)))
                event(f"fit raised {type(exc).__name__} (lr={lr:g}, max|X|={big:.0e}, "
                      f"opt={est.optimizer}, bs={est.batch_size}): {str(exc)[:30]}")
            else:
                event(f"fit raised {type(exc).__name__}: {str(exc)[:50]}")
        _assert_unchanged(X_before, X)
        _assert_unchanged(y_before, y)
        _assert_unchanged(w_before, w)
        if not fitted:
            with pytest.raises(NotFittedError):
                check_is_fitted(est)
            return
        assert np.isfinite(est.loss_curve_).all()
        n_features = est.n_features_in_
        same_width = data.draw(st.booleans(), label="same width")
        X_new = data.draw(matrices(n_features=n_features if same_width else None),
                          label="X_new")
        _check_predictions(est, X_new)
        if isinstance(est, GANSampler):
            n_samples = data.draw(st.sampled_from([1, 5, 0, -1, 2.5]))
            try:
                rows = est.sample(n_samples, random_state=0)
            except CLEAR_ERRORS:
                return
            _assert_finite(rows, "sample")


# -- the tests ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dropout", "softmax", "autoencoder", "detector", "gan"])
@FUZZ
@given(data=st.data())
def test_random_inputs_give_finite_answers_or_clear_errors(name, data):
    _fuzz(name, data)


@pytest.mark.parametrize("make", [DropoutMLPClassifier, SoftmaxMLPClassifier, AutoEncoder,
                                  AutoEncoderOutlierDetector, GANSampler])
@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(X=matrices())
def test_unfitted_estimators_raise_not_fitted(make, X):
    est = make()
    for method, args in _prediction_calls(est, X) + [("sample", (2,))]:
        if hasattr(est, method):
            with pytest.raises(NotFittedError):
                getattr(est, method)(*args)
