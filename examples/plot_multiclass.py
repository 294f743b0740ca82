"""
=====================================================
Three classes: WZ, ZZ and ttZ with a softmax network
=====================================================

A binary classifier has one output neuron with a sigmoid: one number per
event, the probability of the signal. With three processes the network gets
one output neuron per class and a softmax across them
(:class:`~physml_sklearn.SoftmaxMLPClassifier`): three numbers per event,
each in [0, 1], summing to 1. This example trains it on toy WZ, ZZ and ttZ
events and looks at the result the three ways one looks at a multiclassifier:
the score of each output node, the confusion matrix, and one ROC curve per
class against the other two.
"""

# %%
# Data
# ----
# :func:`~physml_sklearn.datasets.make_diboson` with three processes. The
# target holds the index into ``target_names``; we keep the names for the
# plots. Half the events are for training, half for testing.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    RocCurveDisplay,
    accuracy_score,
    confusion_matrix,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import SoftmaxMLPClassifier
from physml_sklearn.datasets import make_diboson

data = make_diboson(
    12_000, processes=("WZ", "ZZ", "ttZ"), random_state=0, as_frame=True
)
names = data.target_names
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.5, stratify=data.target, random_state=0
)
print(f"classes: {names.tolist()}; training events per class: "
      f"{np.bincount(y_train).tolist()}")

# %%
# Training
# --------
# Standardised inputs and the default 32-16 network, with early stopping on a
# stratified tenth of the training events.
model = make_pipeline(
    StandardScaler(),
    SoftmaxMLPClassifier(early_stopping=True, max_epochs=100, random_state=0),
)
model.fit(X_train, y_train)
clf = model[-1]
print(f"trained {clf.n_iter_} epochs, best epoch {clf.best_epoch_}")

proba = model.predict_proba(X_test)
y_pred = model.predict(X_test)
true = y_test.to_numpy()
print(f"predict_proba shape: {proba.shape}; columns follow classes_ = "
      f"{clf.classes_.tolist()}")
row_sum_error = np.abs(proba.sum(axis=1) - 1).max()
print(f"largest deviation of a row sum from 1: {row_sum_error:.1e}")
print(f"test accuracy: {accuracy_score(y_test, y_pred):.4f} "
      f"(guessing: {1 / len(names):.4f})")

# %%
# One score per output node
# -------------------------
# Each output node is a score for its class. Plot, for every node, the
# distribution of its score for the events of each true class: a good node
# puts the events of its own class near 1 and the others near 0. Where a
# node's histograms overlap, that node confuses those classes.
bins = np.linspace(0, 1, 31)
fig, axes = plt.subplots(1, len(names), figsize=(12, 3.6), sharey=True)
for k, ax in enumerate(axes):
    for c, name in enumerate(names):
        ax.hist(
            proba[true == c, k], bins=bins, histtype="step",
            linewidth=1.5, density=True, label=f"true {name}",
        )
    ax.set_xlabel(f"output node {names[k]}: P({names[k]})")
    ax.set_yscale("log")
axes[0].set_ylabel("density")
axes[-1].legend(loc="upper center")
fig.tight_layout()

# %%
# The mean score each node gives each true class summarises the histograms:
# rows are the true classes, columns the output nodes. The diagonal is how
# sure the network is, on average, of the right answer.
mean_score = np.array([proba[true == c].mean(axis=0) for c in range(len(names))])
print("mean score (rows: true class, columns: output node)")
print("        " + "".join(f"{n:>8}" for n in names))
for name, row in zip(names, mean_score):
    print(f"{name:>8}" + "".join(f"{v:8.3f}" for v in row))

# %%
# Confusion matrix
# ----------------
# The predicted class is the node with the largest score. Normalised over each
# true class, the diagonal is the fraction of each process classified
# correctly and the off-diagonal entries say where the others go.
disp = ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, display_labels=names, normalize="true", values_format=".2f",
    cmap="Blues",
)
disp.ax_.set_title("Confusion matrix (rows sum to 1)")

cm = confusion_matrix(y_test, y_pred, normalize="true")
off = cm - np.diag(np.diag(cm))
i, j = np.unravel_index(np.argmax(off), off.shape)
print("correctly classified: " + ", ".join(
    f"{n} {cm[c, c]:.3f}" for c, n in enumerate(names)))
print(f"most frequent confusion: true {names[i]} predicted as {names[j]} "
      f"({cm[i, j]:.3f} of the {names[i]} events)")

# %%
# One-vs-rest ROC curves
# ----------------------
# Each output node is also a binary classifier of its class against the other
# two: its ROC curve uses that node's score alone. The mean of the three AUCs
# is what ``roc_auc_score(..., multi_class="ovr")`` reports.
fig, ax = plt.subplots(figsize=(5, 5))
aucs = []
for k, name in enumerate(names):
    RocCurveDisplay.from_predictions(
        y_test == k, proba[:, k], name=f"{name} vs rest", ax=ax,
        plot_chance_level=(k == len(names) - 1),
    )
    aucs.append(roc_auc_score(y_test == k, proba[:, k]))
ax.set_title("One-vs-rest ROC curves")

for name, auc in zip(names, aucs):
    print(f"ROC AUC {name} vs rest: {auc:.4f}")
print(f"mean (roc_auc_score multi_class='ovr'): "
      f"{roc_auc_score(y_test, proba, multi_class='ovr'):.4f}")
print(f"best separated class: {names[int(np.argmax(aucs))]}; "
      f"hardest: {names[int(np.argmin(aucs))]}")

# %%
# The physics behind the numbers: ttZ events carry b-tagged jets, many jets
# and a large HT, which WZ and ZZ events rarely have; WZ and ZZ share the
# same Z candidate and differ mainly in the missing transverse momentum and
# the transverse mass of the third lepton (see :ref:`diboson_data`). Compare
# this with the classes the example prints as best separated and hardest.
