"""Which input variables matter: permutation ranking and feature elimination."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from ._elimination import PermutationFeatureElimination
from ._ranking import rank_features

__all__ = ["PermutationFeatureElimination", "rank_features"]
