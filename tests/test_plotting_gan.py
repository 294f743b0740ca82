"""GANSamplesDisplay."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from physml_sklearn import GANSampler
from physml_sklearn.datasets import make_cubic, make_ellipse
from physml_sklearn.plotting import GANSamplesDisplay

FAST = dict(max_epochs=6, batch_size=200, random_state=0)


@pytest.fixture(scope="module")
def gan():
    return GANSampler(snapshot_epochs=[1, 2, 4, 6], **FAST).fit(make_cubic(400, random_state=0))


def test_one_panel_per_snapshot(gan):
    import matplotlib.pyplot as plt

    X_real = make_cubic(300, random_state=1)
    disp = GANSamplesDisplay.from_estimator(gan, X_real)
    assert disp.ax_.shape == (4,)
    assert all(isinstance(ax, plt.Axes) for ax in disp.ax_)
    assert disp.figure_ is disp.ax_[0].figure
    assert [ax.get_title() for ax in disp.ax_] == [
        "(a) epoch 1", "(b) epoch 2", "(c) epoch 4", "(d) epoch 6"
    ]
    for i, epoch in enumerate([1, 2, 4, 6]):
        np.testing.assert_allclose(disp.generated_scatters_[i].get_offsets(),
                                   gan.snapshots_[epoch])
        np.testing.assert_allclose(disp.real_scatters_[i].get_offsets(), X_real)
    # all panels share the limits, set by the real rows with a margin
    assert len({ax.get_xlim() for ax in disp.ax_}) == 1
    low, high = X_real[:, 0].min(), X_real[:, 0].max()
    assert disp.ax_[0].get_xlim() == pytest.approx(
        (low - 0.3 * (high - low), high + 0.3 * (high - low))
    )
    # outside_: the generated rows beyond the limits in either coordinate
    (xlow, xhigh), (ylow, yhigh) = disp.ax_[0].get_xlim(), disp.ax_[0].get_ylim()
    for i, epoch in enumerate([1, 2, 4, 6]):
        rows = gan.snapshots_[epoch]
        beyond = ((rows[:, 0] < xlow) | (rows[:, 0] > xhigh)
                  | (rows[:, 1] < ylow) | (rows[:, 1] > yhigh))
        assert disp.outside_[i] == pytest.approx(beyond.mean())
    assert disp.ax_[0].get_legend() is not None
    # an array of two columns: the axes are x and y
    assert disp.ax_[0].get_xlabel() == "x" and disp.ax_[0].get_ylabel() == "y"


def test_outside_note_is_explained_and_off_the_data():
    import matplotlib.pyplot as plt

    real = make_cubic(200, random_state=0)
    far = real.copy()
    far[:50, 1] += 10.0  # a quarter of the rows far above the curve
    disp = GANSamplesDisplay(real=real, generated=[real, far]).plot()
    assert disp.outside_.tolist() == [0.0, 0.25]
    assert disp.outside_texts_[0] is None
    note = disp.outside_texts_[1]
    assert note.get_text() == "25.0 % of generated rows beyond the axes"
    disp.figure_.canvas.draw()
    renderer = disp.figure_.canvas.get_renderer()
    note_box = note.get_window_extent(renderer)
    axes_box = disp.ax_[1].get_window_extent(renderer)
    label_box = disp.ax_[1].xaxis.label.get_window_extent(renderer)
    # below the panel and its axis label, not on the data
    assert note_box.y1 <= label_box.y0 <= axes_box.y0
    plt.close(disp.figure_)


@pytest.mark.parametrize("dpi", [80, 110, 150])  # the demo saves at 110
def test_neighbouring_panels_tick_labels_do_not_collide(gan, dpi):
    disp = GANSamplesDisplay.from_estimator(gan, make_cubic(300, random_state=1))
    disp.figure_.set_dpi(dpi)
    disp.figure_.canvas.draw()
    renderer = disp.figure_.canvas.get_renderer()

    def tick_boxes(ax):
        low, high = ax.get_xlim()
        ticks = zip(ax.xaxis.get_major_ticks(), ax.xaxis.get_majorticklocs())
        return [tick.label1.get_window_extent(renderer) for tick, loc in ticks
                if low <= loc <= high and tick.label1.get_visible()]

    for left, right in zip(disp.ax_[:-1], disp.ax_[1:]):
        last = max(box.x1 for box in tick_boxes(left))
        first = min(box.x0 for box in tick_boxes(right))
        assert last < first


def test_chosen_epochs_and_missing_ones(gan):
    disp = GANSamplesDisplay.from_estimator(gan, make_cubic(100, random_state=1), epochs=[6, 1])
    assert [ax.get_title() for ax in disp.ax_] == ["(a) epoch 6", "(b) epoch 1"]
    missing = r"No snapshot for epochs \[3\].*snapshots at \[1, 2, 4, 6\]"
    with pytest.raises(ValueError, match=missing):
        GANSamplesDisplay.from_estimator(gan, make_cubic(100, random_state=1), epochs=[3])


def test_without_snapshots_shows_the_final_model():
    X = make_cubic(400, random_state=0)
    gan = GANSampler(**FAST).fit(X)
    disp = GANSamplesDisplay.from_estimator(gan, X)
    assert disp.ax_.shape == (1,)
    assert disp.ax_[0].get_title() == "(a) epoch 6"
    np.testing.assert_allclose(disp.generated_scatters_[0].get_offsets(),
                               gan.sample(2000, random_state=0))


def test_axes_given_one_per_panel_or_one_to_divide(gan):
    import matplotlib.pyplot as plt

    X_real = make_cubic(100, random_state=1)
    fig, axes = plt.subplots(2, 2)
    disp = GANSamplesDisplay.from_estimator(gan, X_real, ax=axes)
    assert list(disp.ax_) == list(axes.ravel())
    assert disp.figure_ is fig

    fig, ax = plt.subplots()
    disp = GANSamplesDisplay.from_estimator(gan, X_real, ax=ax)
    assert len(disp.ax_) == 4 and not ax.axison
    assert all(panel.figure is fig for panel in disp.ax_)

    fig, ax = plt.subplots()
    disp = GANSamplesDisplay.from_estimator(gan, X_real, epochs=[6], ax=ax)
    assert disp.ax_[0] is ax

    with pytest.raises(ValueError, match="4 panels .* but 2 axes were passed"):
        GANSamplesDisplay.from_estimator(gan, X_real, ax=plt.subplots(1, 2)[1])


def test_columns_by_name_from_a_dataframe():
    X = pd.DataFrame(make_ellipse(300, random_state=0), columns=["px", "py"])
    X["pz"] = np.linspace(0.0, 1.0, 300)
    gan = GANSampler(snapshot_epochs=[2], **FAST).fit(X)
    disp = GANSamplesDisplay.from_estimator(gan, X, features=("pz", "px"))
    assert disp.ax_[0].get_xlabel() == "pz" and disp.ax_[0].get_ylabel() == "px"
    np.testing.assert_allclose(disp.real_scatters_[0].get_offsets(), X[["pz", "px"]])
    np.testing.assert_allclose(disp.generated_scatters_[0].get_offsets(),
                               gan.snapshots_[2][:, [2, 0]])
    with pytest.raises(ValueError, match="column 'pt'"):
        GANSamplesDisplay.from_estimator(gan, X, features=("pt", "px"))
    with pytest.raises(ValueError, match="column indices in \\[0, 2\\]"):
        GANSamplesDisplay.from_estimator(gan, X, features=(0, 3))


def test_errors(gan):
    with pytest.raises(NotFittedError):
        GANSamplesDisplay.from_estimator(GANSampler(), make_cubic(10))
    with pytest.raises(ValueError, match="X_real has 3 features but the GAN was fitted on 2"):
        GANSamplesDisplay.from_estimator(gan, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="features must be a pair"):
        GANSamplesDisplay.from_estimator(gan, make_cubic(10), features=(0,))


def test_display_from_arrays():
    real = make_cubic(100, random_state=0)
    disp = GANSamplesDisplay(real=real, generated=[real + 0.01, real - 0.01],
                             feature_names=("x", "x³")).plot()
    assert [ax.get_title() for ax in disp.ax_] == ["(a) generated", "(b) generated"]
    assert disp.ax_[0].get_ylabel() == "x³"
    with pytest.raises(ValueError, match="epochs has 1 entries but generated has 2"):
        GANSamplesDisplay(real=real, generated=[real, real], epochs=[1]).plot()
