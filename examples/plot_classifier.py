"""
=========================================
A first classifier: WZ against ZZ events
=========================================

The course's first network separates a signal from a background: toy WZ and
ZZ events with three leptons, described by 17 reconstructed quantities
(lepton momenta, missing transverse energy, invariant masses ...). The
network is :class:`~physml_sklearn.DropoutMLPClassifier`, a multilayer
perceptron with one sigmoid output: the probability that an event is ZZ.

It is a scikit-learn estimator, so the recipe is scikit-learn's: split the
events into a training and a test sample, put the standardisation of the
inputs and the network into one pipeline, ``fit`` on the training events and
measure on the test events. Three pictures then tell how it went: the loss
per epoch, the classifier output per process, and the ROC curve.
"""

# %%
# The events
# ----------
# :func:`~physml_sklearn.datasets.make_diboson` generates the events from
# four-vectors; ``as_frame=True`` gives a DataFrame with named columns. A
# quarter of them is kept aside as the test sample.
import matplotlib.pyplot as plt
from sklearn.metrics import RocCurveDisplay, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.plotting import LossCurveDisplay, ScoreDistributionDisplay

data = make_diboson(10_000, processes=("WZ", "ZZ"), random_state=0, as_frame=True)
names = [str(name) for name in data.target_names]
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.25, stratify=data.target, random_state=0
)
print(f"{len(X_train)} training and {len(X_test)} test events, "
      f"{X_train.shape[1]} inputs: {', '.join(X_train.columns[:5])} ...")
print(f"label 0: {names[0]} (background), label 1: {names[1]} (signal)")

# %%
# Training
# --------
# The network's inputs should be of order one, hence the
# :class:`~sklearn.preprocessing.StandardScaler` in front of it. With
# ``early_stopping=True`` the network holds out ``validation_fraction`` of the
# training events (10 % by default), measures its loss on them after every
# epoch, stops when that loss has not improved for ``patience`` epochs and
# keeps the weights of its best epoch. ``random_state`` makes the fit
# repeatable.
clf = make_pipeline(
    StandardScaler(),
    DropoutMLPClassifier(early_stopping=True, max_epochs=100, random_state=0),
)
clf.fit(X_train, y_train)
network = clf[-1]
print(f"trained {network.n_iter_} epochs (at most {network.max_epochs}), "
      f"kept the weights of epoch {network.best_epoch_}")

# %%
# The loss curves
# ---------------
# The training loss falls as the network learns; the validation loss, on
# events it does not train on, says when more epochs stop paying.
LossCurveDisplay.from_estimator(clf, name="DropoutMLPClassifier, WZ vs ZZ")
plt.show()

# %%
# The classifier output
# ---------------------
# ``predict_proba(X)[:, 1]`` is the network's probability of ZZ. Drawn per
# true process, training events as markers and test events as filled
# histograms, the two processes should pile up at opposite ends, and the
# training and test samples of each process should agree (the user guide's
# page on overtraining explains the KS p-values in the legend).
ScoreDistributionDisplay.from_estimator(
    clf, X_train, y_train, X_test, y_test, class_names=names, log=True
)
plt.show()

# %%
# The ROC curve
# -------------
# Every cut on the output keeps a fraction of the ZZ events (true positive
# rate) and of the WZ events (false positive rate); the ROC curve draws them
# for all cuts, and the area under it is 1 for a perfect separation and 0.5
# for none. ``score`` of a classifier is its accuracy, the fraction of test
# events whose larger probability is their true process.
proba = clf.predict_proba(X_test)[:, 1]
print(f"test ROC AUC {roc_auc_score(y_test, proba):.3f}, "
      f"test accuracy {clf.score(X_test, y_test):.3f}")
RocCurveDisplay.from_predictions(y_test, proba, name="DropoutMLPClassifier",
                                 pos_label=1, plot_chance_level=True)
plt.title(f"{names[1]} (signal) against {names[0]} (background), test events")
plt.show()

# %%
# Where to go from here: the next examples look for overtraining and cure it
# with dropout, tune the network with a grid search, and turn the output into
# a working point with an expected significance.
