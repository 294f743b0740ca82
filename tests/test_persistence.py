"""save / load: round trips without pickle, refusals, damaged files."""

import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

import physml_sklearn
from physml_sklearn import (
    AutoEncoder,
    AutoEncoderOutlierDetector,
    DropoutMLPClassifier,
    FoldingClassifier,
    GANSampler,
    SoftmaxMLPClassifier,
    load,
    save,
)
from physml_sklearn.inspection import PermutationFeatureElimination
from physml_sklearn.persistence import (
    ModelFileError,
    UntrustedTypeError,
    get_untrusted_types,
    read_versions,
)

METHODS = (
    "predict", "predict_proba", "predict_log_proba", "decision_function",
    "transform", "inverse_transform", "score_samples",
)


def _data(n=300, n_classes=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    if n_classes == 3:
        y = y + (X[:, 2] > 1)
    return X, y


def _fit(name):
    X, y = _data()
    small = dict(batch_size=64, max_epochs=3, random_state=0)
    if name == "dropout_pipeline":
        model = make_pipeline(StandardScaler(), DropoutMLPClassifier((16, 8), **small))
    elif name == "dropout_early_stopping":
        model = DropoutMLPClassifier((16, 8), early_stopping=True, **small)
    elif name == "softmax_strings":
        y = np.array(["WZ", "ZZ", "ttZ"])[_data(n_classes=3)[1]]
        model = SoftmaxMLPClassifier((8,), class_weight="balanced", **small)
    elif name == "autoencoder":
        model = AutoEncoder(encoder_layers=(8,), latent_dim=2, dropout=0.1, **small)
        y = None
    elif name == "autoencoder_target":
        model = AutoEncoder(encoder_layers=(8,), latent_dim=2, **small)
        y = np.column_stack([X[:, 0], X[:, 1] ** 2])
    elif name == "outlier":
        model = AutoEncoderOutlierDetector(encoder_layers=(8,), latent_dim=2, **small)
        y = None
    elif name == "gan":
        model = GANSampler(latent_dim=2, generator_layers=(8,), discriminator_layers=(8,),
                           snapshot_epochs=[1, 3], **small)
        y = None
    elif name == "gan_given_y":  # conditional where the sampler supports it
        model = GANSampler(latent_dim=2, generator_layers=(8,), discriminator_layers=(8,),
                           **small)
        X, y = X[:, 1:], X[:, 0]
    elif name == "elimination":
        model = PermutationFeatureElimination(
            SoftmaxMLPClassifier((8,), **small), step=0.5, cv=2, n_repeats=1, random_state=0
        )
    elif name == "folding":
        from physml_sklearn.folding import FoldingClassifier

        model = FoldingClassifier(
            make_pipeline(StandardScaler(), DropoutMLPClassifier((8,), **small)), n_folds=3
        )
    elif name == "folding_event_numbers":
        from physml_sklearn.folding import FoldingClassifier

        frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
        frame["event"] = np.arange(len(frame)) * 7919
        model = FoldingClassifier(
            make_pipeline(StandardScaler(), SoftmaxMLPClassifier((8,), **small)),
            fold_column="event",
        )
        X = frame
    elif name == "column_transformer":
        frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
        columns = ColumnTransformer(
            [("log", FunctionTransformer(np.log1p), ["a"]),
             ("scale", MinMaxScaler(), ["b", "c", "d"])],
            remainder="drop",
        )
        model = make_pipeline(columns, DropoutMLPClassifier((8,), **small))
        X = frame.abs()
    else:  # pragma: no cover
        raise ValueError(name)
    return model.fit(X, y), X


def _outputs(model, X):
    out = {}
    for method in METHODS:
        if method == "score_samples" and getattr(model, "n_outputs_", 4) != 4:
            continue  # an autoencoder trained on another target scores with y
        if hasattr(model, method):
            arg = model.transform(X) if method == "inverse_transform" else X
            out[method] = np.asarray(getattr(model, method)(arg))
    if hasattr(model, "out_of_fold_proba_"):
        out["out_of_fold_proba_"] = model.out_of_fold_proba_
    if isinstance(model, GANSampler):
        if getattr(model, "condition_transformer_", None) is not None:  # conditional
            y = _data()[0][:, 0]
            out["sample"] = model.sample(50, random_state=3, y=y[:50])
            out["score"] = np.asarray(model.score(X, y))
        else:
            out["sample"] = model.sample(50, random_state=3)
            out["score"] = np.asarray(model.score(X))
    return out


MODELS = [
    "dropout_pipeline", "dropout_early_stopping", "softmax_strings", "autoencoder",
    "autoencoder_target", "outlier", "gan", "gan_given_y", "elimination", "column_transformer",
    "folding", "folding_event_numbers",
]


@pytest.mark.parametrize("name", MODELS)
def test_round_trip_is_bit_identical(name, tmp_path):
    model, X = _fit(name)
    before = _outputs(model, X)
    assert before
    path = save(model, tmp_path / "model.physml")
    loaded = load(path)
    assert type(loaded) is type(model)
    assert loaded.get_params().keys() == model.get_params().keys()
    after = _outputs(loaded, X)
    assert after.keys() == before.keys()
    for method, values in before.items():
        assert values.dtype == after[method].dtype, method
        np.testing.assert_array_equal(after[method], values, err_msg=method)


def _assert_same(a, b, where):
    """``a`` and ``b`` equal, recursing into containers and estimators."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            _assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
        assert a.dtype == b.dtype, where
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert type(a) is type(b), where
        _assert_same(vars(a), vars(b), where)
    else:
        assert a == b or (a != a and b != b), where  # NaN equals NaN here


def test_fitted_attributes_survive(tmp_path):
    model, X = _fit("gan")
    loaded = load(save(model, tmp_path / "gan.physml"))
    fitted = [k for k in vars(model) if k.endswith("_") and k not in ("net_", "history_")]
    assert {"n_features_in_", "loss_curve_", "snapshots_", "n_iter_"} <= set(fitted)
    for name in fitted:
        _assert_same(getattr(model, name), getattr(loaded, name), name)
    assert loaded.snapshots_.keys() == {1, 3}
    assert loaded.net_.generator_steps_ == model.net_.generator_steps_
    assert [row["epoch"] for row in loaded.history_] == [1, 2, 3]
    # the three networks are back: the generator, its average and the discriminator
    for name in ("module_", "generator_average_", "discriminator_"):
        a, b = getattr(loaded.net_, name), getattr(model.net_, name)
        for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
            assert ka == kb
            assert torch.equal(va, vb)


def test_loaded_model_keeps_training(tmp_path):
    model, X = _fit("dropout_pipeline")
    loaded = load(save(model, tmp_path / "m.physml"))
    loaded.set_params(dropoutmlpclassifier__warm_start=True).fit(X, _data()[1])
    assert loaded[-1].n_iter_ == 3 and len(loaded[-1].loss_curve_) == 6


def test_feature_names_optimizer_class_and_tensors_survive(tmp_path):
    X, y = _data()
    frame = pd.DataFrame(X, columns=["pt", "eta", "phi", "m"])
    clf = DropoutMLPClassifier((8,), max_epochs=2, optimizer=torch.optim.SGD, random_state=0)
    clf.fit(frame, y)
    clf.extra_ = torch.arange(6.0).reshape(2, 3)  # a fitted attribute that is a tensor
    loaded = load(save(clf, tmp_path / "m.physml"))
    assert loaded.optimizer is torch.optim.SGD
    np.testing.assert_array_equal(loaded.feature_names_in_, ["pt", "eta", "phi", "m"])
    assert torch.equal(loaded.extra_, clf.extra_)
    np.testing.assert_array_equal(loaded.predict_proba(frame), clf.predict_proba(frame))


def test_cuda_model_loads_on_cpu(tmp_path, monkeypatch):
    """A model trained on a GPU (simulated) loads and predicts on the CPU."""
    model, X = _fit("dropout_pipeline")
    expected = model.predict_proba(X)
    clf = model[-1]
    clf.device = "cuda"  # as fitted on a GPU: the parameter and the net's device
    clf.net_.device = "cuda"
    path = save(model, tmp_path / "m.physml")
    assert '"device":"cuda"' in zipfile.ZipFile(path).read("model.json").decode()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert not any(p.suffix == ".partial" for p in tmp_path.iterdir())
    loaded = load(path)
    assert loaded[-1].device == "cpu"
    assert loaded[-1].net_.device == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    with pytest.raises(ValueError, match="CUDA is not available"):
        load(path, device="cuda")
    # other accelerators absent from the machine, and the meta device, were
    # blamed on the file ("not a valid model file (RuntimeError: PyTorch is not
    # linked with support for mps devices)", an AssertionError for xpu)
    for device, message in (("mps", "torch has no 'mps' device on this machine"),
                            ("xpu", "torch has no 'xpu' device on this machine"),
                            ("meta", "holds no data")):
        with pytest.raises(ValueError, match=message):
            load(path, device=device)
        with pytest.raises(ValueError, match=message):
            clone(clf).set_params(device=device).fit(X, loaded.predict(X))
    # a GPU index the machine does not have
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match=r"device='cuda:1' but this machine has 1 CUDA device"):
        load(path, device="cuda:1")


def test_load_never_unpickles(tmp_path, monkeypatch):
    model, X = _fit("column_transformer")
    expected = model.predict_proba(X)
    path = save(model, tmp_path / "m.physml")

    def refuse(*args, **kwargs):
        raise AssertionError("load unpickled something")

    class Refuse:
        def __init__(self, *args, **kwargs):
            refuse()

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", Refuse)
    monkeypatch.setattr(torch, "load", refuse)
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


def test_file_holds_no_pickle(tmp_path):
    model, _ = _fit("elimination")
    path = save(model, tmp_path / "m.physml")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert "model.json" in names
        assert any(n.endswith(".safetensors") for n in names)
        for name in names:
            data = archive.read(name)
            assert not data.startswith(b"\x80"), f"{name} looks like a pickle"
            if name.endswith(".npy"):
                np.load(io.BytesIO(data), allow_pickle=False)


def _rewrite(path, edit):
    """Rewrite the manifest of the model file ``path`` through ``edit``."""
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(members["model.json"])
    members["model.json"] = json.dumps(edit(manifest)).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("name", ["os:system", "builtins:eval", "sklearn.utils._testing:os.system",
                                  "physml_sklearn._core._base:torch.load",
                                  "sklearn.utils._testing:TempMemmap"])
def test_file_naming_another_class_is_refused(name, tmp_path):
    model, _ = _fit("dropout_pipeline")
    path = save(model, tmp_path / "m.physml")

    def edit(manifest):
        text = json.dumps(manifest).replace("physml_sklearn.classifier:DropoutMLPClassifier", name)
        return json.loads(text)

    _rewrite(path, edit)
    shown = name.split(":")[-1].split(".")[-1]
    with pytest.raises(UntrustedTypeError, match=f"names the type .*{shown}"):
        load(path)


def test_skops_member_naming_another_class_is_refused(tmp_path):
    model, _ = _fit("dropout_pipeline")
    path = save(model, tmp_path / "m.physml")
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    name = next(n for n in members if n.startswith("skops/"))
    # the skops file of the scaler, edited to name os.system
    with zipfile.ZipFile(io.BytesIO(members[name])) as inner:
        parts = {n: inner.read(n) for n in inner.namelist()}
    schema = json.loads(parts["schema.json"])
    assert schema["__class__"] == "StandardScaler"
    schema["__module__"], schema["__class__"] = "posix", "system"
    parts["schema.json"] = json.dumps(schema).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        for n, data in parts.items():
            inner.writestr(n, data)
    members[name] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for n, data in members.items():
            archive.writestr(n, data)
    with pytest.raises(UntrustedTypeError, match="names the type posix.system"):
        load(path)


def test_truncated_or_corrupted_file_gives_a_clear_error(tmp_path):
    model, _ = _fit("dropout_pipeline")
    path = save(model, tmp_path / "m.physml")
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        bad = tmp_path / f"cut{cut}.physml"
        bad.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="truncated or damaged|not a model file"):
            load(bad)
    corrupted = bytearray(data)
    start = data.find(b"weights/")  # inside the stored safetensors member
    corrupted[start + 200 : start + 260] = b"\x00" * 60
    bad = tmp_path / "corrupted.physml"
    bad.write_bytes(bytes(corrupted))
    with pytest.raises(ModelFileError, match="truncated or damaged|damaged"):
        load(bad)
    text = tmp_path / "text.physml"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match="not a model file"):
        load(text)
    with pytest.raises(FileNotFoundError, match="No model file"):
        load(tmp_path / "missing.physml")


def test_edited_json_gives_a_clear_error(tmp_path):
    model, _ = _fit("dropout_pipeline")
    path = save(model, tmp_path / "m.physml")
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["model.json"] = members["model.json"][:-40]
    with zipfile.ZipFile(path, "w") as archive:
        for n, data in members.items():
            archive.writestr(n, data)
    with pytest.raises(ModelFileError, match="truncated or damaged"):
        load(path)


def test_weights_of_another_shape_are_refused(tmp_path):
    model, _ = _fit("dropout_pipeline")
    path = save(model, tmp_path / "m.physml")

    def edit(manifest):
        text = json.dumps(manifest)
        return json.loads(text.replace('"hidden_layer_sizes": {"__kind__": "tuple", "items": '
                                       '[16, 8]}', '"hidden_layer_sizes": {"__kind__": '
                                       '"tuple", "items": [16, 9]}'))

    _rewrite(path, edit)
    with pytest.raises(ModelFileError, match="do not fit the network"):
        load(path)


def test_version_warning(tmp_path):
    model, _ = _fit("dropout_pipeline")
    path = save(model, tmp_path / "m.physml")
    assert read_versions(path)["physml_sklearn"] == physml_sklearn.__version__

    def edit(manifest):
        manifest["versions"]["torch"] = "1.13.0"
        manifest["versions"]["physml_sklearn"] = "7.0"
        return manifest

    _rewrite(path, edit)
    with pytest.warns(UserWarning, match=r"other major versions of physml_sklearn 7\.0.*torch"):
        load(path)


def test_unfitted_models_are_refused(tmp_path):
    for model in (DropoutMLPClassifier(), make_pipeline(StandardScaler(), AutoEncoder()),
                  GANSampler()):
        with pytest.raises(NotFittedError):
            save(model, tmp_path / "m.physml")
    assert not (tmp_path / "m.physml").exists()


def test_objects_that_need_pickle_are_refused(tmp_path):
    X, y = _data()
    from skorch.callbacks import EpochScoring

    clf = DropoutMLPClassifier((8,), max_epochs=1, callbacks=[EpochScoring("accuracy")]).fit(X, y)
    with pytest.raises(UntrustedTypeError, match="callbacks=None"):
        save(clf, tmp_path / "m.physml")
    ae = AutoEncoder(encoder=torch.nn.Linear(4, 2), latent_dim=2, max_epochs=1).fit(X)
    with pytest.raises(UntrustedTypeError, match="torch.nn.modules.linear.Linear"):
        save(ae, tmp_path / "m.physml")


def test_file_size_is_the_weights_plus_a_few_kib(tmp_path):
    X, y = _data(n=2000)
    clf = DropoutMLPClassifier(max_epochs=20, random_state=0).fit(X, y)  # default network
    raw = sum(p.numel() * 4 for p in clf.net_.module_.parameters())
    size = save(make_pipeline(StandardScaler().fit(X), clf), tmp_path / "m.physml").stat().st_size
    assert raw < size <= 1.2 * raw + 8 * 1024, (raw, size)


def test_object_of_a_trusted_package_that_is_no_estimator_is_refused(tmp_path):
    model, _ = _fit("dropout_pipeline")
    path = save(model, tmp_path / "m.physml")

    def edit(manifest):
        text = json.dumps(manifest).replace("sklearn.pipeline:Pipeline",
                                            "sklearn.utils._testing:TempMemmap")
        return json.loads(text)

    _rewrite(path, edit)
    with pytest.raises(UntrustedTypeError, match="TempMemmap, which is not trusted"):
        load(path)
    # trusting the name does not make it an estimator
    with pytest.raises(UntrustedTypeError, match="TempMemmap, which is not a BaseEstimator"):
        load(path, trusted=["sklearn.utils._testing:TempMemmap"])


def test_cuda_folding_model_loads_on_cpu(tmp_path, monkeypatch):
    model, X = _fit("folding")
    expected = model.predict_proba(X)
    model.set_params(estimator__dropoutmlpclassifier__device="cuda")  # the unfitted template
    for pipeline in model.estimators_:
        pipeline[-1].device = pipeline[-1].net_.device = "cuda"
    path = save(model, tmp_path / "m.physml")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load(path)
    assert loaded.estimator[-1].device == "cpu"
    assert {p[-1].device for p in loaded.estimators_} == {"cpu"}
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


@pytest.mark.parametrize("edit", [
    lambda m: {**m, "model": {"__kind__": "key", "items": []}},
    lambda m: {**m, "model": {"__kind__": "dict", "items": 3}},
    lambda m: {**m, "model": {"__kind__": "array", "file": "arrays/999.npy"}},
    lambda m: {**m, "model": {"__kind__": "object", "class": "sklearn.pipeline:Pipeline",
                              "state": []}},
    lambda m: {**m, "format_version": 99},
    lambda m: {**m, "model": {"__kind__": "bunch", "items": [[1, 2]]}},
])
def test_malformed_manifest_gives_a_clear_error(edit, tmp_path):
    model, _ = _fit("dropout_pipeline")
    path = save(model, tmp_path / "m.physml")
    _rewrite(path, edit)
    with pytest.raises(ModelFileError, match="model file|format version"):
        load(path)


def test_voting_ensemble_of_networks_round_trips(tmp_path):
    """A VotingClassifier keeps its fitted members in a Bunch (named_estimators_)."""
    from sklearn.ensemble import VotingClassifier
    from sklearn.utils import Bunch

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    networks = [(f"n{k}", DropoutMLPClassifier(hidden_layer_sizes=(4,), max_epochs=2,
                                               random_state=k)) for k in range(2)]
    model = FoldingClassifier(VotingClassifier(networks, voting="soft"),
                              random_state=0).fit(X, y)
    loaded = load(save(model, tmp_path / "m.physml"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    members = loaded.estimators_[0].named_estimators_
    assert type(members) is Bunch and members.n0 is members["n0"]


def test_every_public_estimator_is_registered():
    """A file holding any estimator of the package loads with the default
    trust: a new estimator must be listed in PACKAGE_ESTIMATORS."""
    import inspect

    from sklearn.base import BaseEstimator

    from physml_sklearn import folding, inspection
    from physml_sklearn.persistence._registry import default_registry, name_of

    registry = default_registry()
    public = [getattr(m, n) for m in (physml_sklearn, folding, inspection) for n in m.__all__]
    estimators = {o for o in public if inspect.isclass(o) and issubclass(o, BaseEstimator)}
    assert len(estimators) >= 7
    missing = sorted(name_of(c) for c in estimators if name_of(c) not in registry)
    assert not missing, f"add them to persistence._registry.PACKAGE_ESTIMATORS: {missing}"


def test_trusted_functions_round_trip(tmp_path):
    X, y = _data()
    model = make_pipeline(
        FunctionTransformer(np.clip, kw_args={"a_min": -1.0, "a_max": 1.0}),
        DropoutMLPClassifier((8,), max_epochs=2, random_state=0),
    ).fit(X, y)
    with pytest.raises(UntrustedTypeError, match="numpy:clip"):
        save(model, tmp_path / "m.physml")
    path = save(model, tmp_path / "m.physml", trusted=["numpy:clip"])
    assert get_untrusted_types(path) == ["numpy:clip"]
    with pytest.raises(UntrustedTypeError, match=r"trusted=\['numpy:clip'\]"):
        load(path)
    loaded = load(path, trusted=[np.clip])  # the function itself is accepted too
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # the default trust: ufuncs load without trusted
    ufunc = make_pipeline(FunctionTransformer(np.log1p, inverse_func=np.expm1),
                          DropoutMLPClassifier((8,), max_epochs=2, random_state=0))
    ufunc.fit(np.abs(X), y)
    path = save(ufunc, tmp_path / "u.physml")
    assert get_untrusted_types(path) == []
    np.testing.assert_array_equal(load(path).predict_proba(np.abs(X)),
                                  ufunc.predict_proba(np.abs(X)))


@pytest.mark.parametrize("name", ["gan", "folding", "elimination", "outlier"])
def test_files_of_every_kind_hold_only_trusted_names(name, tmp_path):
    model, _ = _fit(name)
    assert get_untrusted_types(save(model, tmp_path / "m.physml")) == []


def test_scikit_learn_names_are_checked_without_the_full_walk(tmp_path, monkeypatch):
    """The estimators all_estimators lists, and only those, found one name at a time."""
    from physml_sklearn.persistence import _registry

    walk = _registry._all_estimators()
    assert len(walk) > 150
    _registry.sklearn_estimator.cache_clear()
    for name, cls in walk.items():
        assert _registry.sklearn_estimator(name) is cls, name
    for name in ("sklearn.base:BaseEstimator", "sklearn.utils._testing:MinimalClassifier",
                 "sklearn.utils:Bunch", "sklearn.ensemble._base:BaseEnsemble",
                 "os:system", "sklearn.pipeline:Pipeline.__init__", "sklearn:__import__",
                 "sklearn.externals.array_api_compat:numpy", "sklearn.tests.x:Y"):
        assert _registry.sklearn_estimator(name) is None, name

    def no_walk():
        raise AssertionError("the full walk of scikit-learn ran")

    _registry.sklearn_estimator.cache_clear()
    monkeypatch.setattr(_registry, "_all_estimators", no_walk)
    X, y = _data()
    model = make_pipeline(StandardScaler(), PCA(2), DropoutMLPClassifier(
        hidden_layer_sizes=(4,), max_epochs=1, random_state=0)).fit(X, y)
    path = save(model, tmp_path / "m.physml")
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))
    _registry.sklearn_estimator.cache_clear()
