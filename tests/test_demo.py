"""``physml-sklearn demo``, the README's first command, at tiny settings.

The whole demo runs once (a module fixture): every table it prints and every
figure it writes are checked, and the figures are inspected as matplotlib
objects on their way to the disk.
"""

import contextlib
import io
import re
import warnings

import numpy as np
import pytest

from physml_sklearn._cli import demo as demo_module
from physml_sklearn._cli import main
from physml_sklearn._cli.demo import SECTIONS, DemoProgress

TINY = ["--n-events", "600", "--max-epochs", "2", "--gan-epochs", "3", "--random-state", "0"]

FIGURES = {
    "classifiers": ["loss_curve.png", "score_distribution.png",
                    "score_distribution_multiclass.png", "feature_importance.png"],
    "decorrelation": ["mass_sculpting.png"],
    "autoencoder": ["deblurring.png", "latent_space.png"],
    "gan": ["gan_cubic_snapshots.png", "gan_losses.png"],
    "regression": ["energy_resolution.png"],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    saved = {}
    original = demo_module._save

    def record(fig, out, name):
        saved[name] = fig
        return original(fig, out, name)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo_module, "_save", record)
        # a line for every epoch, not every 2 s: the count does not depend on the clock
        mp.setattr(demo_module, "PROGRESS_INTERVAL", 0.0)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            status = main(["demo", "--output", str(out), *TINY])
    return status, buffer.getvalue(), out, saved


def table(stdout, title):
    """The rows of the table printed under ``title``, as lists of cells."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    assert set(lines[start + 1]) == {"-"}
    rows = []
    for line in lines[start + 3:]:
        if not line.strip() or line.startswith(("wrote", "(", "- ")):
            break
        rows.append(line)
    return lines[start + 2], rows


def numbers(line):
    return [float(v) for v in re.findall(r"-?\d+\.\d+", line)]


def test_demo_runs_every_section_and_writes_every_figure(demo):
    status, stdout, out, saved = demo
    assert status == 0
    assert list(SECTIONS) == list(FIGURES)
    for section, names in FIGURES.items():
        assert f"=== {section} ===" in stdout
        for name in names:
            path = out / name
            assert f"wrote {path}" in stdout
            with open(path, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == sorted(sum(FIGURES.values(), []))
    assert "demo finished" in stdout


def test_demo_tables(demo):
    _, stdout, _, _ = demo
    header, rows = table(stdout, "Test performance")
    assert header.split()[-4:] == ["roc_auc", "accuracy", "epochs", "best_epoch"]
    assert len(rows) == 2 and "DropoutMLPClassifier" in rows[0]
    for row in rows:
        roc_auc, accuracy = numbers(row)[:2]
        assert 0 < roc_auc <= 1 and 0 < accuracy <= 1
        assert row.split()[-2:] == ["2", "2"]  # --max-epochs 2, no early stop yet

    _, rows = table(stdout, "Overtraining check, WZ vs ZZ")
    assert [row.split()[0] for row in rows] == ["WZ", "ZZ"]
    _, rows = table(stdout, "Overtraining check, WZ / ZZ / ttZ")
    assert [row.split()[0] for row in rows] == ["WZ", "ZZ", "ttZ"]
    for row in rows:
        ks, pvalue, auc_train, auc_test = numbers(row)
        assert 0 <= ks <= 1 and 0 <= pvalue <= 1 and 0 < auc_test <= 1

    _, rows = table(stdout, "Permutation ranking")
    assert len(rows) == 17  # one row per diboson feature
    assert [int(row.split()[-1]) for row in rows] == list(range(1, 18))

    _, rows = table(stdout, "ttZ as an anomaly")
    assert [row.split()[0] for row in rows] == ["AutoEncoderOutlierDetector", "IsolationForest"]

    _, rows = table(stdout, "Deblurring test digits")
    psnr = {row.rsplit(None, 1)[0].strip(): float(row.split()[-1]) for row in rows}
    assert set(psnr) == {"blurred + noisy input", "RidgeCV", "AutoEncoder"}
    assert psnr["RidgeCV"] > psnr["blurred + noisy input"]

    _, rows = table(stdout, "600 samples of y = x^3 against 600 fresh true points")
    assert [row.split()[0] for row in rows] == ["GANSampler", "KernelDensity", "true"]
    for row in rows:
        c2st, residual, distance = numbers(row)[-3:]
        assert 0 <= c2st <= 1 and residual >= 0


def test_demo_figures_are_labelled_for_a_physicist(demo):
    _, _, _, saved = demo
    # overtraining plots on log-scaled counts
    for name in ("score_distribution.png", "score_distribution_multiclass.png"):
        assert {ax.get_yscale() for ax in saved[name].axes} == {"log"}
    # latent axes
    ax = saved["latent_space.png"].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("latent 1", "latent 2")
    # GAN panels: x and y, a mathtext title
    panels = saved["gan_cubic_snapshots.png"].axes
    assert panels[0].get_xlabel() == "x" and panels[0].get_ylabel() == "y"
    assert "$y = x^3$" in saved["gan_cubic_snapshots.png"].get_suptitle()
    # GAN losses: ln 2 and 2 ln 2 marked, where a balanced game settles
    ax = saved["gan_losses.png"].axes[0]
    levels = sorted(
        line.get_ydata()[0] for line in ax.get_lines()
        if len(set(np.asarray(line.get_ydata(), dtype=float))) == 1
    )
    np.testing.assert_allclose(levels, [np.log(2), 2 * np.log(2)])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(r"$\ln 2$" in t for t in labels) and any(r"$2 \ln 2$" in t for t in labels)


def test_demo_regression_section(demo):
    _, stdout, _, saved = demo
    header, rows = table(stdout, "Energy calibration of 600 test photons")
    assert header.split() == ["low", "high", "n", "response_raw", "resolution_raw",
                              "response_mlp", "resolution_mlp"]
    assert len(rows) == 5
    assert sum(int(row.split()[2]) for row in rows) == 600
    for row in rows:
        low, high, response, resolution = (numbers(row)[k] for k in (0, 1, 2, 3))
        assert 0 < low < high and 0.5 < response < 1.5 and 0 < resolution < 1
    response_ax, resolution_ax = saved["energy_resolution.png"].axes[:2]
    assert resolution_ax.get_xlabel() == "E_true [GeV]"
    assert [t.get_text() for t in response_ax.get_legend().get_texts()] == [
        "raw e_measured", "DropoutMLPRegressor"]


def test_demo_decorrelation_section(demo):
    # the measured rejection and flatness of both taggers, and the QCD mass
    # after cuts on each
    _, stdout, _, saved = demo
    header, rows = table(stdout, "Mass sculpting at 50 % W efficiency, 600 test jets, "
                                 "5 mass bins")
    assert header.split() == ["model", "R50", "R50_error", "QCD_passing", "QCD_jets",
                              "inverse_JSD", "inverse_JSD_limit", "epochs"]
    assert [row.split(",")[0].split()[0] for row in rows] == ["unconstrained", "DisCo"]
    assert "DisCo, strength 30" in rows[1]
    for row in rows:
        cells = row.split()
        r50, r50_error, passing, n_qcd, inverse_jsd, limit, epochs = (
            float(cells[k]) for k in range(-7, 0))
        # R50 is the number of QCD jets over those passing, and its
        # uncertainty the Monte Carlo one of the passing count
        assert 0 < passing < n_qcd and passing == int(passing)
        assert r50 == pytest.approx(n_qcd / passing, rel=1e-3)
        assert r50_error == pytest.approx(r50 / np.sqrt(passing), rel=1e-3)
        assert r50 >= 1 and inverse_jsd >= 1
        # the statistical limit of 1/JSD with these jets: 4 occupied bins
        # (of 5), the passing and the failing QCD jets
        assert limit == pytest.approx(
            8 * np.log(2) / (4 * (1 / passing + 1 / (n_qcd - passing))), rel=0.01)
        assert epochs == 2
    fig = saved["mass_sculpting.png"]
    left, right = fig.axes[:2]
    assert (left.get_title(), right.get_title()) == ("unconstrained", "DisCo, strength 30")
    assert left.get_xlabel() == "m [GeV]"
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert len(labels) == 4 and "JSD" in labels[1]


# -- progress: no step is silent -----------------------------------------------


def test_demo_announces_every_step_and_every_epoch(demo):
    _, stdout, _, _ = demo
    lines = stdout.splitlines()
    steps = [line for line in lines if line.startswith("- ")]
    for what in ("training DropoutMLPClassifier", "ranking the 17 inputs",
                 "training SoftmaxMLPClassifier", "training AutoEncoderOutlierDetector",
                 "training IsolationForest", "training AutoEncoder to deblur",
                 "training AutoEncoder with a 2-d latent space", "training GANSampler",
                 "choosing the bandwidth", "judging GANSampler", "judging KernelDensity",
                 "training DropoutMLPRegressor",
                 "training the W tagger (DropoutMLPClassifier), unconstrained",
                 "training the W tagger (DropoutMLPClassifier), DisCo"):
        assert sum(step.startswith("- " + what) for step in steps) == 1, what
    # each section starts with a step, before its imports and its data
    for section in SECTIONS:
        header = lines.index(f"=== {section} ===")
        assert lines[header + 1].startswith("- generating")
    # every epoch of every fit (interval 0 in the fixture), then a line at the end
    epochs = [re.match(r"    epoch +(\d+)/(\d+)  ", line) for line in lines]
    epochs = [(int(m[1]), int(m[2])) for m in epochs if m]
    # --max-epochs 2 for the seven networks, --gan-epochs 3 for the GAN, then the
    # regressor's 2
    assert epochs == [(1, 2), (2, 2)] * 7 + [(1, 3), (2, 3), (3, 3)] + [(1, 2), (2, 2)]
    ends = [line for line in lines if re.match(r"    \d+ epochs", line)]
    assert [line.split()[0] for line in ends] == ["2"] * 7 + ["3"] + ["2"]
    # the losses each network reports
    gan_epoch = next(line for line in lines if line.startswith("    epoch   1/3"))
    assert "generator loss" in gan_epoch and "discriminator loss" in gan_epoch
    first = next(line for line in lines if line.startswith("    epoch   1/2"))
    assert "training loss" in first and "validation loss" in first
    # the tables stay apart from the steps that follow them
    for i, line in enumerate(lines[1:], 1):
        if line.startswith("- ") and lines[i - 1].strip():
            assert lines[i - 1].startswith(("- ", "    ", "=== ")), (lines[i - 1], line)


def test_demo_figures_are_unchanged_by_the_progress_display(demo):
    # the same random_state gives the same fits with or without the callbacks
    _, stdout, _, _ = demo
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from physml_sklearn import DropoutMLPClassifier
    from physml_sklearn.datasets import make_diboson

    data = make_diboson(600, processes=("WZ", "ZZ"), random_state=0, as_frame=True)
    X_train, _, y_train, _ = train_test_split(
        data.data, data.target, test_size=0.3, stratify=data.target, random_state=0
    )
    quiet = make_pipeline(
        StandardScaler(), DropoutMLPClassifier(early_stopping=True, max_epochs=2, random_state=0)
    ).fit(X_train, y_train)
    printed = [float(m[1]) for m in re.finditer(r"epoch +\d+/2  training loss (\S+)", stdout)]
    assert printed[:2] == [round(v, 4) for v in quiet[-1].loss_curve_]


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_in_a_log_prints_a_line_every_interval():
    clock, stream = _Clock(), io.StringIO()
    progress = DemoProgress(stream=stream, interval=2.0, clock=clock)
    progress.begin_fold()
    for epoch in range(1, 11):  # 0.7 s per epoch
        clock.now += 0.7
        progress.epoch({"epoch": epoch, "train_loss": 1.0 / epoch}, 10)
    progress.end_fold(10, 7)
    lines = stream.getvalue().splitlines()
    # the first epoch, then the first epoch 2 s or more after the previous line
    assert [int(re.search(r"epoch +(\d+)/10", line)[1]) for line in lines[:-1]] == [1, 4, 7, 10]
    assert lines[1].endswith("(2.8 s)")
    assert lines[-1] == "    10 epochs, weights of the best epoch 7 kept (7.0 s)"


def test_progress_on_a_terminal_rewrites_one_line():
    stream = _Terminal()
    progress = DemoProgress(stream=stream, interval=2.0, clock=_Clock())
    progress.step("training")
    progress.begin_fold()
    for epoch in (1, 2, 3):
        progress.epoch({"epoch": epoch, "train_loss": 0.5, "valid_loss": 0.6}, 3)
    progress.end_fold(3, 3)
    text = stream.getvalue()
    assert text.count("\n") == 2  # the step and the end of the fit
    assert text.count("\r\033[K") == 4
    assert text.endswith("\r\033[K    3 epochs (0.0 s)\n")


def test_a_network_cut_short_by_max_epochs_is_said_once(tmp_path):
    # two epochs: the validation loss still falls, so the networks with early
    # stopping end at the limit; the demo says so under each such fit, and
    # the estimators' own ConvergenceWarning is not printed beside it
    buffer = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buffer):
        warnings.simplefilter("always")
        assert main(["demo", "--output", str(tmp_path), "--only", "classifiers",
                     *TINY]) == 0
    notes = re.findall(r"^    2 epochs.*; the validation loss was still improving at the "
                       r"last epoch allowed: a larger --max-epochs may train a better "
                       r"network$", buffer.getvalue(), flags=re.M)
    assert len(notes) == 2  # the binary and the multiclass classifier
    assert not [w for w in caught if "Maximum epochs" in str(w.message)]
    stream = io.StringIO()
    progress = DemoProgress(stream=stream, interval=2.0, clock=_Clock())
    progress.begin_fold()
    progress.end_fold(40, 30, False)
    assert stream.getvalue() == "    40 epochs, weights of the best epoch 30 kept (0.0 s)\n"


def test_progress_is_shared_by_the_copies_of_the_callbacks():
    import copy

    progress = DemoProgress(stream=io.StringIO())
    (name, callback), = progress.callbacks()
    assert copy.deepcopy(callback).progress is progress


# -- the figures a physicist shows -------------------------------------------------


def test_multiclass_scores_are_step_outlines_and_fit_their_axes(demo):
    from matplotlib.patches import StepPatch

    _, _, _, saved = demo
    for ax in saved["score_distribution_multiclass.png"].axes:
        steps = [p for p in ax.patches if isinstance(p, StepPatch)]
        assert len(steps) == 3 and not any(p.get_fill() for p in steps)
        # the y range ends just above the tallest bin or marker: no empty decade
        tallest = max(max(np.max(p.get_data().values) for p in steps),
                      max(np.max(line.get_ydata()) for line in ax.get_lines()))
        low, high = ax.get_ylim()
        assert tallest < high <= 3 * tallest
        # the legend below the panel, not over the histograms
        legend = ax.get_legend()
        assert legend.get_bbox_to_anchor().y0 < ax.get_window_extent().y0
    # two classes: translucent fills stay readable
    (ax,) = saved["score_distribution.png"].axes
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert len(steps) == 2 and all(p.get_fill() for p in steps)


def test_gan_snapshots_draw_the_truth_on_top_and_thin(demo):
    _, _, _, saved = demo
    fig = saved["gan_cubic_snapshots.png"]
    for ax in fig.axes:
        (real,) = [c for c in ax.collections if c.get_label() == "real"]
        (generated,) = [c for c in ax.collections if c.get_label() == "generated"]
        assert real.get_zorder() > generated.get_zorder()
        assert real.get_sizes().max() < generated.get_sizes().min()
    assert "black: fresh true points" in fig.get_suptitle()


def test_deblurring_figure_shows_the_psnr_the_console_prints(demo):
    _, stdout, _, saved = demo
    _, rows = table(stdout, "Deblurring test digits")
    psnr = {row.rsplit(None, 1)[0].strip(): float(row.split()[-1]) for row in rows}
    ax = saved["deblurring.png"].axes[0]
    labels = " ".join(t.get_text() for t in ax.get_yticklabels())
    assert "PSNR" in labels and "MSE" not in labels
    title = ax.get_title()
    assert f"{psnr['AutoEncoder']:.1f} dB" in title
    assert f"input {psnr['blurred + noisy input']:.1f} dB" in title


def test_reconstruction_display_reports_psnr():
    from physml_sklearn.plotting import ReconstructionDisplay

    rng = np.random.default_rng(0)
    clean = rng.uniform(0, 1, size=(6, 64))
    clean[:, 0], clean[:, 1] = 0.0, 1.0  # pixels in [0, 1]: the peak is 1
    output = clean + rng.normal(0, 0.1, size=clean.shape)
    disp = ReconstructionDisplay.from_predictions(clean + 0.3, output, clean)
    expected = 10 * np.log10(1 / np.mean((output - clean) ** 2))
    assert disp.psnr_ == pytest.approx(expected)
    assert disp.ax_.get_yticklabels()[-1].get_text() == f"reconstruction\nPSNR {expected:.1f} dB"
    # the peak is the range of the targets: images in [0, 255] score the same
    scaled = ReconstructionDisplay.from_predictions(255 * (clean + 0.3), 255 * output, 255 * clean)
    assert scaled.psnr_ == pytest.approx(expected)
    # a perfect reconstruction, and constant images, give no NaN
    assert ReconstructionDisplay.from_predictions(clean, clean, clean).psnr_ == np.inf
    flat = np.full((2, 64), 0.5)
    assert np.isfinite(ReconstructionDisplay.from_predictions(flat, flat + 0.1, flat).psnr_)


def test_demo_two_sample_test_takes_only_the_free_cores(tmp_path, monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    import physml_sklearn.metrics as metrics
    from physml_sklearn._core import _threads

    original, seen = metrics.classifier_two_sample_auc, []

    def recording(*args, **kwargs):
        seen.append({p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"})
        return original(*args, **kwargs)

    monkeypatch.setattr(metrics, "classifier_two_sample_auc", recording)
    monkeypatch.setattr(_threads, "free_cores", lambda *a, **k: 0.4)  # a busy machine
    # two OpenMP threads outside, whatever the environment of the tests says
    with threadpool_limits(limits=2, user_api="openmp"), \
            contextlib.redirect_stdout(io.StringIO()):
        assert main(["demo", "--output", str(tmp_path), "--only", "gan", *TINY]) == 0
    assert seen == [{1}] * 3  # one thread for each of the three samplers


def test_a_figure_interrupted_while_saved_leaves_the_previous_one(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from physml_sklearn._cli.demo import _save

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    path = _save(fig, tmp_path, "figure.png")
    before = path.read_bytes()
    assert before.startswith(b"\x89PNG")

    def interrupted(target, **kwargs):
        with open(target, "wb") as f:
            f.write(b"\x89PNG half")
        raise KeyboardInterrupt

    fig.savefig = interrupted
    with pytest.raises(KeyboardInterrupt):
        _save(fig, tmp_path, "figure.png")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]
    plt.close(fig)
