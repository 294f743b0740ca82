"""
=====================================
ttZ as an anomaly in WZ and ZZ events
=====================================

A search for new physics often has no signal model to train on: one learns
what the known processes look like and flags what does not fit. An
autoencoder trained on the known events learns to compress and rebuild them;
an event of another kind is rebuilt less well, so its reconstruction error is
an anomaly score.

This example plays the game with the toy three-lepton events of
:func:`~physml_sklearn.datasets.make_diboson`: the
:class:`~physml_sklearn.AutoEncoderOutlierDetector` sees only WZ and ZZ
events, and ttZ, which it never saw, plays the unknown signal. Its ROC curve
is drawn beside that of scikit-learn's
:class:`~sklearn.ensemble.IsolationForest` trained on the same events, and the
last part shows how ``contamination`` sets the threshold behind ``predict``.
"""

# %%
# The events
# ----------
# Equal numbers of WZ, ZZ and ttZ events, split into a training and a test
# part. The detectors are trained on the WZ and ZZ events of the training
# part only; the test part keeps all three processes. The features (GeV,
# radians, counts) have very different scales, and the reconstruction error
# sums over them, so they are standardised with the mean and width of the
# training WZ + ZZ events.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import RocCurveDisplay, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from physml_sklearn import AutoEncoderOutlierDetector
from physml_sklearn.datasets import make_diboson

data = make_diboson(9_000, processes=("WZ", "ZZ", "ttZ"), random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, stratify=data.target, random_state=0
)
known = y_train != 2  # WZ and ZZ; index 2 is ttZ
scaler = StandardScaler().fit(X_train[known])
A_train = scaler.transform(X_train[known])
A_test = scaler.transform(X_test)
is_ttz = y_test == 2
print(f"training events (WZ + ZZ only): {len(A_train)}")
print(f"test events: {np.sum(~is_ttz)} WZ + ZZ, {np.sum(is_ttz)} ttZ")

# %%
# The two detectors
# -----------------
# The autoencoder squeezes the 17 features through 8 latent dimensions. The
# Huber loss (squared error for small deviations, absolute error for large
# ones) keeps the few badly measured training events from dominating the fit.
# Both detectors follow scikit-learn's outlier interface: ``score_samples`` is
# higher for more typical events, so minus it is the anomaly score.
detector = AutoEncoderOutlierDetector(
    latent_dim=8, loss="huber", max_epochs=60, random_state=0
).fit(A_train)
forest = IsolationForest(random_state=0).fit(A_train)

anomaly_score = {
    "AutoEncoderOutlierDetector": -detector.score_samples(A_test),
    "IsolationForest": -forest.score_samples(A_test),
}
for name, score in anomaly_score.items():
    print(f"{name:>26}: ROC AUC for ttZ vs WZ + ZZ = {roc_auc_score(is_ttz, score):.3f}")

# %%
# ROC curves
# ----------
# Each curve shows, as the threshold on the anomaly score is lowered, the
# fraction of ttZ events flagged against the fraction of WZ + ZZ events
# flagged with them. The diagonal is a detector that guesses.
fig, ax = plt.subplots(figsize=(5.5, 5))
for name, score in anomaly_score.items():
    RocCurveDisplay.from_predictions(is_ttz, score, name=name, ax=ax)
ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance")
ax.set(xlabel="WZ + ZZ events flagged (false positive rate)",
       ylabel="ttZ events flagged (true positive rate)",
       title="ttZ as an anomaly, trained on WZ + ZZ")
ax.legend(loc="lower right")
plt.show()

# %%
# Where the score comes from: the distribution of the reconstruction error
# for the held-out known events and for ttZ. A ttZ event comes with a top
# quark pair, so it has more jets, b-tagged jets and hadronic activity (``ht``)
# than the diboson events the network learnt to rebuild (see
# :ref:`diboson_data`). The means of those features and the median error of
# each process in the test set:
columns = [data.feature_names.index(f) for f in ("n_jets", "n_bjets", "ht")]
error = anomaly_score["AutoEncoderOutlierDetector"]
for index, name in enumerate(data.target_names):
    mean_jets, mean_bjets, mean_ht = X_test[y_test == index][:, columns].mean(axis=0)
    print(f"{name:>4}: n_jets {mean_jets:.2f}, n_bjets {mean_bjets:.2f}, "
          f"ht {mean_ht:5.0f} GeV; median reconstruction error "
          f"{np.median(error[y_test == index]):.3f}")

fig, ax = plt.subplots(figsize=(6, 3.8))
bins = np.logspace(np.log10(error.min()), np.log10(error.max()), 50)
ax.hist(error[~is_ttz], bins=bins, histtype="step", density=True, label="WZ + ZZ (test)")
ax.hist(error[is_ttz], bins=bins, histtype="stepfilled", alpha=0.4, density=True,
        label="ttZ (never seen)")
ax.axvline(-detector.offset_, color="black", linestyle="--", label="threshold (offset_)")
ax.set(xscale="log", xlabel="reconstruction error (Huber loss per feature)",
       ylabel="density")
ax.legend()
plt.show()

# %%
# Drawing the line: ``contamination`` and ``predict``
# ---------------------------------------------------
# A ROC curve needs no threshold; ``predict`` does. It returns +1 for an
# inlier and -1 for an outlier, where outlier means a ``decision_function``
# (``score_samples - offset_``) below 0. The threshold ``offset_`` is set in
# ``fit`` from the errors of the training events:
#
# * ``contamination="auto"`` (the default) uses Tukey's boxplot rule: an event
#   is an outlier when its error lies more than 1.5 interquartile ranges above
#   the upper quartile of the training errors;
# * a float is the fraction of training events expected to be outliers; that
#   fraction, those with the largest errors, is flagged.
#
# With the same ``random_state`` the network is trained identically, so only
# the threshold moves.


def flagged(model):
    """Fraction of events that ``predict`` calls outliers."""
    train = np.mean(model.predict(A_train) == -1)
    test = model.predict(A_test) == -1
    return train, np.mean(test[~is_ttz]), np.mean(test[is_ttz])


detectors = {"auto": detector}
for contamination in (0.01, 0.1):
    detectors[contamination] = AutoEncoderOutlierDetector(
        latent_dim=8, loss="huber", max_epochs=60, contamination=contamination,
        random_state=0,
    ).fit(A_train)
same = np.array_equal(
    detectors[0.1].score_samples(A_test), detector.score_samples(A_test)
)
print(f"same scores for every contamination: {same}")
print(f"{'contamination':>13}  {'offset_':>8}  {'train':>6}  {'test WZ+ZZ':>10}  {'test ttZ':>8}")
for contamination, model in detectors.items():
    train, background, ttz = flagged(model)
    print(f"{contamination!s:>13}  {model.offset_:8.3f}  {train:6.1%}  {background:10.1%}  "
          f"{ttz:8.1%}")

# %%
# Read the table row by row: the fraction of training events flagged matches
# a float ``contamination`` by construction; the held-out WZ + ZZ column shows
# whether that carries over to new events of the known kinds, and the ttZ
# column what the threshold buys. Lowering the threshold flags more ttZ at the
# price of more WZ and ZZ; the ROC curve above traces the whole trade-off.
ratios = [flagged(model)[1] / flagged(model)[0] for model in detectors.values()]
print("held-out WZ + ZZ events flagged / training events flagged: "
      + ", ".join(f"{r:.2f}" for r in ratios))
more = min(ratios) > 1
print("new events of the known kinds are flagged",
      "more often than the training events in every row: the network rebuilds the "
      "events it was trained on better than new ones, so the flagged fraction on "
      "new data is higher than contamination says" if more else
      "about as often as the training events: the threshold carries over")
