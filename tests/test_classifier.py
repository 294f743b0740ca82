"""DropoutMLPClassifier and SoftmaxMLPClassifier: behaviour beyond the common checks."""

import io
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from physml_sklearn import DropoutMLPClassifier, SoftmaxMLPClassifier
from physml_sklearn._core._net import DivergedError

SMALL = dict(hidden_layer_sizes=(16, 8), max_epochs=5, batch_size=32, lr=0.01, random_state=0)


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(
        600, n_features=8, n_informative=4, random_state=0, class_sep=1.5
    )
    return X, y


@pytest.fixture(scope="module")
def multi_data():
    X, y = make_classification(
        600, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    return X, y


def test_issue_snippet_runs_on_dataframes():
    from physml_sklearn.datasets import make_diboson

    data = make_diboson(2000, processes=("WZ", "ZZ"), random_state=0, as_frame=True)
    assert isinstance(data.data, pd.DataFrame)
    pipe = make_pipeline(
        StandardScaler(),
        DropoutMLPClassifier(
            hidden_layer_sizes=(32, 16), early_stopping=True, max_epochs=8, random_state=0
        ),
    )
    search = GridSearchCV(
        pipe,
        {
            "dropoutmlpclassifier__dropout": [0.0, 0.5],
            "dropoutmlpclassifier__patience": [2, 4],
        },
        scoring="roc_auc",
        cv=2,
        n_jobs=2,
    )
    search.fit(data.data, data.target)
    assert set(search.cv_results_["params"][0]) == {
        "dropoutmlpclassifier__dropout",
        "dropoutmlpclassifier__patience",
    }
    best = search.best_estimator_
    np.testing.assert_array_equal(best.feature_names_in_, data.data.columns)
    assert best[-1].n_features_in_ == data.data.shape[1]
    assert search.best_score_ > 0.6
    result = permutation_importance(
        best, data.data, data.target, scoring="roc_auc", n_repeats=2, random_state=0
    )
    assert result.importances_mean.shape == (data.data.shape[1],)


def test_dataframe_input_records_feature_names(binary_data):
    X, y = binary_data
    frame = pd.DataFrame(X, columns=[f"var{i}" for i in range(X.shape[1])])
    clf = DropoutMLPClassifier(**SMALL).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_array = clf.predict_proba(X)  # as scikit-learn's estimators warn
    np.testing.assert_array_equal(clf.predict_proba(frame), from_array)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"var0": "other"}))


def test_string_labels_round_trip(binary_data):
    X, y = binary_data
    labels = np.array(["ZZ", "WZ"])[y]
    clf = DropoutMLPClassifier(**SMALL, dropout=0.1).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ["WZ", "ZZ"])
    pred = clf.predict(X)
    assert set(pred) <= {"WZ", "ZZ"}
    assert (pred == labels).mean() > 0.7
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # column 1 is classes_[1] and the decision function is its logit
    np.testing.assert_allclose(
        proba[:, 1], 1 / (1 + np.exp(-clf.decision_function(X))), rtol=1e-12
    )
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-10)


def test_softmax_probabilities_follow_classes(multi_data):
    X, y = multi_data
    labels = np.array(["ttZ", "WZ", "ZZ"], dtype=object)[y]
    clf = SoftmaxMLPClassifier(**SMALL).fit(X, labels)
    assert list(clf.classes_) == ["WZ", "ZZ", "ttZ"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert (clf.predict(X) == labels).mean() > 0.6
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-10)
    # two classes work too
    two = SoftmaxMLPClassifier(**SMALL).fit(X, y % 2)
    assert two.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("Est", [DropoutMLPClassifier, SoftmaxMLPClassifier])
def test_clone_pickle_joblib_round_trips(Est, binary_data):
    X, y = binary_data
    clf = Est(**SMALL).fit(X, y)
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict_proba(X), expected)
    # a clone is unfitted, with the same parameters; refitting reproduces the model
    cloned = clone(clf)
    assert not hasattr(cloned, "net_")
    assert cloned.get_params() == clf.get_params()
    np.testing.assert_array_equal(cloned.fit(X, y).predict_proba(X), expected)


def test_same_random_state_same_fit_different_differs(binary_data):
    X, y = binary_data
    params = dict(SMALL, dropout=0.3)
    a = DropoutMLPClassifier(**params).fit(X, y)
    b = DropoutMLPClassifier(**params).fit(X, y)
    c = DropoutMLPClassifier(**dict(params, random_state=1)).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ == b.loss_curve_
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))
    # fitting does not disturb the caller's global torch random state
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    DropoutMLPClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_sample_weight_changes_the_fit_and_zero_weight_drops_rows(binary_data):
    X, y = binary_data
    # one full batch and no dropout: the loss is then exactly the weighted mean.
    # Plain SGD, whose steps scale with the loss: a zero-weighted row must
    # leave no trace, not even in the normalisation (Adam would hide that)
    params = dict(hidden_layer_sizes=(8,), dropout=0.0, max_epochs=20,
                  batch_size=10_000, lr=0.05, optimizer="sgd", random_state=0)
    rng = np.random.RandomState(0)
    weight = rng.uniform(0.1, 3.0, len(y))
    plain = DropoutMLPClassifier(**params).fit(X, y)
    weighted = DropoutMLPClassifier(**params).fit(X, y, sample_weight=weight)
    assert not np.allclose(plain.predict_proba(X), weighted.predict_proba(X), atol=1e-4)

    keep = rng.rand(len(y)) > 0.3
    zeroed = DropoutMLPClassifier(**params).fit(X, y, sample_weight=keep.astype(float))
    dropped = DropoutMLPClassifier(**params).fit(X[keep], y[keep])
    np.testing.assert_allclose(
        zeroed.predict_proba(X), dropped.predict_proba(X), rtol=0, atol=1e-5
    )


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_negative_weights_subtract_events(binary_data, optimizer):
    # NLO-style negative weights: the sample plus a copy of some events with
    # weight -1 is the sample without those events (one full batch, no
    # dropout, so the loss is exactly the weighted mean)
    X, y = binary_data
    params = dict(hidden_layer_sizes=(8,), dropout=0.0, max_epochs=20,
                  batch_size=10_000, lr=0.05, optimizer=optimizer, random_state=0)
    removed = np.arange(len(y)) % 4 == 0
    X_with = np.r_[X, X[removed]]
    y_with = np.r_[y, y[removed]]
    weight = np.r_[np.ones(len(y)), -np.ones(removed.sum())]
    with_copies = DropoutMLPClassifier(**params).fit(X_with, y_with, sample_weight=weight)
    without = DropoutMLPClassifier(**params).fit(X[~removed], y[~removed])
    np.testing.assert_allclose(
        with_copies.predict_proba(X), without.predict_proba(X), rtol=0, atol=1e-5
    )
    # a negative weight is not a positive one: flipping its sign changes the fit
    added = DropoutMLPClassifier(**params).fit(X_with, y_with, sample_weight=np.abs(weight))
    assert np.abs(added.predict_proba(X) - without.predict_proba(X)).max() > 1e-3


def test_bad_weights_are_refused(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="positive sum"):
        DropoutMLPClassifier(**SMALL).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="one weight per row"):
        DropoutMLPClassifier(**SMALL).fit(X, y, sample_weight=np.ones(3))


class RecordWeights(Callback):
    """Keeps a copy of the module's weights after every epoch."""

    def on_train_begin(self, net, **kwargs):
        self.weights_ = {}

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1, "epoch"]
        self.weights_[epoch] = {
            k: v.detach().clone() for k, v in net.module_.state_dict().items()
        }


def test_early_stopping_stops_and_restores_best_weights():
    # few noisy events and a wide net without dropout: it overtrains quickly
    X, y = make_classification(300, n_features=20, n_informative=2, flip_y=0.3,
                               random_state=0)
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(128, 128), dropout=0.0, lr=0.01, batch_size=32,
        max_epochs=200, early_stopping=True, patience=5, random_state=0,
        callbacks=[("record", RecordWeights())],
    ).fit(X, y)
    assert clf.n_iter_ < 200
    assert clf.n_iter_ == clf.best_epoch_ + 5
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert np.argmin(clf.validation_loss_curve_) + 1 == clf.best_epoch_
    recorder = dict(clf.net_.callbacks_)["record"]
    best = recorder.weights_[clf.best_epoch_]
    last = recorder.weights_[clf.n_iter_]
    state = clf.net_.module_.state_dict()
    for key, value in state.items():
        torch.testing.assert_close(value, best[key], rtol=0, atol=0)
    assert any(not torch.equal(state[k], last[k]) for k in state)
    # the user's callback object is not touched by fit
    assert not hasattr(clf.callbacks[0][1], "weights_")


class RecordValidationLabels(Callback):
    """Keeps the targets of the validation set the net is given."""

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.labels_ = dataset_valid.y.cpu().numpy().ravel()


def test_early_stopping_split_is_stratified():
    # 5 % minority: a stratified split holds 20 of the 100 minority events in
    # its 400 validation events for every seed; a random split would scatter
    # around 20 by about 4
    X, y = make_classification(2000, weights=[0.95, 0.05], flip_y=0, random_state=0)
    n_minority = int(y.sum())
    for seed in range(5):
        clf = DropoutMLPClassifier(
            **dict(SMALL, max_epochs=1, random_state=seed), early_stopping=True,
            validation_fraction=0.2, callbacks=[("record", RecordValidationLabels())],
        ).fit(X, y)
        labels = dict(clf.net_.callbacks_)["record"].labels_
        assert len(labels) == 400
        assert abs(labels.sum() - 0.2 * n_minority) <= 1
        assert len(clf.validation_loss_curve_) == 1


def test_partial_fit_and_warm_start(binary_data):
    X, y = binary_data
    clf = DropoutMLPClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:300], y[:300], classes=[0, 1])
    clf.partial_fit(X[300:], y[300:])
    # as in scikit-learn, n_iter_ counts the epochs of the last call
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 2
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:10], np.full(10, 7))

    warm = DropoutMLPClassifier(**SMALL, warm_start=True).fit(X, y)
    first = warm.predict_proba(X)
    warm.fit(X, y)
    assert warm.n_iter_ == SMALL["max_epochs"]
    assert len(warm.loss_curve_) == len(warm.history_) == 2 * SMALL["max_epochs"]
    assert not np.allclose(first, warm.predict_proba(X))
    cold = DropoutMLPClassifier(**SMALL).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == SMALL["max_epochs"]


def test_class_weight(binary_data):
    X, y = binary_data
    base = DropoutMLPClassifier(**SMALL).fit(X, y)
    heavy = DropoutMLPClassifier(**SMALL, class_weight={0: 20.0, 1: 1.0}).fit(X, y)
    assert (heavy.predict(X) == 0).mean() > (base.predict(X) == 0).mean()
    # "balanced" is the sample weight n / (n_classes * n_c) of each class ...
    keep = (y == 1) | (np.arange(len(y)) % 4 == 0)  # 1 in 4 of class 0 kept
    X_imb, y_imb = X[keep], y[keep]
    balanced = DropoutMLPClassifier(**SMALL, class_weight="balanced").fit(X_imb, y_imb)
    by_weight = DropoutMLPClassifier(**SMALL).fit(
        X_imb, y_imb, sample_weight=compute_sample_weight("balanced", y_imb)
    )
    np.testing.assert_allclose(balanced.predict_proba(X), by_weight.predict_proba(X),
                               rtol=0, atol=1e-6)
    # ... so the rare class is predicted more often than without it
    plain = DropoutMLPClassifier(**SMALL).fit(X_imb, y_imb)
    assert (balanced.predict(X) == 0).mean() > (plain.predict(X) == 0).mean() + 0.02
    with pytest.raises(ValueError, match="not among the classes"):
        DropoutMLPClassifier(**SMALL, class_weight={5: 1.0}).fit(X, y)


def test_options_build_the_network_asked_for(binary_data):
    X, y = binary_data
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(12, 6), dropout=(0.1, 0.2), activation="tanh",
        kernel_initializer="glorot_uniform", optimizer=torch.optim.SGD, lr=0.05,
        weight_decay=1e-4, max_epochs=2, random_state=0,
    ).fit(X, y)
    layers = list(clf.net_.module_)
    assert [type(m).__name__ for m in layers] == [
        "Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"
    ]
    assert [m.p for m in layers if isinstance(m, torch.nn.Dropout)] == [0.1, 0.2]
    assert isinstance(clf.net_.optimizer_, torch.optim.SGD)
    assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 1e-4
    expected = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
                "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}
    for name, cls in expected.items():
        fitted = DropoutMLPClassifier(**SMALL, optimizer=name).fit(X, y)
        assert type(fitted.net_.optimizer_) is cls
        assert fitted.net_.optimizer_.param_groups[0]["lr"] == SMALL["lr"]
        # each one trains: the loss falls over the five epochs
        assert fitted.loss_curve_[-1] < 0.9 * fitted.loss_curve_[0], name
    sgd = DropoutMLPClassifier(**SMALL, optimizer="sgd").fit(X, y)
    assert sgd.net_.optimizer_.param_groups[0]["momentum"] == 0.9
    auto = DropoutMLPClassifier(**dict(SMALL, max_epochs=1), device="auto").fit(X, y)
    assert auto.net_.device in ("cpu", "cuda")


def test_verbose_shows_a_progress_bar(binary_data, capsys):
    X, y = binary_data
    DropoutMLPClassifier(**SMALL, verbose=0).fit(X, y)
    assert capsys.readouterr().err == ""
    DropoutMLPClassifier(**SMALL, verbose=1).fit(X, y)
    err = capsys.readouterr().err
    assert "5/5" in err and "train_loss" in err


def test_diverging_fit_says_so(binary_data):
    X, y = binary_data
    params = dict(SMALL, dropout=0.0, optimizer="sgd", lr=1e10)
    with pytest.raises(DivergedError, match="loss became nan.*Lower the learning rate"):
        DropoutMLPClassifier(**params).fit(X, y)


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(batch_size=-1), "batch_size"),
        (dict(activation="swish"), "activation"),
        (dict(dropout=1.5), "dropout"),
        (dict(dropout=(0.1, 0.2, 0.3)), "hidden layers"),
        (dict(hidden_layer_sizes=(16, 0)), "hidden_layer_sizes"),
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(optimizer=dict), "torch.optim.Optimizer"),
        (dict(device="gpu0"), "device"),
        (dict(kernel_initializer="zeros"), "kernel_initializer"),
    ],
)
def test_bad_parameters_are_named(bad, match, binary_data):
    X, y = binary_data
    params = dict(SMALL, **bad)
    with pytest.raises(ValueError, match=match):
        DropoutMLPClassifier(**params).fit(X, y)


def test_bad_data_gets_clear_errors(binary_data, multi_data):
    X, y = binary_data
    clf = DropoutMLPClassifier(**SMALL)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X_nan, y)
    X_inf = X.copy()
    X_inf[1, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(X_inf, y)
    with pytest.raises(ValueError, match="1 class"):
        clf.fit(X, np.zeros(len(y)))
    Xm, ym = multi_data
    with pytest.raises(ValueError, match="SoftmaxMLPClassifier"):
        clf.fit(Xm, ym)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="8 features"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError, match="Unknown label type"):
        DropoutMLPClassifier(**SMALL).fit(X, np.linspace(0, 1, len(y)))


def test_callers_data_is_never_modified(binary_data):
    X, y = binary_data
    for X_in in (X.copy(), X.astype(np.float32), pd.DataFrame(X.astype(np.float32))):
        before = X_in.copy()
        y_in = y.copy()
        weight = np.ones(len(y))
        clf = DropoutMLPClassifier(**SMALL, early_stopping=True).fit(
            X_in, y_in, sample_weight=weight
        )
        clf.predict_proba(X_in)
        if isinstance(X_in, pd.DataFrame):
            pd.testing.assert_frame_equal(X_in, before)
        else:
            np.testing.assert_array_equal(X_in, before)
        np.testing.assert_array_equal(y_in, y)
        np.testing.assert_array_equal(weight, 1.0)


def test_any_real_dtype_and_lists(binary_data):
    X, y = binary_data
    ref = DropoutMLPClassifier(**SMALL).fit(X.astype(np.float32), y)
    for X_in in (X.astype(np.float16), X.round().astype(np.int64), X.tolist()):
        clf = DropoutMLPClassifier(**SMALL).fit(X_in, list(y))
        assert clf.predict_proba(X_in).dtype == np.float64
    np.testing.assert_array_equal(
        DropoutMLPClassifier(**SMALL).fit(X, y).predict_proba(X), ref.predict_proba(X)
    )


def test_better_than_chance_on_diboson():
    from physml_sklearn.datasets import make_diboson

    X, y = make_diboson(4000, random_state=1, return_X_y=True)
    clf = make_pipeline(
        StandardScaler(),
        DropoutMLPClassifier(dropout=0.2, max_epochs=15, batch_size=64, random_state=0),
    ).fit(X[:3000], y[:3000])
    assert roc_auc_score(y[3000:], clf.predict_proba(X[3000:])[:, 1]) > 0.85


def test_partial_fit_ignores_early_stopping_and_warm_start_follows_params(binary_data):
    X, y = binary_data
    clf = DropoutMLPClassifier(**SMALL, early_stopping=True)
    clf.partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 2
    assert clf.validation_loss_curve_ == []
    warm = DropoutMLPClassifier(**SMALL, early_stopping=True, warm_start=True).fit(X, y)
    n_valid = len(warm.validation_loss_curve_)
    warm.set_params(early_stopping=False).fit(X, y)
    assert len(warm.validation_loss_curve_) == n_valid
    assert warm.n_iter_ == SMALL["max_epochs"]
    assert len(warm.loss_curve_) == n_valid + SMALL["max_epochs"]


def test_dropout_aware_initialisation_keeps_the_logits_in_scale():
    # Inverted dropout doubles the second moment of what it passes on; the
    # initialiser compensates, so the lecture's six-layer network with dropout
    # 0.5 starts with logits of order one instead of order ten.
    from physml_sklearn._core._modules import make_mlp

    torch.manual_seed(0)
    X = torch.randn(4096, 20)
    widths = (128, 128, 64, 64, 32, 16)
    plain = make_mlp(20, widths, 1, dropout=0.0)
    dropped = make_mlp(20, widths, 1, dropout=0.5)
    dropped.train()
    with torch.no_grad():
        std_dropped = dropped(X).std().item()
        std_plain = plain(X).std().item()
    assert 0.2 * std_plain < std_dropped < 3 * std_plain
    assert std_dropped < 4


def test_dropout_layer_drops_the_asked_fraction_and_keeps_the_mean():
    from physml_sklearn._core._modules import Dropout

    torch.manual_seed(0)
    layer = Dropout(0.3)
    x = torch.ones(1000, 1000)
    out = layer(x)
    assert abs((out == 0).float().mean().item() - 0.3) < 0.005
    assert abs(out.mean().item() - 1.0) < 0.01
    layer.eval()
    assert layer(x) is x
