"""physml_sklearn.report.write_report: the analysis page from Python and in a browser.

One cross-trained network on ``make_diboson`` events with their physics
weights (a module fixture, a few seconds); the page is read as text and, when
the system Chromium and playwright are there, in a real browser.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier, FoldingClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.metrics import significance_scan
from physml_sklearn.report import write_report
from physml_sklearn.report._analysis import rejection_table
from physml_sklearn.report._figures import bin_edges, correlation_text

CHROMIUM = "/usr/bin/chromium"
SECTIONS = ["summary", "inputs", "training", "overtraining", "ranking", "rejection",
            "significance", "files"]
FEW = ["met", "mt_w", "m_lll", "n_jets"]  # the cheap tests draw four inputs
GEV = {c: "GeV" for c in ("lep1_pt", "lep2_pt", "lep3_pt", "m_ll", "m_lll", "mt_w", "met",
                          "ht", "pt_z")}


def _events(n_samples=4000, random_state=0):
    data = make_diboson(n_samples, random_state=random_state, as_frame=True)
    X = data.data.copy()
    X["event_number"] = np.arange(len(X)) * 7 + 3
    y = np.where(data.target.to_numpy() == 0, "signal", "background")  # WZ is the signal
    return X, y, np.asarray(data.sample_weight, dtype=float)


def _network(**params):
    return DropoutMLPClassifier(**{
        "hidden_layer_sizes": (32, 16), "dropout": 0.0, "class_weight": "balanced",
        "early_stopping": True, "max_epochs": 8, "lr": 3e-3, "random_state": 0, **params})


@pytest.fixture(scope="module")
def folded(tmp_path_factory):
    X, y, w = _events()
    model = FoldingClassifier(make_pipeline(StandardScaler(), _network()),
                              fold_column="event_number").fit(X, y, sample_weight=w)
    path = tmp_path_factory.mktemp("report") / "report.html"
    summary = write_report(path, model, X, y, sample_weight=w, feature_units=GEV,
                           balanced_training=True, random_state=0)
    return {"X": X, "y": y, "w": w, "model": model, "path": path, "summary": summary,
            "page": path.read_text(encoding="utf-8")}


def _cell(page, quantity):
    """The value beside ``quantity`` in the summary table."""
    match = re.search(rf"<td>{re.escape(quantity)}</td>\s*<td>([^<]*)</td>", page)
    assert match, quantity
    return match.group(1)


def test_summary_is_the_scan_with_mc_uncertainty_and_the_floor(folded):
    X, y, w, model, summary = (folded[k] for k in ("X", "y", "w", "model", "summary"))
    score = model.predict_proba(X)[:, 1]  # the fold rule: out-of-fold on these events
    scan = significance_scan(y == "signal", score, sample_weight=w, pos_label=True,
                             background_uncertainty="mc", min_background_events=10)
    best = scan.loc[scan.significance.idxmax()]
    assert summary["out_of_fold"] is True
    assert summary["threshold"] == best.threshold
    assert summary["significance"] == pytest.approx(best.significance)
    assert summary["background_error"] == pytest.approx(best.background_error)
    assert (summary["n_signal"], summary["n_background"]) == (best.n_signal,
                                                              best.n_background)
    assert summary["n_background"] >= 10
    assert summary["signal_efficiency"] == pytest.approx(best.signal / w[y == "signal"].sum())
    for key, value in summary.items():  # ready for json.dumps
        assert isinstance(value, (bool, int, float)), key


def _placement_mean(is_signal, score, w):
    """The weighted AUC by brute force: every signal-background pair."""
    s, b = score[is_signal], score[~is_signal]
    ws, wb = w[is_signal], w[~is_signal]
    pairs = (s[:, None] > b[None, :]) + 0.5 * (s[:, None] == b[None, :])
    return float(ws @ pairs @ wb / (ws.sum() * wb.sum()))


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_error_is_the_spread_over_independent_samples(weighted):
    # DeLong's estimate against the spread of the AUC over 400 independent
    # samples of the same size (and weights)
    from physml_sklearn.metrics._overtraining import _weighted_auc
    from physml_sklearn.report._analysis import auc_error

    rng = np.random.default_rng(0)
    n1, n0 = 150, 1200
    aucs, errors = [], []
    for _ in range(400):
        y = np.r_[np.ones(n1), np.zeros(n0)].astype(int)
        score = np.r_[rng.normal(1.0, 1.0, n1), rng.normal(0.0, 1.0, n0)]
        w = rng.uniform(0.2, 3.0, n1 + n0) if weighted else np.ones(n1 + n0)
        auc = _weighted_auc(y, score, w)
        aucs.append(auc)
        errors.append(auc_error(y == 1, score, w))
        assert auc == pytest.approx(_placement_mean(y == 1, score, w), rel=1e-12)
    assert np.mean(errors) == pytest.approx(np.std(aucs, ddof=1), rel=0.15)


def test_summary_quotes_the_roc_auc_with_its_error(folded):
    from physml_sklearn.report._analysis import auc_error

    summary, y, w = folded["summary"], folded["y"], folded["w"]
    signal = y == "signal"
    score = folded["model"].out_of_fold_proba_[:, list(folded["model"].classes_).index("signal")]
    assert summary["roc_auc_error"] == pytest.approx(auc_error(signal, score, w))
    assert 0 < summary["roc_auc_error"] < 0.05
    assert re.search(r"ROC AUC \(out-of-fold, weighted\)</td>\s*<td>0\.\d+ ± 0\.\d+</td>",
                     folded["page"])


def test_page_shows_s_b_sigma_b_and_the_simulated_counts(folded):
    page, summary = folded["page"], folded["summary"]
    value = _cell(page, "background B ± σB above the cut (simulated events)")
    assert value.endswith(f"({summary['n_background']})")
    b, error = map(float, re.match(r"([\d.e+]+) ± ([\d.e+]+)", value).groups())
    assert b == pytest.approx(summary["background"], rel=0.05)
    assert error == pytest.approx(summary["background_error"], rel=0.05)
    assert _cell(page, "signal S above the cut (simulated events)").endswith(
        f"({summary['n_signal']})")
    assert _cell(page, "fewest simulated background events a cut may keep") == "10"
    assert "classes were balanced for training" in page
    assert "physics event weights" in page


def test_page_numbers_folds_from_one_and_says_held_out(folded):
    page = folded["page"]
    assert "<h3>Fold 1</h3>" in page and "<h3>Fold 2</h3>" in page
    assert "Fold 0" not in page and "fold 0" not in page
    assert "modulo 2 (remainder 0 is Fold 1, ..., 1 is Fold 2)" in page
    assert "AUC held-out" in page and "signal efficiency, held-out" in page
    assert "background events, held-out" in page
    assert " test" not in re.sub(r"<[^>]+>", " ", page).replace("KS test", "")


def test_caption_and_legend_print_the_cut_alike(folded):
    from physml_sklearn.plotting._legend import format_cut

    page, summary = folded["page"], folded["summary"]
    cut = format_cut(summary["threshold"])
    assert _cell(page, "best cut on the signal probability") == f"score &gt;= {cut}"
    assert f"The best cut, score &gt;= {cut}, keeps" in page
    z = f"{summary['significance']:.2f}"
    assert f"for Z = {z}." in page and _cell(page, "significance Z (Asimov, with σB)") == z


def test_page_is_self_contained_and_has_every_section(folded):
    page = folded["page"]
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in page, anchor
    assert page.count('<img src="data:image/png;base64,') >= 8
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert not list(folded["path"].parent.glob(".*.tmp"))


def test_rejection_table_lists_only_reachable_points():
    # signal at scores 0.1 .. 1.0 (10 events); background at 0.05 .. 0.5: above
    # 0.5 no background is left, so signal efficiencies below 0.6 are out of reach
    y = np.r_[np.ones(10), np.zeros(10)].astype(int)
    score = np.r_[np.linspace(0.1, 1.0, 10), np.linspace(0.05, 0.5, 10)]
    w = np.r_[np.ones(10), np.full(10, 2.0)]
    scan = significance_scan(y, score, sample_weight=w)
    table, lowest = rejection_table(scan, 10.0, 20.0, signal_efficiencies=(0.3, 0.5, 0.7, 0.9))
    assert lowest == pytest.approx(0.6)
    assert table["signal efficiency"].tolist() == [0.7, 0.9]
    # 0.7: the tightest cut that keeps 7 signal events is 0.4, with background at
    # 0.4, 0.45, 0.5 above it: B = 6 of 20, R = 20 / 6, sigma_R = R * sqrt(3 * 4) / 6
    row = table.iloc[0]
    assert row["cut"] == pytest.approx(0.4)
    assert row["simulated background events"] == 3
    assert row["background rejection 1/eB"] == pytest.approx(20 / 6)
    assert row["uncertainty"] == pytest.approx(20 / 6 * np.sqrt(12) / 6)


def test_page_rejection_table_leaves_unreachable_points_out(folded):
    section = folded["page"].split('<section id="rejection">')[1].split("</section>")[0]
    assert "background rejection 1/eB ± stat." in section
    assert "simulated background events" in section
    assert "±" in section


def test_write_report_floor_moves_the_best_cut_off_one_event(tmp_path):
    X, y, w = _events(1500, random_state=1)
    features = X[FEW]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(features, y)
    rng = np.random.default_rng(0)
    score = np.where(y == "signal", rng.uniform(0.5, 1.0, len(y)),
                     rng.uniform(0.0, 0.6, len(y)))
    score[np.flatnonzero(y == "background")[0]] = 0.999  # one signal-like background event
    plain = significance_scan(y, score, sample_weight=w, pos_label="signal",
                              min_background_events=0)
    assert plain.loc[plain.significance.idxmax()].n_background == 1
    summary = write_report(tmp_path / "r.html", model, features, y, sample_weight=w,
                           scores=score)
    assert summary["n_background"] >= 10
    summary = write_report(tmp_path / "r.html", model, features, y, sample_weight=w,
                           scores=score, min_background_events=200)
    assert summary["n_background"] >= 200


def test_a_cut_that_keeps_every_signal_event_has_an_efficiency_of_exactly_one(tmp_path):
    # the yields at the cut and the totals were summed in different orders:
    # run.json quoted a signal efficiency of 1.0000000000000002
    rng = np.random.default_rng(0)
    n = 200
    y = np.r_[np.ones(n), np.zeros(n)].astype(int)
    score = np.r_[rng.uniform(0.5, 1, n), rng.uniform(0, 1, n)]
    w = np.r_[rng.uniform(0, 30, n), rng.uniform(0, 3, n)]
    assert np.sum(w[:n]) != np.cumsum(w[np.argsort(-score)][y[np.argsort(-score)] == 1])[-1]
    X = pd.DataFrame({"x": score})
    model = LogisticRegression().fit(X, y)
    summary = write_report(tmp_path / "r.html", model, X, y, sample_weight=w, scores=score)
    assert summary["n_signal"] == n  # the best cut keeps every signal event ...
    assert summary["signal_efficiency"] == 1.0  # ... all of it, not a rounding more
    assert 0 < summary["background_efficiency"] < 1


def test_model_without_folds_says_its_scores_are_not_out_of_fold(tmp_path):
    X, y, w = _events(1500, random_state=2)
    features = X[FEW]
    model = make_pipeline(StandardScaler(), _network(max_epochs=3)).fit(features, y)
    copy = features.copy()
    summary = write_report(tmp_path / "one.html", model, features, y, sample_weight=w,
                           title="one model")
    pd.testing.assert_frame_equal(features, copy)  # the caller's data untouched
    page = (tmp_path / "one.html").read_text(encoding="utf-8")
    assert summary["out_of_fold"] is False
    assert "they are not out-of-fold" in page
    assert "<title>one model</title>" in page
    assert re.search(r"<p>\d+ signal and \d+ background events, 4 inputs;", page)
    assert "ROC AUC (predict_proba, weighted)" in page
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in page, anchor
    scan = significance_scan(y, model.predict_proba(features)[:, 1], sample_weight=w,
                             pos_label="signal", background_uncertainty="mc",
                             min_background_events=10)
    assert summary["threshold"] == scan.loc[scan.significance.idxmax()].threshold


@pytest.mark.filterwarnings("ignore:Maximum epochs:sklearn.exceptions.ConvergenceWarning")
def test_names_and_units_that_are_not_mathtext_are_drawn_as_typed(tmp_path):
    # matplotlib raised at savefig on such a name, and train lost its run
    X, y, w = _events(1500, random_state=3)
    bad = r"a$\frac{b$"
    features = X[FEW].rename(columns={"met": bad})
    model = make_pipeline(StandardScaler(), _network(max_epochs=3)).fit(features, y)
    write_report(tmp_path / "r.html", model, features, y, sample_weight=w,
                 feature_units={bad: "GeV", "mt_w": "Ge$V^{$"})
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert r"a$\frac{b$" in page  # the ranking table names the column as it is


def test_random_folds_use_the_out_of_fold_scores(tmp_path):
    from sklearn.metrics import roc_auc_score

    X, y, w = _events(1500, random_state=3)
    features = X[FEW].to_numpy()
    model = FoldingClassifier(make_pipeline(StandardScaler(), LogisticRegression()),
                              n_folds=3, random_state=0).fit(features, y)
    summary = write_report(tmp_path / "r.html", model, features, y, random_state=0)
    expected = roc_auc_score(y == "signal", model.out_of_fold_proba_[:, 1])
    assert summary["out_of_fold"] is True
    assert summary["roc_auc"] == pytest.approx(expected)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert re.search(r"<p>\d+ signal and \d+ background events, 4 inputs, 3 folds;", page)
    assert "<h3>Fold 3</h3>" in page and "random stratified folds" in page
    # same random_state, same page (but for the time in the footer)
    again = write_report(tmp_path / "again.html", model, features, y, random_state=0)
    assert again == summary

    def body(name):
        return (tmp_path / name).read_text(encoding="utf-8").split("<footer>")[0]

    ranking = body("r.html").split('<section id="ranking">')[1].split("</section>")[0]
    assert ranking == body("again.html").split('<section id="ranking">')[1].split(
        "</section>")[0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y=np.array(["signal", "background"])), "y must hold one label per row of X"),
        (dict(sample_weight=np.full(4, np.nan)), "sample_weight holds NaN"),
        (dict(sample_weight=np.array([1.0, -1.0, 1.0, 0.5])),
         "the background events have a total sample_weight of -0.5"),
        (dict(scores=np.zeros((4, 2))), "scores must hold one signal score per event"),
        # a decision function was drawn and quoted as a signal probability
        (dict(scores=np.linspace(-2.0, 3.0, 4)),
         r"scores must be signal probabilities in \[0, 1\].*from -2 to 3.*expit"),
        (dict(feature_units={"mett": "GeV"}), r"feature_units names \['mett'\]"),
        (dict(feature_units={"met": 1}), "feature_units must map feature names"),
        (dict(folds=np.zeros(4, dtype=int)), "folds= needs a FoldingClassifier"),
        (dict(pos_label="WZ"), "pos_label='WZ' is not among the labels"),
        (dict(min_background_events=-1), "min_background_events must be an integer"),
        (dict(y=np.array(["a", "b", "c", "a"])), "the report needs signal against"),
    ],
)
def test_bad_input_names_the_parameter_and_writes_nothing(tmp_path, kwargs, match):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(4, 2)), columns=["met", "ht"])
    y = np.array(["signal", "background"] * 2)
    model = LogisticRegression().fit(X, y)
    args = {"y": y, **kwargs}
    path = tmp_path / "report.html"
    with pytest.raises(ValueError, match=match):
        write_report(path, model, X, args.pop("y"), **args)
    assert list(tmp_path.iterdir()) == []


def test_integer_inputs_are_binned_on_whole_numbers():
    rng = np.random.default_rng(0)
    n_pv = rng.poisson(30, 5000).astype(float)  # ~50 distinct values: wider bins
    edges = bin_edges(n_pv)
    widths = np.diff(edges)
    assert np.all(widths == widths[0]) and widths[0] == np.round(widths[0])
    assert np.all(edges - np.floor(edges) == 0.5)  # between two integers
    n_jets = rng.poisson(0.4, 5000).astype(float)  # a rare 4 or 5 keeps its bin
    edges = bin_edges(n_jets)
    assert edges[0] == -0.5 and edges[-1] == n_jets.max() + 0.5
    assert np.all(np.diff(edges) == 1)
    assert len(bin_edges(rng.normal(size=1000))) == 41


def test_correlation_cells_are_readable():
    assert correlation_text(-0.3) == "" and correlation_text(4.4) == ""
    assert correlation_text(-4.6) == "-5" and correlation_text(37.2) == "37"
    assert "-0" not in [correlation_text(v) for v in np.linspace(-5, 5, 101)]


def test_units_on_the_axes(folded):
    from physml_sklearn.report._figures import axis_label, input_distributions

    assert axis_label("met", GEV) == "met [GeV]" and axis_label("n_pv", GEV) == "n_pv"
    X, y, w = folded["X"], folded["y"], folded["w"]
    fig = input_distributions(X[["met", "n_jets"]], y == "signal", w, units=GEV)
    assert [ax.get_xlabel() for ax in fig.axes[:2]] == ["met [GeV]", "n_jets"]


def test_report_in_chromium(folded, tmp_path):
    """The page in a real browser: images decode, no console error, the new rows there,
    and the best working point rests on at least 10 simulated background events."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright Python package is not installed")
    errors, requests = [], []
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
            page.on("request", lambda r: requests.append(r.url))
            page.goto(folded["path"].resolve().as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
            sections = page.evaluate(
                "Array.from(document.querySelectorAll('section')).map(s => s.id)")
            rows = dict(page.evaluate(
                "Array.from(document.querySelectorAll('#summary table.summary tr'))"
                ".filter(r => r.cells.length == 2)"
                ".map(r => [r.cells[0].innerText, r.cells[1].innerText])"))
            rejection = page.evaluate(
                "Array.from(document.querySelectorAll('#rejection table tr'))"
                ".map(r => Array.from(r.cells).map(c => c.innerText))")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert len(images) >= 9 and all(done and width > 0 for _, done, width in images), images
    assert sections == SECTIONS
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    background = rows["background B ± σB above the cut (simulated events)"]
    counted = int(re.search(r"\((\d+)\)$", background).group(1))
    assert counted == folded["summary"]["n_background"] >= 10
    assert re.fullmatch(r"[\d.e+]+ ± [\d.e+]+ \(\d+\)", background), background
    assert re.fullmatch(r"[\d.e+]+ \(\d+\)",
                        rows["signal S above the cut (simulated events)"])
    z = f"{folded['summary']['significance']:.2f}"
    assert rows["significance Z (Asimov, with σB)"] == z
    header, *body = rejection
    assert header[-1] == "simulated background events"
    assert body and all(int(r[-1]) >= 1 and "±" in r[-2] for r in body)
