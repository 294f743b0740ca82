"""load_ntuples on real ROOT, Parquet, CSV and HDF5 files."""

import sys

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from physml_sklearn.datasets import _ntuples, load_ntuples

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
    assert _ntuples._ROOT_MIN_CHUNKS  # the module itself imports without uproot



def test_parquet_written_after_a_selection_keeps_its_index_out(tmp_path):
    # ``frame[mask].to_parquet(...)`` stores the pandas index as a column
    # (``__index_level_0__``): it is no branch of the events
    frame = _frame(200, 0.0, 3)
    selected = frame[frame.n_jets > 0]
    selected.to_parquet(tmp_path / "sel.parquet")
    events = load_ntuples({"s": str(tmp_path / "sel.parquet")}, weight="w")
    assert events.feature_names == ["met", "m_ll", "n_jets", "event_number"]
    np.testing.assert_array_equal(events.data["met"], selected["met"])
