"""Metrics for physics analyses: overtraining checks and two-sample tests."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from ._overtraining import overtraining_test, signal_efficiency_table
from ._two_sample import classifier_two_sample_auc, energy_distance

__all__ = [
    "classifier_two_sample_auc",
    "energy_distance",
    "overtraining_test",
    "signal_efficiency_table",
]
