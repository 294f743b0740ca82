"""
==============================
Reweighting simulation to data
==============================

Simulation never matches the data exactly. :class:`~physml_sklearn.ClassifierReweighter`
learns a weight for each simulated event so that the weighted simulation
follows the data: a classifier is trained to tell the two apart, and its
output ``p`` gives the density ratio ``p / (1 - p)``. This example reweights
one toy sample to another whose density ratio is known in closed form,
compares the weights with the truth, and judges the result with the
classifier two-sample test before and after.
"""

# %%
# Two samples with a known ratio
# ------------------------------
# :func:`~physml_sklearn.datasets.make_reweighting` draws an "original"
# sample (the simulation) and a "target" sample (the data), and returns the
# true ratio ``p_target / p_original`` as a function. A second draw serves as
# test events, which the reweighter never sees.
import matplotlib.pyplot as plt
import numpy as np

from physml_sklearn import ClassifierReweighter
from physml_sklearn.datasets import make_reweighting
from physml_sklearn.metrics import classifier_two_sample_auc, effective_sample_size
from physml_sklearn.plotting import ReweightingDisplay

train = make_reweighting(20_000, n_features=3, random_state=0)
test = make_reweighting(20_000, n_features=3, random_state=1)

# %%
# Fit, then weight the test events
# --------------------------------
# The interface is hep_ml's: ``fit(original, target)``, then
# ``predict_weights(original)``. Inside, two folds of a small network, each
# trained on half of the events with early stopping.
reweighter = ClassifierReweighter(random_state=0).fit(train.original, train.target)
weights = reweighter.predict_weights(test.original)
print(f"sum of the new weights: {weights.sum():.1f} "
      f"(the target weight sum: {reweighter.target_weight_sum_:.1f})")

# %%
# Each feature, before and after
# ------------------------------
# Top: the target (points), the original before (grey) and after (blue)
# reweighting. Bottom: target over original; after reweighting it should
# scatter about 1 within its error bars (the statistical uncertainties of the
# two histograms, from the sums of squared weights). The χ² of the blue
# points against 1, for each feature, says whether they do: about one per bin.
display = ReweightingDisplay.from_estimator(reweighter, test.original, test.target)
plt.show()
for j, (ratio, error) in enumerate(zip(display.ratio_after_, display.ratio_after_error_)):
    filled = np.isfinite(error) & (error > 0)
    chi2 = np.sum(((ratio[filled] - 1) / error[filled]) ** 2)
    print(f"x{j}: χ² of the reweighted ratio against 1: {chi2:.1f} for {filled.sum()} bins")

# %%
# The classifier two-sample test, before and after
# ------------------------------------------------
# One number for all features and their correlations: the AUC of a
# gradient-boosted classifier told to separate the (weighted) original from
# the target, on held-out folds. 0.5 means that it cannot.
before = classifier_two_sample_auc(test.original, test.target, random_state=0)
after = classifier_two_sample_auc(test.original, test.target,
                                  sample_weight_X=weights, random_state=0)
truth = test.true_ratio(test.original)
perfect = classifier_two_sample_auc(test.original, test.target,
                                    sample_weight_X=truth, random_state=0)
print(f"two-sample AUC before reweighting: {before:.3f}")
print(f"two-sample AUC after reweighting:  {after:.3f}")
print(f"two-sample AUC with the true ratio: {perfect:.3f}")

# %%
# The weights against the truth, and what they cost
# -------------------------------------------------
# Normalised to a mean of 1, the learned weights follow the true ratio. The
# effective sample size, ``(sum w)**2 / sum w**2``, says how many unweighted
# events the weighted sample is worth: spreading the weights costs statistics,
# compare with what the true ratio itself costs.
rmse = np.sqrt(np.mean((weights / weights.mean() - truth / truth.mean()) ** 2))
print(f"RMSE of the weights against the true ratio: {rmse:.3f}")
print(f"effective sample size: {effective_sample_size(weights):.0f} of {len(weights)} "
      f"(true ratio: {effective_sample_size(truth):.0f})")

fig, ax = plt.subplots(figsize=(4.5, 4.2), layout="constrained")
ax.plot(truth / truth.mean(), weights / weights.mean(), ".", markersize=1, alpha=0.3)
top = np.quantile(truth / truth.mean(), 0.999)
ax.plot([0, top], [0, top], color="k", linewidth=0.8)
ax.set_xlabel("true ratio (normalised)")
ax.set_ylabel("learned weight (normalised)")
plt.show()
