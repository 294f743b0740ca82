"""load_ntuples on real ROOT, Parquet, CSV and HDF5 files."""

import os
import re
import sys

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from physml_sklearn.datasets import _sources, load_ntuples
from physml_sklearn.datasets._ntuples import read_table

uproot = pytest.importorskip("uproot")
try:
    import tables  # noqa: F401

    HAS_TABLES = True
except ImportError:  # the hdf5 extra is not installed
    HAS_TABLES = False


def _frame(n, shift, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "met": rng.exponential(40 + 30 * shift, n),
        "m_ll": rng.normal(91 + shift, 3, n).astype(np.float32),
        "n_jets": rng.poisson(1 + shift, n).astype(np.int32),
        "event_number": np.arange(n, dtype=np.int64) + 1000 * seed,
        "w": rng.uniform(-0.1, 1.0, n),
    })


def _write_tree(path, branches, name="events"):
    """A classic TTree (uproot's ``file[name] = ...`` writes an RNTuple)."""
    with uproot.recreate(path) as f:
        f.mktree(name, {k: (v.type if isinstance(v, ak.Array) else v.dtype)
                        for k, v in branches.items()})
        f[name].extend(branches)


@pytest.fixture
def files(tmp_path):
    """A signal and a background sample in every format."""
    sig, bkg = _frame(300, 1.0, 1), _frame(500, 0.0, 2)
    out = {}
    for name, frame in [("sig", sig), ("bkg", bkg)]:
        root = tmp_path / f"{name}.root"
        _write_tree(root, {c: frame[c].to_numpy() for c in frame.columns})
        frame.to_parquet(tmp_path / f"{name}.parquet")
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        if HAS_TABLES:
            frame.to_hdf(tmp_path / f"{name}.h5", key="events", format="table")
        out[name] = frame
    out["dir"] = tmp_path
    return out


def test_root_round_trip(files):
    d = files["dir"]
    events = load_ntuples(
        {"signal": f"{d}/sig.root:events", "background": f"{d}/bkg.root:events"},
        features=["met", "m_ll", "n_jets"], weight="w",
    )
    expected = pd.concat([files["sig"], files["bkg"]], ignore_index=True)
    assert events.feature_names == ["met", "m_ll", "n_jets"]
    pd.testing.assert_frame_equal(events.data, expected[["met", "m_ll", "n_jets"]])
    np.testing.assert_array_equal(events.target, np.r_[np.zeros(300), np.ones(500)])
    assert events.target.name == "target"
    assert events.target_names.tolist() == ["signal", "background"]
    np.testing.assert_array_equal(events.sample_weight, expected["w"])
    assert events.source.iloc[0] == f"{d}/sig.root:events"
    assert events.source.iloc[-1] == f"{d}/bkg.root:events"
    assert (events.source == f"{d}/sig.root:events").sum() == 300


def test_default_features_tree_name_and_arrays(files):
    d = files["dir"]
    events = load_ntuples({"s": f"{d}/sig.root", "b": [f"{d}/bkg.root"]}, weight="w",
                          as_frame=False)
    assert events.feature_names == ["met", "m_ll", "n_jets", "event_number"]
    assert events.data.dtype == np.float64 and events.data.shape == (800, 4)
    assert events.source[0] == f"{d}/sig.root:events"
    X, y = load_ntuples({"s": f"{d}/sig.root"}, return_X_y=True)
    assert X.shape == (300, 5) and (y == 0).all()


def test_root_is_read_in_chunks(files, monkeypatch):
    d = files["dir"]
    sources = {"signal": f"{d}/sig.root:events", "background": f"{d}/bkg.root:events"}
    whole = load_ntuples(sources, weight="w", selection="n_jets >= 1")
    calls = []
    real_iterate = uproot.TTree.iterate

    def counting_iterate(tree, *args, **kwargs):
        kwargs["step_size"] = 64  # entries per chunk
        for chunk in real_iterate(tree, *args, **kwargs):
            calls.append(sorted(chunk))
            yield chunk

    monkeypatch.setattr(uproot.TTree, "iterate", counting_iterate)
    chunked = load_ntuples(sources, weight="w", selection="n_jets >= 1")
    assert len(calls) == 5 + 8  # 300 / 64 and 500 / 64 entries, rounded up
    # only the requested branches: the features, the weight
    assert calls[0] == ["event_number", "m_ll", "met", "n_jets", "w"]
    pd.testing.assert_frame_equal(chunked.data, whole.data)
    calls.clear()
    load_ntuples(sources, features=["met"], weight="w", selection="n_jets >= 1")
    assert calls[0] == ["met", "n_jets", "w"]  # n_jets for the selection only


def test_selection_and_constant_weight(files):
    d = files["dir"]
    events = load_ntuples({"s": f"{d}/sig.root:events", "b": f"{d}/bkg.parquet"},
                          features=["met"], weight=0.25, selection="n_jets >= 2 and met > 20")
    sig, bkg = files["sig"], files["bkg"]
    n_sig = ((sig.n_jets >= 2) & (sig.met > 20)).sum()
    n_bkg = ((bkg.n_jets >= 2) & (bkg.met > 20)).sum()
    assert events.data.shape == (n_sig + n_bkg, 1)
    assert (events.sample_weight == 0.25).all()
    assert list(events.data.columns) == ["met"]


@pytest.mark.parametrize("ext", ["parquet", "csv", "h5"])
def test_pandas_formats_match_root(files, ext):
    if ext == "h5" and not HAS_TABLES:
        pytest.skip("HDF5 needs PyTables: the hdf5 extra")
    d = files["dir"]
    root = load_ntuples({"s": f"{d}/sig.root:events", "b": f"{d}/bkg.root:events"},
                        weight="w", selection="met > 30", as_frame=False)
    other = load_ntuples({"s": f"{d}/sig.{ext}", "b": f"{d}/bkg.{ext}"},
                         weight="w", selection="met > 30", as_frame=False)
    np.testing.assert_allclose(other.data, root.data)
    np.testing.assert_array_equal(other.target, root.target)
    np.testing.assert_allclose(other.sample_weight, root.sample_weight)
    assert other.feature_names == root.feature_names


def test_missing_file(files):
    with pytest.raises(FileNotFoundError, match=r"nope\.root \(class 's'\): no such file"):
        load_ntuples({"s": f"{files['dir']}/nope.root:events"})


def test_missing_tree(files):
    with pytest.raises(ValueError, match=r"sig\.root \(class 's'\) has no tree 'event'\. "
                                         r"Did you mean 'events'\?"):
        load_ntuples({"s": f"{files['dir']}/sig.root:event"})


def test_missing_branch(files):
    d = files["dir"]
    with pytest.raises(ValueError, match=r"sig\.root:events \(class 's'\) has no branch "
                                         r"'m_lll' \(feature\)\. Did you mean 'm_ll'\?"):
        load_ntuples({"s": f"{d}/sig.root:events", "b": f"{d}/bkg.root:events"},
                     features=["met", "m_lll"])
    with pytest.raises(ValueError, match=r"has no column 'weight' \(weight column\)"):
        load_ntuples({"s": f"{d}/sig.parquet"}, weight="weight")


def test_jagged_branch(tmp_path):
    path = tmp_path / "jets.root"
    _write_tree(path, {"met": np.arange(3.0), "jet_pt": ak.Array([[50.0, 30.0], [], [20.0]])})
    with pytest.raises(ValueError, match=r"jets\.root:events: branch 'jet_pt' is "
                                         r"variable-length.*reduce it to one number per event"):
        load_ntuples({"s": f"{path}:events"}, features=["met", "jet_pt"])
    # features=None keeps the scalar branches only (uproot's counter included)
    events = load_ntuples({"s": f"{path}:events"})
    assert "jet_pt" not in events.feature_names and "met" in events.feature_names
    frame = pd.DataFrame({"met": [1.0, 2.0], "jet_pt": [[1.0, 2.0], [3.0]]})
    frame.to_parquet(tmp_path / "jets.parquet")
    with pytest.raises(ValueError, match=r"jets\.parquet: column 'jet_pt' is variable-length"):
        load_ntuples({"s": tmp_path / "jets.parquet"}, features=["jet_pt"])


def test_rntuple(files, tmp_path):
    d = files["dir"]
    sig = files["sig"]
    with uproot.recreate(tmp_path / "sig_rn.root") as f:  # an RNTuple
        f["events"] = {c: sig[c].to_numpy() for c in sig.columns} | {
            "jet_pt": ak.Array([[1.0]] * len(sig))}
    sources = {"s": f"{tmp_path}/sig_rn.root:events", "b": f"{d}/bkg.root:events"}
    events = load_ntuples(sources, features=["met", "m_ll"], weight="w", selection="met > 10")
    keep = sig.met > 10
    np.testing.assert_allclose(events.data["met"][: keep.sum()], sig.met[keep])
    with pytest.raises(ValueError, match=r"sig_rn\.root:events: branch 'jet_pt' is "
                                         r"variable-length"):
        load_ntuples(sources, features=["jet_pt"])


def test_non_numeric_column(tmp_path):
    pd.DataFrame({"met": [1.0, 2.0], "run": ["a", "b"]}).to_csv(tmp_path / "x.csv",
                                                               index=False)
    with pytest.raises(ValueError, match=r"x\.csv: column 'run' is not numeric"):
        load_ntuples({"s": tmp_path / "x.csv"}, features=["met", "run"])
    with pytest.raises(ValueError, match=r"x\.csv: column 'run' is not numeric"):
        load_ntuples({"s": tmp_path / "x.csv"}, weight="run")
    assert load_ntuples({"s": tmp_path / "x.csv"}).feature_names == ["met"]


def test_selection_errors(files):
    d = files["dir"]
    with pytest.raises(ValueError, match=r"bkg\.root:events \(class 'b'\): the selection "
                                         r"'met > 1e6' keeps no event of 500"):
        load_ntuples({"b": f"{d}/bkg.root:events"}, selection="met > 1e6")
    with pytest.raises(ValueError, match=r"uses 'njets', which is not a column\. "
                                         r"Did you mean 'n_jets'\?"):
        load_ntuples({"b": f"{d}/bkg.csv"}, selection="njets > 1")
    # the close matches come from every branch, not only the ones read
    with pytest.raises(ValueError, match=r"bkg\.root:events: the selection 'metx > 1' uses "
                                         r"'metx', which is not a column\. Did you mean 'met'"):
        load_ntuples({"b": f"{d}/bkg.root:events"}, features=["m_ll"], selection="metx > 1")


@pytest.mark.parametrize("selection, match", [
    # DataFrame.query would call the method and write the file
    ("met.to_csv('{out}') == ''", r"uses the call 'met\.to_csv"),
    ("met.__class__ == 1", r"uses attribute access"),
    ("met[0] > 1", r"uses indexing"),
    ("met > @limit", r"refers to a Python variable with '@'"),
    ("__import__('os').getcwd() == ''", r"uses the call '__import__"),
    ("met > (lambda: 1)", r"uses .lambda: 1."),
    ("met > None", r"uses the constant None"),
    ("met >", r"is not an expression"),
])
def test_a_selection_is_a_cut_and_nothing_more(files, selection, match):
    d = files["dir"]
    out = d / "written.csv"
    with pytest.raises(ValueError, match=match):
        load_ntuples({"b": f"{d}/bkg.csv"}, selection=selection.format(out=out))
    assert not out.exists()


def test_a_selection_may_use_functions_lists_and_backticks(files):
    d = files["dir"]
    bkg = files["bkg"]
    events = load_ntuples({"b": f"{d}/bkg.csv"}, features=["met"],
                          selection="sqrt(`met`) > 4 & ~(n_jets in [0, 1]) | abs(m_ll - 91) < 1")
    expected = bkg.query("sqrt(met) > 4 & ~(n_jets in [0, 1]) | abs(m_ll - 91) < 1")
    assert len(events.data) == len(expected) > 0
    np.testing.assert_allclose(events.data["met"].to_numpy(), expected["met"].to_numpy())


def test_a_file_appears_once_under_one_class(files, tmp_path):
    d = files["dir"]
    # the same events as signal and background: a classifier of nothing, whose
    # report quoted a significance of 11.7 for the command line's own run
    with pytest.raises(ValueError, match=r"bkg\.csv is given for both class 's' and class "
                                         r"'b'; each file must appear once"):
        load_ntuples({"s": f"{d}/bkg.csv", "b": f"{d}/bkg.csv"})
    with pytest.raises(ValueError, match=r"given twice for class 'b' \(as .*bkg\.parquet\)"):
        load_ntuples({"s": f"{d}/sig.parquet",
                      "b": [f"{d}/bkg.parquet", f"{d}/../{d.name}/bkg.parquet"]})
    with pytest.raises(ValueError, match=r"bkg\.root:events is given for both"):
        load_ntuples({"s": f"{d}/bkg.root:events", "b": f"{d}/bkg.root:events"})
    # and under another name: a hard link (a symbolic one resolved to the same path)
    linked = tmp_path / "linked.csv"
    os.link(d / "bkg.csv", linked)
    with pytest.raises(ValueError, match=r"linked\.csv is given for both class 's' and class "
                                         r"'b' \(as .*bkg\.csv\)"):
        load_ntuples({"s": f"{d}/bkg.csv", "b": linked})
    # two trees of one ROOT file are two sources
    d_trees = files["dir"] / "two_trees.root"
    with uproot.recreate(d_trees) as out:
        out["sig"] = {"met": np.array([1.0, 2.0])}
        out["bkg"] = {"met": np.array([3.0, 4.0, 5.0])}
    events = load_ntuples({"s": f"{d_trees}:sig", "b": f"{d_trees}:bkg"})
    assert events.target.tolist() == [0, 0, 1, 1, 1]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_weight_that_is_not_a_number_is_refused(files, tmp_path, bad):
    frame = files["bkg"].copy()
    frame.loc[[3, 8], "w"] = bad
    frame.to_parquet(tmp_path / "holes.parquet")
    with pytest.raises(ValueError, match=r"holes\.parquet \(class 'b'\): the weight column "
                                         r"'w' holds 2 NaN or infinite value\(s\), the first "
                                         r"at event 3 .*selection='abs\(`w`\) < 1e30'"):
        load_ntuples({"b": tmp_path / "holes.parquet"}, weight="w")
    # the suggested selection drops exactly those events
    kept = load_ntuples({"b": tmp_path / "holes.parquet"}, weight="w",
                        selection="abs(`w`) < 1e30")
    assert len(kept.data) == len(frame) - 2
    assert np.isfinite(kept.sample_weight).all()


def test_sources_with_different_columns(files, tmp_path):
    d = files["dir"]
    files["bkg"].drop(columns="m_ll").to_parquet(tmp_path / "short.parquet")
    with pytest.raises(ValueError, match=r"with features=None every source must hold the "
                                         r"same numeric columns, but .*sig\.root:events has "
                                         r"\['m_ll'\]"):
        load_ntuples({"s": f"{d}/sig.root:events", "b": tmp_path / "short.parquet"})
    events = load_ntuples({"s": f"{d}/sig.root:events", "b": tmp_path / "short.parquet"},
                          features=["met", "n_jets"])
    assert events.data.shape == (800, 2)


def test_other_input_errors(files):
    d = files["dir"]
    with pytest.raises(ValueError, match=r"unknown file type '\.txt'"):
        load_ntuples({"s": f"{d}/sig.txt"})
    with pytest.raises(ValueError, match="sources must map each class label"):
        load_ntuples([f"{d}/sig.csv"])
    with pytest.raises(ValueError, match="weight must be a column name, a finite number"):
        load_ntuples({"s": f"{d}/sig.csv"}, weight=[1.0])
    with pytest.raises(ValueError, match=r"weight='w' is also among the features"):
        load_ntuples({"s": f"{d}/sig.csv"}, features=["met", "w"], weight="w")


def test_missing_uproot_names_the_extra(files, monkeypatch):
    monkeypatch.setitem(sys.modules, "uproot", None)
    with pytest.raises(ImportError, match=r'pip install "physml-sklearn\[root\]"'):
        load_ntuples({"s": f"{files['dir']}/sig.root:events"})
    assert _sources._ROOT_MIN_CHUNKS  # the module itself imports without uproot



def test_parquet_written_after_a_selection_keeps_its_index_out(tmp_path):
    # ``frame[mask].to_parquet(...)`` stores the pandas index as a column
    # (``__index_level_0__``): it is no branch of the events
    frame = _frame(200, 0.0, 3)
    selected = frame[frame.n_jets > 0]
    selected.to_parquet(tmp_path / "sel.parquet")
    events = load_ntuples({"s": str(tmp_path / "sel.parquet")}, weight="w")
    assert events.feature_names == ["met", "m_ll", "n_jets", "event_number"]
    np.testing.assert_array_equal(events.data["met"], selected["met"])


# -- files that must never run code, and columns that must never vanish --------

h5py = pytest.importorskip("h5py")


class _Payload:
    """Creates the canary file when unpickled: proof that a reader ran code."""

    def __init__(self, canary):
        self.canary = str(canary)

    def __reduce__(self):
        return (open, (self.canary, "w"))


def _hostile_h5(path, canary):
    """A fixed-format HDF5 table whose object column pickles a ``__reduce__`` payload."""
    frame = pd.DataFrame({"met": np.arange(6.0), "w": np.ones(6),
                          "bad": [_Payload(canary)] * 6})
    with pytest.warns(Warning):  # pandas warns that PyTables pickles the column
        frame.to_hdf(path, key="events", format="fixed")
    assert not canary.exists()
    return path


def run_command(*args, cwd):
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "physml_sklearn", *map(str, args)],
                          check=False, capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


@pytest.mark.skipif(not HAS_TABLES, reason="writing the hostile file needs PyTables")
def test_hdf5_object_column_is_refused_not_unpickled(tmp_path):
    canary = tmp_path / "CANARY"
    path = _hostile_h5(tmp_path / "evil.h5", canary)
    pattern = (r"evil\.h5:events \(class 's'\): column 'bad' holds Python objects, which "
               r"pandas stores with pickle; load_ntuples never unpickles")
    for features in (None, ["met"]):
        with pytest.raises(ValueError, match=pattern):
            load_ntuples({"s": str(path)}, features=features, weight="w")
        assert not canary.exists()
    from physml_sklearn._cli._io import read_table

    with pytest.raises(ValueError, match=r"column 'bad' holds Python objects"):
        read_table(str(path))
    assert not canary.exists()


@pytest.mark.skipif(not HAS_TABLES, reason="writing the hostile file needs PyTables")
def test_hdf5_object_column_is_refused_by_train_and_apply(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from physml_sklearn import FoldingClassifier, save

    canary = tmp_path / "CANARY"
    _hostile_h5(tmp_path / "evil.h5", canary)
    _frame(50, 0.0, 1).to_parquet(tmp_path / "ok.parquet")
    for sources in (["--signal", "evil.h5", "--background", "ok.parquet"],
                    ["--signal", "ok.parquet", "--background", "evil.h5:events"]):
        result = run_command("train", *sources, "--features", "met", "--out", "out",
                             cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "column 'bad' holds Python objects" in result.stderr
        assert "evil.h5" in result.stderr and "Traceback" not in result.stderr
        assert not canary.exists() and not (tmp_path / "out" / "model.physml").exists()
    X = pd.DataFrame({"met": np.arange(20.0)})
    save(FoldingClassifier(LogisticRegression()).fit(X, ["background", "signal"] * 10),
         tmp_path / "model.physml")
    result = run_command("apply", "model.physml", "evil.h5", "--out", "scored.parquet",
                         cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "evil.h5:events" in result.stderr and "column 'bad'" in result.stderr
    assert not canary.exists() and not (tmp_path / "scored.parquet").exists()


@pytest.mark.skipif(not HAS_TABLES, reason="writing the test file needs PyTables")
def test_hdf5_pickles_in_attributes_never_run(tmp_path):
    canary = tmp_path / "CANARY"
    path = tmp_path / "attrs.h5"
    _frame(40, 0.0, 1).to_hdf(path, key="events", format="table")
    payload = np.bytes_(__import__("pickle").dumps(_Payload(canary), protocol=0))
    with h5py.File(path, "a") as f:  # PyTables unpickles any attribute ending in "."
        for node in (f, f["events"], f["events/table"]):
            node.attrs["TITLE"] = payload
        f["events"].attrs["info"] = payload
    events = load_ntuples({"s": str(path)}, weight="w")
    assert events.feature_names == ["met", "m_ll", "n_jets", "event_number"]
    assert not canary.exists()
    with h5py.File(path, "a") as f:  # where the column names are: refused
        f["events/table"].attrs["values_block_0_kind"] = payload
    with pytest.raises(ValueError, match=r"attrs\.h5:events \(class 's'\): its attribute "
                                         r"'values_block_0_kind' .* is a pickle that would "
                                         r"run code \(the pickle instruction GLOBAL\)"):
        load_ntuples({"s": str(path)})
    assert not canary.exists()


def test_literal_pickles_read_plain_data_only():
    import pickle

    from physml_sklearn.datasets._hdf5 import _literal, _NotLiteral

    value = [("a", 1), {"b": [None, True, 2.5]}, "é"]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert _literal(pickle.dumps(value, protocol)) == value
    for hostile in (pickle.dumps(np.float64(1.0), 0), pickle.dumps(_Payload("x"), 2),
                    b"cos\nsystem\n(S'true'\ntR."):
        with pytest.raises(_NotLiteral) as info:
            _literal(hostile)
        assert info.value.unsafe
    with pytest.raises(_NotLiteral):
        _literal(b"(lp0\nVmet")  # cut short


@pytest.mark.skipif(not HAS_TABLES, reason="writing the test files needs PyTables")
@pytest.mark.parametrize("layout", ["fixed", "table", "data_columns"])
def test_hdf5_layouts_read_with_h5py_alone(tmp_path, monkeypatch, layout):
    frame = _frame(120, 0.0, 4)
    frame["flag"] = frame["n_jets"] > 1
    frame["u8"] = frame["n_jets"].astype(np.uint8)
    path = tmp_path / f"{layout}.h5"
    if layout == "fixed":
        frame.to_hdf(path, key="events", format="fixed")
    else:
        frame.to_hdf(path, key="events", format="table",
                     data_columns=True if layout == "data_columns" else None)
    frame["met"].to_hdf(tmp_path / "series.h5", key="met_only")
    monkeypatch.setitem(sys.modules, "tables", None)  # PyTables is never imported
    events = load_ntuples({"s": str(path)}, weight="w")
    assert events.feature_names == ["met", "m_ll", "n_jets", "event_number", "flag", "u8"]
    pd.testing.assert_frame_equal(events.data, frame[events.feature_names])
    np.testing.assert_array_equal(events.sample_weight, frame["w"])
    series = load_ntuples({"s": str(tmp_path / "series.h5")})
    np.testing.assert_array_equal(series.data["met"], frame["met"])


@pytest.mark.skipif(not HAS_TABLES, reason="writing the test files needs PyTables")
def test_hdf5_text_column(tmp_path):
    frame = _frame(30, 0.0, 5)
    frame["process"] = "ZZ"
    frame.to_hdf(tmp_path / "t.h5", key="events", format="table")
    with pytest.warns(UserWarning, match=r"'process' \(not numeric \(str\)\)"):
        events = load_ntuples({"s": str(tmp_path / "t.h5")}, weight="w")
    assert "process" not in events.feature_names
    with pytest.raises(ValueError, match=r"t\.h5:events: column 'process' is not numeric"):
        load_ntuples({"s": str(tmp_path / "t.h5")}, features=["met", "process"])
    from physml_sklearn._cli._io import read_table

    table = read_table(str(tmp_path / "t.h5"))  # carried through to apply's output
    assert table["process"].tolist() == ["ZZ"] * 30
    np.testing.assert_array_equal(table["met"], frame["met"])


def _csv_with_a_typo(tmp_path):
    frame = _frame(40, 0.0, 6)
    frame.to_csv(tmp_path / "bkg.csv", index=False)
    typo = frame.astype({"met": object})
    typo.loc[17, "met"] = "oops"
    typo.loc[30, "met"] = "12 GeV"
    typo.to_csv(tmp_path / "sig.csv", index=False)
    return frame


def test_text_cell_in_a_csv_column_of_numbers(tmp_path):
    _csv_with_a_typo(tmp_path)
    sources = {"s": str(tmp_path / "sig.csv"), "b": str(tmp_path / "bkg.csv")}
    pattern = (r"sig\.csv \(class 's'\): column 'met' has numbers with text among them: "
               r"2 of its 40 cells are not numbers, the first at row 17 \(counting from 0 "
               r"after the header\): 'oops'\. Correct those cells")
    for features in (None, ["met", "n_jets"]):
        with pytest.raises(ValueError, match=pattern):
            load_ntuples(sources, features=features, weight="w")
    with pytest.raises(ValueError, match=pattern):  # alone: no other file to compare
        load_ntuples({"s": sources["s"]})
    with pytest.raises(ValueError, match=r"column 'met' has numbers with text"):
        load_ntuples(sources, features=["n_jets"], weight="met")
    from physml_sklearn._cli._io import common_numeric_columns, read_table

    with pytest.raises(ValueError, match=pattern.replace("'s'", "'signal'")):
        common_numeric_columns([("signal", sources["s"]), ("background", sources["b"])])
    with pytest.raises(ValueError, match=r"sig\.csv \(class 'events'\): column 'met' has "
                                         r"numbers with text among them"):
        read_table(sources["s"])
    # the other columns still load when the broken one is left out
    events = load_ntuples(sources, features=["m_ll", "n_jets"], weight="w")
    assert events.data.shape == (80, 2)


def test_text_cell_in_a_csv_stops_train(tmp_path):
    _csv_with_a_typo(tmp_path)
    result = run_command("train", "--signal", "sig.csv", "--background", "bkg.csv",
                         "--weight", "w", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert ("sig.csv (class 'signal'): column 'met' has numbers with text among them"
            in result.stderr), result.stderr
    assert "row 17" in result.stderr and "'oops'" in result.stderr


def test_column_numeric_in_one_file_and_text_in_another(tmp_path):
    frame = _frame(20, 0.0, 7)
    frame.to_parquet(tmp_path / "a.parquet")
    frame.astype({"n_jets": str}).assign(n_jets="many").to_parquet(tmp_path / "b.parquet")
    sources = {"s": str(tmp_path / "a.parquet"), "b": str(tmp_path / "b.parquet")}
    with pytest.raises(ValueError, match=r"column 'n_jets' holds numbers in .*a\.parquet "
                                         r"but is not numeric \(.*\) in .*b\.parquet "
                                         r"\(class 'b'\)"):
        load_ntuples(sources, weight="w")
    from physml_sklearn._cli._io import common_numeric_columns

    with pytest.raises(ValueError, match=r"column 'n_jets' holds numbers"):
        common_numeric_columns(list(sources.items()))


def test_text_column_in_every_file_is_left_out_with_a_note(tmp_path, capsys):
    for name, process in [("a", "WZ"), ("b", "ZZ")]:
        _frame(20, 0.0, 8).assign(process=process).to_csv(tmp_path / f"{name}.csv",
                                                           index=False)
    sources = {"s": str(tmp_path / "a.csv"), "b": str(tmp_path / "b.csv")}
    with pytest.warns(UserWarning, match=r"1 column\(s\) are not among the default "
                                         r"features.*'process' \(not numeric"):
        events = load_ntuples(sources, weight="w")
    assert events.feature_names == ["met", "m_ll", "n_jets", "event_number"]
    from physml_sklearn._cli._io import common_numeric_columns

    _frame(20, 0.0, 9).assign(extra=1.0).to_csv(tmp_path / "c.csv", index=False)
    common = common_numeric_columns([("s", sources["s"]), ("b", str(tmp_path / "c.csv"))])
    assert common == ["met", "m_ll", "n_jets", "event_number", "w"]
    assert capsys.readouterr().err == (
        "physml-sklearn train: note: 2 column(s) are not among the default features, as "
        "they are not numbers in every file: 'process' (not numeric (str)), 'extra' (not "
        "in every file); name the inputs with --features to choose them\n")


def test_parquet_extension_type_with_a_pickle_is_not_unpickled(tmp_path):
    import pickle

    import pyarrow as pa
    import pyarrow.parquet as pq

    canary = tmp_path / "CANARY"
    hostile = {b"ARROW:extension:name": b"arrow.py_extension_type",
               b"ARROW:extension:metadata": pickle.dumps(_Payload(canary))}
    table = pa.table({"met": np.arange(5.0), "odd": np.arange(5.0)})
    schema = pa.schema([table.schema.field("met"),
                        table.schema.field("odd").with_metadata(hostile)],
                       metadata={b"pandas": b'{"index_columns": [], "columns": []}'})
    pq.write_table(table.cast(schema), tmp_path / "x.parquet")
    events = load_ntuples({"s": str(tmp_path / "x.parquet")})
    assert events.feature_names == ["met", "odd"]
    from physml_sklearn._cli._io import read_table

    assert read_table(str(tmp_path / "x.parquet")).shape == (5, 2)
    assert not canary.exists()


def test_a_file_claiming_more_rows_than_memory_is_refused(files, monkeypatch):
    d = files["dir"]
    # (the tree's own record, under 3 kB, fits in the memory the test leaves)
    monkeypatch.setattr(_sources._memory, "available_memory", lambda: 4000)
    for source in (f"{d}/sig.root:events", f"{d}/sig.parquet"):
        with pytest.raises(MemoryError, match=r"reading 2 column\(s\) of the 300 events "
                                              r"the file declares takes 4\.8e-06 GB, more "
                                              r"than the 4e-06 GB of memory available"):
            load_ntuples({"s": source}, features=["met", "m_ll"])
    # the record of the tree is read whole: its declared size is checked first
    monkeypatch.setattr(_sources._memory, "available_memory", lambda: 1000)
    with pytest.raises(MemoryError, match=r"sig\.root \(class 's'\): the record of the tree "
                                          r"'events' declares [0-9.e-]+ GB, more than the "
                                          r"1e-06 GB of memory available"):
        load_ntuples({"s": f"{d}/sig.root:events"}, features=["met", "m_ll"])
    if HAS_TABLES:
        with pytest.raises(MemoryError, match=r"sig\.h5:events \(class 's'\): reading 2 "):
            load_ntuples({"s": f"{d}/sig.h5"}, features=["met", "m_ll"])


def test_a_small_csv_that_parses_into_a_huge_table_is_refused(files, tmp_path, monkeypatch):
    # pandas fills a short line with NaN: 20,000 lines of "," under a header of
    # 2,000 columns (50 kB on disk) parse into 320 MB of float64
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(2000)) + "\n" + ",\n" * 20_000)
    assert path.stat().st_size < 60_000
    monkeypatch.setattr(_sources._memory, "available_memory", lambda: 100_000_000)
    with pytest.raises(MemoryError, match=r"wide\.csv \(class 's'\): reading 2000 column\(s\) "
                                          r"of the 20,001 lines the file holds takes 0\.32 GB"):
        load_ntuples({"s": path})
    # an ordinary file is read under the same limit
    assert len(load_ntuples({"s": files["dir"] / "sig.csv"}).data) == 300


def test_a_csv_line_cut_in_two_is_refused_by_its_number(tmp_path):
    # a stray newline: pandas filled both halves with NaN, and the second half
    # read as an event with met = 90 and m_ll = 1 (the weight)
    path = tmp_path / "cut.csv"
    path.write_text('met,m_ll,w\n1.0,91.0,1\n"2.0",\n90.0,1\n3.0,92.0,1\n')
    for weight in (None, "w"):
        with pytest.raises(ValueError, match=r"cut\.csv \(class 's'\): line 3 holds 2 "
                                             r"cell\(s\) where the header names 3: a line "
                                             r"cut in two"):
            load_ntuples({"s": path}, weight=weight)
    # a line of spaces alone is blank, skipped by pandas: no short line (it was
    # refused as one), and not the header either (pandas reads the next line as it)
    path.write_text("   \nmet,m_ll\n1,\n   \n2,3\n")
    np.testing.assert_array_equal(load_ntuples({"s": path}).data.to_numpy(),
                                  [[1.0, np.nan], [2.0, 3.0]])
    path.write_text("  \nmet,met\n1,2\n")
    with pytest.raises(ValueError, match="names the column\\(s\\) 'met' more than once"):
        load_ntuples({"s": path})
    # empty cells are missing values, read as NaN; a quoted cell may hold a newline,
    # and blank lines are skipped, as pandas does
    path.write_text('met,m_ll,w,note\n1.0,,1,"two\nlines"\n\n,91,,\n2,3,4,x\n')
    events = load_ntuples({"s": path}, features=["met", "m_ll", "w"])
    np.testing.assert_array_equal(events.data.to_numpy(),
                                  [[1.0, np.nan, 1.0], [np.nan, 91.0, np.nan], [2, 3, 4]])


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_csv_of_another_separator_is_named(tmp_path, separator):
    # "x.csv holds no numeric column with one number per event": the whole
    # header was one column name
    path = tmp_path / "x.csv"
    path.write_text(separator.join(["met", "m_ll"]) + "\n1" + separator + "2\n")
    with pytest.raises(ValueError, match=rf"x\.csv \(class 's'\): its header "
                                         rf"{re.escape(repr(separator.join(['met', 'm_ll'])))} "
                                         rf"is one column, its names separated by "
                                         rf"{re.escape(repr(separator))}; load_ntuples reads "
                                         r"comma-separated values"):
        load_ntuples({"s": path})


def test_a_column_named_twice_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from physml_sklearn._cli.apply import _parquet_tables

    # pandas read the second 'met' of a CSV header as 'met.1', a column of its own
    (tmp_path / "twice.csv").write_text("met,met,m_ll\n1,2,3\n4,5,6\n")
    # Arrow writes such a schema, and refuses to read a column of it by name
    pq.write_table(pa.Table.from_arrays([pa.array([1.0, 2.0])] * 3,
                                        names=["met", "met", "m_ll"]), tmp_path / "twice.parquet")
    for name in ("twice.csv", "twice.parquet"):
        with pytest.raises(ValueError, match=rf"{name.replace('.', '[.]')} \(class 's'\) names "
                                             r"the column\(s\) 'met' more than once"):
            load_ntuples({"s": tmp_path / name}, features=["m_ll"])
    assert _parquet_tables([tmp_path / "twice.parquet"], ["m_ll"]) is None
    if HAS_TABLES:  # pandas writes such an HDF5 table; the first 'met' was dropped
        frame = pd.DataFrame(np.arange(6.0).reshape(2, 3), columns=["met", "met", "m_ll"])
        frame.to_hdf(tmp_path / "twice.h5", key="t", format="table")
        with pytest.raises(ValueError, match=r"twice\.h5:t \(class 's'\): the column 'met' "
                                             r"is named more than once"):
            load_ntuples({"s": tmp_path / "twice.h5"}, features=["m_ll"])
    # a header of empty names (an unnamed index column) is no repeat
    (tmp_path / "index.csv").write_text(",,met\n0,a,1\n1,b,2\n")
    assert load_ntuples({"s": tmp_path / "index.csv"}, features=["met"]).data.shape == (2, 1)


def test_csv_lines_are_counted_with_or_without_a_last_newline(tmp_path):
    for text, n in [("a\n1\n2\n", 3), ("a\n1\n2", 3), ("", 0), ("a", 1)]:
        (tmp_path / "f.csv").write_text(text)
        assert _sources._count_lines(tmp_path / "f.csv", chunk_bytes=2) == n


# -- units ------------------------------------------------------------------------

def _retitle(path, old, new):
    """Rewrite one branch title in an uncompressed ROOT file (uproot writes 'name/D')."""
    assert len(old) == len(new) < 255
    data = path.read_bytes()
    old, new = bytes([len(old)]) + old.encode(), bytes([len(new)]) + new.encode()
    assert data.count(old) == 1
    path.write_bytes(data.replace(old, new))


def test_units_from_root_titles_and_parquet_metadata(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.root"
    with uproot.recreate(path, compression=None) as f:
        f.mktree("events", {"missing_et": np.float64, "eta": np.float64,
                            "m_ll": np.float64, "n": np.int32},
                 title="toy events; units: eta [], m_ll [MeV]")
        f["events"].extend({"missing_et": np.arange(4.0), "eta": np.zeros(4),
                            "m_ll": np.ones(4), "n": np.arange(4, dtype=np.int32)})
    # a branch title as ROOT users set it: the unit in brackets at its end
    _retitle(path, "missing_et/D", "MET [GeV]   ")
    events = load_ntuples({"s": f"{path}:events"})
    assert events.feature_units == {"missing_et": "GeV", "eta": "", "m_ll": "MeV"}
    table = pa.table({"m_ll": np.ones(3), "eta": np.zeros(3)})
    schema = pa.schema([table.schema.field("m_ll").with_metadata({"unit": "GeV"}),
                        table.schema.field("eta")])
    pq.write_table(table.cast(schema), tmp_path / "b.parquet")
    assert load_ntuples({"b": str(tmp_path / "b.parquet")}).feature_units == {"m_ll": "GeV"}
    with pytest.raises(ValueError, match=r"the files state different units for 'm_ll': "
                                         r"'MeV' in .*t\.root:events; 'GeV' in "
                                         r".*b\.parquet\. Convert"):
        load_ntuples({"s": f"{path}:events", "b": str(tmp_path / "b.parquet")},
                     features=["m_ll", "eta"])
    # a source without units takes the other's; CSV states none
    pd.DataFrame({"m_ll": [1.0], "eta": [0.0]}).to_csv(tmp_path / "c.csv", index=False)
    both = load_ntuples({"b": str(tmp_path / "b.parquet"), "c": str(tmp_path / "c.csv")})
    assert both.feature_units == {"m_ll": "GeV"}
    assert load_ntuples({"c": str(tmp_path / "c.csv")}).feature_units == {}


@pytest.mark.skipif(not HAS_TABLES, reason="writing the test file needs PyTables")
def test_hdf5_never_reads_another_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"password" * 8)
    frame = pd.DataFrame({"met": np.arange(8.0)})
    frame.to_hdf(tmp_path / "ext.h5", key="events", format="fixed")
    with h5py.File(tmp_path / "ext.h5", "a") as f:  # the values stored in secret.txt
        old = f["events/block0_values"]
        attrs, shape, dtype = dict(old.attrs), old.shape, old.dtype
        del f["events/block0_values"]
        new = f["events"].create_dataset("block0_values", shape, dtype,
                                         external=[(str(secret), 0, 64)])
        new.attrs.update(attrs)
    with pytest.raises(ValueError, match=r"ext\.h5:events \(class 's'\): "
                                         r"/events/block0_values stores its values in "
                                         r"other files; refused"):
        load_ntuples({"s": str(tmp_path / "ext.h5")})
    frame.to_hdf(tmp_path / "link.h5", key="events", format="fixed")
    with h5py.File(tmp_path / "link.h5", "a") as f:
        del f["events/axis0"]
        f["events/axis0"] = h5py.ExternalLink(str(tmp_path / "ext.h5"), "/events/axis0")
    with pytest.raises(ValueError, match=r"/events/axis0 is a link \(ExternalLink\) that "
                                         r"may point into another file; refused"):
        load_ntuples({"s": str(tmp_path / "link.h5")})


@pytest.mark.skipif(not HAS_TABLES, reason="writing the test file needs PyTables")
def test_hdf5_claiming_a_trillion_events_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.h5"
    pd.DataFrame({"met": np.arange(4.0)}).to_hdf(path, key="events", format="fixed")
    n = 10**12  # a few kB on disk: the chunks are never written
    with h5py.File(path, "a") as f:
        for name, dtype, shape in (("axis1", "i8", (n,)), ("block0_values", "f8", (n, 1))):
            attrs = dict(f[f"events/{name}"].attrs)
            del f[f"events/{name}"]
            f["events"].create_dataset(name, shape, dtype, chunks=(1000,) + shape[1:])
            f[f"events/{name}"].attrs.update(attrs)
    assert path.stat().st_size < 100_000
    with pytest.raises(MemoryError, match=r"huge\.h5:events \(class 's'\): reading 1 "
                                          r"column\(s\) of the 1,000,000,000,000 events the "
                                          r"file declares takes 8e\+03 GB"):
        load_ntuples({"s": str(path)})


def test_missing_h5py_names_the_extra(tmp_path, monkeypatch):
    (tmp_path / "x.h5").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r'needs h5py: pip install "physml-sklearn\[hdf5\]"'):
        load_ntuples({"s": str(tmp_path / "x.h5")})


@pytest.mark.parametrize("ext", ["root", "parquet", "csv", "h5"])
def test_a_damaged_file_is_refused_naming_it(files, tmp_path, ext):
    # one byte changed at a time across the file: the read succeeds (a byte of
    # a number, say) or fails with a ValueError that names the file and its
    # class; uproot's DeserializationError, zlib's error, h5py's KeyError and
    # RuntimeError, Arrow's errors and pandas' ParserError came out as they were
    if ext == "h5" and not HAS_TABLES:
        pytest.skip("writing the HDF5 file needs the tables package")
    d = files["dir"]
    raw = (d / f"sig.{ext}").read_bytes()
    damaged = tmp_path / f"damaged.{ext}"
    tree = ":events" if ext == "root" else ""
    rng = np.random.RandomState(0)
    refused = 0
    for position in np.linspace(0, len(raw) - 1, 150).astype(int):
        data = bytearray(raw)
        data[position] = (data[position] + 1 + rng.randint(255)) % 256
        damaged.write_bytes(bytes(data))
        try:
            load_ntuples({"s": f"{damaged}{tree}", "b": f"{d}/bkg.{ext}{tree}"},
                         features=["met", "m_ll"])
        except ValueError as exc:
            assert type(exc) is ValueError
            assert str(damaged) in str(exc)
            refused += 1
        except MemoryError as exc:  # a damaged size, refused before reading
            assert str(damaged) in str(exc)
            refused += 1
    assert refused > 0


def _root_bomb(path, n_events, n_declared):
    """A tree of ``n_events`` zeros in one compressed basket (a few kB on disk),
    edited to declare ``n_declared`` events: the counts in the tree, the branch
    and its basket table are the only big-endian int64 equal to ``n_events``."""
    with uproot.recreate(path, compression=uproot.ZLIB(9)) as f:
        f.mktree("events", {"met": np.float64})
        f["events"].extend({"met": np.zeros(n_events)})
    data = path.read_bytes()
    old, new = n_events.to_bytes(8, "big"), n_declared.to_bytes(8, "big")
    assert data.count(old) >= 3
    path.write_bytes(data.replace(old, new))
    return path


def test_a_root_decompression_bomb_is_refused_before_it_inflates(tmp_path):
    # 16 MB of zeros in one basket, a file of 16 kB that declares 10 events:
    # uproot inflated the whole basket to read them (1000x the file's size)
    bomb = _root_bomb(tmp_path / "bomb.root", 2_000_000, 10)
    assert bomb.stat().st_size < 40_000
    with uproot.open(bomb) as f:
        tree = f["events"]
        assert tree.num_entries == 10
        assert tree["met"].basket_key(0).data_uncompressed_bytes == 16_000_000
    with pytest.raises(ValueError, match=r"bomb\.root:events \(class 's'\): basket 0 of branch "
                                         r"'met' declares 16,000,000 bytes for the 10 events"):
        load_ntuples({"s": f"{bomb}:events"})
    # the same file as written reads whole
    plain = tmp_path / "plain.root"
    with uproot.recreate(plain, compression=uproot.ZLIB(9)) as f:
        f.mktree("events", {"met": np.float64})
        f["events"].extend({"met": np.zeros(2_000_000)})
    assert len(load_ntuples({"s": f"{plain}:events"}).data) == 2_000_000


def test_an_rntuple_decompression_bomb_is_refused_before_it_inflates(tmp_path, monkeypatch):
    from uproot.writing import _cascadentuple as cascade

    # uproot's writer, made to declare 10 events in a cluster whose page holds
    # 2,000,000 zeros (16 MB, a file of 18 kB): uproot inflated the page whole
    summary = cascade.NTuple_ClusterSummary.__init__
    group = cascade.NTuple_ClusterGroupRecord.__init__
    monkeypatch.setattr(cascade.NTuple_ClusterSummary, "__init__",
                        lambda self, first, n, flags=0: summary(self, first, min(n, 10), flags))
    monkeypatch.setattr(cascade.NTuple_ClusterGroupRecord, "__init__",
                        lambda self, first, n, *rest: group(self, first, min(n, 10), *rest))
    bomb = tmp_path / "bomb.root"
    with uproot.recreate(bomb, compression=uproot.ZLIB(9)) as f:
        f.mkrntuple("events", {"met": np.float64})
        f["events"].extend({"met": np.zeros(2_000_000)})
    monkeypatch.undo()
    assert bomb.stat().st_size < 40_000
    with uproot.open(bomb) as f:
        ntuple = f["events"]
        assert ntuple.num_entries == 10
        assert ntuple.page_link_list[0][0].pages[0].num_elements == 2_000_000
    with pytest.raises(ValueError, match=r"bomb\.root:events \(class 's'\): cluster 0 of "
                                         r"field 'met' declares 16,000,000 bytes for the 10 "
                                         r"events"):
        load_ntuples({"s": f"{bomb}:events"})
    # RNTuples as written, of several clusters and types, read whole
    plain = tmp_path / "plain.root"
    rng = np.random.default_rng(0)
    parts = [{"met": rng.exponential(30.0, n), "n_jets": rng.integers(0, 5, n).astype(np.int32),
              "tight": rng.random(n) < 0.5, "eta": rng.normal(size=n).astype(np.float32)}
             for n in (1000, 10, 30_000)]
    with uproot.recreate(plain, compression=uproot.ZLIB(9)) as f:
        f.mkrntuple("events", {name: values.dtype for name, values in parts[0].items()})
        for part in parts:
            f["events"].extend(part)
    events = load_ntuples({"s": f"{plain}:events"})
    for name in parts[0]:
        np.testing.assert_array_equal(events.data[name],
                                      np.concatenate([part[name] for part in parts]))


def test_root_files_of_many_baskets_read_as_written(tmp_path):
    path = tmp_path / "many.root"
    rng = np.random.default_rng(0)
    chunks = [rng.normal(size=(1000, 2)) for _ in range(30)]
    with uproot.recreate(path) as f:
        f.mktree("events", {"a": np.float64, "b": np.float32, "n": np.int16})
        for chunk in chunks:
            f["events"].extend({"a": chunk[:, 0], "b": chunk[:, 1].astype(np.float32),
                                "n": (chunk[:, 0] * 10).astype(np.int16)})
    events = load_ntuples({"s": f"{path}:events"})
    np.testing.assert_array_equal(events.data["a"], np.concatenate(chunks)[:, 0])
    assert len(events.data) == 30_000


def _edit_parquet_footer(path, old_value, new_value):
    """Replace an int64 of the Thrift footer (zigzag varints) wherever it occurs
    (a size may be stored twice) and fix the footer's length."""
    import struct

    def varint(value):
        value = (value << 1) ^ (value >> 63)
        out = bytearray()
        while True:
            byte, value = value & 0x7F, value >> 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)

    data = path.read_bytes()
    length = struct.unpack("<I", data[-8:-4])[0]
    footer = data[-8 - length:-8]
    assert footer.count(varint(old_value)) >= 1
    footer = footer.replace(varint(old_value), varint(new_value))
    path.write_bytes(data[:-8 - length] + footer + struct.pack("<I", len(footer)) + b"PAR1")
    return path


def test_parquet_sizes_are_checked_against_the_row_groups(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from physml_sklearn._cli.apply import _parquet_tables

    # a file that declares 10 rows: Arrow read its 3,000,000 rows of zeros
    # (a 20 kB file) past the memory check, which took the declared total
    lying = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"met": np.zeros(3_000_000)}), lying, compression="zstd",
                   use_dictionary=False, row_group_size=1_000_000)
    assert lying.stat().st_size < 100_000
    _edit_parquet_footer(lying, 3_000_000, 10)
    assert pq.ParquetFile(lying).metadata.num_rows == 10
    with pytest.raises(ValueError, match=r"rows\.parquet \(class 's'\): the file declares 10 rows "
                                         r"but its row groups hold 3,000,000"):
        load_ntuples({"s": lying})
    # apply's fast way leaves such a file to the full way, which refuses it
    assert _parquet_tables([lying], ["met"]) is None
    # a column chunk that declares far more bytes than its values take
    inflated = tmp_path / "chunk.parquet"
    pq.write_table(pa.table({"met": np.arange(1000.0)}), inflated, compression="zstd",
                   use_dictionary=False, write_statistics=False)
    size = pq.ParquetFile(inflated).metadata.row_group(0).column(0).total_uncompressed_size
    _edit_parquet_footer(inflated, size, 10**12)
    with pytest.raises(ValueError, match=r"the column 'met' declares 1,000,000,000,000 bytes for "
                                         r"1,000 values of 8 byte\(s\)"):
        load_ntuples({"s": inflated})


def _one_page_parquet(path, values, **options):
    """``values`` in one page (Arrow splits pages at 1 MB and 20,000 rows otherwise)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    options = {"compression": "zstd", **options}
    pq.write_table(pa.table({"met": values}), path, use_dictionary=False,
                   write_statistics=False, data_page_size=2**30, max_rows_per_page=2**30,
                   write_batch_size=2**30, row_group_size=len(values), **options)
    return path


def test_a_parquet_page_bomb_is_refused_before_it_inflates(tmp_path):
    import pyarrow.parquet as pq

    from physml_sklearn._cli.apply import _parquet_tables

    # one page of 2,000,000 zeros (16 MB) in a file of a few kB whose footer says 10
    # rows of 100 bytes: Arrow inflated the page to the size its own header declares
    # to read them
    bomb = _one_page_parquet(tmp_path / "page.parquet", np.zeros(2_000_000))
    chunk = pq.ParquetFile(bomb).metadata.row_group(0).column(0)
    _edit_parquet_footer(bomb, chunk.total_uncompressed_size, 100)
    _edit_parquet_footer(bomb, 2_000_000, 10)
    assert bomb.stat().st_size < 10_000
    assert pq.ParquetFile(bomb).metadata.row_group(0).column(0).total_uncompressed_size == 100
    assert pq.ParquetFile(bomb).read().num_rows == 10
    with pytest.raises(ValueError, match=r"page\.parquet \(class 's'\): the column 'met' "
                                         r"declares 16,000,00\d bytes for 10 values of 8 "
                                         r"byte\(s\) in a row group: .* decompression bomb"):
        load_ntuples({"s": bomb})
    assert _parquet_tables([bomb], ["met"]) is None  # apply's full way refuses it


@pytest.mark.parametrize("cut", [4, 20, 40])
def test_a_parquet_page_header_that_does_not_parse_is_refused(tmp_path, cut):
    import pyarrow.parquet as pq

    path = _one_page_parquet(tmp_path / "cut.parquet", np.arange(1000.0),
                             compression="none")
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(0)
    data = bytearray(path.read_bytes())
    # the page's compressed size grows past the column chunk: the pages no longer
    # end where the footer says the chunk ends
    start = chunk.data_page_offset
    if cut == 4:
        data[start:start + 2] = b"\x00\x00"  # a header stops before its sizes
        message = "gives no page size"
    elif cut == 20:
        data[start + 1:start + 12] = b"\xff" * 11  # a varint that never ends
        message = "varint longer than ten bytes"
    else:
        data[start:start + 1] = b"\x1f"  # a field of unknown type
        message = "unknown Thrift type"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"cut\.parquet \(class 's'\): the column 'met': "
                                         rf".*{message}.*; the file is damaged"):
        load_ntuples({"s": path})


@pytest.mark.parametrize("options", [
    dict(compression="snappy", use_dictionary=True),
    dict(compression="gzip", use_dictionary=False, data_page_version="2.0"),
    dict(compression="zstd", write_statistics=True, row_group_size=3_000),
    dict(compression="none", data_page_size=1024),
])
def test_parquet_pages_as_written_read_whole(tmp_path, options):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    n = 10_000
    table = pa.table({"met": rng.exponential(30.0, n), "n_jets": rng.integers(0, 5, n),
                      "tight": rng.random(n) < 0.5, "f": rng.normal(size=n).astype("f4"),
                      "run": pa.array([f"run{k % 7}" for k in range(n)])})
    pq.write_table(table, tmp_path / "a.parquet", **options)
    events = load_ntuples({"s": tmp_path / "a.parquet"}, features=["met", "n_jets", "f"])
    np.testing.assert_array_equal(events.data["met"], table["met"].to_numpy())
    assert read_table(str(tmp_path / "a.parquet"))["run"].tolist() == table["run"].to_pylist()


@pytest.mark.skipif(not HAS_TABLES, reason="writing pandas' HDF5 tables needs PyTables")
@pytest.mark.parametrize("layout", ["table", "fixed"])
def test_an_hdf5_decompression_bomb_is_refused_before_it_inflates(tmp_path, layout):
    import zlib

    import h5py

    frame = _frame(100, 0.0, 0)[["met", "w"]]
    path = tmp_path / f"{layout}.h5"
    frame.to_hdf(path, key="events", format=layout, complib="zlib", complevel=9)
    # compressed as pandas writes it, the file reads as it was
    events = load_ntuples({"s": path})
    np.testing.assert_array_equal(events.data["met"], frame["met"])
    # the chunk of the values replaced by 20 MB of deflated zeros (20 kB): HDF5's
    # deflate filter inflated all of it to read 100 rows
    with h5py.File(path, "r+") as f:
        values = f["events/table" if layout == "table" else "events/block0_values"]
        values.id.write_direct_chunk((0,) * values.ndim, zlib.compress(bytes(20_000_000), 9), 0)
    with pytest.raises(ValueError, match=rf"{layout}\.h5:events \(class 's'\): /events/\w+: a "
                                         r"compressed chunk inflates to more than the [0-9,]+ "
                                         r"bytes a chunk holds"):
        load_ntuples({"s": path})


@pytest.mark.skipif(not HAS_TABLES, reason="writing pandas' HDF5 tables needs PyTables")
def test_hdf5_filters_whose_output_cannot_be_bounded_are_refused(tmp_path):
    path = tmp_path / "blosc.h5"
    _frame(100, 0.0, 0).to_hdf(path, key="events", format="table", complib="blosc",
                               complevel=5)
    with pytest.raises(ValueError, match=r"blosc\.h5:events \(class 's'\).*compressed with the "
                                         r"HDF5 filter\(s\) \[32001\].*complib='zlib'"):
        load_ntuples({"s": path}, features=["met"])
