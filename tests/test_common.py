"""scikit-learn's own estimator checks, run on every estimator of the package."""

import pytest
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from physml_sklearn import (
    AutoEncoder,
    AutoEncoderOutlierDetector,
    ClassifierReweighter,
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    FoldingClassifier,
    GANSampler,
    SoftmaxMLPClassifier,
)
from physml_sklearn.inspection import PermutationFeatureElimination

# Cheap settings that still learn the checks' small problems: a few hundred
# rows, so small batches, a high learning rate and a few dozen epochs.
FAST = dict(batch_size=32, lr=0.02, max_epochs=30, random_state=0)
# The autoencoders only need to run: a few epochs of a tiny network.
AE_FAST = dict(encoder_layers=(8,), batch_size=32, max_epochs=5, random_state=0)

ESTIMATORS = [
    DropoutMLPClassifier(hidden_layer_sizes=(16,), dropout=0.0, **FAST),
    SoftmaxMLPClassifier(hidden_layer_sizes=(16,), **FAST),
    DropoutMLPRegressor(hidden_layer_sizes=(16,), **FAST),
    AutoEncoder(**AE_FAST),
    AutoEncoderOutlierDetector(**AE_FAST),
    # The selector fits its estimator once per fold and step: two folds, half
    # of the features dropped per step, one shuffle and a short training.
    PermutationFeatureElimination(
        SoftmaxMLPClassifier(hidden_layer_sizes=(16,), **{**FAST, "max_epochs": 10}),
        step=0.5, cv=2, n_repeats=1, random_state=0,
    ),
    # Cross-training only needs a cheap classifier inside. The folds are also
    # left unseeded (random_state=None), as users leave them: each fit draws
    # other folds, and predict_proba, decision_function and predict must
    # still agree with one another.
    FoldingClassifier(LogisticRegression(), random_state=0),
    FoldingClassifier(LogisticRegression()),
    # decision_function without predict_proba: the averaged decision functions
    FoldingClassifier(RidgeClassifier(), n_folds=3),
    # A cheap classifier inside: the checks test the reweighter, not the network.
    ClassifierReweighter(LogisticRegression(), random_state=0),
    # The GAN only needs to run: two epochs of tiny networks.
    GANSampler(latent_dim=2, generator_layers=(8,), discriminator_layers=(8,),
               batch_size=32, max_epochs=2, random_state=0),
]

# The networks compute in float32, as the API fixes (half the memory and
# twice the speed of float64). A weight of 2 and a repeated row put the same
# terms into the loss but sum them in another order, so the two fits agree to
# about 1e-6 relative; this check demands 1e-7, which float32 training cannot
# promise whatever the design.
FLOAT32_SAMPLE_WEIGHT = (
    "float32 training: weighted and repeated rows agree to ~1e-6, the check "
    "demands 1e-7"
)

# PermutationFeatureElimination cross-validates: a row repeated twice can land
# in a training fold and in its held-out fold at once, a row of weight 2
# cannot, so the folds, their scores and the selected features differ between
# the two fits whatever the estimator inside (RFECV, which has no
# sample_weight, is not put to this check).
CV_SAMPLE_WEIGHT = (
    "cross-validation: repeated rows split across folds, a weighted row cannot"
)


# FoldingClassifier splits the events into folds: a row repeated twice can land
# in two folds (trained on by one model, scored by the other), a row of weight 2
# lies in one fold, so the folds and the fold models differ whatever the inner
# estimator.
FOLDING_SAMPLE_WEIGHT = "k folds: repeated rows split across folds, a weighted row cannot"


# A reweighter's fit takes two samples, hep_ml's fit(original, target, ...),
# not rows and their labels: these checks call fit(X, y) with a 1-D y of
# labels as the second argument, which no reweighter can take as a sample of
# rows (rejected with an error that says so). Each property they check (fit
# returns self, idempotent fits, pickling, untouched parameters and data,
# NaN/inf, dtypes, n_features_in_, row order and subsets of predict_weights,
# read-only and Fortran-ordered input, one row or one feature) is tested with
# two samples in tests/test_reweighting.py.
TWO_SAMPLE_FIT = "fit(original, target): the check passes 1-D labels as the target sample"
REWEIGHTER_FIT_CHECKS = [
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
]


def expected_failed_checks(estimator):
    if isinstance(estimator, ClassifierReweighter):
        return dict.fromkeys(REWEIGHTER_FIT_CHECKS, TWO_SAMPLE_FIT)
    if isinstance(estimator, FoldingClassifier):
        return {"check_sample_weight_equivalence_on_dense_data": FOLDING_SAMPLE_WEIGHT}
    if isinstance(estimator, GANSampler):
        # no predict / transform: the sample-weight check has nothing to
        # compare, and every other check passes
        return {}
    if isinstance(estimator, PermutationFeatureElimination):
        return {"check_sample_weight_equivalence_on_dense_data": CV_SAMPLE_WEIGHT}
    return {"check_sample_weight_equivalence_on_dense_data": FLOAT32_SAMPLE_WEIGHT}


# the checks' fits are normal fits: a dead-network warning would be a false alarm
# (their few epochs may end before early stopping does, which is said, rightly)
@pytest.mark.filterwarnings(
    "error:The trained network gives the same output:sklearn.exceptions.ConvergenceWarning"
)
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
