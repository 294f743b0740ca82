"""
=========================================
Dropout with and without overtraining
=========================================

Dropout switches off a random fraction of the hidden neurons at every training
step, so that no neuron can rely on one particular other neuron being there.
It is a cure for overtraining: a network that has memorised its training
events does better on them than on new ones.

This example asks: **does dropout make a difference even if there is no
overtraining?** We train the WZ vs ZZ classifier with ``dropout=0`` and
``dropout=0.5`` on a small training set, where a network overtrains easily,
and on a large one, where it has much less room to, repeat every fit with
several seeds, and compare the test ROC AUC with the seed-to-seed spread.
"""

# %%
# The data
# --------
# One pool of toy WZ and ZZ events from
# :func:`~physml_sklearn.datasets.make_diboson`. A fixed test set of 20,000
# events measures every network; the training sets are drawn from the rest,
# a new draw for every seed, so the spread over seeds contains both the
# choice of the training events and the network's random initialisation.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson

X, y = make_diboson(45_000, processes=("WZ", "ZZ"), random_state=0, return_X_y=True)
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=20_000, stratify=y, random_state=0
)
print(f"pool of training events: {len(y_pool)}, test events: {len(y_test)}")

# %%
# The networks
# ------------
# A narrower version of the lecture's network (four hidden layers, 64-64-32-16,
# to keep the example fast), with inputs standardised in a pipeline. No early
# stopping: every network trains for a fixed budget of about 1,600 optimizer
# steps, so that the one without dropout has the chance to overtrain. The
# small set gets smaller mini-batches, so that it is given as many steps as
# the large one.
SETTINGS = {  # training events: (batch_size, max_epochs)
    500: (32, 100),
    20_000: (256, 20),
}
DROPOUTS = (0.0, 0.5)
SEEDS = (0, 1, 2)

for n_train, (batch_size, max_epochs) in SETTINGS.items():
    steps = max_epochs * int(np.ceil(n_train / batch_size))
    print(f"{n_train:>6} events: batch_size={batch_size}, {max_epochs} epochs, "
          f"{steps} steps")


def make_model(dropout, batch_size, max_epochs, seed):
    return make_pipeline(
        StandardScaler(),
        DropoutMLPClassifier(
            hidden_layer_sizes=(64, 64, 32, 16),
            dropout=dropout,
            batch_size=batch_size,
            max_epochs=max_epochs,
            random_state=seed,
        ),
    )


# %%
# Training
# --------
# For every training size and seed, both dropout settings see the same
# training events, so their difference is a paired comparison.
rows = []
for n_train, (batch_size, max_epochs) in SETTINGS.items():
    for seed in SEEDS:
        X_train, _, y_train, _ = train_test_split(
            X_pool, y_pool, train_size=n_train, stratify=y_pool, random_state=seed
        )
        for dropout in DROPOUTS:
            model = make_model(dropout, batch_size, max_epochs, seed)
            model.fit(X_train, y_train)
            auc_train = roc_auc_score(y_train, model.predict_proba(X_train)[:, 1])
            auc_test = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
            rows.append(
                {
                    "n_train": n_train,
                    "dropout": dropout,
                    "seed": seed,
                    "auc_train": auc_train,
                    "auc_test": auc_test,
                    "gap": auc_train - auc_test,
                }
            )
results = pd.DataFrame(rows)

# %%
# Train and test ROC AUC
# ----------------------
# Mean ± standard deviation over the seeds. The ``gap`` column, train AUC
# minus test AUC, measures overtraining: a network that generalises perfectly
# scores the same on both sets.
summary = results.groupby(["n_train", "dropout"])[["auc_train", "auc_test", "gap"]].agg(
    ["mean", "std"]
)
print(summary.to_string(float_format=lambda v: f"{v:.4f}"))

# %%
# Look at the gap of the network without dropout first: it tells how much each
# training set overtrains. Then compare the test AUC of the two dropout
# settings, per training size, against the seed-to-seed spread.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=False)
for ax, n_train in zip(axes, SETTINGS):
    part = summary.loc[n_train]
    x = np.arange(len(DROPOUTS))
    markers = (("auc_train", "o", "train"), ("auc_test", "s", "test"))
    for column, marker, label in markers:
        ax.errorbar(
            x, part[(column, "mean")], yerr=part[(column, "std")], marker=marker,
            capsize=4, linestyle="none", label=label,
        )
    for seed in SEEDS:
        per_seed = results.query("n_train == @n_train and seed == @seed")
        ax.plot(x, per_seed["auc_test"], color="grey", alpha=0.4, linewidth=1)
    ax.set_xticks(x, [f"dropout={d}" for d in DROPOUTS])
    ax.set_xlim(-0.5, len(DROPOUTS) - 0.5)
    ax.set_title(f"{n_train:,} training events")
    ax.set_ylabel("ROC AUC")
    ax.legend()
fig.suptitle("Mean ± std over seeds; grey lines: test AUC of each seed")
fig.tight_layout()

# %%
# The answer, computed
# --------------------
# For each training size: the train-test gap with and without dropout, the
# paired difference of the test AUC (dropout 0.5 minus dropout 0) over the
# seeds, and whether its mean is larger than the seed-to-seed spread of the
# test AUC (the larger of the two standard deviations in the table above).
verdicts = {}
for n_train in SETTINGS:
    part = results[results["n_train"] == n_train]
    auc = part.pivot(index="seed", columns="dropout", values="auc_test")
    gap = part.groupby("dropout")["gap"].mean()
    diff = auc[0.5] - auc[0.0]
    spread = auc.std().max()
    verdicts[n_train] = abs(diff.mean()) > spread
    print(
        f"{n_train:>6} events: train-test gap {gap[0.0]:.4f} without dropout, "
        f"{gap[0.5]:.4f} with; dropout {'raises' if diff.mean() > 0 else 'lowers'} "
        f"the test AUC by {abs(diff.mean()):.4f} ± {diff.std():.4f}, "
        f"{'more' if verdicts[n_train] else 'less'} than the seed spread "
        f"({spread:.4f})"
    )

# %%
# The training size whose network without dropout has the smaller gap is the
# one closer to "no overtraining"; the line printed for it answers the
# question.
gaps = results.query("dropout == 0").groupby("n_train")["gap"].mean()
least = gaps.idxmin()
print(
    f"Least overtraining without dropout: {least:,} events (gap {gaps[least]:.4f}). "
    f"There the effect of dropout on the test AUC is "
    f"{'larger' if verdicts[least] else 'smaller'} than the seed-to-seed spread."
)

# %%
# How to read these lines: on the small set, the two gaps show what dropout
# does against overtraining, and the test AUC shows whether that turns into
# a better classifier. On the large set, the change of the test AUC is set
# against what changing the seed alone does; a change smaller than that could
# not be seen in a single training.
#
# Every network here had the same budget of optimizer steps. Dropout trains a
# thinned network at every step, so it can need more steps to reach its best;
# compare the train AUC of the two settings on the large set. In practice,
# early stopping (:ref:`sphx_glr_auto_examples_plot_overtraining.py`) and a
# tuned number of epochs (:ref:`sphx_glr_auto_examples_plot_grid_search.py`)
# give each setting the training it needs.
