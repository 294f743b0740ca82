"""What the command writes, and what it leaves when it fails or is stopped.

A folder either holds a complete run or none; a file is the old one or the
new one, never a mix; SIGINT and SIGTERM end ``train`` and ``apply`` with
130 / 143 and one line; inputs that leak the class stop ``train``; options
must be spelled out.
"""

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import physml_sklearn
from physml_sklearn._cli import main
from physml_sklearn._cli.train import check_leakage, training_weights, weighted_auc
from physml_sklearn._io_atomic import atomic_folder, atomic_path
from physml_sklearn.datasets import make_diboson

ROOT = Path(__file__).resolve().parents[1]


def diboson_frame(n_samples, random_state):
    data = make_diboson(n_samples, processes=("WZ", "ZZ"), random_state=random_state,
                        as_frame=True)
    frame = data.data.copy()
    frame["weight"] = data.sample_weight
    frame["event_number"] = np.arange(len(frame), dtype=np.int64) * 7 + 3
    return frame, data.target.to_numpy()


def write_sources(folder, n_samples, random_state=0):
    frame, target = diboson_frame(n_samples, random_state)
    signal_path, background_path = folder / "s.parquet", folder / "b.parquet"
    frame[target == 0].to_parquet(signal_path, index=False)
    frame[target == 1].to_parquet(background_path, index=False)
    return str(signal_path), str(background_path), frame


def train_argv(sources, out, *extra):
    return ["train", "--signal", sources[0], "--background", sources[1], "--weight",
            "weight", "--fold-column", "event_number", "--max-epochs", "1", "--quiet",
            "--out", str(out), *extra]


def leftovers(folder):
    """Temporary files and folders the atomic writes would leave on failure."""
    return sorted(p.name for p in Path(folder).iterdir()
                  if p.name.startswith(".") and (".partial-" in p.name or ".old-" in p.name
                                                 or ".tmp" in p.name))


def popen(*args, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return subprocess.Popen([sys.executable, "-m", "physml_sklearn", *map(str, args)],
                            env=env, cwd=ROOT, text=True, **kwargs)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One small ``train`` run, the training weights it used recorded."""
    folder = tmp_path_factory.mktemp("outputs")
    sources = write_sources(folder, 600)
    out = folder / "run"
    seen = {}
    fit = physml_sklearn.FoldingClassifier.fit

    def recording_fit(self, X, y, sample_weight=None, **params):
        seen["y"], seen["sample_weight"] = np.asarray(y), np.asarray(sample_weight)
        return fit(self, X, y, sample_weight=sample_weight, **params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(physml_sklearn.FoldingClassifier, "fit", recording_fit)
        code = main(train_argv(sources, out, "--units", "met=GeV,m_ll=GeV"))
    assert code == 0
    return {"folder": folder, "sources": sources, "out": out, "seen": seen,
            "frame": sources[2]}


# --- run.json and the run folder -----------------------------------------------------

def test_run_json_records_the_run(run):
    out = run["out"]
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "complete"
    assert record["command"][:2] == ["physml-sklearn", "train"]
    assert "--units" in record["command"] and str(out) in record["command"]
    for name in ("physml-sklearn", "python", "numpy", "scikit-learn", "torch", "skorch"):
        assert record["versions"][name], name
    assert [i["class"] for i in record["inputs"]] == ["signal", "background"]
    for item, source in zip(record["inputs"], run["sources"][:2]):
        data = Path(source).read_bytes()
        assert item["bytes"] == len(data)
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
    best = record["best_working_point"]
    assert set(best) >= {"threshold", "signal", "background", "significance"}
    assert np.isfinite(list(best.values())).all()
    assert 0 < record["roc_auc"] <= 1
    assert 0 < record["roc_auc_error"] < 0.2  # the headline AUC comes with its error
    assert "roc_auc" not in best and "roc_auc_error" not in best
    # default inputs leave out the weight and the fold column
    assert "weight" not in record["features"] and "event_number" not in record["features"]
    assert record["feature_units"] == {"met": "GeV", "m_ll": "GeV"}
    assert record["onnx"]["written"] == (out / "model.onnx").exists()
    # --max-epochs 1: one epoch per fold, kept, and cut short by the limit (the
    # validation loss improved in the only epoch there was)
    assert record["fold_training"] == [
        {"epochs": 1, "best_epoch": 1, "ended_at_epoch_limit": True}] * 2
    assert set(record["files"]) == {p.name for p in out.iterdir()}
    # written last
    newest = max(p.stat().st_mtime_ns for p in out.iterdir() if p.name != "run.json")
    assert (out / "run.json").stat().st_mtime_ns >= newest
    assert leftovers(run["folder"]) == []


def test_training_weights_balance_the_classes(run):
    """The networks see balanced classes; scores.parquet keeps the physics weights."""
    y, used = run["seen"]["y"], run["seen"]["sample_weight"]
    signal_rows = y == "signal"
    np.testing.assert_allclose(used[signal_rows].sum(), used[~signal_rows].sum())
    np.testing.assert_allclose(used[signal_rows].sum(), signal_rows.sum())
    scores = pd.read_parquet(run["out"] / "scores.parquet")
    assert sorted(scores["weight"]) == pytest.approx(sorted(run["frame"]["weight"]))
    # the ratio of two events' weights within a class is the physics one
    ratio = used[signal_rows] / scores["weight"].to_numpy()[signal_rows]
    np.testing.assert_allclose(ratio, ratio[0])


def test_training_weights_with_negative_weights():
    y = np.array(["signal"] * 4 + ["background"] * 3)
    weight = np.array([1.0, -0.5, 2.0, 1.5, 10.0, -2.0, 4.0])
    before = weight.copy()
    balanced = training_weights(y, weight)
    np.testing.assert_array_equal(weight, before)  # the caller's array is not changed
    assert balanced[:4].sum() == pytest.approx(4.0)
    assert balanced[4:].sum() == pytest.approx(4.0)
    np.testing.assert_array_equal(np.sign(balanced), np.sign(weight))


def test_rerun_is_refused_and_overwrite_replaces_the_run_whole(run, monkeypatch, capsys):
    out = run["out"]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # a rerun into a folder that holds a run: refused before anything is read
    assert main(train_argv(run["sources"], out, "--features", "met", "m_ll")) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    # --overwrite, but the run fails while writing: the old run is kept as it was
    def full_disk(model, path):
        Path(path).write_bytes(b"PK half a model")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(physml_sklearn, "save", full_disk)
    assert main(train_argv(run["sources"], out, "--overwrite")) == 1
    err = capsys.readouterr().err
    assert "[Errno 28]" in err and str(out / "model.physml") in err, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(run["folder"]) == []


def test_overwrite_with_a_failed_onnx_export(run, tmp_path, monkeypatch):
    """The new run replaces the old whole: no stale model.onnx, and run.json says why."""
    pytest.importorskip("onnx")
    pytest.importorskip("skl2onnx")
    out = tmp_path / "run"
    import shutil

    shutil.copytree(run["out"], out)
    assert (out / "model.onnx").exists()

    def failing_export(*args, **kwargs):
        raise RuntimeError("no converter for this model")

    monkeypatch.setattr(physml_sklearn, "to_onnx", failing_export)
    assert main(train_argv(run["sources"], out, "--overwrite", "--features", "met",
                           "m_ll", "lep1_pt")) == 0
    assert not (out / "model.onnx").exists()
    record = json.loads((out / "run.json").read_text())
    assert record["onnx"]["written"] is False
    assert "no converter for this model" in record["onnx"]["note"]
    assert record["features"] == ["met", "m_ll", "lep1_pt"]
    assert physml_sklearn.load(out / "model.physml").n_features_in_ == 4  # + fold column
    assert leftovers(tmp_path) == []


def test_out_with_other_files_is_refused_even_with_overwrite(run, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    assert main(train_argv(run["sources"], out, "--overwrite")) == 1
    err = capsys.readouterr().err
    assert "notes.txt" in err and "new or empty folder" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


# --- atomic files ---------------------------------------------------------------------

def test_atomic_path_keeps_the_old_file_on_any_failure(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")
    for error in (OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()):
        with pytest.raises(type(error)) as info, atomic_path(target) as temporary:
            temporary.write_text("half")
            raise error
        assert target.read_text() == "old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    assert str(target) in str(info.value) or isinstance(info.value, KeyboardInterrupt)
    with pytest.raises(OSError, match=r"\[Errno 28\].*|No space") as info:
        with atomic_path(target) as temporary:
            raise OSError(errno.ENOSPC, "No space left on device")
    assert str(target) in str(info.value) and info.value.errno == errno.ENOSPC


def test_atomic_path_to_a_folder_or_into_a_missing_folder(tmp_path):
    # said before anything is written, naming the path given, not a temporary file
    (tmp_path / "model.physml").mkdir()
    with pytest.raises(IsADirectoryError, match=r"cannot write .*model\.physml: it is a "
                                                r"folder; pass the path of a file"):
        with atomic_path(tmp_path / "model.physml"):
            raise AssertionError("the block must not run")
    with pytest.raises(FileNotFoundError, match=r"cannot write .*m\.physml: the folder "
                                                r".*no[/\\]such does not exist; create it"):
        with atomic_path(tmp_path / "no" / "such" / "m.physml"):
            raise AssertionError("the block must not run")
    # a file on the way was called a missing folder
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(NotADirectoryError, match=r"cannot write .*afile[/\\]sub[/\\]m\.physml: "
                                                 r".*afile is a file, not a folder"):
        with atomic_path(tmp_path / "afile" / "sub" / "m.physml"):
            raise AssertionError("the block must not run")
    (tmp_path / "afile").unlink()
    from physml_sklearn import DropoutMLPClassifier, save

    X, y = make_diboson(200, random_state=0, return_X_y=True)
    model = DropoutMLPClassifier(max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(IsADirectoryError, match="it is a folder") as info:
        save(model, tmp_path / "model.physml")
    assert ".tmp" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.physml"]
    assert not list((tmp_path / "model.physml").iterdir())


def test_atomic_folder_removes_the_partial_folder(tmp_path):
    with pytest.raises(RuntimeError), atomic_folder(tmp_path / "run") as folder:
        (folder / "model.physml").write_text("half")
        raise RuntimeError("stopped")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "a").write_text("old")
    with pytest.raises(FileExistsError), atomic_folder(tmp_path / "run") as folder:
        (folder / "b").write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    with atomic_folder(tmp_path / "run", replace=True) as folder:
        (folder / "b").write_text("new")
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["b"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_apply_on_a_full_disk_leaves_no_truncated_file(run, tmp_path, monkeypatch,
                                                        capsys, suffix):
    out = tmp_path / f"scored{suffix}"
    out.write_text("the previous output")
    method = "to_parquet" if suffix == ".parquet" else "to_csv"

    def full_disk(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1 half a table")
        raise OSError(errno.ENOSPC, "Error writing bytes to file")

    monkeypatch.setattr(pd.DataFrame, method, full_disk)
    if suffix == ".parquet":  # Parquet files are scored and written without pandas
        import pyarrow.parquet as pq

        monkeypatch.setattr(pq, "write_table", lambda table, path, **kw: full_disk(0, path))
    code = main(["apply", str(run["out"] / "model.physml"), run["sources"][0],
                 "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "[Errno 28]" in err and str(out) in err, err
    assert out.read_text() == "the previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@contextlib.contextmanager
def small_tmpfs(folder, size="400k"):
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root): "
                    + mounted.stderr.decode().strip())
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_apply_on_a_real_full_disk(run, tmp_path, capsys):
    """A 400 kB file system: the table does not fit; nothing truncated is left."""
    source = tmp_path / "many.parquet"
    pd.concat([run["frame"]] * 20, ignore_index=True).to_parquet(source, index=False)
    with small_tmpfs(tmp_path / "disk") as disk:
        out = disk / "scored.csv"
        code = main(["apply", str(run["out"] / "model.physml"), str(source),
                     "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
        assert code == 1
        assert "[Errno 28]" in err and str(out) in err, err
        assert list(disk.iterdir()) == []


def test_train_on_a_real_full_disk(run, tmp_path, capsys):
    """The model files do not fit in 400 kB: the error names one, no folder is left."""
    with small_tmpfs(tmp_path / "disk") as disk:
        code = main(train_argv(run["sources"], disk / "run"))
        err = capsys.readouterr().err
        assert code == 1
        assert "No space left on device" in err and str(disk / "run") in err, err
        assert list(disk.iterdir()) == []


def test_two_apply_runs_to_one_output(run, tmp_path):
    """Both succeed; the file is one of the two complete tables."""
    frame = run["frame"]
    long_source, short_source = tmp_path / "long.parquet", tmp_path / "short.parquet"
    pd.concat([frame] * 40, ignore_index=True).to_parquet(long_source, index=False)
    frame.iloc[:100].to_parquet(short_source, index=False)
    model = run["out"] / "model.physml"
    outs = [tmp_path / "both.csv", tmp_path / "both.parquet"]
    processes = [popen("apply", model, source, "--out", out, "--quiet",
                       stderr=subprocess.PIPE)
                 for out in outs for source in (long_source, short_source)]
    for process in processes:  # all four at once: two writers per output
        assert process.wait(timeout=600) == 0, process.stderr.read()
        process.stderr.close()
    for out in outs:
        table = pd.read_csv(out) if out.suffix == ".csv" else pd.read_parquet(out)
        assert len(table) in (40 * len(frame), 100)
        assert list(table.columns) == list(frame.columns) + ["score"]
        assert np.isfinite(table["score"]).all()
    assert leftovers(tmp_path) == []


def test_apply_keeps_the_input_column_order(run, tmp_path):
    frame = run["frame"].iloc[:40]
    first, second = tmp_path / "a.csv", tmp_path / "b.parquet"
    order = list(frame.columns[::-1])
    frame[order].to_csv(first, index=False)
    shuffled = frame.sample(frac=1.0, axis=1, random_state=0)
    shuffled.insert(2, "run_number", 7)  # a column only the second file has
    shuffled.to_parquet(second, index=False)
    out = tmp_path / "scored.parquet"
    assert main(["apply", str(run["out"] / "model.physml"), str(first), str(second),
                 "--out", str(out), "--quiet"]) == 0
    table = pd.read_parquet(out)
    assert list(table.columns) == order + ["run_number", "score"]
    assert table["run_number"].isna().sum() == 40
    np.testing.assert_array_equal(table["event_number"][40:],
                                  frame["event_number"].to_numpy())


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])  # the fast way and the full way
def test_apply_says_when_a_files_own_score_column_is_replaced(run, tmp_path, capsys, suffix):
    frame = run["frame"].iloc[:40].assign(score=7.0)  # another tagger's score, say
    source, out = tmp_path / f"tagged{suffix}", tmp_path / "scored.parquet"
    frame.to_parquet(source, index=False) if suffix == ".parquet" else frame.to_csv(
        source, index=False)
    assert main(["apply", str(run["out"] / "model.physml"), str(source), "--out", str(out),
                 "--quiet"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"physml-sklearn apply: note: {source} has a column 'score' already; {out} holds "
        "the model's scores in its place (the input file keeps its own)"]
    table = pd.read_parquet(out)
    assert list(table.columns) == list(frame.columns) and (table["score"] != 7.0).all()
    # a file without one: no note
    run["frame"].iloc[:40].to_parquet(source.with_suffix(".parquet"), index=False)
    assert main(["apply", str(run["out"] / "model.physml"), str(source.with_suffix(".parquet")),
                 "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_apply_trust_is_passed_to_load(run, tmp_path, monkeypatch, capsys):
    real_load = physml_sklearn.load
    calls = []

    def load_with_trust(path, *, device="cpu", trusted=None):
        calls.append(trusted)
        return real_load(path)

    def load_without_trust(path, *, device="cpu"):
        return real_load(path)

    argv = ["apply", str(run["out"] / "model.physml"), run["sources"][0], "--out",
            str(tmp_path / "x.csv"), "--quiet"]
    monkeypatch.setattr(physml_sklearn, "load", load_with_trust)
    assert main(argv) == 0 and calls == [None]
    assert main(argv + ["--trust", "numpy:log10", "--trust", "mymod:f"]) == 0
    assert calls[-1] == ["numpy:log10", "mymod:f"]
    monkeypatch.setattr(physml_sklearn, "load", load_without_trust)
    assert main(argv + ["--trust", "numpy:log10"]) == 1
    assert "--trust" in capsys.readouterr().err


# --- signals --------------------------------------------------------------------------

def _wait_for(stream, text, timeout=120):
    """Read lines until one holds ``text``; return everything read."""
    seen, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"{text!r} never came: {''.join(seen)}")


@pytest.fixture(scope="module")
def slow_sources(tmp_path_factory):
    """Enough events that a fold trains for seconds."""
    return write_sources(tmp_path_factory.mktemp("slow"), 20_000, random_state=3)


@pytest.mark.parametrize("name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_signal_during_train_leaves_no_run(slow_sources, tmp_path, name, code):
    out = tmp_path / "run"
    out.mkdir()  # a previous run, which --overwrite must keep when the new one is stopped
    (out / "run.json").write_text('{"status": "complete"}')
    (out / "model.physml").write_text("the previous model")
    process = popen("train", "--signal", slow_sources[0], "--background", slow_sources[1],
                    "--weight", "weight", "--max-epochs", "500", "--out", out,
                    "--overwrite", stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        _wait_for(process.stderr, "[2/6] training")
        time.sleep(1.0)
        assert process.poll() is None, "the training ended before the signal"
        process.send_signal(getattr(signal, name))
        rest = process.stderr.read()
        assert process.wait(timeout=60) == code
    finally:
        process.kill()
        process.stderr.close()
    assert rest.strip().splitlines()[-1] == (
        f"physml-sklearn train: stopped by {name}; no partial output is left")
    assert "Traceback" not in rest
    assert sorted(p.name for p in out.iterdir()) == ["model.physml", "run.json"]
    assert (out / "model.physml").read_text() == "the previous model"
    assert leftovers(tmp_path) == []


@pytest.fixture(scope="module")
def big_sources(run, tmp_path_factory):
    """Twenty files of 120,000 events (a file given twice is refused)."""
    folder = tmp_path_factory.mktemp("big")
    pd.concat([run["frame"]] * 200, ignore_index=True).to_parquet(folder / "big0.parquet",
                                                                  index=False)
    for k in range(1, 20):
        shutil.copy(folder / "big0.parquet", folder / f"big{k}.parquet")
    return [folder / f"big{k}.parquet" for k in range(20)]


@pytest.mark.parametrize("name, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_signal_during_apply_keeps_the_old_output(run, big_sources, tmp_path, name, code):
    out = tmp_path / "scored.parquet"
    out.write_bytes(b"the previous output")
    # twenty files: after the first is scored, seconds of work remain whatever
    # the load on the machine, so the signal comes in the middle of the run
    process = popen("apply", run["out"] / "model.physml", *big_sources, "--out", out,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(process.stdout, "events scored")
        process.send_signal(getattr(signal, name))
        err = process.stderr.read()
        assert process.wait(timeout=60) == code, err
    finally:
        process.kill()
        process.stdout.close()
        process.stderr.close()
    assert err.strip().splitlines() == [
        f"physml-sklearn apply: stopped by {name}; no partial output is left"]
    assert out.read_bytes() == b"the previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


# --- inputs ---------------------------------------------------------------------------

def test_weighted_auc_matches_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500).astype(bool)
    x = np.round(rng.normal(size=500) + y, 1)  # ties
    w = rng.uniform(0.1, 3.0, 500)
    assert weighted_auc(y, x, w) == pytest.approx(roc_auc_score(y, x, sample_weight=w))


def test_a_leaked_input_stops_train(run, capsys):
    sources = run["sources"]
    base = ["train", "--signal", sources[0], "--background", sources[1], "--quiet",
            "--max-epochs", "1", "--out", str(run["folder"] / "never")]
    # no --weight: the weight column, one value per process, would be an input
    assert main(base) == 1
    err = capsys.readouterr().err
    assert "input 'weight' alone separates signal from background" in err
    assert "--weight" in err and "--features" in err
    assert not (run["folder"] / "never").exists()


def test_leakage_guard_both_directions_and_named_inputs():
    rng = np.random.default_rng(1)
    y = np.array(["signal"] * 200 + ["background"] * 200)
    X = pd.DataFrame({"x": rng.normal(size=400), "truth": (y == "signal") * 1.0,
                      "anti": np.arange(400.0)})
    w = np.ones(400)
    with pytest.raises(Exception, match="input 'truth' alone separates"):
        check_leakage(X, y, w, ["x", "truth"], named=set())
    with pytest.raises(Exception, match=r"input 'anti'.*ROC AUC is 0.0000"):
        check_leakage(X, y, w, ["x", "anti"], named=set())
    check_leakage(X, y, w, ["x", "truth", "anti"], named={"truth", "anti"})


# --- the command line -----------------------------------------------------------------

@pytest.mark.parametrize("argv, wrong, right", [
    (["train", "--signal", "s.parquet", "--background", "b.parquet", "--fold-colum", "n"],
     "--fold-colum", "--fold-column"),
    (["train", "--signal", "s.parquet", "--background", "b.parquet", "--max-epoch", "3"],
     "--max-epoch", "--max-epochs"),
    (["apply", "m.physml", "s.parquet", "--ou", "x.csv"], "--ou", "--out"),
])
def test_abbreviations_are_refused_with_a_suggestion(capsys, argv, wrong, right):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    command = argv[0]
    assert err == (f"physml-sklearn {command}: error: unknown option {wrong!r}; did you "
                   f"mean {right!r}? (see 'physml-sklearn {command} --help')")


def test_units_errors(run, capsys):
    sources = run["sources"]
    argv = train_argv(sources, run["folder"] / "never")
    assert main(argv + ["--units", "met GeV"]) == 1
    assert "--units: 'met GeV' is not COLUMN=UNIT" in capsys.readouterr().err
    assert main(argv + ["--units", "mett=GeV"]) == 1
    assert "--units: 'mett' is not an input; did you mean 'met'" in capsys.readouterr().err
    assert not (run["folder"] / "never").exists()
