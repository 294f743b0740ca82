"""response_resolution and ResolutionDisplay."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from physml_sklearn import DropoutMLPRegressor  # noqa: E402
from physml_sklearn.metrics import response_resolution  # noqa: E402
from physml_sklearn.plotting import ResolutionDisplay  # noqa: E402


def _measure(n=20_000, bias=1.0, sigma=0.1, seed=0):
    rng = np.random.default_rng(seed)
    e_true = rng.uniform(2, 100, size=n)
    return e_true, bias * e_true * (1 + sigma * rng.normal(size=n))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("bias, sigma", [(1.0, 0.1), (0.95, 0.2), (1.03, 0.05)])
def test_response_and_resolution_of_a_known_measurement(bias, sigma):
    e_true, e_pred = _measure(bias=bias, sigma=sigma)
    table = response_resolution(e_true, e_pred, bins=4)
    assert table.columns.tolist() == [
        "low", "high", "n", "response", "resolution", "resolution_error"
    ]
    assert table["n"].sum() == e_true.size
    np.testing.assert_allclose(table["response"], bias, atol=4 * bias * sigma / np.sqrt(5000))
    # half the 16-84 % width of a Gaussian ratio: bias * sigma (0.9945 sigma exactly)
    np.testing.assert_allclose(table["resolution"], 0.9945 * bias * sigma, rtol=0.06)
    assert table["low"].iloc[0] == e_true.min() and table["high"].iloc[-1] == e_true.max()
    np.testing.assert_array_equal(table["high"].iloc[:-1], table["low"].iloc[1:])


def test_resolution_error_matches_the_spread_over_independent_samples():
    spread = [
        response_resolution(*_measure(4000, seed=s), bins=1)["resolution"].iloc[0]
        for s in range(40)
    ]
    quoted = response_resolution(*_measure(4000, seed=99), bins=1)["resolution_error"].iloc[0]
    assert 0.7 < quoted / np.std(spread) < 1.4


def test_the_same_input_gives_the_same_table():
    e_true, e_pred = _measure(3000)
    a = response_resolution(e_true, e_pred, bins=3)
    b = response_resolution(e_true, e_pred, bins=3)
    assert a.equals(b)


def test_weights_are_weighted_quantiles():
    e_true, e_pred = _measure(6000)
    # an extra copy of the events, badly measured but of weight zero
    rng = np.random.default_rng(3)
    bad = e_true * (0.5 + rng.uniform(size=e_true.size))
    t = np.concatenate([e_true, e_true])
    p = np.concatenate([e_pred, bad])
    w = np.concatenate([np.ones(e_true.size), np.zeros(e_true.size)])
    edges = [2, 30, 60, 100]
    weighted = response_resolution(t, p, bins=edges, sample_weight=w)
    plain = response_resolution(e_true, e_pred, bins=edges)
    np.testing.assert_allclose(weighted["response"], plain["response"], rtol=2e-3)
    np.testing.assert_allclose(weighted["resolution"], plain["resolution"], rtol=2e-2)
    # a weight of 2 counts an event twice
    w2 = np.where(np.arange(e_true.size) % 2 == 0, 2.0, 1.0)
    doubled = np.concatenate([np.arange(e_true.size), np.arange(0, e_true.size, 2)])
    a = response_resolution(e_true, e_pred, bins=edges, sample_weight=w2)
    b = response_resolution(e_true[doubled], e_pred[doubled], bins=edges)
    np.testing.assert_allclose(a["resolution"], b["resolution"], rtol=1e-2)
    # negative weights subtract events: cancelled bad events leave the good ones
    w3 = np.concatenate([np.ones(e_true.size), np.ones(e_true.size), -np.ones(e_true.size)])
    t3, p3 = np.concatenate([t, e_true]), np.concatenate([p, bad])
    cancelled = response_resolution(t3, p3, bins=edges, sample_weight=w3)
    assert np.all(np.isfinite(cancelled.to_numpy()))
    np.testing.assert_allclose(cancelled["resolution"], plain["resolution"], rtol=0.15)


def test_explicit_edges_leave_out_events_outside():
    e_true, e_pred = _measure(5000)
    table = response_resolution(e_true, e_pred, bins=[10, 20, 50])
    inside = (e_true >= 10) & (e_true <= 50)
    assert table["n"].sum() == inside.sum()
    assert table["low"].tolist() == [10, 20] and table["high"].tolist() == [20, 50]


def test_a_bin_with_too_few_events_is_refused():
    e_true, e_pred = _measure(5000)
    with pytest.raises(ValueError, match=r"holds \d+ events .*at least 30.*fewer or wider bins"):
        response_resolution(e_true, e_pred, bins=[2, 2.2, 100])
    with pytest.raises(ValueError, match="at least 30"):
        response_resolution(e_true[:100], e_pred[:100], bins=10)
    # weights concentrated on a few events: too few effective events
    w = np.full(5000, 1e-6)
    w[:10] = 1.0
    with pytest.raises(ValueError, match="effective"):
        response_resolution(e_true, e_pred, bins=1, sample_weight=w)


@pytest.mark.parametrize(
    "y_true, y_pred, kwargs, match",
    [
        ([1.0, -2.0], [1.0, 2.0], {}, "y_true holds 1 values <= 0"),
        ([1.0, 2.0], [1.0], {}, "one prediction per event"),
        ([1.0, 2.0], [1.0, np.nan], {}, "y_pred contains NaN"),
        ([1.0, 2.0], [1.0, 2.0], {"sample_weight": [1.0]}, "one weight per event"),
        ([1.0, 2.0], [1.0, 2.0], {"sample_weight": [-1.0, -1.0]},
         "sample_weight sums to -2"),
        ([1.0, 2.0], [1.0, 2.0], {"sample_weight": [1.0, -1.0], "bins": [0.0, 3.0]},
         "sample_weight sums to 0"),
        ([1.0, 2.0], [1.0, 2.0], {"bins": 0}, "bins=0"),
        ([1.0, 2.0], [1.0, 2.0], {"bins": [3.0, 1.0]}, "strictly increasing"),
        ([1.0, 2.0], [[1.0, 2.0], [1.0, 2.0]], {}, r"y_pred\[:, 0\]"),
    ],
)
def test_bad_input_is_named(y_true, y_pred, kwargs, match):
    with pytest.raises(ValueError, match=match):
        response_resolution(y_true, y_pred, **kwargs)


def test_input_is_not_modified():
    e_true, e_pred = _measure(2000)
    w = np.linspace(0.5, 1.5, 2000)
    copies = [a.copy() for a in (e_true, e_pred, w)]
    response_resolution(e_true, e_pred, bins=3, sample_weight=w)
    for a, c in zip((e_true, e_pred, w), copies):
        np.testing.assert_array_equal(a, c)


def test_display_draws_both_panels_at_the_bin_centres():
    e_true, e_pred = _measure(5000)
    disp = ResolutionDisplay.from_predictions(e_true, e_pred, bins=5, name="raw")
    table = response_resolution(e_true, e_pred, bins=5)
    x, y = (np.asarray(v, dtype=float) for v in disp.response_lines_[0].get_data())
    np.testing.assert_allclose(x, 0.5 * (table["low"] + table["high"]))
    np.testing.assert_allclose(y, table["response"])
    np.testing.assert_allclose(np.asarray(disp.resolution_lines_[0].get_ydata(), float),
                               table["resolution"])
    assert disp.ax_[1].get_xlabel() == "E_true [GeV]"
    assert "response" in disp.ax_[0].get_ylabel()
    assert "resolution" in disp.ax_[1].get_ylabel()
    assert [t.get_text() for t in disp.ax_[0].get_legend().get_texts()] == ["raw"]


def test_several_models_on_one_pair_of_axes():
    e_true, e_pred = _measure(5000)
    rng = np.random.default_rng(1)
    X = np.column_stack([e_pred, rng.normal(size=e_true.size)])
    reg = DropoutMLPRegressor(hidden_layer_sizes=(16,), max_epochs=3, random_state=0)
    reg.fit(X, e_true)
    first = ResolutionDisplay.from_predictions(e_true, e_pred, bins=4, name="raw")
    second = ResolutionDisplay.from_estimator(reg, X, e_true, bins=4, ax=first.ax_,
                                              target_name="E_true [TeV]")
    assert second.figure_ is first.figure_
    assert len(first.ax_[1].containers) == 2
    labels = [t.get_text() for t in first.ax_[0].get_legend().get_texts()]
    assert labels == ["raw", "DropoutMLPRegressor"]
    assert first.ax_[1].get_xlabel() == "E_true [TeV]"
    # one reference line at response 1, not one per model
    assert sum(np.allclose(line.get_ydata(), 1.0) for line in first.ax_[0].get_lines()) == 1


def test_display_refuses_a_wrong_ax_or_table():
    e_true, e_pred = _measure(2000)
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="ax must be two Axes"):
        ResolutionDisplay.from_predictions(e_true, e_pred, bins=2, ax=ax)
    with pytest.raises(ValueError, match="lacks the column"):
        ResolutionDisplay(table=response_resolution(e_true, e_pred, bins=2)[["low"]]).plot()
