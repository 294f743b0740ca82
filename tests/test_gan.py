"""GANSampler: behaviour beyond the common checks."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from physml_sklearn import GANSampler
from physml_sklearn.datasets import make_cubic
from physml_sklearn.gan._net import GANNet, HoldThenAnneal
from physml_sklearn.gan._preprocessing import ConditionalStandardizer, QuantileNormalizer
from physml_sklearn.metrics import energy_distance

#: the package's earlier default networks, cheap enough for learning tests
SMALL = dict(latent_dim=5, generator_layers=(32, 32), discriminator_layers=(32, 32))
# a few epochs of small networks on 400 rows: 2 steps per epoch
TINY = dict(generator_layers=(32, 32), discriminator_layers=(32, 32), max_epochs=4,
            batch_size=200, random_state=0)


@pytest.fixture(scope="module")
def cubic():
    return make_cubic(400, random_state=0)


@pytest.fixture(scope="module")
def fitted(cubic):
    return GANSampler(**TINY).fit(cubic)


def residual(S):
    S = np.asarray(S)
    return np.median(np.abs(S[:, 1] - S[:, 0] ** 3))


# -- sampling -------------------------------------------------------------------
def test_sample_shape_and_dtype(fitted):
    S = fitted.sample(7, random_state=0)
    assert isinstance(S, np.ndarray)
    assert S.shape == (7, 2) and S.dtype == np.float64
    assert fitted.sample().shape == (1, 2)


def test_sample_in_original_units_and_dataframe_columns(cubic):
    # far from standardised: offsets and scales of very different size
    X = pd.DataFrame(cubic * [1000.0, 0.01] + [5000.0, -3.0], columns=["mass", "eta"])
    gan = GANSampler(**{**TINY, "max_epochs": 30}).fit(X)
    np.testing.assert_array_equal(gan.feature_names_in_, ["mass", "eta"])
    # bounded, light-tailed columns are standardised in the training units
    assert not gan.transformer_.quantile_columns_.any()
    np.testing.assert_allclose(gan.transformer_.mean_, X.mean(), rtol=1e-12)
    np.testing.assert_allclose(gan.transformer_.scale_, X.std(ddof=0), rtol=1e-12)
    S = gan.sample(2000, random_state=0)
    assert isinstance(S, pd.DataFrame)
    assert list(S.columns) == ["mass", "eta"]
    # the generated rows live where the data do, in the data's units
    assert abs(S["mass"].mean() - 5000.0) < 200.0
    assert abs(S["eta"].mean() + 3.0) < 0.002
    assert 100.0 < S["mass"].std() < 600.0
    # the snapshots are in the original units too
    gan = GANSampler(**{**TINY, "snapshot_epochs": [4]}).fit(X)
    assert abs(gan.snapshots_[4][:, 0].mean() - 5000.0) < 1000.0


def test_same_random_state_same_draws(fitted):
    a = fitted.sample(50, random_state=3)
    np.testing.assert_array_equal(a, fitted.sample(50, random_state=3))
    assert not np.array_equal(a, fitted.sample(50, random_state=4))
    # a RandomState instance advances; None draws from numpy's global state
    rng = np.random.RandomState(3)
    assert not np.array_equal(fitted.sample(50, random_state=rng),
                              fitted.sample(50, random_state=rng))
    assert not np.array_equal(fitted.sample(50), fitted.sample(50))


def test_same_random_state_same_model(cubic, fitted):
    again = clone(fitted).fit(cubic)
    np.testing.assert_array_equal(again.sample(20, random_state=0),
                                  fitted.sample(20, random_state=0))
    other = GANSampler(**{**TINY, "random_state": 1}).fit(cubic)
    assert not np.array_equal(other.sample(20, random_state=0),
                              fitted.sample(20, random_state=0))


def test_pickle_round_trip(fitted):
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.sample(10, random_state=0),
                                  fitted.sample(10, random_state=0))


# -- score and model selection ----------------------------------------------------
def test_score_is_minus_energy_distance_and_deterministic(cubic, fitted):
    fresh = make_cubic(300, random_state=1)
    score = fitted.score(fresh)

    def standardised(rows, seed):
        # the networks' scale: the cubic's bounded columns are standardised
        return fitted.transformer_.transform(rows, np.random.RandomState(seed))

    # minus the energy distance to as many rows generated with the fixed
    # score seed (0), ties spread with seeds 0 (real) and 1 (generated)
    generated = fitted.sample(len(fresh), random_state=0)
    distance = energy_distance(standardised(fresh, 0), standardised(generated, 1))
    assert score == pytest.approx(-distance, rel=1e-9)
    # another generated draw gives about the same distance
    other = fitted.sample(len(fresh), random_state=1)
    assert score == pytest.approx(
        -energy_distance(standardised(fresh, 0), standardised(other, 1)), rel=0.25
    )
    assert fitted.score(fresh) == score
    # rows far from the learned distribution score worse
    assert fitted.score(fresh + [5.0, 0.0]) < score - 1.0


def test_grid_search_without_scoring(cubic):
    # one epoch against thirty of the recommended configuration: the score
    # (minus the energy distance on the held-out fold) must tell them apart
    gan = GANSampler(activation="gelu", lr_generator=1e-2, lr_discriminator=1e-2,
                     batch_size=100, random_state=0)
    search = GridSearchCV(gan, {"max_epochs": [1, 30]}, cv=2).fit(cubic)
    assert search.best_params_ == {"max_epochs": 30}
    one, thirty = search.cv_results_["mean_test_score"]
    assert thirty > one + 0.05
    assert search.best_estimator_.sample(3, random_state=0).shape == (3, 2)


# -- training -------------------------------------------------------------------
def test_net_is_built_the_skorch_way(fitted):
    net = fitted.net_
    assert isinstance(net, GANNet)
    assert {"module", "discriminator", "generator_average"} <= set(net._modules)
    assert {"optimizer", "optimizer_discriminator"} <= set(net._optimizers)
    assert net.module_[0].in_features == fitted.latent_dim
    assert net.module_[-1].out_features == 2
    # two columns: the discriminator judges the rows two at a time (packing)
    assert net.discriminator_[0].in_features == 4
    assert net.pack == 2
    assert net.discriminator_[-1].out_features == 1
    assert net.optimizer_.param_groups[0]["lr"] == fitted.lr_generator
    assert net.optimizer_.param_groups[0]["betas"] == (0.5, 0.9)
    # each optimizer holds the parameters of its own network only
    generator = {id(p) for p in net.module_.parameters()}
    discriminator = {id(p) for p in net.discriminator_.parameters()}
    assert {id(p) for g in net.optimizer_.param_groups for p in g["params"]} == generator
    assert {
        id(p) for g in net.optimizer_discriminator_.param_groups for p in g["params"]
    } == discriminator


def test_history_holds_both_losses_per_epoch(fitted):
    assert len(fitted.history_) == fitted.n_iter_ == 4
    for row in fitted.history_:
        assert np.isfinite(row["generator_loss"]) and np.isfinite(row["discriminator_loss"])
        assert len(row["batches"]) == 2
    assert fitted.loss_curve_ == fitted.discriminator_loss_curve_
    assert fitted.generator_loss_curve_ == list(fitted.history_[:, "generator_loss"])
    assert fitted.validation_loss_curve_ == []
    assert fitted.n_generator_updates_ == 8


def test_n_critic_sets_the_generator_updates(cubic):
    gan = GANSampler(**{**TINY, "n_critic": 3, "max_epochs": 6}).fit(cubic)
    assert gan.n_generator_updates_ == 12 // 3
    assert gan.net_.discriminator_steps_ == 12
    # epochs without a generator step have no generator loss
    assert np.isnan(gan.generator_loss_curve_[0])
    assert sum(np.isfinite(gan.generator_loss_curve_)) == 4


def test_learning_rates_are_held_then_annealed_to_zero():
    schedule = HoldThenAnneal(hold=0.7)
    assert schedule.factor(0.0) == schedule.factor(0.69) == 1.0
    assert schedule.factor(0.85) == pytest.approx(0.5)
    assert schedule.factor(1.0) == pytest.approx(0.0, abs=1e-12)


def test_snapshots_at_the_asked_epochs(cubic):
    gan = GANSampler(**{**TINY, "snapshot_epochs": [1, 3, 4]}).fit(cubic)
    assert sorted(gan.snapshots_) == [1, 3, 4]
    for rows in gan.snapshots_.values():
        assert rows.shape == (400, 2)
    assert not np.array_equal(gan.snapshots_[1], gan.snapshots_[4])
    # the snapshots do not disturb the training
    plain = GANSampler(**TINY).fit(cubic)
    np.testing.assert_array_equal(plain.sample(5, random_state=0),
                                  gan.sample(5, random_state=0))
    assert GANSampler(**TINY).fit(cubic).snapshots_ == {}
    # a warm start counts the epochs on and keeps the earlier snapshots
    gan.set_params(warm_start=True, snapshot_epochs=[6], max_epochs=2).fit(cubic)
    assert sorted(gan.snapshots_) == [1, 3, 4, 6]
    assert len(gan.history_) == 6 and gan.n_iter_ == 2  # n_iter_: the last call's epochs


def test_partial_fit_trains_one_epoch_at_a_time(cubic):
    gan = GANSampler(**TINY)
    gan.partial_fit(cubic[:200])
    assert gan.n_iter_ == 1 and gan.n_generator_updates_ == 1
    gan.partial_fit(cubic[200:])
    assert gan.n_iter_ == 1 and len(gan.history_) == 2 and gan.n_generator_updates_ == 2
    # transformed with the quantiles of the first chunk
    np.testing.assert_array_equal(gan.transformer_.quantiles_, np.sort(cubic[:200], axis=0))
    assert gan.net_.optimizer_.param_groups[0]["lr"] == gan.lr_generator


def test_sample_weight_weights_the_real_rows():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(-3.0, 0.3, (300, 1)), rng.normal(3.0, 0.3, (300, 1))]
    weight = np.r_[np.full(300, 0.01), np.ones(300)]
    params = dict(activation="gelu", lr_generator=1e-2, lr_discriminator=1e-2,
                  max_epochs=60, batch_size=100, random_state=0, **SMALL)
    S = GANSampler(**params).fit(X, sample_weight=weight).sample(1000, random_state=0)
    assert np.mean(S > 0) > 0.8


@pytest.mark.parametrize(
    "params, limit",
    [
        # the user guide's "fewer epochs" configuration, on half its updates
        (dict(activation="gelu", lr_generator=1e-2, lr_discriminator=1e-2,
              max_epochs=50, latent_dim=5, generator_layers=(64, 64),
              discriminator_layers=(64, 64)), 0.05),
        # the Wasserstein loss with several critic steps per generator step
        (dict(loss="wgan-gp", n_critic=5, lr_generator=3e-3, lr_discriminator=3e-3,
              batch_size=64, max_epochs=100, **SMALL), 0.2),
    ],
    ids=["bce", "wgan-gp"],
)
def test_learns_the_shape_of_the_cubic(params, limit):
    X = make_cubic(1000, random_state=0)
    gan = GANSampler(random_state=0, **params).fit(X)
    S = gan.sample(1000, random_state=0)
    # on the curve: the residual is far below the spread of y ...
    assert residual(S) < limit * X[:, 1].std()
    # ... and the points spread along it
    assert np.quantile(S[:, 0], 0.1) < -0.3 and np.quantile(S[:, 0], 0.9) > 0.3


# -- errors -------------------------------------------------------------------------

def test_a_sample_larger_than_the_memory_is_refused_up_front(fitted, monkeypatch):
    # sample(10**12) failed deep inside torch ("DefaultCPUAllocator: can't
    # allocate memory: you tried to allocate 64000000000000 bytes")
    from physml_sklearn.gan import _sampler

    monkeypatch.setattr(_sampler, "available_memory", lambda: 10**6)
    with pytest.raises(MemoryError, match=r"sample\(100,000\) needs about 0\.0\d+ GB, more "
                                          r"than the 0\.001 GB of memory available; draw "
                                          r"fewer rows"):
        fitted.sample(100_000)
    assert fitted.sample(100).shape == (100, 2)
    monkeypatch.setattr(_sampler, "available_memory", lambda: None)  # unknown: no check
    assert fitted.sample(100).shape == (100, 2)


@pytest.mark.parametrize("n_samples", [0, -1, 2.5, "3", True])
def test_sample_needs_a_positive_integer(fitted, n_samples):
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        fitted.sample(n_samples)


def test_sample_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GANSampler().sample(3)
    with pytest.raises(NotFittedError):
        GANSampler().score(np.zeros((3, 2)))


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_critic=0), "'n_critic' parameter of GANSampler must be an int in the range"),
        (dict(loss="wasserstein"), r"'loss' parameter of GANSampler must be a str among"),
        (dict(lr_generator=0.0), "'lr_generator' parameter"),
        (dict(latent_dim=0), "'latent_dim' parameter"),
    ],
)
def test_invalid_parameters(cubic, params, match):
    with pytest.raises(InvalidParameterError, match=match):
        GANSampler(**params).fit(cubic)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(early_stopping=True), "does not support early_stopping=True"),
        (dict(lr=1e-2), "Set lr_generator and lr_discriminator instead"),
        (dict(snapshot_epochs=[0, 5]), "snapshot_epochs` must be a list of positive"),
        (dict(generator_layers=(32, 0)), "`generator_layers` must hold positive integers"),
        (dict(discriminator_layers=(-1,)), "`discriminator_layers` must hold positive"),
    ],
)
def test_unsupported_settings_are_refused(cubic, params, match):
    with pytest.raises(ValueError, match=match):
        GANSampler(**{**TINY, **params}).fit(cubic)


def test_diverging_run_stops_with_advice(cubic):
    gan = GANSampler(loss="wgan-gp", lr_generator=1e6, lr_discriminator=1e6, **TINY)
    with pytest.raises(FloatingPointError,
                       match=r"Training diverged.*Lower the learning rates"):
        gan.fit(cubic)


def test_feature_count_is_checked(fitted):
    with pytest.raises(ValueError, match="X has 3 features, but GANSampler is expecting 2"):
        fitted.score(np.zeros((5, 3)))


# -- preprocessing: tails, point masses and integers ---------------------------------
def physics_like(n, seed=0):
    """A heavy tail, a point mass at 0 (40 %) tied to an integer column, a Gaussian."""
    rng = np.random.RandomState(seed)
    n_jets = rng.poisson(0.7, n)
    ht = np.where(n_jets > 0, n_jets * rng.exponential(40.0, n) + 30.0, 0.0)
    met = rng.standard_exponential(n) ** 2 * 30.0
    return pd.DataFrame({"met": met, "ht": ht, "n_jets": n_jets, "eta": rng.normal(0, 1, n)})


def test_quantile_normalizer_round_trip():
    X = physics_like(500).to_numpy()
    qn = QuantileNormalizer().fit(X)
    np.testing.assert_array_equal(qn.integer_columns_, [False, False, True, False])
    # the heavy tail, the point mass and the integers go through the quantile
    # transform; the Gaussian column is only standardised
    np.testing.assert_array_equal(qn.quantile_columns_, [True, True, True, False])
    Z = qn.transform(X, np.random.RandomState(0))
    np.testing.assert_allclose(Z[:, 3], (X[:, 3] - X[:, 3].mean()) / X[:, 3].std())
    # normal scores: no tail beyond the extreme quantiles, every column centred
    assert np.all(np.abs(Z[:, :3]) < 3.5) and np.all(np.abs(Z.mean(axis=0)) < 0.05)
    # the point mass is spread over its interval, not piled on one score
    zero = X[:, 1] == 0
    assert np.unique(Z[zero, 1]).size == zero.sum()
    back = qn.inverse_transform(Z)
    np.testing.assert_allclose(back, X, rtol=1e-9, atol=1e-9)
    assert np.all(back[zero, 1] == 0.0)
    # any normal score maps back into the training range, point masses exactly
    grid = qn.inverse_transform(np.linspace(-6, 6, 2001)[:, None].repeat(4, axis=1))
    assert np.all(grid[:, :3] >= X[:, :3].min(axis=0))
    assert np.all(grid[:, :3] <= X[:, :3].max(axis=0))
    np.testing.assert_array_equal(grid[:, 2], np.round(grid[:, 2]))
    assert np.mean(grid[:, 1] == 0) > 0.3


def test_point_masses_and_integers_are_generated_as_such():
    X = physics_like(1000)
    gan = GANSampler(**{**TINY, "max_epochs": 20, "batch_size": 100}).fit(X)
    S = gan.sample(4000, random_state=0)
    # n_jets holds integers with about the right frequencies
    np.testing.assert_array_equal(S["n_jets"], np.round(S["n_jets"]))
    assert set(S["n_jets"].unique()) <= set(X["n_jets"].unique())
    p = S["n_jets"].value_counts(normalize=True)
    q = X["n_jets"].value_counts(normalize=True)
    # the generated marginals are calibrated on the training rows': even a
    # short training gets the frequencies right to sampling precision
    assert 0.5 * p.sub(q, fill_value=0).abs().sum() < 0.03
    # ht is exactly 0 for the share of the rows that it is in the data (50 %)
    share = np.mean(S["ht"] == 0.0)
    assert abs(share - np.mean(X["ht"] == 0.0)) < 0.03
    # the continuous columns stay continuous
    assert S["met"].nunique() > 3900
    # without the calibration this short training is further off
    gan.transformer_.calibrate(None)
    raw = gan.sample(4000, random_state=0)
    assert abs(np.mean(raw["ht"] == 0.0) - np.mean(X["ht"] == 0.0)) > abs(
        share - np.mean(X["ht"] == 0.0)
    )


def test_calibration_keeps_the_order_within_each_column():
    """The calibration maps each column monotonically: ranks (the copula) are kept."""
    X = physics_like(800).to_numpy()
    qn = QuantileNormalizer().fit(X)
    rng = np.random.RandomState(1)
    Z = rng.normal(size=(3000, 4)) * [1.3, 0.7, 1.0, 1.0] + [0.4, -0.2, 0.0, 0.0]
    qn.calibrate(Z)
    assert qn.generated_quantiles_.shape == (3000, 3)
    back = qn.inverse_transform(Z)
    for j in range(3):
        order = np.argsort(Z[:, j], kind="stable")
        assert np.all(np.diff(back[order, j]) >= 0)
    # the calibrated marginals are the data's: a point mass keeps its share
    np.testing.assert_allclose(np.mean(back[:, 1] == 0), np.mean(X[:, 1] == 0), atol=0.01)
    # the standardised column is left alone
    np.testing.assert_allclose(back[:, 3], Z[:, 3] * qn.scale_[3] + qn.mean_[3])


# -- conditional generation ------------------------------------------------------------
@pytest.fixture(scope="module")
def shifted():
    """Rows whose mean follows the condition: X ~ N(3 y, 0.5) in two columns."""
    rng = np.random.RandomState(0)
    y = rng.uniform(-1, 1, 600)
    X = np.column_stack([3 * y + 0.5 * rng.normal(size=600), rng.normal(size=600)])
    return X, y


@pytest.fixture(scope="module")
def conditional(shifted):
    X, y = shifted
    return GANSampler(**{**TINY, "max_epochs": 40, "batch_size": 100}).fit(X, y)


def test_conditional_model_follows_the_condition(conditional, shifted):
    assert conditional.n_conditions_ == 1
    low = conditional.sample(500, random_state=0, y=-0.8)
    high = conditional.sample(500, random_state=0, y=0.8)
    assert low.shape == high.shape == (500, 2)
    assert high[:, 0].mean() - low[:, 0].mean() > 2.0
    # both networks take the condition as an input
    net = conditional.net_
    assert net.module_[0].in_features == conditional.latent_dim + 1
    assert net.discriminator_[0].in_features == 2 + 1


@pytest.mark.parametrize(
    "y", [0.5, [0.5], np.array([[0.5]]), np.full(7, 0.5), np.full((7, 1), 0.5)],
    ids=["scalar", "list", "1x1", "per-row", "per-row-2d"],
)
def test_one_condition_is_broadcast(conditional, y):
    S = conditional.sample(7, random_state=0, y=y)
    assert S.shape == (7, 2)
    np.testing.assert_array_equal(S, conditional.sample(7, random_state=0, y=0.5))


def test_conditions_per_row_and_same_draws(conditional):
    y = np.linspace(-1, 1, 20)
    S = conditional.sample(20, random_state=3, y=y)
    np.testing.assert_array_equal(S, conditional.sample(20, random_state=3, y=y))
    assert not np.array_equal(S, conditional.sample(20, random_state=4, y=y))
    # each row follows its own condition: the first column grows with y
    assert np.corrcoef(S[:, 0], y)[0, 1] > 0.5


def test_several_conditions_and_dataframes(shifted):
    X, y = shifted
    Y = pd.DataFrame({"energy": y, "eta": -y})
    Xf = pd.DataFrame(X, columns=["e_measured", "width"])
    gan = GANSampler(**TINY).fit(Xf, Y)
    assert gan.n_conditions_ == 2
    S = gan.sample(5, random_state=0, y=[0.2, -0.2])
    assert isinstance(S, pd.DataFrame) and list(S.columns) == ["e_measured", "width"]
    np.testing.assert_array_equal(S, gan.sample(5, random_state=0, y=Y.iloc[[0]] * 0 + [0.2, -0.2]))
    assert gan.sample(len(Y), random_state=0, y=Y).shape == (600, 2)
    assert np.isfinite(gan.score(Xf, Y))


def test_conditional_score_and_grid_search(conditional, shifted):
    X, y = shifted
    score = conditional.score(X, y)
    assert score <= 0 and conditional.score(X, y) == score
    # rows that do not follow their conditions score worse
    assert conditional.score(X, y[::-1]) < score - 0.05
    search = GridSearchCV(GANSampler(**TINY), {"latent_dim": [2, 5]}, cv=2).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.n_conditions_ == 1


def test_conditional_contract_errors(conditional, fitted, shifted):
    X, y = shifted
    with pytest.raises(ValueError, match="is conditional.*so `y` is required"):
        conditional.sample(5)
    with pytest.raises(ValueError, match="fitted without conditions, so `y` must be None"):
        fitted.sample(5, y=1.0)
    with pytest.raises(ValueError, match="is conditional.*`y` is required"):
        conditional.score(X)
    with pytest.raises(ValueError, match="fitted without conditions"):
        fitted.score(X, y)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda g, X, y: GANSampler(**TINY).fit(X, np.r_[np.nan, y[1:]]),
         r"`y` \(the conditions\) contains NaN"),
        (lambda g, X, y: GANSampler(**TINY).fit(X, y[:-1]),
         r"`y` \(the conditions\) has 599 rows but X has 600"),
        (lambda g, X, y: GANSampler(**TINY).fit(X, np.array(["a"] * 600)),
         r"`y` \(the conditions\) must be numeric"),
        (lambda g, X, y: g.sample(5, y=[[0.1, 0.2]]),
         r"`y` \(the conditions\) has 2 column\(s\) but the model was fitted with 1"),
        (lambda g, X, y: g.sample(5, y=np.zeros(3)), r"`y` has 3 rows but n_samples=5"),
        (lambda g, X, y: g.sample(5, y=np.nan), r"`y` \(the conditions\) contains NaN"),
        (lambda g, X, y: g.sample(5, y="high"), r"`y` \(the conditions\) must be numeric"),
        (lambda g, X, y: g.score(X, y[:10]), r"has 10 rows but X has 600"),
        (lambda g, X, y: g.partial_fit(X), r"`y` must be given to every call"),
    ],
    ids=["nan", "rows-fit", "strings", "columns-sample", "rows-sample", "nan-sample",
         "strings-sample", "rows-score", "partial-without-y"],
)
def test_bad_conditions_name_y(conditional, shifted, call, match):
    X, y = shifted
    before = conditional.sample(3, random_state=0, y=0.0)
    with pytest.raises(ValueError, match=match):
        call(conditional, X, y)
    # a failed call leaves the model as it was
    np.testing.assert_array_equal(before, conditional.sample(3, random_state=0, y=0.0))


def test_conditional_pickle_and_warm_start(conditional, shifted):
    X, y = shifted
    loaded = pickle.loads(pickle.dumps(conditional))
    np.testing.assert_array_equal(loaded.sample(10, random_state=0, y=0.3),
                                  conditional.sample(10, random_state=0, y=0.3))
    more = clone(conditional).set_params(warm_start=True, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="`y` must be given to every call"):
        more.fit(X)


def test_conditional_standardizer_removes_what_the_conditions_explain():
    rng = np.random.RandomState(0)
    C = rng.uniform(-1.7, 1.7, (2000, 1))
    # a mean and a spread that both depend on the condition
    Z = np.column_stack([np.exp(C[:, 0]) + (0.05 + 0.1 * (C[:, 0] + 2)) * rng.normal(size=2000),
                         rng.normal(size=2000)])
    cs = ConditionalStandardizer().fit(Z, C)
    R = cs.transform(Z, C)
    np.testing.assert_allclose(cs.inverse_transform(R, C), Z, atol=1e-10)
    # unit spread at every condition, no trend left
    for low in (-1.7, 0.0, 1.0):
        part = R[(C[:, 0] >= low) & (C[:, 0] < low + 0.7), 0]
        assert abs(part.std() - 1.0) < 0.15 and abs(part.mean()) < 0.15
    assert abs(np.corrcoef(R[:, 0], C[:, 0])[0, 1]) < 0.05


def test_auto_epochs_make_a_fixed_number_of_updates(cubic):
    from physml_sklearn.gan._sampler import AUTO_UPDATES, AUTO_UPDATES_FEW_COLUMNS

    assert AUTO_UPDATES_FEW_COLUMNS < AUTO_UPDATES
    gan = GANSampler(**TINY)
    assert GANSampler().max_epochs == "auto"
    gan.set_params(max_epochs="auto")
    # 400 rows at 200 per step: 2 steps per epoch; 3 columns or more
    assert gan._epochs(400, 3) == AUTO_UPDATES // 2
    assert gan._epochs(10_000, 11) == -(-AUTO_UPDATES // 50)
    assert gan.set_params(n_critic=5)._epochs(400, 5) == 5 * AUTO_UPDATES // 2
    # two columns (x and x^3; or one column and one condition): fewer updates
    assert gan.set_params(n_critic=1)._epochs(400, 2) == AUTO_UPDATES_FEW_COLUMNS // 2
    assert gan.set_params(max_epochs=7)._epochs(400, 2) == 7
    # fitted: the columns of the fit count
    fitted = GANSampler(**{**TINY, "max_epochs": 1}).fit(cubic)
    fitted.set_params(max_epochs="auto")
    assert fitted._epochs(400) == AUTO_UPDATES_FEW_COLUMNS // 2
    assert fitted.n_generator_updates_ == -(-len(cubic) // TINY["batch_size"])
    with pytest.raises(InvalidParameterError, match="'max_epochs' parameter"):
        GANSampler(max_epochs="many").fit(cubic)


def test_conditional_mean_and_spread_are_calibrated_after_training():
    # a barely trained generator: the calibration alone puts the generated
    # conditional mean and spread where the training rows have them
    rng = np.random.RandomState(0)
    y = rng.uniform(1.0, 3.0, 1000)
    X = np.column_stack([y + 0.1 * y * rng.standard_normal(1000)])
    gan = GANSampler(**{**TINY, "max_epochs": 1}).fit(X, y)
    assert gan.condition_standardizer_.calibration_ is not None
    raw = copy.deepcopy(gan)
    raw.condition_standardizer_.calibration_ = None

    def errors(model):
        out = []
        for energy in (1.5, 2.0, 2.5):
            S = model.sample(4000, random_state=0, y=energy)[:, 0]
            out.append((abs(S.mean() / energy - 1), abs(S.std() / (0.1 * energy) - 1)))
        return np.max(out, axis=0)

    mean_error, spread_error = errors(gan)
    assert mean_error < 0.01 and spread_error < 0.1
    # without it the one-epoch generator's mean is further off
    assert errors(raw)[0] > 2 * mean_error
