"""DropoutMLPRegressor: targets, losses, weights, continued training, persistence."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from physml_sklearn import DropoutMLPRegressor, load, save
from physml_sklearn.datasets import make_calorimeter

FAST = dict(hidden_layer_sizes=(16,), batch_size=64, lr=0.01, max_epochs=20, random_state=0)


def _line(n=800, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = 2.0 * X[:, 0] - X[:, 1] + noise * rng.normal(size=n)
    return X, y


def test_predict_has_the_shape_of_y():
    X, y = _line(300)
    reg = DropoutMLPRegressor(**{**FAST, "max_epochs": 3})
    assert reg.fit(X, y).predict(X).shape == (300,)
    assert reg.fit(X, y[:, None]).predict(X).shape == (300, 1)
    Y = np.column_stack([y, -y, 3 * y])
    assert reg.fit(X, Y).predict(X).shape == (300, 3)
    assert reg.n_outputs_ == 3


def test_multi_output_learns_each_column():
    X, y = _line(1000)
    Y = np.column_stack([y, 100.0 + 50.0 * X[:, 1]])
    reg = DropoutMLPRegressor(**FAST).fit(X, Y)
    pred = reg.predict(X)
    for k in range(2):
        residual = np.std(pred[:, k] - Y[:, k]) / np.std(Y[:, k])
        assert residual < 0.2


def test_target_scaling_trains_energies_in_large_units_at_the_default_lr():
    # energies in MeV: values around 10^4 with a spread of 10^4
    X, y = make_calorimeter(2000, random_state=0, return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y_mev = 1000.0 * y
    params = dict(hidden_layer_sizes=(32,), max_epochs=10, batch_size=64, random_state=0)
    scaled = DropoutMLPRegressor(**params).fit(X, y_mev)
    raw = DropoutMLPRegressor(target_scaling=False, **params).fit(X, y_mev)
    assert scaled.score(X, y_mev) > 0.9
    assert raw.score(X, y_mev) < scaled.score(X, y_mev) - 0.3
    np.testing.assert_allclose(scaled.y_mean_, [y_mev.mean()])
    np.testing.assert_allclose(scaled.y_scale_, [y_mev.std()])
    np.testing.assert_array_equal(raw.y_mean_, [0.0])
    np.testing.assert_array_equal(raw.y_scale_, [1.0])


@pytest.mark.parametrize("unit", [1e200, 1e300, 1e-300, 1e-320])
def test_targets_in_extreme_units_fit_predict_and_score_as_in_plain_ones(unit):
    # the squares of 1e200 overflow and those of 1e-300 underflow: the spread
    # of y was inf (the network learned nothing, predict gave +-inf and score
    # NaN) or 0 (predict gave noise of order 0.01, score 1.0)
    X, y = _line(300)
    plain = DropoutMLPRegressor(**FAST).fit(X, y)
    extreme = DropoutMLPRegressor(**FAST).fit(X, y * unit)
    rtol = 1e-3 if unit < 1e-310 else 1e-6  # 1e-320 is a subnormal: few digits left
    np.testing.assert_allclose(extreme.y_scale_ / unit, plain.y_scale_, rtol=rtol)
    predicted = extreme.predict(X)
    assert np.isfinite(predicted).all()
    np.testing.assert_allclose(predicted / unit, plain.predict(X), rtol=rtol, atol=rtol)
    assert extreme.score(X, y * unit) == pytest.approx(plain.score(X, y), abs=rtol)
    assert plain.score(X, y) > 0.9
    weights = np.linspace(0.5, 2.0, len(y))
    assert extreme.score(X, y * unit, sample_weight=weights) == pytest.approx(
        plain.score(X, y, sample_weight=weights), abs=rtol)


def test_quantile_loss_predicts_the_quantile():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(3000, 1))
    y = X[:, 0] + rng.normal(size=3000)
    for q in (0.16, 0.84):
        reg = DropoutMLPRegressor(loss="quantile", quantile=q, **FAST).fit(X, y)
        below = np.mean(y < reg.predict(X))
        assert abs(below - q) < 0.04, (q, below)


def test_absolute_and_huber_losses_resist_outliers():
    X, y = _line(1000, noise=0.05)
    y_bad = y.copy()
    y_bad[::10] += 50.0  # one event in ten mismeasured far above
    errors = {}
    for loss in ("squared_error", "absolute_error", "huber"):
        reg = DropoutMLPRegressor(loss=loss, **FAST).fit(X, y_bad)
        errors[loss] = np.median(np.abs(reg.predict(X) - y))
    assert errors["absolute_error"] < errors["squared_error"] / 3
    assert errors["huber"] < errors["squared_error"] / 3


def test_huber_delta_is_used():
    X, y = _line(300)
    a = DropoutMLPRegressor(loss="huber", huber_delta=0.1, **{**FAST, "max_epochs": 3})
    b = clone(a).set_params(huber_delta=10.0)
    assert not np.allclose(a.fit(X, y).loss_curve_, b.fit(X, y).loss_curve_)


def test_sample_weight_selects_events_and_negative_weights_are_allowed():
    X, y = _line(1000)
    shifted = y + 3.0
    X2, y2 = np.vstack([X, X]), np.concatenate([y, shifted])
    w = np.concatenate([np.ones(1000), np.zeros(1000)])
    reg = DropoutMLPRegressor(**FAST).fit(X2, y2, sample_weight=w)
    assert abs(np.mean(reg.predict(X) - y)) < 0.3
    # negative weights: the shifted copy weighted +2 and -1 nets +1
    w = np.concatenate([-np.ones(1000), 2 * np.ones(1000)])
    reg = DropoutMLPRegressor(**FAST).fit(X2, y2, sample_weight=w)
    assert np.all(np.isfinite(reg.predict(X)))
    assert np.mean(reg.predict(X) - y) > 3.0


def test_same_random_state_same_result():
    X, y = _line(400)
    a = DropoutMLPRegressor(dropout=0.2, **FAST).fit(X, y).predict(X)
    b = DropoutMLPRegressor(dropout=0.2, **FAST).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_caller_data_is_not_modified():
    X, y = _line(300)
    X32 = X.astype(np.float32)
    X_copy, y_copy = X32.copy(), y.copy()
    w = np.linspace(-0.5, 2, 300)
    w_copy = w.copy()
    DropoutMLPRegressor(**{**FAST, "max_epochs": 2}).fit(X32, y, sample_weight=w)
    np.testing.assert_array_equal(X32, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(w, w_copy)


def test_partial_fit_continues_and_keeps_the_scaling():
    X, y = _line(600)
    reg = DropoutMLPRegressor(**FAST)
    reg.partial_fit(X[:300], 10 * y[:300])
    mean, scale = reg.y_mean_.copy(), reg.y_scale_.copy()
    first = reg.score(X, 10 * y)
    for _ in range(15):
        reg.partial_fit(X[300:], 10 * y[300:])
    # n_iter_ counts the epochs of the last call, as in scikit-learn; the curve all
    assert reg.n_iter_ == 1 and len(reg.loss_curve_) == 16
    np.testing.assert_array_equal(reg.y_mean_, mean)
    np.testing.assert_array_equal(reg.y_scale_, scale)
    assert reg.score(X, 10 * y) > first


def test_a_failed_partial_fit_leaves_the_regressor_as_it_was():
    X, y = _line(300)
    reg = DropoutMLPRegressor(**{**FAST, "max_epochs": 2}).fit(X, y)
    before = reg.predict(X)
    with pytest.raises(ValueError, match="y has 2 target column"):
        reg.partial_fit(X, np.column_stack([y, y]))
    np.testing.assert_array_equal(reg.predict(X), before)
    assert reg.n_iter_ == 2


def test_warm_start_continues_from_the_previous_fit():
    X, y = _line(400)
    reg = DropoutMLPRegressor(warm_start=True, **{**FAST, "max_epochs": 3}).fit(X, y)
    curve = list(reg.loss_curve_)
    reg.fit(X, y)
    assert reg.n_iter_ == 3 and len(reg.loss_curve_) == 6  # n_iter_: the last call's
    assert reg.loss_curve_[:3] == curve
    cold = DropoutMLPRegressor(**{**FAST, "max_epochs": 3}).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == 3


def test_early_stopping_restores_the_best_epoch():
    X, y = _line(400)
    reg = DropoutMLPRegressor(
        early_stopping=True, patience=3, tol=0.0, **{**FAST, "max_epochs": 200}
    ).fit(X, y)
    assert len(reg.validation_loss_curve_) == reg.n_iter_ < 200
    assert reg.best_epoch_ == 1 + int(np.argmin(reg.validation_loss_curve_))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"loss": "poisson"}, "'loss' parameter"),
        ({"quantile": 1.0}, "'quantile' parameter"),
        ({"huber_delta": 0.0}, "'huber_delta' parameter"),
        ({"target_scaling": "yes"}, "'target_scaling' parameter"),
    ],
)
def test_bad_parameters_are_named(params, match):
    X, y = _line(50)
    with pytest.raises(InvalidParameterError, match=match):
        DropoutMLPRegressor(**params).fit(X, y)


def test_unscaled_target_beyond_float32_is_refused():
    X, y = _line(50)
    with pytest.raises(ValueError, match="target_scaling=True"):
        DropoutMLPRegressor(target_scaling=False).fit(X, y * 1e39)


@pytest.mark.parametrize("shape", [(1,), (2,)])
def test_save_and_load_give_the_same_predictions(tmp_path, shape):
    X, y = _line(300)
    Y = y if shape == (1,) else np.column_stack([y, 5 * y + 100])
    reg = DropoutMLPRegressor(**{**FAST, "max_epochs": 3}).fit(X, Y)
    save(reg, tmp_path / "reg.physml")
    loaded = load(tmp_path / "reg.physml")
    assert type(loaded) is DropoutMLPRegressor
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.predict(X).shape == Y.shape


@pytest.mark.parametrize("n_targets, target_scaling", [(1, True), (2, True), (1, False)])
def test_onnx_graph_matches_predict(n_targets, target_scaling):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from physml_sklearn import to_onnx

    X, y = make_calorimeter(1000, random_state=0, return_X_y=True)
    Y = y if n_targets == 1 else np.column_stack([y, 1000.0 * y + 5.0])
    reg = DropoutMLPRegressor(hidden_layer_sizes=(16, 8), dropout=0.2, max_epochs=5,
                              target_scaling=target_scaling, random_state=0)
    model = make_pipeline(StandardScaler(), reg).fit(X, Y)
    session = ort.InferenceSession(to_onnx(model, X[:1]).SerializeToString())
    assert [o.name for o in session.get_outputs()] == ["variable"]
    (out,) = session.run(None, {"X": X.astype(np.float32)})
    expected = model.predict(X).reshape(len(X), -1)
    assert out.shape == (len(X), n_targets)
    # float32 arithmetic: parity to 1e-5 of the spread of each target
    spread = Y.reshape(len(X), -1).std(axis=0)
    assert np.all(np.abs(out - expected) < 1e-5 * spread)
    # the bare regressor, without the scaler
    bare = clone(reg).fit(X, Y)
    session = ort.InferenceSession(to_onnx(bare, X[:1]).SerializeToString())
    (out,) = session.run(None, {"X": X.astype(np.float32)})
    assert np.all(np.abs(out - bare.predict(X).reshape(len(X), -1)) < 1e-5 * spread)
