"""ReconstructionDisplay."""

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from physml_sklearn import AutoEncoder, AutoEncoderOutlierDetector
from physml_sklearn.datasets import load_blurred_digits
from physml_sklearn.plotting import ReconstructionDisplay

FAST = dict(latent_dim=8, encoder_layers=(32,), max_epochs=3, random_state=0)


@pytest.fixture(scope="module")
def blurred():
    data = load_blurred_digits(sigma=1.0)
    return data.data[:200], data.target[:200]


def test_from_estimator_with_target(blurred):
    import matplotlib.pyplot as plt

    X, Y = blurred
    ae = AutoEncoder(**FAST).fit(X, Y)
    disp = ReconstructionDisplay.from_estimator(ae, X, Y, n_images=5)
    assert isinstance(disp.ax_, plt.Axes)
    assert disp.figure_ is disp.ax_.figure
    # three rows of 8x8 images and five columns, one pixel between them
    assert disp.im_.get_array().shape == (3 * 8 + 2, 5 * 8 + 4)
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels[:2] == ["input", "target"] and labels[2].startswith("reconstruction")
    np.testing.assert_allclose(disp.inputs, X[:5])
    np.testing.assert_allclose(disp.targets, Y[:5])
    np.testing.assert_allclose(disp.reconstructions, ae.predict(X[:5]), rtol=1e-6)
    assert disp.mse_ == pytest.approx(np.mean((ae.predict(X[:5]) - Y[:5]) ** 2), rel=1e-5)
    # the grey scale is the range of the targets
    assert disp.im_.norm.vmin == pytest.approx(Y[:5].min())
    assert disp.im_.norm.vmax == pytest.approx(Y[:5].max())
    # the pixels drawn are the data: row r, column c holds image c of block r
    grid = np.ma.filled(disp.im_.get_array(), np.nan)
    for r, block in enumerate([X[:5], Y[:5], ae.predict(X[:5])]):
        for c in range(5):
            drawn = grid[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8]
            np.testing.assert_allclose(drawn, block[c].reshape(8, 8), rtol=1e-6)
    # and the one-pixel gaps are blank
    assert np.isnan(grid[8, :]).all() and np.isnan(grid[:, 8]).all()


def test_without_target_two_rows(blurred):
    _, Y = blurred
    det = AutoEncoderOutlierDetector(**FAST).fit(Y)
    disp = ReconstructionDisplay.from_estimator(det, Y)
    assert disp.targets is None
    grid = np.ma.filled(disp.im_.get_array(), np.nan)
    assert grid.shape == (2 * 8 + 1, 8 * 8 + 7)
    np.testing.assert_array_equal(grid[:8, 9:17], Y[1].reshape(8, 8))
    reconstruction = det.inverse_transform(det.transform(Y[2:3]))[0]
    np.testing.assert_allclose(grid[9:, 18:26], reconstruction.reshape(8, 8), rtol=1e-6)
    assert disp.ax_.get_yticklabels()[0].get_text() == "input"


def test_pipeline_reconstruction_in_original_units(blurred):
    _, Y = blurred
    frame = pd.DataFrame(Y * 16)
    pipe = make_pipeline(MinMaxScaler(), AutoEncoder(**FAST)).fit(frame)
    disp = ReconstructionDisplay.from_estimator(pipe, frame, n_images=3)
    assert disp.inputs.max() > 10
    assert disp.reconstructions.shape == (3, 64)


def test_from_predictions_and_existing_axes(blurred):
    import matplotlib.pyplot as plt

    X, Y = blurred
    pca = PCA(5).fit(Y)
    recon = pca.inverse_transform(pca.transform(Y))
    fig, (ax1, ax2) = plt.subplots(1, 2)
    disp = ReconstructionDisplay.from_predictions(Y, recon, ax=ax2, n_images=4, cmap="viridis")
    assert disp.ax_ is ax2 and disp.figure_ is fig
    assert disp.im_.get_cmap().name.startswith("viridis")
    # plot can redraw the same data elsewhere
    disp.plot(ax=ax1)
    assert disp.ax_ is ax1


def test_other_image_shapes():
    rng = np.random.RandomState(0)
    X = rng.rand(10, 12)
    disp = ReconstructionDisplay.from_predictions(X, X[::-1], image_shape=(3, 4), n_images=20)
    # n_images larger than the data shows every row
    grid = np.ma.filled(disp.im_.get_array(), np.nan)
    assert grid.shape == (2 * 3 + 1, 10 * 4 + 9)
    # images of 3 rows by 4 columns, filled row by row (C order)
    np.testing.assert_array_equal(grid[:3, :4], X[0].reshape(3, 4))
    np.testing.assert_array_equal(grid[4:7, 5:9], X[8].reshape(3, 4))


def test_bad_input(blurred):
    X, Y = blurred
    with pytest.raises(ValueError, match=r"\(4, 4\) holds 16 pixels but the rows have 64"):
        ReconstructionDisplay.from_predictions(X, Y, image_shape=(4, 4))
    with pytest.raises(ValueError, match="image_shape must be a pair"):
        ReconstructionDisplay.from_predictions(X, Y, image_shape=8)
    with pytest.raises(ValueError, match="n_images must be a positive integer"):
        ReconstructionDisplay.from_predictions(X, Y, n_images=0)
    with pytest.raises(ValueError, match=r"reconstructions has shape \(8, 10\)"):
        ReconstructionDisplay.from_predictions(X, Y[:, :10])
