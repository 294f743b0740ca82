"""
==================================
Spotting and curing overtraining
==================================

A network with many more weights than training events can learn the events
themselves instead of the physics behind them: it *overtrains*. It then
separates its training events better than any new ones, and its output on
the training sample no longer looks like its output on an independent sample.

This example overtrains the WZ vs ZZ classifier on purpose, a
:class:`~physml_sklearn.DropoutMLPClassifier` without dropout trained for
many epochs on a few hundred events, and diagnoses it the way TMVA does: the
training and validation loss per epoch
(:class:`~physml_sklearn.plotting.LossCurveDisplay`), the classifier output
on the training and test samples with a Kolmogorov-Smirnov (KS) test
(:class:`~physml_sklearn.plotting.ScoreDistributionDisplay`,
:func:`~physml_sklearn.metrics.overtraining_test`) and the signal efficiency
at fixed background efficiency
(:func:`~physml_sklearn.metrics.signal_efficiency_table`). Then it tries two
cures, early stopping and dropout, and measures what each one changes.
"""

# %%
# A small training sample
# -----------------------
# 800 toy WZ and ZZ events to train on, 10,000 to test on. The inputs are
# standardised in a pipeline. ZZ (label 1) plays the signal.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.metrics import overtraining_test, signal_efficiency_table
from physml_sklearn.plotting import LossCurveDisplay, ScoreDistributionDisplay

data = make_diboson(10_800, processes=("WZ", "ZZ"), random_state=0)
names = list(data.target_names)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, train_size=800, stratify=data.target, random_state=0
)
print(f"training events: {len(y_train)}, test events: {len(y_test)}")

# %%
# The network is the lecture's six hidden layers (128-128-64-64-32-16)
# without dropout, trained for 150 epochs in mini-batches of 32 events with a
# learning rate of 3e-4.
MAX_EPOCHS = 150


def make_model(**params):
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(128, 128, 64, 64, 32, 16),
        batch_size=32,
        lr=3e-4,
        max_epochs=MAX_EPOCHS,
        random_state=0,
    )
    return make_pipeline(StandardScaler(), clf.set_params(**params))


# %%
# Watching it overtrain: the loss curves
# --------------------------------------
# A loss curve needs a validation sample. ``early_stopping=True`` holds out
# ``validation_fraction`` of the training events (here a quarter) and records
# the loss on them after every epoch. A patience as long as the training
# means it never actually stops, so the curves show all 150 epochs; at the end
# the weights of the epoch with the lowest validation loss are restored, the
# one marked in the plot.
watched = make_model(
    dropout=0.0, early_stopping=True, validation_fraction=0.25, patience=MAX_EPOCHS
).fit(X_train, y_train)
clf = watched[-1]
n_weights = sum(p.numel() for p in clf.net_.module_.parameters())
n_fit = round(len(y_train) * (1 - clf.validation_fraction))
print(f"{n_weights} weights, {n_fit} events to fit them, {len(y_train) - n_fit} to validate")
disp = LossCurveDisplay.from_estimator(watched, name=f"dropout=0, {n_fit} training events")
disp.ax_.set_yscale("log")
plt.show()

# %%
# Look for the point where the two curves part: the training loss keeps
# falling, the validation loss turns and rises. From there on the network
# learns what only its training events have in common.
train_loss, valid_loss = clf.loss_curve_, clf.validation_loss_curve_
best = clf.best_epoch_
print(f"lowest validation loss {valid_loss[best - 1]:.3f} at epoch {best}; "
      f"at epoch {clf.n_iter_}: validation {valid_loss[-1]:.3f}, "
      f"training {train_loss[-1]:.2g}")

# %%
# The overtrained network
# -----------------------
# The same network trained on all 800 events for all 150 epochs, with no
# validation sample and nothing restored, keeps the weights of its last
# epoch. The overtraining plot overlays its output on the training events
# (markers) and on the test events (filled) for each class; the KS p-value in
# the legend is the probability of two samples of one distribution differing
# at least this much.
overtrained = make_model(dropout=0.0).fit(X_train, y_train)
ScoreDistributionDisplay.from_estimator(
    overtrained, X_train, y_train, X_test, y_test, class_names=names,
    name="dropout=0, last of 150 epochs",
)
plt.show()

# %%
# The same check in numbers, per class: the KS statistic and p-value, and the
# ROC AUC on the training and on the test sample.
proba = {"train": overtrained.predict_proba(X_train), "test": overtrained.predict_proba(X_test)}
check = overtraining_test(y_train, proba["train"], y_test, proba["test"])
check["class"] = [names[c] for c in check["class"]]
print(check.to_string(index=False, float_format=lambda v: f"{v:.3g}"))

# %%
# TMVA's efficiency table: cut on the output so as to keep 1 %, 10 % or 30 %
# of the WZ background, and read off the fraction of ZZ signal kept, on the
# training and on the test sample. Compare the two columns; the last two
# count the simulated background events above each cut, the statistics
# behind it.
table = signal_efficiency_table(y_train, proba["train"], y_test, proba["test"])
print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))

# %%
# Two cures
# ---------
# *Early stopping* keeps the weights of the epoch with the lowest validation
# loss: that is the ``watched`` model above, whose training restored epoch
# ``best_epoch_``. With the default ``patience=10`` the training would have
# stopped ten epochs after that epoch and restored the same weights, unless
# the validation loss had improved again in those ten epochs:
default_patience = make_model(dropout=0.0, early_stopping=True, validation_fraction=0.25)
default_patience.fit(X_train, y_train)
print(f"patience=10: stopped after epoch {default_patience[-1].n_iter_}, restored epoch "
      f"{default_patience[-1].best_epoch_} (long patience restored epoch {best})")

# %%
# *Dropout* switches off half of the hidden neurons at random at every step,
# so that no neuron can count on another one: the network is trained on all
# 800 events for all 150 epochs, like the overtrained one.
dropout = make_model(dropout=0.5).fit(X_train, y_train)

# %%
# The three networks side by side: ROC AUC on the training and on the test
# events, their difference (the *gap*: zero for a network that does as well on
# new events as on its own), the KS p-values of the overtraining check, and the
# test log-loss, the quantity the validation loss estimates.
models = {
    "dropout=0, 150 epochs": overtrained,
    "dropout=0, early stopping": watched,
    "dropout=0.5, 150 epochs": dropout,
}
rows = []
for label, model in models.items():
    p_train, p_test = model.predict_proba(X_train), model.predict_proba(X_test)
    ks = overtraining_test(y_train, p_train, y_test, p_test)["ks_pvalue"]
    auc_train = roc_auc_score(y_train, p_train[:, 1])
    auc_test = roc_auc_score(y_test, p_test[:, 1])
    rows.append({"model": label, "auc_train": auc_train, "auc_test": auc_test,
                 "gap": auc_train - auc_test, f"ks_p_{names[0]}": ks[0],
                 f"ks_p_{names[1]}": ks[1], "test_log_loss": log_loss(y_test, p_test)})
summary = pd.DataFrame(rows).set_index("model")
print(summary.to_string(float_format=lambda v: f"{v:.3g}"))

# %%
# The overtraining plots of the two cures.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for ax, label in zip(axes, list(models)[1:]):
    ScoreDistributionDisplay.from_estimator(
        models[label], X_train, y_train, X_test, y_test, class_names=names, ax=ax,
        name=label,
    )
plt.show()

# %%
# What changed
# ------------
# For each model: is the gap smaller than without a cure, do the KS tests
# still reject (p below 0.05) the hypothesis that training and test outputs
# follow one distribution, and what happened to the test AUC and log-loss?
reference = summary.loc["dropout=0, 150 epochs"]
for label, row in summary.iterrows():
    ks_values = [row[f"ks_p_{n}"] for n in names]
    rejected = [n for n, p in zip(names, ks_values) if p < 0.05]
    line = (f"{label}: gap {row.gap:.3f}, KS rejects for "
            f"{', '.join(rejected) if rejected else 'no class'}")
    if label != reference.name:
        line += (f"; test AUC {row.auc_test - reference.auc_test:+.3f} and test log-loss "
                 f"{row.test_log_loss - reference.test_log_loss:+.3f} against no cure")
    print(line)
best_auc = summary["auc_test"].idxmax()
print(f"highest test AUC: {best_auc} ({summary.loc[best_auc, 'auc_test']:.3f})")

# %%
# Early stopping watches the validation *loss*, which punishes confident
# wrong answers: it stops when the outputs start to become overconfident, and
# the test log-loss above shows whether it kept them honest. The AUC measures
# something else, how well the output *ranks* signal above background, and
# the early-stopped network has learnt from three quarters of the events
# only. Whether that cost it test AUC here:
es, none = summary.loc["dropout=0, early stopping"], reference
print(f"early stopping: test log-loss {es.test_log_loss:.3f} vs {none.test_log_loss:.3f} "
      f"without a cure ({'better' if es.test_log_loss < none.test_log_loss else 'worse'}), "
      f"test AUC {es.auc_test:.3f} vs {none.auc_test:.3f} "
      f"({'better' if es.auc_test > none.auc_test else 'worse'})")

# %%
# A smaller gap and a better test log-loss do not guarantee a better
# selection: compare the test AUC before choosing a network for a cut. A
# validation sample of a couple of hundred events is also a noisy judge; the
# ``best_epoch_`` it picks is partly a fluctuation of those events.
