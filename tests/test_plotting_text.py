"""Names from the user's files on figures: drawn as typed when they are not mathtext.

Matplotlib reads a label with two unescaped ``$`` as mathtext and raises when
the figure is drawn if it does not parse, so a column named ``a$\\frac{b$``
stopped a figure (and the whole ``train`` run, at its report) from being
saved.
"""

import io

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from physml_sklearn.plotting import (  # noqa: E402
    FeatureImportanceDisplay,
    ResolutionDisplay,
    ReweightingDisplay,
    ScoreDistributionDisplay,
)
from physml_sklearn.plotting._text import plain_label  # noqa: E402

BAD = r"a$\frac{b$"  # two dollar signs around mathtext that does not parse


def _draws(fig):
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def test_the_bad_name_does_stop_matplotlib():
    fig, ax = plt.subplots()
    ax.set_xlabel(BAD)
    with pytest.raises(ValueError):
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


@pytest.mark.parametrize("text, expected", [
    ("met", "met"),
    ("$p_T$ [GeV]", "$p_T$ [GeV]"),  # mathtext that parses is kept
    ("cost $ 5", "cost $ 5"),  # one dollar sign: not mathtext
    (BAD, r"a\$\frac{b\$"),
    (r"x \$ $\frac{$", r"x \$ \$\frac{\$"),
])
def test_plain_label(text, expected):
    assert plain_label(text) == expected


def test_plain_label_is_drawn_as_typed():
    fig, ax = plt.subplots()
    label = ax.set_xlabel(plain_label(BAD))
    _draws(fig)
    assert label._preprocess_math(label.get_text()) == (BAD, False)


def test_displays_draw_names_that_are_not_mathtext():
    rng = np.random.default_rng(0)
    ranking = pd.DataFrame({"feature": [BAD, "met"], "importance_mean": [0.2, 0.1],
                            "importance_std": [0.01, 0.02]})
    disp = FeatureImportanceDisplay.from_ranking(ranking)
    assert disp.features_ == [BAD, "met"]  # the names themselves are kept
    _draws(disp.figure_)

    original = pd.DataFrame({BAD: rng.normal(size=300)})
    target = pd.DataFrame({BAD: rng.normal(0.2, 1, size=300)})
    _draws(ReweightingDisplay.from_predictions(original, target, np.ones(300)).figure_)

    y = np.r_[np.zeros(100), np.ones(100)]
    score = rng.random(200)
    disp = ScoreDistributionDisplay.from_predictions(y, score, y, score,
                                                     class_names=[BAD, "b$$"])
    _draws(disp.figure_)

    e_true = rng.uniform(10, 100, 400)
    disp = ResolutionDisplay.from_predictions(e_true, e_true * rng.normal(1, 0.1, 400),
                                              bins=2)
    disp.target_name = BAD
    disp.plot()
    _draws(disp.figure_)
