"""ClassifierReweighter, make_reweighting, effective_sample_size, weighted C2ST."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from physml_sklearn import ClassifierReweighter, DropoutMLPClassifier, load, save
from physml_sklearn.datasets import make_reweighting
from physml_sklearn.metrics import classifier_two_sample_auc, effective_sample_size


def quadratic():
    """A classifier whose log-odds can be the log-ratio of two Gaussians."""
    return make_pipeline(PolynomialFeatures(2), StandardScaler(), LogisticRegression())


def tiny_network(**kwargs):
    return make_pipeline(
        StandardScaler(),
        DropoutMLPClassifier(hidden_layer_sizes=(8,), dropout=0.0, max_epochs=3,
                             batch_size=128, random_state=0, **kwargs),
    )


@pytest.fixture(scope="module")
def data():
    return make_reweighting(1500, n_features=3, random_state=0)


def _rmse(weights, truth):
    return float(np.sqrt(np.mean((weights / weights.mean() - truth / truth.mean()) ** 2)))


# -- the weights -----------------------------------------------------------------
def test_weights_follow_the_true_ratio(data):
    test = make_reweighting(1500, n_features=3, random_state=1)
    truth = data.true_ratio(test.original)
    rw = ClassifierReweighter(quadratic(), random_state=0).fit(data.original, data.target)
    weights = rw.predict_weights(test.original)
    assert _rmse(weights, truth) < 0.5 * _rmse(np.ones_like(truth), truth)
    before = classifier_two_sample_auc(test.original, test.target, cv=3, random_state=0)
    after = classifier_two_sample_auc(test.original, test.target,
                                      sample_weight_X=weights, cv=3, random_state=0)
    assert after < before - 0.05


def test_default_network_learns_the_ratio(data):
    rw = ClassifierReweighter(random_state=0).fit(data.original, data.target)
    net = rw.estimator_.estimators_[0].steps[-1][1]
    assert isinstance(net, DropoutMLPClassifier) and net.early_stopping
    truth = data.true_ratio(data.original)
    assert _rmse(rw.original_weights_, truth) < 0.9 * _rmse(np.ones_like(truth), truth)


def test_same_random_state_same_weights(data):
    a = ClassifierReweighter(random_state=3).fit(data.original, data.target)
    b = ClassifierReweighter(random_state=3).fit(data.original, data.target)
    np.testing.assert_array_equal(a.original_weights_, b.original_weights_)
    np.testing.assert_array_equal(a.predict_weights(data.target),
                                  b.predict_weights(data.target))


def test_normalize_to_the_target_weight_sum(data):
    target_weight = np.full(len(data.target), 0.5)
    rw = ClassifierReweighter(quadratic(), random_state=0).fit(
        data.original, data.target, target_weight=target_weight)
    assert rw.target_weight_sum_ == pytest.approx(0.5 * len(data.target))
    assert rw.original_weights_.sum() == pytest.approx(rw.target_weight_sum_)
    # on any rows, whatever their number and weights
    new = rw.predict_weights(data.original[:100], np.full(100, 3.0))
    assert new.sum() == pytest.approx(rw.target_weight_sum_)


def test_normalize_false_returns_weight_times_ratio(data):
    rw = ClassifierReweighter(quadratic(), normalize=False, clip=None,
                              random_state=0).fit(data.original, data.target)
    p = rw.estimator_.predict_proba(data.target)[:, 1]
    np.testing.assert_allclose(rw.predict_weights(data.target, np.full(1500, 2.0)),
                               2.0 * p / (1 - p))


def test_clip_bounds_the_ratio(data):
    far = np.vstack([data.target, data.target[:200] * 3 + 4])
    rw = ClassifierReweighter(quadratic(), normalize=False, clip=5.0,
                              random_state=0).fit(data.original, far)
    weights = rw.predict_weights(np.vstack([data.original, far]))
    assert weights.max() == pytest.approx(5.0)
    assert weights.min() == pytest.approx(0.2)
    unclipped = ClassifierReweighter(quadratic(), normalize=False, clip=None,
                                     random_state=0).fit(data.original, far)
    assert unclipped.predict_weights(far).max() > 5.0


def test_classes_are_balanced_by_weight_sums(data):
    """Scaling one sample's weights changes nothing: only the shapes count."""
    a = ClassifierReweighter(quadratic(), normalize=False, random_state=0).fit(
        data.original, data.target)
    b = ClassifierReweighter(quadratic(), normalize=False, random_state=0).fit(
        data.original, data.target, original_weight=np.full(1500, 100.0))
    np.testing.assert_allclose(b.original_weights_, 100.0 * a.original_weights_, rtol=1e-6)


def test_unequal_sizes_without_sample_weight():
    """A classifier without sample_weight: p / (1 - p) corrected by the sizes."""
    rng = np.random.default_rng(0)
    original, target = rng.normal(size=(900, 2)), rng.normal(size=(300, 2))
    rw = ClassifierReweighter(KNeighborsClassifier(50), normalize=False,
                              random_state=0).fit(original, target)
    assert np.median(rw.original_weights_) == pytest.approx(1.0, abs=0.25)
    with pytest.raises(ValueError, match="KNeighborsClassifier.fit takes no sample_weight"):
        ClassifierReweighter(KNeighborsClassifier()).fit(original, target,
                                                        target_weight=np.ones(300))


def test_weighted_samples_with_a_voting_classifier(data):
    """A soft VotingClassifier whose members take sample_weight learns from weights."""
    from sklearn.ensemble import VotingClassifier

    def voting(*members):
        return VotingClassifier([(f"m{k}", m) for k, m in enumerate(members)], voting="soft")

    n = data.original.shape[0]
    weight = np.random.default_rng(1).uniform(0.2, 2.0, size=n)
    got = ClassifierReweighter(voting(LogisticRegression()), normalize=False, random_state=0)
    alone = ClassifierReweighter(LogisticRegression(), normalize=False, random_state=0)
    got.fit(data.original, data.target, original_weight=weight)
    alone.fit(data.original, data.target, original_weight=weight)
    np.testing.assert_allclose(got.original_weights_, alone.original_weights_, rtol=1e-8)
    with pytest.raises(ValueError,
                       match="KNeighborsClassifier.fit takes no sample_weight directly"):
        ClassifierReweighter(voting(LogisticRegression(), KNeighborsClassifier())).fit(
            data.original, data.target, original_weight=weight)
    # the weighted two-sample test takes it too
    X, Y = data.original, data.target
    auc = classifier_two_sample_auc(X, Y, sample_weight_X=weight, cv=3, random_state=0,
                                    estimator=voting(LogisticRegression()))
    expected = classifier_two_sample_auc(X, Y, sample_weight_X=weight, cv=3, random_state=0,
                                         estimator=LogisticRegression())
    assert auc == pytest.approx(expected, abs=1e-12)


# -- folds -----------------------------------------------------------------------
def test_original_weights_are_out_of_fold(data):
    rw = ClassifierReweighter(quadratic(), normalize=False, clip=None,
                              random_state=0).fit(data.original, data.target)
    folds = rw.estimator_.folds_[:1500]
    expected = np.empty(1500)
    for k, model in enumerate(rw.estimator_.estimators_):
        rows = folds == k
        p = model.predict_proba(data.original[rows])[:, 1]
        expected[rows] = p / (1 - p)
    np.testing.assert_allclose(rw.original_weights_, expected)
    # predict_weights averages the fold models, which saw these rows
    assert not np.allclose(rw.predict_weights(data.original), rw.original_weights_)


def test_fold_column_weights_every_row_out_of_fold(data):
    original = pd.DataFrame(data.original, columns=data.feature_names)
    target = pd.DataFrame(data.target, columns=data.feature_names)
    original.insert(0, "event", np.arange(1500))
    target.insert(0, "event", np.arange(1500, 3000))
    rw = ClassifierReweighter(quadratic(), fold_column="event", n_folds=3,
                              random_state=0).fit(original, target)
    np.testing.assert_allclose(rw.predict_weights(original), rw.original_weights_)
    assert list(rw.feature_names_in_) == ["event"] + data.feature_names
    assert [m.n_features_in_ for m in rw.estimator_.estimators_] == [3, 3, 3]
    # the fold rule: event n weighted by the model that did not see fold n % 3
    model = rw.estimator_.estimators_[1]
    p = model.predict_proba(original.iloc[[1, 4]].drop(columns="event"))[:, 1]
    np.testing.assert_allclose(rw.predict_weights(original.iloc[[1, 4]]),
                               rw.target_weight_sum_ * (p / (1 - p)) / (p / (1 - p)).sum())


# -- negative weights and the bootstrap ------------------------------------------
def test_negative_weights_in_both_samples(data):
    rng = np.random.default_rng(1)
    w_original = np.where(rng.random(1500) < 0.1, -0.5, 1.0)
    w_target = np.where(rng.random(1500) < 0.2, -1.0, 1.5)
    rw = ClassifierReweighter(quadratic(), random_state=0).fit(
        data.original, data.target, w_original, w_target)
    weights = rw.original_weights_
    assert np.all(np.isfinite(weights))
    assert np.all(np.sign(weights) == np.sign(w_original))
    assert weights.sum() == pytest.approx(w_target.sum())


def test_bootstrap_std(data):
    rw = ClassifierReweighter(quadratic(), n_bootstrap=4, random_state=0).fit(
        data.original, data.target)
    assert len(rw.bootstrap_estimators_) == 4
    weights, std = rw.predict_weights(data.target, return_std=True)
    np.testing.assert_array_equal(weights, rw.predict_weights(data.target))
    assert std.shape == (1500,) and np.all(std > 0) and np.all(np.isfinite(std))
    assert np.median(std / weights) < 0.5
    assert rw.original_weights_std_.shape == (1500,)
    # the spread shrinks with more rows to learn from
    big = make_reweighting(12000, n_features=3, random_state=2)
    rw_big = ClassifierReweighter(quadratic(), n_bootstrap=4, random_state=0).fit(
        big.original, big.target)
    weights_big, std_big = rw_big.predict_weights(data.target, return_std=True)
    assert np.median(std_big / weights_big) < 0.7 * np.median(std / weights)


def test_return_std_needs_bootstrap(data):
    rw = ClassifierReweighter(quadratic()).fit(data.original, data.target)
    with pytest.raises(ValueError, match="n_bootstrap=0.*n_bootstrap=2 or more"):
        rw.predict_weights(data.original, return_std=True)
    assert not hasattr(rw, "original_weights_std_")


# -- inputs and errors -----------------------------------------------------------
def test_bad_inputs_name_the_parameter(data):
    rw = ClassifierReweighter(quadratic())
    with pytest.raises(ValueError, match="original_weight has 3 entries but original has 1500"):
        rw.fit(data.original, data.target, original_weight=[1, 2, 3])
    with pytest.raises(ValueError, match="target_weight sums to -1500"):
        rw.fit(data.original, data.target, target_weight=-np.ones(1500))
    with pytest.raises(ValueError, match="target must be 2-D"):
        rw.fit(data.original, data.target[:, 0])
    with pytest.raises(ValueError, match="target has 2 columns but original has 3"):
        rw.fit(data.original, data.target[:, :2])
    with pytest.raises(ValueError, match=r"target has 1 row\(s\), but n_folds=2 needs"):
        rw.fit(data.original, data.target[:1])
    with pytest.raises(ValueError, match=r"original has 2 row\(s\), but n_folds=3 needs"):
        clone(rw).set_params(n_folds=3).fit(data.original[:2], data.target)
    with pytest.raises(ValueError, match="different columns"):
        rw.fit(pd.DataFrame(data.original, columns=["a", "b", "c"]),
               pd.DataFrame(data.target, columns=["a", "c", "b"]))
    with pytest.raises(ValueError, match="both be DataFrames or both be arrays"):
        rw.fit(pd.DataFrame(data.original), data.target)
    # one column of a DataFrame, as a hep_ml user may pass it: it raised an
    # AttributeError from pandas
    pt, pt_target = pd.Series(data.original[:, 0], name="pt"), pd.Series(data.target[:, 0])
    with pytest.raises(ValueError, match=r"original is a pandas Series.*original.to_frame\(\)"):
        rw.fit(pt, pt_target.to_frame("pt"))
    with pytest.raises(ValueError, match=r"target is a pandas Series.*target.to_frame\(\)"):
        rw.fit(pt.to_frame(), pt_target)
    fitted = clone(rw).fit(pt.to_frame(), pt_target.to_frame("pt"))
    with pytest.raises(ValueError, match="original is a pandas Series"):
        fitted.predict_weights(pt)
    with pytest.raises(ValueError, match="clip"):
        ClassifierReweighter(clip=0.5).fit(data.original, data.target)
    with pytest.raises(ValueError, match="requires y to be passed"):
        rw.fit(data.original, None)
    with pytest.raises(NotFittedError):
        rw.predict_weights(data.original)
    holes = np.where(data.original > 2, np.nan, data.original)
    first = int(np.flatnonzero(np.isnan(holes).any(axis=1))[0])
    with pytest.raises(ValueError, match=rf"original holds NaN or infinite values in "
                                         rf"\d+ row\(s\), the first at row {first} "
                                         r".*the estimator cannot use.*accepts NaN"):
        rw.fit(holes, data.target)
    target = data.target.copy()
    target[7, 1] = -np.inf
    with pytest.raises(ValueError, match=r"target holds NaN or infinite values in 1 row\(s\), "
                                         r"the first at row 7 .*the default network"):
        ClassifierReweighter().fit(data.original, target)


def test_failed_fit_leaves_the_reweighter_and_the_data_alone(data):
    original, target = data.original.copy(), data.target.copy()
    w = np.ones(1500)
    rw = ClassifierReweighter(quadratic(), random_state=0).fit(original, target, w)
    before = rw.original_weights_.copy()
    with pytest.raises(ValueError):
        rw.fit(original, target[:, :2])
    np.testing.assert_array_equal(rw.original_weights_, before)
    np.testing.assert_array_equal(original, data.original)
    np.testing.assert_array_equal(target, data.target)
    np.testing.assert_array_equal(w, np.ones(1500))


def test_sklearn_properties_with_two_samples(data):
    """What the common checks test, with fit(original, target)."""
    rw = ClassifierReweighter(quadratic(), random_state=0)
    params = rw.get_params()
    assert rw.fit(data.original, data.target) is rw
    assert rw.get_params() == params
    assert rw.n_features_in_ == 3
    first = rw.predict_weights(data.target)
    np.testing.assert_array_equal(
        rw.fit(data.original, data.target).predict_weights(data.target), first)
    # float32, Fortran order, read-only and object input give the same weights
    ro = np.asfortranarray(data.target.astype(np.float32))
    ro.setflags(write=False)
    assert rw.predict_weights(ro).shape == (1500,)
    # row order and subsets: a row's ratio does not depend on the other rows
    normalize_off = clone(rw).set_params(normalize=False).fit(data.original, data.target)
    full = normalize_off.predict_weights(data.target)
    order = np.random.default_rng(0).permutation(1500)
    np.testing.assert_allclose(normalize_off.predict_weights(data.target[order]), full[order])
    np.testing.assert_allclose(normalize_off.predict_weights(data.target[:7]), full[:7])
    restored = pickle.loads(pickle.dumps(rw))
    np.testing.assert_array_equal(restored.predict_weights(data.target), first)
    assert clone(rw).get_params()["estimator"] is not rw.estimator


# -- persistence -----------------------------------------------------------------
@pytest.mark.parametrize("estimator", [None, "tiny", "quadratic"])
def test_save_load_round_trip(tmp_path, data, estimator):
    inner = {None: None, "tiny": tiny_network(), "quadratic": quadratic()}[estimator]
    rw = ClassifierReweighter(inner, n_bootstrap=2 if estimator else 0,
                              random_state=0)
    if estimator is None:  # the default network, cut short
        rw.fit(data.original[:300], data.target[:300])
    else:
        rw.fit(data.original, data.target)
    path = tmp_path / "reweighter.physml"
    save(rw, path)
    loaded = load(path)
    assert type(loaded) is ClassifierReweighter
    np.testing.assert_array_equal(loaded.predict_weights(data.target),
                                  rw.predict_weights(data.target))
    np.testing.assert_array_equal(loaded.original_weights_, rw.original_weights_)
    if estimator:
        np.testing.assert_array_equal(loaded.predict_weights(data.target, return_std=True)[1],
                                      rw.predict_weights(data.target, return_std=True)[1])


# -- make_reweighting ------------------------------------------------------------
def test_make_reweighting_true_ratio():
    d = make_reweighting(40_000, n_features=4, random_state=0)
    assert d.original.shape == d.target.shape == (40_000, 4)
    ratio = d.true_ratio(d.original)
    assert ratio.mean() == pytest.approx(1.0, abs=0.02)
    # the ratio carries the original's moments to the target's
    for moment in (lambda x: x, lambda x: x**2, lambda x: x[:, [0]] * x[:, [1]]):
        weighted = np.average(moment(d.original), axis=0, weights=ratio)
        np.testing.assert_allclose(weighted, moment(d.target).mean(axis=0), atol=0.04)
    # the inverse ratio carries the target back
    inverse = 1 / d.true_ratio(d.target)
    assert inverse.mean() == pytest.approx(1.0, abs=0.03)
    again = make_reweighting(40_000, n_features=4, random_state=0)
    np.testing.assert_array_equal(again.target, d.target)
    with pytest.raises(ValueError, match="n_features"):
        make_reweighting(10, n_features=0)
    with pytest.raises(ValueError, match="X has 3 columns but the samples have 4"):
        d.true_ratio(d.original[:, :3])
    assert make_reweighting(5, n_features=1, random_state=0).true_ratio(np.zeros((1, 1))) > 0


# -- metrics ---------------------------------------------------------------------
def test_effective_sample_size():
    assert effective_sample_size(np.ones(10)) == 10.0
    assert effective_sample_size([1.0, 1.0, 2.0, 4.0]) == pytest.approx(64 / 22)
    assert effective_sample_size([3.0, -1.0]) == pytest.approx(4 / 10)
    assert effective_sample_size([1e200, 1e200]) == pytest.approx(2.0)
    assert effective_sample_size([0.0, 0.0]) == 0.0
    assert effective_sample_size(np.ones((4, 1))) == 4.0  # a column is flattened


@pytest.mark.parametrize("call", [
    lambda w: effective_sample_size(w),
    lambda w: classifier_two_sample_auc(np.zeros((8, 2)), np.ones((8, 2)), sample_weight_X=w),
    lambda w: ClassifierReweighter(LogisticRegression()).fit(
        np.zeros((4, 2)), np.ones((4, 2)), original_weight=w),
], ids=["effective_sample_size", "two_sample", "reweighter"])
def test_weights_of_the_wrong_shape_are_named(call):
    """scikit-learn's column_or_1d calls every input y; the messages name the weights."""
    with pytest.raises(ValueError, match=r"(weights|sample_weight_X|original_weight) must "
                                         r"be 1-D, one weight per row; got an array of "
                                         r"shape \(2, 2\)"):
        call(np.ones((2, 2)))


def test_weighted_c2st_sees_the_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2))
    Y = rng.normal(loc=[0.8, 0.0], size=(1000, 2))
    ratio = np.exp(0.8 * X[:, 0] - 0.32)
    unweighted = classifier_two_sample_auc(X, Y, cv=3, random_state=0)
    weighted = classifier_two_sample_auc(X, Y, sample_weight_X=ratio, cv=3, random_state=0)
    assert unweighted > 0.62 and weighted < 0.56
    # weighting Y the inverse way is the same test
    inverse = classifier_two_sample_auc(X, Y, sample_weight_Y=1 / np.exp(0.8 * Y[:, 0] - 0.32),
                                        cv=3, random_state=0)
    assert inverse < 0.56
    # all-one weights are no weights
    ones = classifier_two_sample_auc(X, Y, sample_weight_X=np.ones(1000), cv=3,
                                     random_state=0)
    assert ones == pytest.approx(unweighted, abs=0.01)
    with pytest.raises(ValueError, match="sample_weight_Y has 2 entries but Y has 1000"):
        classifier_two_sample_auc(X, Y, sample_weight_Y=[1, 2])
    with pytest.raises(ValueError, match="KNeighborsClassifier.fit takes no sample_weight"):
        classifier_two_sample_auc(X, Y, sample_weight_X=ratio, estimator=KNeighborsClassifier())


# -- the display -----------------------------------------------------------------
def test_reweighting_display(data):
    from physml_sklearn.plotting import ReweightingDisplay

    original = pd.DataFrame(data.original, columns=data.feature_names)
    target = pd.DataFrame(data.target, columns=data.feature_names)
    original.insert(1, "event", np.arange(1500))
    target.insert(1, "event", np.arange(1500, 3000))
    rw = ClassifierReweighter(quadratic(), fold_column="event", random_state=0).fit(
        original, target)
    disp = ReweightingDisplay.from_estimator(rw, original, target, bins=8)
    assert disp.ax_.shape == (2, 3)  # the event number is not plotted
    assert [a.get_xlabel() for a in disp.ax_[1]] == data.feature_names
    assert len(disp.bin_edges_[0]) == 9
    for before, after in zip(disp.ratio_before_, disp.ratio_after_):
        assert np.nanmedian(np.abs(after - 1)) < np.nanmedian(np.abs(before - 1))
    one = ReweightingDisplay.from_estimator(rw, original, target, columns=["x2"])
    assert one.ax_.shape == (2, 1) and one.ax_[1, 0].get_xlabel() == "x2"
    with pytest.raises(ValueError, match="'x9', which is not a column"):
        ReweightingDisplay.from_estimator(rw, original, target, columns=["x9"])
    with pytest.raises(ValueError, match="weights has 2 entries"):
        ReweightingDisplay.from_predictions(data.original, data.target, [1.0, 2.0])


def test_reweighting_display_ratio_errors():
    # the ratio's error bars are the Poisson errors of the two histograms, from
    # the sums of squared weights: with unit weights r sqrt(1/n_t + 1/n_o) in a
    # bin; a weight of 4 on every original row changes nothing (the histograms
    # are normalised), while a few large weights make the errors larger
    from physml_sklearn.plotting import ReweightingDisplay

    rng = np.random.default_rng(0)
    original, target = rng.normal(size=(4000, 1)), rng.normal(0.2, 1.0, size=(2000, 1))
    disp = ReweightingDisplay.from_predictions(original, target, np.ones(4000), bins=6)
    edges = disp.bin_edges_[0]
    n_o = np.histogram(original[:, 0], edges)[0]
    n_t = np.histogram(target[:, 0], edges)[0]
    ratio = (n_t / n_t.sum()) / (n_o / n_o.sum())
    np.testing.assert_allclose(disp.ratio_after_[0], ratio)
    np.testing.assert_allclose(disp.ratio_after_error_[0], ratio * np.sqrt(1 / n_t + 1 / n_o))
    np.testing.assert_allclose(disp.ratio_before_error_[0], disp.ratio_after_error_[0])
    scaled = ReweightingDisplay.from_predictions(original, target, np.full(4000, 4.0), bins=6)
    np.testing.assert_allclose(scaled.ratio_after_error_[0], disp.ratio_after_error_[0])
    # nor does a weight far from 1, whose square overflowed (1e200) or underflowed (1e-300)
    for scale in (1e200, 1e-300):
        far = ReweightingDisplay.from_predictions(original, target, np.full(4000, scale),
                                                  bins=6)
        np.testing.assert_allclose(far.ratio_after_error_[0], disp.ratio_after_error_[0],
                                   rtol=1e-12)
    uneven = np.where(rng.random(4000) < 0.1, 10.0, 1.0)
    lumpy = ReweightingDisplay.from_predictions(original, target, uneven, bins=6)
    relative = lumpy.ratio_after_error_[0] / lumpy.ratio_after_[0]
    assert np.all(relative > disp.ratio_after_error_[0] / disp.ratio_after_[0])
    # an original bin left empty has neither a ratio nor an error
    holed = np.where(original < -1.0, 0.0, original)
    holes = ReweightingDisplay.from_predictions(holed, target, np.ones(4000), bins=30)
    edges = holes.bin_edges_[0]
    n_o, n_t = np.histogram(holed[:, 0], edges)[0], np.histogram(target[:, 0], edges)[0]
    assert np.any(n_o == 0)
    assert np.all(np.isnan(holes.ratio_after_[0][n_o == 0]))
    assert np.all(np.isnan(holes.ratio_after_error_[0][n_o == 0]))
    assert np.all(np.isfinite(holes.ratio_after_error_[0][(n_o > 0) & (n_t > 0)]))


def test_fold_column_by_index_on_arrays(data):
    from physml_sklearn.plotting import ReweightingDisplay

    original = np.column_stack([data.original, np.arange(1500)])
    target = np.column_stack([data.target, np.arange(1500)])
    rw = ClassifierReweighter(quadratic(), fold_column=-1, random_state=0).fit(original, target)
    np.testing.assert_allclose(rw.predict_weights(original), rw.original_weights_)
    # without normalisation a row's weight does not depend on the other rows
    rw.set_params(normalize=False)
    assert rw.predict_weights(original[:20])[7] == pytest.approx(
        rw.predict_weights(original[[7, 3]])[0], rel=1e-12)
    disp = ReweightingDisplay.from_estimator(rw, original, target)
    assert disp.ax_.shape == (2, 3)


def _spelled_out_network(text, start):
    """The keyword arguments of the ``DropoutMLPClassifier(...)`` at ``start``."""
    import ast
    import re

    depth, end = 0, start
    for end in range(start + len("DropoutMLPClassifier"), len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            break
    # drop code comments, and the indentation and quoting of reST / docstrings
    call = re.sub(r"#[^\n]*", "", text[start:end + 1]).replace("``", "")
    return {kw.arg: ast.literal_eval(kw.value)
            for kw in ast.parse(call, mode="eval").body.keywords}


@pytest.mark.parametrize("where", ["docstring", "user guide"])
def test_default_network_as_spelled_out_matches_the_one_fitted(where):
    # the default network's settings are written out for the reader in the
    # class docstring and in the user guide's QuantileTransformer example;
    # both must say what DEFAULT_NETWORK is, and name every setting that
    # differs from DropoutMLPClassifier's own defaults
    from pathlib import Path

    from physml_sklearn.reweighting import DEFAULT_NETWORK

    if where == "docstring":
        text = ClassifierReweighter.__doc__
        start = text.index("DropoutMLPClassifier(")
    else:
        text = (Path(__file__).parents[1] / "docs" / "user_guide"
                / "reweighting.rst").read_text(encoding="utf-8")
        # the call whose comment says it has the default network's settings
        start = text.rindex("DropoutMLPClassifier(", 0,
                            text.index("# the default network's settings"))
    spelled = _spelled_out_network(text, start)
    spelled.pop("random_state", None)
    defaults = DropoutMLPClassifier().get_params()
    for name, value in spelled.items():
        expected = DEFAULT_NETWORK[name]
        assert (tuple(value) if isinstance(value, (list, tuple)) else value) == (
            tuple(expected) if isinstance(expected, (list, tuple)) else expected
        ), f"{where} says {name}={value!r}, DEFAULT_NETWORK has {expected!r}"
    differing = {name for name, value in DEFAULT_NETWORK.items() if defaults[name] != value}
    assert differing <= set(spelled), f"{where} leaves out {differing - set(spelled)}"
