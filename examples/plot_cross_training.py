"""
======================
k-fold cross-training
======================

With a single train/test split, the events used to train a classifier cannot
be used to measure anything: on them the classifier is biased, it has seen
them. Simulated events are expensive, so collider analyses use **k-fold
cross-training** (TMVA's ``CrossValidation``): the events are split into k
folds by their event number, k classifiers are trained, each on every fold
but one, and every event is scored by the classifier that did not see it. All
the events serve for training *and* for the measurement, and the same rule,
``event_number % k``, scores the real data.

:class:`~physml_sklearn.FoldingClassifier` does this around any scikit-learn
classifier or pipeline. This example compares it with a single split on toy
WZ and ZZ events, shows why the out-of-fold scores are unbiased, and runs the
overtraining check on each fold.
"""

# %%
# Events with an event number
# ---------------------------
# 4,000 toy events; the event number is a column of the DataFrame. ZZ (label
# 1) plays the signal.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier, FoldingClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.metrics import overtraining_test
from physml_sklearn.plotting import ScoreDistributionDisplay

events = make_diboson(4000, processes=("WZ", "ZZ"), random_state=1, as_frame=True)
X = events.data.drop(columns=["lep1_phi", "n_pv"])
X.insert(0, "event_number", np.arange(100_000, 100_000 + len(X)))
y = events.target.to_numpy()


def make_model():
    return make_pipeline(
        StandardScaler(),
        DropoutMLPClassifier(hidden_layer_sizes=(64, 32), dropout=0.2, max_epochs=25,
                             random_state=0),
    )


# %%
# A single split: half the events are spent on training
# -------------------------------------------------------
# The usual way: train on one half, measure on the other. Only the test half
# has unbiased scores.
features = X.drop(columns="event_number")
X_train, X_test, y_train, y_test = train_test_split(
    features, y, test_size=0.5, stratify=y, random_state=0
)
single = make_model().fit(X_train, y_train)
auc_train = roc_auc_score(y_train, single.predict_proba(X_train)[:, 1])
auc_test = roc_auc_score(y_test, single.predict_proba(X_test)[:, 1])
print(f"single split: AUC {auc_train:.3f} on its {len(y_train)} training events, "
      f"{auc_test:.3f} on the {len(y_test)} test events (the only usable ones)")

# %%
# Two folds by event number
# -------------------------
# ``fold_column="event_number"`` puts an event into fold ``event_number % 2``
# and keeps the column away from the networks: they see the same 15 features
# as above. ``out_of_fold_proba_`` holds every event's score from the network
# that did not train on it, and ``predict_proba`` applies the same rule to
# any events that carry an event number.
folding = FoldingClassifier(make_model(), n_folds=2, fold_column="event_number").fit(X, y)
print(f"inner networks see {folding.estimators_[0][-1].n_features_in_} features; "
      f"feature_names_in_ has {len(folding.feature_names_in_)} columns, the event number "
      "included")
oof = folding.out_of_fold_proba_[:, 1]
print(f"cross-training: out-of-fold AUC {roc_auc_score(y, oof):.3f} on all {len(y)} events")
assert np.allclose(folding.predict_proba(X)[:, 1], oof)

# %%
# Why the out-of-fold scores are unbiased
# ---------------------------------------
# A model that memorises its training events makes the point plainly: the
# 1-nearest-neighbour classifier has an accuracy of 1 on the events it was
# fitted on. Scored through the folds, each event is judged by the neighbour
# in the *other* fold, and the accuracy drops to that of independent events.
knn = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=1))
knn.fit(X_train, y_train)
print(f"1-NN on its own training events: accuracy {knn.score(X_train, y_train):.3f}")
print(f"1-NN on the test events:          accuracy {knn.score(X_test, y_test):.3f}")
knn_folds = FoldingClassifier(knn, fold_column="event_number").fit(X, y)
print(f"1-NN through the folds, on the training events themselves: accuracy "
      f"{knn_folds.score(X, y):.3f}")

# %%
# The overtraining check on each fold
# -----------------------------------
# Each fold network has its own training events (the other fold) and its own
# test events (its fold), so the TMVA check, train against test score
# distributions with a Kolmogorov-Smirnov test, runs on every fold.
rows = []
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for k, (model, ax) in enumerate(zip(folding.estimators_, axes)):
    train, test = folding.folds_ != k, folding.folds_ == k
    score_train = model.predict_proba(features[train])[:, 1]
    score_test = oof[test]
    check = overtraining_test(y[train], score_train, y[test], score_test)
    rows.append(check.assign(fold=k))
    ScoreDistributionDisplay.from_predictions(
        y[train], score_train, y[test], score_test, class_names=["WZ", "ZZ"], ax=ax,
        log=True,  # the tails, where overtraining shows first
    )
    ax.set_title(f"fold model {k}: trained on fold {1 - k}, tested on fold {k}")
    ax.set_xlabel("network output P(ZZ)")
table = pd.concat(rows)[["fold", "class", "ks_pvalue", "auc_train", "auc_test"]]
print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
plt.show()

# %%
# New events: the deterministic application rule
# -----------------------------------------------
# New events (here freshly generated) are scored by the fold rule too: event
# ``n`` by the network that did not train on fold ``n % 2``. The same event
# always gets the same score, whatever file it comes in.
new = make_diboson(1000, processes=("WZ", "ZZ"), random_state=2, as_frame=True)
X_new = new.data.drop(columns=["lep1_phi", "n_pv"])
X_new.insert(0, "event_number", np.arange(len(X_new)))
proba = folding.predict_proba(X_new)[:, 1]
print(f"new events: AUC {roc_auc_score(new.target, proba):.3f}; event 7's score alone "
      f"{folding.predict_proba(X_new.iloc[[7]])[0, 1]:.4f}, in the file {proba[7]:.4f}")
