"""Metrics for physics analyses: overtraining checks, two-sample tests, working points,
mass sculpting, regression."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from ._overtraining import overtraining_test, signal_efficiency_table
from ._regression import response_resolution
from ._sculpting import mass_sculpting
from ._two_sample import (
    classifier_two_sample_auc,
    effective_sample_size,
    energy_distance,
)
from ._working_point import background_rejection_curve, significance_scan

__all__ = [
    "background_rejection_curve",
    "classifier_two_sample_auc",
    "effective_sample_size",
    "energy_distance",
    "mass_sculpting",
    "overtraining_test",
    "response_resolution",
    "signal_efficiency_table",
    "significance_scan",
]
