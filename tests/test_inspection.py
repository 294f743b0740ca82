"""Tests of physml_sklearn.inspection: rank_features and PermutationFeatureElimination."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.inspection import PermutationFeatureElimination, rank_features


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # Several test workers on a small machine: a multi-threaded BLAS makes
    # small linear models crawl (their threads wait for each other).
    with threadpool_limits(1):
        yield


# small, quickly trained network for the tests that need one
NET = dict(hidden_layer_sizes=(16,), dropout=0.0, max_epochs=20, batch_size=128,
           lr=1e-2, random_state=0)


def two_signal_columns(n_samples=1500, n_features=6, seed=0):
    """Only columns 1 and 4 carry information about the class."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = (X[:, 1] + X[:, 4] + 0.3 * rng.normal(size=n_samples) > 0).astype(int)
    return X, y


# -- rank_features ---------------------------------------------------------


def test_rank_features_puts_the_two_signal_columns_first():
    X, y = two_signal_columns()
    clf = make_pipeline(StandardScaler(), DropoutMLPClassifier(**NET)).fit(X[:1000], y[:1000])
    ranking = rank_features(clf, X[1000:], y[1000:], scoring="roc_auc", n_repeats=5,
                            random_state=0)
    assert list(ranking.columns) == ["feature", "importance_mean", "importance_std", "rank"]
    assert set(ranking["feature"][:2]) == {"x1", "x4"}
    assert ranking["rank"].tolist() == list(range(1, 7))
    assert ranking["importance_mean"].is_monotonic_decreasing
    # the four noise columns matter far less than the weaker signal column
    assert ranking["importance_mean"].iloc[2:].max() < 0.1 * ranking["importance_mean"].iloc[1]
    assert (ranking["importance_std"] >= 0).all()


def test_rank_features_names_and_reproducibility():
    X, y = two_signal_columns(400)
    frame = pd.DataFrame(X, columns=[f"var_{i}" for i in range(6)])
    clf = LogisticRegression().fit(frame, y)
    by_frame = rank_features(clf, frame, y, n_repeats=3, random_state=1)
    assert set(by_frame["feature"]) == set(frame.columns)
    # an array on a model fitted on a DataFrame: the names come from feature_names_in_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        by_array = rank_features(clf, X, y, n_repeats=3, random_state=1)
    pd.testing.assert_frame_equal(by_frame, by_array)
    plain = rank_features(LogisticRegression().fit(X, y), X, y, n_repeats=3, random_state=1)
    assert set(plain["feature"]) == {f"x{i}" for i in range(6)}
    assert plain["feature"].tolist() == [n.replace("var_", "x") for n in by_frame["feature"]]


def test_rank_features_uses_the_sample_weight():
    # x1 decides the class of the first 300 events, x4 that of the last 300:
    # the model uses both, but on the first half only x1 matters
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6))
    y = np.r_[X[:300, 1] > 0, X[300:, 4] > 0].astype(int)
    clf = LogisticRegression().fit(X, y)
    weight = np.where(np.arange(600) < 300, 1.0, 0.0)

    def importances(*args, **kwargs):
        ranking = rank_features(clf, *args, n_repeats=5, random_state=0, **kwargs)
        return ranking.set_index("feature")["importance_mean"]

    weighted = importances(X, y, sample_weight=weight)
    first_half = importances(X[:300], y[:300])
    unweighted = importances(X, y)
    # zero weights drop the events: the importances are those of the first half
    np.testing.assert_allclose(weighted[["x1", "x4"]], first_half[["x1", "x4"]], atol=0.02)
    assert weighted["x4"] < 0.2 * weighted["x1"]
    # ... and not those of all the events, where x4 matters almost as much as x1
    assert unweighted["x4"] > 0.5 * unweighted["x1"]
    # a weight too few is named ("Found input variables with inconsistent numbers
    # of samples: [600, 600, 599]" did not say which)
    with pytest.raises(ValueError, match="sample_weight has 599 entries but X has 600 rows"):
        importances(X, y, sample_weight=weight[1:])


def test_rank_features_validates_its_parameters():
    X, y = two_signal_columns(100)
    clf = LogisticRegression().fit(X, y)
    with pytest.raises(InvalidParameterError, match="n_repeats"):
        rank_features(clf, X, y, n_repeats=0)


# -- PermutationFeatureElimination -----------------------------------------


def test_elimination_on_diboson_drops_the_uninformative_columns_first():
    # The strong physics variables of WZ vs ZZ beside the two columns that carry
    # no information. (Among all 17 columns some physics variables, such as the
    # lepton pseudorapidities, matter as little as noise to the network, so
    # "first" is only well defined against variables that do matter.)
    columns = ["met", "lep2_pt", "lep1_phi", "pt_z", "n_pv", "mt_w"]
    data = make_diboson(2000, random_state=0, as_frame=True)
    X = data.data[columns]
    clf = make_pipeline(StandardScaler(), DropoutMLPClassifier(**NET))
    selector = PermutationFeatureElimination(
        clf, n_features_to_select=4, cv=3, n_repeats=5, scoring="roc_auc", random_state=0
    ).fit(X, data.target)

    ranking = dict(zip(columns, selector.ranking_.tolist()))
    assert {ranking["lep1_phi"], ranking["n_pv"]} == {2, 3}
    assert selector.get_feature_names_out().tolist() == ["met", "lep2_pt", "pt_z", "mt_w"]
    # one row per number of features tried, from all of them down to the target
    results = selector.cv_results_
    assert results["n_features"].tolist() == [4, 5, 6]
    for key in ("mean_test_score", "std_test_score", *(f"split{k}_test_score" for k in range(3))):
        assert results[key].shape == (3,)
    assert results["features"][0] == ("met", "lep2_pt", "pt_z", "mt_w")
    assert results["features"][-1] == tuple(columns)
    # dropping the two useless columns costs (almost) nothing
    assert results["mean_test_score"][0] > results["mean_test_score"][-1] - 0.01
    # the refitted model sees the selected columns by name
    assert selector.estimator_.feature_names_in_.tolist() == ["met", "lep2_pt", "pt_z", "mt_w"]
    assert selector.predict_proba(X.iloc[:5]).shape == (5, 2)
    assert selector.score(X, data.target) > 0.9  # roc_auc, as scoring says
    assert not hasattr(clf[-1], "net_")  # the given estimator is only cloned


def test_elimination_picks_the_best_cross_validated_number():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = (X[:, 0] + X[:, 2] - X[:, 5] > 0).astype(int)
    selector = PermutationFeatureElimination(
        LogisticRegression(), cv=3, n_repeats=3, random_state=0
    ).fit(X, y)
    results = pd.DataFrame(selector.cv_results_)
    assert results["n_features"].tolist() == [1, 2, 3, 4, 5, 6]
    best = results["mean_test_score"].max()
    # the fewest features among the best mean scores
    assert selector.n_features_ == results.loc[results["mean_test_score"] == best,
                                               "n_features"].min()
    n_selected = selector.n_features_
    assert selector.support_[[0, 2, 5]].all()
    assert selector.cv_results_["features"][n_selected - 1] == tuple(
        f"x{i}" for i in np.flatnonzero(selector.support_)
    )
    # ranking_: 1 for the selection, then backwards through the drops
    assert sorted(selector.ranking_.tolist()) == [1] * n_selected + list(
        range(2, 8 - n_selected)
    )
    assert selector.transform(X).shape == (300, n_selected)
    np.testing.assert_array_equal(selector.predict(X),
                                  selector.estimator_.predict(X[:, selector.support_]))


@pytest.mark.parametrize(
    "params, n_features, n_selected",
    [
        (dict(step=2), [1, 2, 4, 6], None),
        (dict(step=0.5), [1, 3, 6], None),
        (dict(n_features_to_select=0.5), [3, 4, 5, 6], 3),
        (dict(n_features_to_select=2, step=3), [2, 3, 6], 2),
    ],
)
def test_elimination_steps(params, n_features, n_selected):
    X, y = two_signal_columns(300)
    selector = PermutationFeatureElimination(
        LogisticRegression(), cv=3, n_repeats=2, random_state=0, **params
    ).fit(X, y)
    assert selector.cv_results_["n_features"].tolist() == n_features
    if n_selected is not None:
        assert selector.n_features_ == n_selected
    assert selector.support_[[1, 4]].all()


def test_elimination_more_features_requested_than_there_are():
    X, y = two_signal_columns(200)
    with pytest.warns(UserWarning, match="n_features_to_select=9 is larger than the 6"):
        selector = PermutationFeatureElimination(
            LogisticRegression(), n_features_to_select=9, cv=2, n_repeats=1
        ).fit(X, y)
    assert selector.support_.all()
    assert selector.cv_results_["n_features"].tolist() == [6]


def test_elimination_scores_and_permutes_held_out_events_only():
    X, y = two_signal_columns(300)
    seen = []

    def scorer(estimator, X_eval, y_eval, sample_weight=None):
        seen.append((len(X_eval), None if sample_weight is None else len(sample_weight)))
        return estimator.score(X_eval, y_eval)

    PermutationFeatureElimination(
        LogisticRegression(), n_features_to_select=4, scoring=scorer, cv=3, n_repeats=2
    ).fit(X, y, sample_weight=np.ones(300))
    # three folds of 100 held-out events; (6 + 5) features x 2 shuffles + baselines
    assert {length for length, _ in seen} == {100}
    assert {n_weights for _, n_weights in seen} == {100}


def test_elimination_sample_weight_reaches_the_fits():
    X, y = two_signal_columns(300)
    weight = np.ones(300)
    weight[:150] = 0.0  # the first half is ignored ...
    y_flipped = y.copy()
    y_flipped[:150] = 1 - y_flipped[:150]  # ... so its flipped labels do not matter
    kwargs = dict(n_features_to_select=2, cv=KFold(3, shuffle=True, random_state=0),
                  n_repeats=2, random_state=0)
    selector = PermutationFeatureElimination(LogisticRegression(), **kwargs)
    selector.fit(X, y_flipped, sample_weight=weight)
    assert selector.support_.tolist() == [False, True, False, False, True, False]
    assert selector.score(X[150:], y[150:]) > 0.9
    with pytest.raises(ValueError, match="sample_weight has 10 entries but X has 300"):
        selector.fit(X, y, sample_weight=np.ones(10))


def test_elimination_in_a_pipeline_and_a_grid_search():
    X, y = two_signal_columns(400)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    pipe = make_pipeline(
        StandardScaler().set_output(transform="pandas"),
        PermutationFeatureElimination(LogisticRegression(), n_features_to_select=2,
                                      cv=2, n_repeats=2, random_state=0),
    )
    search = GridSearchCV(pipe, {"permutationfeatureelimination__step": [1, 2]}, cv=2)
    search.fit(frame, y)
    best = search.best_estimator_
    assert best[-1].get_feature_names_out().tolist() == ["b", "e"]
    assert best.predict_proba(frame.iloc[:3]).shape == (3, 2)
    assert search.score(frame, y) > 0.9
    # transform keeps the column names when asked for pandas output
    selector = clone(best[-1]).set_output(transform="pandas").fit(frame, y)
    assert selector.transform(frame).columns.tolist() == ["b", "e"]


def test_elimination_feature_names_checked_at_predict():
    X, y = two_signal_columns(200)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    selector = PermutationFeatureElimination(
        LogisticRegression(), n_features_to_select=2, cv=2, n_repeats=1
    ).fit(frame, y)
    with pytest.raises(ValueError, match="Feature names"):
        selector.predict(frame[list("fedcba")])
    # an array is accepted (with scikit-learn's warning) and gives the same answer
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = selector.predict_proba(X)
    np.testing.assert_allclose(from_array, selector.predict_proba(frame))


def test_elimination_methods_follow_the_estimator():
    X, y = two_signal_columns(200)
    regressor = PermutationFeatureElimination(LinearRegression(), n_features_to_select=2,
                                              cv=2, n_repeats=1).fit(X, y.astype(float))
    assert not hasattr(regressor, "predict_proba")
    assert not hasattr(regressor, "classes_")
    assert regressor.predict(X).shape == (200,)
    classifier = PermutationFeatureElimination(LogisticRegression(), cv=2, n_repeats=1)
    assert hasattr(classifier, "predict_proba")
    classifier.fit(X, y)
    assert classifier.classes_.tolist() == [0, 1]
    assert classifier.predict_log_proba(X).shape == (200, 2)
    assert classifier.decision_function(X).shape == (200,)


def test_elimination_parallel_folds_give_the_same_result():
    X, y = two_signal_columns(300)
    kwargs = dict(cv=3, n_repeats=2, random_state=0)
    serial = PermutationFeatureElimination(LogisticRegression(), **kwargs).fit(X, y)
    with parallel_backend("threading"):
        parallel = PermutationFeatureElimination(LogisticRegression(), n_jobs=2,
                                                 **kwargs).fit(X, y)
    np.testing.assert_array_equal(serial.ranking_, parallel.ranking_)
    np.testing.assert_allclose(serial.cv_results_["mean_test_score"],
                               parallel.cv_results_["mean_test_score"])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(step=0), "step"),
        (dict(n_features_to_select=0), "n_features_to_select"),
        (dict(n_features_to_select=1.5), "n_features_to_select"),
        (dict(n_repeats=0), "n_repeats"),
        (dict(cv="five"), "cv"),
    ],
)
def test_elimination_rejects_bad_parameters(params, match):
    X, y = two_signal_columns(50)
    with pytest.raises(InvalidParameterError, match=match):
        PermutationFeatureElimination(LogisticRegression(), **params).fit(X, y)


# -- metadata routing ------------------------------------------------------


class SpyClassifier(LogisticRegression):
    """LogisticRegression that records the sample weights each fit and score receives."""

    calls = []

    def fit(self, X, y, sample_weight=None):
        SpyClassifier.calls.append(("fit", None if sample_weight is None else
                                    np.array(sample_weight)))
        return super().fit(X, y, sample_weight=sample_weight)

    def score(self, X, y, sample_weight=None):
        SpyClassifier.calls.append(("score", None if sample_weight is None else
                                    np.array(sample_weight)))
        return super().score(X, y, sample_weight=sample_weight)


def _routing_case():
    X, y = two_signal_columns(300)
    weight = np.arange(1.0, 301.0)  # each weight names its row
    cv = KFold(3)
    folds = list(cv.split(X, y))
    kwargs = dict(n_features_to_select=4, cv=cv, n_repeats=2, random_state=0)
    return X, y, weight, folds, kwargs


def test_elimination_routes_sample_weight_to_a_pipeline_step_that_requests_it():
    X, y, weight, folds, kwargs = _routing_case()
    SpyClassifier.calls = []
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            SpyClassifier().set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True),
        )
        selector = PermutationFeatureElimination(pipe, **kwargs).fit(
            X, y, sample_weight=weight
        )
    fits = [w for kind, w in SpyClassifier.calls if kind == "fit"]
    scores = [w for kind, w in SpyClassifier.calls if kind == "score"]
    # three steps (6, 5, 4 features) of three folds, then the refit on all rows
    assert len(fits) == 3 * 3 + 1
    for k, w in enumerate(fits[:-1]):
        np.testing.assert_array_equal(w, weight[folds[k % 3][0]])
    np.testing.assert_array_equal(fits[-1], weight)
    # every held-out score (and permuted score) is weighted with the test rows
    held_out = {tuple(weight[test]) for _, test in folds}
    assert scores and all(w is not None and tuple(w) in held_out for w in scores)
    assert selector.estimator_[-1].n_features_in_ == 4
    # score routes too
    SpyClassifier.calls = []
    with sklearn.config_context(enable_metadata_routing=True):
        selector.score(X, y, sample_weight=weight)
    np.testing.assert_array_equal(SpyClassifier.calls[-1][1], weight)


def test_elimination_routing_respects_what_was_not_requested():
    X, y, weight, folds, kwargs = _routing_case()
    SpyClassifier.calls = []
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            SpyClassifier().set_fit_request(sample_weight=False)
            .set_score_request(sample_weight=True),
        )
        PermutationFeatureElimination(pipe, **kwargs).fit(X, y, sample_weight=weight)
        assert all(w is None for kind, w in SpyClassifier.calls if kind == "fit")
        assert all(w is not None for kind, w in SpyClassifier.calls if kind == "score")
        # a consumer that did not say either way: scikit-learn's error names it
        unset = make_pipeline(StandardScaler().set_fit_request(sample_weight=False),
                              SpyClassifier())
        with pytest.raises(ValueError, match=r"\[sample_weight\].*SpyClassifier.fit"):
            PermutationFeatureElimination(unset, **kwargs).fit(X, y, sample_weight=weight)


def test_elimination_without_routing_keeps_the_direct_weights():
    X, y, weight, folds, kwargs = _routing_case()
    SpyClassifier.calls = []
    PermutationFeatureElimination(SpyClassifier(), **kwargs).fit(X, y, sample_weight=weight)
    fits = [w for kind, w in SpyClassifier.calls if kind == "fit"]
    np.testing.assert_array_equal(fits[0], weight[folds[0][0]])
    np.testing.assert_array_equal(fits[-1], weight)
    # a pipeline takes no sample_weight in fit: without routing it gets none
    SpyClassifier.calls = []
    PermutationFeatureElimination(make_pipeline(StandardScaler(), SpyClassifier()),
                                  **kwargs).fit(X, y, sample_weight=weight)
    assert all(w is None for kind, w in SpyClassifier.calls if kind == "fit")
