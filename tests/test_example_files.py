"""``physml-sklearn example-files`` and the README's own-files command, run as written."""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from physml_sklearn._cli import example_files, main
from physml_sklearn.datasets import load_ntuples, make_diboson

uproot = pytest.importorskip("uproot")
ROOT = Path(__file__).resolve().parents[1]
FILES = ["wz.root", "zz.parquet", "data.root"]


def _command(words, cwd):
    """Run one README command, ``physml-sklearn`` as ``python -m physml_sklearn``."""
    assert words[0] == "physml-sklearn", words
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "physml_sklearn", *words[1:]],
                          check=False, capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=900)


def _readme_own_files_command():
    """The README line that starts the own-files command, from ``physml-sklearn example-files``."""
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```bash\n")[1:]
    lines = [line for block in blocks for line in block.split("```")[0].splitlines()
             if "physml-sklearn example-files" in line]
    assert len(lines) == 1, lines
    return lines[0][lines[0].index("physml-sklearn example-files"):]


def test_readme_own_files_command_runs_as_written(tmp_path):
    line = _readme_own_files_command()
    commands = [shlex.split(part) for part in line.split("&&")]
    assert [c[1] for c in commands] == ["example-files", "train", "apply"]
    start = time.perf_counter()
    for words in commands:
        result = _command(words, tmp_path)
        assert result.returncode == 0, (words, result.stdout, result.stderr)
    elapsed = time.perf_counter() - start
    print(f"the README's own-files command took {elapsed:.0f} s")  # measured, not asserted
    for name in FILES + ["wz_vs_zz/model.physml", "wz_vs_zz/report.html",
                         "wz_vs_zz/scores.parquet", "data_scored.parquet"]:
        assert (tmp_path / name).is_file(), name
    scored = pd.read_parquet(tmp_path / "data_scored.parquet")
    data = load_ntuples({"data": str(tmp_path / "data.root:events")})
    assert len(scored) == len(data.data)
    assert scored["score"].between(0, 1).all() and scored["score"].std() > 0.1
    np.testing.assert_array_equal(scored["event_number"], data.data["event_number"])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("example") / "files"  # created by the command
    assert main(["example-files", str(folder), "--n-events", "400"]) == 0
    return folder


def test_files_hold_diboson_events_with_numbers_weights_and_units(written, capsys):
    sources = {"signal": str(written / "wz.root:events"),
               "background": str(written / "zz.parquet")}
    events = load_ntuples(sources, weight="weight")
    data = load_ntuples({"data": str(written / "data.root")}, weight="weight")
    reference = make_diboson(10, random_state=0)
    assert events.feature_names == ["event_number"] + reference.feature_names
    assert events.feature_units == {"event_number": "", **reference.feature_units}
    assert data.feature_units == events.feature_units
    assert (events.target == 0).sum() == (events.target == 1).sum() == 400
    assert len(data.data) == 400
    numbers = np.r_[events.data["event_number"], data.data["event_number"]]
    assert len(np.unique(numbers)) == len(numbers) == 1200
    assert numbers.dtype == np.int64
    # physics weights: the expected WZ yield is larger than the ZZ one, data weigh 1
    w = events.sample_weight
    assert (w > 0).all() and w[events.target == 0].sum() > 5 * w[events.target == 1].sum()
    assert (data.sample_weight == 1).all()
    # the data mix WZ and ZZ in the proportion of their yields: mostly WZ-like MET
    assert 0.5 < np.mean(data.data["met"] > 30) < 0.95
    title = uproot.open(written / "wz.root")["events"].title
    assert "met [GeV]" in title and "lep1_phi [rad]" in title and "n_jets []" in title


def test_prints_what_it_wrote_and_the_next_command(tmp_path, capsys):
    assert main(["example-files", str(tmp_path), "--n-events", "100"]) == 0
    out = capsys.readouterr().out
    for name in FILES:
        assert f"wrote {tmp_path / name}" in out
    assert (f"physml-sklearn train --signal {tmp_path / 'wz.root'}:events --background "
            f"{tmp_path / 'zz.parquet'} --weight weight --fold-column event_number") in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)  # no temporaries
    for name in FILES:
        assert (tmp_path / name).stat().st_mode & 0o044  # readable like any new file


def test_refuses_to_overwrite_unless_asked(tmp_path, capsys):
    (tmp_path / "zz.parquet").write_text("mine")
    assert main(["example-files", str(tmp_path), "--n-events", "100"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}: zz.parquet already exist; pass --overwrite" in err
    assert (tmp_path / "zz.parquet").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zz.parquet"]
    assert main(["example-files", str(tmp_path), "--n-events", "100", "--overwrite"]) == 0
    assert len(pd.read_parquet(tmp_path / "zz.parquet")) == 100


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "zz.parquet").write_text("old")

    def failing(frame, path, units):
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(example_files, "_write_parquet", failing)
    assert main(["example-files", str(tmp_path), "--n-events", "100", "--overwrite"]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert (tmp_path / "zz.parquet").read_text() == "old"  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wz.root", "zz.parquet"]


def test_bad_arguments(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["example-files", str(tmp_path / "file")]) == 1
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["example-files", str(tmp_path), "--n-events", "5"]) == 1
    assert "--n-events 5: too few to train on; give at least 100" in capsys.readouterr().err


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from physml_sklearn._cli import main\n"
        "try:\n"
        "    main(['example-files', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'torch', 'skorch', 'sklearn', 'pandas', 'numpy', 'matplotlib', 'uproot'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                            text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "--overwrite" in result.stdout and "DIR" in result.stdout
