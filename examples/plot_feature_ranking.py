"""
=======================================================
Ranking the input variables, then dropping the worst
=======================================================

Which of the 17 input variables does the WZ vs ZZ classifier use, and can the
least useful ones be dropped? A network has no coefficients to read off, but
one can *shuffle* a variable among the test events, which breaks its link to
everything else, and see how much the score drops: the permutation importance.

This example ranks the variables of a trained
:class:`~physml_sklearn.DropoutMLPClassifier` with
:func:`~physml_sklearn.inspection.rank_features`, draws the ranking with
:class:`~physml_sklearn.plotting.FeatureImportanceDisplay`, and then answers
the question the ranking raises, "if I drop the worst variables and retrain,
does it make a difference?", with
:class:`~physml_sklearn.inspection.PermutationFeatureElimination` and a test
set it never saw.
"""

# %%
# The data and the classifier
# ---------------------------
# Toy WZ and ZZ events as a DataFrame, so that the variables keep their
# names: 8,000 to train on, 12,000 to test on. Among the 17 variables,
# ``lep1_phi`` and ``n_pv`` carry no information about the process by
# construction (the azimuth of the event and the pile-up; see
# :ref:`diboson_data`). The classifier is a small network in a pipeline that
# standardises the inputs.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.inspection import PermutationFeatureElimination, rank_features
from physml_sklearn.plotting import FeatureImportanceDisplay

data = make_diboson(20_000, processes=("WZ", "ZZ"), random_state=0, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=12_000, stratify=data.target, random_state=0
)


def make_model():
    return make_pipeline(
        StandardScaler(),
        DropoutMLPClassifier(
            hidden_layer_sizes=(64, 32, 16), dropout=0.0, batch_size=128, max_epochs=20,
            random_state=0,
        ),
    )


model = make_model().fit(X_train, y_train)
auc_all = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
print(f"test ROC AUC with all {X_train.shape[1]} variables: {auc_all:.4f}")

# %%
# Permutation ranking
# -------------------
# Each variable is shuffled ten times among the test events; its importance is
# the mean drop of the test ROC AUC, with the standard deviation over the
# shuffles as the error bar.
ranking = rank_features(model, X_test, y_test, scoring="roc_auc", n_repeats=10,
                        random_state=0)
disp = FeatureImportanceDisplay.from_ranking(ranking, score_name="test ROC AUC")
disp.ax_.set_title("Permutation importance, WZ vs ZZ")
plt.show()

# %%
print(ranking.to_string(index=False, float_format=lambda v: f"{v:.4f}"))

# %%
# How to read it: this is the importance of each variable *for this model*,
# not for the physics. A variable the network happens to lean on ranks high
# even if another one carries the same information: the leptons' transverse
# momenta, the masses and ``pt_z`` are all built from the same lepton
# four-vectors, and shuffling one of them leaves the others in place to stand
# in for it. So
# a low rank says "this model can do without it, given the rest", and the
# ranking of a different network, or of the same network with another seed,
# can differ among variables of similar importance.
#
# The error bars show how much the result depends on the shuffles, not on the
# test events: a finite test sample can lend a useless variable a small
# importance of either sign. The two variables the generator made
# uninformative:
for feature in ("lep1_phi", "n_pv"):
    row = ranking.set_index("feature").loc[feature]
    within = abs(row.importance_mean) <= 2 * row.importance_std
    print(f"{feature:>8}: rank {int(row['rank'])} of {len(ranking)}, importance "
          f"{row.importance_mean:+.4f} ± {row.importance_std:.4f}, "
          f"{'within' if within else 'outside'} two error bars of zero")

# %%
# Drop and retrain, cross-validated
# ---------------------------------
# A ranking of the model trained on all variables does not say what a model
# trained without the worst ones would do: the network may learn to use the
# remaining variables differently. So drop and retrain.
# :class:`~physml_sklearn.inspection.PermutationFeatureElimination` does this
# on the training events alone, like scikit-learn's
# :class:`~sklearn.feature_selection.RFECV`: on each of 3 cross-validation
# folds it trains the network, scores it on the held-out part and ranks the
# variables there by permutation importance; the 2 least important variables
# (averaged over the folds) are dropped and the next step retrains without
# them, down to a single variable. It keeps the number of variables with the
# best mean held-out ROC AUC and refits on all the training events with them.
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
selector = PermutationFeatureElimination(
    make_model(), step=2, scoring="roc_auc", n_repeats=3, cv=cv, random_state=0
).fit(X_train, y_train)
results = pd.DataFrame(selector.cv_results_)
print(results[["n_features", "mean_test_score", "std_test_score"]].to_string(
    index=False, float_format=lambda v: f"{v:.4f}"))
print(f"selected {selector.n_features_} variables: "
      + ", ".join(selector.get_feature_names_out()))

# %%
# The held-out score of each step, with the fold-to-fold standard deviation as
# error bars. Look at how far along the axis the curve stays flat, where it
# starts to fall, and how the difference between the flat points compares
# with the error bars.
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.errorbar(results["n_features"], results["mean_test_score"],
            yerr=results["std_test_score"], marker="o", capsize=3)
ax.axvline(selector.n_features_, color="grey", linestyle="--",
           label=f"selected: {selector.n_features_} variables")
ax.set(xlabel="number of variables", ylabel="held-out ROC AUC (3 folds)",
       title="Drop the 2 least important, retrain, repeat")
ax.legend(loc="lower right")
plt.show()

# %%
# Does it make a difference?
# --------------------------
# The test events have been used by nothing above except the first ranking.
# The model on the selected variables (``selector.estimator_``, refitted on
# all training events) is compared with the model on all variables. The
# yardstick is the fold-to-fold spread of the cross-validated score: a
# difference smaller than that is one a new draw of the training events could
# produce or undo.
auc_selected = selector.score(X_test, y_test)
n_all = X_train.shape[1]
spread = results.set_index("n_features").loc[[n_all, selector.n_features_],
                                             "std_test_score"].max()
difference = auc_selected - auc_all
print(f"test ROC AUC: all {n_all} variables {auc_all:.4f}, "
      f"selected {selector.n_features_} {auc_selected:.4f}")
print(f"dropping {n_all - selector.n_features_} variables changes the test AUC by "
      f"{difference:+.4f}, which is {'within' if abs(difference) <= spread else 'outside'} "
      f"the fold-to-fold spread ({spread:.4f})")

# %%
# The same by hand: drop the five variables at the bottom of the first
# ranking and retrain the same network on the rest. (The first ranking was
# measured on the test events, so this choice has seen them; the selector's
# choice above has not.)
worst = ranking["feature"].tail(5).tolist()
kept = [f for f in X_train.columns if f not in worst]
manual = make_model().fit(X_train[kept], y_train)
auc_manual = roc_auc_score(y_test, manual.predict_proba(X_test[kept])[:, 1])
print(f"dropped by hand: {', '.join(worst)}")
print(f"test ROC AUC with the other {len(kept)}: {auc_manual:.4f}, a change of "
      f"{auc_manual - auc_all:+.4f}, "
      f"{'within' if abs(auc_manual - auc_all) <= spread else 'outside'} the spread")

# %%
# Where the curve is flat, fewer variables cost nothing measurable, and a
# smaller set is easier to validate: each input of a network must be
# modelled well in the simulation. Where it falls, the dropped variables
# carried information that the others could not replace.
smallest_flat = results.loc[
    results["mean_test_score"] >= results["mean_test_score"].max() - spread, "n_features"
].min()
print(f"the fewest variables whose held-out AUC is within one spread of the best: "
      f"{smallest_flat}")
