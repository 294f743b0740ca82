"""to_onnx: onnxruntime reproduces the models' outputs."""

import numpy as np
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from physml_sklearn import (
    AutoEncoder,
    AutoEncoderOutlierDetector,
    DropoutMLPClassifier,
    GANSampler,
    SoftmaxMLPClassifier,
    to_onnx,
)
from physml_sklearn.inspection import PermutationFeatureElimination

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

N_ROWS = 10_000
TOL = 1e-5
SMALL = dict(batch_size=64, max_epochs=3, random_state=0)


def _data(n, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, 50.0, 0.0, -2.0]
    y = (X[:, 0] + (X[:, 1] - 50) / 10 > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def rows():
    return _data(N_ROWS, seed=1)[0]


def _run(onx, feeds, batch_size):
    """Run the graph on ``feeds`` in batches of ``batch_size`` rows."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(onx.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    n = len(next(iter(feeds.values())))
    parts = [
        session.run(None, {k: v[start:start + batch_size] for k, v in feeds.items()})
        for start in range(0, n, batch_size)
    ]
    return [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]


def _close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=TOL, atol=TOL)


def _input_is_dynamic(onx):
    dim = onx.graph.input[0].type.tensor_type.shape.dim[0]
    return not dim.HasField("dim_value")


CLASSIFIERS = {
    "dropout_pipeline": lambda: make_pipeline(
        StandardScaler(), DropoutMLPClassifier((16, 8), dropout=0.5, **SMALL)),
    "softmax_strings": lambda: make_pipeline(
        StandardScaler(), SoftmaxMLPClassifier((16,), dropout=0.3, **SMALL)),
    "dropout_tanh_sigmoid": lambda: make_pipeline(
        MinMaxScaler(), DropoutMLPClassifier((8, 8), activation="tanh", **SMALL)),
    "softmax_gelu_elu": lambda: make_pipeline(
        StandardScaler(), SoftmaxMLPClassifier((8,), activation="gelu", **SMALL)),
    "feature_elimination": lambda: make_pipeline(StandardScaler(), PermutationFeatureElimination(
        SoftmaxMLPClassifier((8,), **SMALL), step=0.5, cv=2, n_repeats=1, random_state=0)),
    "column_transformer": lambda: make_pipeline(
        ColumnTransformer([("scale", StandardScaler(), [0, 1]), ("minmax", MinMaxScaler(), [3])]),
        DropoutMLPClassifier((8,), activation="leaky_relu", **SMALL)),
}


@pytest.mark.parametrize("batch_size", [1, 777])
@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifier_matches_predict_proba(name, batch_size, rows, tmp_path):
    X, y = _data(600)
    if name == "softmax_strings":
        y = np.array(["WZ", "ZZ", "ttZ"])[y + (X[:, 2] > 0.05)]
    model = CLASSIFIERS[name]().fit(X, y)
    path = tmp_path / "model.onnx"
    onx = to_onnx(model, X[:5], path)
    assert path.read_bytes() == onx.SerializeToString()
    assert _input_is_dynamic(onx)
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"]
    label, proba = _run(onx, {"X": rows.astype(np.float32)}, batch_size)
    _close(proba, model.predict_proba(rows))
    np.testing.assert_array_equal(label, model.predict(rows))


@pytest.mark.parametrize("batch_size", [1, 777])
def test_autoencoder_matches_transform_and_predict(batch_size, rows):
    X, _ = _data(600)
    model = make_pipeline(StandardScaler(), AutoEncoder(
        encoder_layers=(8, 4), latent_dim=2, dropout=0.2, activation="elu", **SMALL)).fit(X)
    onx = to_onnx(model, X)
    assert [o.name for o in onx.graph.output] == ["transform", "reconstruction"]
    code, reconstruction = _run(onx, {"X": rows.astype(np.float32)}, batch_size)
    _close(code, model.transform(rows))
    _close(reconstruction, model.predict(rows))


@pytest.mark.parametrize("batch_size", [1, 777])
@pytest.mark.parametrize("loss", ["mse", "l1", "huber", "bce"])
def test_outlier_detector_matches_decision_function(loss, batch_size, rows):
    X, _ = _data(600)
    extra = {"output_activation": "sigmoid"} if loss == "bce" else {}
    model = make_pipeline(MinMaxScaler(clip=True), AutoEncoderOutlierDetector(
        encoder_layers=(8,), latent_dim=2, loss=loss, **extra, **SMALL)).fit(X)
    onx = to_onnx(model, X)
    label, scores = _run(onx, {"X": rows.astype(np.float32)}, batch_size)
    decision = model.decision_function(rows)
    _close(scores[:, 0], decision)
    clear = np.abs(decision) > TOL  # rows on the threshold may go either way
    np.testing.assert_array_equal(label[clear], model.predict(rows)[clear])
    assert 0 < (label == -1).sum() < len(label)


@pytest.mark.parametrize("batch_size", [1, 777])
def test_gan_generator_matches_sample(batch_size):
    from sklearn.utils import check_random_state

    from physml_sklearn._core._modules import seed_from, torch_generator

    X, _ = _data(600)
    gan = GANSampler(latent_dim=3, generator_layers=(16,), discriminator_layers=(16,),
                     **SMALL).fit(X)
    if "mean_" not in vars(gan):  # a sampler with a quantile transform: refused, not wrong
        with pytest.raises(NotImplementedError, match="preprocesses"):
            to_onnx(gan, None)
        return
    onx = to_onnx(gan, None)
    # the latent noise sample(n, random_state=7) draws
    seed = seed_from(check_random_state(7))
    z = torch.randn(N_ROWS, 3, generator=torch_generator(seed)).numpy()
    (samples,) = _run(onx, {"z": z}, batch_size)
    expected = gan.sample(N_ROWS, random_state=7)
    np.testing.assert_allclose(samples, expected, rtol=TOL, atol=TOL * np.abs(expected).max())


@pytest.mark.parametrize("batch_size", [1, 777])
@pytest.mark.parametrize("fold_column", [None, 4])
def test_folding_classifier_matches_predict_proba(fold_column, batch_size, rows):
    from physml_sklearn.folding import FoldingClassifier

    X, y = _data(600)
    y = np.array(["WZ", "ZZ", "ttZ"])[y + (X[:, 2] > 0.05)]
    # event numbers beyond float32's 2**24, as in real files
    events = np.random.RandomState(2).randint(2**40, size=N_ROWS + 600)
    X = np.column_stack([X, events[:600]])
    test = np.column_stack([rows, events[600:]]) if fold_column is not None else rows
    if fold_column is None:
        X = X[:, :4]
    model = FoldingClassifier(
        make_pipeline(StandardScaler(), SoftmaxMLPClassifier((8,), **SMALL)),
        n_folds=3, fold_column=fold_column,
    ).fit(X, y)
    onx = to_onnx(model, X[:2])
    feed = test.astype(np.float64 if fold_column is not None else np.float32)
    label, proba = _run(onx, {"X": feed}, batch_size)
    expected = model.predict_proba(test)
    _close(proba, expected)
    np.testing.assert_array_equal(label, model.predict(test))
    if fold_column is not None:  # each event scored by one fold model, not the average
        mean = np.mean([e.predict_proba(test[:, :4]) for e in model.estimators_], axis=0)
        assert np.abs(expected - mean).max() > 1e-3


def test_gan_with_other_preprocessing_is_refused():
    from sklearn.preprocessing import QuantileTransformer

    X, _ = _data(300)
    gan = GANSampler(latent_dim=2, generator_layers=(8,), discriminator_layers=(8,),
                     **SMALL).fit(X)
    gan.quantile_ = QuantileTransformer(n_quantiles=10).fit(X)
    with pytest.raises(NotImplementedError, match=r"quantile_ \(.*QuantileTransformer\)"):
        to_onnx(gan, None)
    del gan.quantile_
    with pytest.raises(ValueError, match="latent_dim=2"):
        to_onnx(gan, np.zeros((1, 4)))
    if "mean_" not in vars(gan):
        return  # the sampler's own preprocessing is refused in the test above
    # a preprocessing the graph does not know is caught on the samples themselves
    gan._to_original = lambda rows: np.exp(np.asarray(rows, dtype=float)) * gan.scale_
    with pytest.raises(NotImplementedError, match="not the averaged generator's output"):
        to_onnx(gan, None)


def test_user_module_is_exported_with_torch(rows):
    """A module that is not built from the package's layers goes through torch.onnx.export."""
    X, _ = _data(400)
    encoder = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Softplus(), torch.nn.Linear(6, 2))
    model = AutoEncoder(encoder=encoder, latent_dim=2, decoder_layers=(6,), **SMALL).fit(X)
    onx = to_onnx(model, X)
    code, reconstruction = _run(onx, {"X": rows[:2000].astype(np.float32)}, 777)
    _close(code, model.transform(rows[:2000]))
    _close(reconstruction, model.predict(rows[:2000]))


def test_target_opset(rows):
    X, y = _data(300)
    model = DropoutMLPClassifier((8,), **SMALL).fit(X, y)
    onx = to_onnx(model, X, target_opset=15)
    assert {o.domain: o.version for o in onx.opset_import}[""] <= 15
    _, proba = _run(onx, {"X": rows[:500].astype(np.float32)}, 777)
    _close(proba, model.predict_proba(rows[:500]))


def test_unfitted_models_are_refused():
    X, _ = _data(10)
    for model in (DropoutMLPClassifier(), make_pipeline(StandardScaler(), AutoEncoder()),
                  GANSampler()):
        with pytest.raises(NotFittedError):
            to_onnx(model, X)


def test_bad_sample_is_refused():
    X, y = _data(300)
    model = DropoutMLPClassifier((8,), **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="X_sample must be 2-D"):
        to_onnx(model, X[0])
    # ONNX Runtime's shape-inference error, reported as "cannot export"
    for fitted in (model, make_pipeline(StandardScaler(), DropoutMLPClassifier((8,), **SMALL))
                   .fit(X, y)):
        with pytest.raises(ValueError, match=rf"X_sample has 3 columns but the model was "
                                             rf"fitted on {X.shape[1]}"):
            to_onnx(fitted, X[:5, :3])


def test_dataframe_inputs(rows):
    import pandas as pd

    from physml_sklearn.folding import FoldingClassifier

    X, y = _data(600)
    frame = pd.DataFrame(X, columns=["pt", "eta", "phi", "m"])
    test = pd.DataFrame(rows[:2000], columns=frame.columns)
    # fitted on a DataFrame: one matrix input, columns in the training order
    clf = DropoutMLPClassifier((8,), **SMALL).fit(frame, y)
    onx = to_onnx(clf, frame[:2])
    assert [i.name for i in onx.graph.input] == ["X"]
    _, proba = _run(onx, {"X": test.to_numpy(np.float32)}, 777)
    _close(proba, clf.predict_proba(test))
    # columns chosen by name: one input per column
    model = make_pipeline(
        ColumnTransformer([("scale", StandardScaler(), ["pt", "m"]), ("minmax", MinMaxScaler(),
                                                                      ["eta"])]),
        DropoutMLPClassifier((8,), **SMALL),
    ).fit(frame, y)
    onx = to_onnx(model, frame[:2])
    assert [i.name for i in onx.graph.input] == ["pt", "eta", "phi", "m"]
    feeds = {c: test[[c]].to_numpy(np.float32) for c in test.columns}
    _, proba = _run(onx, feeds, 777)
    _close(proba, model.predict_proba(test))
    # the event-number column named in a DataFrame
    frame["event"] = np.arange(600) * 104729
    folding = FoldingClassifier(make_pipeline(StandardScaler(), DropoutMLPClassifier(
        (8,), **SMALL)), fold_column="event").fit(frame, y)
    test["event"] = np.arange(2000) * 7 + 3
    onx = to_onnx(folding, frame[:2])
    # an integer event-number column: the features and the event numbers apart
    assert [i.name for i in onx.graph.input] == ["X", "event_number"]
    feeds = {"X": test.drop(columns="event").to_numpy(np.float32),
             "event_number": test["event"].to_numpy(np.int64)}
    _, proba = _run(onx, feeds, 777)
    _close(proba, folding.predict_proba(test))


# -- FoldingClassifier: exact event numbers, any classifier inside ----------------------
def _folding(inner, **kwargs):
    from physml_sklearn.folding import FoldingClassifier

    return FoldingClassifier(inner, n_folds=3, **kwargs)


def _frame(X, events):
    import pandas as pd

    frame = pd.DataFrame(X.astype(np.float64), columns=["pt", "eta", "phi", "m"])
    frame.insert(2, "event", events)
    return frame


@pytest.mark.parametrize("inner", ["network", "logistic"])
def test_event_numbers_beyond_2_53_take_integer_operators(inner, rows):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    X, y = _data(600)
    estimator = (make_pipeline(StandardScaler(), DropoutMLPClassifier((8,), **SMALL))
                 if inner == "network" else LogisticRegression(max_iter=1000))
    # training events with small numbers; scored events at 2**53 + 1 + i, where
    # float64 holds only the even ones (and a few negative ones)
    model = _folding(estimator, fold_column="event").fit(_frame(X, np.arange(600)), y)
    events = np.r_[2**53 + 1 + np.arange(400), -np.arange(1, 101)].astype(np.int64)
    test = _frame(rows[:500], events)
    onx = to_onnx(model, test[:2])
    assert [i.name for i in onx.graph.input] == ["X", "event_number"]
    assert _input_types(onx) == {"X": "FLOAT", "event_number": "INT64"}
    mods = [n for n in onx.graph.node if n.op_type == "Mod"]
    assert len(mods) == 1 and mods[0].input[0] == "event_number"  # no float on the way
    feeds = {"X": test.drop(columns="event").to_numpy(np.float32),
             "event_number": test["event"].to_numpy()}
    label, proba = _run(onx, feeds, 777)
    expected = model.predict_proba(test)
    _close(proba, expected)  # every row, the odd event numbers included
    np.testing.assert_array_equal(label, model.predict(test))
    # the rule really picks one model per event: neighbours are in other folds
    by_model = [e.predict_proba(test.drop(columns="event")) for e in model.estimators_]
    np.testing.assert_allclose(expected, np.choose(
        (events % 3)[:, None], by_model), rtol=1e-12)
    assert pd.Series(events % 3).nunique() == 3


def test_uint64_event_numbers_above_2_63(rows):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    X, y = _data(600)
    train = _frame(X, pd.array(np.uint64(2**64 - 1) - np.arange(600, dtype=np.uint64),
                               dtype="uint64"))
    model = _folding(LogisticRegression(max_iter=1000), fold_column="event").fit(train, y)
    events = np.uint64(2**63) + 5 * np.arange(500, dtype=np.uint64)
    test = _frame(rows[:500], events)
    onx = to_onnx(model, test[:2])
    assert _input_types(onx) == {"X": "FLOAT", "event_number": "UINT64"}
    feeds = {"X": test.drop(columns="event").to_numpy(np.float32), "event_number": events}
    _, proba = _run(onx, feeds, 100)
    _close(proba, model.predict_proba(test))


def _input_types(onx):
    from onnx import TensorProto

    return {i.name: TensorProto.DataType.Name(i.type.tensor_type.elem_type)
            for i in onx.graph.input}


def _sklearn_classifiers():
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.tree import DecisionTreeClassifier

    return {
        "logistic": LogisticRegression(max_iter=1000),
        "scaled_logistic": make_pipeline(StandardScaler(), LogisticRegression()),
        "tree": DecisionTreeClassifier(max_depth=4, random_state=0),
        "forest": RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0),
        "boosting": GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0),
        "knn": KNeighborsClassifier(n_neighbors=5),
        "naive_bayes": GaussianNB(),
        "sklearn_mlp": make_pipeline(StandardScaler(), MLPClassifier(
            (8,), max_iter=50, random_state=0)),
        "softmax_network": make_pipeline(StandardScaler(), SoftmaxMLPClassifier((8,), **SMALL)),
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 50 epochs
@pytest.mark.parametrize("fold_column", [None, "event"])
@pytest.mark.parametrize("name", list(_sklearn_classifiers()))
def test_folding_around_any_classifier_runs_in_onnxruntime(name, fold_column, rows):
    X, y = _data(600)
    y = np.array(["WZ", "ZZ", "ttZ"])[y + (X[:, 2] > 0.05)]
    frame = _frame(X, np.arange(600) * 104729)
    test = _frame(rows[:2000], np.arange(2000) * 7 + 3)
    if fold_column is None:
        frame, test = frame.drop(columns="event"), test.drop(columns="event")
    model = _folding(_sklearn_classifiers()[name], fold_column=fold_column).fit(frame, y)
    onx = to_onnx(model, frame[:2])
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"]
    if fold_column is None:
        feeds = {"X": test.to_numpy(np.float32)}
    else:
        feeds = {"X": test.drop(columns="event").to_numpy(np.float32),
                 "event_number": test["event"].to_numpy(np.int64)}
    label, proba = _run(onx, feeds, 777)
    expected = model.predict_proba(test)
    _close(proba, expected)
    top = np.sort(expected, axis=1)
    clear = top[:, -1] - top[:, -2] > TOL  # rows on a tie may go either way
    np.testing.assert_array_equal(label[clear], model.predict(test)[clear])


def test_models_without_an_exact_graph_are_refused(tmp_path):
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    class MedianClassifier(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

        def predict(self, X):
            return self.classes_[np.zeros(len(X), dtype=int)]

    X, y = _data(300)
    frame = _frame(X, np.arange(300))
    path = tmp_path / "model.onnx"
    path.write_bytes(b"previous")
    # the graph gives probabilities: fold models without predict_proba cannot
    with pytest.raises(NotImplementedError, match=r"fold models \(LinearSVC\) have no "
                                                  r"predict_proba"):
        to_onnx(_folding(LinearSVC(), fold_column="event").fit(frame, y), frame[:2], path)
    # a step in front of the fold column would transform the event numbers
    from sklearn.preprocessing import FunctionTransformer

    pipe = make_pipeline(FunctionTransformer(),
                         _folding(LogisticRegression(max_iter=1000), fold_column=2))
    with pytest.raises(NotImplementedError, match="only as the model itself"):
        to_onnx(pipe.fit(frame.to_numpy(), y), frame[:2].to_numpy(), path)
    # a classifier skl2onnx does not know: a clear error, not a broken graph
    with pytest.raises(NotImplementedError,
                       match=r"cannot export FoldingClassifier\(MedianClassifier\)"):
        to_onnx(_folding(MedianClassifier()).fit(X, y), X[:2], path)
    # nothing was written over the previous file, and no temporary file is left
    assert path.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_graph_is_checked_in_onnxruntime_before_it_is_returned(monkeypatch):
    """A converter that writes a graph ONNX Runtime rejects gives an error, not the graph."""
    from onnx import TensorProto

    from physml_sklearn.persistence import _onnx

    X, y = _data(300)
    model = DropoutMLPClassifier((8,), **SMALL).fit(X, y)

    def broken_labels(em, classes, index, output):  # float indices: an invalid Gather
        index = em.node("Cast", [index], "index_float", to=TensorProto.FLOAT)
        em.node("Gather", [_onnx._labels_const(em, classes), index], outputs=[output], axis=0)

    monkeypatch.setattr(_onnx, "_emit_labels", broken_labels)
    with pytest.raises(NotImplementedError, match="ONNX Runtime rejects the graph"):
        to_onnx(model, X[:2])
    # without onnxruntime, the ONNX checker's type inference stands in for it
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(NotImplementedError, match="invalid ONNX graph for DropoutMLPClassifier"):
        to_onnx(model, X[:2])
