"""background_rejection_curve and significance_scan."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_curve

from physml_sklearn.metrics import background_rejection_curve, significance_scan


def _sample(seed=0, n_sig=500, n_bkg=3000, negative=False):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_sig), np.zeros(n_bkg)].astype(int)
    score = np.r_[rng.normal(1, 1, n_sig), rng.normal(-0.5, 1, n_bkg)].round(2)
    weight = np.r_[np.full(n_sig, 0.02), np.full(n_bkg, 0.3)]
    if negative:  # NLO-like: a tenth of the events with negative weights
        weight *= np.where(rng.random(y.size) < 0.1, -1, 1)
    return y, score, weight


@pytest.mark.parametrize("negative", [False, True])
def test_rejection_is_inverse_false_positive_rate_of_roc_curve(negative):
    y, score, weight = _sample(negative=negative)
    eff, rejection, thresholds = background_rejection_curve(y, score, sample_weight=weight)
    fpr, tpr, roc_thr = roc_curve(y, score, sample_weight=weight, drop_intermediate=False)
    keep = fpr > 0
    np.testing.assert_allclose(rejection, 1 / fpr[keep])
    np.testing.assert_allclose(eff, tpr[keep])
    np.testing.assert_array_equal(thresholds, roc_thr[keep])
    assert np.all(np.isfinite(rejection)) and np.all(rejection > 0)
    # the highest thresholds have no background: left out, not infinite
    assert thresholds[0] < score[y == 0].max() + 1e-12


def test_rejection_with_string_labels_and_pos_label():
    y, score, _ = _sample()
    labels = np.array(["ZZ", "WZ"])[y]
    eff, rejection, _ = background_rejection_curve(labels, score, pos_label="WZ")
    eff0, rejection0, _ = background_rejection_curve(y, score)
    np.testing.assert_allclose(rejection, rejection0)
    np.testing.assert_allclose(eff, eff0)


def _asimov(s, b):
    return np.sqrt(2 * ((s + b) * np.log(1 + s / b) - s))


def test_significance_matches_the_asimov_formula_by_hand():
    # 3 signal events of weight 2 at scores 0.9, 0.8, 0.4 and 4 background
    # events of weight 1.5 at 0.7, 0.3, 0.2, 0.1
    y = np.array([1, 1, 1, 0, 0, 0, 0])
    score = np.array([0.9, 0.8, 0.4, 0.7, 0.3, 0.2, 0.1])
    w = np.array([2.0, 2.0, 2.0, 1.5, 1.5, 1.5, 1.5])
    scan = significance_scan(y, score, sample_weight=w, min_background_events=0)
    assert scan.threshold.tolist() == [0.1, 0.2, 0.3, 0.4, 0.7, 0.8, 0.9]
    np.testing.assert_allclose(scan.signal, [6, 6, 6, 6, 4, 4, 2])
    np.testing.assert_allclose(scan.background, [6, 4.5, 3, 1.5, 1.5, 0, 0])
    # s = 6, b = 1.5 at the 0.4 cut: Z = sqrt(2 (7.5 ln 5 - 6))
    assert scan.significance[3] == pytest.approx(np.sqrt(2 * (7.5 * np.log(5) - 6)))
    expected = [_asimov(6, 6), _asimov(6, 4.5), _asimov(6, 3), _asimov(6, 1.5),
                _asimov(4, 1.5), 0, 0]  # no background left: undefined, set to 0
    np.testing.assert_allclose(scan.significance, expected)
    assert scan.loc[scan.significance.idxmax()].threshold == 0.4
    root = significance_scan(y, score, sample_weight=w, method="s_sqrt_b", min_background_events=0)
    np.testing.assert_allclose(root.significance[:5], [6 / np.sqrt(6), 6 / np.sqrt(4.5),
                                                       6 / np.sqrt(3), 6 / np.sqrt(1.5),
                                                       4 / np.sqrt(1.5)])


def _cowan(s, b, sigma):
    # G. Cowan (2012), eq. as written in the paper
    v = sigma**2
    return np.sqrt(2 * ((s + b) * np.log((s + b) * (b + v) / (b**2 + (s + b) * v))
                        - b**2 / v * np.log(1 + v * s / (b * (b + v)))))


def test_significance_with_background_uncertainty():
    y, score, weight = _sample()
    plain = significance_scan(y, score, sample_weight=weight, min_background_events=0)
    syst = significance_scan(y, score, sample_weight=weight, background_uncertainty=0.1,
                             min_background_events=0)
    np.testing.assert_array_equal(plain.threshold, syst.threshold)
    assert np.all(syst.significance <= plain.significance + 1e-12)
    assert np.all(np.isfinite(syst.significance))
    ok = (syst.signal > 0) & (syst.background > 0)
    np.testing.assert_allclose(
        syst.significance[ok],
        _cowan(syst.signal[ok], syst.background[ok], 0.1 * syst.background[ok]),
        rtol=1e-9,
    )
    # a 10 % uncertainty on a large background costs a lot at loose cuts
    assert syst.significance.iloc[0] < 0.5 * plain.significance.iloc[0]
    # and it tends to the plain formula for a tiny uncertainty
    tiny = significance_scan(y, score, sample_weight=weight, background_uncertainty=1e-6,
                             min_background_events=0)
    np.testing.assert_allclose(tiny.significance, plain.significance, rtol=1e-4)
    # s / sqrt(b + sigma_b^2)
    root = significance_scan(y, score, sample_weight=weight, method="s_sqrt_b",
                             background_uncertainty=0.1, min_background_events=0)
    b = root.background[ok]
    np.testing.assert_allclose(root.significance[ok],
                               root.signal[ok] / np.sqrt(b + (0.1 * b) ** 2))


def test_uncertainty_version_never_exceeds_plain_on_a_grid():
    s, b = np.meshgrid(np.logspace(-3, 4, 60), np.logspace(-3, 5, 60))
    s, b = s.ravel(), b.ravel()
    from physml_sklearn.metrics._working_point import asimov_significance

    plain = asimov_significance(s, b)
    for rel in (1e-4, 0.01, 0.1, 0.5, 2.0):
        z = asimov_significance(s, b, rel)
        assert np.all(np.isfinite(z))
        assert np.all(z <= plain * (1 + 1e-9) + 1e-12)


@pytest.mark.parametrize("method", ["asimov", "s_sqrt_b"])
@pytest.mark.parametrize("uncertainty", ["mc", 0.1, 1e300])
@pytest.mark.parametrize("scale", [1e-300, 1e200, 1e300])
def test_weights_far_from_one_give_a_finite_scan(method, uncertainty, scale):
    # the squared weights of the Monte Carlo error overflowed to inf, and a
    # variance of inf gave 0 * inf = NaN significances (asimov) or 0 (s/sqrt(b)),
    # from finite input
    y, score, weight = _sample(negative=False)
    scan = significance_scan(y, score, sample_weight=weight * scale, method=method,
                             background_uncertainty=uncertainty)
    assert np.all(np.isfinite(scan.to_numpy()))
    unit = significance_scan(y, score, sample_weight=weight, method=method,
                             background_uncertainty=uncertainty)
    np.testing.assert_allclose(scan.background_error, unit.background_error * scale,
                               rtol=1e-12)
    if uncertainty == 1e300 and scale > 1:  # sigma_b beyond 1e308: nothing is significant
        assert (scan.significance == 0).all()
    elif method == "s_sqrt_b" and uncertainty == "mc":
        # s c / sqrt(b c + (sigma_b c)^2) = s / sqrt(b / c + sigma_b^2)
        valid = (unit.signal > 0) & (unit.background > 0) & (unit.n_background >= 10)
        expected = unit.signal / np.sqrt(unit.background / scale + unit.background_error**2)
        np.testing.assert_allclose(scan.significance[valid], expected[valid], rtol=1e-9)


def test_the_uncertainty_form_is_the_closed_form():
    # the form in s/b and sigma_b^2/b against Cowan's, where neither overflows
    from physml_sklearn.metrics._working_point import asimov_significance

    rng = np.random.default_rng(0)
    s, b = 10 ** rng.uniform(-2, 6, 2000), 10 ** rng.uniform(-2, 6, 2000)
    sigma = b * 10 ** rng.uniform(-3, 1, 2000)
    var = sigma**2
    q = ((s + b) * np.log1p(s * b / (b**2 + (s + b) * var))
         - b**2 / var * np.log1p(var * s / (b * (b + var))))
    # (where Z is under 1e-3 both forms lose digits to the difference of the two logs)
    np.testing.assert_allclose(asimov_significance(s, b, sigma_b=sigma),
                               np.sqrt(2 * np.clip(q, 0, None)), rtol=1e-6, atol=1e-3)


def test_negative_weights_give_finite_scan():
    y, score, weight = _sample(negative=True)
    scan = significance_scan(y, score, sample_weight=weight, background_uncertainty=0.1)
    assert np.all(np.isfinite(scan.to_numpy()))
    assert (scan.significance >= 0).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y_true=[0, 1, 2], y_score=[0.1, 0.2, 0.3]), "y_true holds 3 classes"),
        (dict(y_true=["a", "b"], y_score=[0.1, 0.2]), r"pass pos_label= the signal label"),
        (dict(y_true=[0, 0], y_score=[0.1, 0.2]), "no signal event"),
        (dict(y_true=[1, 1], y_score=[0.1, 0.2]), "no background event"),
        (dict(y_true=[0, 1], y_score=[[0.9, 0.1], [0.2, 0.8]]), r"predict_proba\(X\)\[:, 1\]"),
        (dict(y_true=[0, 1], y_score=[0.1, np.nan]), "finite score"),
        (dict(y_true=[0, 1], y_score=[0.1, 0.2, 0.3]), "inconsistent numbers of events"),
        # a class whose weights sum to zero or less has no efficiency: the curve
        # came back empty, the scan quoted significances of 0 for any cut
        (dict(y_true=[0, 1, 1], y_score=[0.1, 0.2, 0.3], sample_weight=[-1.0, 1.0, 1.0]),
         "background events sums to -1"),
        (dict(y_true=[0, 0, 1], y_score=[0.1, 0.2, 0.3], sample_weight=[1.0, 1.0, 0.0]),
         "signal events sums to 0"),
    ],
)
@pytest.mark.parametrize("function", [background_rejection_curve, significance_scan])
def test_input_errors(function, kwargs, match):
    with pytest.raises(ValueError, match=match):
        function(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(method="s_over_b"), r"method='s_over_b' is not one of"),
        (dict(background_uncertainty=-0.1), "background_uncertainty must be a finite number"),
        (dict(background_uncertainty="MC"), r"or 'mc' for the Monte Carlo"),
        (dict(min_background_events=-1), "min_background_events must be an integer >= 0"),
        (dict(min_background_events=2.5), "min_background_events must be an integer >= 0"),
        (dict(min_background_events=True), "min_background_events must be an integer >= 0"),
        (dict(min_background_events=2), r"only 1 background events in all.*lower "
                                        "min_background_events"),
    ],
)
def test_scan_parameter_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        significance_scan([0, 1], [0.1, 0.2], **kwargs)


# --- working points that rest on enough simulated events ------------------------------

def _one_event_tail(seed=0):
    """Heavy signal weights, and one background event in the high-score tail:
    without a floor the best cut keeps that one simulated background event."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(400), np.zeros(2000)].astype(int)
    score = np.r_[rng.uniform(0.5, 1.0, 400), rng.uniform(0.0, 0.6, 2000)]
    score[400] = 0.99  # one background event among the signal
    weight = np.r_[np.full(400, 5.0), rng.uniform(0.5, 1.5, 2000)]
    return y, score, weight


def test_counts_and_mc_error_by_hand():
    y, score, weight = _one_event_tail()
    scan = significance_scan(y, score, sample_weight=weight)
    for row in scan.sample(25, random_state=0).itertuples():
        above = score >= row.threshold
        assert row.n_signal == int(np.sum(above & (y == 1)))
        assert row.n_background == int(np.sum(above & (y == 0)))
        w_b = weight[above & (y == 0)]
        assert row.background_error == pytest.approx(np.sqrt(np.sum(w_b**2)), abs=1e-12)
        assert row.background == pytest.approx(w_b.sum(), abs=1e-9)
    assert scan.columns.tolist() == ["threshold", "signal", "background", "background_error",
                                     "n_signal", "n_background", "significance"]


def test_min_background_events_moves_the_best_cut_off_one_event():
    y, score, weight = _one_event_tail()
    plain = significance_scan(y, score, sample_weight=weight, min_background_events=0)
    best = plain.loc[plain.significance.idxmax()]
    assert best.n_background == 1  # the failure this option exists for
    for n_min in (10, 50):
        floor = significance_scan(y, score, sample_weight=weight, min_background_events=n_min)
        best = floor.loc[floor.significance.idxmax()]
        assert best.n_background >= n_min
        assert (floor.significance[floor.n_background < n_min] == 0).all()
        kept = floor.n_background >= n_min
        np.testing.assert_array_equal(floor.significance[kept], plain.significance[kept])
    unweighted = significance_scan(y, score, min_background_events=10)
    assert unweighted.loc[unweighted.significance.idxmax()].n_background >= 10
    # the default floor is 10: the documented idiom never picks the one-event cut
    default = significance_scan(y, score, sample_weight=weight)
    pd.testing.assert_frame_equal(
        default, significance_scan(y, score, sample_weight=weight, min_background_events=10))
    assert default.loc[default.significance.idxmax()].n_background >= 10


@pytest.mark.parametrize("method", ["asimov", "s_sqrt_b"])
def test_mc_uncertainty_is_the_sum_of_squared_weights(method):
    y, score, weight = _one_event_tail()
    mc = significance_scan(y, score, sample_weight=weight, background_uncertainty="mc",
                           method=method, min_background_events=0)
    ok = (mc.signal > 0) & (mc.background > 0)
    s, b, sigma = mc.signal[ok], mc.background[ok], mc.background_error[ok]
    expected = _cowan(s, b, sigma) if method == "asimov" else s / np.sqrt(b + sigma**2)
    np.testing.assert_allclose(mc.significance[ok], expected, rtol=1e-9)
    plain = significance_scan(y, score, sample_weight=weight, method=method,
                              min_background_events=0)
    assert np.all(mc.significance <= plain.significance + 1e-12)
    # one simulated event of weight w: sigma_b = w = b, a 100 % uncertainty
    one = mc[ok & (mc.n_background == 1)].iloc[0]
    assert one.background_error == pytest.approx(one.background)


def test_scan_leaves_the_inputs_alone():
    y, score, weight = _one_event_tail()
    copies = y.copy(), score.copy(), weight.copy()
    significance_scan(y, score, sample_weight=weight, background_uncertainty="mc",
                      min_background_events=10)
    for before, after in zip(copies, (y, score, weight)):
        np.testing.assert_array_equal(before, after)
