"""GANSampler: behaviour beyond the common checks."""

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
from physml_sklearn.metrics import energy_distance

# a few epochs of the default networks on 400 rows: 2 steps per epoch
TINY = dict(max_epochs=4, batch_size=200, random_state=0)


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
    np.testing.assert_allclose(gan.mean_, X.mean(), rtol=1e-12)
    np.testing.assert_allclose(gan.scale_, X.std(ddof=0), rtol=1e-12)
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

    def standardised(rows):
        return (rows - fitted.mean_) / fitted.scale_

    # minus the energy distance to as many generated rows, up to the
    # fluctuation of the generated draw
    for seed in (1, 2):
        generated = fitted.sample(len(fresh), random_state=seed)
        distance = energy_distance(standardised(fresh), standardised(generated))
        assert score == pytest.approx(-distance, abs=0.02)
    assert fitted.score(fresh) == score
    # rows far from the learned distribution score worse
    assert fitted.score(fresh + [2.0, 0.0]) < score - 0.1


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
    assert net.discriminator_[0].in_features == 2
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
    assert gan.n_iter_ == 6


def test_partial_fit_trains_one_epoch_at_a_time(cubic):
    gan = GANSampler(batch_size=200, random_state=0)
    gan.partial_fit(cubic[:200])
    assert gan.n_iter_ == 1 and gan.n_generator_updates_ == 1
    gan.partial_fit(cubic[200:])
    assert gan.n_iter_ == 2 and gan.n_generator_updates_ == 2
    # standardised with the statistics of the first chunk
    np.testing.assert_allclose(gan.mean_, cubic[:200].mean(axis=0))
    assert gan.net_.optimizer_.param_groups[0]["lr"] == gan.lr_generator


def test_sample_weight_weights_the_real_rows():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(-3.0, 0.3, (300, 1)), rng.normal(3.0, 0.3, (300, 1))]
    weight = np.r_[np.full(300, 0.01), np.ones(300)]
    params = dict(activation="gelu", lr_generator=1e-2, lr_discriminator=1e-2,
                  max_epochs=60, batch_size=100, random_state=0)
    S = GANSampler(**params).fit(X, sample_weight=weight).sample(1000, random_state=0)
    assert np.mean(S > 0) > 0.8


@pytest.mark.parametrize(
    "params, limit",
    [
        # the recommended configuration for smooth shapes
        (dict(activation="gelu", lr_generator=1e-2, lr_discriminator=1e-2,
              max_epochs=50), 0.05),
        # the Wasserstein loss with several critic steps per generator step
        (dict(loss="wgan-gp", n_critic=5, lr_generator=3e-3, lr_discriminator=3e-3,
              batch_size=64, max_epochs=100), 0.2),
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
        GANSampler(**TINY, **params).fit(cubic)


def test_diverging_run_stops_with_advice(cubic):
    gan = GANSampler(loss="wgan-gp", lr_generator=1e6, lr_discriminator=1e6, **TINY)
    with pytest.raises(FloatingPointError,
                       match=r"Training diverged.*Lower the learning rates"):
        gan.fit(cubic)


def test_feature_count_is_checked(fitted):
    with pytest.raises(ValueError, match="X has 3 features, but GANSampler is expecting 2"):
        fitted.score(np.zeros((5, 3)))
