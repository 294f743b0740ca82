"""Decorrelated classifiers: the DisCo and MoDe penalties, their routing, the toy, the metric."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon
from sklearn import config_context
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier, FoldingClassifier, load, save
from physml_sklearn._core._penalties import (
    DecorrelationTerm,
    DiscoPenalty,
    MoDePenalty,
    distance_correlation,
)
from physml_sklearn.datasets import make_wtagging
from physml_sklearn.metrics import mass_sculpting

FAST = dict(hidden_layer_sizes=(16, 16), dropout=0.0, batch_size=512, max_epochs=3,
            random_state=0)


@pytest.fixture(scope="module")
def jets():
    data = make_wtagging(3000, random_state=0)
    X = StandardScaler().fit_transform(data.data)
    return X, data.target, data.mass


# -- the penalties ---------------------------------------------------------------
def _dcorr2_numpy(x, y, w):
    """dCorr² straight from the definition (arXiv:2001.05310 eqs. 2.1-2.3, weighted)."""
    n = len(x)
    w = w * n / w.sum()

    def centred(v):
        d = np.abs(v[:, None] - v[None, :])
        row = (d * w[None, :]).mean(axis=1)
        return d - row[None, :] - row[:, None] + (row * w).mean()

    A, B = centred(x), centred(y)

    def dcov2(P, Q):
        return (w[:, None] * w[None, :] * P * Q).mean()

    return dcov2(A, B) / np.sqrt(dcov2(A, A) * dcov2(B, B))


@pytest.mark.parametrize("weighted", [False, True])
def test_distance_correlation_matches_numpy_reference(weighted):
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    y = np.tanh(x) ** 2 + rng.normal(scale=0.3, size=400)
    w = rng.uniform(0.2, 3.0, 400) if weighted else np.ones(400)
    expected = _dcorr2_numpy(x, y, w)
    got = distance_correlation(
        torch.tensor(x), torch.tensor(y), torch.tensor(w) if weighted else None
    )
    assert expected > 0.05
    assert float(got) == pytest.approx(expected, rel=1e-10)


def _dcorr2_torch(x, y, w):
    """The definition of ``_dcorr2_numpy`` on n x n torch matrices, for autograd."""
    n = len(x)
    w = w * n / w.sum()

    def centred(v):
        d = (v[:, None] - v[None, :]).abs()
        row = (d * w[None, :]).mean(dim=1)
        return d - row[None, :] - row[:, None] + (row * w).mean()

    A, B = centred(x), centred(y)

    def dcov2(P, Q):
        return (w[:, None] * w[None, :] * P * Q).mean()

    return dcov2(A, B) / torch.sqrt(dcov2(A, A) * dcov2(B, B))


@pytest.mark.parametrize("weighted", [False, True])
def test_distance_correlation_gradient_matches_autograd_of_the_definition(weighted):
    # the closed-form gradient against autograd through the n x n matrices
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.normal(size=300))
    w = torch.tensor(rng.uniform(0.2, 3.0, 300) if weighted else np.ones(300))
    y0 = np.tanh(x.numpy()) + rng.normal(scale=0.5, size=300)
    fast = torch.tensor(y0, requires_grad=True)
    slow = torch.tensor(y0, requires_grad=True)
    value = distance_correlation(x, fast, w if weighted else None)
    reference = _dcorr2_torch(x, slow, w)
    (value * 3.0).backward()
    (reference * 3.0).backward()
    assert value.item() == pytest.approx(reference.item(), rel=1e-10)
    np.testing.assert_allclose(fast.grad.numpy(), slow.grad.numpy(), rtol=1e-8, atol=1e-12)
    assert float(slow.grad.abs().max()) > 1e-4


def test_disco_penalty_reuses_its_buffer_across_batch_sizes():
    # the n x n buffer is kept between batches: bigger, then smaller batches
    # give the values of fresh calls, in float32 as in training
    rng = np.random.default_rng(6)
    penalty = DiscoPenalty()
    for n in (200, 500, 120, 500):
        mass = torch.tensor(rng.uniform(30, 300, n), dtype=torch.float32)
        score = torch.sigmoid(torch.tensor(rng.normal(size=n), dtype=torch.float32)
                              + (mass - 100) / 50)
        weight = torch.tensor(rng.uniform(0.5, 2.0, n), dtype=torch.float32)
        got = float(penalty(score, mass, weight))
        expected = _dcorr2_numpy(mass.double().numpy(), score.double().numpy(),
                                 weight.double().numpy())
        assert got == pytest.approx(expected, rel=1e-4)
    assert penalty.workspace.buffer.numel() == 500 * 500


def test_decorrelation_term_acts_on_the_background_rows_only():
    rng = np.random.default_rng(7)
    logits = torch.tensor(rng.normal(size=(400, 1)))
    target = torch.tensor(rng.integers(0, 2, (400, 1)).astype(float))
    weight = torch.tensor(rng.uniform(0.5, 2.0, 400))
    mass = torch.tensor(rng.uniform(30, 300, 400))
    background = target[:, 0] == 0
    for penalty in (DiscoPenalty(), MoDePenalty(1)):
        got = DecorrelationTerm(penalty, 7.0)(logits, target, weight, mass)
        expected = 7.0 * penalty(torch.sigmoid(logits[background, 0]), mass[background],
                                 weight[background])
        assert got.item() == pytest.approx(expected.item(), rel=1e-12)


def test_distance_correlation_extremes_and_constant_scores():
    rng = np.random.default_rng(1)
    x = torch.tensor(rng.normal(size=2000))
    assert float(distance_correlation(x, 3 * x + 1)) == pytest.approx(1.0, abs=1e-9)
    independent = float(distance_correlation(x, torch.tensor(rng.normal(size=2000))))
    assert 0 <= independent < 0.01
    # a constant score: dCorr² is 0, not NaN, and the gradient is finite
    score = torch.full((50,), 0.3, dtype=torch.float64, requires_grad=True)
    value = distance_correlation(x[:50], score)
    value.backward()
    assert float(value.detach()) == 0.0 and bool(torch.isfinite(score.grad).all())


def _mode_numpy(score, mass, order, n_bins=32, weight=None):
    """MoDe[order] on a fine grid of s: F_m(s) fitted with Legendre polynomials in m."""
    order_idx = np.argsort(mass, kind="stable")
    per_bin = len(score) // n_bins
    m = mass[order_idx]
    m = (2 * (m - m.min()) / (m.max() - m.min()) - 1).reshape(n_bins, per_bin)
    s = score[order_idx].reshape(n_bins, per_bin)
    w = np.ones_like(s) if weight is None else weight[order_idx].reshape(n_bins, per_bin)
    w = w / w.sum(axis=1, keepdims=True)
    edges = np.concatenate([[-1.0], 0.5 * (m[1:, 0] + m[:-1, -1]), [1.0]])
    widths = np.diff(edges)
    centres = m.mean(axis=1)
    V = np.polynomial.legendre.legvander(centres, order)
    grid = np.linspace(0, 1, 200_001)[:-1] + 0.5 / 200_000
    F = np.empty((n_bins, len(grid)))  # F_m(s): the weighted fraction of bin m below s
    for b in range(n_bins):
        rank = np.argsort(s[b])
        below = np.searchsorted(s[b][rank], grid, side="left")
        F[b] = np.concatenate([[0.0], np.cumsum(w[b][rank])])[below]
    coef = np.linalg.solve(V.T @ (widths[:, None] * V), V.T @ (widths[:, None] * F))
    residual = F - V @ coef
    return (residual**2).mean(axis=0).mean()


@pytest.mark.parametrize("order", [0, 1, 2])
def test_mode_matches_numpy_reference(order):
    rng = np.random.default_rng(order)
    mass = rng.uniform(30, 300, 640)
    score = 1 / (1 + np.exp(-(rng.normal(size=640) + (mass - 150) / 60 + ((mass - 150) / 80) ** 2)))
    got = MoDePenalty(order)(torch.tensor(score), torch.tensor(mass))
    expected = _mode_numpy(score, mass, order)
    assert expected > 1e-4
    assert float(got) == pytest.approx(expected, rel=2e-3)
    # weighted: F_m(s) is the weighted fraction of the bin below s
    weight = rng.uniform(0.2, 3.0, 640)
    got = MoDePenalty(order)(torch.tensor(score), torch.tensor(mass), torch.tensor(weight))
    expected = _mode_numpy(score, mass, order, weight=weight)
    assert float(got) == pytest.approx(expected, rel=2e-3)
    # and in float32, as in training
    got = MoDePenalty(order)(torch.tensor(score, dtype=torch.float32),
                             torch.tensor(mass, dtype=torch.float32),
                             torch.tensor(weight, dtype=torch.float32))
    assert float(got) == pytest.approx(expected, rel=2e-3)


@pytest.mark.parametrize("order", [0, 2])
def test_mode_gradient_matches_finite_differences(order):
    # the integral over s is exact, so between two scores the penalty is a
    # smooth function of each score and its gradient is checkable
    rng = np.random.default_rng(10 + order)
    mass = torch.tensor(rng.uniform(30, 300, 256))
    score = torch.tensor(rng.uniform(0, 1, 256) * 0.5 + 0.3 * (mass.numpy() > 120),
                         requires_grad=True)
    weight = torch.tensor(rng.uniform(0.5, 2.0, 256))
    penalty = MoDePenalty(order)
    penalty(score, mass, weight).backward()
    eps = 1e-7
    for i in (0, 17, 101, 200):
        step = torch.zeros(256, dtype=torch.float64)
        step[i] = eps
        with torch.no_grad():
            up = float(penalty(score + step, mass, weight))
            down = float(penalty(score - step, mass, weight))
        assert (up - down) / (2 * eps) == pytest.approx(float(score.grad[i]), rel=1e-4, abs=1e-9)
    assert float(score.grad.abs().max()) > 1e-4


def test_mode_order_one_allows_a_linear_dependence():
    # the score's distribution shifts linearly with the mass: MoDe[0] penalises
    # it, MoDe[1] much less
    rng = np.random.default_rng(3)
    mass = rng.uniform(-1, 1, 3200)
    score = torch.tensor(np.clip(0.5 + 0.2 * mass + rng.uniform(-0.2, 0.2, 3200), 0, 1))
    mass = torch.tensor(mass)
    flat, linear = MoDePenalty(0)(score, mass), MoDePenalty(1)(score, mass)
    assert float(linear) < 0.1 * float(flat)


def _efficiency_spread(score, mass, cut=0.5, n_bins=8):
    order = np.argsort(mass)
    bins = np.array_split(score[order], n_bins)
    eff = np.array([np.mean(b > cut) for b in bins])
    return eff.max() - eff.min()


@pytest.mark.parametrize("penalty", [MoDePenalty(0), "disco"])
def test_penalty_gradient_flattens_the_efficiency(penalty):
    # descend the penalty alone on free scores that start mass-dependent:
    # the efficiency of a cut becomes (nearly) the same in every mass bin
    rng = np.random.default_rng(4)
    mass = torch.tensor(rng.uniform(0, 1, 512), dtype=torch.float32)
    logit = 3 * (mass - 0.5) + torch.tensor(rng.normal(size=512), dtype=torch.float32)
    logit.requires_grad_(True)
    before = _efficiency_spread(torch.sigmoid(logit).detach().numpy(), mass.numpy())
    optimizer = torch.optim.Adam([logit], lr=0.05)
    for _ in range(150):
        optimizer.zero_grad()
        score = torch.sigmoid(logit)
        loss = (MoDePenalty(0)(score, mass) if penalty != "disco"
                else distance_correlation(mass, score))
        loss.backward()
        optimizer.step()
    after = _efficiency_spread(torch.sigmoid(logit).detach().numpy(), mass.numpy())
    assert before > 0.6 and after < 0.25 * before


# -- the classifier ------------------------------------------------------------------
def test_decorrelated_fits_sculpt_less():
    train, test = make_wtagging(8000, random_state=1), make_wtagging(8000, random_state=2)
    scaler = StandardScaler().fit(train.data)
    params = dict(hidden_layer_sizes=(32, 32), dropout=0.0, batch_size=512,
                  max_epochs=25, random_state=0)
    results = {}
    for name in (None, "disco", "mode"):
        clf = DropoutMLPClassifier(**params, decorrelation=name, decorrelation_strength=20.0)
        clf.fit(scaler.transform(train.data), train.target,
                decorrelate=None if name is None else train.mass)
        score = clf.predict_proba(scaler.transform(test.data))[:, 1]
        results[name] = mass_sculpting(test.target, score, test.mass, bins=20)
    # the plain network sculpts clearly; both penalties cut the JSD severalfold
    # and keep a useful rejection
    assert results[None]["jsd"] > 0.2
    for name in ("disco", "mode"):
        assert results[name]["jsd"] < 0.3 * results[None]["jsd"]
        assert results[name]["background_rejection"] > 10


def test_zero_strength_is_the_plain_network(jets):
    X, y, mass = jets
    plain = DropoutMLPClassifier(**FAST).fit(X, y)
    zero = DropoutMLPClassifier(**FAST, decorrelation="disco", decorrelation_strength=0.0)
    zero.fit(X, y, decorrelate=mass)
    np.testing.assert_array_equal(plain.predict_proba(X), zero.predict_proba(X))
    strong = DropoutMLPClassifier(**FAST, decorrelation="disco", decorrelation_strength=50.0)
    assert not np.array_equal(strong.fit(X, y, decorrelate=mass).predict_proba(X),
                              plain.predict_proba(X))


@pytest.mark.parametrize("decorrelation", ["disco", "mode"])
def test_same_random_state_same_result_and_data_untouched(jets, decorrelation):
    X, y, mass = jets
    X0, mass0 = X.copy(), mass.copy()
    weight = np.linspace(0.5, 1.5, len(y))
    make = lambda: DropoutMLPClassifier(**FAST, decorrelation=decorrelation,
                                        decorrelation_strength=5.0, early_stopping=True)
    a = make().fit(X, y, sample_weight=weight, decorrelate=mass).predict_proba(X)
    b = make().fit(X, y, sample_weight=weight, decorrelate=mass).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(mass, mass0)


def test_partial_fit_takes_decorrelate(jets):
    X, y, mass = jets
    clf = DropoutMLPClassifier(**FAST, decorrelation="mode", decorrelation_order=1)
    clf.partial_fit(X, y, classes=[0, 1], decorrelate=mass)
    clf.partial_fit(X[:1000], y[:1000], decorrelate=mass[:1000])
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 2  # n_iter_: the last call's
    with pytest.raises(ValueError, match="needs the variable to decorrelate from"):
        clf.partial_fit(X, y)


def test_errors_name_the_parameter_and_leave_the_estimator_as_it_was(jets):
    X, y, mass = jets
    with pytest.raises(ValueError, match="decorrelation='disco' needs the variable"):
        DropoutMLPClassifier(**FAST, decorrelation="disco").fit(X, y)
    with pytest.raises(ValueError, match="decorrelate was passed to fit but decorrelation=None"):
        DropoutMLPClassifier(**FAST).fit(X, y, decorrelate=mass)
    with pytest.raises(ValueError, match="decorrelate has 10 values but X has 3000 rows"):
        DropoutMLPClassifier(**FAST, decorrelation="mode").fit(X, y, decorrelate=mass[:10])
    with pytest.raises(ValueError, match="decorrelate must be a 1-D array"):
        DropoutMLPClassifier(**FAST, decorrelation="mode").fit(
            X, y, decorrelate=np.column_stack([mass, mass]))
    bad = mass.copy()
    bad[5] = np.nan
    with pytest.raises(ValueError, match="decorrelate holds 1 non-finite"):
        DropoutMLPClassifier(**FAST, decorrelation="mode").fit(X, y, decorrelate=bad)
    with pytest.raises(ValueError, match="decorrelation_order=1 applies to decorrelation='mode'"):
        DropoutMLPClassifier(**FAST, decorrelation="disco", decorrelation_order=1).fit(
            X, y, decorrelate=mass)
    with pytest.raises(ValueError, match="'decorrelation' parameter"):
        DropoutMLPClassifier(**FAST, decorrelation="dcorr").fit(X, y, decorrelate=mass)
    with pytest.raises(ValueError, match="'decorrelation_order' parameter"):
        DropoutMLPClassifier(**FAST, decorrelation="mode", decorrelation_order=3).fit(
            X, y, decorrelate=mass)
    with pytest.raises(ValueError, match="'decorrelation_strength' parameter"):
        DropoutMLPClassifier(**FAST, decorrelation="mode", decorrelation_strength=-1).fit(
            X, y, decorrelate=mass)
    # a failed fit of a fitted classifier leaves it as it was
    clf = DropoutMLPClassifier(**FAST, decorrelation="disco").fit(X, y, decorrelate=mass)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="decorrelate"):
        clf.fit(X, y, decorrelate=mass[:-1])
    np.testing.assert_array_equal(clf.predict_proba(X), before)


# -- routing -----------------------------------------------------------------------
def test_grid_search_slices_decorrelate_per_fold(jets):
    X, y, mass = jets
    search = GridSearchCV(
        DropoutMLPClassifier(**FAST, decorrelation="disco"),
        {"decorrelation_strength": [1.0, 10.0]}, cv=2,
    )
    search.fit(X, y, decorrelate=mass)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # the refit on all rows equals a direct fit
    direct = DropoutMLPClassifier(**FAST, decorrelation="disco",
                                  decorrelation_strength=search.best_params_[
                                      "decorrelation_strength"])
    np.testing.assert_array_equal(
        search.predict_proba(X), direct.fit(X, y, decorrelate=mass).predict_proba(X))


def test_pipeline_routes_decorrelate_with_metadata_routing(jets):
    X, y, mass = jets
    raw = X * 3 + 1
    with config_context(enable_metadata_routing=True):
        clf = DropoutMLPClassifier(**FAST, decorrelation="mode").set_fit_request(
            decorrelate=True)
        pipe = make_pipeline(StandardScaler(), clf).fit(raw, y, decorrelate=mass)
        with pytest.raises(Exception, match="decorrelate"):
            # not requested: the pipeline refuses to drop it silently
            make_pipeline(StandardScaler(), DropoutMLPClassifier(
                **FAST, decorrelation="mode")).fit(raw, y, decorrelate=mass)
    direct = DropoutMLPClassifier(**FAST, decorrelation="mode").fit(
        StandardScaler().fit_transform(raw), y, decorrelate=mass)
    np.testing.assert_allclose(pipe.predict_proba(raw), direct.predict_proba(X), atol=1e-6)


def test_folding_classifier_splits_decorrelate_per_fold(jets):
    X, y, mass = jets
    base = DropoutMLPClassifier(**FAST, decorrelation="disco", decorrelation_strength=5.0)
    folding = FoldingClassifier(base, n_folds=2, random_state=0).fit(X, y, decorrelate=mass)
    for k, est in enumerate(folding.estimators_):
        train = folding.folds_ != k
        direct = clone(base).fit(X[train], y[train], decorrelate=mass[train])
        np.testing.assert_array_equal(est.predict_proba(X[:50]), direct.predict_proba(X[:50]))
    # with metadata routing: the request routes it, and each fold gets its rows
    with config_context(enable_metadata_routing=True):
        routed = FoldingClassifier(
            clone(base).set_fit_request(decorrelate=True, sample_weight=True),
            n_folds=2, random_state=0,
        ).fit(X, y, decorrelate=mass)
    for est, reference in zip(routed.estimators_, folding.estimators_):
        np.testing.assert_array_equal(est.predict_proba(X[:50]),
                                      reference.predict_proba(X[:50]))


# -- persistence ----------------------------------------------------------------------
def test_save_load_round_trips_the_parameters(jets, tmp_path):
    X, y, mass = jets
    clf = DropoutMLPClassifier(**FAST, decorrelation="mode", decorrelation_strength=3.5,
                               decorrelation_order=2).fit(X, y, decorrelate=mass)
    save(clf, tmp_path / "tagger.physml")
    loaded = load(tmp_path / "tagger.physml")
    params = loaded.get_params()
    assert (params["decorrelation"], params["decorrelation_strength"],
            params["decorrelation_order"]) == ("mode", 3.5, 2)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_onnx_export_is_the_plain_network(jets):
    ort = pytest.importorskip("onnxruntime")
    from physml_sklearn import to_onnx

    X, y, mass = jets
    model = make_pipeline(StandardScaler(), DropoutMLPClassifier(
        **FAST, decorrelation="disco", decorrelation_strength=5.0))
    model.fit(X, y, dropoutmlpclassifier__decorrelate=mass)
    onx = to_onnx(model, X[:5])
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})
    proba = [o for o in outputs if np.ndim(o) == 2][0]
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-5, atol=1e-5)


# -- the toy -----------------------------------------------------------------------------
def test_make_wtagging_shapes_frame_and_seed():
    a = make_wtagging(500, signal_fraction=0.3, random_state=7)
    b = make_wtagging(500, signal_fraction=0.3, random_state=7)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.mass, b.mass)
    assert a.data.shape == (500, 4) and a.mass.shape == (500,)
    assert int(a.target.sum()) == 150
    assert a.feature_names == ["tau21", "d2", "rho", "pt"]
    assert ((a.mass >= 30) & (a.mass <= 300)).all()
    np.testing.assert_array_equal(a.sample_weight, np.ones(500))
    frame = make_wtagging(100, random_state=0, as_frame=True)
    assert list(frame.data.columns) == frame.feature_names and frame.mass.name == "mass"
    X, y = make_wtagging(100, random_state=0, return_X_y=True)
    assert X.shape == (100, 4) and y.shape == (100,)
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="signal_fraction"):
            make_wtagging(100, signal_fraction=bad)
    with pytest.raises(ValueError, match="n_samples"):
        make_wtagging(1)


def test_make_wtagging_background_substructure_follows_the_mass():
    jets = make_wtagging(40_000, random_state=0)
    background = jets.target == 0
    low = background & (jets.mass < 50)
    high = background & (jets.mass > 120)
    tau21 = jets.data[:, 0]
    assert tau21[low].mean() - tau21[high].mean() > 0.05
    # and the signal substructure does not
    signal = jets.target == 1
    assert abs(np.corrcoef(tau21[signal], jets.mass[signal])[0, 1]) < 0.03


def test_make_wtagging_follows_the_model_its_docstring_states():
    # the parameters of the docstring (and DESCR), fitted back from the jets
    jets = make_wtagging(200_000, random_state=3)
    tau21, d2, rho, pt = jets.data.T
    signal, u = jets.target == 1, (jets.mass - 30) / 270
    assert tau21[signal].mean() == pytest.approx(0.45, abs=0.005)
    assert tau21[signal].std() == pytest.approx(0.12, abs=0.005)
    qcd = ~signal & (tau21 > 0.02) & (tau21 < 0.99)  # away from the clipping
    slope, intercept = np.polyfit(u[qcd], tau21[qcd], 1)
    assert (intercept, slope) == (pytest.approx(0.68, abs=0.01), pytest.approx(-0.25, abs=0.02))
    assert np.exp(np.log(d2[signal]).mean()) == pytest.approx(1.6, rel=0.01)
    assert np.log(d2[signal]).std() == pytest.approx(0.35, abs=0.005)
    assert np.exp(np.log(d2[~signal & (u < 0.05)]).mean()) == pytest.approx(2.4, rel=0.03)
    assert np.log(d2[~signal]).std() == pytest.approx(0.40, abs=0.02)
    assert (rho - np.log(jets.mass**2 / pt**2)).std() == pytest.approx(0.15, abs=0.003)
    assert "Normal(0.45, 0.12)" in jets.DESCR and "Normal(0.45, 0.12)" in make_wtagging.__doc__


# -- the metric ----------------------------------------------------------------------------
def test_mass_sculpting_matches_scipy_and_counts_weights():
    rng = np.random.default_rng(0)
    n = 4000
    y = rng.integers(0, 2, n)
    mass = rng.uniform(30, 300, n)
    score = y + 0.01 * mass + rng.normal(size=n)
    weight = rng.uniform(0.5, 2.0, n)
    result = mass_sculpting(y, score, mass, bins=10, sample_weight=weight)
    passed = score >= result["threshold"]
    sig, bkg = y == 1, y == 0
    assert weight[sig & passed].sum() / weight[sig].sum() == pytest.approx(0.5, abs=0.002)
    assert result["background_rejection"] == pytest.approx(
        weight[bkg].sum() / weight[bkg & passed].sum())
    edges = np.linspace(mass[bkg].min(), mass[bkg].max(), 11)
    p = np.histogram(mass[bkg & passed], edges, weights=weight[bkg & passed])[0]
    q = np.histogram(mass[bkg & ~passed], edges, weights=weight[bkg & ~passed])[0]
    expected = jensenshannon(p / p.sum(), q / q.sum(), base=2) ** 2
    assert result["jsd"] == pytest.approx(expected, rel=1e-9)
    assert result["inverse_jsd"] == pytest.approx(1 / expected)
    # the statistics behind R: the passing simulated background and its sum of w^2
    kept = weight[bkg & passed]
    assert result["background_events"] == kept.size
    assert result["background_rejection_uncertainty"] == pytest.approx(
        result["background_rejection"] * np.sqrt(np.sum(kept**2)) / kept.sum())
    unweighted = mass_sculpting(y, score, mass, bins=10)
    assert unweighted["background_rejection_uncertainty"] == pytest.approx(
        unweighted["background_rejection"] / np.sqrt(unweighted["background_events"]))
    # weights matter: unweighted gives another threshold
    assert mass_sculpting(y, score, mass, bins=10)["threshold"] != result["threshold"]


@pytest.mark.parametrize("weighted", [False, True])
def test_mass_sculpting_jsd_floor_is_the_jsd_of_a_cut_that_does_not_sculpt(weighted):
    # a score blind to the mass: every JSD is statistics alone, and its mean over
    # independent samples is the floor the metric quotes
    jsd, floor = [], []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        y = np.repeat([0, 1], 3000)
        mass = rng.uniform(30, 300, y.size)
        weight = rng.exponential(1.0, y.size) if weighted else None
        result = mass_sculpting(y, rng.random(y.size), mass, signal_efficiency=0.3, bins=25,
                                sample_weight=weight)
        jsd.append(result["jsd"])
        floor.append(result["jsd_floor"])
    assert np.mean(floor) == pytest.approx(np.mean(jsd), rel=0.05)
    # a sculpting cut stands far above it
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 3000)
    mass = rng.uniform(30, 300, y.size)
    window = y + rng.normal(size=y.size) - np.abs(mass - 80) / 30
    sculpted = mass_sculpting(y, window, mass, bins=25)
    assert sculpted["jsd"] > 10 * sculpted["jsd_floor"]


def test_mass_sculpting_refuses_spectra_thinner_than_the_bins():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    score, mass = rng.random(40), rng.uniform(30, 300, 40)
    # 20 background events split by the cut into 50 bins: a JSD of the binning
    with pytest.raises(ValueError, match=r"too few background events for the JSD.*"
                                         r"occupied mass bins.*bins=10"):
        mass_sculpting(y, score, mass, bins=50)
    result = mass_sculpting(y, score, mass, bins=3)
    assert result["background_events"] >= 3 and np.isfinite(result["jsd_floor"])


def test_mass_sculpting_errors():
    y = np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="signal_efficiency must be a number in"):
        mass_sculpting(y, [0.1, 0.2, 0.3, 0.4], [50, 60, 70, 80], signal_efficiency=1.5)
    with pytest.raises(ValueError, match="mass contains NaN"):
        mass_sculpting(y, [0.1, 0.2, 0.3, 0.4], [50, np.nan, 70, 80])
    with pytest.raises(ValueError, match="mass=3"):
        mass_sculpting(y, [0.1, 0.2, 0.3, 0.4], [50, 60, 70])
    with pytest.raises(ValueError, match="no background event passes"):
        mass_sculpting(y, [0.1, 0.2, 0.3, 0.4], [50, 60, 70, 80])
    with pytest.raises(ValueError, match="bins must be"):
        mass_sculpting(y, [0.1, 0.5, 0.3, 0.4], [50, 60, 70, 80], bins=[3, 2])
    with pytest.raises(ValueError, match="background events sums to -2"):
        mass_sculpting(y, [0.1, 0.5, 0.3, 0.4], [50, 60, 70, 80],
                       sample_weight=[-1.0, -1.0, 1.0, 1.0])


# -- the display ----------------------------------------------------------------------------
def test_sculpting_display_matches_the_metric(jets):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from physml_sklearn.plotting import SculptingDisplay

    X, y, mass = jets
    clf = DropoutMLPClassifier(**FAST).fit(X, y)
    weight = np.linspace(0.5, 2.0, len(y))
    disp = SculptingDisplay.from_estimator(clf, X, y, mass, signal_efficiencies=(1.0, 0.5, 0.3),
                                           sample_weight=weight, bins=15)
    score = clf.predict_proba(X)[:, 1]
    for eff, jsd in zip((0.5, 0.3), disp.jsd[1:]):
        expected = mass_sculpting(y, score, mass, signal_efficiency=eff, bins=15,
                                  sample_weight=weight)["jsd"]
        assert jsd == pytest.approx(expected, rel=1e-12)
    assert disp.jsd[0] is None
    widths = np.diff(disp.edges)
    for density in disp.densities:
        assert (density * widths).sum() == pytest.approx(1.0)
    # the uncut histogram is the weighted background mass
    bkg = y == 0
    counts = np.histogram(mass[bkg], disp.edges, weights=weight[bkg])[0]
    np.testing.assert_allclose(disp.densities[0], counts / counts.sum() / widths)
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert "no cut" in labels[0] and f"JSD = {disp.jsd[1]:.3g}" in labels[1]
    assert disp.ax_.get_xlabel() == "m [GeV]" and len(disp.lines_) == 3
    # each JSD beside its statistical floor, the metric's
    expected = mass_sculpting(y, score, mass, signal_efficiency=0.5, bins=15,
                              sample_weight=weight)["jsd_floor"]
    assert disp.jsd_floor[1] == pytest.approx(expected, rel=1e-12)
    assert f"(stat. {expected:.2g})" in labels[1]
    # a cut that passes fewer background events than bins gets no JSD
    rng = np.random.default_rng(0)
    y_few = np.repeat([0, 1], 30)
    thin = SculptingDisplay.from_predictions(y_few, rng.random(60), rng.uniform(30, 300, 60),
                                             signal_efficiencies=(1.0, 0.1), bins=20)
    assert thin.jsd == [None, None] and thin.jsd_floor == [None, None]
    thin_labels = [t.get_text() for t in thin.ax_.get_legend().get_texts()]
    assert "no cut" in thin_labels[0] and "too few events for a JSD" in thin_labels[1]
    with pytest.raises(ValueError, match="signal_efficiencies must be a number in"):
        SculptingDisplay.from_predictions(y, score, mass, signal_efficiencies=(0.5, 0.0))
    matplotlib.pyplot.close("all")
