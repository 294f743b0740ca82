"""
=====================================
A GAN learns the curve y = x³
=====================================

The lecture's first generative adversarial network learns points on the curve
y = x³: a generator turns random latent vectors into points ``(x, y)``, a
discriminator learns to tell them from real points, and the generator learns
to fool it. At the start the generated points are a blob; as training goes
on they gather on the curve.

This example draws that picture with
:class:`~physml_sklearn.plotting.GANSamplesDisplay`, then asks **how to get
there with fewer training steps**: the classic simple configuration of the
lecture and the default networks of :class:`~physml_sklearn.GANSampler` get
the same small budget of 1,000 generator updates (``max_epochs=125``, the
"fewer epochs" configuration of the user guide), and three numbers judge
their samples against a fresh draw of the true distribution.
"""

# %%
# The data
# --------
# 2,000 training points from :func:`~physml_sklearn.datasets.make_cubic`, x
# uniform in [-0.5, 0.5), and a fresh draw of 2,000 points with another seed
# that no GAN sees in training: every sample is judged against it.
#
# The two columns have very different spreads. ``GANSampler`` standardises
# these bounded, light-tailed columns before training (and undoes it in
# ``sample``), so the networks see both at unit scale; without that, the
# generator would have to learn to squeeze its output in y, and the
# discriminator's decisions would hardly depend on y at all.
import matplotlib.pyplot as plt
import numpy as np
import torch

from physml_sklearn import GANSampler
from physml_sklearn.datasets import make_cubic
from physml_sklearn.metrics import classifier_two_sample_auc, energy_distance
from physml_sklearn.plotting import GANSamplesDisplay

# networks this small train faster on one thread than on several
torch.set_num_threads(1)

N_TRAIN = 2000
X = make_cubic(N_TRAIN, random_state=0)
X_fresh = make_cubic(2000, random_state=1000)
std_x, std_y = X.std(axis=0)
print(f"training points: {len(X)}, fresh points: {len(X_fresh)}")
print(f"std of x: {std_x:.3f}, std of y: {std_y:.3f} ({std_x / std_y:.1f} times smaller)")

# %%
# Watching the GAN learn
# ----------------------
# The "fewer epochs" configuration of the user guide: generator and
# discriminator with two hidden layers of 64 GELU units (the default
# activation), latent dimension 5, learning rates of 1e-2, 256 real points
# per step, 125 epochs: with 2,000 points an epoch is 8 steps, so 125 epochs
# make 1,000 generator updates.
# ``snapshot_epochs`` keeps points generated at the end of the chosen epochs,
# always from the same latent vectors, so the panels show the same points
# moving.
SNAPSHOTS = [1, 10, 40, 125]
FEWER = dict(latent_dim=5, generator_layers=(64, 64), discriminator_layers=(64, 64),
             lr_generator=1e-2, lr_discriminator=1e-2)
gan = GANSampler(max_epochs=125, snapshot_epochs=SNAPSHOTS, random_state=0, **FEWER).fit(X)
print(f"{gan.n_iter_} epochs, {gan.n_generator_updates_} generator updates")

disp = GANSamplesDisplay.from_estimator(gan, X_fresh)
disp.ax_[0].set_ylabel("y")
for ax in disp.ax_:
    ax.set_xlabel("x")
for epoch, rows in sorted(gan.snapshots_.items()):
    residual = np.median(np.abs(rows[:, 1] - rows[:, 0] ** 3))
    beyond = np.mean(np.abs(rows[:, 0]) > 0.5)
    print(f"epoch {epoch:>3}: median |y - x^3| = {residual:.4f}, "
          f"points with |x| > 0.5: {beyond:.1%}")
plt.show()

# %%
# (a) After one epoch the generated points are a blob around the centre. (b)
# They stretch into a band along the curve, and (c) the band bends with it.
# (d) At the end of training they lie on the curve: the median vertical
# distance at each snapshot is printed above, with the share of points past
# the ends of the curve, x = ±0.5, where no real point lies.
#
# Judging the samples
# -------------------
# A picture is not a measurement. Three numbers compare 2,000 generated
# points with the fresh draw:
#
# * the median of ``|y - x³|``: are the points on the curve?
# * the :func:`~physml_sklearn.metrics.energy_distance` between the two
#   samples, both standardised with the spread of the fresh draw (so that y
#   counts as much as x): are the points spread along the curve with the
#   right density? It is 0 for identical distributions, but two finite
#   samples of one distribution still differ by chance.
# * the classifier two-sample test,
#   :func:`~physml_sklearn.metrics.classifier_two_sample_auc`: the ROC AUC of
#   a gradient-boosting classifier trained to tell generated from true
#   points. 0.5 means it cannot tell them apart, 1 that it always can.
#
# and, as a fourth number, the fraction of points beyond the ends of the curve.
#
# Two independent draws of the true distribution show what "perfect" looks
# like for samples of this size: an energy distance at the level of their
# chance fluctuation, an AUC near 0.5.
center, spread = X_fresh.mean(axis=0), X_fresh.std(axis=0)


def judge(S):
    return {
        "median |y-x^3|": np.median(np.abs(S[:, 1] - S[:, 0] ** 3)),
        "energy distance": energy_distance((S - center) / spread, (X_fresh - center) / spread),
        "C2ST AUC": classifier_two_sample_auc(X_fresh, S, random_state=0),
        "|x| > 0.5": np.mean(np.abs(S[:, 0]) > 0.5),
    }


floor = judge(make_cubic(2000, random_state=2000))
print("a second true draw: "
      + ", ".join(f"{name} {value:.4f}" for name, value in floor.items()))

# %%
# The same budget, five configurations
# ------------------------------------
# The classic simple GAN of the lecture: latent dimension 5, a generator with
# one hidden layer of 15 ReLU units, a discriminator with one of 25, Adam
# with its usual settings (``torch.optim.Adam``: betas (0.9, 0.999)) at a
# learning rate of 1e-3, 64 real points per step. Then, one step at a time:
#
# 1. Adam's betas become (0.5, 0.9), what ``optimizer="adam"`` uses in a
#    ``GANSampler``: a shorter memory of past gradients. The two networks
#    chase each other, so the gradient of each changes direction as the
#    other learns, and a long memory keeps pushing where it no longer should.
# 2. Two hidden layers of 32 ReLU units and 256 real points per step: the
#    package's earlier defaults.
# 3. The present default networks: two layers of 128 GELU units (a smooth
#    curve wants a smooth generator), a latent dimension of 16 and learning
#    rates of 3e-3.
# 4. Not a step but an alternative, the "fewer epochs" configuration: GELU,
#    with the small networks of step
#    2 and learning rates of 1e-2.
#
# Every row gets 1,000 generator updates, and each is trained with three
# seeds (a new training draw and a new initialisation each time).
#
# Some training choices are internal and on in every row, the classic one
# included: the standardisation, four generated points per real point in
# each step, learning rates held for 70 % of the steps and then annealed to
# zero, and a moving average of the generator weights for ``sample``. So
# the classic row is, if anything, flattered.
RELU = dict(activation="relu", lr_generator=1e-3, lr_discriminator=1e-3)
SMALL = dict(latent_dim=5, generator_layers=(15,), discriminator_layers=(25,), **RELU)
CONFIGS = {  # name: (parameters, real points per step)
    "classic (lecture)": ({**SMALL, "optimizer": torch.optim.Adam}, 64),
    "+ Adam betas (0.5, 0.9)": (SMALL, 64),
    "+ 2 x 32 ReLU, 256 per step": (
        dict(latent_dim=5, generator_layers=(32, 32), discriminator_layers=(32, 32), **RELU),
        256,
    ),
    "default networks": ({}, 256),
    "fewer epochs (user guide)": (FEWER, 256),
}
UPDATES = 1000
SEEDS = (0, 1, 2)

results, samples, fitted = {}, {}, {}
for name, (params, batch_size) in CONFIGS.items():
    epochs = round(UPDATES / np.ceil(N_TRAIN / batch_size))
    rows = []
    for seed in SEEDS:
        model = GANSampler(batch_size=batch_size, max_epochs=epochs, random_state=seed,
                           **params)
        if model.get_params() == gan.get_params() | {"snapshot_epochs": None}:
            model = gan  # the defaults on the first seed: trained above already
        else:
            model.fit(make_cubic(N_TRAIN, random_state=seed))
        S = model.sample(2000, random_state=seed + 7)
        rows.append(judge(S))
        if seed == 0:
            samples[name], fitted[name] = S, model
    results[name] = {key: np.array([r[key] for r in rows]) for key in rows[0]}
    print(f"{name:<28} {epochs:>3} epochs, {model.n_generator_updates_} updates")

print(f"\n{'mean (± std) of 3 seeds':<26} {'median |y-x^3|':>14} {'energy dist.':>12} "
      f"{'C2ST AUC':>15} {'|x| > 0.5':>10}")
for name, res in results.items():
    auc = res["C2ST AUC"]
    print(f"{name:<26} {res['median |y-x^3|'].mean():14.4f} "
          f"{res['energy distance'].mean():12.4f} "
          f"{auc.mean():9.3f} ± {auc.std():.3f} {res['|x| > 0.5'].mean():10.1%}")
print(f"{'a second true draw':<26} {floor['median |y-x^3|']:14.4f} "
      f"{floor['energy distance']:12.4f} {floor['C2ST AUC']:9.3f} {floor['|x| > 0.5']:16.1%}")

# %%
# What makes the difference
# -------------------------
# Each step of the table, as the factor by which it divides the mean
# distance to the curve and the mean energy distance, and the change of the
# mean AUC.
names = list(CONFIGS)
steps = {}
for before, after in zip(names[:-1], names[1:]):
    b, a = results[before], results[after]
    steps[after] = b["median |y-x^3|"].mean() / a["median |y-x^3|"].mean()
    print(f"{after:<28} distance / {steps[after]:6.1f}, energy distance / "
          f"{b['energy distance'].mean() / a['energy distance'].mean():5.1f}, "
          f"AUC {a['C2ST AUC'].mean() - b['C2ST AUC'].mean():+.3f}")
best = max(names[1:], key=steps.get)
print(f"the step that divides the distance to the curve most: {best!r}")
classic, defaults = results[names[0]], results["default networks"]
print(f"default networks against classic: distance to the curve / "
      f"{classic['median |y-x^3|'].mean() / defaults['median |y-x^3|'].mean():.1f}, "
      f"C2ST AUC {classic['C2ST AUC'].mean():.3f} -> {defaults['C2ST AUC'].mean():.3f}")
best_auc = min(res["C2ST AUC"].mean() for res in results.values())
verdict = "still distinguishable" if best_auc > floor["C2ST AUC"] + 0.05 else "alike"
print(f"best mean C2ST AUC {best_auc:.3f}, two true draws {floor['C2ST AUC']:.3f}: {verdict}")

# %%
# With one hidden layer of 15 units the generator does not bend its output
# sharply enough in 1,000 updates: its points form a band about the curve
# (left panel below). The lines above say which step helps most and how far
# the default networks get within the same budget. The C2ST is much harder
# to satisfy than the distance to the curve: it also sees whether the points
# are spread along the curve with the right density, including points past
# its ends, and the last line says whether even the best row can still be
# told from the truth.
#
# The panels show the final samples of the first training seed of three
# rows.
shown = [names[0], names[3], names[4]]
disp = GANSamplesDisplay(real=X_fresh, generated=[samples[n] for n in shown],
                         feature_names=("x", "y")).plot()
for ax, name in zip(disp.ax_, shown):
    ax.set_title(name, fontsize=9)
plt.show()

# %%
# The moving average of the generator
# -----------------------------------
# ``sample`` uses an exponential moving average of the generator weights
# (``net_.generator_average_``), not the last weights (``net_.module_``).
# It smooths the jitter of the last steps. Here the learning rates are
# already annealed to zero at the end of ``fit``, so the last weights move
# little; the comparison shows how much the average still adds.
model = fitted[names[3]]


def generate(average):
    """2,000 points from the same latent vectors, in the original units."""
    rows = model.net_.generate(2000, torch.Generator().manual_seed(7), average=average)
    return model.transformer_.inverse_transform(rows.numpy())


average_weights = {}
for label, average in (("moving average", True), ("last weights", False)):
    res = average_weights[label] = judge(generate(average))
    print(f"default networks, {label:<14}: median |y-x^3| {res['median |y-x^3|']:.4f}, "
          f"energy distance {res['energy distance']:.4f}, C2ST AUC {res['C2ST AUC']:.3f}")
change = (average_weights["moving average"]["C2ST AUC"]
          - average_weights["last weights"]["C2ST AUC"])
spread_auc = results[names[3]]["C2ST AUC"].std()
print(f"AUC with the average minus without: {change:+.3f}; seed-to-seed std of the "
      f"default networks: {spread_auc:.3f}; "
      f"{'within' if abs(change) <= spread_auc else 'beyond'} the spread")

# %%
# Both use the same latent vectors (the same seed), so any difference comes
# from the weights alone. Whether the difference matters is printed above:
# with learning rates annealed to zero, the last weights have stopped
# jittering by the end of ``fit``, and the average is a safeguard rather than
# an improvement. In short: to get a GAN onto this curve in 1,000
# updates, give the generator two smooth hidden layers, Adam a short memory
# and each step enough points; the standardisation, the annealing and the
# moving average come with ``GANSampler``.
