"""Tests of the training displays: what they draw, not only that they draw."""

import subprocess
import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from physml_sklearn import DropoutMLPClassifier, SoftmaxMLPClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.metrics import overtraining_test
from physml_sklearn.plotting import (
    FeatureImportanceDisplay,
    LossCurveDisplay,
    ScoreDistributionDisplay,
)


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # several test workers on a small machine: keep BLAS single-threaded
    with threadpool_limits(1):
        yield


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_importing_the_package_does_not_import_matplotlib():
    code = (
        "import sys, physml_sklearn, physml_sklearn.plotting, physml_sklearn.inspection\n"
        "import physml_sklearn.datasets, physml_sklearn.metrics\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        "assert 'uproot' not in sys.modules, 'uproot was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- LossCurveDisplay --------------------------------------------------------


def test_loss_curve_display_draws_the_given_curves():
    train, valid = [0.9, 0.6, 0.5, 0.45, 0.44], [0.8, 0.62, 0.58, 0.6, 0.63]
    disp = LossCurveDisplay(loss_curve=train, validation_loss_curve=valid, best_epoch=3,
                            stop_epoch=5, estimator_name="net").plot()
    np.testing.assert_array_equal(disp.line_.get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(disp.line_.get_ydata(), train)
    np.testing.assert_array_equal(disp.validation_line_.get_ydata(), valid)
    assert disp.best_epoch_line_.get_xdata()[0] == 3
    assert (disp.best_epoch_marker_.get_xdata()[0], disp.best_epoch_marker_.get_ydata()[0]) == (
        3, 0.58)
    assert disp.stop_line_.get_xdata()[0] == 5
    assert legend_texts(disp.ax_) == [
        "training loss", "validation loss", "best epoch 3", "early stop after epoch 5"
    ]
    assert disp.ax_.get_title() == "net"
    assert disp.ax_.get_xlabel() == "epoch"
    assert disp.figure_ is disp.ax_.figure


def test_loss_curve_display_from_an_early_stopped_pipeline():
    X, y = make_diboson(600, random_state=0, return_X_y=True)
    pipe = make_pipeline(StandardScaler(), DropoutMLPClassifier(
        hidden_layer_sizes=(64, 64), dropout=0.0, early_stopping=True, patience=3,
        max_epochs=200, lr=1e-2, batch_size=64, random_state=0)).fit(X, y)
    clf = pipe[-1]
    assert clf.n_iter_ < 200  # early stopping ended the training
    _, ax = plt.subplots()
    disp = LossCurveDisplay.from_estimator(pipe, ax=ax)
    assert disp.ax_ is ax
    np.testing.assert_allclose(disp.line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_allclose(disp.validation_line_.get_ydata(), clf.validation_loss_curve_)
    assert disp.best_epoch == clf.best_epoch_
    assert disp.best_epoch_marker_.get_ydata()[0] == pytest.approx(
        min(clf.validation_loss_curve_[: clf.best_epoch_]))
    assert disp.stop_line_.get_xdata()[0] == clf.n_iter_
    assert f"best epoch {clf.best_epoch_}" in legend_texts(ax)
    assert ax.get_title() == "DropoutMLPClassifier"


def test_loss_curve_display_without_validation():
    X, y = make_diboson(300, random_state=0, return_X_y=True)
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_epochs=4, random_state=0).fit(X, y)
    disp = LossCurveDisplay.from_estimator(clf, name="no validation")
    assert disp.validation_line_ is None
    assert disp.best_epoch_line_ is None and disp.stop_line_ is None
    assert legend_texts(disp.ax_) == ["training loss"]
    assert disp.ax_.get_title() == "no validation"
    # scikit-learn's own MLP records loss_curve_ too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier((4,), max_iter=5).fit(X[:100], y[:100])
    assert len(LossCurveDisplay.from_estimator(mlp).line_.get_xdata()) == mlp.n_iter_


def test_loss_curve_display_errors():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(make_pipeline(StandardScaler(), DropoutMLPClassifier()))
    fitted = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="loss_curve_.*LogisticRegression has no such"):
        LossCurveDisplay.from_estimator(fitted)


# -- ScoreDistributionDisplay -------------------------------------------------


def binary_scores(seed=0, n=2000, shift=0.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = 1 / (1 + np.exp(-(2 * y - 1 + shift * (2 * y - 1) + rng.normal(size=n))))
    return y, score


def test_score_distribution_binary_draws_normalised_histograms_and_ks_pvalues():
    y_train, s_train = binary_scores(0, shift=0.5)  # the training sample is "overtrained"
    y_test, s_test = binary_scores(1)
    disp = ScoreDistributionDisplay.from_predictions(
        y_train, s_train, y_test, s_test, class_names=["bkg", "sig"], bins=20)
    assert disp.hist_test.shape == (1, 2, 20)
    np.testing.assert_allclose(disp.bin_edges[0], np.linspace(0, 1, 21))
    widths = np.diff(disp.bin_edges[0])
    np.testing.assert_allclose((disp.hist_test * widths).sum(axis=-1), 1.0)
    np.testing.assert_allclose((disp.hist_train * widths).sum(axis=-1), 1.0)
    # the drawn data are the histograms
    for c in range(2):
        np.testing.assert_allclose(disp.test_hists_[0, c].get_data().values, disp.hist_test[0, c])
        markers = disp.train_errorbars_[0, c].lines[0]
        np.testing.assert_allclose(markers.get_ydata(), disp.hist_train[0, c])
        np.testing.assert_allclose(markers.get_xdata(), (disp.bin_edges[0, 1:]
                                                         + disp.bin_edges[0, :-1]) / 2)
    # the test histogram of class 1 is that of its scores
    counts, _ = np.histogram(s_test[y_test == 1], bins=np.linspace(0, 1, 21))
    np.testing.assert_allclose(disp.hist_test[0, 1], counts / counts.sum() / widths)
    # the KS p-values are those of overtraining_test, in the legend
    table = overtraining_test(y_train, s_train, y_test, s_test)
    np.testing.assert_allclose(disp.ks_pvalues[0], table["ks_pvalue"])
    assert legend_texts(disp.ax_) == [
        "bkg test", f"bkg train, KS p = {table['ks_pvalue'][0]:.3g}",
        "sig test", f"sig train, KS p = {table['ks_pvalue'][1]:.3g}",
    ]
    assert disp.ks_pvalues.max() < 1e-3
    assert disp.ax_.get_xlabel() == "P(sig)"


def test_score_distribution_log_scale_shows_the_tails():
    y_train, s_train = binary_scores(0, shift=0.5)
    y_test, s_test = binary_scores(1)
    linear = ScoreDistributionDisplay.from_predictions(y_train, s_train, y_test, s_test,
                                                       bins=20)
    assert linear.ax_.get_yscale() == "linear"
    disp = ScoreDistributionDisplay.from_predictions(y_train, s_train, y_test, s_test,
                                                     bins=20, log=True)
    assert disp.ax_.get_yscale() == "log"
    # the same histograms, drawn on the log axis down to the smallest filled bin
    np.testing.assert_allclose(disp.hist_test, linear.hist_test)
    np.testing.assert_allclose(disp.test_hists_[0, 1].get_data().values, disp.hist_test[0, 1])
    drawn = np.concatenate([disp.hist_test.ravel(), disp.hist_train.ravel()])
    bottom, top = disp.ax_.get_ylim()
    assert bottom == pytest.approx(0.5 * drawn[drawn > 0].min())
    assert top >= drawn.max()
    # plot can switch back
    assert disp.plot(log=False).ax_.get_yscale() == "linear"


def test_score_distribution_errors_and_weights():
    y_train, s_train = binary_scores(0, n=400)
    y_test, s_test = binary_scores(1, n=400)
    weight = np.where(y_train == 1, 3.0, 1.0)
    disp = ScoreDistributionDisplay.from_predictions(
        y_train, np.column_stack([1 - s_train, s_train]), y_test, s_test,
        sample_weight_train=weight, bins=np.linspace(0, 1, 11))
    # per-class weights do not change a normalised shape, but do scale its error
    plain = ScoreDistributionDisplay.from_predictions(y_train, s_train, y_test, s_test, bins=10)
    np.testing.assert_allclose(disp.hist_train, plain.hist_train)
    np.testing.assert_allclose(disp.err_train, plain.err_train)
    counts, _ = np.histogram(s_train[y_train == 0], bins=np.linspace(0, 1, 11))
    np.testing.assert_allclose(plain.err_train[0, 0], np.sqrt(counts) / counts.sum() / 0.1)
    with pytest.raises(ValueError, match="score_train has 3 columns but the labels hold 2"):
        ScoreDistributionDisplay.from_predictions(y_train, np.ones((400, 3)), y_test, s_test)
    with pytest.raises(ValueError, match="class_names has 3 names for 2 classes"):
        ScoreDistributionDisplay.from_predictions(y_train, s_train, y_test, s_test,
                                                  class_names=["a", "b", "c"])


@pytest.mark.parametrize("scale", [1e-300, 1e200])
def test_score_distribution_weights_far_from_one(scale):
    # squared weights of 1e200 overflowed to infinite error bars, of 1e-300
    # underflowed to none
    y_train, s_train = binary_scores(0, n=400)
    y_test, s_test = binary_scores(1, n=400)
    weight = np.where(y_train == 1, 3.0, 1.0)
    unit = ScoreDistributionDisplay.from_predictions(y_train, s_train, y_test, s_test,
                                                     sample_weight_train=weight, bins=10)
    far = ScoreDistributionDisplay.from_predictions(y_train, s_train, y_test, s_test,
                                                    sample_weight_train=weight * scale,
                                                    bins=10)
    np.testing.assert_allclose(far.hist_train, unit.hist_train, rtol=1e-12)
    np.testing.assert_allclose(far.err_train, unit.err_train, rtol=1e-12)
    assert np.isfinite(far.err_train).all() and (far.err_train > 0).any()


def test_score_distribution_multiclass_one_panel_per_output():
    data = make_diboson(1500, processes=("WZ", "ZZ", "ttZ"), random_state=0)
    X_train, y_train = data.data[:1000], data.target[:1000]
    X_test, y_test = data.data[1000:], data.target[1000:]
    clf = make_pipeline(StandardScaler(), SoftmaxMLPClassifier(
        hidden_layer_sizes=(16,), max_epochs=10, random_state=0)).fit(X_train, y_train)
    disp = ScoreDistributionDisplay.from_estimator(
        clf, X_train, y_train, X_test, y_test, class_names=data.target_names, bins=15)
    assert disp.hist_test.shape == (3, 3, 15)
    assert disp.axes_.shape == (3,)
    assert disp.ax_ is disp.axes_
    assert [ax.get_xlabel() for ax in disp.axes_] == ["P(WZ)", "P(ZZ)", "P(ttZ)"]
    assert disp.axes_[0].get_title() == "SoftmaxMLPClassifier: P(WZ)"
    # on its own node, each class has the p-value of overtraining_test
    table = overtraining_test(y_train, clf.predict_proba(X_train),
                              y_test, clf.predict_proba(X_test))
    np.testing.assert_allclose(np.diag(disp.ks_pvalues), table["ks_pvalue"])
    assert len(legend_texts(disp.axes_[2])) == 6
    assert legend_texts(disp.axes_[2])[4] == "ttZ test"
    # drawing onto given axes: one per output
    fig, axes = plt.subplots(1, 3)
    assert disp.plot(ax=axes).figure_ is fig
    with pytest.raises(ValueError, match="ax holds 1 axes but the display has 3 outputs"):
        disp.plot(ax=axes[0])
    logged = ScoreDistributionDisplay.from_estimator(
        clf, X_train, y_train, X_test, y_test, bins=15, log=True)
    assert [ax.get_yscale() for ax in logged.axes_] == ["log"] * 3


def test_score_distribution_needs_predict_proba():
    from sklearn.linear_model import LinearRegression

    reg = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="needs a classifier with predict_proba"):
        ScoreDistributionDisplay.from_estimator(reg, [[0.0]], [0], [[1.0]], [1])


# -- FeatureImportanceDisplay -----------------------------------------------


def test_feature_importance_display_from_ranking():
    ranking = pd.DataFrame({
        "feature": ["met", "pt_z", "n_pv", "lep1_phi"],
        "importance_mean": [0.3, 0.05, 0.001, -0.002],
        "importance_std": [0.02, 0.01, 0.002, 0.001],
        "rank": [1, 2, 3, 4],
    })
    disp = FeatureImportanceDisplay.from_ranking(ranking, score_name="roc_auc")
    widths = [bar.get_width() for bar in disp.bars_]
    assert widths == [0.3, 0.05, 0.001, -0.002]
    # the most important on top
    heights = [bar.get_y() for bar in disp.bars_]
    assert heights == sorted(heights, reverse=True)
    ticks = zip(disp.ax_.get_yticks(), [t.get_text() for t in disp.ax_.get_yticklabels()])
    assert [label for _, label in sorted(ticks, reverse=True)] == disp.features_
    assert disp.features_ == ["met", "pt_z", "n_pv", "lep1_phi"]
    # error bars: one horizontal segment per bar, as long as twice the std
    segments = disp.errorbars_.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1, 0] - s[0, 0] for s in segments],
                               2 * ranking["importance_std"])
    assert disp.ax_.get_xlabel() == "decrease in roc_auc when the variable is permuted"

    top = FeatureImportanceDisplay.from_ranking(ranking.iloc[::-1], max_features=2)
    assert top.features_ == ["met", "pt_z"]
    assert len(top.bars_) == 2
    with pytest.raises(ValueError, match=r"missing \['importance_std'\]"):
        FeatureImportanceDisplay.from_ranking(ranking.drop(columns="importance_std"))
    with pytest.raises(ValueError, match="max_features must be a positive int"):
        top.plot(max_features=0)


def test_feature_importance_display_from_estimator():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=["a", "b", "c", "d"])
    y = (X["c"] - 0.5 * X["a"] > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    _, ax = plt.subplots()
    disp = FeatureImportanceDisplay.from_estimator(clf, X, y, ax=ax, n_repeats=4,
                                                   random_state=0)
    assert disp.ax_ is ax
    assert disp.features_[:2] == ["c", "a"]
    assert disp.ax_.get_xlabel() == "decrease in score when the variable is permuted"
