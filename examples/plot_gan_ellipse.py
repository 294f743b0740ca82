"""
=====================================================
A GAN learns an ellipse: checking for mode collapse
=====================================================

The students' task after the cubic: train a GAN on points of an ellipse. A
closed curve is harder than the cubic. The generator maps a blob of latent
vectors onto a loop, and a generator that covers only part of the loop can
still fool a weak discriminator: its points lie on the ellipse, but an arc
stays empty or thin. That failure is called **mode collapse**, and a look at
the distance to the curve alone does not reveal it.

This example trains :class:`~physml_sklearn.GANSampler` on
:func:`~physml_sklearn.datasets.make_ellipse`, shows real against generated
points, and checks three numbers against a fresh draw of the true
distribution: the median distance of the samples to the ellipse, the
Kolmogorov-Smirnov statistic between the angles of generated and true
points around the centre (does the generator cover the whole loop with the
right density?), and the classifier two-sample test.
"""

# %%
# The data and the three checks
# -----------------------------
# 2,000 training points on the ellipse with semi-axes a = 1 and b = 0.5
# about the origin, the angle parameter t uniform, and a fresh draw of 2,000
# points that no GAN sees in training.
#
# * Distance to the ellipse: the distance of each sample to the nearest of
#   200,000 points along the exact curve, a k-d tree lookup; its median.
# * Angles: ``arctan2(y, x)`` of each point around the centre, compared
#   between generated and fresh true points with
#   :func:`scipy.stats.ks_2samp`. The statistic is the largest gap between
#   the two cumulative distributions of the angle: an arc the generator
#   leaves out, or crowds, makes it large.
# * :func:`~physml_sklearn.metrics.classifier_two_sample_auc`: the ROC AUC of
#   a gradient-boosting classifier telling generated from true points; 0.5
#   means it cannot.
#
# A second true draw shows the values for two samples of one distribution.
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.spatial import cKDTree
from scipy.stats import ks_2samp

from physml_sklearn import GANSampler
from physml_sklearn.datasets import make_ellipse
from physml_sklearn.metrics import classifier_two_sample_auc
from physml_sklearn.plotting import GANSamplesDisplay

# networks this small train faster on one thread than on several
torch.set_num_threads(1)

A, B = 1.0, 0.5
N_TRAIN = 2000
X = make_ellipse(N_TRAIN, a=A, b=B, random_state=0)
X_fresh = make_ellipse(2000, a=A, b=B, random_state=1000)

t = np.linspace(0.0, 2.0 * np.pi, 200_000, endpoint=False)
curve = cKDTree(np.column_stack([A * np.cos(t), B * np.sin(t)]))


def angles(S):
    return np.arctan2(S[:, 1], S[:, 0])


def judge(S):
    ks = ks_2samp(angles(S), angles(X_fresh))
    return {
        "distance": np.median(curve.query(S)[0]),
        "angle KS": ks.statistic,
        "KS p-value": ks.pvalue,
        "C2ST AUC": classifier_two_sample_auc(X_fresh, S, random_state=0),
    }


def show(name, res):
    print(f"{name:<28} distance {res['distance']:.4f}, angle KS {res['angle KS']:.3f} "
          f"(p = {res['KS p-value']:.2g}), C2ST AUC {res['C2ST AUC']:.3f}")


floor = judge(make_ellipse(2000, a=A, b=B, random_state=2000))
show("a second true draw", floor)

# %%
# Training
# --------
# ``GANSampler`` with its default networks (two hidden layers of 128 GELU
# units in each, a 16-dimensional latent space, learning rates of 3e-3, 256
# real points per step), for 200 epochs instead of the default ``"auto"``
# (500 epochs here) to keep the example short. With 2,000 points an epoch is
# 8 steps, so 200 epochs make 1,600 generator updates; ``snapshot_epochs`` keeps
# points generated along the way, from the same latent vectors. The two
# columns are bounded and light-tailed, so ``GANSampler`` only standardises
# them (no quantile transform: it would stretch the ends of the ellipse into
# long tails).
SNAPSHOTS = [1, 10, 50, 200]
gan = GANSampler(max_epochs=200, snapshot_epochs=SNAPSHOTS, random_state=0).fit(X)
print(f"{gan.n_iter_} epochs, {gan.n_generator_updates_} generator updates")
snapshot_results = {epoch: judge(rows) for epoch, rows in sorted(gan.snapshots_.items())}
for epoch, res in snapshot_results.items():
    show(f"defaults, epoch {epoch}", res)
even_but_off = [
    epoch for epoch, res in snapshot_results.items()
    if res["angle KS"] <= 1.5 * floor["angle KS"] and res["distance"] > 0.1
]
print(f"snapshots with angles about as even as two true draws' (KS <= 1.5 x "
      f"{floor['angle KS']:.3f}) yet far from the curve (distance > 0.1): {even_but_off}")

disp = GANSamplesDisplay.from_estimator(gan, X_fresh)
disp.ax_[0].set_ylabel("y")
for ax in disp.ax_:
    ax.set_xlabel("x")
plt.show()

# %%
# (a) After one epoch the generated points are a blob, and their angle KS
# statistic is large. (b), (c) Then they spread out and gather towards the
# loop: the distance to the ellipse and the angle KS statistic fall, at
# their own pace (printed above). A cloud could have about the right angles
# without being anywhere near the curve; the line above lists any snapshot
# where that happened. (d) By the end the points form the loop. Neither the
# distance nor the angles suffice on their own; the C2ST sees both.
#
# Real against generated, and the angles
# --------------------------------------
# 2,000 new samples from the trained GAN. Left, the points; right, the
# histogram of their angles around the centre beside that of the fresh
# true points. The true angles are not uniform: t is, and the points crowd
# at the ends of the major axis, the angles 0° and ±180°, as the counts
# printed below show. A generator has to learn that density too.
S = gan.sample(2000, random_state=1)
final = judge(S)
show("defaults, final model", final)
deg = np.abs(np.degrees(angles(X_fresh)))
near_major = np.mean((deg < 15) | (deg > 165))
near_minor = np.mean(np.abs(deg - 90) < 15)
print(f"true points within 15° of the major axis: {near_major:.1%}, "
      f"of the minor axis: {near_minor:.1%}")

bins = np.linspace(-180, 180, 37)


def plot_angles(ax, S, label):
    ax.hist(np.degrees(angles(X_fresh)), bins=bins, histtype="step", color="0.4",
            linewidth=2, label="real")
    ax.hist(np.degrees(angles(S)), bins=bins, histtype="step", color="C1", linewidth=2,
            label=label)
    ax.set_xlabel("angle around the centre [degrees]")
    ax.set_ylabel("points per 10°")
    ax.set_xticks(np.arange(-180, 181, 90))
    ax.legend(loc="best", fontsize=8)


fig, (ax_points, ax_angles) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
# the generated points beneath, the truth on top and thin, so that it shows through
ax_points.scatter(*S.T, s=3, color="C1", alpha=0.5, label="generated", rasterized=True,
                  zorder=2)
ax_points.scatter(*X_fresh.T, s=0.5, color="k", alpha=0.8, label="real", rasterized=True,
                  zorder=3)
ax_points.set_aspect("equal")
ax_points.set_xlabel("x")
ax_points.set_ylabel("y")
for handle in ax_points.legend(loc="center", fontsize=8).legend_handles:
    handle.set_sizes([16])  # markers a reader can see
ax_points.set_title(f"median distance to the ellipse {final['distance']:.4f}")
plot_angles(ax_angles, S, "generated")
ax_angles.set_title(f"angle KS {final['angle KS']:.3f}")
plt.show()

# %%
# Several seeds, two configurations
# ---------------------------------
# One run does not tell how often a configuration collapses. Each
# configuration is trained with two seeds (a new training draw and a new
# initialisation each time): the defaults, and the package's earlier
# defaults, two hidden layers of 32 ReLU units, a latent dimension of 5 and
# learning rates of 1e-3, for the same 200 epochs.
CONFIGS = {
    "defaults": {},
    "2 x 32 ReLU, lr 1e-3": dict(
        latent_dim=5, generator_layers=(32, 32), discriminator_layers=(32, 32),
        activation="relu", lr_generator=1e-3, lr_discriminator=1e-3,
    ),
}
SEEDS = (0, 1)  # two, to keep the example within a minute or so
runs = {}
for name, params in CONFIGS.items():
    for seed in SEEDS:
        model = GANSampler(max_epochs=200, random_state=seed, **params)
        if model.get_params() == gan.get_params() | {"snapshot_epochs": None}:
            model = gan  # the defaults on the first seed: trained above already
        else:
            model.fit(make_ellipse(N_TRAIN, a=A, b=B, random_state=seed))
        samples = model.sample(2000, random_state=seed + 1)
        # the first seed of the defaults is the model judged above
        runs[name, seed] = (S, final) if model is gan else (samples, judge(samples))
        show(f"{name}, seed {seed}", runs[name, seed][1])

for name in CONFIGS:
    res = [runs[name, seed][1] for seed in SEEDS]
    print(f"{name:<21} mean distance {np.mean([r['distance'] for r in res]):.4f}, "
          f"worst angle KS {max(r['angle KS'] for r in res):.3f}, "
          f"mean C2ST AUC {np.mean([r['C2ST AUC'] for r in res]):.3f}")

# %%
# The summary lines compare the two configurations: the mean distance to the
# ellipse and the mean C2ST AUC say how close each gets on average, the
# worst angle KS statistic over the seeds how badly it can cover the loop.
#
# The run with the largest angle KS statistic is the one to look at for mode
# collapse. Its distance to the ellipse is compared with that of the other
# runs: the two measures need not agree.
worst = max(runs, key=lambda key: runs[key][1]["angle KS"])
closest = min(runs, key=lambda key: runs[key][1]["distance"])
ks_worst = runs[worst][1]["angle KS"]
print(f"largest angle KS: {worst[0]}, seed {worst[1]} ({ks_worst:.3f}, "
      f"{ks_worst / floor['angle KS']:.1f} times that of two true draws)")
rank = sorted(runs, key=lambda key: runs[key][1]["distance"]).index(worst) + 1
print(f"its median distance to the ellipse: {runs[worst][1]['distance']:.4f}, "
      f"rank {rank} of {len(runs)} (closest: {closest[0]}, seed {closest[1]})")

counts_real = np.histogram(np.degrees(angles(X_fresh)), bins=bins)[0]
S_worst = runs[worst][0]
counts_worst = np.histogram(np.degrees(angles(S_worst)), bins=bins)[0]
excess = counts_worst - counts_real
for label, i in (("too many", np.argmax(excess)), ("too few", np.argmin(excess))):
    print(f"{label:>8}: {counts_worst[i]} generated against {counts_real[i]} real "
          f"points at angles {bins[i]:.0f}° to {bins[i + 1]:.0f}°")

fig, (ax_points, ax_angles) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax_points.scatter(*S_worst.T, s=3, color="C3", alpha=0.5, label="generated",
                  rasterized=True, zorder=2)
ax_points.scatter(*X_fresh.T, s=0.5, color="k", alpha=0.8, label="real", rasterized=True,
                  zorder=3)
ax_points.set_aspect("equal")
ax_points.set_xlabel("x")
ax_points.set_ylabel("y")
for handle in ax_points.legend(loc="center", fontsize=8).legend_handles:
    handle.set_sizes([16])  # markers a reader can see
ax_points.set_title(f"{worst[0]}, seed {worst[1]}")
plot_angles(ax_angles, S_worst, "generated")
ax_angles.set_title(f"angle KS {ks_worst:.3f}")
plt.show()

# %%
# The histogram shows where the generator puts too many or too few points
# around the loop (the two bins printed above), which the scatter plot
# hides: points on the curve look alike however they are spread along it.
# Check the angles (or, in general, the position along the curve), not only
# the distance to it, and compare several seeds: a GAN can cover the loop
# well on one seed and unevenly on another.
