"""
==================================
From ROOT files to a classifier
==================================

An analysis keeps its simulated events in ROOT files: one or more files per
process, a ``TTree`` of flat branches (one number per event), a weight per
event. :func:`~physml_sklearn.datasets.load_ntuples` turns such files into the
same :class:`~sklearn.utils.Bunch` as the toy generators, one class per set of
files, with the event weights, a selection and the name of the file each event
came from. ROOT files are read with `uproot <https://uproot.readthedocs.io>`_
(``pip install "physml-sklearn[root]"``), in chunks and only the requested
branches; Parquet, CSV and HDF5 files work the same way.

Here toy WZ and ZZ events from :func:`~physml_sklearn.datasets.make_diboson`
are written to two ROOT files, read back with a selection and a weight branch,
and a classifier is trained on them.
"""

# %%
# Writing the ntuples
# -------------------
# Each process goes to its own file with a tree called ``events``: the
# kinematic variables, an event number and the physics weight (cross section x
# luminosity / generated events, so that the weights of a file sum to the
# expected number of events).
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import uproot
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import load_ntuples, make_diboson
from physml_sklearn.plotting import RejectionCurveDisplay

events = make_diboson(6000, processes=("WZ", "ZZ"), random_state=0, as_frame=True)
folder = tempfile.mkdtemp()
for label, process in enumerate(events.target_names):
    rows = (events.target == label).to_numpy()
    branches = {name: events.data.loc[rows, name].to_numpy() for name in events.feature_names}
    branches["event_number"] = np.flatnonzero(rows).astype(np.int64)
    branches["weight"] = events.sample_weight[rows]
    with uproot.recreate(os.path.join(folder, f"{process}.root")) as file:
        file.mktree("events", {name: values.dtype for name, values in branches.items()})
        file["events"].extend(branches)

with uproot.open(os.path.join(folder, "ZZ.root")) as file:
    tree = file["events"]
    print(f"ZZ.root:events holds {tree.num_entries} events and {len(tree.keys())} branches:")
    print(", ".join(f"{name} ({tree[name].typename})" for name in tree.keys()[:5]), "...")

# %%
# Reading them back
# -----------------
# ``sources`` maps each class to its files (a list when there are several).
# The features are named explicitly, so that the event number and the weight
# do not become inputs; the selection, a :meth:`pandas.DataFrame.query`
# string, may use any branch. The class index is the order of ``sources``:
# WZ is 0 and ZZ, the signal here, is 1.
features = [name for name in events.feature_names if name not in ("lep1_phi", "n_pv")]
sources = {
    "WZ": os.path.join(folder, "WZ.root:events"),
    "ZZ": os.path.join(folder, "ZZ.root:events"),
}
data = load_ntuples(sources, features=features, weight="weight", selection="met < 150")
print(data.DESCR)
print(f"data: {data.data.shape[0]} events x {data.data.shape[1]} features; classes "
      f"{data.target_names.tolist()}; expected events after the selection: "
      + ", ".join(f"{name} {data.sample_weight[data.target == k].sum():.1f}"
                  for k, name in enumerate(data.target_names)))

# %%
# A typo in a branch name is caught before anything is read, with the
# file, the branch and the close matches:
try:
    load_ntuples(sources, features=["m_ll", "m_3l"])
except ValueError as error:
    print(error)

# %%
# Training
# --------
# The Bunch goes to a classifier as any scikit-learn data set: half of the
# events train a dropout network, the other half measure it. The network
# trains on the two classes balanced (``class_weight="balanced"``); the
# physics weights enter the rejection curve, which then counts expected
# events.
X_train, X_test, y_train, y_test, w_train, w_test = train_test_split(
    data.data, data.target, data.sample_weight, test_size=0.5, stratify=data.target,
    random_state=0,
)
model = make_pipeline(
    StandardScaler(),
    DropoutMLPClassifier(hidden_layer_sizes=(64, 32), dropout=0.2, max_epochs=30,
                         class_weight="balanced", random_state=0),
).fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
RejectionCurveDisplay.from_estimator(model, X_test, y_test, sample_weight=w_test,
                                     name="dropout MLP", ax=ax)
ax.set_title("WZ rejection against ZZ efficiency, read from ROOT files")
ax.set_xlabel("ZZ (signal) efficiency")
ax.set_ylabel("WZ rejection (1 / WZ efficiency)")
plt.show()
