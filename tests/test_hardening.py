"""Hardening: failed fits leave no trace, no NaN from finite input, clear errors.

Every neural estimator either gives a correct, finite answer or raises an
error that names the cause and the fix; a call that fails leaves the
estimator as it was.
"""

import copy
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from physml_sklearn import (
    AutoEncoder,
    AutoEncoderOutlierDetector,
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    GANSampler,
    SoftmaxMLPClassifier,
)
from physml_sklearn._core._net import DivergedError
from physml_sklearn.datasets import make_diboson

TINY_CLF = dict(hidden_layer_sizes=(8,), max_epochs=3, batch_size=32, lr=0.01, random_state=0)
TINY_AE = dict(encoder_layers=(8,), max_epochs=3, batch_size=32, random_state=0)
TINY_GAN = dict(generator_layers=(8,), discriminator_layers=(8,), max_epochs=2,
                batch_size=32, random_state=0)

ESTIMATORS = {
    "dropout": lambda **kw: DropoutMLPClassifier(**{**TINY_CLF, **kw}),
    "softmax": lambda **kw: SoftmaxMLPClassifier(**{**TINY_CLF, **kw}),
    "autoencoder": lambda **kw: AutoEncoder(**{**TINY_AE, **kw}),
    "detector": lambda **kw: AutoEncoderOutlierDetector(**{**TINY_AE, **kw}),
    "gan": lambda **kw: GANSampler(**{**TINY_GAN, **kw}),
}
NAMES = list(ESTIMATORS)

#: every public method that needs a fitted estimator, and its arguments
METHODS = {
    "predict": lambda X: (X,),
    "predict_proba": lambda X: (X,),
    "predict_log_proba": lambda X: (X,),
    "decision_function": lambda X: (X,),
    "transform": lambda X: (X,),
    "inverse_transform": lambda X: (np.zeros((X.shape[0], 2)),),
    "score_samples": lambda X: (X,),
    "score": lambda X: (X,),
    "sample": lambda X: (3, 0),  # n_samples, random_state
    "get_feature_names_out": lambda X: (),
}


def _methods(est):
    return [m for m in METHODS if hasattr(est, m)]


def _call(est, method, X):
    args = METHODS[method](X)
    if method == "score" and isinstance(est, (DropoutMLPClassifier, SoftmaxMLPClassifier)):
        args = (X, np.zeros(X.shape[0], dtype=int))  # label 0 is in every fixture target
    return getattr(est, method)(*args)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    y3 = np.digitize(X[:, 1], [-0.5, 0.5])
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    return X, y, y3, frame


def _target(name, y, y3):
    return {"dropout": y, "softmax": y3}.get(name)


def _fitted_state(est):
    """Everything fitted about ``est``: attributes, weights, history length."""
    state = {}
    for key, value in vars(est).items():
        if key.endswith("_") and not key.startswith("__") and key != "net_":
            state[key] = copy.deepcopy(value)
    net = est.net_
    state["weights"] = {
        f"{name}.{k}": v.detach().clone()
        for name, module in vars(net).items()
        if name.endswith("_") and isinstance(module, torch.nn.Module)
        for k, v in module.state_dict().items()
    }
    state["n_history"] = len(net.history)
    state["history"] = copy.deepcopy(list(net.history))
    return state


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key in before:
        if key == "weights":
            assert before[key].keys() == after[key].keys()
            for k in before[key]:
                torch.testing.assert_close(before[key][k], after[key][k], rtol=0, atol=0)
        elif key in ("history_", "history"):
            assert list(before[key]) == list(after[key])
        elif isinstance(before[key], np.ndarray):
            np.testing.assert_array_equal(before[key], after[key])
        elif isinstance(before[key], dict):
            assert before[key].keys() == after[key].keys(), key
        else:
            assert before[key] == after[key], key


class FailAtEpochEnd(Callback):
    """Raise at the end of an epoch, after the optimizer has changed the weights."""

    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("callback failed on purpose")


class SpoilWeights(Callback):
    """Set the first weight of the network to ``value`` at the end of training,
    after the last epoch's loss was recorded (a last step that overflows)."""

    def __init__(self, value=float("nan")):
        self.value = value

    def on_train_end(self, net, **kwargs):
        with torch.no_grad():
            next(net.module_.parameters()).view(-1)[0] = self.value


class KillHiddenUnits(Callback):
    """Give every hidden unit of the first layer a hugely negative bias: dead ReLUs."""

    def on_train_end(self, net, **kwargs):
        first = next(m for m in net.module_.modules() if isinstance(m, torch.nn.Linear))
        with torch.no_grad():
            first.weight.zero_()
            first.bias.fill_(-1e3)


# -- 1. a failed fit leaves the estimator as it was -----------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
def test_failed_fit_leaves_the_previous_fitted_state(name, how, data):
    X, y, y3, frame = data
    target = _target(name, y, y3)
    est = ESTIMATORS[name]()
    est.fit(frame, target)
    if how == "partial_fit" and name in ("dropout", "softmax"):
        est.partial_fit(frame, target)
    before = _fitted_state(est)
    outputs = {m: _call(est, m, frame) for m in _methods(est)}

    est.set_params(callbacks=[FailAtEpochEnd()], warm_start=how == "warm_start")
    with pytest.raises(RuntimeError, match="on purpose"):
        if how == "partial_fit":
            est.partial_fit(frame, target)
        elif how == "warm_start":  # continues from the current weights
            est.fit(frame, target)
        else:  # other data: the columns, their number and the labels would change
            est.fit(X[:, :3], None if target is None else target + 1)
    _assert_same_state(before, _fitted_state(est))
    est.set_params(callbacks=None)
    for method, expected in outputs.items():
        np.testing.assert_array_equal(_call(est, method, frame), expected)


@pytest.mark.parametrize("name", ["dropout", "softmax", "autoencoder", "detector"])
def test_diverging_refit_leaves_the_previous_model(name, data):
    # the reproducer: a good fit, then a refit that diverges
    X, y, y3, _ = data
    target = _target(name, y, y3)
    est = ESTIMATORS[name]().fit(X, target)
    before = _fitted_state(est)
    expected = est.predict(X)
    est.set_params(optimizer="sgd", lr=10.0)
    with pytest.raises(DivergedError, match="Training diverged"):
        est.fit(X * 1e6, target)
    _assert_same_state(before, _fitted_state(est))
    np.testing.assert_array_equal(est.predict(X), expected)
    assert np.isfinite(est.predict(X)).all()


@pytest.mark.parametrize("name", NAMES)
def test_failed_first_fit_leaves_the_estimator_unfitted(name, data):
    X, y, y3, _ = data
    est = ESTIMATORS[name](callbacks=[FailAtEpochEnd()])
    with pytest.raises(RuntimeError, match="on purpose"):
        est.fit(X, _target(name, y, y3))
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]
    with pytest.raises(NotFittedError):
        _call(est, _methods(est)[0], X)


# -- 2. divergence in the last step ---------------------------------------------
@pytest.fixture(scope="module")
def diboson():
    return make_diboson(5000, random_state=0, return_X_y=True)


def test_divergence_in_the_last_step_raises(diboson):
    X, y = diboson
    clf = SoftmaxMLPClassifier(optimizer="sgd", lr=1e12, max_epochs=1, batch_size=5000,
                               random_state=0)
    with pytest.raises(DivergedError, match=r"Lower the learning rate \(lr=1e\+12"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict_proba(X)


def test_detector_with_a_nan_threshold_raises(diboson):
    X, _ = diboson
    det = AutoEncoderOutlierDetector(optimizer="sgd", lr=1e3, max_epochs=1, batch_size=5000,
                                     random_state=0)
    with pytest.raises(DivergedError, match="lr=1000"):
        det.fit(X)
    assert not hasattr(det, "offset_")


@pytest.mark.parametrize("name", ["dropout", "softmax", "autoencoder", "detector"])
def test_non_finite_weights_after_the_last_step_raise(name, data):
    # the epoch loss is finite (it is computed before the step); only the
    # weights show the divergence
    X, y, y3, _ = data
    est = ESTIMATORS[name](callbacks=[SpoilWeights()])
    with pytest.raises(DivergedError, match=r"weights of the network \(module_.*non-finite"):
        est.fit(X, _target(name, y, y3))
    assert np.isfinite(est.set_params(callbacks=None).fit(X, _target(name, y, y3))
                       .loss_curve_).all()


def test_gan_with_non_finite_weights_raises(data):
    X = data[0]
    with pytest.raises(DivergedError, match="non-finite"):
        GANSampler(**TINY_GAN, callbacks=[SpoilWeights(float("inf"))]).fit(X)


# -- 3. an exploding but finite loss --------------------------------------------
def test_exploding_finite_loss_raises(diboson):
    # unscaled inputs in GeV and lr=10: losses of 1e8 and more, chance accuracy
    X, y = diboson
    clf = DropoutMLPClassifier(lr=10, max_epochs=5, random_state=0)
    with pytest.raises(DivergedError,
                       match=r"grew from .* more than 100 times.*lr=10 .*StandardScaler"):
        clf.fit(X, y)


class InflateLastEpoch(Callback):
    """Record a huge training (and validation) loss for the last planned epoch."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == net.epochs_planned:
            net.history.record("train_loss", 1e9)
            if "valid_loss" in net.history[-1]:
                net.history.record("valid_loss", 1e9)


def test_growth_rule_looks_at_the_epoch_whose_weights_are_kept(data):
    X, y, _, _ = data
    params = dict(TINY_CLF, callbacks=[InflateLastEpoch()])
    with pytest.raises(DivergedError, match="to 1e[+]09 in epoch 3"):
        DropoutMLPClassifier(**params).fit(X, y)
    # early stopping keeps an earlier epoch: its loss is the one that counts
    clf = DropoutMLPClassifier(**params, early_stopping=True, patience=5).fit(X, y)
    assert clf.best_epoch_ < 3 and clf.loss_curve_[-1] == 1e9


def test_a_dead_network_warns(data):
    X, y, _, _ = data
    clf = DropoutMLPClassifier(**{**TINY_CLF, "callbacks": [KillHiddenUnits()]})
    with pytest.warns(ConvergenceWarning, match="same output for every training row.*lr="):
        clf.fit(X, y)
    assert len(np.unique(clf.predict_proba(X)[:, 1])) == 1


def test_normal_fits_do_not_warn_or_raise(diboson):
    X, y = diboson
    X = StandardScaler().fit_transform(X[:1000])
    y = y[:1000]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        DropoutMLPClassifier(hidden_layer_sizes=(32, 16), max_epochs=5,
                             random_state=0).fit(X, y)
        # early stopping that ends the training: no epoch-limit warning either
        SoftmaxMLPClassifier(max_epochs=100, early_stopping=True, patience=3,
                             random_state=0).fit(X, y)
        AutoEncoder(max_epochs=5, random_state=0).fit(X)
        det = AutoEncoderOutlierDetector(max_epochs=3, random_state=0).fit(X)
        det.set_params(warm_start=True).fit(X)
        det.partial_fit(X)


# -- 4. extreme finite inputs -------------------------------------------------
@pytest.fixture(scope="module")
def fitted_all(data):
    X, y, y3, _ = data
    return {name: make(**({"max_epochs": 1} if name == "gan" else {})).fit(
        X, _target(name, y, y3)) for name, make in ESTIMATORS.items()}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value, dtype", [(3e38, np.float32), (-3e38, np.float32),
                                          (1e300, np.float64), (-1e300, np.float64)])
def test_huge_finite_inputs_give_no_nan(name, value, dtype, fitted_all):
    est = fitted_all[name]
    X = np.zeros((3, 4), dtype=dtype)
    X[1:] = value
    for method in _methods(est):
        if method in ("sample", "get_feature_names_out", "inverse_transform"):
            continue
        try:
            out = _call(est, method, X)
        except ValueError as exc:
            assert "StandardScaler" in str(exc) and "float32" in str(exc), str(exc)
            continue
        assert np.isfinite(np.asarray(out, dtype=float)).all(), (method, out)
        if method == "predict" and isinstance(est, AutoEncoderOutlierDetector):
            assert (out[1:] == -1).all()


def test_gan_on_huge_rows_raises_instead_of_sampling_nan(data):
    X = data[0].copy()
    X[0] = 1e300  # the spread of the column overflows float64
    with pytest.raises(ValueError, match="too large.*scale the inputs"):
        GANSampler(**TINY_GAN).fit(X)
    gan = GANSampler(**TINY_GAN).fit(data[0] * 1e30)  # large but fine
    assert np.isfinite(gan.sample(5, random_state=0)).all()
    assert np.isfinite(gan.score(np.full((3, 4), 1e300)))


def test_huge_latent_codes_give_no_nan(fitted_all):
    ae = fitted_all["autoencoder"]
    with pytest.raises(ValueError, match="overflows.*Z"):
        ae.inverse_transform(np.full((2, 2), 3e38, dtype=np.float32))


def test_overflow_error_names_the_fix(fitted_all):
    clf = fitted_all["dropout"]
    with pytest.raises(ValueError, match=r"overflows for 2 of the 3 rows.*StandardScaler"):
        clf.predict_proba(np.r_[np.zeros((1, 4)), np.full((2, 4), 3e38)].astype(np.float32))
    with pytest.raises(ValueError, match=r"values up to 1e\+300.*float32.*Scale the inputs"):
        clf.predict_proba(np.full((2, 4), 1e300))
    with pytest.raises(ValueError, match="infinity"):  # true infinities: sklearn's message
        clf.predict_proba(np.full((2, 4), np.inf))


# -- 5. set_output reaches transform ------------------------------------------
@pytest.mark.parametrize("name", ["autoencoder", "detector"])
def test_set_output_applies_to_transform(name, data):
    X, _, _, frame = data
    est = ESTIMATORS[name]().set_output(transform="pandas").fit(frame)
    Z = est.transform(frame)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == list(est.get_feature_names_out())
    pd.testing.assert_index_equal(Z.index, frame.index)
    with sklearn.config_context(transform_output="pandas"):
        assert isinstance(ESTIMATORS[name]().fit(X).transform(X), pd.DataFrame)
    assert isinstance(ESTIMATORS[name]().fit(X).transform(X), np.ndarray)


def test_pipeline_with_pandas_output_predicts_without_warnings(data):
    X, y, _, frame = data
    pipe = make_pipeline(StandardScaler(), AutoEncoder(**TINY_AE),
                         DropoutMLPClassifier(**TINY_CLF)).set_output(transform="pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe.fit(frame, y)
        assert pipe.predict(frame).shape == (len(y),)
        pipe.predict_proba(frame)


# -- 6. NotFittedError before fit ---------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_public_method_before_fit_raises_not_fitted(name, data):
    X = data[0]
    est = ESTIMATORS[name]()
    methods = _methods(est)
    assert methods
    for method in methods:
        with pytest.raises(NotFittedError):
            _call(est, method, X)


# -- 7. a model fitted on a GPU loads and predicts without one -----------------
@pytest.mark.parametrize("name", NAMES)
def test_model_fitted_on_cuda_predicts_after_unpickling_without_gpu(name, data, monkeypatch):
    X, y, y3, _ = data
    est = ESTIMATORS[name]().fit(X, _target(name, y, y3))
    expected = {m: _call(est, m, X) for m in _methods(est)}
    # what a fit with device="cuda" leaves: the parameter and the net's device
    est.device = "cuda"
    est.net_.device = "cuda"
    blob = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skorch: "no CUDA devices, loading on cpu"
        loaded = pickle.loads(blob)
    assert loaded.device == "cuda" and str(loaded.net_.device) == "cpu"
    for method, out in expected.items():
        result = _call(loaded, method, X)
        if isinstance(out, pd.DataFrame):
            pd.testing.assert_frame_equal(result, out)
        else:
            np.testing.assert_array_equal(result, out)


# -- 8. negative event weights and early stopping ------------------------------
class RecordSplitWeights(Callback):
    def on_train_begin(self, net, X=None, **kwargs):
        self.train_ = X.w.cpu().numpy().copy()
        self.valid_ = net.valid_data.w.cpu().numpy().copy()


def test_both_splits_are_normalised_by_one_number(data):
    X, y, _, _ = data
    weight = np.random.RandomState(1).uniform(0.1, 10.0, len(y))
    recorder = RecordSplitWeights()
    clf = DropoutMLPClassifier(**TINY_CLF, early_stopping=True, validation_fraction=0.3,
                               callbacks=[("record", recorder)])
    clf.fit(X, y, sample_weight=weight)
    recorded = dict(clf.net_.callbacks_)["record"]
    mean = weight.mean()
    for split in (recorded.train_, recorded.valid_):
        # each normalised weight times the overall mean is one of the weights
        distance = np.abs(split[:, None] * mean - weight[None, :]).min(axis=1)
        np.testing.assert_array_less(distance, 1e-4 * weight.max())
    assert abs(recorded.valid_.mean() - 1.0) > 1e-3  # not divided by its own mean


@pytest.mark.parametrize("scale", [1e-300, 1e-40, 1e40, 1e300])
def test_the_scale_of_the_weights_changes_nothing(scale, data):
    # the weights went to float32 before being divided by their mean: 1e-40
    # underflowed ("the event weights sum to 0"), 1e300 overflowed (the loss
    # became NaN and the fit raised DivergedError)
    X, y, _, _ = data
    weight = np.random.RandomState(1).uniform(0.1, 10.0, len(y))
    reference = DropoutMLPClassifier(**TINY_CLF).fit(X, y, sample_weight=weight)
    scaled = DropoutMLPClassifier(**TINY_CLF).fit(X, y, sample_weight=weight * scale)
    np.testing.assert_allclose(scaled.predict_proba(X), reference.predict_proba(X),
                               rtol=1e-5, atol=1e-6)
    regressor = DropoutMLPRegressor((8,), max_epochs=2, random_state=0)
    target = X[:, 0]
    np.testing.assert_allclose(
        clone(regressor).fit(X, target, sample_weight=weight * scale).predict(X),
        clone(regressor).fit(X, target, sample_weight=weight).predict(X), rtol=1e-5, atol=1e-6)


def test_validation_split_with_negative_weight_sum_raises(data):
    X, y, _, _ = data
    # find the validation rows of random_state=0: weights that name their row
    label = np.arange(1.0, len(y) + 1)
    clf = DropoutMLPClassifier(**TINY_CLF, early_stopping=True,
                               callbacks=[("record", RecordSplitWeights())])
    clf.fit(X, y, sample_weight=label)
    valid = dict(clf.net_.callbacks_)["record"].valid_ * label.mean()
    rows = np.rint(valid).astype(int) - 1
    np.testing.assert_allclose(label[rows], valid, rtol=1e-5)
    # negative weights there, a positive total: today's fit would divide the
    # validation losses by a negative mean and keep the worst epoch
    weight = np.ones(len(y))
    weight[rows] = -1.0
    assert weight.sum() > 0
    clf.set_params(callbacks=None)
    with pytest.raises(ValueError, match="sample_weight of the validation split of early "
                                         "stopping sums to -12.*validation_fraction"):
        clf.fit(X, y, sample_weight=weight)
    # weights of a positive sum in both splits train
    weight[rows[:2]] = 8.0
    clf.fit(X, y, sample_weight=weight)
    assert np.all(np.isfinite(clf.validation_loss_curve_))


# -- 10. clear errors -----------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_callbacks_that_are_not_callbacks(name, data):
    X, y, y3, _ = data
    with pytest.raises(ValueError, match="`callbacks` entry 0 is 1, not a skorch callback"):
        ESTIMATORS[name](callbacks=[1]).fit(X, _target(name, y, y3))


@pytest.mark.parametrize("class_weight", [{0: np.nan, 1: 1}, {0: -1.0, 1: 1},
                                          {0: np.inf}, {0: "heavy"}])
def test_class_weight_values_are_validated(class_weight, data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=r"class_weight\[0\].*finite positive"):
        DropoutMLPClassifier(**TINY_CLF, class_weight=class_weight).fit(X, y)


@pytest.mark.parametrize("name", NAMES)
def test_sample_weight_of_shape_n_1_is_rejected(name, data):
    X, y, y3, _ = data
    with pytest.raises(ValueError, match=r"sample_weight must be 1-D.*\(120, 1\)"):
        ESTIMATORS[name]().fit(X, _target(name, y, y3), sample_weight=np.ones((120, 1)))


@pytest.mark.parametrize("name", NAMES)
def test_string_column_is_named(name, data):
    X, y, y3, frame = data
    frame = frame.assign(process=np.where(y == 1, "WZ", "ZZ"))
    est = ESTIMATORS[name]()
    with pytest.raises(ValueError, match=r"column\(s\) 'process' \(e.g. '(WZ|ZZ)'"):
        est.fit(frame, _target(name, y, y3))
    est.fit(frame.drop(columns="process"), _target(name, y, y3))
    if hasattr(est, "predict"):
        with pytest.raises(ValueError, match="'process'"):
            est.predict(frame[["a", "b", "c", "process"]])


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_a_column_name_given_twice_is_named(name, data):
    # the check of non-numeric columns took frame['a'] (two columns) for one,
    # and raised "'DataFrame' object has no attribute 'dtype'"
    X, y, y3, frame = data
    twice = frame.set_axis(["a", "a", *frame.columns[2:]], axis=1)
    with pytest.raises(ValueError, match=r"(?s)unique column names.*'a' 2 times"):
        ESTIMATORS[name]().fit(twice, _target(name, y, y3))


def test_snapshot_epochs_beyond_max_epochs(data):
    X = data[0]
    with pytest.raises(ValueError, match=r"snapshot_epochs asks for epoch 50.*max_epochs=2"):
        GANSampler(**TINY_GAN, snapshot_epochs=[1, 50]).fit(X)
    gan = GANSampler(**TINY_GAN, snapshot_epochs=[1, 2]).fit(X)
    assert sorted(gan.snapshots_) == [1, 2]
    # with a warm start the epochs count on
    gan.set_params(warm_start=True, snapshot_epochs=[4]).fit(X)
    assert sorted(gan.snapshots_) == [1, 2, 4]
    with pytest.raises(ValueError, match="ends at epoch 6"):
        gan.set_params(snapshot_epochs=[7]).fit(X)


@pytest.mark.parametrize("name, n_rows", [("dropout", 5), ("softmax", 8), ("autoencoder", 1),
                                          ("detector", 1)])
def test_early_stopping_on_tiny_data_names_the_parameters(name, n_rows, data):
    X, y, y3, _ = data
    target = _target(name, y, y3)
    est = ESTIMATORS[name](early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping=True.*validation_fraction"):
        est.fit(X[:n_rows], None if target is None else target[:n_rows])
