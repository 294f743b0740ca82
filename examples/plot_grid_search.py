"""
==================================================
Tuning the classifier with GridSearchCV
==================================================

:class:`~physml_sklearn.DropoutMLPClassifier` is a scikit-learn estimator, so
scikit-learn's model selection works on it unchanged. Here
:class:`~sklearn.model_selection.GridSearchCV` tunes a pipeline of a
:class:`~sklearn.preprocessing.StandardScaler` and the WZ vs ZZ network over
the dropout rate and the architecture, with early stopping deciding the
number of epochs inside every fit. Cross-validation scores each combination
on held-out folds; a separate test set, never seen by the search, measures the
winner.
"""

# %%
# Data
# ----
# Toy WZ and ZZ events from :func:`~physml_sklearn.datasets.make_diboson`, as
# a DataFrame, split into a training set for the search and a test set.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson

X, y = make_diboson(10_000, processes=("WZ", "ZZ"), random_state=0, as_frame=True,
                    return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
print(f"training events: {len(y_train)}, test events: {len(y_test)}")

# %%
# The pipeline and the grid
# -------------------------
# The scaler sits inside the pipeline, so in every cross-validation split it
# is fitted on the training folds only. Parameters of a pipeline step are
# addressed as ``<step>__<parameter>``. Early stopping holds out a tenth of
# each training fold, stops after ``patience`` epochs without improvement of
# the validation loss and restores the best weights, so ``max_epochs`` is only
# an upper bound.
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "clf",
            DropoutMLPClassifier(
                early_stopping=True, patience=5, max_epochs=100, random_state=0
            ),
        ),
    ]
)
param_grid = {
    "clf__hidden_layer_sizes": [(32, 16), (64, 64, 32, 16)],
    "clf__dropout": [0.0, 0.2, 0.5],
}
search = GridSearchCV(
    pipe,
    param_grid,
    scoring="roc_auc",
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
)
search.fit(X_train, y_train)

# %%
# ``cv_results_`` as a table
# --------------------------
# One row per combination: the mean and standard deviation of the ROC AUC over
# the three folds, its rank, and the mean time per fit.
results = pd.DataFrame(search.cv_results_)
table = results[
    [
        "param_clf__hidden_layer_sizes",
        "param_clf__dropout",
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "mean_fit_time",
    ]
].rename(columns=lambda c: c.replace("param_clf__", ""))
print(table.sort_values("rank_test_score").to_string(
    index=False, float_format=lambda v: f"{v:.4f}"))

# %%
# The same numbers as a plot: mean ROC AUC ± its standard deviation over the
# folds (the two architectures drawn slightly apart so that their error bars
# do not hide each other).
fig, ax = plt.subplots(figsize=(7, 3.8))
groups = table.groupby("hidden_layer_sizes", sort=False)
for shift, (sizes, group) in zip((-0.01, 0.01), groups):
    ax.errorbar(
        group["dropout"].astype(float) + shift, group["mean_test_score"],
        yerr=group["std_test_score"], marker="o", capsize=4,
        label=f"hidden_layer_sizes={sizes}",
    )
ax.set_xticks(param_grid["clf__dropout"])
ax.set_xlabel("dropout")
ax.set_ylabel("cross-validated ROC AUC")
ax.legend()
fig.tight_layout()

# %%
# Best parameters, and is the ranking resolved?
# ---------------------------------------------
# Whether the winner is really better than the runner-up depends on how their
# difference compares with the spread of the scores over the folds.
ranked = table.sort_values("rank_test_score").reset_index(drop=True)
best, second = ranked.iloc[0], ranked.iloc[1]
margin = best["mean_test_score"] - second["mean_test_score"]
print(f"best parameters: {search.best_params_}")
print(f"best cross-validated ROC AUC: {search.best_score_:.4f} "
      f"± {best['std_test_score']:.4f}")
print(f"lead over the runner-up: {margin:.4f}, "
      f"{'larger' if margin > best['std_test_score'] else 'smaller'} than the "
      "fold-to-fold spread of the best")

# %%
# The test score
# --------------
# ``GridSearchCV`` refits the best combination on the whole training set
# (``refit=True``); its ``score`` uses the search's scoring, here ROC AUC.
# The fitted network inside tells where early stopping stopped it.
best_clf = search.best_estimator_["clf"]
test_auc = search.score(X_test, y_test)
print(f"test ROC AUC of the refitted best pipeline: {test_auc:.4f}")
print(f"same, from predict_proba: "
      f"{roc_auc_score(y_test, search.predict_proba(X_test)[:, 1]):.4f}")
stopped = best_clf.n_iter_ < best_clf.max_epochs
print(f"refit: {best_clf.n_iter_} of at most {best_clf.max_epochs} epochs trained "
      f"({'stopped early' if stopped else 'reached max_epochs'}), weights of epoch "
      f"{best_clf.best_epoch_} restored")

# %%
# The test score is the number to quote: the winner was picked for its
# cross-validated score, which makes that score an optimistic estimate when
# many combinations are close. The refit also trains on all the training
# events, more than each fold had. How the two numbers compare on this data:
print(f"cross-validated minus test ROC AUC: {search.best_score_ - test_auc:+.4f}")
