"""
==========================================
Scaling out with Dask
==========================================

A hyperparameter search spread over the workers of a Dask cluster, and a
table of events scored partition by partition. Here the "cluster" is a
:class:`~distributed.LocalCluster` of two workers on this machine; on a batch
farm or in the cloud only the line that creates the cluster changes. See
:ref:`scaling` for out-of-core training and one GPU per worker.
"""

# %%
# A cluster
# ---------
# Two workers with one thread each. To keep this page quick to build they are
# threads of this process (``processes=False``). On a real cluster, and in
# your scripts, they are processes (``LocalCluster``'s default; create it
# under ``if __name__ == "__main__":``, since Dask starts its workers as fresh
# interpreters). Nothing in physml_sklearn starts a cluster: you do.
import time

import dask.dataframe as dd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, train_test_split

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                       dashboard_address=None)
client = Client(cluster)
print(f"{len(client.scheduler_info()['workers'])} workers")

# %%
# A search on the cluster
# -----------------------
# Inside ``joblib.parallel_config("dask")``, the fits of
# :class:`~sklearn.model_selection.GridSearchCV` are tasks of the cluster.
# Every fit is seeded, and with worker *processes* the search gives the same
# scores as on one core to the last bit. Worker *threads*, as here, share
# torch's random number generator, so two fits that run at once draw their
# dropout masks from one stream: the scores differ a little from run to run.
X, y = make_diboson(4000, processes=("WZ", "ZZ"), random_state=0, as_frame=True,
                    return_X_y=True)
X = (X - X.mean()) / X.std()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y,
                                                    random_state=0)


def make_search(n_jobs):
    return GridSearchCV(
        DropoutMLPClassifier(hidden_layer_sizes=(32, 16), dropout=0.2, max_epochs=10,
                             random_state=0),
        {"lr": [1e-3, 3e-3], "hidden_layer_sizes": [(32, 16), (64, 32)]},
        cv=3, n_jobs=n_jobs,
    )


start = time.perf_counter()
local = make_search(n_jobs=1).fit(X_train, y_train)
t_local = time.perf_counter() - start
start = time.perf_counter()
with parallel_config("dask"):
    search = make_search(n_jobs=-1).fit(X_train, y_train)
t_dask = time.perf_counter() - start
print(f"one core: {t_local:.1f} s, two Dask workers: {t_dask:.1f} s")
difference = np.abs(search.cv_results_["mean_test_score"] - local.cv_results_["mean_test_score"])
print(f"largest difference of a mean test score: {difference.max():.4f}")
print("best parameters, one core:", local.best_params_, " Dask:", search.best_params_)

# %%
# Scoring partition by partition
# ------------------------------
# A large table of events lives as a Dask DataFrame, split into partitions
# that may sit on different machines. ``map_partitions`` scores each where it
# is; the scores are those of ``predict_proba`` on the whole table, to the
# last bit.
clf = search.best_estimator_
events = dd.from_pandas(X_test, npartitions=8, sort=False)  # keep the rows' order


def score(part, model):
    return pd.Series(model.predict_proba(part)[:, 1], index=part.index, name="score")


scores = events.map_partitions(score, clf, meta=("score", "float64")).compute()
print("identical to predict_proba on the whole:",
      np.array_equal(scores.to_numpy(), clf.predict_proba(X_test)[:, 1]))

# %%
# The scores of the test events: the probability of ZZ (class 1), for the
# true WZ and ZZ events.
fig, ax = plt.subplots(figsize=(6, 4))
bins = np.linspace(0, 1, 41)
for label, name in ((0, "WZ"), (1, "ZZ")):
    ax.hist(scores[y_test.loc[scores.index] == label], bins=bins, histtype="step", label=name)
ax.set_xlabel("classifier output P(ZZ)")
ax.set_ylabel("events / 0.025")
ax.set_yscale("log")
ax.legend(title="test events, scored on Dask")
fig.tight_layout()

# %%
# Close the cluster when done.
client.close()
cluster.close()
