"""FoldingClassifier: k-fold cross-training."""

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from physml_sklearn import FoldingClassifier


class RecordingClassifier(LogisticRegression):
    """A logistic regression that remembers what ``fit`` received."""

    def fit(self, X, y, sample_weight=None):
        self.seen_columns_ = list(X.columns) if hasattr(X, "columns") else None
        self.seen_n_features_ = np.shape(X)[1]
        self.seen_weight_ = None if sample_weight is None else np.array(sample_weight)
        self.seen_y_ = np.array(y)
        return super().fit(X, y, sample_weight=sample_weight)


def _events(n=300, seed=0):
    X, y = make_classification(n_samples=n, n_features=4, n_informative=3,
                               n_redundant=0, random_state=seed)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame.insert(2, "event", np.arange(1000, 1000 + n))
    return frame, y


def test_fold_column_never_reaches_inner_estimators():
    X, y = _events()
    folding = FoldingClassifier(RecordingClassifier(), n_folds=3, fold_column="event").fit(X, y)
    assert folding.feature_names_in_.tolist() == ["a", "b", "event", "c", "d"]
    assert folding.n_features_in_ == 5
    assert folding.get_feature_names_out().tolist() == ["a", "b", "c", "d"]
    for est in folding.estimators_:
        assert est.seen_columns_ == ["a", "b", "c", "d"]
        assert est.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    # an index works on arrays as well
    arr = X.to_numpy()
    folding = FoldingClassifier(RecordingClassifier(), fold_column=2).fit(arr, y)
    assert all(est.seen_n_features_ == 4 for est in folding.estimators_)
    assert folding.get_feature_names_out().tolist() == ["x0", "x1", "x3", "x4"]


def test_folds_follow_event_number_and_each_model_skips_its_fold():
    X, y = _events()
    folding = FoldingClassifier(RecordingClassifier(), n_folds=3, fold_column="event").fit(X, y)
    np.testing.assert_array_equal(folding.folds_, X["event"].to_numpy() % 3)
    for k, est in enumerate(folding.estimators_):
        np.testing.assert_array_equal(est.seen_y_, y[X["event"].to_numpy() % 3 != k])


def test_new_data_scored_by_the_model_that_did_not_train_on_its_fold():
    X, y = _events()
    folding = FoldingClassifier(LogisticRegression(), n_folds=3, fold_column="event").fit(X, y)
    X_new, _ = _events(n=50, seed=1)
    X_new["event"] = np.arange(50) * 7 + 5
    proba = folding.predict_proba(X_new)
    features = X_new.drop(columns="event")
    for i in range(50):
        model = folding.estimators_[X_new["event"].iloc[i] % 3]
        np.testing.assert_allclose(proba[i], model.predict_proba(features.iloc[[i]])[0])
    # the same event gets the same score whatever else is in the file
    np.testing.assert_allclose(folding.predict_proba(X_new.iloc[10:20]), proba[10:20])
    # decision_function follows the same rule
    decision = folding.decision_function(X_new)
    k = X_new["event"].to_numpy() % 3
    expected = np.choose(k, [est.decision_function(features) for est in folding.estimators_])
    np.testing.assert_allclose(decision, expected)
    np.testing.assert_array_equal(folding.predict(X_new), folding.classes_[proba.argmax(1)])


def test_large_event_numbers_keep_their_fold():
    X, y = _events()
    X["event"] = 2**60 + np.arange(len(X))  # beyond float64's integers
    folding = FoldingClassifier(LogisticRegression(), fold_column="event").fit(X, y)
    np.testing.assert_array_equal(folding.folds_, np.arange(len(X)) % 2)


def test_training_rows_get_their_out_of_fold_score():
    X, y = _events()
    folding = FoldingClassifier(LogisticRegression(), n_folds=2, fold_column="event").fit(X, y)
    np.testing.assert_allclose(folding.predict_proba(X), folding.out_of_fold_proba_)
    # random folds: out-of-fold rows come from the model that left them out
    X = X.drop(columns="event")
    folding = FoldingClassifier(LogisticRegression(), n_folds=3, random_state=0).fit(X, y)
    for k, est in enumerate(folding.estimators_):
        rows = folding.folds_ == k
        np.testing.assert_allclose(folding.out_of_fold_proba_[rows],
                                   est.predict_proba(X[rows]))
    # new data: the mean of the fold models
    mean = np.mean([est.predict_proba(X) for est in folding.estimators_], axis=0)
    np.testing.assert_allclose(folding.predict_proba(X), mean)


def test_memorising_model_scores_its_own_training_rows_like_a_held_out_test():
    # 1-NN memorises its training sample: accuracy 1.0 on it, much less elsewhere
    X, y = make_classification(n_samples=4000, n_features=5, n_informative=3,
                               flip_y=0.2, class_sep=0.7, random_state=0)
    X_train, y_train, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]
    knn = KNeighborsClassifier(n_neighbors=1)
    assert knn.fit(X_train, y_train).score(X_train, y_train) == 1.0
    folding = FoldingClassifier(knn, n_folds=2, random_state=0).fit(X_train, y_train)
    assert all(est.score(X_train[folding.folds_ != k], y_train[folding.folds_ != k]) == 1.0
               for k, est in enumerate(folding.estimators_))
    oof_accuracy = np.mean(
        folding.classes_[folding.out_of_fold_proba_.argmax(1)] == y_train
    )
    held_out = np.mean([est.score(X_test, y_test) for est in folding.estimators_])
    assert held_out < 0.85  # far from the memorised 1.0
    # binomial error on 2000 events ~ 0.01
    assert abs(oof_accuracy - held_out) < 0.03
    # the event-number rule gives the same on the training rows themselves
    events = np.column_stack([np.arange(2000), X_train])
    folding = FoldingClassifier(knn, fold_column=0).fit(events, y_train)
    assert abs(folding.score(events, y_train) - held_out) < 0.03


def test_sample_weight_reaches_every_clone():
    X, y = _events()
    w = np.random.default_rng(0).uniform(-0.2, 2.0, size=len(y))
    folding = FoldingClassifier(RecordingClassifier(), n_folds=3, fold_column="event")
    folding.fit(X, y, sample_weight=w)
    for k, est in enumerate(folding.estimators_):
        np.testing.assert_array_equal(est.seen_weight_, w[folding.folds_ != k])
    # a Pipeline receives them at its last step
    pipe = make_pipeline(StandardScaler(), RecordingClassifier())
    folding = FoldingClassifier(pipe, n_folds=2, random_state=0).fit(X, y, sample_weight=w)
    for k, est in enumerate(folding.estimators_):
        np.testing.assert_array_equal(est[-1].seen_weight_, w[folding.folds_ != k])


def test_sample_weight_with_metadata_routing():
    X, y = _events()
    w = np.linspace(0.5, 2.0, len(y))
    with config_context(enable_metadata_routing=True):
        inner = RecordingClassifier().set_fit_request(sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), inner)
        folding = FoldingClassifier(pipe, random_state=0).fit(X, y, sample_weight=w)
    for k, est in enumerate(folding.estimators_):
        np.testing.assert_array_equal(est[-1].seen_weight_, w[folding.folds_ != k])


def test_random_folds_are_stratified_and_seeded():
    X, y = _events(n=301)
    X = X.drop(columns="event")
    a = FoldingClassifier(LogisticRegression(), n_folds=3, random_state=1).fit(X, y)
    b = FoldingClassifier(LogisticRegression(), n_folds=3, random_state=1).fit(X, y)
    c = FoldingClassifier(LogisticRegression(), n_folds=3, random_state=2).fit(X, y)
    np.testing.assert_array_equal(a.folds_, b.folds_)
    np.testing.assert_array_equal(a.out_of_fold_proba_, b.out_of_fold_proba_)
    assert not np.array_equal(a.folds_, c.folds_)
    for k in range(3):
        counts = np.bincount(y[a.folds_ == k], minlength=2)
        assert np.all(np.abs(counts - np.bincount(y) / 3) <= 1)


def test_pipeline_and_string_labels():
    X, y = _events()
    labels = np.array(["ZZ", "WZ"])[y]
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    folding = FoldingClassifier(pipe, fold_column="event").fit(X, labels)
    assert folding.classes_.tolist() == ["WZ", "ZZ"]
    numeric = FoldingClassifier(pipe, fold_column="event").fit(X, y)
    np.testing.assert_array_equal(folding.predict(X), np.array(["ZZ", "WZ"])[numeric.predict(X)])
    assert folding.score(X, labels) == numeric.score(X, y) > 0.6


def test_parallel_fit_matches_sequential():
    X, y = _events()
    X = X.drop(columns="event")
    seq = FoldingClassifier(LogisticRegression(), random_state=0, n_jobs=1).fit(X, y)
    # threads: worker processes would import torch, seconds per test run
    with parallel_config("threading"):
        par = FoldingClassifier(LogisticRegression(), random_state=0, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(seq.out_of_fold_proba_, par.out_of_fold_proba_)


def test_no_predict_proba_falls_back_to_decision_function():
    X, y = _events()
    X = X.drop(columns="event")
    folding = FoldingClassifier(LinearSVC(), random_state=0).fit(X, y)
    assert not hasattr(folding, "predict_proba")
    assert not hasattr(folding, "out_of_fold_proba_")
    np.testing.assert_array_equal(
        folding.predict(X), folding.classes_[(folding.decision_function(X) > 0).astype(int)]
    )


@pytest.mark.parametrize(
    "fold_column, X_kind, match",
    [
        ("evnt", "frame", r"fold_column='evnt' is not a column of X\. Did you mean 'event'"),
        ("event", "array", r"fold_column='event' is a column name but X has no column names"),
        (9, "array", r"fold_column=9 is out of range for X with 5 columns"),
        ("a", "frame", r"fold_column='a' must hold integer event numbers"),
    ],
)
def test_fold_column_errors(fold_column, X_kind, match):
    X, y = _events()
    X = X if X_kind == "frame" else X.to_numpy()
    with pytest.raises(ValueError, match=match):
        FoldingClassifier(LogisticRegression(), fold_column=fold_column).fit(X, y)


def test_other_errors_and_failed_fit_keeps_state():
    X, y = _events()
    folding = FoldingClassifier(LogisticRegression(), fold_column="event").fit(X, y)
    before = folding.estimators_
    X_even = X.assign(event=2 * np.arange(len(X)))
    with pytest.raises(ValueError, match=r"fold 1 holds no event .*event_number % 2 == 1"):
        folding.fit(X_even, y)
    assert folding.estimators_ is before and folding.n_features_in_ == 5
    with pytest.raises(ValueError, match="only the fold column"):
        FoldingClassifier(LogisticRegression(), fold_column=0).fit(np.arange(10)[:, None],
                                                                    [0, 1] * 5)
    with pytest.raises(ValueError, match="holds only one class"):
        FoldingClassifier(LogisticRegression()).fit(X, np.zeros(len(y)))
    y_rare = y.copy()
    y_rare[[0, 2]] = 2  # events 1000 and 1002: fold 0 only
    with pytest.raises(ValueError, match=r"fold 0 \(every fold but 0\) hold no event of class 2"):
        FoldingClassifier(LogisticRegression(), fold_column="event").fit(X, y_rare)
    with pytest.raises(ValueError, match="takes no sample_weight"):
        FoldingClassifier(KNeighborsClassifier()).fit(X, y, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError, match="sample_weight has 3 entries but X has 300 rows"):
        FoldingClassifier(LogisticRegression()).fit(X, y, sample_weight=np.ones(3))


def test_sample_weight_reaches_the_members_of_a_voting_classifier():
    """VotingClassifier.fit takes **fit_params and hands sample_weight to each member."""
    from sklearn.ensemble import VotingClassifier

    X, y = _events()
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    voting = VotingClassifier([("lr", LogisticRegression())], voting="soft")
    got = FoldingClassifier(voting, random_state=0).fit(X, y, sample_weight=w)
    alone = FoldingClassifier(LogisticRegression(), random_state=0).fit(X, y, sample_weight=w)
    unweighted = FoldingClassifier(voting, random_state=0).fit(X, y)
    np.testing.assert_allclose(got.predict_proba(X), alone.predict_proba(X), rtol=1e-10)
    assert not np.allclose(got.predict_proba(X), unweighted.predict_proba(X))
    # behind a pipeline as well, and refused when a member cannot take weights
    piped = FoldingClassifier(make_pipeline(StandardScaler(), voting), random_state=0)
    piped.fit(X, y, sample_weight=w)
    knn = VotingClassifier([("lr", LogisticRegression()), ("knn", KNeighborsClassifier())],
                           voting="soft")
    with pytest.raises(ValueError,
                       match="KNeighborsClassifier.fit takes no sample_weight directly"):
        FoldingClassifier(knn).fit(X, y, sample_weight=w)


def test_caller_data_unchanged_and_clone():
    X, y = _events()
    X_copy = X.copy()
    folding = FoldingClassifier(LogisticRegression(), fold_column="event").fit(X, y)
    pd.testing.assert_frame_equal(X, X_copy)
    assert not hasattr(clone(folding), "estimators_")


class ThreadRecording(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        import torch

        self.torch_threads_ = torch.get_num_threads()
        return super().fit(X, y, sample_weight=sample_weight)


def test_worker_thread_cap_and_sequential_fit_leaves_threads_alone():
    import os

    import torch

    from physml_sklearn.folding import _fit_fold

    X, y = _events()
    X = X.drop(columns="event")
    user_setting = torch.get_num_threads()
    torch.set_num_threads(2)  # so that a cap at 1 shows
    try:
        _check_thread_cap(X, y, _fit_fold, os, torch)
    finally:
        torch.set_num_threads(user_setting)


def _check_thread_cap(X, y, _fit_fold, os, torch):
    before = torch.get_num_threads()
    # in a worker process (another pid) the torch threads are capped, then restored
    est = _fit_fold(ThreadRecording(), X, y, {}, 1, main_pid=os.getpid() + 1)
    assert est.torch_threads_ == 1 and torch.get_num_threads() == before
    # a sequential fit (no cap) and the user's own process are never touched
    est = _fit_fold(ThreadRecording(), X, y, {}, None, main_pid=os.getpid() + 1)
    assert est.torch_threads_ == before
    est = _fit_fold(ThreadRecording(), X, y, {}, 1, main_pid=os.getpid())
    assert est.torch_threads_ == before
    folding = FoldingClassifier(ThreadRecording(), random_state=0).fit(X, y)
    assert [e.torch_threads_ for e in folding.estimators_] == [before, before]


# -- the fold rule on exact integers -------------------------------------------------
def _python_folds(event_numbers, n_folds):
    return np.array([int(e) % n_folds for e in event_numbers])


@pytest.mark.parametrize("dtype", ["uint64", "UInt64", "Int64", "int64"])
def test_integer_event_numbers_keep_every_digit(dtype):
    # above 2**63 a uint64 does not fit an int64: a cast would wrap it (and, with
    # three folds, move it to another fold); above 2**53 a float64 rounds it
    X, y = _events()
    n = len(X)
    if dtype.lower() == "uint64":
        events = [2**64 - 1 - 7 * i for i in range(n)]
    else:
        events = [2**63 - 1 - 7 * i for i in range(n)]
    X["event"] = pd.array(events, dtype=dtype)
    folding = FoldingClassifier(LogisticRegression(), n_folds=3, fold_column="event").fit(X, y)
    expected = _python_folds(events, 3)
    np.testing.assert_array_equal(folding.folds_, expected)
    # new events follow the same rule, row by row
    X_new = X.iloc[::-1].reset_index(drop=True)
    proba = folding.predict_proba(X_new)
    features = X_new.drop(columns="event")
    for k, est in enumerate(folding.estimators_):
        rows = expected[::-1] == k
        np.testing.assert_allclose(proba[rows], est.predict_proba(features[rows]))


def test_python_integers_beyond_64_bits_in_an_object_array():
    X, y = _events()
    events = [2**70 + 3 * i + (i % 5) for i in range(len(X))]
    X_obj = X.drop(columns="event").to_numpy().astype(object)
    X_obj = np.column_stack([np.array(events, dtype=object), X_obj])
    folding = FoldingClassifier(LogisticRegression(), n_folds=3, fold_column=0).fit(X_obj, y)
    np.testing.assert_array_equal(folding.folds_, _python_folds(events, 3))


@pytest.mark.parametrize("dtype, power", [(np.float64, 53), (np.float32, 24)])
def test_float_event_numbers_beyond_the_mantissa_are_refused(dtype, power):
    # an array mixing event numbers with float features is float: 2**53 + 1
    # is stored as 2**53, and the event silently changes fold
    X, y = _events()
    arr = X.to_numpy().astype(dtype)
    arr[:, 2] = np.arange(len(X))
    folding = FoldingClassifier(LogisticRegression(), fold_column=2).fit(arr, y)
    before = folding.estimators_
    big = arr.copy()
    big[:, 2] = 2.0**power + 2 * np.arange(len(X))
    match = (rf"fold_column=2 holds event numbers as {np.dtype(dtype).name} values.*"
             rf"2\*\*{power}.*Pass X as a DataFrame whose event-number column has an "
             "integer dtype")
    with pytest.raises(ValueError, match=match):
        folding.predict_proba(big)
    with pytest.raises(ValueError, match=match):
        folding.fit(big, y)
    assert folding.estimators_ is before  # the failed fit left the model as it was
    # just below the limit every integer is exact, and accepted
    below = arr.copy()
    below[:, 2] = 2.0**power - 1 - np.arange(len(X))
    np.testing.assert_array_equal(
        FoldingClassifier(LogisticRegression(), fold_column=2).fit(below, y).folds_,
        _python_folds(below[:, 2].astype(np.int64), 2),
    )


def test_negative_event_numbers_follow_python_modulo():
    X, y = _events()
    X["event"] = -np.arange(len(X))  # -1 % 3 == 2, as in Python (C would give -1)
    folding = FoldingClassifier(LogisticRegression(), n_folds=3, fold_column="event").fit(X, y)
    np.testing.assert_array_equal(folding.folds_, _python_folds(X["event"], 3))
    assert set(folding.folds_) == {0, 1, 2}


def test_more_folds_than_events_of_a_class_is_refused_by_name():
    X, y = _events(60)
    labels = np.where(y == 1, "signal", "background")
    labels[np.flatnonzero(labels == "signal")[3:]] = "background"  # 3 signal events
    with pytest.raises(ValueError, match=r"n_folds=5 stratified folds need at least 5 events "
                                         r"of each class, but class 'signal' has 3"):
        FoldingClassifier(LogisticRegression(), n_folds=5).fit(X.drop(columns="event"), labels)
    # by event number, any number of folds is a rule, not a split to stratify
    FoldingClassifier(LogisticRegression(), n_folds=2, fold_column="event").fit(X, labels)


def test_missing_or_boolean_event_numbers_are_refused():
    X, y = _events()
    X["event"] = pd.array([None] + list(range(1, len(X))), dtype="Int64")
    # an inner estimator that takes NaN lets the missing value reach the fold rule
    from sklearn.ensemble import HistGradientBoostingClassifier

    with pytest.raises(ValueError, match=r"fold_column='event' has missing event numbers \(row 0"):
        FoldingClassifier(HistGradientBoostingClassifier(max_iter=2),
                          fold_column="event").fit(X, y)
    X["event"] = np.arange(len(X)) % 2 == 0
    with pytest.raises(ValueError, match="fold_column='event' must hold integer event numbers; "
                                         "it holds booleans"):
        FoldingClassifier(LogisticRegression(), fold_column="event").fit(X, y)
    # an estimator that takes no NaN: scikit-learn's message said "Input X contains
    # NaN" and suggested HistGradientBoosting, not which column or why
    X["event"] = np.r_[np.arange(len(X) - 2.0), np.nan, np.inf]
    with pytest.raises(ValueError, match=r"fold_column='event' has missing or infinite event "
                                         r"numbers \(2 row\(s\), the first row 298\)"):
        FoldingClassifier(LogisticRegression(), fold_column="event").fit(X, y)
    with pytest.raises(ValueError, match=r"fold_column=2 has missing or infinite"):
        FoldingClassifier(LogisticRegression(), fold_column=2).fit(X.to_numpy(), y)
    fitted = FoldingClassifier(LogisticRegression(), fold_column="event").fit(
        X.assign(event=np.arange(len(X))), y)
    with pytest.raises(ValueError, match=r"fold_column='event' has missing or infinite"):
        fitted.predict_proba(X)


# -- one space for predict_proba and decision_function ---------------------------------
def _disagreeing_folds(seed=0):
    """Few events, weak regularisation: fold models far apart, so averages differ."""
    X, y = make_classification(n_samples=60, n_features=5, n_informative=3, flip_y=0.1,
                               random_state=seed)
    X_test = np.random.default_rng(seed).normal(size=(3000, 5)) * 2
    return X, y, X_test


def test_decision_function_ranks_events_like_predict_proba():
    from scipy.stats import rankdata

    X, y, X_test = _disagreeing_folds()
    folding = FoldingClassifier(LogisticRegression(C=100.0), n_folds=3,
                                random_state=0).fit(X, y)
    proba = folding.predict_proba(X_test)
    decision = folding.decision_function(X_test)
    # the mean of the fold models' probabilities, as before
    np.testing.assert_allclose(
        proba, np.mean([e.predict_proba(X_test) for e in folding.estimators_], axis=0))
    # the decision function is its logit, so both rank every event alike
    np.testing.assert_allclose(decision, np.log(proba[:, 1]) - np.log(proba[:, 0]),
                               rtol=1e-12)
    np.testing.assert_array_equal(rankdata(decision), rankdata(proba[:, 1]))
    np.testing.assert_array_equal(folding.predict(X_test),
                                  folding.classes_[(decision > 0).astype(int)])
    # the fold rule: each event's decision from its own fold model
    events = np.column_stack([np.arange(len(X_test)), X_test])
    folding = FoldingClassifier(LogisticRegression(), n_folds=3, fold_column=0).fit(
        np.column_stack([np.arange(len(X)), X]), y)
    expected = np.choose(np.arange(len(X_test)) % 3,
                         [e.decision_function(X_test) for e in folding.estimators_])
    np.testing.assert_allclose(folding.decision_function(events), expected, rtol=1e-9)


def test_decision_function_multiclass_and_saturated_probabilities():
    from scipy.stats import rankdata

    X, y = make_classification(n_samples=300, n_features=5, n_informative=4, n_redundant=0,
                               n_classes=3, random_state=0)
    folding = FoldingClassifier(LogisticRegression(), n_folds=3, random_state=0).fit(X, y)
    X_test = np.random.default_rng(1).normal(size=(1000, 5))
    proba = folding.predict_proba(X_test)
    decision = folding.decision_function(X_test)
    assert decision.shape == (1000, 3)
    np.testing.assert_array_equal(decision.argmax(1), proba.argmax(1))
    for j in range(3):
        np.testing.assert_array_equal(rankdata(decision[:, j]), rankdata(proba[:, j]))
    # probabilities of exactly 0 and 1 give finite scores
    x = np.r_[-1 - np.arange(50) / 50, 1 + np.arange(50) / 50][:, None]
    folding = FoldingClassifier(LogisticRegression(), random_state=0).fit(x, x[:, 0] > 0)
    far = np.array([[1e6], [-1e6]])
    np.testing.assert_array_equal(folding.predict_proba(far), [[0, 1], [1, 0]])
    decision = folding.decision_function(far)
    assert np.all(np.isfinite(decision)) and decision[0] > 700 and decision[1] < -700


def test_decision_function_without_predict_proba_is_averaged():
    from sklearn.linear_model import RidgeClassifier

    X, y, X_test = _disagreeing_folds()
    folding = FoldingClassifier(RidgeClassifier(), n_folds=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        folding.decision_function(X_test),
        np.mean([e.decision_function(X_test) for e in folding.estimators_], axis=0),
    )
