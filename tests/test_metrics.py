"""Tests for physml_sklearn.metrics."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from scipy.spatial.distance import cdist
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import KFold

from physml_sklearn.metrics import (
    _two_sample,
    classifier_two_sample_auc,
    energy_distance,
    overtraining_test,
    signal_efficiency_table,
)


def _binary_sample(rng, n, shift=0.0):
    """Labels and a sigmoid score; `shift` moves the score of every event."""
    y = rng.integers(0, 2, n)
    score = 1 / (1 + np.exp(-(2 * y - 1 + shift + rng.normal(size=n))))
    return y, score


def _softmax_sample(rng, n, n_classes=3):
    y = rng.integers(0, n_classes, n)
    logits = rng.normal(size=(n, n_classes))
    logits[np.arange(n), y] += 1.5
    proba = np.exp(logits)
    return y, proba / proba.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------
# overtraining_test
# ---------------------------------------------------------------------------


def test_overtraining_same_distribution_has_high_pvalue():
    rng = np.random.default_rng(1)
    y_train, s_train = _binary_sample(rng, 3000)
    y_test, s_test = _binary_sample(rng, 3000)
    result = overtraining_test(y_train, s_train, y_test, s_test)
    assert list(result.columns) == [
        "class",
        "ks_statistic",
        "ks_pvalue",
        "auc_train",
        "auc_test",
    ]
    assert result["class"].tolist() == [0, 1]
    assert (result["ks_pvalue"] > 0.05).all()


def test_overtraining_shifted_distribution_has_tiny_pvalue():
    rng = np.random.default_rng(1)
    y_train, s_train = _binary_sample(rng, 3000)
    y_test, s_test = _binary_sample(rng, 3000, shift=0.5)
    result = overtraining_test(y_train, s_train, y_test, s_test)
    assert (result["ks_pvalue"] < 1e-6).all()
    assert (result["ks_statistic"] > 0.1).all()


@pytest.mark.parametrize("shift, expect_high", [(0.0, True), (0.5, False)])
def test_overtraining_with_weights(shift, expect_high):
    rng = np.random.default_rng(3)
    y_train, s_train = _binary_sample(rng, 3000)
    y_test, s_test = _binary_sample(rng, 3000, shift=shift)
    w_train = rng.uniform(0.5, 1.5, 3000)
    w_test = rng.uniform(0.5, 1.5, 3000)
    result = overtraining_test(
        y_train,
        s_train,
        y_test,
        s_test,
        sample_weight_train=w_train,
        sample_weight_test=w_test,
    )
    if expect_high:
        assert (result["ks_pvalue"] > 0.05).all()
    else:
        assert (result["ks_pvalue"] < 1e-6).all()


def test_overtraining_weights_can_make_samples_agree():
    # The test scores come from N(0.5, 1); weighting them by the density ratio
    # N(0, 1) / N(0.5, 1) turns them into the training distribution N(0, 1).
    rng = np.random.default_rng(3)
    n = 20_000
    y_train, y_test = np.repeat([0, 1], n // 2), np.repeat([0, 1], n // 2)
    s_train = rng.normal(size=n) + y_train
    s_test = rng.normal(loc=0.5, size=n) + y_test
    ratio = np.exp(-0.5 * (s_test - y_test) + 0.125)

    unweighted = overtraining_test(y_train, s_train, y_test, s_test)
    weighted = overtraining_test(
        y_train, s_train, y_test, s_test, sample_weight_test=ratio
    )
    assert (unweighted["ks_pvalue"] < 1e-6).all()
    assert (weighted["ks_pvalue"] > 0.05).all()


def test_overtraining_weights_can_make_samples_differ():
    rng = np.random.default_rng(4)
    y_train, s_train = _binary_sample(rng, 4000)
    y_test, s_test = _binary_sample(rng, 4000)
    tilt = np.exp(3.0 * s_train)  # favours high scores in the training sample
    unweighted = overtraining_test(y_train, s_train, y_test, s_test)
    assert (unweighted["ks_pvalue"] > 0.05).all()
    weighted = overtraining_test(
        y_train, s_train, y_test, s_test, sample_weight_train=tilt
    )
    assert (weighted["ks_pvalue"] < 1e-6).all()


def test_overtraining_unweighted_matches_scipy_ks_2samp():
    rng = np.random.default_rng(5)
    y_train, s_train = _binary_sample(rng, 500)
    y_test, s_test = _binary_sample(rng, 700, shift=0.2)
    result = overtraining_test(y_train, s_train, y_test, s_test)
    for row in result.itertuples():
        expected = scipy.stats.ks_2samp(
            s_train[y_train == row._1], s_test[y_test == row._1], method="asymp"
        )
        assert row.ks_statistic == pytest.approx(expected.statistic, abs=1e-12)
        assert row.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9)


def test_overtraining_unit_weights_equal_no_weights():
    rng = np.random.default_rng(6)
    y_train, s_train = _binary_sample(rng, 400)
    y_test, s_test = _binary_sample(rng, 300)
    plain = overtraining_test(y_train, s_train, y_test, s_test)
    ones = overtraining_test(
        y_train,
        s_train,
        y_test,
        s_test,
        sample_weight_train=np.ones(400),
        sample_weight_test=np.ones(300),
    )
    pd.testing.assert_frame_equal(plain, ones)


def test_overtraining_integer_weights_equal_repeated_events():
    rng = np.random.default_rng(7)
    y_train, s_train = _binary_sample(rng, 300)
    y_test, s_test = _binary_sample(rng, 300)
    counts = rng.integers(1, 4, 300)
    weighted = overtraining_test(
        y_train, s_train, y_test, s_test, sample_weight_train=counts
    )
    repeated = overtraining_test(
        np.repeat(y_train, counts), np.repeat(s_train, counts), y_test, s_test
    )
    np.testing.assert_allclose(
        weighted["ks_statistic"], repeated["ks_statistic"], atol=1e-12
    )
    np.testing.assert_allclose(weighted["auc_train"], repeated["auc_train"])
    # The repeated events count as independent, the weighted ones do not.
    assert (weighted["ks_pvalue"] > repeated["ks_pvalue"]).all()


def test_overtraining_negative_weights_cancel_in_ecdf_but_cost_precision():
    rng = np.random.default_rng(8)
    y_train, s_train = _binary_sample(rng, 1000)
    y_test, s_test = _binary_sample(rng, 1000, shift=0.2)
    base = overtraining_test(y_train, s_train, y_test, s_test)
    # Add to each class a pair of events at one score with weights +1 and -1:
    # the weighted ECDF does not change, the effective sample size shrinks.
    y_extra = np.repeat([0, 1], 100)
    s_extra = np.repeat(rng.uniform(size=100), 2)
    w_extra = np.tile([1.0, -1.0], 100)
    result = overtraining_test(
        np.concatenate([y_train, y_extra]),
        np.concatenate([s_train, s_extra]),
        y_test,
        s_test,
        sample_weight_train=np.concatenate([np.ones(1000), w_extra]),
    )
    np.testing.assert_allclose(result["ks_statistic"], base["ks_statistic"], atol=1e-12)
    np.testing.assert_allclose(result["auc_train"], base["auc_train"], atol=1e-12)
    assert (result["ks_pvalue"] > base["ks_pvalue"]).all()
    assert np.isfinite(result.drop(columns="class").to_numpy()).all()


def test_overtraining_auc_matches_roc_auc_score():
    rng = np.random.default_rng(9)
    y_train, s_train = _binary_sample(rng, 800)
    y_test, s_test = _binary_sample(rng, 600)
    w_train, w_test = rng.uniform(0.1, 2.0, 800), rng.uniform(0.1, 2.0, 600)
    result = overtraining_test(
        y_train,
        s_train,
        y_test,
        s_test,
        sample_weight_train=w_train,
        sample_weight_test=w_test,
    )
    auc_train = roc_auc_score(y_train, s_train, sample_weight=w_train)
    auc_test = roc_auc_score(y_test, s_test, sample_weight=w_test)
    assert result["auc_train"].tolist() == pytest.approx([auc_train, auc_train])
    assert result["auc_test"].tolist() == pytest.approx([auc_test, auc_test])
    assert auc_train > 0.8


def test_overtraining_two_columns_equal_one_column():
    rng = np.random.default_rng(10)
    y_train, s_train = _binary_sample(rng, 500)
    y_test, s_test = _binary_sample(rng, 500)
    one_d = overtraining_test(y_train, s_train, y_test, s_test)
    two_d = overtraining_test(
        y_train,
        np.column_stack([1 - s_train, s_train]),
        y_test,
        np.column_stack([1 - s_test, s_test]),
    )
    pd.testing.assert_frame_equal(one_d, two_d)


def test_overtraining_multiclass_one_row_per_class():
    rng = np.random.default_rng(11)
    names = np.array(["WZ", "ZZ", "ttZ"])
    y_train, p_train = _softmax_sample(rng, 1500)
    y_test, p_test = _softmax_sample(rng, 1500)
    result = overtraining_test(names[y_train], p_train, names[y_test], p_test)
    assert result.shape == (3, 5)
    assert result["class"].tolist() == ["WZ", "ZZ", "ttZ"]
    for k in range(3):
        assert result["auc_test"][k] == pytest.approx(
            roc_auc_score(y_test == k, p_test[:, k])
        )
        assert result["auc_train"][k] == pytest.approx(
            roc_auc_score(y_train == k, p_train[:, k])
        )
        expected = scipy.stats.ks_2samp(
            p_train[y_train == k, k], p_test[y_test == k, k], method="asymp"
        )
        assert result["ks_pvalue"][k] == pytest.approx(expected.pvalue, rel=1e-9)
    assert (result["ks_pvalue"] > 0.05).all()


def test_overtraining_accepts_lists_and_series():
    y = [0, 1, 0, 1, 0, 1, 0, 1]
    score = [0.1, 0.9, 0.2, 0.8, 0.4, 0.6, 0.3, 0.7]
    from_lists = overtraining_test(y, score, y, score)
    from_series = overtraining_test(pd.Series(y), pd.Series(score), y, score)
    pd.testing.assert_frame_equal(from_lists, from_series)
    assert from_lists["ks_statistic"].tolist() == [0.0, 0.0]
    assert from_lists["auc_test"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"score_train": np.zeros(9)}, r"score_train=9"),
        ({"y_test": [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]}, r"labels \[2\] that are not in"),
        ({"y_test": np.zeros(10, int)}, r"no events of the classes \[1\]"),
        ({"y_train": np.zeros(10, int)}, r"single class"),
        ({"y_test": np.zeros((10, 2))}, r"y_test must be 1-D"),
        ({"y_train": np.linspace(0, 1, 10)}, r"must hold class labels"),
        ({"y_train": ["a", "b"] * 5}, r"same kind"),
        ({"score_train": np.full(10, np.nan)}, r"score_train contains NaN"),
        ({"y_train": [0.0, 1.0] * 4 + [np.nan, 1.0]}, r"y_train contains NaN"),
        ({"score_test": np.zeros((10, 3))}, r"score_test has 3 columns but there are"),
        ({"sample_weight_train": -np.ones(10)}, r"sample_weight_train .* sum to -5"),
        ({"sample_weight_test": np.ones(3)}, r"sample_weight_test=3"),
    ],
)
def test_overtraining_bad_inputs(kwargs, match):
    args = {
        "y_train": np.tile([0, 1], 5),
        "score_train": np.linspace(0, 1, 10),
        "y_test": np.tile([0, 1], 5),
        "score_test": np.linspace(0, 1, 10),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        overtraining_test(**args)


def test_overtraining_one_dimensional_score_needs_binary_problem():
    y = np.tile([0, 1, 2], 4)
    with pytest.raises(ValueError, match=r"score_train is 1-D.* 3 classes"):
        overtraining_test(y, np.zeros(12), y, np.zeros((12, 3)))


# ---------------------------------------------------------------------------
# signal_efficiency_table
# ---------------------------------------------------------------------------


def test_signal_efficiency_table_by_hand():
    # Signal scores 0.55, 0.6, 0.7, 0.8; background 0.1, 0.2, 0.3 and 0.55,
    # tied with a signal event. Cutting just above 0.55 keeps 3/4 of the signal
    # and no background; the cut at 0.55 keeps all the signal and the tied
    # background event. Between the two the curve is a straight line.
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    score = np.array([0.1, 0.2, 0.3, 0.55, 0.55, 0.6, 0.7, 0.8])
    # In the test sample the tied background event weighs 2 of 5.
    weights = np.array([1, 1, 1, 2, 1, 1, 1, 1])
    table = signal_efficiency_table(
        y,
        score,
        y,
        score,
        background_efficiencies=[0.0, 0.1, 0.25],
        sample_weight_test=weights,
    )
    assert list(table.columns) == [
        "background_efficiency",
        "signal_efficiency_train",
        "signal_efficiency_test",
        "background_events_train",
        "background_events_test",
    ]
    assert table["background_efficiency"].tolist() == [0.0, 0.1, 0.25]
    # the statistics behind each efficiency: at 0 no background event passes;
    # at 0.1 the cut is read between 0.6 and 0.55, whose tied background event
    # it may keep; 0.25 of the train sample falls on the cut at 0.55 exactly
    assert table["background_events_train"].tolist() == [0, 1, 1]
    assert table["background_events_test"].tolist() == [0, 1, 1]
    # train: from (0, 3/4) to (1/4, 1)
    assert table["signal_efficiency_train"].tolist() == pytest.approx(
        [0.75, 0.75 + 0.25 * 0.1 / 0.25, 1.0]
    )
    # test: from (0, 3/4) to (2/5, 1)
    assert table["signal_efficiency_test"].tolist() == pytest.approx(
        [0.75, 0.75 + 0.25 * 0.1 / 0.4, 0.75 + 0.25 * 0.25 / 0.4]
    )


def test_signal_efficiency_table_monotone_and_matches_interpolated_roc():
    rng = np.random.default_rng(12)
    y_train, s_train = _binary_sample(rng, 2000)
    y_test, s_test = _binary_sample(rng, 2000)
    w_test = rng.uniform(0.5, 1.5, 2000)
    efficiencies = np.linspace(0, 1, 21)
    table = signal_efficiency_table(
        y_train,
        s_train,
        y_test,
        s_test,
        background_efficiencies=efficiencies,
        sample_weight_test=w_test,
    )
    assert len(table) == 21
    for column in ("signal_efficiency_train", "signal_efficiency_test"):
        assert table[column].is_monotonic_increasing
        assert table[column].iloc[-1] == pytest.approx(1.0)
    # No ties between scores: the table is the linearly interpolated ROC curve.
    fpr, tpr, _ = roc_curve(y_test, s_test, sample_weight=w_test)
    np.testing.assert_allclose(
        table["signal_efficiency_test"], np.interp(efficiencies, fpr, tpr)
    )
    default = signal_efficiency_table(y_train, s_train, y_test, s_test)
    assert default["background_efficiency"].tolist() == [0.01, 0.1, 0.3]


def test_signal_efficiency_table_counts_the_background_behind_each_efficiency():
    rng = np.random.default_rng(14)
    y = np.repeat([0, 1], [400, 600])
    score = y + rng.normal(size=1000)  # no ties
    weight = rng.uniform(0.5, 1.5, 1000)
    efficiencies = [0.001, 0.01, 0.0125, 0.3, 1.0]
    table = signal_efficiency_table(y, score, y, score, background_efficiencies=efficiencies,
                                    sample_weight_test=weight)
    # unweighted: b * 400 events, rounded up where the cut is interpolated
    assert table["background_events_train"].tolist() == [1, 4, 5, 120, 400]
    # weighted: the fewest highest-scoring background events whose weight
    # reaches b of the total
    ordered = weight[y == 0][np.argsort(score[y == 0])[::-1]]
    reached = np.cumsum(ordered) / ordered.sum()
    for b, n in zip(efficiencies, table["background_events_test"]):
        assert reached[n - 1] >= b - 1e-12
        assert n == 1 or reached[n - 2] < b


def test_signal_efficiency_table_pos_label_and_two_columns():
    rng = np.random.default_rng(13)
    names = np.array(["background", "signal"])
    y_train, s_train = _binary_sample(rng, 1000)
    y_test, s_test = _binary_sample(rng, 1000)
    one_d = signal_efficiency_table(names[y_train], s_train, names[y_test], s_test)
    proba_train = np.column_stack([1 - s_train, s_train])
    proba_test = np.column_stack([1 - s_test, s_test])
    two_d = signal_efficiency_table(
        names[y_train], proba_train, names[y_test], proba_test
    )
    pd.testing.assert_frame_equal(one_d, two_d)
    as_signal = signal_efficiency_table(
        names[y_train], 1 - s_train, names[y_test], 1 - s_test, pos_label="background"
    )
    from_column = signal_efficiency_table(
        names[y_train], proba_train, names[y_test], proba_test, pos_label="background"
    )
    pd.testing.assert_frame_equal(as_signal, from_column)
    assert not np.allclose(
        as_signal["signal_efficiency_test"], one_d["signal_efficiency_test"]
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pos_label": 3}, r"pos_label=3 is not one of the classes"),
        ({"background_efficiencies": [0.1, 1.5]}, r"background_efficiencies must"),
        ({"background_efficiencies": []}, r"background_efficiencies must"),
        ({"score_test": np.zeros((12, 3))}, r"score_test has 3 columns"),
    ],
)
def test_signal_efficiency_table_bad_inputs(kwargs, match):
    args = {
        "y_train": np.tile([0, 1], 6),
        "score_train": np.linspace(0, 1, 12),
        "y_test": np.tile([0, 1], 6),
        "score_test": np.linspace(0, 1, 12),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        signal_efficiency_table(**args)


def test_signal_efficiency_table_is_binary_only():
    rng = np.random.default_rng(14)
    y, proba = _softmax_sample(rng, 300)
    with pytest.raises(ValueError, match=r"needs a binary problem.*3 classes"):
        signal_efficiency_table(y, proba, y, proba)


# ---------------------------------------------------------------------------
# energy_distance
# ---------------------------------------------------------------------------


def _brute_force_energy(X, Y):
    return (
        2 * cdist(X, Y).mean() - cdist(X, X).mean() - cdist(Y, Y).mean()
    )


def test_energy_distance_zero_for_identical_samples():
    rng = np.random.default_rng(20)
    X = rng.normal(size=(300, 3))
    assert energy_distance(X, X) == 0.0
    assert energy_distance(X, X.copy()[rng.permutation(300)]) == 0.0
    assert energy_distance(X, np.vstack([X, X])) == 0.0  # same distribution


def test_energy_distance_positive_growing_and_symmetric():
    rng = np.random.default_rng(21)
    X = rng.normal(size=(400, 2))
    Y = rng.normal(size=(300, 2))
    distances = [energy_distance(X, Y + shift) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert distances[0] > 0
    assert np.all(np.diff(distances) > 0)
    assert energy_distance(X, Y) == energy_distance(Y, X)
    Z = rng.normal(size=(400, 2))
    assert energy_distance(X, Z) == energy_distance(Z, X)


def test_energy_distance_matches_brute_force_and_chunks(monkeypatch):
    rng = np.random.default_rng(22)
    X = rng.normal(size=(97, 4))
    Y = rng.normal(loc=0.3, size=(61, 4))
    expected = _brute_force_energy(X, Y)
    assert energy_distance(X, Y) == pytest.approx(expected, rel=1e-12)
    monkeypatch.setattr(_two_sample, "_CHUNK_DISTANCES", 50)
    assert energy_distance(X, Y) == pytest.approx(expected, rel=1e-12)


def test_energy_distance_matches_scipy_in_one_dimension():
    # scipy's 1-D energy distance is the square root of the V-statistic.
    rng = np.random.default_rng(23)
    x = rng.normal(size=250)
    y = rng.exponential(size=180)
    ours = energy_distance(x, y)
    assert ours == pytest.approx(scipy.stats.energy_distance(x, y) ** 2, rel=1e-10)
    assert energy_distance(list(x), y.reshape(-1, 1)) == pytest.approx(ours)


def test_energy_distance_accepts_dataframes():
    rng = np.random.default_rng(24)
    X = pd.DataFrame(rng.normal(size=(50, 2)), columns=["m_ll", "met"])
    Y = pd.DataFrame(rng.normal(size=(40, 2)), columns=["m_ll", "met"])
    assert energy_distance(X, Y) == pytest.approx(
        energy_distance(X.to_numpy(), Y.to_numpy())
    )
    with pytest.raises(ValueError, match=r"different columns"):
        energy_distance(X, Y[["met", "m_ll"]])


def test_energy_distance_large_samples():
    rng = np.random.default_rng(25)
    X = rng.normal(size=(5000, 3))
    Y = rng.normal(size=(5000, 3))
    distance = energy_distance(X, Y)
    assert 0 < distance < 0.01
    assert energy_distance(X, Y + 0.2) > 10 * distance


@pytest.mark.parametrize(
    "X, Y, match",
    [
        (np.zeros((5, 2)), np.zeros((5, 3)), r"X has 2 features but Y has 3"),
        (np.zeros(5), np.zeros((5, 2)), r"X has 1 features but Y has 2"),
        (np.array([0.0, np.nan]), np.zeros(3), r"X contains NaN"),
        (np.zeros(3), np.zeros((0, 1)), r"0 sample"),
    ],
)
def test_energy_distance_bad_inputs(X, Y, match):
    with pytest.raises(ValueError, match=match):
        energy_distance(X, Y)


# ---------------------------------------------------------------------------
# classifier_two_sample_auc
# ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _single_openmp_thread(request):
    # The samples here are small: on a busy machine the OpenMP threads of
    # HistGradientBoostingClassifier only add waiting time.
    from threadpoolctl import threadpool_limits

    if "classifier_two_sample" not in request.node.name:
        yield
        return
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def test_classifier_two_sample_auc_same_and_separated():
    rng = np.random.default_rng(30)
    X = rng.normal(size=(600, 2))
    same = classifier_two_sample_auc(X, rng.normal(size=(500, 2)), random_state=0)
    separated = classifier_two_sample_auc(
        X, rng.normal(loc=4.0, size=(500, 2)), random_state=0
    )
    assert isinstance(same, float)
    assert abs(same - 0.5) < 0.1
    assert separated > 0.95


@pytest.mark.parametrize("n_rows", [4, 10, 19])
@pytest.mark.parametrize("weighted", [False, True])
def test_classifier_two_sample_auc_separates_small_samples(n_rows, weighted):
    # the default trees keep 20 rows in a leaf: on training folds of fewer
    # than 40 rows they could not split, and samples 10 sigma apart scored 0.5
    rng = np.random.default_rng(n_rows)
    X, Y = rng.normal(size=(n_rows, 2)), rng.normal(loc=10.0, size=(n_rows, 2))
    weights = {"sample_weight_X": np.full(n_rows, 2.0)} if weighted else {}
    for cv in (2, 3, KFold(2, shuffle=True, random_state=0)):
        assert classifier_two_sample_auc(X, Y, cv=cv, random_state=0, **weights) > 0.9


def test_classifier_two_sample_auc_default_trees_unchanged_on_large_samples():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(34)
    X, Y = rng.normal(size=(60, 2)), rng.normal(loc=0.5, size=(60, 2))
    explicit = HistGradientBoostingClassifier(random_state=0)
    assert classifier_two_sample_auc(X, Y, cv=3, random_state=0) == (
        classifier_two_sample_auc(X, Y, estimator=explicit, cv=3, random_state=0))


def test_classifier_two_sample_auc_sees_shape_a_linear_model_misses():
    # A ring and a blob with the same centre: no half-space separates them.
    rng = np.random.default_rng(31)
    angle = rng.uniform(0, 2 * np.pi, 600)
    ring = np.column_stack([np.cos(angle), np.sin(angle)]) * 2
    ring += rng.normal(scale=0.1, size=ring.shape)
    blob = rng.normal(scale=0.7, size=(600, 2))
    linear = classifier_two_sample_auc(
        ring, blob, estimator=LogisticRegression(), random_state=0
    )
    default = classifier_two_sample_auc(ring, blob, random_state=0)
    assert abs(linear - 0.5) < 0.1
    assert default > 0.95


def test_classifier_two_sample_auc_reproducible_and_clones():
    rng = np.random.default_rng(32)
    X, Y = rng.normal(size=(200, 3)), rng.normal(loc=0.3, size=(200, 3))
    first = classifier_two_sample_auc(X, Y, random_state=7)
    assert first == classifier_two_sample_auc(X, Y, random_state=7)
    estimator = LogisticRegression()
    classifier_two_sample_auc(X, Y, estimator=estimator, cv=3, random_state=0)
    assert not hasattr(estimator, "coef_")


def test_classifier_two_sample_auc_accepts_a_splitter():
    rng = np.random.default_rng(33)
    X, Y = rng.normal(size=(100, 2)), rng.normal(loc=5.0, size=(100, 2))
    splitter = KFold(3, shuffle=True, random_state=0)
    auc = classifier_two_sample_auc(X, Y, estimator=LogisticRegression(), cv=splitter)
    assert auc > 0.95


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cv": 1}, r"cv must be an int of at least 2"),
        ({"cv": "five"}, r"cv must be an int .* or a cross-validation splitter"),
        ({"cv": 50}, r"cv=50 folds need at least 50 rows"),
        ({"estimator": LinearRegression()}, r"estimator must be a classifier"),
        ({"Y": np.zeros((30, 2))}, r"X has 3 features but Y has 2"),
        ({"Y": np.full((30, 3), np.inf)}, r"Y contains infinity"),
    ],
)
def test_classifier_two_sample_auc_bad_inputs(kwargs, match):
    args = {"X": np.zeros((30, 3)), "Y": np.ones((30, 3))}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        classifier_two_sample_auc(**args)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_weighted_figures_do_not_depend_on_the_unit_of_the_weights(scale):
    # (sum w)**2 / sum w**2 and sqrt(sum w**2) / sum w overflowed for weights
    # of 1e300 (OverflowError, inf) and underflowed for 1e-300 (a division by
    # zero, "0 pass and 0 fail the cut")
    from physml_sklearn.metrics import (
        effective_sample_size,
        mass_sculpting,
        response_resolution,
    )

    rng = np.random.default_rng(0)
    weight = rng.uniform(0.5, 2.0, 400)
    y = np.repeat([0, 1], 200)
    score, mass = rng.random(400), rng.uniform(30, 300, 400)
    y_true, y_pred = rng.uniform(10, 100, 400), rng.uniform(10, 100, 400)
    test_score = rng.random(400)
    with np.errstate(all="raise"):
        sculpting = mass_sculpting(y, score, mass, bins=5, sample_weight=weight * scale)
        resolution = response_resolution(y_true, y_pred, bins=3, sample_weight=weight * scale)
        overtraining = overtraining_test(y, score, y, test_score,
                                         sample_weight_train=weight * scale,
                                         sample_weight_test=weight * scale)
        n_eff = effective_sample_size(weight * scale)
    expected = mass_sculpting(y, score, mass, bins=5, sample_weight=weight)
    for key, value in expected.items():
        assert sculpting[key] == pytest.approx(value, rel=1e-9), key
    pd.testing.assert_frame_equal(
        resolution, response_resolution(y_true, y_pred, bins=3, sample_weight=weight))
    pd.testing.assert_frame_equal(
        overtraining, overtraining_test(y, score, y, test_score, sample_weight_train=weight,
                                        sample_weight_test=weight))
    assert n_eff == pytest.approx(effective_sample_size(weight), rel=1e-12)
