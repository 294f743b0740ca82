"""The scoring summary of model files and the numpy scorer ``apply`` uses."""

import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from physml_sklearn import (
    DropoutMLPClassifier,
    FoldingClassifier,
    SoftmaxMLPClassifier,
    load,
    save,
)
from physml_sklearn.persistence import _scoring
from physml_sklearn.persistence._scoring import read_scorer

rng = np.random.default_rng(0)
N = 700
FRAME = pd.DataFrame({
    "pt": rng.exponential(40.0, N),
    "eta": rng.normal(0.0, 1.5, N),
    "n_jets": rng.integers(0, 6, N),
    "event_number": rng.integers(0, 2**62, N),
    "is_mu": rng.random(N) < 0.5,
})
LABELS = np.where(FRAME["pt"] + 10 * FRAME["eta"] + rng.normal(0, 20, N) > 40,
                  "signal", "background")
THREE = np.where(FRAME["n_jets"] > 3, "ttZ", LABELS)


def mlp(**params):
    return DropoutMLPClassifier(hidden_layer_sizes=(16, 8), max_epochs=3, random_state=0,
                                **params)


def columns(scorer, frame):
    return [frame[name].to_numpy() for name in scorer.features]


def saved(model, tmp_path, name="m.physml"):
    path = tmp_path / name
    save(model, path)
    return path


def check_same(model, frame, tmp_path, atol=1e-6):
    path = saved(model, tmp_path)
    scorer = read_scorer(path)
    assert scorer is not None
    fast = scorer.predict_proba(columns(scorer, frame))
    slow = load(path).predict_proba(frame[scorer.features])
    assert fast.shape == slow.shape and fast.dtype == np.float64
    np.testing.assert_allclose(fast, slow, rtol=0, atol=atol)
    np.testing.assert_allclose(fast.sum(axis=1), 1.0, atol=1e-12)
    return fast


FEATURES = ["pt", "eta", "n_jets", "is_mu"]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "elu"])
def test_a_pipeline_scores_as_the_loaded_model(tmp_path, activation):
    model = make_pipeline(StandardScaler(), mlp(activation=activation))
    model.fit(FRAME[FEATURES], LABELS)
    check_same(model, FRAME, tmp_path)


def test_bare_and_softmax_classifiers(tmp_path):
    check_same(mlp().fit(FRAME[FEATURES], LABELS), FRAME, tmp_path)
    softmax = SoftmaxMLPClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0)
    check_same(softmax.fit(FRAME[FEATURES], THREE), FRAME, tmp_path)
    integers = mlp().fit(FRAME[FEATURES], (LABELS == "signal").astype(int))
    assert read_scorer(saved(integers, tmp_path)).classes == [0, 1]
    check_same(integers, FRAME, tmp_path)


@pytest.mark.parametrize("dtype", [np.int64, np.uint64, np.int32])
def test_the_fold_rule_on_exact_integers(tmp_path, dtype):
    frame = FRAME.assign(event_number=FRAME["event_number"].astype(dtype))
    if dtype is np.uint64:  # beyond int64 and far beyond float64's mantissa
        frame["event_number"] += np.uint64(2**63)
    model = FoldingClassifier(make_pipeline(StandardScaler(), mlp()), n_folds=3,
                              fold_column="event_number", random_state=0)
    model.fit(frame[FEATURES + ["event_number"]], LABELS)
    fast = check_same(model, frame, tmp_path)
    # each row from the fold model event_number % 3, not an average
    folds = np.array([int(v) % 3 for v in frame["event_number"]])
    inner = [est.predict_proba(frame[FEATURES]) for est in model.estimators_]
    np.testing.assert_allclose(fast, np.stack(inner)[folds, np.arange(N)], atol=1e-6)


def test_the_fold_models_averaged_with_classes_a_fold_lacks(tmp_path):
    labels = THREE.copy()
    model = FoldingClassifier(SoftmaxMLPClassifier((8,), max_epochs=2, random_state=0),
                              n_folds=2, random_state=0)
    model.fit(FRAME[FEATURES], labels)
    check_same(model, FRAME, tmp_path)


def test_many_chunks_on_several_threads_give_the_same_numbers(tmp_path, monkeypatch):
    model = make_pipeline(StandardScaler(), mlp()).fit(FRAME[FEATURES], LABELS)
    scorer = read_scorer(saved(model, tmp_path))
    whole = scorer.predict_proba(columns(scorer, FRAME))
    monkeypatch.setattr(_scoring, "CHUNK_ROWS", 64)
    monkeypatch.setattr(_scoring, "_threads", lambda: 1)
    one = scorer.predict_proba(columns(scorer, FRAME))
    np.testing.assert_allclose(one, whole, rtol=0, atol=1e-6)
    for n_threads in (2, 3, 5):
        monkeypatch.setattr(_scoring, "_threads", lambda n=n_threads: n)
        np.testing.assert_array_equal(scorer.predict_proba(columns(scorer, FRAME)), one)


@pytest.mark.parametrize("model", [
    make_pipeline(MinMaxScaler(), mlp()),  # a transformer the summary does not know
    mlp(activation="gelu"),  # an activation numpy does not compute here
])
def test_models_without_a_summary(tmp_path, model):
    path = saved(model.fit(FRAME[FEATURES], LABELS), tmp_path)
    assert "scoring" not in json.loads(zipfile.ZipFile(path).read("model.json"))
    assert read_scorer(path) is None
    load(path)  # the file itself is as before


def test_no_summary_without_feature_names(tmp_path):
    path = saved(mlp().fit(FRAME[FEATURES].to_numpy(), LABELS), tmp_path)
    assert read_scorer(path) is None


def rewrite(path, edit):
    """The model file with its manifest changed by ``edit``."""
    with zipfile.ZipFile(path) as old:
        members = {info: old.read(info) for info in old.infolist()}
    manifest = json.loads(members[next(i for i in members if i.filename == "model.json")])
    edit(manifest)
    edited = path.with_name("edited.physml")
    with zipfile.ZipFile(edited, "w") as new:
        for info, data in members.items():
            if info.filename == "model.json":
                data = json.dumps(manifest).encode()
            new.writestr(info, data)
    return edited


def scoring_layers(manifest):
    return manifest["scoring"]["model"]["steps"][-1]["layers"]


@pytest.mark.parametrize("edit", [
    lambda m: m.pop("scoring"),
    lambda m: m["scoring"].update(version=2),
    lambda m: m["versions"].update(numpy="1.0.0"),  # read the full way, which warns
    lambda m: m["model"]["state"].update(extra={"__kind__": "type", "name": "os:system"}),
    lambda m: scoring_layers(m).pop(),  # the last layer missing: the shapes disagree
    lambda m: scoring_layers(m)[0].update(weight="module_.3.weight"),
    lambda m: m["scoring"]["model"]["steps"][0].update(mean=[1.0]),
    lambda m: m["scoring"]["model"]["steps"][0].update(scale=[0.0] * 4),
    lambda m: scoring_layers(m)[0].update(activation={"name": "exec"}),
    lambda m: m["scoring"]["model"].update(kind="pickle"),
    lambda m: m["scoring"].update(features="pt"),
])
def test_an_edited_summary_is_not_used(tmp_path, edit):
    model = make_pipeline(StandardScaler(), mlp()).fit(FRAME[FEATURES], LABELS)
    path = rewrite(saved(model, tmp_path), edit)
    assert read_scorer(path) is None


def test_damaged_files_give_none(tmp_path):
    model = make_pipeline(StandardScaler(), mlp()).fit(FRAME[FEATURES], LABELS)
    data = saved(model, tmp_path).read_bytes()
    (tmp_path / "short.physml").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.physml").write_text("not a zip")
    assert read_scorer(tmp_path / "short.physml") is None
    assert read_scorer(tmp_path / "text.physml") is None
    assert read_scorer(tmp_path / "missing.physml") is None


def test_values_the_model_refuses_are_left_to_it(tmp_path):
    model = FoldingClassifier(make_pipeline(StandardScaler(), mlp()), n_folds=2,
                              fold_column="event_number", random_state=0)
    model.fit(FRAME[FEATURES + ["event_number"]], LABELS)
    scorer = read_scorer(saved(model, tmp_path))
    nan = FRAME.copy()
    nan.loc[5, "pt"] = np.nan
    assert scorer.predict_proba(columns(scorer, nan)) is None
    huge = FRAME.copy()
    huge.loc[5, "pt"] = 1e300  # float32 overflows in the network
    assert scorer.predict_proba(columns(scorer, huge)) is None
    floats = FRAME.assign(event_number=FRAME["event_number"].astype(float))
    assert scorer.predict_proba(columns(scorer, floats)) is None
    assert scorer.predict_proba(columns(scorer, FRAME)[:-1]) is None


def test_reading_a_summary_imports_nothing_heavy(tmp_path):
    model = make_pipeline(StandardScaler(), mlp()).fit(FRAME[FEATURES], LABELS)
    path = saved(model, tmp_path)
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from physml_sklearn.persistence._scoring import read_scorer\n"
        f"scorer = read_scorer({str(path)!r})\n"
        "proba = scorer.predict_proba([np.ones(10)] * len(scorer.features))\n"
        "print(proba.shape, sorted(m for m in ('torch', 'sklearn', 'pandas', 'skops',"
        " 'skorch', 'scipy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "(10, 2) []"


# --- the apply command -------------------------------------------------------------

@pytest.fixture(scope="module")
def folded_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("apply")
    labels = np.where(LABELS == "signal", "signal", "background")
    model = FoldingClassifier(make_pipeline(StandardScaler(), mlp()), n_folds=2,
                              fold_column="event_number", random_state=0)
    model.fit(FRAME[FEATURES + ["event_number"]], labels)
    path = folder / "model.physml"
    save(model, path)
    return path


def apply_in_child(model, source, out):
    """Run ``apply`` in a fresh interpreter; the heavy modules it imported."""
    code = (
        "import sys\n"
        "from physml_sklearn._cli import main\n"
        f"code = main(['apply', {str(model)!r}, {str(source)!r}, '--out', {str(out)!r}])\n"
        "print(code, sorted(m for m in ('torch', 'sklearn', 'pandas', 'skops')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    return result


def test_apply_scores_parquet_without_torch(folded_model, tmp_path):
    source = tmp_path / "events.parquet"
    frame = FRAME.assign(score=-1.0, run=np.uint32(7))  # an old score column is replaced
    frame.to_parquet(source, index=False)
    out = tmp_path / "scored.parquet"
    result = apply_in_child(folded_model, source, out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []"
    assert f"{source}: {N} events scored" in result.stdout
    assert "(its scoring summary, with numpy)" in result.stdout
    table = pd.read_parquet(out)
    assert list(table.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(table.drop(columns="score"), frame.drop(columns="score"))
    model = load(folded_model)
    expected = model.predict_proba(FRAME[FEATURES + ["event_number"]])[:, 1]
    np.testing.assert_allclose(table["score"], expected, rtol=0, atol=1e-6)


def test_apply_leaves_what_the_model_refuses_to_the_model(folded_model, tmp_path):
    source = tmp_path / "events.parquet"
    FRAME.assign(pt=np.where(np.arange(N) == 3, np.nan, FRAME["pt"])).to_parquet(source)
    result = apply_in_child(folded_model, source, tmp_path / "scored.parquet")
    # the full way names the column and the event (the fast way left it alone)
    assert ("column 'pt': 1 event with a NaN or infinite value (the first is event 4 "
            "of the file") in result.stderr, result.stderr
    assert not (tmp_path / "scored.parquet").exists()
    text = tmp_path / "text.parquet"  # a text column: carried through the full way
    FRAME.assign(sample=["WZ"] * N).to_parquet(text, index=False)
    result = apply_in_child(folded_model, text, tmp_path / "scored.parquet")
    assert result.returncode == 0, result.stderr
    assert "'torch'" in result.stdout.strip().splitlines()[-1]
    assert pd.read_parquet(tmp_path / "scored.parquet")["sample"].eq("WZ").all()
