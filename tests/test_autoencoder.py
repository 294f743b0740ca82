"""AutoEncoder and AutoEncoderOutlierDetector: behaviour beyond the common checks."""

import functools
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import LRScheduler
from torch import nn

from physml_sklearn import AutoEncoder, AutoEncoderOutlierDetector
from physml_sklearn.autoencoder._modules import OneCycleSchedule
from physml_sklearn.datasets import load_blurred_digits

SMALL = dict(encoder_layers=(32, 16), max_epochs=10, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.data[:400] / 16.0, data.target[:400]


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return AutoEncoder(latent_dim=3, **SMALL).fit(X)


class ConvEncoder(nn.Module):
    """A small convolutional encoder for flattened 8x8 images."""

    def __init__(self, latent_dim=4):
        super().__init__()
        self.net = nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 2 * 2, latent_dim),
        )

    def forward(self, X):
        return self.net(X)


class ImageDecoder(nn.Module):
    """Decodes to (n, 1, 8, 8) images; the autoencoder flattens them."""

    def __init__(self, latent_dim=4):
        super().__init__()
        self.linear = nn.Linear(latent_dim, 64)

    def forward(self, Z):
        return self.linear(Z).reshape(-1, 1, 8, 8)


# -- the transformer --------------------------------------------------------
def test_transform_shape_and_feature_names(digits, fitted):
    X, _ = digits
    Z = fitted.transform(X)
    assert Z.shape == (X.shape[0], 3)
    assert Z.dtype == np.float64
    assert fitted.get_feature_names_out().tolist() == [
        "autoencoder0",
        "autoencoder1",
        "autoencoder2",
    ]
    assert fitted.predict(X).shape == X.shape
    assert fitted.n_outputs_ == 64


def test_set_output_pandas(digits):
    X, _ = digits
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(64)])
    ae = AutoEncoder(latent_dim=2, **SMALL).set_output(transform="pandas")
    Z = ae.fit_transform(frame)
    assert isinstance(Z, pd.DataFrame)
    assert Z.columns.tolist() == ["autoencoder0", "autoencoder1"]
    assert Z.index.equals(frame.index)
    assert ae.feature_names_in_.tolist() == frame.columns.tolist()


def test_inverse_transform_of_transform_is_predict(digits, fitted):
    X, _ = digits
    np.testing.assert_allclose(
        fitted.inverse_transform(fitted.transform(X)), fitted.predict(X), rtol=1e-6, atol=1e-7
    )


def test_score_samples_is_minus_row_mse(digits, fitted):
    X, _ = digits
    errors = np.mean((fitted.predict(X) - X) ** 2, axis=1)
    np.testing.assert_allclose(fitted.score_samples(X), -errors, rtol=1e-5)
    assert fitted.score(X) == pytest.approx(-errors.mean(), rel=1e-5)


def test_target_y_changes_what_is_learned():
    data = load_blurred_digits(sigma=1.0)
    X, Y = data.data[:500], data.target[:500]
    kw = dict(latent_dim=16, encoder_layers=(64,), max_epochs=25, random_state=0)
    deblur = AutoEncoder(**kw).fit(X, Y)
    plain = AutoEncoder(**kw).fit(X)
    err_deblur = np.mean((deblur.predict(X) - Y) ** 2)
    err_plain = np.mean((plain.predict(X) - Y) ** 2)
    assert err_deblur < 0.6 * err_plain
    # score compares with y when it is given, with X otherwise
    assert deblur.score(X, Y) == pytest.approx(-err_deblur, rel=1e-4)
    assert plain.score(X) > plain.score(X, Y)


def test_target_of_another_width(digits):
    X, _ = digits
    Y = X[:, :10]
    ae = AutoEncoder(latent_dim=2, **SMALL).fit(X, Y)
    assert ae.n_outputs_ == 10
    assert ae.predict(X).shape == (X.shape[0], 10)
    assert np.isfinite(ae.score(X, Y))
    with pytest.raises(ValueError, match="trained on a target y of another width"):
        ae.score_samples(X)


# -- architecture ---------------------------------------------------------------
@pytest.mark.parametrize("as_instance", [False, True])
def test_custom_convolutional_encoder(digits, as_instance):
    X, _ = digits
    encoder = ConvEncoder(4) if as_instance else functools.partial(ConvEncoder, 4)
    ae = AutoEncoder(latent_dim=4, encoder=encoder, decoder_layers=(32,), **SMALL).fit(X)
    assert isinstance(ae.net_.module_.encoder[0], ConvEncoder)
    assert ae.transform(X).shape == (X.shape[0], 4)
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]
    if as_instance:
        # the caller's module is copied, never trained in place
        assert ae.net_.module_.encoder[0] is not encoder
        before = encoder.net[1].weight.clone()
        ae.fit(X)
        assert torch.equal(encoder.net[1].weight, before)


def test_custom_encoder_class_seeded_by_random_state(digits):
    X, _ = digits
    a = AutoEncoder(latent_dim=4, encoder=ConvEncoder, max_epochs=2, random_state=3).fit(X)
    b = AutoEncoder(latent_dim=4, encoder=ConvEncoder, max_epochs=2, random_state=3).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_custom_decoder_output_is_flattened(digits):
    X, _ = digits
    ae = AutoEncoder(latent_dim=4, decoder=ImageDecoder, output_activation="sigmoid", **SMALL)
    out = ae.fit(X).predict(X)
    assert out.shape == X.shape
    assert out.min() >= 0 and out.max() <= 1


def test_decoder_shaped_differently_from_encoder(digits):
    X, _ = digits
    ae = AutoEncoder(
        encoder_layers=(48, 24, 12), latent_dim=2, decoder_layers=(20,),
        max_epochs=2, random_state=0,
    ).fit(X)
    widths = lambda seq: [m.out_features for m in seq if isinstance(m, nn.Linear)]  # noqa: E731
    assert widths(ae.net_.module_.encoder) == [48, 24, 12, 2]
    assert widths(ae.net_.module_.decoder) == [20, 64]
    mirrored = AutoEncoder(encoder_layers=(48, 24), max_epochs=1, random_state=0).fit(X)
    assert widths(mirrored.net_.module_.decoder) == [24, 48, 64]
    linear = AutoEncoder(encoder_layers=(), latent_dim=5, max_epochs=1, random_state=0).fit(X)
    assert widths(linear.net_.module_.encoder) == [5]


def test_dropout_per_hidden_layer(digits):
    X, _ = digits
    ae = AutoEncoder(encoder_layers=(16, 8), dropout=(0.1, 0.2, 0.3, 0.4), max_epochs=1)
    ae.fit(X)
    rates = [m.p for m in ae.net_.module_.modules() if isinstance(m, nn.Dropout)]
    assert rates == [0.1, 0.2, 0.3, 0.4]
    with pytest.raises(ValueError, match="has 3 values but the network has 4 hidden"):
        AutoEncoder(encoder_layers=(16, 8), dropout=(0.1, 0.2, 0.3)).fit(X)


@pytest.mark.parametrize("loss", ["mse", "l1", "huber", "bce"])
def test_each_loss(digits, loss):
    X, _ = digits
    ae = AutoEncoder(
        latent_dim=4, loss=loss, output_activation="sigmoid" if loss == "bce" else None,
        **SMALL,
    ).fit(X)
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]
    out = ae.predict(X)
    diff = out - X
    expected = {
        "mse": lambda: diff**2,
        "l1": lambda: np.abs(diff),
        "huber": lambda: np.where(np.abs(diff) < 1, 0.5 * diff**2, np.abs(diff) - 0.5),
        "bce": lambda: -(X * np.log(out) + (1 - X) * np.log(1 - out)),
    }[loss]().mean(axis=1)
    np.testing.assert_allclose(-ae.score_samples(X), expected, rtol=1e-4, atol=1e-7)


# -- training ---------------------------------------------------------------------
def test_one_cycle_schedule_shape():
    schedule = OneCycleSchedule()
    lrs = [schedule.lr_at(1.0, t) for t in np.linspace(0, 1, 101)]
    assert lrs[0] == pytest.approx(1 / 25)
    assert max(lrs) == pytest.approx(1.0)
    assert np.argmax(lrs) == 30
    assert lrs[-1] == pytest.approx(1 / 25e4)


def test_schedule_restores_lr_and_yields_to_user_scheduler(digits):
    X, _ = digits
    ae = AutoEncoder(latent_dim=2, **SMALL).fit(X)
    assert "lr_schedule" in dict(ae.net_.callbacks_)
    assert ae.net_.optimizer_.param_groups[0]["lr"] == ae.lr
    user = LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    ae = AutoEncoder(latent_dim=2, callbacks=[user], **SMALL).fit(X)
    assert "lr_schedule" not in dict(ae.net_.callbacks_)


def test_partial_fit_and_warm_start(digits):
    X, _ = digits
    ae = AutoEncoder(latent_dim=2, **SMALL)
    for chunk in np.array_split(X, 4):
        ae.partial_fit(chunk)
    assert ae.n_iter_ == 1 and len(ae.loss_curve_) == 4
    ae.set_params(warm_start=True, max_epochs=3).fit(X)
    assert ae.n_iter_ == 3 and len(ae.loss_curve_) == 7


def test_reproducible_and_pickles(digits):
    X, _ = digits
    a = AutoEncoder(latent_dim=2, **SMALL).fit(X)
    b = clone(a).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a.predict(X), c.predict(X))


def test_sample_weight_changes_the_fit(digits):
    X, y = digits
    weight = np.where(y == 0, 20.0, 1.0)
    plain = AutoEncoder(latent_dim=2, **SMALL).fit(X)
    weighted = AutoEncoder(latent_dim=2, **SMALL).fit(X, sample_weight=weight)
    zeros = X[y == 0]
    assert weighted.score(zeros) > plain.score(zeros)


# -- in scikit-learn's tools ----------------------------------------------------
def test_grid_search_over_latent_dim_without_scoring(digits):
    X, _ = digits
    search = GridSearchCV(AutoEncoder(**SMALL), {"latent_dim": [1, 8]}, cv=2).fit(X)
    assert search.best_params_ == {"latent_dim": 8}
    assert search.best_score_ == pytest.approx(
        max(search.cv_results_["mean_test_score"])
    )


def test_pipeline_before_a_classifier(digits):
    X, y = digits
    pipe = make_pipeline(AutoEncoder(latent_dim=8, **SMALL), LogisticRegression(max_iter=500))
    pipe.fit(X, y)  # the labels reach the autoencoder, which ignores 1-D y
    assert pipe[0].n_outputs_ == 64
    assert pipe.score(X, y) > 0.7
    assert pipe[:-1].get_feature_names_out().tolist()[:2] == ["autoencoder0", "autoencoder1"]


# -- the outlier detector ---------------------------------------------------------
def test_contamination_flags_that_fraction(digits):
    X, _ = digits
    det = AutoEncoderOutlierDetector(latent_dim=2, contamination=0.1, **SMALL)
    labels = det.fit_predict(X)
    assert set(np.unique(labels)) == {-1, 1}
    assert np.mean(labels == -1) == pytest.approx(0.1, abs=0.01)
    np.testing.assert_allclose(
        det.decision_function(X), det.score_samples(X) - det.offset_
    )
    np.testing.assert_array_equal(det.predict(X), np.where(det.decision_function(X) < 0, -1, 1))


def test_auto_contamination_is_tukeys_fence(digits):
    X, _ = digits
    det = AutoEncoderOutlierDetector(latent_dim=2, **SMALL).fit(X)
    errors = -det.score_samples(X)
    q1, q3 = np.percentile(errors, [25, 75])
    assert det.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)))
    assert 0 < np.mean(det.predict(X) == -1) < 0.15


def test_detector_finds_an_unseen_digit(digits):
    X, y = digits
    det = AutoEncoderOutlierDetector(latent_dim=4, **{**SMALL, "max_epochs": 30})
    det.fit(X[y != 0])
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y == 0, -det.score_samples(X)) > 0.8
    assert det.transform(X).shape == (X.shape[0], 4)
    assert det.inverse_transform(det.transform(X)).shape == X.shape


def test_detector_ignores_y(digits):
    X, y = digits
    a = AutoEncoderOutlierDetector(**SMALL).fit(X, y)
    b = AutoEncoderOutlierDetector(**SMALL).fit(X)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))


# -- bad input ----------------------------------------------------------------------
def test_y_with_other_number_of_rows(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="`y` has 399 rows but X has 400"):
        AutoEncoder(**SMALL).fit(X, X[:-1])


def test_y_with_other_number_of_columns_than_the_output_layer(digits):
    X, _ = digits
    ae = AutoEncoder(warm_start=True, **SMALL).fit(X, X)
    with pytest.raises(ValueError, match="outputs 64 values per row but the target"):
        ae.fit(X, X[:, :10])
    with pytest.raises(ValueError, match="must output one value per target column"):
        AutoEncoder(latent_dim=4, decoder=ImageDecoder).fit(X, X[:, :10])
    with pytest.raises(ValueError, match="y has 10 columns"):
        AutoEncoder(**SMALL).fit(X).score(X, X[:, :10])


@pytest.mark.parametrize("latent_dim", [0, -2])
def test_latent_dim_below_one(digits, latent_dim):
    X, _ = digits
    with pytest.raises(InvalidParameterError, match="'latent_dim' parameter"):
        AutoEncoder(latent_dim=latent_dim).fit(X)


def test_bce_with_targets_outside_unit_interval(digits):
    X, _ = digits
    bce = AutoEncoder(loss="bce", output_activation="sigmoid", **SMALL)
    with pytest.raises(ValueError, match=r"needs targets in \[0, 1\].*X ranges from 0 to 16"):
        bce.fit(X * 16)
    with pytest.raises(ValueError, match=r"y ranges from -1.*MinMaxScaler"):
        bce.fit(X, X - 1)
    with pytest.raises(ValueError, match="set output_activation='sigmoid'"):
        AutoEncoder(loss="bce").fit(X)


@pytest.mark.parametrize("contamination", [0.0, 0.7, -0.1, "high"])
def test_contamination_outside_range(digits, contamination):
    X, _ = digits
    with pytest.raises(InvalidParameterError, match=r"'contamination' parameter.*\(0.0, 0.5\]"):
        AutoEncoderOutlierDetector(contamination=contamination).fit(X)


def test_encoder_that_does_not_fit(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="set latent_dim to the encoder's output width"):
        AutoEncoder(latent_dim=3, encoder=ConvEncoder(4)).fit(X)
    with pytest.raises(ValueError, match=r"failed on a batch of shape \(2, 10\)"):
        AutoEncoder(latent_dim=4, encoder=ConvEncoder).fit(X[:, :10])
    with pytest.raises(ValueError, match="returned int, not a torch.nn.Module"):
        AutoEncoder(encoder=lambda: 3).fit(X)


def test_inverse_transform_checks_the_latent_width(fitted):
    with pytest.raises(ValueError, match="latent_dim=3; pass codes from transform"):
        fitted.inverse_transform(np.zeros((2, 5)))
