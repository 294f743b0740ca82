"""
=========================
Choosing a working point
=========================

A classifier output is turned into a selection by a cut: keep the events
with ``score >= threshold``. Which threshold? Two pictures answer it. The
**background rejection curve** (rejection ``1 / background efficiency`` on a
log scale against the signal efficiency, the way flavour-tagging papers draw
it) compares classifiers at every working point. The **significance scan**
turns the expected signal and background yields above each cut into the
median discovery significance, and its maximum is the best cut; a systematic
uncertainty on the background moves it towards tighter cuts.

Here ZZ is the signal and WZ the background. Three classifiers are compared:
the dropout network trained on WZ against ZZ, the softmax network trained on
WZ, ZZ and ttZ (its ZZ output), and scikit-learn's
:class:`~sklearn.ensemble.HistGradientBoostingClassifier`.
"""

# %%
# Events and physics weights
# --------------------------
# :func:`~physml_sklearn.datasets.make_diboson` gives each event the weight
# ``cross section x luminosity / generated events``, so the weights of a
# process sum to its expected number of events. The test events are a
# fraction of the generated ones, so their weights are divided by that
# fraction to keep counting the full expected yield.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier, SoftmaxMLPClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.metrics import significance_scan
from physml_sklearn.plotting import RejectionCurveDisplay, SignificanceDisplay

events = make_diboson(9000, processes=("WZ", "ZZ", "ttZ"), random_state=0)
X, y, w = events.data, events.target, events.sample_weight
X_train, X_test, y_train, y_test, w_train, w_test = train_test_split(
    X, y, w, test_size=0.5, stratify=y, random_state=0
)
w_test = w_test * len(y) / len(y_test)
diboson = y_test < 2  # the WZ and ZZ test events
X_eval, y_eval, w_eval = X_test[diboson], y_test[diboson], w_test[diboson]
for k, name in enumerate(events.target_names[:2]):
    print(f"{name}: {np.sum(y_eval == k)} test events, "
          f"{w_eval[y_eval == k].sum():.0f} expected events")

# %%
# Three classifiers
# -----------------
# The binary models train on the WZ and ZZ events only, with balanced
# classes; the softmax network sees the three processes.
binary = y_train < 2
dropout_mlp = make_pipeline(
    StandardScaler(),
    DropoutMLPClassifier(hidden_layer_sizes=(64, 64, 32), dropout=0.2, max_epochs=30,
                         class_weight="balanced", random_state=0),
).fit(X_train[binary], y_train[binary])
softmax_mlp = make_pipeline(
    StandardScaler(),
    SoftmaxMLPClassifier(hidden_layer_sizes=(32, 16), max_epochs=30, random_state=0),
).fit(X_train, y_train)
hgb = HistGradientBoostingClassifier(class_weight="balanced", random_state=0).fit(
    X_train[binary], y_train[binary]
)

# %%
# Background rejection against signal efficiency
# -----------------------------------------------
# All three curves on one axis, each from its own ZZ score. ``pos_label=1``
# picks the ZZ column of the softmax network (and every other event counts as
# background). At a given ZZ efficiency the higher curve rejects more WZ.
fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
curves = {}
for name, model in [("dropout MLP", dropout_mlp), ("softmax MLP, P(ZZ)", softmax_mlp),
                    ("HistGradientBoosting", hgb)]:
    curves[name] = RejectionCurveDisplay.from_estimator(
        model, X_eval, y_eval, sample_weight=w_eval, pos_label=1, name=name, ax=ax
    )
ax.set_xlabel("ZZ (signal) efficiency")
ax.set_ylabel("WZ rejection (1 / WZ efficiency)")
ax.set_xlim(0.2, 1.0)
ax.set_title("WZ rejection, test events weighted to 139 fb$^{-1}$")
plt.show()
for name, disp in curves.items():
    eff, rejection = disp.line_.get_xdata(), disp.line_.get_ydata()
    print(f"{name:>22}: WZ rejection {np.interp(0.5, eff, rejection):6.1f} at 50 % ZZ "
          f"efficiency, {np.interp(0.8, eff, rejection):5.1f} at 80 %")

# %%
# The significance scan
# ---------------------
# For the dropout network, the Asimov significance
# ``Z = sqrt(2((s+b) ln(1+s/b) - s))`` of each cut, with the yields above the
# cut on the right axis. Without uncertainty on the background, a tight cut
# costs little: as ``b`` falls, ``Z`` keeps growing until the signal runs out,
# or, as here, until the cut keeps fewer than 10 simulated background events
# (the scan's default floor, shaded: below it the yield is no estimate).
# With a 10 % uncertainty on the background (the profile-likelihood form of
# G. Cowan), a large background is penalised, so the best cut moves.
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
scans = {}
for ax, uncertainty in zip(axes, [0.0, 0.1]):
    disp = SignificanceDisplay.from_estimator(
        dropout_mlp, X_eval, y_eval, sample_weight=w_eval,
        background_uncertainty=uncertainty, name="dropout MLP", ax=ax,
    )
    ax.set_title(f"ZZ against WZ, {100 * uncertainty:g} % background uncertainty")
    ax.set_xlabel("cut on the network output P(ZZ)")
    scans[uncertainty] = disp
plt.show()

score = dropout_mlp.predict_proba(X_eval)[:, 1]
for uncertainty, disp in scans.items():
    scan = significance_scan(y_eval, score, sample_weight=w_eval,
                             background_uncertainty=uncertainty)
    best = scan.loc[scan.significance.idxmax()]
    print(f"{100 * uncertainty:>4g} % background uncertainty: best cut P(ZZ) >= "
          f"{best.threshold:.3f}, s = {best.signal:.0f}, b = {best.background:.0f}, "
          f"Z = {best.significance:.1f}")

# %%
# Mind the simulation statistics
# ------------------------------
# Each simulated WZ test event stands for many expected events, so at the
# tightest cuts ``b`` rests on a handful of simulated events and the scan
# fluctuates. The same scan without weights counts the simulated events
# above each cut (the thresholds are the same), and a working point is only
# trusted where enough of them remain, here at least 20.
print(f"one simulated WZ test event = {w_eval[y_eval == 0][0]:.1f} expected events")
counts = significance_scan(y_eval, score)
for uncertainty in scans:
    scan = significance_scan(y_eval, score, sample_weight=w_eval,
                             background_uncertainty=uncertainty)
    trusted = scan[counts.background >= 20]
    best = trusted.loc[trusted.significance.idxmax()]
    n_mc = int(counts.background[trusted.significance.idxmax()])
    print(f"{100 * uncertainty:>4g} % uncertainty, >= 20 simulated WZ events: cut P(ZZ) >= "
          f"{best.threshold:.3f}, s = {best.signal:.0f}, b = {best.background:.0f} "
          f"({n_mc} simulated), Z = {best.significance:.1f}")
