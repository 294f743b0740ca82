"""Tests of physml_sklearn.datasets: shapes, parameters and the physics."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeClassifier

from physml_sklearn.datasets import (
    load_blurred_digits,
    make_calorimeter,
    make_cubic,
    make_diboson,
    make_ellipse,
    make_reweighting,
    make_wtagging,
)
from physml_sklearn.datasets._calorimeter import resolution_curve
from physml_sklearn.datasets._kinematics import boost, two_body_decay

FEATURES = [
    "lep1_pt",
    "lep2_pt",
    "lep3_pt",
    "lep1_eta",
    "lep2_eta",
    "lep3_eta",
    "lep1_phi",
    "m_ll",
    "m_lll",
    "mt_w",
    "met",
    "n_jets",
    "n_bjets",
    "ht",
    "dr_ll",
    "pt_z",
    "n_pv",
]
M_Z = 91.19
PROCESSES = ("WZ", "ZZ", "ttZ")


@pytest.fixture(scope="module")
def events():
    """30 000 events of the three processes as a DataFrame with a process column."""
    bunch = make_diboson(30_000, processes=PROCESSES, random_state=0)
    frame = pd.DataFrame(bunch.data, columns=bunch.feature_names)
    frame["process"] = bunch.target_names[bunch.target]
    return bunch, frame


def _column(frame, process, name):
    return frame.loc[frame["process"] == process, name].to_numpy()


# --- make_diboson: format -------------------------------------------------------


def test_diboson_shapes_and_columns(events):
    bunch, _ = events
    assert bunch.data.shape == (30_000, 17)
    assert bunch.data.dtype == np.float64
    assert bunch.feature_names == FEATURES
    assert bunch.target_names.tolist() == list(PROCESSES)
    assert np.bincount(bunch.target).tolist() == [10_000] * 3
    assert bunch.sample_weight.shape == (30_000,)
    assert bunch.frame is None
    assert "WZ" in bunch.DESCR and "139" in bunch.DESCR
    assert np.isfinite(bunch.data).all()


def test_diboson_feature_units(events):
    bunch, _ = events
    units = bunch.feature_units
    assert list(units) == FEATURES
    gev = ["lep1_pt", "lep2_pt", "lep3_pt", "m_ll", "m_lll", "mt_w", "met", "ht", "pt_z"]
    assert {name for name, unit in units.items() if unit == "GeV"} == set(gev)
    assert units["lep1_phi"] == "rad"
    assert {name for name, unit in units.items() if unit == ""} == {
        "lep1_eta", "lep2_eta", "lep3_eta", "n_jets", "n_bjets", "dr_ll", "n_pv"}
    # the numbers are in those units: the Z peak in GeV, phi within (-pi, pi]
    column = dict(zip(FEATURES, bunch.data.T))
    assert abs(np.median(column["m_ll"]) - 91.19) < 3
    assert np.abs(column["lep1_phi"]).max() <= np.pi
    # every call returns its own dict
    units["met"] = "MeV"
    assert make_diboson(10, random_state=0).feature_units["met"] == "GeV"


def test_diboson_split_and_default_processes():
    bunch = make_diboson(11, random_state=0)
    assert bunch.target_names.tolist() == ["WZ", "ZZ"]
    assert np.bincount(bunch.target).tolist() == [6, 5]
    bunch = make_diboson(10, processes=("ttZ", "WZ", "ZZ"), random_state=0)
    assert np.bincount(bunch.target).tolist() == [4, 3, 3]
    assert make_diboson(5, processes="ttZ", random_state=0).target_names.tolist() == [
        "ttZ"
    ]


def test_diboson_events_are_shuffled(events):
    bunch, _ = events
    # Sorted labels would have at most two changes between neighbours.
    assert np.count_nonzero(np.diff(bunch.target)) > 10_000


def test_diboson_labels_follow_processes_order():
    bunch = make_diboson(2000, processes=("ZZ", "WZ"), random_state=0)
    met = bunch.data[:, FEATURES.index("met")]
    assert np.median(met[bunch.target == 0]) < np.median(met[bunch.target == 1])


@pytest.mark.parametrize("as_frame", [False, True])
@pytest.mark.parametrize("return_X_y", [False, True])
def test_diboson_as_frame_and_return_X_y(as_frame, return_X_y):
    out = make_diboson(
        300, random_state=0, as_frame=as_frame, return_X_y=return_X_y
    )
    if return_X_y:
        X, y = out
    else:
        X, y = out.data, out.target
        if as_frame:
            assert out.frame.columns.tolist() == FEATURES + ["target"]
            assert out.frame.shape == (300, 18)
        else:
            assert out.frame is None
    if as_frame:
        assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
        assert X.columns.tolist() == FEATURES
        assert y.name == "target"
        assert X["n_jets"].dtype == np.int64 and X["met"].dtype == np.float64
    else:
        assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    assert X.shape == (300, 17) and y.shape == (300,)


def test_diboson_frame_matches_array():
    array = make_diboson(500, random_state=3)
    frame = make_diboson(500, random_state=3, as_frame=True)
    np.testing.assert_array_equal(frame.data.to_numpy(dtype=float), array.data)
    np.testing.assert_array_equal(frame.target.to_numpy(), array.target)


def test_diboson_random_state():
    a = make_diboson(1000, processes=PROCESSES, random_state=42)
    b = make_diboson(1000, processes=PROCESSES, random_state=42)
    c = make_diboson(1000, processes=PROCESSES, random_state=43)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    np.testing.assert_array_equal(a.sample_weight, b.sample_weight)
    assert not np.array_equal(a.data, c.data)
    d = make_diboson(1000, random_state=np.random.RandomState(7))
    e = make_diboson(1000, random_state=np.random.RandomState(7))
    np.testing.assert_array_equal(d.data, e.data)


def test_diboson_sample_weight(events):
    bunch, _ = events
    lumi_pb = bunch.luminosity * 1e3
    assert bunch.luminosity == 139.0
    assert (bunch.sample_weight > 0).all()
    np.testing.assert_allclose(bunch.cross_section, [0.732, 0.0765, 0.0166], rtol=1e-2)
    for k in range(3):
        w = bunch.sample_weight[bunch.target == k]
        expected = bunch.cross_section[k] * lumi_pb / bunch.n_generated[k]
        np.testing.assert_allclose(w, expected, rtol=1e-12)
        # Generated counts events before the selection: the weights add up to
        # the expected number of selected events, sigma x L x acceptance.
        acceptance = w.size / bunch.n_generated[k]
        assert 0.1 < acceptance < 0.9
        np.testing.assert_allclose(
            w.sum(), bunch.cross_section[k] * lumi_pb * acceptance, rtol=1e-12
        )


# --- make_diboson: physics ------------------------------------------------------


@pytest.mark.parametrize("process", PROCESSES)
def test_z_candidate_peaks_at_z_mass(events, process):
    m_ll = _column(events[1], process, "m_ll")
    assert abs(np.median(m_ll) - M_Z) < 3.0
    counts, edges = np.histogram(m_ll, bins=np.arange(61.0, 122.0, 2.0))
    assert abs(edges[np.argmax(counts)] + 1.0 - M_Z) < 3.0  # mode
    assert np.mean((m_ll > 81.0) & (m_ll < 101.0)) > 0.85


def test_zz_has_less_met_than_wz(events):
    frame = events[1]
    met_wz = np.median(_column(frame, "WZ", "met"))
    met_zz = np.median(_column(frame, "ZZ", "met"))
    met_ttz = np.median(_column(frame, "ttZ", "met"))
    assert met_zz < 0.5 * met_wz
    assert met_zz < 0.5 * met_ttz
    assert 5.0 < met_zz < 25.0  # resolution only


def test_wz_transverse_mass_has_jacobian_edge(events):
    frame = events[1]
    mt = _column(frame, "WZ", "mt_w")
    assert np.mean(mt < 90.0) > 0.85
    counts, _ = np.histogram(mt, bins=np.arange(0.0, 160.0, 10.0))
    assert 6 <= np.argmax(counts) <= 8  # peak in 60-90 GeV, just below m_W
    assert counts[7] > 3 * counts[9]  # 70-80 GeV against 90-100 GeV: the edge
    assert np.median(_column(frame, "ZZ", "mt_w")) < 0.7 * np.median(mt)


def test_ttz_has_more_jets_bjets_and_ht(events):
    frame = events[1]
    for name, margin in [("n_jets", 2.0), ("n_bjets", 0.8), ("ht", 150.0)]:
        ttz = np.mean(_column(frame, "ttZ", name))
        for other in ("WZ", "ZZ"):
            assert ttz > np.mean(_column(frame, other, name)) + margin
    assert np.mean(_column(frame, "WZ", "n_bjets")) < 0.05
    assert np.mean(_column(frame, "WZ", "n_jets") == 0) > 0.5


def test_lepton_selection(events):
    X = events[0].data
    pt = X[:, 0:3]
    eta = X[:, 3:6]
    assert (np.diff(pt, axis=1) <= 0).all()
    assert (pt[:, 0] > 25).all() and (pt[:, 1] > 15).all() and (pt[:, 2] > 10).all()
    assert (np.abs(eta) < 2.5).all()
    m_ll, m_lll = X[:, FEATURES.index("m_ll")], X[:, FEATURES.index("m_lll")]
    assert (m_lll >= m_ll).all()
    assert (X[:, FEATURES.index("n_bjets")] <= X[:, FEATURES.index("n_jets")]).all()
    assert (X[:, FEATURES.index("ht")] >= 30 * X[:, FEATURES.index("n_jets")]).all()


@pytest.mark.parametrize("name", ["lep1_phi", "n_pv"])
def test_uninformative_columns_do_not_separate_processes(events, name):
    frame = events[1]
    for a, b in [("WZ", "ZZ"), ("WZ", "ttZ"), ("ZZ", "ttZ")]:
        result = stats.ks_2samp(_column(frame, a, name), _column(frame, b, name))
        assert result.pvalue > 1e-3, (name, a, b, result)
    # The same test does see an informative column.
    met = stats.ks_2samp(_column(frame, "WZ", "met"), _column(frame, "ZZ", "met"))
    assert met.pvalue < 1e-10


def test_lep1_phi_is_uniform_and_n_pv_is_pileup(events):
    frame = events[1]
    phi = frame["lep1_phi"].to_numpy()
    assert (phi > -np.pi).all() and (phi <= np.pi).all()
    uniform = stats.uniform(loc=-np.pi, scale=2 * np.pi)
    assert stats.kstest(phi, uniform.cdf).pvalue > 1e-3
    n_pv = frame["n_pv"].to_numpy()
    assert (n_pv >= 1).all() and (n_pv == np.round(n_pv)).all()
    assert 28 < n_pv.mean() < 34


def test_uninformative_columns_give_chance_auc(events):
    frame = events[1][events[1]["process"] != "ttZ"]
    y = (frame["process"] == "ZZ").to_numpy()
    clf = DecisionTreeClassifier(max_depth=4, min_samples_leaf=200, random_state=0)

    def auc(columns):
        X = frame[columns].to_numpy()
        return cross_val_score(clf, X, y, cv=3, scoring="roc_auc").mean()

    assert abs(auc(["lep1_phi", "n_pv"]) - 0.5) < 0.03
    assert auc(["met", "n_pv"]) > 0.8  # the same classifier sees real information


def test_two_body_decay_conserves_four_momentum():
    rng = np.random.default_rng(0)
    n = 1000
    mass = rng.uniform(150, 400, n)
    p = rng.normal(0, 200, (3, n))
    parent = (np.sqrt(mass**2 + (p**2).sum(axis=0)), *p)
    m1, m2 = np.full(n, 80.38), np.full(n, 4.8)
    d1, d2 = two_body_decay(rng, parent, mass, m1, m2)
    for a, b, c in zip(d1, d2, parent):
        np.testing.assert_allclose(a + b, c, rtol=1e-12, atol=1e-9)

    def invariant_mass(v):
        return np.sqrt(v[0] ** 2 - v[1] ** 2 - v[2] ** 2 - v[3] ** 2)

    np.testing.assert_allclose(invariant_mass(d1), m1, rtol=1e-7)
    np.testing.assert_allclose(invariant_mass(d2), m2, rtol=1e-6)
    # A particle at rest in the parent frame moves with the parent.
    at_rest = (np.full(n, 1.0), np.zeros(n), np.zeros(n), np.zeros(n))
    moved = boost(at_rest, parent, mass)
    np.testing.assert_allclose(moved[1] / moved[0], parent[1] / parent[0], rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, r"`n_samples` must be an integer >= 2.*got 0"),
        ({"n_samples": 1.5}, r"`n_samples` must be an integer.*1\.5"),
        ({"n_samples": 1}, r"at least one event for each of the 2 processes"),
        ({"processes": ("WZ", "WW")}, r"unknown process 'WW'.*'ttZ'"),
        ({"processes": ("wz",)}, r"Did you mean 'WZ'\?"),
        ({"processes": ("WZ", "WZ")}, r"`processes` must not repeat a process"),
        ({"processes": ()}, r"`processes` must be a non-empty sequence"),
        ({"as_frame": "yes"}, r"`as_frame` must be True or False; got 'yes'"),
        ({"return_X_y": 1}, r"`return_X_y` must be True or False"),
    ],
)
def test_diboson_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_diboson(**{"n_samples": 100, **kwargs})


# --- make_cubic and make_ellipse ------------------------------------------------


def test_make_cubic():
    X = make_cubic(500, random_state=0)
    assert X.shape == (500, 2) and X.dtype == np.float64
    assert (X[:, 0] >= -0.5).all() and (X[:, 0] < 0.5).all()
    np.testing.assert_allclose(X[:, 1], X[:, 0] ** 3)
    X = make_cubic(2000, x_range=(1.0, 2.0), noise=0.1, random_state=0)
    assert (X[:, 0] >= 1.0).all() and (X[:, 0] < 2.0).all()
    assert abs(np.std(X[:, 1] - X[:, 0] ** 3) - 0.1) < 0.01
    first = make_cubic(50, random_state=1)
    np.testing.assert_array_equal(first, make_cubic(50, random_state=1))
    assert not np.array_equal(first, make_cubic(50, random_state=2))


def test_make_ellipse():
    X = make_ellipse(
        500, a=2.0, b=0.5, center=(1.0, -3.0), angle=np.pi / 2, random_state=0
    )
    assert X.shape == (500, 2) and X.dtype == np.float64
    # Rotated by 90 degrees, the major axis lies along the second coordinate.
    u, v = X[:, 1] + 3.0, -(X[:, 0] - 1.0)
    np.testing.assert_allclose((u / 2.0) ** 2 + (v / 0.5) ** 2, 1.0)
    assert np.ptp(X[:, 1]) > 3.9 and np.ptp(X[:, 0]) < 1.01
    X = make_ellipse(5000, noise=0.05, random_state=0)
    radius = np.hypot(X[:, 0] / 1.0, X[:, 1] / 0.5)
    assert radius.std() > 0.05
    np.testing.assert_allclose(X.mean(axis=0), [0.0, 0.0], atol=0.03)
    first = make_ellipse(50, random_state=1)
    np.testing.assert_array_equal(first, make_ellipse(50, random_state=1))
    assert not np.array_equal(first, make_ellipse(50, random_state=2))


@pytest.mark.parametrize(
    "func, kwargs, match",
    [
        (make_cubic, {"n_samples": 0}, r"`n_samples` must be an integer >= 1"),
        (make_cubic, {"x_range": (1.0, 0.0)}, r"`x_range` must be \(low, high\) with"),
        (make_cubic, {"x_range": 3}, r"`x_range` must be a pair"),
        (make_cubic, {"noise": -0.1}, r"`noise` must be >= 0; got -0.1"),
        (make_ellipse, {"a": 0.0}, r"`a` must be > 0; got 0.0"),
        (make_ellipse, {"b": -1}, r"`b` must be > 0; got -1.0"),
        (make_ellipse, {"noise": -1.0}, r"`noise` must be >= 0"),
        (make_ellipse, {"center": (1.0,)}, r"`center` must be a pair"),
        (make_ellipse, {"angle": "90"}, r"`angle` must be a real number"),
        (make_ellipse, {"a": np.inf}, r"`a` must be finite"),
    ],
)
def test_toys_bad_parameters(func, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(**kwargs)


# --- load_blurred_digits --------------------------------------------------------


def _high_frequency_energy(images):
    """Mean squared difference between neighbouring pixels."""
    return np.mean(np.diff(images, axis=1) ** 2) + np.mean(np.diff(images, axis=2) ** 2)


def test_load_blurred_digits():
    digits = load_blurred_digits(sigma=1.0)
    assert digits.data.shape == (1797, 64) and digits.target.shape == (1797, 64)
    assert digits.images.shape == digits.images_blurred.shape == (1797, 8, 8)
    assert sorted(np.unique(digits.labels)) == list(range(10))
    assert digits.target.min() == 0.0 and digits.target.max() == 1.0
    np.testing.assert_array_equal(digits.data, digits.images_blurred.reshape(1797, 64))
    np.testing.assert_array_equal(digits.target, digits.images.reshape(1797, 64))
    assert not np.allclose(digits.data, digits.target)
    assert _high_frequency_energy(digits.images_blurred) < 0.5 * _high_frequency_energy(
        digits.images
    )
    more = load_blurred_digits(sigma=2.0)
    assert _high_frequency_energy(more.images_blurred) < _high_frequency_energy(
        digits.images_blurred
    )


def test_load_blurred_digits_without_blur():
    digits = load_blurred_digits(sigma=0)
    np.testing.assert_array_equal(digits.data, digits.target)


def test_load_blurred_digits_noise():
    a = load_blurred_digits(sigma=0.0, noise=0.3, random_state=0)
    b = load_blurred_digits(sigma=0.0, noise=0.3, random_state=0)
    c = load_blurred_digits(sigma=0.0, noise=0.3, random_state=1)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)
    residual = a.data - a.target
    assert abs(residual.std() - 0.3) < 0.01
    assert a.data.min() < 0.0 and a.data.max() > 1.0  # noise is not clipped
    assert a.target.min() == 0.0 and a.target.max() == 1.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sigma": -1.0}, r"`sigma` must be >= 0; got -1.0"),
        ({"noise": -0.5}, r"`noise` must be >= 0; got -0.5"),
        ({"sigma": "wide"}, r"`sigma` must be a real number"),
    ],
)
def test_load_blurred_digits_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_blurred_digits(**kwargs)


# --- make_calorimeter --------------------------------------------------------------
@pytest.mark.parametrize("energy", [2.0, 10.0, 50.0])
def test_calorimeter_reproduces_its_resolution(energy):
    n = 20_000
    calo = make_calorimeter(n, energy_range=(energy, energy), random_state=0)
    a, b, c = (calo.resolution[k] for k in "abc")
    expected = np.sqrt((a / np.sqrt(energy)) ** 2 + (b / energy) ** 2 + c**2)
    assert expected == pytest.approx(resolution_curve(energy))
    e = calo.data[:, 0]
    # the mean response is 1 and sigma_E / E the stated one, within 4 standard
    # errors of a Gaussian sample of n events
    assert abs(e.mean() / energy - 1.0) < 4 * expected / np.sqrt(n)
    assert abs(e.std() / energy / expected - 1.0) < 4 / np.sqrt(2 * n)
    np.testing.assert_array_equal(calo.target, energy)


def test_calorimeter_resolution_values_and_bunch():
    calo = make_calorimeter(300, random_state=0)
    assert calo.resolution == {"a": 0.10, "b": 0.30, "c": 0.007}
    assert calo.feature_names == ["e_measured", "frac_front", "frac_back", "lateral_width"]
    assert calo.data.shape == (300, 4) and calo.target.shape == (300,)
    assert calo.target_names == ["e_true"]
    assert calo.frame is None
    # log-uniform in the range
    E = make_calorimeter(20_000, random_state=0).target
    assert 1.0 <= E.min() and E.max() <= 100.0
    assert abs(np.mean(np.log(E) < np.log(10.0)) - 0.5) < 0.02


def test_calorimeter_shower_shapes_follow_the_physics():
    low = make_calorimeter(5000, energy_range=(2.0, 2.0), random_state=0).data
    high = make_calorimeter(5000, energy_range=(80.0, 80.0), random_state=0).data
    # the shower maximum moves deeper with ln E: less in front, more at the back
    assert high[:, 1].mean() < 0.5 * low[:, 1].mean()
    assert high[:, 2].mean() > 2 * low[:, 2].mean()
    # deeper showers leak more: the response falls as the back fraction rises
    assert np.corrcoef(high[:, 0], high[:, 2])[0, 1] < -0.2
    # the lateral width grows with the depth and fluctuates less at high energy
    assert high[:, 3].mean() > low[:, 3].mean()
    assert high[:, 3].std() < low[:, 3].std()
    assert np.corrcoef(high[:, 3], high[:, 1])[0, 1] < -0.2


def test_calorimeter_as_frame_return_X_y_and_random_state():
    X, y = make_calorimeter(50, random_state=1, as_frame=True, return_X_y=True)
    assert list(X.columns) == ["e_measured", "frac_front", "frac_back", "lateral_width"]
    assert y.name == "e_true"
    np.testing.assert_array_equal(X.to_numpy(), make_calorimeter(50, random_state=1).data)
    assert not np.array_equal(X.to_numpy(), make_calorimeter(50, random_state=2).data)
    frame = make_calorimeter(50, random_state=1, as_frame=True).frame
    assert list(frame.columns)[-1] == "e_true"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"energy_range": (0.0, 10.0)}, r"`energy_range` must be \(low, high\) in GeV"),
        ({"energy_range": (10.0, 1.0)}, r"0 < low <= high; got \(10.0, 1.0\)"),
        ({"energy_range": (1.0,)}, r"`energy_range` must be a pair"),
        ({"n_samples": 0}, r"`n_samples` must be an integer >= 1"),
        ({"as_frame": "yes"}, r"`as_frame` must be True or False"),
    ],
)
def test_calorimeter_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_calorimeter(**kwargs)


@pytest.mark.parametrize("make, kwargs", [
    (make_diboson, {}), (make_calorimeter, {}), (make_wtagging, {}),
    (make_reweighting, {"n_features": 10}), (make_cubic, {}), (make_ellipse, {}),
])
def test_a_sample_larger_than_the_free_memory_is_refused_up_front(monkeypatch, make, kwargs):
    # numpy handed out the first arrays of make_diboson(300_000_000) and the
    # machine swapped before any error; now the size is checked before a draw
    from physml_sklearn import _memory

    monkeypatch.setattr(_memory, "available_memory", lambda: 10_000_000)  # 10 MB
    with pytest.raises(MemoryError, match=r"`n_samples`=1,000,000 takes about .* GB while it "
                                          r"is generated, more than the 0\.01 GB"):
        make(1_000_000, **kwargs)
    make(2_000, **kwargs)  # a sample that fits is drawn as before
