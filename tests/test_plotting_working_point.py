"""RejectionCurveDisplay and SignificanceDisplay: the drawn data."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from physml_sklearn.metrics import background_rejection_curve, significance_scan
from physml_sklearn.plotting import RejectionCurveDisplay, SignificanceDisplay


def _sample(seed=0):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(1, 1, (300, 2)), rng.normal(-0.5, 1, (900, 2))]
    y = np.r_[np.ones(300), np.zeros(900)].astype(int)
    w = np.r_[np.full(300, 0.05), np.full(900, 0.4)]
    return X, y, w


def test_rejection_display_draws_the_curve_on_log_axis():
    X, y, w = _sample()
    score = X.sum(axis=1)
    disp = RejectionCurveDisplay.from_predictions(y, score, sample_weight=w, name="sum")
    eff, rejection, _ = background_rejection_curve(y, score, sample_weight=w)
    np.testing.assert_array_equal(disp.line_.get_xdata(), eff)
    np.testing.assert_array_equal(disp.line_.get_ydata(), rejection)
    assert disp.ax_.get_yscale() == "log"
    assert disp.ax_.get_xlabel() == "signal efficiency"
    assert "background rejection" in disp.ax_.get_ylabel()
    assert disp.figure_ is disp.ax_.figure


def test_several_models_on_one_axis():
    X, y, w = _sample()
    clf = LogisticRegression().fit(X, y)
    fig, ax = plt.subplots()
    first = RejectionCurveDisplay.from_estimator(clf, X, y, sample_weight=w, ax=ax)
    second = RejectionCurveDisplay.from_predictions(y, X[:, 0], sample_weight=w,
                                                    name="x0 only", ax=ax)
    assert first.ax_ is second.ax_ and len(ax.get_lines()) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["LogisticRegression", "x0 only"]
    # the estimator's curve is that of its predict_proba[:, 1]
    eff, rejection, _ = background_rejection_curve(y, clf.predict_proba(X)[:, 1],
                                                   sample_weight=w)
    np.testing.assert_allclose(first.line_.get_ydata(), rejection)
    # both variables beat one at a middle efficiency
    mid = lambda d: np.interp(0.5, d.line_.get_xdata(), d.line_.get_ydata())  # noqa: E731
    assert mid(first) > mid(second)


def test_multiclass_estimator_needs_pos_label():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2)) + np.repeat(np.eye(3, 2) * 2, 100, axis=0)
    y = np.repeat(["WZ", "ZZ", "ttZ"], 100)
    clf = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"has 3 classes .*pass pos_label= the signal class"):
        RejectionCurveDisplay.from_estimator(clf, X, y)
    with pytest.raises(ValueError, match=r"pos_label='WW' is not one of the classes"):
        RejectionCurveDisplay.from_estimator(clf, X, y, pos_label="WW")
    disp = RejectionCurveDisplay.from_estimator(clf, X, y, pos_label="ZZ")
    _, rejection, _ = background_rejection_curve(y == "ZZ", clf.predict_proba(X)[:, 1],
                                                 pos_label=True)
    np.testing.assert_allclose(disp.line_.get_ydata(), rejection)


def test_significance_display_marks_the_best_cut():
    X, y, w = _sample()
    score = X.sum(axis=1)
    disp = SignificanceDisplay.from_predictions(y, score, sample_weight=w, name="sum",
                                                min_background_events=0)
    scan = significance_scan(y, score, sample_weight=w, min_background_events=0)
    np.testing.assert_array_equal(disp.line_.get_xdata(), scan.threshold)
    np.testing.assert_array_equal(disp.line_.get_ydata(), scan.significance)
    best = scan.loc[scan.significance.idxmax()]
    assert disp.best_threshold_ == best.threshold
    assert disp.best_significance_ == best.significance
    assert disp.best_marker_.get_xdata().tolist() == [best.threshold]
    assert disp.best_marker_.get_ydata().tolist() == [best.significance]
    assert disp.best_line_.get_xdata()[0] == best.threshold
    np.testing.assert_array_equal(disp.signal_line_.get_ydata(), scan.signal)
    np.testing.assert_array_equal(disp.background_line_.get_ydata(), scan.background)
    assert disp.ax_yields_.get_yscale() == "log"
    assert disp.ax_yields_ is not disp.ax_
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert labels[0] == "sum"
    assert labels[1].startswith("best cut: score") and f"Z = {best.significance:.2f}" in labels[1]
    assert labels[2:] == ["signal $s$", "background $b$"]


def test_significance_display_with_uncertainty_from_estimator():
    X, y, w = _sample()
    clf = LogisticRegression().fit(X, y)
    plain = SignificanceDisplay.from_estimator(clf, X, y, sample_weight=w, min_background_events=0)
    syst = SignificanceDisplay.from_estimator(clf, X, y, sample_weight=w,
                                              background_uncertainty=0.1, min_background_events=0)
    assert syst.best_significance_ <= plain.best_significance_
    scan = significance_scan(y, clf.predict_proba(X)[:, 1], sample_weight=w,
                             background_uncertainty=0.1, min_background_events=0)
    np.testing.assert_allclose(syst.line_.get_ydata(), scan.significance)
    assert "10 % bkg. uncertainty" in syst.line_.get_label()
    root = SignificanceDisplay.from_estimator(clf, X, y, sample_weight=w, method="s_sqrt_b",
                                              min_background_events=0)
    assert "sqrt" in root.ax_.get_ylabel()


def test_display_input_errors():
    with pytest.raises(ValueError, match="must be 1-D of one length"):
        RejectionCurveDisplay(signal_efficiency=[0.1, 0.2], background_rejection=[1.0]).plot()
    with pytest.raises(ValueError, match="must be 1-D of one length"):
        SignificanceDisplay(threshold=[0.1], significance=[1.0, 2.0], signal=[1.0],
                            background=[1.0]).plot()


# --- the floor on simulated background events, legends off the data --------------------

def _tail_sample(seed=0):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(400), np.zeros(2000)].astype(int)
    score = np.r_[rng.uniform(0.5, 1.0, 400), rng.uniform(0.0, 0.6, 2000)]
    score[400] = 0.99  # one heavy-signal-region background event
    w = np.r_[np.full(400, 5.0), rng.uniform(0.5, 1.5, 2000)]
    return y, score, w


def test_significance_display_min_background_events():
    y, score, w = _tail_sample()
    loose = SignificanceDisplay.from_predictions(y, score, sample_weight=w, min_background_events=0)
    assert loose.excluded_span_ is None
    disp = SignificanceDisplay.from_predictions(y, score, sample_weight=w,
                                                background_uncertainty="mc",
                                                min_background_events=10)
    scan = significance_scan(y, score, sample_weight=w, background_uncertainty="mc",
                             min_background_events=10)
    best = scan.loc[scan.significance.idxmax()]
    assert best.n_background >= 10
    assert disp.best_threshold_ == best.threshold != loose.best_threshold_
    assert disp.best_significance_ == best.significance
    # the excluded (tightest) cuts are shaded and not drawn as part of the curve
    drawn = np.asarray(disp.line_.get_ydata(), dtype=float)
    excluded = scan.n_background.to_numpy() < 10
    assert np.isnan(drawn[excluded]).all() and np.isfinite(drawn[~excluded]).all()
    assert disp.excluded_span_ is not None
    assert disp.excluded_span_.get_x() == scan.threshold[excluded].min()
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert "< 10 simulated background events" in labels
    assert any("MC stat. bkg. uncertainty" in label for label in labels)


def test_significance_display_from_estimator_min_background_events():
    X, y, w = _sample()
    clf = LogisticRegression().fit(X, y)
    disp = SignificanceDisplay.from_estimator(clf, X, y, sample_weight=w,
                                              min_background_events=25)
    scan = significance_scan(y, clf.predict_proba(X)[:, 1], sample_weight=w,
                             min_background_events=25)
    assert disp.best_threshold_ == scan.loc[scan.significance.idxmax()].threshold


def test_significance_display_needs_counts_for_a_floor():
    with pytest.raises(ValueError, match="needs n_background"):
        SignificanceDisplay(threshold=[0.1, 0.2], significance=[1.0, 2.0],
                            signal=[1.0, 1.0], background=[1.0, 1.0],
                            min_background_events=10).plot()
    with pytest.raises(ValueError, match="no cut keeps min_background_events=10"):
        SignificanceDisplay(threshold=[0.1, 0.2], significance=[1.0, 2.0],
                            signal=[1.0, 1.0], background=[1.0, 1.0], n_background=[3, 1],
                            min_background_events=10).plot()


def test_best_cut_printed_with_the_digits_that_matter():
    from physml_sklearn.plotting._legend import format_cut

    assert format_cut(0.999447) == "0.999447"
    assert format_cut(0.999997) == "0.99999700"
    assert format_cut(0.677) == "0.677"
    assert format_cut(0.95) == "0.9500"
    assert format_cut(-1.25) == "-1.25"
    y, score, w = _tail_sample()
    score = 1 - 1e-4 * (1 - score)  # every cut between 0.9999 and 1
    disp = SignificanceDisplay.from_predictions(y, score, sample_weight=w,
                                                min_background_events=10)
    label = disp.best_marker_.get_label()
    assert f"score $\\geq$ {format_cut(disp.best_threshold_)}," in label
    # three significant digits of the distance from 1, not "1" or "0.9999"
    distance = 1 - disp.best_threshold_
    assert abs(float(format_cut(disp.best_threshold_)) - disp.best_threshold_) < 0.01 * distance


def _overlap(fig, legend, ax):
    fig.canvas.draw()
    box = legend.get_window_extent()
    frame = ax.get_window_extent()
    return box.overlaps(frame)


# a 4-epoch network is cut short on purpose: only its loss curve's legend is looked at
@pytest.mark.filterwarnings("ignore:Maximum epochs:sklearn.exceptions.ConvergenceWarning")
def test_legends_do_not_cover_the_data():
    from physml_sklearn import DropoutMLPClassifier
    from physml_sklearn.plotting import LossCurveDisplay, ScoreDistributionDisplay

    y, score, w = _tail_sample()
    disp = SignificanceDisplay.from_predictions(y, score, sample_weight=w,
                                                min_background_events=10)
    assert not _overlap(disp.figure_, disp.ax_.get_legend(), disp.ax_)
    X, y2, _ = _sample()
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, max_epochs=4,
                               random_state=0).fit(X, y2)
    loss = LossCurveDisplay.from_estimator(clf)
    assert loss.best_epoch_line_ is not None
    assert not _overlap(loss.figure_, loss.ax_.get_legend(), loss.ax_)
    dist = ScoreDistributionDisplay.from_predictions(y, score, y, score, log=True)
    assert not _overlap(dist.figure_, dist.ax_.get_legend(), dist.ax_)
    plt.close("all")
