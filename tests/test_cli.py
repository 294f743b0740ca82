"""The ``physml-sklearn`` command: train, apply, the report in a browser, bad input.

The end-to-end tests run the command as a user does, in a subprocess
(``python -m physml_sklearn``), on a small ROOT file and a small Parquet file
made from ``make_diboson``; the bad-input tests call ``main`` in-process,
which runs the same code without paying for a new interpreter each time.
"""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from physml_sklearn._cli import main
from physml_sklearn.datasets import make_diboson

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["summary", "inputs", "training", "overtraining", "ranking", "rejection",
            "significance", "files"]
CHROMIUM = "/usr/bin/chromium"


def run_command(*args, timeout=600):
    """``python -m physml_sklearn ARGS`` with this checkout first on the path."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, "-m", "physml_sklearn", *map(str, args)], capture_output=True,
        text=True, env=env, cwd=ROOT, timeout=timeout,
    )


def diboson_frame(n_samples, random_state):
    data = make_diboson(n_samples, processes=("WZ", "ZZ"), random_state=random_state,
                        as_frame=True)
    frame = data.data.copy()
    frame["weight"] = data.sample_weight
    frame["event_number"] = np.arange(len(frame), dtype=np.int64) * 7 + 3
    return frame, data.target.to_numpy()


def write_root(frame, path, tree="events"):
    uproot = pytest.importorskip("uproot")
    with uproot.recreate(path) as file:
        branches = {c: frame[c].to_numpy().dtype for c in frame.columns}
        file.mktree(tree, branches)
        file[tree].extend({c: frame[c].to_numpy() for c in frame.columns})
    return f"{path}:{tree}"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Signal (WZ) in a ROOT file, background (ZZ) in Parquet; one ``train`` run."""
    folder = tmp_path_factory.mktemp("cli")
    frame, target = diboson_frame(1200, random_state=0)
    signal = write_root(frame[target == 0].reset_index(drop=True), folder / "wz.root")
    background = folder / "zz.parquet"
    frame[target == 1].to_parquet(background, index=False)
    out = folder / "out"
    result = run_command(
        "train", "--signal", signal, "--background", background, "--weight", "weight",
        "--fold-column", "event_number", "--folds", "3", "--max-epochs", "3",
        "--out", out,
    )
    assert result.returncode == 0, result.stderr
    return {"folder": folder, "out": out, "signal": signal, "background": background,
            "frame": frame, "target": target, "stderr": result.stderr,
            "stdout": result.stdout}


def test_train_writes_the_files_and_the_scores(trained):
    out, frame, target = trained["out"], trained["frame"], trained["target"]
    for name in ("report.html", "model.physml", "scores.parquet"):
        assert (out / name).stat().st_size > 0, name
    scores = pd.read_parquet(out / "scores.parquet")
    assert list(scores.columns) == ["score", "label", "weight", "source", "event_number"]
    assert len(scores) == len(frame)
    assert set(scores["label"]) == {"signal", "background"}
    is_signal = (scores["label"] == "signal").to_numpy()
    assert is_signal.sum() == (target == 0).sum()
    # signal rows first, in file order, each with its own weight and event number
    expected = pd.concat([frame[target == 0], frame[target == 1]], ignore_index=True)
    np.testing.assert_array_equal(scores["event_number"], expected["event_number"])
    np.testing.assert_allclose(scores["weight"], expected["weight"])
    signal_file = trained["signal"].split(":")[0]
    assert scores["source"][is_signal].str.startswith(signal_file).all()
    assert (scores["source"][~is_signal] == str(trained["background"])).all()
    assert ((scores["score"] > 0) & (scores["score"] < 1)).all()
    # the out-of-fold scores separate the classes even after three epochs
    assert scores["score"][is_signal].mean() > scores["score"][~is_signal].mean()
    # the progress display named the steps and the folds
    for text in ("[1/6]", "fold 3/3", "epochs", "report.html"):
        assert text in trained["stderr"], text
    # the report's step names the run folder, not the temporary one it is written in
    assert f"[6/6] writing {out / 'report.html'}" in trained["stderr"]
    assert ".partial-" not in trained["stderr"]


def test_model_onnx_gives_the_scores_of_the_model(trained):
    pytest.importorskip("onnx")
    pytest.importorskip("skl2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    from physml_sklearn import load

    path = trained["out"] / "model.onnx"
    model = load(trained["out"] / "model.physml")
    X = pd.read_parquet(trained["background"])[list(model.feature_names_in_)]
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # an integer event-number column is an input of its own: the fold rule stays exact
    names = [tensor.name for tensor in session.get_inputs()]
    assert names == ["X", "event_number"]
    feed = {"X": X.drop(columns="event_number").to_numpy(dtype=np.float32),
            "event_number": X["event_number"].to_numpy(dtype=np.int64)}
    (proba,) = session.run(["probabilities"], feed)
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    # the fold rule: on the training events, the out-of-fold scores
    scores = pd.read_parquet(trained["out"] / "scores.parquet")
    np.testing.assert_allclose(proba[:, 1], scores["score"][scores["label"] == "background"],
                               atol=1e-5)


def test_apply_reproduces_the_out_of_fold_scores(trained):
    """Each event scored by the fold model that did not train on it, as in training."""
    applied = trained["folder"] / "applied.parquet"
    result = run_command("apply", trained["out"] / "model.physml", trained["signal"],
                         trained["background"], "--out", applied)
    assert result.returncode == 0, result.stderr
    table = pd.read_parquet(applied)
    scores = pd.read_parquet(trained["out"] / "scores.parquet")
    # the input rows, every column, plus the score
    assert list(table.columns) == list(trained["frame"].columns) + ["score"]
    np.testing.assert_array_equal(table["event_number"], scores["event_number"])
    np.testing.assert_allclose(table["score"], scores["score"], rtol=0, atol=1e-6)


def test_a_tree_in_a_folder_of_the_file_is_read(trained, tmp_path):
    # "file.root:nominal/events" is how load_ntuples names a tree in a TDirectory;
    # the commands took it for a file of unknown type '(none)'
    from physml_sklearn._cli._io import split_source

    assert split_source("a.root:nominal/events") == ("a.root", "nominal/events")
    assert split_source("d/a.h5:group/table") == ("d/a.h5", "group/table")
    assert split_source("d/a.parquet") == ("d/a.parquet", None)
    uproot = pytest.importorskip("uproot")
    frame = trained["frame"].iloc[:40]
    with uproot.recreate(tmp_path / "nested.root") as file:
        file.mkdir("nominal")
        file["nominal/events"] = {c: frame[c].to_numpy() for c in frame.columns}
    out = tmp_path / "scored.parquet"
    assert main(["apply", str(trained["out"] / "model.physml"),
                 f"{tmp_path / 'nested.root'}:nominal/events", "--out", str(out),
                 "--quiet"]) == 0
    np.testing.assert_array_equal(pd.read_parquet(out)["event_number"],
                                  frame["event_number"])


def test_too_few_background_events_for_a_working_point_stop_train_before_training(
        capsys, small_sources):
    # significance_scan refused them after the training
    line = _train_error(capsys, [small_sources["signal"], small_sources["background"]],
                        "--weight", "weight", "--min-background-events", "100000")
    assert "--min-background-events 100000: the background files hold" in line
    assert "so no cut would keep that many" in line


def test_apply_writes_csv_and_averages_folds_without_fold_rule(trained, tmp_path):
    from physml_sklearn import load

    frame = trained["frame"].iloc[:50]
    source = tmp_path / "new.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "scored.csv"
    assert main(["apply", str(trained["out"] / "model.physml"), str(source),
                 "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == list(frame.columns) + ["score"]
    model = load(trained["out"] / "model.physml")
    # the fold rule: row i is scored by model event_number % 3 alone
    fold = frame["event_number"].to_numpy() % 3
    inner = frame[[c for c in model.feature_names_in_ if c != "event_number"]]
    column = list(model.classes_).index("signal")
    by_fold = np.stack([e.predict_proba(inner)[:, column] for e in model.estimators_])
    np.testing.assert_allclose(table["score"], by_fold[fold, np.arange(len(frame))],
                               atol=1e-6)


def test_report_is_self_contained(trained):
    page = (trained["out"] / "report.html").read_text(encoding="utf-8")
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in page, anchor
    assert page.count('<img src="data:image/png;base64,') >= 8
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for text in ("ROC AUC", "KS p-value", "0.01", "0.3", "best cut", "score &gt;="):
        assert text in page, text


def test_train_says_which_fold_ran_out_of_epochs(trained, tmp_path):
    # --max-epochs 3 with a patience of 10: no fold can be stopped by early
    # stopping; the folds whose validation loss still fell in the last epoch
    # were cut short by the limit, and the progress display and the report say
    # which, with no raw warning printed beside them
    from physml_sklearn import load
    from physml_sklearn._core._base import ended_at_epoch_limit

    model = load(trained["out"] / "model.physml")
    limited = [i for i, fold in enumerate(model.estimators_) if ended_at_epoch_limit(fold[-1])]
    assert limited  # three epochs of a new network: the loss still falls
    stderr = trained["stderr"]
    assert stderr.count("this fold may be undertrained; raise --max-epochs") == len(limited)
    assert "ConvergenceWarning" not in stderr and "Warning" not in stderr
    page = html.unescape((trained["out"] / "report.html").read_text(encoding="utf-8"))
    assert page.count(", epoch limit)") == len(limited)
    folds = ", ".join(rf"Fold {i + 1} \(best epoch \d of 3\)" for i in limited)
    assert re.search(rf"Ended by the epoch limit, not by early stopping: {folds}\. .*the 3 "
                     "epochs allowed ran out, so th(is model|ese models) may be undertrained",
                     page)
    # --quiet prints nothing, the note included
    result = run_command("train", "--signal", trained["signal"], "--background",
                         trained["background"], "--weight", "weight", "--max-epochs", "1",
                         "--fold-column", "event_number", "--quiet", "--out",
                         tmp_path / "quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""


def test_report_in_chromium(trained, tmp_path):
    """Every image decodes, no console error, every section there, in a real browser."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright Python package is not installed")
    errors = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto((trained["out"] / "report.html").resolve().as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])"
            )
            sections = page.evaluate(
                "Array.from(document.querySelectorAll('section')).map(s => s.id)"
            )
            headings = page.evaluate(
                "Array.from(document.querySelectorAll('h2')).map(h => h.innerText)"
            )
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert len(images) >= 8
    assert all(complete and width > 0 for _, complete, width in images), images
    assert sections == SECTIONS
    assert headings[0] == "Summary"
    # nothing but the page itself (images are data: URIs)
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


# --- the command line itself ---------------------------------------------------------

def test_help_does_not_import_torch():
    """Parsing is apart from the work: --help loads no heavy library."""
    code = (
        "import sys\n"
        "from physml_sklearn._cli import main\n"
        "for argv in (['--help'], ['train', '--help'], ['apply', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = {'torch', 'skorch', 'sklearn', 'pandas', 'numpy', 'matplotlib', 'uproot'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "--signal SRC" in result.stdout and "--out FILE" in result.stdout


def test_bare_command_prints_help_and_version(capsys):
    assert main([]) == 0
    text = capsys.readouterr().out
    for command in ("demo", "train", "apply"):
        assert command in text
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    from physml_sklearn import __version__

    assert capsys.readouterr().out.strip() == f"physml-sklearn {__version__}"


def test_every_option_has_help_and_default(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--features", "--weight", "--selection", "--folds", "--fold-column",
                   "--out", "--max-epochs", "--random-state", "--quiet", "--overwrite",
                   "--units"):
        assert option in text
    for default in ("(default: 2)", "(default: physml_train)", "(default: 200)",
                    "(default: 0)", "(default: every event weighs 1)",
                    "(default: every numeric column common to all files"):
        assert default in text, default


@pytest.fixture(scope="module")
def small_sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    frame, target = diboson_frame(300, random_state=1)
    signal, background = folder / "s.parquet", folder / "b.parquet"
    frame[target == 0].to_parquet(signal, index=False)
    frame[target == 1].to_parquet(background, index=False)
    other = folder / "other.parquet"
    pd.DataFrame({"x": np.arange(10.0), "y": np.arange(10.0)}).to_parquet(other)
    other_b = folder / "other_b.parquet"
    pd.DataFrame({"u": np.arange(10.0), "v": np.arange(10.0)}).to_parquet(other_b)
    nan_weight = folder / "nan_weight.parquet"
    bad = frame[target == 1].copy()
    bad.loc[bad.index[3], "weight"] = np.nan
    bad.to_parquet(nan_weight, index=False)
    return {"folder": folder, "signal": str(signal), "background": str(background),
            "other": str(other), "other_b": str(other_b), "nan_weight": str(nan_weight)}


def _train_error(capsys, sources, *extra):
    args = ["train", "--signal", sources[0], "--background", sources[1], "--quiet",
            "--max-epochs", "1", "--out", str(Path(sources[0]).parent / "never"), *extra]
    code = main(args)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code != 0
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("physml-sklearn train: error: ")
    assert "Traceback" not in captured.err
    assert not (Path(sources[0]).parent / "never").exists()  # nothing written
    return lines[0]


def test_missing_file(capsys, small_sources):
    line = _train_error(capsys, ["nowhere.parquet", small_sources["background"]])
    assert "--signal" in line and "nowhere.parquet" in line


def test_missing_file_in_a_subprocess(small_sources):
    result = run_command("train", "--signal", small_sources["signal"], "--background",
                         "missing.root:events")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "physml-sklearn train: error: --background: no such file: missing.root"
    ]


def test_file_given_twice(capsys, small_sources):
    signal = small_sources["signal"]
    line = _train_error(capsys, [signal, small_sources["background"]], "--signal", signal)
    assert line.endswith(f"--signal: {signal!r} is given twice; give each file once")


def test_unknown_feature(capsys, small_sources):
    line = _train_error(capsys, [small_sources["signal"], small_sources["background"]],
                        "--features", "lep1_pt", "lep1_ptt")
    assert "lep1_ptt" in line
    assert "lep1_pt'" in line or "did you mean" in line


def test_empty_selection(capsys, small_sources):
    line = _train_error(capsys, [small_sources["signal"], small_sources["background"]],
                        "--selection", "met > 1e9")
    assert "met > 1e9" in line or "selection" in line


def test_no_common_columns(capsys, small_sources):
    line = _train_error(capsys, [small_sources["other"], small_sources["other_b"]])
    assert "common" in line


def test_weight_with_nan(capsys, small_sources):
    line = _train_error(capsys, [small_sources["signal"], small_sources["nan_weight"]],
                        "--weight", "weight")
    assert "weight" in line and "NaN" in line
    assert "nan_weight.parquet" in line


def test_bad_options(capsys, small_sources):
    sources = [small_sources["signal"], small_sources["background"]]
    assert "--folds must be at least 2" in _train_error(capsys, sources, "--folds", "1")
    line = _train_error(capsys, sources, "--weight", "weight", "--features", "weight", "met")
    assert "--weight 'weight' is also listed in --features" in line
    line = _train_error(capsys, sources, "--fold-column", "event_numbr")
    assert "event_numbr" in line
    # a feature named twice was read once and trained on silently
    line = _train_error(capsys, sources, "--features", "met", "m_ll", "met")
    assert "--features lists 'met' more than once" in line
    # the same file as signal and background
    line = _train_error(capsys, [sources[0], sources[0]])
    assert "is given for both class 'signal' and class 'background'" in line
    # named by the option, not by the Python parameter it becomes
    line = _train_error(capsys, sources, "--min-background-events", "-1")
    assert "--min-background-events must be at least 0, got -1" in line


def test_repeated_options_add_up_or_are_refused(capsys):
    from physml_sklearn._cli import _parser

    # the second --signal replaced the first: its files were dropped silently
    args = _parser().parse_args(["train", "--signal", "a.root:t", "--background", "b.csv",
                                 "--signal", "c.parquet", "--features", "met",
                                 "--background", "d.csv", "--features", "m_ll"])
    assert args.signal == ["a.root:t", "c.parquet"]
    assert args.background == ["b.csv", "d.csv"]
    assert args.features == ["met", "m_ll"]
    # an option of one value given twice kept the last value silently
    for argv in (["train", "--signal", "a.csv", "--background", "b.csv",
                  "--selection", "n_jets >= 2", "--selection", "met > 20"],
                 ["train", "--signal", "a.csv", "--background", "b.csv",
                  "--weight=w", "--weight", "w2"],
                 ["apply", "m.physml", "a.csv", "--out", "x.csv", "--out=y.csv"],
                 ["demo", "--n-events", "300", "--n-events", "400"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        option = argv[-1].split("=")[0] if argv[-1].startswith("--") else argv[-2]
        assert f"{option} is given twice; give it once" in capsys.readouterr().err


@pytest.mark.parametrize("command, extra, message", [
    # FoldingClassifier's "The 'random_state' parameter ... Got -1", numpy's
    # "Seed must be between 0 and 2**32 - 1"
    ("train", ["--signal", "s.parquet", "--background", "b.parquet"],
     "argument --random-state: must be an integer from 0 to 2147483647, got -1"),
    ("demo", [], "argument --random-state: must be an integer from 0 to 2147483647, got -1"),
    ("example-files", ["folder"],
     "argument --random-state: must be an integer from 0 to 2147483647, got -1"),
])
def test_random_state_is_checked_by_its_option(capsys, command, extra, message):
    with pytest.raises(SystemExit) as exit_info:
        main([command, *extra, "--random-state", "-1"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    # the energy resolution's "bin ... holds 20 events and a resolution needs at least 30",
    # DropoutMLPClassifier's "The 'max_epochs' parameter ... Got 0"
    (["--n-events", "100"], "--n-events must be at least 200, got 100"),
    (["--max-epochs", "0"], "--max-epochs must be at least 1, got 0"),
    (["--gan-epochs", "0"], "--gan-epochs must be at least 1, got 0"),
])
def test_demo_options_are_checked_before_anything_runs(capsys, tmp_path, extra, message):
    assert main(["demo", "--output", str(tmp_path / "figures"), *extra]) != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "figures").exists()


@pytest.mark.parametrize("command", ["train", "apply", "example-files", "demo"])
def test_an_output_under_a_file_is_refused_before_any_work(command, capsys, tmp_path,
                                                           small_sources):
    # train found out when it wrote its folder, after the training
    # ("[Errno 17] cannot write afile/run: File exists: 'afile'")
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    out = blocker / "run"
    argv = {
        "train": ["train", "--signal", small_sources["signal"], "--background",
                  small_sources["background"], "--out", str(out)],
        "apply": ["apply", small_sources["signal"], small_sources["signal"], "--out",
                  str(out / "x.csv")],
        "example-files": ["example-files", str(out)],
        "demo": ["demo", "--output", str(out)],
    }[command]
    option = {"train": "--out", "apply": "--out", "example-files": "DIR",
              "demo": "--output"}[command]
    assert main(argv) == 1
    err = capsys.readouterr().err
    # the only line: nothing read (apply's MODEL is not even a model) or trained
    assert err.strip().splitlines() == [
        f"physml-sklearn {command}: error: {option} {argv[-1]}: {blocker} is a file, not a "
        "folder; name another place"]
    assert blocker.read_text() == "mine"


def test_demo_output_that_is_a_file_is_named(capsys, tmp_path):
    # "[Errno 17] File exists: 'figures'", without the option or the fix
    (tmp_path / "figures").write_text("mine")
    assert main(["demo", "--output", str(tmp_path / "figures"), "--only", "gan"]) == 1
    assert (f"--output {tmp_path / 'figures'}: a file is there; the figures go in a folder, "
            "name a new one") in capsys.readouterr().err
    assert (tmp_path / "figures").read_text() == "mine"


def test_example_files_names_n_events_beyond_the_memory(capsys, tmp_path):
    assert main(["example-files", str(tmp_path / "f"), "--n-events", str(10**13)]) != 0
    err = capsys.readouterr().err
    assert "--n-events 10,000,000,000,000:" in err and "memory available" in err
    assert not (tmp_path / "f").exists()


def test_outputs_never_replace_the_inputs(capsys, trained, small_sources, tmp_path):
    import shutil

    model = str(trained["out"] / "model.physml")
    data = tmp_path / "data.parquet"
    shutil.copy(small_sources["signal"], data)
    before = data.read_bytes()
    # apply wrote the scored table over its own input
    assert main(["apply", model, str(data), "--out", str(tmp_path / ".." / tmp_path.name /
                                                         "data.parquet")]) == 1
    err = capsys.readouterr().err
    assert "is the input" in err and "never replace the inputs" in err
    assert data.read_bytes() == before
    # a run folder replaced with --overwrite would take an input inside it along
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(small_sources["background"], run / "scores.parquet")
    assert main(["train", "--signal", small_sources["signal"], "--background",
                 str(run / "scores.parquet"), "--out", str(run), "--overwrite", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "holds the input" in err and "never replace the inputs" in err
    assert sorted(p.name for p in run.iterdir()) == ["scores.parquet"]


def test_apply_errors(capsys, trained, small_sources, tmp_path):
    model = str(trained["out"] / "model.physml")
    cases = [
        (["apply", "nope.physml", small_sources["signal"], "--out", "x.parquet"],
         "MODEL: no such file: nope.physml"),
        (["apply", model, small_sources["signal"], "--out", str(tmp_path / "x.json")],
         "--out"),
        (["apply", model, small_sources["other"], "--out", str(tmp_path / "x.parquet")],
         "other.parquet: no column 'lep1_pt'"),
        (["apply", small_sources["signal"], small_sources["signal"], "--out",
          str(tmp_path / "x.parquet")], "MODEL"),
    ]
    # a file given twice would be scored twice, its events twice in the output,
    # under any spelling of its path, or a hard link to it
    signal = small_sources["signal"]
    again = f"{Path(signal).parent}/./{Path(signal).name}"
    os.link(signal, tmp_path / "linked.parquet")
    cases.append((["apply", model, signal, str(tmp_path / "linked.parquet"), "--out",
                   str(tmp_path / "x.parquet")],
                  f"SRC: {str(tmp_path / 'linked.parquet')!r} is given twice (as {signal!r})"))
    cases += [
        (["apply", model, signal, signal, "--out", str(tmp_path / "x.parquet")],
         f"SRC: {signal!r} is given twice; give each file once"),
        (["apply", model, signal, small_sources["background"], again, "--out",
          str(tmp_path / "x.parquet")],
         f"SRC: {again!r} is given twice (as {signal!r}); give each file once"),
    ]
    # the ONNX file beside model.physml ("not a model file written by physml_sklearn.save")
    cases.append((["apply", str(trained["out"] / "model.onnx"), signal, "--out",
                   str(tmp_path / "x.parquet")],
                  "an ONNX file, which apply does not read; give the model.physml"))
    # a folder (or a device, a pipe) is never read
    cases.append((["apply", str(tmp_path), signal, "--out", str(tmp_path / "x.parquet")],
                  f"MODEL: not a regular file but a folder, which is never read: {tmp_path}"))
    # event numbers that are not integers: the model's refusal came without the file
    halves = tmp_path / "halves.parquet"
    frame = pd.read_parquet(small_sources["signal"])
    frame.assign(event_number=frame["event_number"] + 0.5).to_parquet(halves)
    cases.append((["apply", model, str(halves), "--out", str(tmp_path / "x.parquet")],
                  f"{halves}: fold_column='event_number' must hold integer event numbers"))
    for argv, message in cases:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert message in err, (message, err)
    assert sorted(tmp_path.iterdir()) == sorted([halves, tmp_path / "linked.parquet"])


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_apply_names_the_column_and_event_a_nan_stops(capsys, trained, tmp_path, suffix):
    # an event the model cannot score is neither dropped nor given a score:
    # the whole file is refused, and the message says where to look
    frame = trained["frame"].iloc[:30].copy()
    frame.loc[frame.index[6], "met"] = np.nan
    frame.loc[frame.index[9], "met"] = np.inf
    frame.loc[frame.index[12], "lep2_pt"] = -np.inf
    source = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        frame.to_csv(source, index=False)
    else:
        frame.to_parquet(source, index=False)
    out = tmp_path / "scored.parquet"
    assert main(["apply", str(trained["out"] / "model.physml"), str(source), "--out",
                 str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert (f"{source}: column 'met': 2 events with a NaN or infinite value (the first is "
            "event 7 of the file, counting from 1)") in err, err
    assert "np.isfinite(frame['met'])" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_scores_parquet_column_types(trained):
    """scores.parquet is plain columns, readable without this package."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(trained["out"] / "scores.parquet")
    types = {name: str(schema.field(name).type) for name in schema.names}
    assert types["score"] == "double" and types["weight"] == "double"
    assert types["event_number"] == "int64"
    assert types["label"] in ("string", "large_string")
